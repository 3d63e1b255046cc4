/* SPDX-License-Identifier: BSD-2-Clause */
/* backoff.h — the sender's global pause while the network refuses its sends.
 *
 * A vantage point's network fails for a while: the link goes down, the
 * default route disappears while DHCP renews, a firewall refuses, the
 * socket's buffer is full. Sends then fail with an errno that says "not
 * now" (kp_send_error_transient). The engine stops sending altogether (a
 * global pause, not one per probe: every probe would meet the same fault),
 * keeps the refused probe for later, and tries again after a pause that
 * doubles from min_ns up to max_ns. The first send that goes through ends
 * the fault. A fault that lasts longer than limit_ns (--fault-wait) ends the
 * run.
 *
 * Pure, plain data: time is passed in (any monotonic ns clock), no
 * allocation, no globals.
 */
#ifndef KP_BACKOFF_H
#define KP_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct kp_backoff {
    int64_t min_ns, max_ns; /* first pause, longest pause */
    int64_t limit_ns;       /* longest fault before giving up (0 = never) */
    int64_t since_ns;       /* when the current fault began (its first failure) */
    int64_t pause_ns;       /* the current pause (0: no fault) */
    int64_t until_ns;       /* no send before this */
    bool faulty;            /* a fault is going on */
    /* over the run */
    uint64_t faults;    /* faults that ended (a send went through after them) */
    int64_t faulted_ns; /* their total length, first failure to first success */
    int64_t longest_ns; /* the longest of them */
    uint64_t failures;  /* failed sends */
};

/* min_ns > 0, max_ns >= min_ns; limit_ns 0 = no limit. */
void kp_backoff_init(struct kp_backoff *b, int64_t min_ns, int64_t max_ns, int64_t limit_ns);

/* A send failed for a transient reason at now_ns: the pause starts (or
 * doubles, up to max_ns) and until_ns is set. Returns true when the fault
 * has now lasted longer than limit_ns (the caller gives up). */
bool kp_backoff_fail(struct kp_backoff *b, int64_t now_ns);

/* A send went through at now_ns. Returns true when that ended a fault (the
 * caller restarts its pacing from now, without a catch-up). */
bool kp_backoff_ok(struct kp_backoff *b, int64_t now_ns);

/* Whether sending is paused at now_ns. */
static inline bool kp_backoff_paused(const struct kp_backoff *b, int64_t now_ns)
{
    return b->faulty && now_ns < b->until_ns;
}

/* How long the current fault has lasted at now_ns (0: none). */
int64_t kp_backoff_fault_ns(const struct kp_backoff *b, int64_t now_ns);

/* Whether a send that failed with -err (a negative errno) may work again
 * later: ENETUNREACH, EHOSTUNREACH, ENETDOWN (no route, the link is down),
 * ENOBUFS, EAGAIN, ENOMEM, EINTR (the buffer is full), EPERM, EACCES (a
 * firewall rule refused it), ENODEV, ENXIO (the interface is gone: it may
 * come back). Anything else (EMSGSIZE, EINVAL, ...) is about the probe
 * itself and stops its trace. */
bool kp_send_error_transient(int err);

/* The errno's symbolic name ("ENETUNREACH") for counts by errno; "E<n>"
 * written into buf for one without a name here. */
const char *kp_errno_name(int errnum, char *buf, unsigned buflen);

#endif
