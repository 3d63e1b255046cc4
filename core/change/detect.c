/* SPDX-License-Identifier: BSD-2-Clause */
/* detect.c — the set-based change detector of detect.h: warm-up, stable,
 * suspect; a member's miss threshold from its share; the window's verdict
 * and the onset interval of an event. docs/change-detection.md gives the
 * rules and the numbers behind them. Pure: no I/O, no clock, no allocation. */
#include "core/change/detect.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void kp_chg_params_default(struct kp_chg_params *p)
{
    p->confirm = 8;
    p->min_seen = 2;
    p->miss_p = 1e-7;
}

int kp_chg_params_check(const struct kp_chg_params *p)
{
    if (p == NULL || p->confirm < 1 || p->confirm > KP_CHG_MAX_CONFIRM || p->min_seen < 1 ||
        p->min_seen > p->confirm || !(p->miss_p > 0.0 && p->miss_p < 1.0))
        return -EINVAL;
    return 0;
}

void kp_chg_track_init(struct kp_chg_track *t)
{
    memset(t, 0, sizeof(*t));
    t->phase = KP_CHG_WARMUP;
}

enum kp_chg_phase kp_chg_phase(const struct kp_chg_track *t)
{
    return t->phase;
}

const struct kp_chg_state *kp_chg_current(const struct kp_chg_track *t)
{
    return t->phase == KP_CHG_WARMUP ? NULL : &t->state;
}

unsigned kp_chg_wanted(const struct kp_chg_track *t, const struct kp_chg_params *p)
{
    if (t->phase == KP_CHG_STABLE || t->in_phase >= p->confirm)
        return 0;
    return p->confirm - t->in_phase;
}

bool kp_chg_state_eq(const struct kp_chg_state *a, const struct kp_chg_state *b)
{
    if (a->status != b->status || a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->transits[i] != b->transits[i])
            return false;
    return true;
}

static const char *const status_names[KP_CHG_STATUS_COUNT] = {"reached", "filtered", "incomplete",
                                                              "dark"};

const char *kp_chg_status_name(enum kp_chg_status s)
{
    return (unsigned)s < KP_CHG_STATUS_COUNT ? status_names[s] : "?";
}

