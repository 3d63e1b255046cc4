/* SPDX-License-Identifier: BSD-2-Clause */
/* backoff.c — the sender's global pause. See backoff.h. */
#include "core/plan/backoff.h"

#include <errno.h>
#include <stdio.h>

void kp_backoff_init(struct kp_backoff *b, int64_t min_ns, int64_t max_ns, int64_t limit_ns)
{
    *b = (struct kp_backoff){
        .min_ns = min_ns > 0 ? min_ns : 1,
        .max_ns = max_ns,
        .limit_ns = limit_ns > 0 ? limit_ns : 0,
    };
    if (b->max_ns < b->min_ns)
        b->max_ns = b->min_ns;
}

bool kp_backoff_fail(struct kp_backoff *b, int64_t now_ns)
{
    b->failures++;
    if (!b->faulty) {
        b->faulty = true;
        b->since_ns = now_ns;
        b->pause_ns = b->min_ns;
    } else {
        b->pause_ns = b->pause_ns > b->max_ns / 2 ? b->max_ns : 2 * b->pause_ns;
    }
    b->until_ns = now_ns + b->pause_ns;
    return b->limit_ns > 0 && now_ns - b->since_ns > b->limit_ns;
}

bool kp_backoff_ok(struct kp_backoff *b, int64_t now_ns)
{
    if (!b->faulty)
        return false;
    int64_t d = now_ns > b->since_ns ? now_ns - b->since_ns : 0;
    b->faults++;
    b->faulted_ns += d;
    if (d > b->longest_ns)
        b->longest_ns = d;
    b->faulty = false;
    b->pause_ns = 0;
    b->until_ns = 0;
    return true;
}

int64_t kp_backoff_fault_ns(const struct kp_backoff *b, int64_t now_ns)
{
    return b->faulty && now_ns > b->since_ns ? now_ns - b->since_ns : 0;
}

bool kp_send_error_transient(int err)
{
    switch (-err) {
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case ENOBUFS:
    case EAGAIN:
    case ENOMEM:
    case EINTR:
    case EPERM:
    case EACCES:
    case ENODEV:
    case ENXIO:
        return true;
    default:
        return false;
    }
}

const char *kp_errno_name(int errnum, char *buf, unsigned buflen)
{
    static const struct {
        int e;
        const char *name;
    } names[] = {
        {ENETUNREACH, "ENETUNREACH"},
        {EHOSTUNREACH, "EHOSTUNREACH"},
        {ENETDOWN, "ENETDOWN"},
        {ENOBUFS, "ENOBUFS"},
        {EAGAIN, "EAGAIN"},
        {ENOMEM, "ENOMEM"},
        {EINTR, "EINTR"},
        {EPERM, "EPERM"},
        {EACCES, "EACCES"},
        {ENODEV, "ENODEV"},
        {ENXIO, "ENXIO"},
        {EMSGSIZE, "EMSGSIZE"},
        {EINVAL, "EINVAL"},
        {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
        {ENOTCONN, "ENOTCONN"},
        {EIO, "EIO"},
    };
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].e == errnum)
            return names[i].name;
    snprintf(buf, buflen, "E%d", errnum);
    return buf;
}
