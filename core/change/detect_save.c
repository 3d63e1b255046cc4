/* SPDX-License-Identifier: BSD-2-Clause */
/* detect_save.c — a change tracker (detect.h) as one line of text and back,
 * for `kptrace watch`'s checkpoint: the parser reads outside bytes (a file
 * that may be truncated or damaged) strictly; fuzz/fuzz_chg_track.c. */
#include "core/change/detect.h"

#include <errno.h>
#include <string.h>

/* ---- checkpoint line -------------------------------------------------------
 * "c1" then decimal integers separated by one space, in this order:
 *   phase fed status n_members named in_phase win_named removal_end
 *   first_new_end last_old_start last_named prev_named
 *   last_out_start[3] win_first_end[3] win_last_before[3] outcomes[3]
 *   per member: asn seen misses last_seen_start win_seen
 *   n_new, per new transit: asn seen misses first_end last_seen_start last_before
 *   n_evidence, per window trace: id transit outcome
 *   n_rare, per rare transit: asn named_first named_at first_end last_before
 * Only the members, new transits and window traces in use are written; the
 * rest of the tracker is zero. The line is canonical: a line load accepts is
 * the line save writes for what it loaded. */

struct wbuf {
    char *buf;
    size_t len;
    size_t pos; /* what the whole line needs so far */
};

static void put(struct wbuf *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, w->pos++)
        if (w->pos + 1 < w->len)
            w->buf[w->pos] = s[i];
}

static void put_u(struct wbuf *w, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(w, " ", 1);
    put(w, tmp + sizeof(tmp) - n, n);
}

static void put_i(struct wbuf *w, int64_t v)
{
    if (v >= 0) {
        put_u(w, (uint64_t)v);
        return;
    }
    put(w, " -", 2);
    uint64_t u = (uint64_t)0 - (uint64_t)v;
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    put(w, tmp + sizeof(tmp) - n, n);
}

int kp_chg_track_save(const struct kp_chg_track *t, char *buf, size_t len)
{
    struct wbuf w = {buf, len, 0};
    put(&w, "c1", 2);
    put_u(&w, (uint64_t)t->phase);
    put_u(&w, t->fed);
    put_u(&w, (uint64_t)t->state.status);
    put_u(&w, t->state.n);
    put_u(&w, t->named);
    put_u(&w, t->in_phase);
    put_u(&w, t->win_named);
    put_i(&w, t->removal_end_ns);
    put_i(&w, t->first_new_outcome_end_ns);
    put_i(&w, t->last_old_outcome_start_ns);
    put_i(&w, t->last_named_start_ns);
    put_i(&w, t->prev_named_start_ns);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        put_i(&w, t->last_out_start_ns[i]);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        put_i(&w, t->win_first_end_ns[i]);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        put_i(&w, t->win_last_before_ns[i]);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        put_u(&w, t->outcomes[i]);
    for (unsigned i = 0; i < t->state.n && i < KP_CHG_MAX_TRANSITS; i++) {
        const struct kp_chg_member *m = &t->members[i];
        put_u(&w, m->asn);
        put_u(&w, m->seen);
        put_u(&w, m->misses);
        put_i(&w, m->last_seen_start_ns);
        put_u(&w, m->win_seen);
    }
    put_u(&w, t->n_new);
    for (unsigned i = 0; i < t->n_new && i < KP_CHG_MAX_TRANSITS; i++) {
        put_u(&w, t->new_asn[i]);
        put_u(&w, t->new_seen[i]);
        put_u(&w, t->new_misses[i]);
        put_i(&w, t->new_first_end_ns[i]);
        put_i(&w, t->new_last_seen_start_ns[i]);
        put_i(&w, t->new_last_before_ns[i]);
    }
    put_u(&w, t->n_evidence);
    for (unsigned i = 0; i < t->n_evidence && i < KP_CHG_MAX_TRACES; i++) {
        put_u(&w, t->evidence[i]);
        put_u(&w, t->ev_transit[i]);
        put_u(&w, t->ev_outcome[i]);
    }
    put_u(&w, t->n_rare);
    for (unsigned i = 0; i < t->n_rare && i < KP_CHG_MAX_TRANSITS; i++) {
        put_u(&w, t->rare_asn[i]);
        put_u(&w, t->rare_named_first[i]);
        put_u(&w, t->rare_named_at[i]);
        put_i(&w, t->rare_first_end_ns[i]);
        put_i(&w, t->rare_last_before_ns[i]);
    }
    if (len > 0)
        buf[w.pos < len ? w.pos : len - 1] = '\0';
    return w.pos > INT32_MAX ? INT32_MAX : (int)w.pos;
}

