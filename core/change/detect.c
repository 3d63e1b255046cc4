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
 * in force (KP_CHG_INCOMPLETE at warm-up). Reached on one destination
 * answer, filtered when half the traces end admin-prohibited (or any, when
 * the prefix was filtered), else dark where it used to answer (reached,
 * filtered, dark) and incomplete where it never did. */
static enum kp_chg_status window_status(const uint32_t out[KP_CHG_OUT_COUNT], uint32_t total,
                                        enum kp_chg_status prev)
{
    if (out[KP_CHG_OUT_DST] > 0)
        return KP_CHG_REACHED;
    if (total > 0 && 2 * (uint64_t)out[KP_CHG_OUT_FILTERED] >= total)
        return KP_CHG_FILTERED;
    /* a filter that still answers now and then (its !X lost or rate
     * limited) is still there: not dark */
    if (prev == KP_CHG_FILTERED && out[KP_CHG_OUT_FILTERED] > 0)
        return KP_CHG_FILTERED;
    return prev == KP_CHG_INCOMPLETE ? KP_CHG_INCOMPLETE : KP_CHG_DARK;
}

/* The lower bound of a share shown `seen` times in n traces: the Wilson
 * score interval's, one-sided at 95 % (z = 1.645). Close to seen / n once n
 * is large; well below it for a short history (8 of 8: 0.747, 4 of 8: 0.249),
 * so that a share seen in few traces is not overestimated. */
#define KP_CHG_SHARE_Z 1.645
static double share_wilson_low(uint32_t seen, uint32_t n)
{
    if (n == 0 || seen == 0)
        return 0.0;
    if (seen > n)
        seen = n;
    double z2 = KP_CHG_SHARE_Z * KP_CHG_SHARE_Z, nn = (double)n, q = (double)seen / nn;
    double r = sqrt(q * (1.0 - q) / nn + z2 / (4.0 * nn * nn));
    double lo = (q + z2 / (2.0 * nn) - KP_CHG_SHARE_Z * r) / (1.0 + z2 / nn);
    return lo > 0.0 ? lo : 0.0;
}

/* The number of consecutive misses after which member m is improbably still
 * there: k = ceil(log(miss_p) / log(1 - p)), 3..KP_CHG_MAX_MISS, p the
 * lower bound of its share over the traces naming a transit up to its last
 * sighting (named - misses: the streak being judged is not part of the
 * share it is judged by, nor is a window that has not seen it). */
static uint32_t miss_limit(const struct kp_chg_track *t, const struct kp_chg_member *m,
                           const struct kp_chg_params *p)
{
    uint32_t n = t->named > m->misses ? t->named - m->misses : 0;
    if (n < m->seen)
        n = m->seen;
    double q = share_wilson_low(m->seen, n);
    if (!(q > 0.0))
        return KP_CHG_MAX_MISS;
    if (q >= 1.0)
        return 3;
    double k = ceil(log(p->miss_p) / log1p(-q));
    if (!(k < KP_CHG_MAX_MISS))
        return KP_CHG_MAX_MISS;
    return k < 3 ? 3 : (uint32_t)k;
}

/* P(X >= x) for X ~ Binomial(m, q), m <= KP_CHG_MAX_CONFIRM. */
static double binom_tail(unsigned m, unsigned x, double q)
{
    double term = pow(1.0 - q, m), sum = 0.0; /* P(X = 0) */
    for (unsigned i = 0; i <= m; i++) {
        if (i >= x)
            sum += term;
        if (i < m)
            term = term * (double)(m - i) / (double)(i + 1) * q / (1.0 - q);
    }
    return sum;
}

/* The one-sided lower confidence bound (Clopper-Pearson, level
 * 1 - KP_CHG_ADD_ALPHA) of a share shown x times in m traces. */
