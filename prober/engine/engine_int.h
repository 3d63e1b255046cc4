/* SPDX-License-Identifier: BSD-2-Clause */
/* engine_int.h — the engine's state and the functions its files share
 * (engine.c: set-up, the run and tear-down; engine_send.c: the sending
 * thread's plan, pacing and sends; engine_rx.c: the receive thread and the
 * hand-over between the two). Not for use outside prober/engine/. */
#ifndef KP_ENGINE_INT_H
#define KP_ENGINE_INT_H

#include "prober/engine/engine.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include "core/plan/admit.h"
#include "core/plan/backoff.h"
#include "prober/sys/capture.h"
#include "core/codec/identity.h"
#include "core/plan/jobs.h"
#include "core/methods/method.h"
#include "prober/sys/net_raw.h"
#include "prober/sys/rtsched.h"
#include "core/plan/lateness.h"
#include "core/plan/pacer.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "core/plan/schedule.h"
#include "core/plan/stopset.h"
#include "core/record/trace_owner.h"
#include "core/plan/tracer.h"

#define TICK_NS     100000000LL /* rx tick and poll ceiling: 100 ms */
#define PROGRESS_NS 250000000LL
#define MAX_ACTIVE  65536u /* the marker's 16-bit slot */
#define BATCH       64u    /* probes per sendmmsg */
#define PKT_MAX     1600u
#define AHEAD       8u          /* traces picked ahead of the probe being built */
#define TPL_MAX     96u         /* probes up to this size keep a template (all default sizes) */
#define BACKOFF_MIN 1000000LL   /* 1 ms: first pause after a transient send error */
#define BACKOFF_MAX 100000000LL /* 100 ms: a fault's end is noticed within this */
#define CAPTURE_LAG (4LL * KP_CAPTURE_BLOCK_MS * 1000000LL) /* frames still in the ring */
#define FINAL_DRAIN 500000000LL /* at most this long for the capture to show our last probes */
#define WAKE_EARLY  20000LL     /* a sleep before a send ends at least this much before it */
#define LATE_BUCKET 2000LL      /* engine_wake_tune: lateness histogram of 2 us buckets, */
#define LATE_WINDOW 4096u       /* halved every 4096 sleeps */
#define LATE_TUNE   64u         /* the wake-up recomputed every 64 sleeps */
#define SPACING_PCT 80u         /* two sends at least 80 % of the interval apart (pace_spacing) */
#define RT_PRIO     20          /* SCHED_FIFO priority of the sending thread (rtsched.h) */
#define RT_MIN_GAP  50000LL     /* ... while the interval is at least 50 us (kp_engine_open) */
#define WORK_MARGIN 10000LL     /* other work stops this long before a send is due */
#define AT_FAULT_NS 100000000LL /* probes sent this long before a fault may be lost with it */
#define SENT_RING   256u        /* recent batches: (time, probes sent so far) */

/* A running trace. A sweep sends to thousands of them in random order, each
 * cold in the cache: the whole of it is fetched ahead of its send
 * (ahead_fetch), and a send reads nothing else of the trace (not its
 * owner's ledger entry, another cold object: the id and the count of probes
 * sent are kept here). */
struct active {
    struct kp_trace_owner *own; /* ledger entry (id, dst, method, job) */
    uint32_t slot, handle;
    uint32_t id;   /* the owner's id as probes carry it (32 bits) */
    uint32_t sent; /* its probes the kernel took (for the ledger: finish_active) */
    struct kp_addr dst;
    uint8_t mi;
    bool pilot, released;
    uint8_t dst_ttl;     /* lowest TTL the destination answered, 0 none */
    uint8_t unreach_ttl; /* lowest TTL of a stopping unreachable, 0 none */
    uint16_t tpl_len;    /* its first probe (tpl), patched for the next ones (0: none) */
    const struct kp_method_ops *m;
    struct kp_tracer tr;
    uint64_t router_mask; /* TTLs answered by routers */
    uint32_t bucket;
    int64_t fail_since; /* CLOCK_MONOTONIC of its first refused send since one went
                           through (0 none): beyond --fault-wait the trace stops */
    uint8_t tpl[TPL_MAX];
};