struct rcur {
    const char *s;
    size_t len, pos;
    bool bad;
};

/* " " then a canonical decimal: no sign but one '-' for negatives, no
 * leading zeros, no "-0". */
static uint64_t get_mag(struct rcur *c, bool *neg)
{
    *neg = false;
    if (c->bad || c->pos >= c->len || c->s[c->pos] != ' ') {
        c->bad = true;
        return 0;
    }
    c->pos++;
    if (c->pos < c->len && c->s[c->pos] == '-') {
        *neg = true;
        c->pos++;
    }
    size_t start = c->pos;
    uint64_t v = 0;
    while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
        unsigned d = (unsigned)(c->s[c->pos] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            c->bad = true;
            return 0;
        }
        v = v * 10 + d;
        c->pos++;
    }
    size_t n = c->pos - start;
    if (n == 0 || (n > 1 && c->s[start] == '0') || (*neg && v == 0))
        c->bad = true;
    return v;
}

static uint64_t get_u(struct rcur *c, uint64_t max)
{
    bool neg;
    uint64_t v = get_mag(c, &neg);
    if (neg || v > max)
        c->bad = true;
    return c->bad ? 0 : v;
}

static uint32_t get_u32(struct rcur *c, uint32_t max)
{
    return (uint32_t)get_u(c, max);
}

static int64_t get_i(struct rcur *c)
{
    bool neg;
    uint64_t v = get_mag(c, &neg);
    if (c->bad || v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
        c->bad = true;
        return 0;
    }
    return neg ? (int64_t)(0 - v) : (int64_t)v;
}

static bool is_member(const struct kp_chg_track *t, uint32_t asn)
{
    for (unsigned i = 0; i < t->state.n; i++)
        if (t->members[i].asn == asn)
            return true;
    return false;
}

/* What the tracker's code relies on, beyond the ranges of the fields. */
static bool consistent(const struct kp_chg_track *t)
{
    if (t->phase == KP_CHG_WARMUP && t->state.n != 0)
        return false;
    if (t->phase == KP_CHG_STABLE && t->in_phase != 0)
        return false;
    if (t->fed < t->in_phase || t->win_named > t->in_phase)
        return false;
    if (t->phase == KP_CHG_SUSPECT && t->named < t->win_named)
        return false;
    uint64_t sum = 0;
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        sum += t->outcomes[i];
    if (sum != t->in_phase ||
        t->n_evidence != (t->in_phase < KP_CHG_MAX_TRACES ? t->in_phase : KP_CHG_MAX_TRACES))
        return false;
    for (unsigned i = 0; i < t->state.n; i++) {
        const struct kp_chg_member *m = &t->members[i];
        if (m->asn == 0 || (i > 0 && m->asn <= t->members[i - 1].asn) || m->seen > t->named ||
            m->win_seen > t->win_named || m->win_seen > m->seen)
            return false;
    }
    for (unsigned i = 0; i < t->n_new; i++) {
        if (t->new_asn[i] == 0 || t->new_seen[i] == 0 || t->new_seen[i] > t->win_named ||
            is_member(t, t->new_asn[i]))
            return false;
        for (unsigned j = 0; j < i; j++)
            if (t->new_asn[j] == t->new_asn[i])
                return false;
    }
    for (unsigned i = 0; i < t->n_rare; i++) {
        if (t->rare_asn[i] == 0 || t->rare_named_at[i] > t->named ||
            t->rare_named_first[i] > t->rare_named_at[i])
            return false;
        for (unsigned j = 0; j < i; j++)
            if (t->rare_asn[j] == t->rare_asn[i])
                return false;
    }
    return true;
}