int kp_chg_status_from_name(const char *s)
{
    for (int i = 0; s != NULL && i < KP_CHG_STATUS_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

const char *kp_chg_phase_name(enum kp_chg_phase p)
{
    switch (p) {
    case KP_CHG_WARMUP:
        return "warmup";
    case KP_CHG_STABLE:
        return "stable";
    case KP_CHG_SUSPECT:
        return "suspect";
    }
    return "?";
}

/* ---- rules ---------------------------------------------------------------- */

/* The outcome a status is made of: its "signature". */
static enum kp_chg_outcome signature(enum kp_chg_status s)
{
    return s == KP_CHG_REACHED    ? KP_CHG_OUT_DST
           : s == KP_CHG_FILTERED ? KP_CHG_OUT_FILTERED
                                  : KP_CHG_OUT_STOPPED;
}

/* How positive a status' evidence is: a destination answer cannot be
 * produced by loss, an admin-prohibited answer hardly, silence easily. */
static int rank(enum kp_chg_status s)
{
    return s == KP_CHG_REACHED ? 2 : s == KP_CHG_FILTERED ? 1 : 0;
}

static bool contradicts(enum kp_chg_status s, enum kp_chg_outcome o)
{
    return o != signature(s);
}

/* The status of a warm-up or window from its outcomes; prev is the status
 * in force (KP_CHG_INCOMPLETE at warm-up). */
static enum kp_chg_status window_status(const uint32_t out[KP_CHG_OUT_COUNT], uint32_t total,
                                        enum kp_chg_status prev)
{
    if (out[KP_CHG_OUT_DST] > 0)
        return KP_CHG_REACHED;
    if (total > 0 && 2 * (uint64_t)out[KP_CHG_OUT_FILTERED] >= total)
        return KP_CHG_FILTERED;
    return prev == KP_CHG_INCOMPLETE ? KP_CHG_INCOMPLETE : KP_CHG_DARK;
}

/* The number of consecutive misses after which a member is improbably still
 * there: k = ceil(log(miss_p) / log(1 - p)), 3..KP_CHG_MAX_MISS, with
 * p = seen / max(named, confirm) (fewer than `confirm` traces naming a
 * transit count the missing ones as misses: p can only be underestimated,
 * k only overestimated). */
static uint32_t miss_limit(const struct kp_chg_member *m, uint32_t named,
                           const struct kp_chg_params *p)
{
    uint32_t base = named > p->confirm ? named : p->confirm;
    if (m->seen >= base)
        return 3;
    if (m->seen == 0)
        return KP_CHG_MAX_MISS;
    double q = (double)m->seen / (double)base;
    double k = ceil(log(p->miss_p) / log1p(-q));
    if (!(k < KP_CHG_MAX_MISS))
        return KP_CHG_MAX_MISS;
    return k < 3 ? 3 : (uint32_t)k;
}

/* An addition the window shows with s sightings among w traces naming a
 * transit, after n such traces of the state that did not show it: could the
 * transit have been there all along, at the share the window shows, unseen
 * by chance ((1 - q)^n >= miss_p, q = (s - 1) / (w - 1): the sighting that
 * opened the window is not counted)? Then the state was seen partially and
 * the addition completes it without an event. */
static bool plausibly_unseen(uint32_t n, uint32_t s, uint32_t w, double miss_p)
{
    if (w <= 1 || s <= 1)
        return true;
    double q = (double)(s - 1) / (double)(w - 1);
    if (q >= 1.0)
        return n == 0;
    return (double)n * log1p(-q) >= log(miss_p);
}

static int member_index(const struct kp_chg_track *t, uint32_t asn)
{
    for (unsigned i = 0; i < t->state.n; i++)
        if (t->members[i].asn == asn)
            return (int)i;
    return -1;
}

static bool state_has(const struct kp_chg_state *s, uint32_t asn)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->transits[i] == asn)
            return true;
    return false;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* min, where 0 means "none yet" */
static int64_t first64(int64_t cur, int64_t v)
{
    return cur == 0 || v < cur ? v : cur;
}

static void clear_window(struct kp_chg_track *t)
{
    t->in_phase = 0;
    t->n_new = 0;
    memset(t->new_asn, 0, sizeof(t->new_asn));
    memset(t->new_seen, 0, sizeof(t->new_seen));
    memset(t->new_first_end_ns, 0, sizeof(t->new_first_end_ns));
    memset(t->new_misses, 0, sizeof(t->new_misses));
    memset(t->new_last_seen_start_ns, 0, sizeof(t->new_last_seen_start_ns));
    memset(t->new_last_before_ns, 0, sizeof(t->new_last_before_ns));
    memset(t->outcomes, 0, sizeof(t->outcomes));
    t->win_named = 0;
    memset(t->win_first_end_ns, 0, sizeof(t->win_first_end_ns));
    memset(t->win_last_before_ns, 0, sizeof(t->win_last_before_ns));
    t->n_evidence = 0;
    memset(t->evidence, 0, sizeof(t->evidence));
    memset(t->ev_transit, 0, sizeof(t->ev_transit));
    memset(t->ev_outcome, 0, sizeof(t->ev_outcome));
    for (unsigned i = 0; i < KP_CHG_MAX_TRANSITS; i++)
        t->members[i].win_seen = 0;
}

/* ---- one trace ------------------------------------------------------------ */

/* A trace's part in the state's counts (STABLE and SUSPECT): members'
 * sightings and miss streaks, the run of outcomes against the status.
 * True when a member's streak has reached its threshold. */
static bool account_state(struct kp_chg_track *t, const struct kp_chg_params *p,
                          const struct kp_chg_obs *o, int64_t end)
{
    if (!contradicts(t->state.status, o->outcome)) {
        t->last_old_outcome_start_ns = max64(t->last_old_outcome_start_ns, o->start_ns);
        t->first_new_outcome_end_ns = 0;
    } else {
        t->first_new_outcome_end_ns = first64(t->first_new_outcome_end_ns, end);
    }
    if (o->transit == 0)
        return false;
    if (t->named < UINT32_MAX)
        t->named++;
    bool streak = false;
    for (unsigned i = 0; i < t->state.n; i++) {
        struct kp_chg_member *m = &t->members[i];
        if (m->asn == o->transit) {
            if (m->seen < UINT32_MAX)
                m->seen++;
            m->misses = 0;
            m->last_seen_start_ns = max64(m->last_seen_start_ns, o->start_ns);
        } else if (m->misses < UINT32_MAX) {
            m->misses++;
        }
        if (m->misses >= miss_limit(m, t->named, p)) {
            streak = true;
            if (t->removal_end_ns == 0)
                t->removal_end_ns = end;
        }
    }
    return streak;
}

/* A trace's part in the warm-up or window in progress. prev_named: the
 * start of the last trace naming a transit before this one. */
static void account_window(struct kp_chg_track *t, const struct kp_chg_obs *o, int64_t end,
                           int64_t prev_named)
{
    t->outcomes[o->outcome]++;
    if (t->win_first_end_ns[o->outcome] == 0 || end < t->win_first_end_ns[o->outcome]) {
        t->win_first_end_ns[o->outcome] = end;
        t->win_last_before_ns[o->outcome] =
            t->phase == KP_CHG_WARMUP ? 0 : t->last_out_start_ns[signature(t->state.status)];
    }
    if (t->n_evidence < KP_CHG_MAX_TRACES) {
        t->evidence[t->n_evidence] = o->trace_id;
        t->ev_transit[t->n_evidence] = o->transit;
        t->ev_outcome[t->n_evidence] = (uint8_t)o->outcome;
        t->n_evidence++;
    }
    if (o->transit == 0)
        return;
    t->win_named++;
    int mi = member_index(t, o->transit);
    if (mi >= 0)
        t->members[mi].win_seen++;
    bool found = false;
    for (unsigned i = 0; i < t->n_new; i++) {
        if (t->new_asn[i] != o->transit) {
            if (t->new_misses[i] < UINT32_MAX)
                t->new_misses[i]++;
            continue;
        }
        found = true;
        t->new_seen[i]++;
        t->new_misses[i] = 0;
        t->new_first_end_ns[i] = first64(t->new_first_end_ns[i], end);
        t->new_last_seen_start_ns[i] = max64(t->new_last_seen_start_ns[i], o->start_ns);
    }
    if (!found && mi < 0 && t->n_new < KP_CHG_MAX_TRANSITS) {
        unsigned i = t->n_new++;
        t->new_asn[i] = o->transit;
        t->new_seen[i] = 1;
        t->new_misses[i] = 0;
        t->new_first_end_ns[i] = end;
        t->new_last_seen_start_ns[i] = o->start_ns;
        t->new_last_before_ns[i] = prev_named;
    }
}

/* ---- the end of a warm-up or window --------------------------------------- */

/* A member-to-be of the next state, from the members and the window's new
 * transits. */
struct cand {
    struct kp_chg_member m;
    int new_idx; /* index into new_*, -1 for a member kept */
};

static void sort_cands(struct cand *c, unsigned n)
{
    for (unsigned i = 1; i < n; i++) /* at most 8: insertion sort */
        for (unsigned j = i; j > 0 && c[j - 1].m.asn > c[j].m.asn; j--) {
            struct cand x = c[j];
            c[j] = c[j - 1];
            c[j - 1] = x;
        }
}

static struct cand cand_new(const struct kp_chg_track *t, unsigned i)
{
    struct cand c = {{0}, (int)i};
    c.m.asn = t->new_asn[i];
    c.m.seen = t->new_seen[i];
    c.m.misses = t->new_misses[i];
    c.m.last_seen_start_ns = t->new_last_seen_start_ns[i];
    return c;
}

/* Install the candidates as the state's members (sorted, win_seen cleared). */
static void install(struct kp_chg_track *t, struct cand *c, unsigned n)
{
    sort_cands(c, n);
    memset(t->members, 0, sizeof(t->members));
    memset(t->state.transits, 0, sizeof(t->state.transits));
    for (unsigned i = 0; i < n; i++) {
        t->members[i] = c[i].m;
        t->members[i].win_seen = 0;
        t->state.transits[i] = c[i].m.asn;
    }
    t->state.n = n;
}

/* The window's new transits seen at least min_seen times, most seen first,
 * at most `room`; their indexes into new_*. */
static unsigned pick_added(const struct kp_chg_track *t, const struct kp_chg_params *p,
                           unsigned room, unsigned idx[KP_CHG_MAX_TRANSITS])
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->n_new && i < KP_CHG_MAX_TRANSITS; i++) {
        if (t->new_seen[i] < p->min_seen)
            continue;
        unsigned j = n++;
        for (; j > 0 && t->new_seen[idx[j - 1]] < t->new_seen[i]; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return n < room ? n : room;
}

static void finish_warmup(struct kp_chg_track *t, const struct kp_chg_params *p)
{
    struct cand c[KP_CHG_MAX_TRANSITS];
    unsigned idx[KP_CHG_MAX_TRANSITS];
    unsigned n = pick_added(t, p, KP_CHG_MAX_TRANSITS, idx);
    for (unsigned i = 0; i < n; i++)
        c[i] = cand_new(t, idx[i]);
    install(t, c, n);
    t->state.status = window_status(t->outcomes, t->in_phase, KP_CHG_INCOMPLETE);
    t->named = t->win_named;
    t->last_old_outcome_start_ns = t->last_out_start_ns[signature(t->state.status)];
    t->first_new_outcome_end_ns = 0;
    t->removal_end_ns = 0;
    t->phase = KP_CHG_STABLE;
    clear_window(t);
}

/* The onset interval of a change (detect.h): first_after from the additions
 * and the status, or from the removal alone; last_before the latest
 * evidence of the old state that is earlier than first_after. */
static void onset(const struct kp_chg_track *t, const struct kp_chg_state *after,
                  const unsigned *added, unsigned n_added, const bool *gone,
                  struct kp_chg_event *ev)
{
    int64_t lb[KP_CHG_MAX_TRANSITS * 2 + 1];
    unsigned n_lb = 0;
    int64_t fa = 0;
    for (unsigned i = 0; i < n_added; i++) {
        fa = first64(fa, t->new_first_end_ns[added[i]]);
        lb[n_lb++] = t->new_last_before_ns[added[i]];
    }
    enum kp_chg_status os = t->state.status, ns = after->status;
    if (os != ns) {
        int64_t f, l;
        if (rank(ns) > rank(os) || t->first_new_outcome_end_ns == 0) {
            f = t->win_first_end_ns[signature(ns)];
            l = t->win_last_before_ns[signature(ns)];
        } else {
            f = t->first_new_outcome_end_ns;
            l = t->last_old_outcome_start_ns;
        }
        if (f != 0)
            fa = first64(fa, f);
        lb[n_lb++] = l;
    }
    int64_t removal_fa = t->removal_end_ns;
    for (unsigned i = 0; i < t->state.n; i++) {
        if (!gone[i])
            continue;
        lb[n_lb++] = t->members[i].last_seen_start_ns;
        if (removal_fa == 0 && t->members[i].last_seen_start_ns < INT64_MAX)
            removal_fa = t->members[i].last_seen_start_ns + 1;
    }
    if (fa == 0)
        fa = removal_fa;
    bool have = false;
    int64_t best = 0;
    for (unsigned i = 0; i < n_lb; i++)
        if (lb[i] < fa && (!have || lb[i] > best)) {
            best = lb[i];
            have = true;
        }
    ev->first_after_ns = fa;
    ev->last_before_ns = have ? best : (fa > INT64_MIN ? fa - 1 : fa);
}

/* The window's traces that show the new state: their transit (if any) in
 * the new set, their outcome the new status', and something in them unlike
 * the old state. */
static void evidence(const struct kp_chg_track *t, const struct kp_chg_event *e, bool removal,
                     struct kp_chg_event *ev)
{
    ev->n_traces = 0;
    for (unsigned i = 0; i < t->n_evidence && i < KP_CHG_MAX_TRACES; i++) {
        uint32_t tr = t->ev_transit[i];
        enum kp_chg_outcome o = (enum kp_chg_outcome)t->ev_outcome[i];
        bool in_new = tr == 0 || state_has(&e->after, tr);
        bool differs = (tr != 0 && !state_has(&e->before, tr)) ||
                       contradicts(e->before.status, o) || (removal && tr != 0);
        if (in_new && o == signature(e->after.status) && differs)
            ev->traces[ev->n_traces++] = t->evidence[i];
    }
    if (ev->n_traces == 0)
        for (unsigned i = 0; i < t->n_evidence && i < KP_CHG_MAX_TRACES; i++)
            ev->traces[ev->n_traces++] = t->evidence[i];
}

static int finish_window(struct kp_chg_track *t, const struct kp_chg_params *p,
                         struct kp_chg_event *ev)
{
    struct cand c[KP_CHG_MAX_TRANSITS];
    bool gone[KP_CHG_MAX_TRANSITS] = {false};
    unsigned n = 0, n_gone = 0;
    for (unsigned i = 0; i < t->state.n; i++) {
        const struct kp_chg_member *m = &t->members[i];
        gone[i] = m->win_seen == 0 && m->misses >= miss_limit(m, t->named, p);
        if (gone[i]) {
            n_gone++;
            continue;
        }
        c[n] = (struct cand){*m, -1};
        c[n].m.seen = m->win_seen;
        n++;
    }
    unsigned added[KP_CHG_MAX_TRANSITS];
    unsigned n_added = pick_added(t, p, KP_CHG_MAX_TRANSITS - n, added);
    enum kp_chg_status ns = window_status(t->outcomes, t->in_phase, t->state.status);

    if (n_gone == 0 && ns == t->state.status) {
        bool absorb = true;
        uint32_t before = t->named - t->win_named;
        for (unsigned i = 0; i < n_added && absorb; i++)
            absorb = plausibly_unseen(before, t->new_seen[added[i]], t->win_named, p->miss_p);
        if (absorb) {
            /* nothing changed, or the set was seen partially: the members
             * keep their counts, a completing transit starts with its own */
            unsigned m = t->state.n;
            for (unsigned i = 0; i < m; i++)
                c[i] = (struct cand){t->members[i], -1};
            for (unsigned i = 0; i < n_added; i++)
                c[m + i] = cand_new(t, added[i]);
            install(t, c, m + n_added);
            t->removal_end_ns = 0;
            t->phase = KP_CHG_STABLE;
            clear_window(t);
            return 0;
        }
    }

    memset(ev, 0, sizeof(*ev));
    ev->before = t->state;
    for (unsigned i = 0; i < n_added; i++)
        c[n + i] = cand_new(t, added[i]);
    struct kp_chg_state after = {{0}, 0, ns};
    struct cand sorted[KP_CHG_MAX_TRANSITS];
    memcpy(sorted, c, sizeof(c[0]) * (n + n_added));
    sort_cands(sorted, n + n_added);
    for (unsigned i = 0; i < n + n_added; i++)
        after.transits[i] = sorted[i].m.asn;
    after.n = n + n_added;
    ev->after = after;
    onset(t, &after, added, n_added, gone, ev);
    evidence(t, ev, n_gone > 0, ev);

    install(t, c, n + n_added);
    t->state.status = ns;
    t->named = t->win_named;
    t->last_old_outcome_start_ns = t->last_out_start_ns[signature(ns)];
    t->first_new_outcome_end_ns = 0;
    t->removal_end_ns = 0;
    t->phase = KP_CHG_STABLE;
    clear_window(t);
    return 1;
}

int kp_chg_feed(struct kp_chg_track *t, const struct kp_chg_params *p, const struct kp_chg_obs *o,
                struct kp_chg_event *ev)
{
    if (t == NULL || o == NULL || ev == NULL || kp_chg_params_check(p) != 0 ||
        (unsigned)o->outcome >= KP_CHG_OUT_COUNT)
        return -EINVAL;
    int64_t end = o->end_ns > o->start_ns ? o->end_ns : o->start_ns;
    int64_t prev_named = t->last_named_start_ns;
    t->fed++;
    if (t->phase != KP_CHG_WARMUP) {
        bool trig = (o->transit != 0 && member_index(t, o->transit) < 0) ||
                    contradicts(t->state.status, o->outcome);
        bool streak = account_state(t, p, o, end);
        if (t->phase == KP_CHG_STABLE) {
            if (!trig && !streak)
                goto done;
            clear_window(t);
            t->phase = KP_CHG_SUSPECT;
        }
    }
    account_window(t, o, end, prev_named);
    t->in_phase++;
done:
    t->last_out_start_ns[o->outcome] = max64(t->last_out_start_ns[o->outcome], o->start_ns);
    if (o->transit != 0) {
        t->prev_named_start_ns = t->last_named_start_ns;
        t->last_named_start_ns = max64(t->last_named_start_ns, o->start_ns);
    }
    if (t->phase == KP_CHG_WARMUP && t->in_phase >= p->confirm)
        finish_warmup(t, p);
    else if (t->phase == KP_CHG_SUSPECT && t->in_phase >= p->confirm)
        return finish_window(t, p, ev);
    return 0;
}

/* ---- checkpoint line -------------------------------------------------------
 * "c1" then decimal integers separated by one space, in this order:
 *   phase fed status n_members named in_phase win_named removal_end
 *   first_new_end last_old_start last_named prev_named
 *   last_out_start[3] win_first_end[3] win_last_before[3] outcomes[3]
 *   per member: asn seen misses last_seen_start win_seen
 *   n_new, per new transit: asn seen misses first_end last_seen_start last_before
 *   n_evidence, per window trace: id transit outcome
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
    if (sum != t->in_phase || t->n_evidence != (t->in_phase < KP_CHG_MAX_TRACES
                                                    ? t->in_phase
                                                    : KP_CHG_MAX_TRACES))
        return false;
    for (unsigned i = 0; i < t->state.n; i++) {
        const struct kp_chg_member *m = &t->members[i];
        if (m->asn == 0 || (i > 0 && m->asn <= t->members[i - 1].asn) || m->seen > t->named ||
            m->win_seen > t->win_named || m->win_seen > m->seen)
            return false;
    }
    for (unsigned i = 0; i < t->n_new; i++) {
        if (t->new_asn[i] == 0 || t->new_seen[i] == 0 || t->new_seen[i] > t->win_named ||
            member_index(t, t->new_asn[i]) >= 0)
            return false;
        for (unsigned j = 0; j < i; j++)
            if (t->new_asn[j] == t->new_asn[i])
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
    if (c.bad || c.pos != len || !consistent(t)) {
        kp_chg_track_init(t);
        return -EBADMSG;
    }
    return 0;
}