/* Traces picked from the schedule (TAKEN there) before their turn, a ring. */
struct ahead {
    struct active *a[AHEAD];
    uint32_t h[AHEAD];
    unsigned head, n;
};

struct pending {
    struct active *a;
    struct kp_tracer_probe pr;
    uint32_t handle;
};

/* A matched reply, as the receive thread hands it to the sending one. */
struct reply_ev {
    uint64_t id;
    struct kp_addr dst, from;
    uint8_t ttl, attempt;
    bool from_dst;
    enum kp_rx_kind kind;
    enum kp_stop stop;
    int64_t rtt_ns; /* < 0 unknown */
};

/* What the receive thread passes on: replies and closed records, in the
 * order rx produced them, and its counters. */
struct handover {
    struct reply_ev *ev;
    size_t n_ev, cap_ev;
    struct kp_trace **rec;
    size_t n_rec, cap_rec;
};

struct kp_engine {
    struct kp_engine_config cfg;
    const struct kp_engine_params *par; /* &cfg.params */
    struct kp_engine_stats st;
    const struct kp_method_ops *methods[KP_ENGINE_MAX_METHODS];
    struct kp_key key;
    struct kp_admit *adm;
    struct kp_slots slots;
    struct active **act; /* indexed by slot */
    uint32_t n_active, max_active, next_id;
    bool admit_end;
    struct kp_stopset stopsets[KP_ENGINE_MAX_METHODS];
    struct kp_trace_owners owners; /* traces in flight: id -> what they trace */
    struct kp_schedule *sched;
    struct kp_pacer pacer;
    struct kp_rx *rx;
    struct kp_raw raw;
    struct kp_capture cap;
    bool opened;
    int64_t mono_now;
    int64_t end_by;       /* CLOCK_MONOTONIC: a reply to a finished trace may come until then */
    int64_t late_seen_ns; /* the latest reply's lateness (rtt - wait), 0 = none late */
    struct kp_backoff bo; /* the global pause while the network refuses sends */
    int64_t ring_t[SENT_RING];  /* CLOCK_MONOTONIC of recent batches that went out */
    uint64_t ring_n[SENT_RING]; /* probes sent before each of them */
    uint32_t ring_head;
    uint64_t at_fault_upto;  /* probes_sent when probes_at_fault was last counted */
    int64_t late_typical;    /* how late sends typically leave after a sleep (wake_tune) */
    struct kp_lateness late; /* how late the sleeps before a send end (engine_wake_tune) */
    int64_t wake_early;      /* a sleep before a send ends this much before it */
    uint32_t late_n;         /* sleeps measured since wake_early was last set */
    bool realtime;           /* the opening thread runs SCHED_FIFO (kp_engine_open) */
    bool spacing;            /* the pacer spaces its sends (pace_spacing) */
    uint8_t *pkts;           /* BATCH x PKT_MAX */
    struct kp_raw_pkt batch[BATCH];
    struct pending pend[BATCH];
    struct ahead ahead; /* engine_send.c: picked, not yet built */
    int fail_rc;
    char fail_msg[256];
    char err[256];
    /* The receive thread: the capture and rx are its own once it runs. It
     * stages replies and records (stage), moves them into `shared` under
     * `mu` and wakes the sending thread through `efd`; the sending thread
     * swaps `shared` with its own empty `mine` and works through it. */
    pthread_t rx_thread;
    bool rx_started;
    pthread_mutex_t mu;
    int efd;
    int end_efd; /* the sending thread wakes the receive thread's wait with it: the end */
    struct handover stage, shared, mine;
    size_t mine_pos;              /* records of `mine` worked through (engine_take_over) */
    int64_t send_took;            /* how long the last engine_send_some took */
    bool admit_more;              /* engine_admit stopped for time, not for want of room */
    struct kp_rx_stats rs_shared; /* rx's counters, as last handed over */
    uint64_t frames_shared, cap_recv_shared, cap_drop_shared, cap_ifdrop_shared;
    uint64_t frames;                 /* receive thread */
    int rx_err, cap_err;             /* set by the receive thread (under mu) */
    bool rx_done;                    /* under mu: the receive thread delivered everything */
    atomic_bool rx_end;              /* the sending thread asks it to finish */
    atomic_uint_fast64_t sent_total; /* probes handed to the kernel */
    int64_t rx_end_at;               /* CLOCK_MONOTONIC when rx_end was set */
    /* The capture's faults (receive thread): an error of the live capture
     * (the interface went away) opens a gap, which ends when the interface
     * is back (reopened when it is a new one); the sending thread sends
     * nothing meanwhile (cap_down), and a gap beyond --fault-wait ends the
     * run. */
    char filter[128];
    unsigned cap_ifindex;             /* the interface's index when opened */
    int64_t cap_gap_since, cap_tried; /* CLOCK_MONOTONIC, 0 none */
    uint64_t cap_errors, cap_reopens, cap_gaps;
    int64_t cap_gap_ns;
    char cap_msg[256];   /* the capture's last error */
    char cap_fatal[400]; /* under mu: why the capture gave up */
    atomic_bool cap_down;
    bool cap_down_seen; /* sending thread: it saw cap_down */
    uint64_t cap_errors_shared, cap_reopens_shared, cap_gaps_shared;
    int64_t cap_gap_ns_shared;
};