int kp_chg_track_load(struct kp_chg_track *t, const char *s, size_t len)
{
    kp_chg_track_init(t);
    if (s == NULL || len < 2 || s[0] != 'c' || s[1] != '1')
        return -EBADMSG;
    struct rcur c = {s, len, 2, false};
    t->phase = (enum kp_chg_phase)get_u32(&c, KP_CHG_SUSPECT);
    t->fed = get_u(&c, UINT64_MAX);
    t->state.status = (enum kp_chg_status)get_u32(&c, KP_CHG_STATUS_COUNT - 1);
    t->state.n = get_u32(&c, KP_CHG_MAX_TRANSITS);
    t->named = get_u32(&c, UINT32_MAX);
    t->in_phase = get_u32(&c, KP_CHG_MAX_CONFIRM - 1);
    t->win_named = get_u32(&c, UINT32_MAX);
    t->removal_end_ns = get_i(&c);
    t->first_new_outcome_end_ns = get_i(&c);
    t->last_old_outcome_start_ns = get_i(&c);
    t->last_named_start_ns = get_i(&c);
    t->prev_named_start_ns = get_i(&c);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        t->last_out_start_ns[i] = get_i(&c);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        t->win_first_end_ns[i] = get_i(&c);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        t->win_last_before_ns[i] = get_i(&c);
    for (unsigned i = 0; i < KP_CHG_OUT_COUNT; i++)
        t->outcomes[i] = get_u32(&c, KP_CHG_MAX_CONFIRM);
    for (unsigned i = 0; i < t->state.n && !c.bad; i++) {
        struct kp_chg_member *m = &t->members[i];
        m->asn = get_u32(&c, UINT32_MAX);
        m->seen = get_u32(&c, UINT32_MAX);
        m->misses = get_u32(&c, UINT32_MAX);
        m->last_seen_start_ns = get_i(&c);
        m->win_seen = get_u32(&c, UINT32_MAX);
        t->state.transits[i] = m->asn;
    }
    t->n_new = get_u32(&c, KP_CHG_MAX_TRANSITS);
    for (unsigned i = 0; i < t->n_new && !c.bad; i++) {
        t->new_asn[i] = get_u32(&c, UINT32_MAX);
        t->new_seen[i] = get_u32(&c, UINT32_MAX);
        t->new_misses[i] = get_u32(&c, UINT32_MAX);
        t->new_first_end_ns[i] = get_i(&c);
        t->new_last_seen_start_ns[i] = get_i(&c);
        t->new_last_before_ns[i] = get_i(&c);
    }
    t->n_evidence = get_u32(&c, KP_CHG_MAX_TRACES);
    for (unsigned i = 0; i < t->n_evidence && !c.bad; i++) {
        t->evidence[i] = get_u(&c, UINT64_MAX);
        t->ev_transit[i] = get_u32(&c, UINT32_MAX);
        t->ev_outcome[i] = (uint8_t)get_u32(&c, KP_CHG_OUT_COUNT - 1);
    }
    t->n_rare = get_u32(&c, KP_CHG_MAX_TRANSITS);
    for (unsigned i = 0; i < t->n_rare && !c.bad; i++) {
        t->rare_asn[i] = get_u32(&c, UINT32_MAX);
        t->rare_named_first[i] = get_u32(&c, UINT32_MAX);
        t->rare_named_at[i] = get_u32(&c, UINT32_MAX);
        t->rare_first_end_ns[i] = get_i(&c);
        t->rare_last_before_ns[i] = get_i(&c);
    }
    if (c.bad || c.pos != len || !consistent(t)) {
        kp_chg_track_init(t);
        return -EBADMSG;
    }
    return 0;
}
