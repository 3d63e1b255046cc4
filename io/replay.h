/* SPDX-License-Identifier: BSD-2-Clause */
/* replay.h — rebuild traceroutes from capture files through the live receive
 * path.
 *
 * kp_replay_files() reads each capture with io/pcap_file.c and hands every
 * frame, with its own capture timestamp, to one kp_rx (core/rx/rx.h) configured
 * with kptrace's own probe classifier followed by the foreign ones
 * (core/codec/classify.h). Closed traces go to the caller's callback as they
 * close, so memory is bounded by the traces open at once, never by the file
 * size. Used by `kptrace replay` (prober/cmd/cmd_replay.c) and by kpannotate, which
 * accepts a capture file as input.
 *
 * Library code: no printing, no exit.
 */
#ifndef KP_REPLAY_H
#define KP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/codec/identity.h"
#include "core/rx/rx.h"
#include "core/record/trace.h"

struct kp_replay_opts {
    const char *vp;        /* vantage point id written into every record; NULL/"" = none */
    const char *ts_source; /* written into every record; NULL = "pcap" */
    /* Parameters of the kptrace run that made the capture (kptrace's probes do
     * not carry them): from the sweep's sweep.json (kp_replay_read_sweep_json)
     * or the command line; fields left 0 are unknown. */
    struct kp_rx_run run;
    /* The run's identity key (core/codec/identity.h; kptrace derives it from its
     * seed). When set, every reply to a kptrace probe is checked with it as
     * the live run does (rx_kptrace.h: kp_rx_kptrace_validate), so the
     * records are the same; NULL: replies are matched by their quote only.
     * Borrowed; must outlive the call. */
    const struct kp_key *key;
    /* Classifiers to use, in order; NULL = kp_replay_default_classifiers(). */
    const struct kp_rx_classifier *const *classifiers;
    size_t n_classifiers;
    int64_t linger_ns;      /* rx linger (0 = rx default) */
    size_t max_open_traces; /* 0 = rx default */
    size_t max_held;        /* rx max_held: 0 = KP_REPLAY_MAX_HELD, SIZE_MAX = no limit */
};

/* The probes plus hops open traces may hold in a replay (kp_rx_config.max_held):
 * about 800 MB. A capture of a long mtr run keeps all its traces open; past
 * this, the trace idle longest is closed early and counted (traces_forced). */
#define KP_REPLAY_MAX_HELD ((size_t)1 << 22)

struct kp_replay_stats {
    uint64_t files;          /* files read (opened as captures) */
    uint64_t files_cut;      /* files that ended in a cut or corrupt record */
    uint64_t frames;         /* frames read */
    uint64_t frames_snapped; /* frames with caplen < wire length (pcap header) */
    uint64_t bytes;          /* captured bytes read */
    uint64_t traces;         /* traces delivered */
    uint64_t trace_probes;   /* probes in the traces delivered (their probes_sent) */
    uint64_t trace_hops;     /* hops in the traces delivered */
    struct kp_rx_stats rx;   /* rx's counters at the end */
};

/* Whether a finished replay's counts reconcile: every frame read was handed
 * to rx and counted once, as a probe, a recorded reply or one of the reasons
 * a frame is not used (rx.frames = probes + probes_dup + probes_foreign +
 * replies + replies_lost + dup_frames + expired + rejected + ambiguous + unmatched +
 * other + truncated + malformed + unsupported + fragments); every probe is
 * in exactly one delivered trace (trace_probes = rx.probes) and every
 * recorded reply is one of their hops (trace_hops = rx.replies); every trace
 * opened was delivered. Returns 0, or -1 with msg (msglen bytes) naming the
 * counts that disagree. A mismatch is a bug, never the input's fault. */
int kp_replay_reconcile(const struct kp_replay_stats *st, char *msg, size_t msglen);

/* Set *o to defaults: everything 0/NULL, and run = kptrace's defaults for a
 * sweep (first TTL 1, max TTL 30, 2 attempts, gap limit 5, wait 1000 ms; see
 * prober/cmd/options.c), the parameters a capture of unknown origin most likely
 * used. */
void kp_replay_opts_init(struct kp_replay_opts *o);

/* What a sweep's sweep.json says about its run. */
struct kp_replay_sweep {
    struct kp_rx_run run;      /* options.first_ttl, max_ttl, attempts, gap_limit, wait_ms */
    char vp[KP_VP_LEN];        /* vp */
    char ts_source[KP_TS_LEN]; /* capture.ts_source */
    uint64_t seed;             /* options.seed (derives the identity key) */
    bool has_seed;
};

/* Read a sweep's sweep.json into *out. Members missing from the file leave
 * the corresponding outputs as the caller set them (has_seed false when no
 * seed). Returns 0, -errno when the file cannot be read, or -EINVAL when it
 * is not a sweep description (err says which member is wrong). */
int kp_replay_read_sweep_json(const char *path, struct kp_replay_sweep *out, char *err,
                              size_t errlen);

/* The sweep.json beside a capture (same directory), written into out
 * (outlen bytes). 0 when it exists, -ENOENT otherwise (or -ENAMETOOLONG). */
int kp_replay_sweep_json_for(const char *capture_path, char *out, size_t outlen);

/* The default classifier list: kptrace's own first, then
 * kp_foreign_classifiers. Returns a pointer to static const data and sets *n. */
const struct kp_rx_classifier *const *kp_replay_default_classifiers(size_t *n);

/* Replay the captures paths[0..n) in order, as one stream (traces may span
 * files, e.g. a capture rotated by tcpdump -C). on_trace is called with each
 * closed trace (see kp_rx_config.on_trace for what it may take); ctx is passed
 * through. *stats (may be NULL) is filled even on error.
 *
 * Returns 0 when the files were read (a file whose end is cut or corrupt
 * still counts as read: its frames up to the damage are used, files_cut
 * counts it, err says where, and reading stops there: the files after it are
 * not read), -ENOENT/-EACCES/... when a file cannot be opened, or -EINVAL
 * when a file is not a capture (err names the file and the offset), or
 * -ENOMEM. Reading stops at the first unreadable file; traces already open
 * are still delivered. err (errlen bytes, KP_PCAP_ERRLEN is enough) holds the
 * last problem met, "" if none. */
int kp_replay_files(const char *const *paths, size_t n, const struct kp_replay_opts *o,
                    void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                    struct kp_replay_stats *stats, char *err, size_t errlen);

/* One file: kp_replay_files(&path, 1, ...). */
int kp_replay_file(const char *path, const struct kp_replay_opts *o,
                   void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                   struct kp_replay_stats *stats, char *err, size_t errlen);

/* Replay an open stream (taken over and closed, also on failure); `name`
 * names it in messages. Same results as kp_replay_file. Used by the fuzz
 * target over fmemopen. */
int kp_replay_stream(FILE *fp, const char *name, const struct kp_replay_opts *o,
                     void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                     struct kp_replay_stats *stats, char *err, size_t errlen);

#endif
