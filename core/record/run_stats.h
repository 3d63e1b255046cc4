/* SPDX-License-Identifier: BSD-2-Clause */
/* run_stats.h — what a run plans and what it counts: the ranges of targets
 * of a sweep and the counters the engine (prober/engine/engine.h) keeps while
 * it runs, which the run's checks (run_checks.h) and sweep.json read.
 *
 * Pure: plain data.
 */
#ifndef KP_RUN_STATS_H
#define KP_RUN_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/record/trace.h"

/* One range of targets: every address base .. base + count - 1. */
struct kp_target_range {
    uint32_t base; /* host order */
    uint32_t count;
    char name[KP_NAME_LEN]; /* the name the user gave ("" for prefixes) */
};

#define KP_ENGINE_ERRNO_MAX 160 /* errnos counted one by one; larger ones in the last */

struct kp_engine_stats {
    uint64_t jobs;          /* traces planned in this run (targets x methods, less done) */
    uint64_t started, done; /* traces started / whose tracer finished */
    uint64_t probes_sent;   /* handed to the kernel */
    uint64_t send_errors;   /* sends refused for good (the trace stops: "error"),
                               and traces given up after refusals beyond --fault-wait */
    uint64_t send_retries;  /* sends refused for a moment (backoff.h: no route, link
                               down, buffer full, firewall): the same probe goes
                               again after a global pause */
    uint64_t send_errno[KP_ENGINE_ERRNO_MAX]; /* refused sends by errno (both kinds) */
    uint64_t send_faults;      /* faults of the network (the first refused send to the
                                  next one that went through, or to the end of the run) */
    int64_t send_fault_ns;     /* their total length */
    int64_t send_fault_max_ns; /* the longest */
    int64_t fault_now_ns;      /* the fault going on: how long so far (0 none) */
    int fault_errno;           /* its last errno */
    uint64_t probes_at_fault;  /* probes sent in the 100 ms before a fault began: a link
                                  going down may drop them without a word */
    /* capture: errors of the live capture (the interface went down or away)
     * and the gaps they left: from the error to the next frame captured */
    uint64_t cap_errors, cap_reopens, cap_gaps;
    int64_t cap_gap_ns;
    uint64_t probes_saved;      /* Doubletree: probes not sent */
    uint64_t traces_written;    /* records of planned traces delivered to on_trace */
    uint64_t records_unplanned; /* records whose trace id was not started by this run
                                   with that destination and method, or came a second
                                   time (a split): delivered, and counted here */
    /* planned traces without a record, by reason */
    uint64_t skipped_not_started;            /* the run stopped before it started them */
    uint64_t skipped_not_sent;               /* started, but no probe of theirs left */
    uint64_t skipped_not_captured;           /* probes sent, but the capture holds none of them */
    uint64_t cap_recv, cap_drop, cap_ifdrop; /* pcap_stats */
    uint64_t capture_write_errors;           /* frames that could not be written to the file */
    uint64_t rx_probes;                      /* this run's probes in the capture */
    uint64_t rx_probes_foreign;              /* other runs' probes in the capture (left out) */
    uint64_t rx_replies_in; /* reply frames: = replies + ignored + unmatched + rejected */
    uint64_t rx_replies, rx_unmatched, rx_rejected, rx_late;
    uint64_t rx_replies_ignored; /* the same reply frame twice, replies after the linger,
                                    replies fitting several probes, or lost for memory */
    uint64_t rx_traces_split, rx_traces_forced; /* rx.h: should stay 0 for the prober */
    uint64_t frames;
    uint64_t active_max;      /* most traces running at once */
    int64_t late_end_ns;      /* how long past the wait of its last unanswered probes the
                                 end of the run waits for late replies (--late, or as far
                                 as this run's replies came late: engine.h late_end_auto) */
    int64_t start_ns, end_ns; /* CLOCK_REALTIME */
    int64_t last_probe_ns;    /* CLOCK_REALTIME of the last probe sent, 0 none */
    uint64_t next_id;         /* the first trace id not given to a trace yet */
    bool interrupted;
    bool sender_realtime;  /* the sending thread ran SCHED_FIFO (prober/sys/rtsched.h) */
    int64_t wake_early_ns; /* at the end: how long before a send its sleep ended */
    bool send_link;        /* --send-via link (prober/sys/net_link.h) */
    uint64_t via_link;     /* probes sent on the packet socket ... */
    uint64_t via_ip;       /* ... and the IP way */
    char ts_source[16];
};

#endif