#define KP_CHG_ADD_ALPHA 0.05
static double share_low(unsigned x, unsigned m)
{
    if (x == 0 || m == 0)
        return 0.0;
    if (x >= m)
        return pow(KP_CHG_ADD_ALPHA, 1.0 / (double)m);
    double lo = 0.0, hi = (double)x / (double)m;
    for (int i = 0; i < 40; i++) {
        double mid = (lo + hi) / 2;
        if (binom_tail(m, x, mid) < KP_CHG_ADD_ALPHA)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* An addition the window shows with s sightings among w traces naming a
 * transit, after n such traces of the state that did not show it: could the
 * transit have been there all along, unseen by chance, at a share q
 * ((1 - q)^n >= miss_p)? q is the share in the window, the sighting that
 * opened it not counted (x = s - 1 of m = w - 1): its lower confidence
 * bound when `low`, else the estimate x / m. */
static bool plausibly_unseen(uint32_t n, uint32_t s, uint32_t w, double miss_p, bool low)
{
    if (w <= 1 || s <= 1)
        return true;
    unsigned m = w - 1 > KP_CHG_MAX_CONFIRM ? KP_CHG_MAX_CONFIRM : w - 1;
    unsigned x = s - 1 > m ? m : s - 1;
    double q = low ? share_low(x, m) : (double)x / (double)m;
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

static int rare_index(const struct kp_chg_track *t, uint32_t asn)
{
    for (unsigned i = 0; i < t->n_rare && i < KP_CHG_MAX_TRANSITS; i++)
        if (t->rare_asn[i] == asn)
            return (int)i;
    return -1;
}

/* A remembered transit, unless unseen for KP_CHG_MAX_MISS traces. */
static int rare_recent(const struct kp_chg_track *t, uint32_t asn)
{
    int i = rare_index(t, asn);
    return i >= 0 && t->named - t->rare_named_at[i] <= KP_CHG_MAX_MISS ? i : -1;
}

static void rare_drop(struct kp_chg_track *t, uint32_t asn)
{
    int i = rare_index(t, asn);
    if (i < 0)
        return;
    t->n_rare--;
    t->rare_asn[i] = t->rare_asn[t->n_rare];
    t->rare_named_at[i] = t->rare_named_at[t->n_rare];
    t->rare_named_first[i] = t->rare_named_first[t->n_rare];
    t->rare_first_end_ns[i] = t->rare_first_end_ns[t->n_rare];
    t->rare_last_before_ns[i] = t->rare_last_before_ns[t->n_rare];
    t->rare_asn[t->n_rare] = 0;
    t->rare_named_at[t->n_rare] = 0;
    t->rare_named_first[t->n_rare] = 0;
    t->rare_first_end_ns[t->n_rare] = 0;
    t->rare_last_before_ns[t->n_rare] = 0;
}

/* Remember the window's new transits that were not added (`named` is the
 * state's count after the window); the oldest sighting makes room. */
static void rare_note(struct kp_chg_track *t, const struct kp_chg_params *p)
{
    for (unsigned i = 0; i < t->n_new && i < KP_CHG_MAX_TRANSITS; i++) {
        if (t->new_seen[i] >= p->min_seen)
            continue;
        uint32_t at = t->named > t->new_misses[i] ? t->named - t->new_misses[i] : 0;
        uint32_t first = t->named > t->win_named ? t->named - t->win_named : 0;
        int j = rare_recent(t, t->new_asn[i]);
        if (j >= 0) {
            first = t->rare_named_first[j];
        } else if ((j = rare_index(t, t->new_asn[i])) < 0 && t->n_rare < KP_CHG_MAX_TRANSITS) {
            j = (int)t->n_rare++;
        } else if (j < 0) {
            j = 0;
            for (unsigned k = 1; k < t->n_rare; k++)
                if (t->rare_named_at[k] < t->rare_named_at[j])
                    j = (int)k;
        }
        t->rare_asn[j] = t->new_asn[i];
        t->rare_named_first[j] = first;
        t->rare_named_at[j] = at;
        t->rare_first_end_ns[j] = t->new_first_end_ns[i];
        t->rare_last_before_ns[j] = t->new_last_before_ns[i];
    }
}

/* The traces naming a transit, since the state began, before asn's first
 * sighting (in this window, or in an earlier one that remembered it). */
static uint32_t gap_before_window(const struct kp_chg_track *t, uint32_t asn)
{
    int j = rare_recent(t, asn);
    if (j >= 0)
        return t->rare_named_first[j];
    return t->named > t->win_named ? t->named - t->win_named : 0;
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
        if (m->misses >= miss_limit(t, m, p)) {
            streak = true;
            if (t->removal_end_ns == 0)
                t->removal_end_ns = end;
        }
    }
    return streak;
}

/* A trace's part in the warm-up or window in progress. prev_named: the
 * start of the last trace naming a transit before this one. */
static void account_window(struct kp_chg_track *t, const struct kp_chg_params *p,
                           const struct kp_chg_obs *o, int64_t end, int64_t prev_named)
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
        /* seen in the window before, too rarely to be added: when that was
         * within the last `confirm` traces naming a transit, its first
         * sighting then is this one's (a change caught across windows) */
        int r = rare_recent(t, o->transit);
        if (r >= 0 && t->named - t->rare_named_at[r] <= p->confirm + 1u &&
            t->rare_first_end_ns[r] != 0) {
            t->new_first_end_ns[i] = t->rare_first_end_ns[r];
            t->new_last_before_ns[i] = t->rare_last_before_ns[r];
        }
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
    rare_note(t, p);
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

/* Whether member m is in question beside the transits the window adds: it
 * has missed the latest traces. The window may have caught the start of a
 * move, or a transit joining it (ECMP) while it happened to be missed. */
static bool displaced_by(const struct kp_chg_member *m, unsigned n_added)
{
    return n_added > 0 && m->misses > 0;
}

/* The streak that removes a displaced member: a transit joining it may
 * share the traffic with it (ECMP) instead of replacing it, so its absence
 * must be improbable even at a share of 1/2, whatever its share was. */
static uint32_t half_limit(const struct kp_chg_params *p)
{
    double k = ceil(log(p->miss_p) / log(0.5));
    if (!(k < KP_CHG_MAX_MISS))
        return KP_CHG_MAX_MISS;
    return k < 3 ? 3 : (uint32_t)k;
}

/* The streak at which member m is gone at the window's end: its own limit
 * from its share, and when a transit new in the window may have joined it
 * rather than replaced it, at least the one at a share of 1/2. */
static uint32_t displaced_limit(const struct kp_chg_track *t, const struct kp_chg_member *m,
                                const struct kp_chg_params *p, bool displaced)
{
    uint32_t k = miss_limit(t, m, p), h = half_limit(p);
    return displaced && h > k ? h : k;
}

unsigned kp_chg_wanted(const struct kp_chg_track *t, const struct kp_chg_params *p)
{
    if (t->phase == KP_CHG_STABLE)
        return 0;
    unsigned want = t->in_phase < p->confirm ? p->confirm - t->in_phase : 0;
    /* a window that has a new transit and a member missed since: what the
     * member's streak still lacks to be judged gone (a move is confirmed in
     * that many traces; a member that shows again ends the wait sooner) */
    if (t->phase == KP_CHG_SUSPECT && t->n_new > 0)
        for (unsigned i = 0; i < t->state.n; i++) {
            const struct kp_chg_member *m = &t->members[i];
            uint32_t k = displaced_limit(t, m, p, m->misses > 0);
            if (m->misses > 0 && m->misses < k && k - m->misses > want)
                want = k - m->misses;
        }
    if (t->phase == KP_CHG_SUSPECT && want > KP_CHG_MAX_CONFIRM - t->in_phase)
        want = t->in_phase < KP_CHG_MAX_CONFIRM ? KP_CHG_MAX_CONFIRM - t->in_phase : 1;
    return want > 0 ? want : 1; /* a window extended */
}

static int finish_window(struct kp_chg_track *t, const struct kp_chg_params *p,
                         struct kp_chg_event *ev)
{
    struct cand c[KP_CHG_MAX_TRANSITS];
    bool gone[KP_CHG_MAX_TRANSITS] = {false};
    unsigned added[KP_CHG_MAX_TRANSITS];
    unsigned n_added = pick_added(t, p, KP_CHG_MAX_TRANSITS, added);
    unsigned n = 0, n_gone = 0;
    bool waiting = false;
    for (unsigned i = 0; i < t->state.n; i++) {
        const struct kp_chg_member *m = &t->members[i];
        /* judged by its streak at the window's end: a member seen in the
         * window has a shorter one, unless the window began before a move */
        bool displaced = displaced_by(m, n_added);
        gone[i] = m->misses >= displaced_limit(t, m, p, displaced);
        if (gone[i]) {
            n_gone++;
            continue;
        }
        waiting = waiting || displaced;
        c[n] = (struct cand){*m, -1};
        c[n].m.seen = m->win_seen;
        n++;
    }
    if (n_added > KP_CHG_MAX_TRANSITS - n)
        n_added = KP_CHG_MAX_TRANSITS - n; /* the most seen first */
    enum kp_chg_status ns = window_status(t->outcomes, t->in_phase, t->state.status);

    /* a move under way, or a member absent for a while beside a transit
     * joining it: one more trace, until the member shows or is gone */
    if (waiting && ns == t->state.status && t->in_phase < KP_CHG_MAX_CONFIRM)
        return 0;
    if (n_gone == 0 && ns == t->state.status) {
        /* only additions: new for certain (even at the low bound of its
         * share the transit could not have gone unseen so long), a set seen
         * partially (even at its estimated share it could have), or not
         * known yet: more traces, up to KP_CHG_MAX_CONFIRM, then the
         * estimate decides */
        bool absorb = true, unsure = false;
        for (unsigned i = 0; i < n_added && absorb; i++) {
            uint32_t gap = gap_before_window(t, t->new_asn[added[i]]), s = t->new_seen[added[i]];
            if (!plausibly_unseen(gap, s, t->win_named, p->miss_p, true))
                absorb = false;
            else if (!plausibly_unseen(gap, s, t->win_named, p->miss_p, false))
                unsure = true;
        }
        if (absorb && unsure && t->in_phase < KP_CHG_MAX_CONFIRM)
            return 0;
        absorb = absorb && !unsure;
        if (absorb) {
            /* nothing changed, or the set was seen partially: the members
             * keep their counts, a completing transit starts with its own */
            unsigned m = t->state.n;
            for (unsigned i = 0; i < m; i++)
                c[i] = (struct cand){t->members[i], -1};
            for (unsigned i = 0; i < n_added; i++) {
                c[m + i] = cand_new(t, added[i]);
                rare_drop(t, t->new_asn[added[i]]);
            }
            install(t, c, m + n_added);
            rare_note(t, p);
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
    for (unsigned i = 0; i < n_added; i++)
        rare_drop(t, t->new_asn[added[i]]);
    for (unsigned i = 0; i < t->n_rare; i++) { /* sightings of the old state: at the start */
        t->rare_named_at[i] = 0;
        t->rare_named_first[i] = 0;
    }
    t->named = t->win_named;
    rare_note(t, p);
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
    account_window(t, p, o, end, prev_named);
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
