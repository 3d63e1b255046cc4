/* SPDX-License-Identifier: BSD-2-Clause */
/* pacer.c — GCRA token bucket with exact integer arithmetic. See pacer.h.
 *
 * The bucket is represented by the theoretical arrival time (TAT) of the next
 * token at the nominal rate, kept as ns plus a fraction in units of 1/pps ns,
 * so 1e9/pps never rounds and the long-run rate is exact. A send at time now
 * conforms when now >= TAT - tau, where tau = (burst-1) * interval is how far
 * ahead of the nominal schedule a full bucket lets the sender be.
 */
#include "core/plan/pacer.h"

#include <errno.h>
#include <string.h>

#define NS_PER_S 1000000000ull

int kp_pacer_init(struct kp_pacer *p, uint32_t pps, uint32_t burst, uint32_t ceiling_pps)
{
    if (pps == 0 || burst == 0 || burst > KP_PACER_MAX_BURST)
        return -EINVAL;
    int clamped = 0;
    uint32_t ceil = KP_PACER_HARD_MAX_PPS;
    if (ceiling_pps != 0 && ceiling_pps < ceil)
        ceil = ceiling_pps;
    if (pps > ceil) {
        pps = ceil;
        clamped = 1;
    }
    memset(p, 0, sizeof(*p));
    p->pps = pps;
    p->burst = burst;
    p->interval_ns = (int64_t)(NS_PER_S / pps);
    p->interval_rem = (uint32_t)(NS_PER_S % pps);
    return clamped;
}

/* tau = (burst - 1) * interval as (ns, frac). */
static void tau_of(const struct kp_pacer *p, int64_t *tau_ns, uint32_t *tau_frac)
{
    uint64_t b1 = p->burst - 1u;
    uint64_t rem_total = b1 * p->interval_rem;
    *tau_ns = (int64_t)b1 * p->interval_ns + (int64_t)(rem_total / p->pps);
    *tau_frac = (uint32_t)(rem_total % p->pps);
}

/* The earliest conforming time as (ns, frac) with frac in [0, pps). */
static void earliest(const struct kp_pacer *p, int64_t *ns, uint32_t *frac)
{
    int64_t tau_ns;
    uint32_t tau_frac;
    tau_of(p, &tau_ns, &tau_frac);
    int64_t x = p->tat_ns - tau_ns;
    uint32_t f = p->frac;
    if (f < tau_frac) {
        f += p->pps;
        x -= 1;
    }
    f -= tau_frac;
    *ns = x;
    *frac = f;
}

static int64_t clock_in(struct kp_pacer *p, int64_t now_ns)
{
    if (!p->started) {
        p->started = 1;
        p->tat_ns = now_ns;
        p->frac = 0;
        p->last_now_ns = now_ns;
    }
    if (now_ns < p->last_now_ns)
        now_ns = p->last_now_ns;
    p->last_now_ns = now_ns;
    return now_ns;
}

static int64_t wait_for(const struct kp_pacer *p, int64_t now)
{
    int64_t x;
    uint32_t f;
    earliest(p, &x, &f);
    int64_t w = (now > x || (now == x && f == 0)) ? 0 : x - now + (f > 0 ? 1 : 0);
    if (p->min_gap_ns > 0 && p->sent > 0 && p->last_send_ns + p->min_gap_ns - now > w)
        w = p->last_send_ns + p->min_gap_ns - now;
    return w;
}

void kp_pacer_set_spacing(struct kp_pacer *p, unsigned share_pct)
{
    if (share_pct > 100)
        share_pct = 100;
    p->min_gap_ns = p->interval_ns * (int64_t)share_pct / 100;
}

int64_t kp_pacer_next(struct kp_pacer *p, int64_t now_ns)
{
    int64_t now = clock_in(p, now_ns);
    return wait_for(p, now);
}

void kp_pacer_restart(struct kp_pacer *p, int64_t now_ns)
{
    int64_t now = clock_in(p, now_ns);
    int64_t tau_ns;
    uint32_t tau_frac;
    tau_of(p, &tau_ns, &tau_frac);
    /* TAT - tau = now: conforming now, and not earlier */
    p->tat_ns = now + tau_ns;
    p->frac = tau_frac;
}

int64_t kp_pacer_take(struct kp_pacer *p, int64_t now_ns)
{
    int64_t now = clock_in(p, now_ns);
    int64_t w = wait_for(p, now);
    if (w > 0)
        return w;
    /* tat = max(tat, now) + interval */
    if (now > p->tat_ns || (now == p->tat_ns && p->frac == 0)) {
        p->tat_ns = now;
        p->frac = 0;
    }
    p->tat_ns += p->interval_ns;
    p->frac += p->interval_rem;
    if (p->frac >= p->pps) {
        p->frac -= p->pps;
        p->tat_ns += 1;
    }
    p->sent++;
    p->last_send_ns = now;
    return 0;
}