__attribute__((format(printf, 4, 5))) static inline int fail(char *err, size_t errlen, int rc,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static inline int64_t wait_ns(const struct kp_engine_params *par)
{
    return (int64_t)par->wait_ms * 1000000LL;
}

static inline int64_t linger_ns(const struct kp_engine_params *par)
{
    return wait_ns(par) + (int64_t)par->late_ms * 1000000LL;
}

/* How long past the wait of its last unanswered probes the end waits for
 * late replies: late_ms, or with late_end_auto twice the latest lateness
 * seen, at most late_ms. */
static inline int64_t late_window(const struct kp_engine *e)
{
    int64_t late = (int64_t)e->par->late_ms * 1000000LL;
    if (!e->par->late_end_auto || 2 * e->late_seen_ns >= late)
        return late;
    return 2 * e->late_seen_ns;
}

/* When the run may end once every trace is done: end_by (the last
 * unanswered probe's wait + late) less the part of late not waited for. */
static inline int64_t end_at(const struct kp_engine *e)
{
    if (e->end_by == 0)
        return 0;
    return e->end_by - ((int64_t)e->par->late_ms * 1000000LL - late_window(e));
}

/* Whether work bounded by `until` (engine_work_until) stops before its
 * k-th item: never before the first, never when until is INT64_MAX. */
static inline bool work_past(int64_t until, unsigned k)
{
    return k > 0 && until != INT64_MAX && kp_clock_ns(CLOCK_MONOTONIC) >= until;
}

/* engine_send.c: the sending thread */
void engine_take_record(struct kp_engine *e, struct kp_trace *t);
void engine_take_reply(struct kp_engine *e, const struct reply_ev *r);
int engine_admit(struct kp_engine *e, int64_t until, char *err, size_t errlen);
int64_t engine_work_until(struct kp_engine *e, bool makes_work);
int engine_send_some(struct kp_engine *e, char *err, size_t errlen);
void engine_pace_spacing(struct kp_engine *e);
void engine_wake_tune(struct kp_engine *e, int64_t over);
void engine_stop_all(struct kp_engine *e);

/* engine_rx.c: the receive thread and the hand-over */
void engine_on_trace(void *ctx, struct kp_trace *t);
void engine_on_reply(void *ctx, const struct kp_rx_reply *r);
void *engine_rx_main(void *arg);
void engine_copy_stats(struct kp_engine *e);
bool engine_take_over(struct kp_engine *e, int64_t until);
void engine_handover_free(struct handover *h);

#endif
