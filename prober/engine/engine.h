/* SPDX-License-Identifier: BSD-2-Clause */
/* engine.h — the live event loop of kptrace.
 *
 * The engine owns the run's edges (raw socket, live capture) and its core
 * pieces (one kp_tracer per trace, the schedule, the pacer, the Doubletree
 * stop sets, and rx). One loop:
 *
 *   poll(capture fd, timeout = next send / next wake / 100 ms tick)
 *   every captured frame  -> capture file, then kp_rx_frame
 *   rx's on_reply         -> the trace's tracer (kp_tracer_reply)
 *   rx's on_trace         -> the caller's on_trace (record built from the
 *                            capture: same as `kptrace replay` of the file)
 *   while the pacer has a token: schedule picks a ready trace, its tracer
 *   says which (TTL, attempt) to send, the method builds it, net_raw sends it
 *
 * Traces start in random order (seeded, jobs.h: nothing is kept per job), at
 * most max_active at once, each holding a slot (admit.h) and a 32-bit trace
 * id, both carried in its probes. With Doubletree (admit.h), the first trace
 * into each (/24, method) is its pilot: it probes with a window of at least
 * gap_limit TTLs and publishes what it finds; the others start as soon as the
 * pilot's forward probing has its answer, at the border TTL it found, probing
 * backward until an interface already seen (stopset.h), skipping the TTLs the
 * pilot found silent and waiting for those it still waits for (tracer.h).
 *
 * The run ends once every trace is done and no probe that is still
 * unanswered can be answered within wait + late: there is no other wait.
 * Every record is checked against the plan (trace_owner.h); the counts that
 * must reconcile are in kp_engine_stats.
 *
 * Life cycle: kp_engine_create (no privileges), kp_engine_open (as root:
 * raw socket + capture + capture file), then the caller opens its outputs and
 * drops privileges, kp_engine_run, kp_engine_destroy. Library code: returns
 * 0 / negative errno with a message, never prints or exits.
 */
#ifndef KP_ENGINE_H
#define KP_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/base/addr.h"
#include "core/record/run_stats.h"
#include "core/record/trace.h"

#define KP_ENGINE_MAX_METHODS 4

/* What the engine measures and how: the run's parameters, which the command
 * fills from its options (the engine never sees the command line). */
struct kp_engine_params {
    enum kp_method methods[KP_ENGINE_MAX_METHODS]; /* each target with each, in order */
    unsigned n_methods;                            /* 1..KP_ENGINE_MAX_METHODS */
    uint32_t pps;                                  /* probes per second */
    uint32_t pps_ceiling;                          /* the pacer refuses rates above */
    bool doubletree;
    uint8_t first_ttl, max_ttl, attempts, gap_limit, window;
    uint32_t wait_ms; /* a reply within wait_ms of its probe ... */
    uint32_t late_ms; /* ... or within wait_ms + late_ms (flagged late) counts */
    /* How long the end of a run (or a watch round) waits past the wait of
     * its last unanswered probes. false: late_ms (the user chose it). true:
     * only as far as this engine's replies have come late — twice the
     * latest reply's lateness (rtt - wait), at most late_ms; with no late
     * reply seen, not at all. Late replies are still accepted up to
     * wait + late_ms whenever they arrive before the end. */
    bool late_end_auto;
    uint32_t capture_kib;  /* the kernel's capture ring */
    uint32_t fault_wait_s; /* how long sends may keep failing before the run ends */
    uint16_t dport;        /* 0 = the method's default */
    uint16_t sport;        /* 0 = chosen per trace from the seed */
    uint16_t size;         /* IP length of probes, 0 = the method's default */
    bool realtime;         /* the sending thread may run SCHED_FIFO (kp_engine_open) */
    bool send_link;        /* probes on a packet socket to the next hop (net_link.h) */
    char vp[KP_VP_LEN];    /* vantage point, written in every record */
};

struct kp_engine_config {
    struct kp_engine_params params;
    const struct kp_target_range *ranges; /* borrowed for the engine's life */
    size_t n_ranges;
    struct kp_addr src;    /* source address (must be set) */
    const char *iface;     /* capture/bind interface (must be set) */
    const char *pcap_path; /* capture file, NULL = none */
    uint64_t seed;         /* order and identity key */
    /* Called with every record rx builds (see rx.h on_trace: the callee may
     * take the hops). */
    void (*on_trace)(void *ctx, struct kp_trace *t);
    /* Called about every 250 ms while running (may be NULL). */
    void (*on_progress)(void *ctx, const struct kp_engine_stats *st, int64_t now_ns);
    void *ctx;
    volatile sig_atomic_t *stop; /* set to non-zero (signal handler) to interrupt */
    /* Resume (`kptrace sweep --resume`): a bitmap over the jobs in their
     * natural order (jobs.h), set = already done, not planned (NULL = plan
     * every job; the random order of the others is unchanged); the first
     * trace id (0 = 1); append to pcap_path instead of creating it. */
    const uint64_t *done;
    uint32_t first_tid;
    bool pcap_append;
};

struct kp_engine;

/* Validate the configuration and plan the jobs. No privileges needed.
 * 0, -EINVAL or -ENOMEM with a message in err. */
int kp_engine_create(const struct kp_engine_config *cfg, struct kp_engine **out, char *err,
                     size_t errlen);

/* Resume: learn from a record of an earlier part of the sweep (method index
 * mi): its routers join the Doubletree stop set and its (/24, method) counts
 * as having had its first trace. Call after create, before run. 0 or
 * -ENOMEM. */
int kp_engine_learn(struct kp_engine *e, const struct kp_trace *t, unsigned mi);

/* Traces run at once for a rate of pps with waits of wait_ms and late
 * replies awaited late_ms: a trace holds its slot at least wait + late after
 * its last unanswered probe, and one whose probes all go unanswered sends
 * one probe a wait when its window is 1, so pps x (wait + late) traces keep
 * the pacer busy (at least 16, at most 65536: the slots of the probe
 * marker). */
uint32_t kp_engine_max_active(uint32_t pps, uint32_t wait_ms, uint32_t late_ms);

/* Open the raw socket, the live capture (BPF "ip host SRC") and the capture
 * file. Needs root. 0 or -errno with a message. */
int kp_engine_open(struct kp_engine *e, char *err, size_t errlen);

/* Run until every trace is done and delivered, or *stop is set (then every
 * tracer is aborted, the records so far are delivered with their stop
 * reasons from the data, and stats->interrupted is set). 0 or -errno. */
int kp_engine_run(struct kp_engine *e, char *err, size_t errlen);

/* Stop the run for good from a callback (e.g. traces.jsonl cannot be
 * written: the disk is full): every tracer stops as on an interruption, and
 * kp_engine_run returns rc with msg. The first call wins. */
void kp_engine_fail(struct kp_engine *e, int rc, const char *msg);

/* Counters (valid while e lives). */
const struct kp_engine_stats *kp_engine_stats(const struct kp_engine *e);

/* Print-free dry run: for each planned trace (in the engine's order) build
 * the probes TTL first..max, attempt 0, and hand each packet to cb. */
int kp_engine_dry_run(struct kp_engine *e, void (*cb)(void *ctx, const uint8_t *pkt, size_t len),
                      void *ctx, char *err, size_t errlen);

/* Rounds (`kptrace watch`): after kp_engine_run returned, plan a new run of
 * ranges (borrowed until the next replan or destroy) x the same methods, in
 * the order of seed, on the same raw socket and live capture, into the same
 * capture file (see kp_engine_set_pcap). The admission, schedule, receive
 * path, Doubletree stop sets, trace owners, slots and counters start anew
 * (the counters are this round's; the capture's kernel counters keep adding
 * up); the identity key stays that of the first seed or the last rekey (one
 * capture file can hold many rounds, checked with one key), and trace ids go
 * on from the last one used (or from min_tid when larger: a restart that
 * found traces written after its checkpoint), so that a late reply to an
 * earlier round never matches a trace of this one. Then kp_engine_run again.
 * 0, -EINVAL (running, not opened, no targets, overlapping ones) or -ENOMEM,
 * with a message. */
int kp_engine_replan(struct kp_engine *e, const struct kp_target_range *ranges, size_t n,
                     uint64_t seed, uint32_t min_tid, char *err, size_t errlen);

/* Between runs (`kptrace watch`, a new hour): the identity key from now on
 * is kp_key_from_seed(seed), for the probes sent and the replies checked.
 * 0, or -EINVAL while running. */
int kp_engine_rekey(struct kp_engine *e, uint64_t seed);

/* Between runs: close the capture file and write every frame from now on to
 * path (appended to when append and the file exists, else created). The
 * process needs the right to create path (privileges dropped: a directory
 * of that user). 0 or -errno with a message. */
int kp_engine_set_pcap(struct kp_engine *e, const char *path, bool append, char *err,
                       size_t errlen);

/* The same into a file the caller opened for writing (fd, taken over; name,
 * borrowed for the engine's life, in messages): `trace --pcap`, opened
 * without following a link (prober/sys/outfile.h). */
int kp_engine_set_pcap_fd(struct kp_engine *e, int fd, const char *name, char *err, size_t errlen);

/* Close everything and free. NULL is a no-op. */
void kp_engine_destroy(struct kp_engine *e);

/* clock_gettime(id) in nanoseconds (the engine's clock; the commands use it
 * for their progress line). */
int64_t kp_clock_ns(clockid_t id);

#endif
