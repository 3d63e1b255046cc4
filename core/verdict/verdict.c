/* SPDX-License-Identifier: BSD-2-Clause */
/* verdict.c — per-trace transit decision. Pure; see verdict.h. */
#include "core/verdict/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/asmap/known_as.h"

static const char *const class_names[KP_HCLASS_COUNT] = {
    [KP_HCLASS_UNKNOWN] = "unknown",   [KP_HCLASS_PUBLIC] = "public",
    [KP_HCLASS_PRIVATE] = "private",   [KP_HCLASS_SHARED] = "shared",
    [KP_HCLASS_RESERVED] = "reserved", [KP_HCLASS_UNANNOUNCED] = "unannounced",
};

const char *kp_hop_class_name(enum kp_hop_class c)
{
    if ((unsigned)c >= KP_HCLASS_COUNT)
        return "unknown";
    return class_names[c];
}

void kp_hop_annot_init(struct kp_hop_annot *a)
{
    memset(a, 0, sizeof(*a));
}

static const char *const heuristic_names[KP_H_COUNT_BITS] = {
    "silent-gap",
    "skip-private",
    "skip-unannounced",
    "ixp",
    "mpls",
    "neighbour-numbered-border",
    "p2p-mate",
    "rtt-jump",
    "multi-origin",
    "destination-only",
    "filtered-inside-target",
    "per-ttl-multiple-addresses",
    "hidden-handoff",
    "doubletree-prefix",
};

const char *kp_heuristic_name(unsigned bit)
{
    for (unsigned i = 0; i < KP_H_COUNT_BITS; i++)
        if (bit == (1u << i))
            return heuristic_names[i];
    return NULL;
}

unsigned kp_heuristic_from_name(const char *s)
{
    if (s == NULL)
        return 0;
    for (unsigned i = 0; i < KP_H_COUNT_BITS; i++)
        if (strcmp(s, heuristic_names[i]) == 0)
            return 1u << i;
    return 0;
}

static const uint32_t default_targets[] = {KP_ASN_TARGET_DEFAULT};
#define KNOWN_TRANSIT(asn, name, whois, colour, transit) {asn, name},
static const struct kp_as_name default_known[] = {KP_KNOWN_TRANSIT_TABLE(KNOWN_TRANSIT)};
#undef KNOWN_TRANSIT

void kp_verdict_config_default(struct kp_verdict_config *c)
{
    memset(c, 0, sizeof(*c));
    c->targets = default_targets;
    c->n_targets = sizeof(default_targets) / sizeof(default_targets[0]);
    c->known = default_known;
    c->n_known = sizeof(default_known) / sizeof(default_known[0]);
    c->rtt_jump_ms = 15.0;
}

bool kp_verdict_is_target(const struct kp_verdict_config *c, uint32_t asn)
{
    if (asn == 0)
        return false;
    for (size_t i = 0; i < c->n_targets; i++)
        if (c->targets[i] == asn)
            return true;
    return false;
}

const char *kp_verdict_known_name(const struct kp_verdict_config *c, uint32_t asn)
{
    for (size_t i = 0; i < c->n_known; i++)
        if (c->known[i].asn == asn)
            return c->known[i].name;
    return NULL;
}

static const char *const status_names[KP_TRANSIT_STATUS_COUNT] = {
    [KP_TRANSIT_UNDETERMINED] = "undetermined",
    [KP_TRANSIT_REACHED] = "reached",
    [KP_TRANSIT_FILTERED] = "filtered",
    [KP_TRANSIT_INCOMPLETE] = "incomplete",
};

const char *kp_transit_status_name(enum kp_transit_status s)
{
    if ((unsigned)s >= KP_TRANSIT_STATUS_COUNT)
        return "undetermined";
    return status_names[s];
}

enum kp_transit_status kp_transit_status_from_name(const char *s)
{
    for (int i = 0; i < KP_TRANSIT_STATUS_COUNT; i++)
        if (s != NULL && strcmp(s, status_names[i]) == 0)
            return (enum kp_transit_status)i;
    return KP_TRANSIT_UNDETERMINED;
}

/* ---- decision ---------------------------------------------------------- */

/* Working state of one decision: the hops taken, one per TTL, in TTL order. */
struct walk {
    const struct kp_verdict_config *c;
    const struct kp_trace *t;
    const struct kp_hop_annot *ann;
    const struct kp_hop_annot *dst_ann;
    int seq[256]; /* hop indices */
    int n;
    struct kp_transit *out;
    double penalty;
};

static bool on(const struct walk *w, unsigned h)
{
    return (w->c->disabled & h) == 0;
}

static bool annot_in_target(const struct kp_verdict_config *c, const struct kp_hop_annot *a)
{
    if (a->ixp && a->ixp_member_asn != 0)
        return kp_verdict_is_target(c, a->ixp_member_asn);
    if (a->ixp)
        return false;
    if (kp_verdict_is_target(c, a->asn))
        return true;
    for (int i = 0; i < a->n_origins && i < KP_ANNOT_MAX_ORIGINS; i++)
        if (kp_verdict_is_target(c, a->origins[i]))
            return true;
    return false;
}

static bool hop_from_dst(const struct kp_trace *t, const struct kp_hop *h)
{
    if (h->flags & KP_HOP_FROM_DST)
        return true;
    return kp_addr_is_set(&t->dst) && kp_addr_eq(&h->addr, &t->dst);
}

static bool dst_in_target(const struct walk *w)
{
    return w->dst_ann != NULL && annot_in_target(w->c, w->dst_ann);
}

static bool is_target(const struct walk *w, int hi)
{
    if (annot_in_target(w->c, &w->ann[hi]))
        return true;
    return hop_from_dst(w->t, &w->t->hops[hi]) && dst_in_target(w);
}

static bool is_admin_prohibited(const struct kp_hop *h)
{
    if (h->addr.family == 6)
        /* ICMPv6 destination unreachable: 1 administratively prohibited,
         * 5 source address failed ingress/egress policy, 6 reject route */
        return h->icmp_type == 1 && (h->icmp_code == 1 || h->icmp_code == 5 || h->icmp_code == 6);
    return h->icmp_type == 3 && (h->icmp_code == 9 || h->icmp_code == 10 || h->icmp_code == 13);
}

static void note_skip(struct walk *w, int hi, unsigned bit, double cost)
{
    struct kp_transit *o = w->out;
    o->heuristics |= bit;
    if (o->n_skipped < KP_VERDICT_MAX_SKIPPED)
        o->skipped[o->n_skipped++] = hi;
    w->penalty += cost;
}

/* Is hop hi usable as an AS witness? Returns its AS (0 = skip it, noting why).
 * An IXP address whose member is in the target gets *into_target set. */
static uint32_t witness_as(struct walk *w, int hi, bool *into_target)
{
    const struct kp_hop_annot *a = &w->ann[hi];
    const struct kp_hop *h = &w->t->hops[hi];
    *into_target = false;
    if (a->ixp && on(w, KP_H_IXP)) {
        if (a->ixp_member_asn != 0) {
            if (kp_verdict_is_target(w->c, a->ixp_member_asn)) {
                *into_target = true;
                w->out->heuristics |= KP_H_IXP;
                return 0;
            }
            w->out->heuristics |= KP_H_IXP;
            return a->ixp_member_asn;
        }
        note_skip(w, hi, KP_H_IXP, 0.15);
        return 0;
    }
    switch (a->cls) {
    case KP_HCLASS_PRIVATE:
    case KP_HCLASS_SHARED:
    case KP_HCLASS_RESERVED:
        if (on(w, KP_H_SKIP_PRIVATE)) {
            /* An MPLS LSR inside the neighbour's core costs little: the tunnel
             * belongs to the AS on either side of it. */
            note_skip(w, hi, KP_H_SKIP_PRIVATE, h->n_mpls > 0 ? 0.05 : 0.1);
            if (h->n_mpls > 0)
                w->out->heuristics |= KP_H_MPLS;
            return 0;
        }
        return a->asn;
    default:
        break;
    }
    if (a->asn == 0 || a->cls == KP_HCLASS_UNANNOUNCED) {
        if (on(w, KP_H_SKIP_UNKNOWN)) {
            note_skip(w, hi, KP_H_SKIP_UNKNOWN, 0.1);
            return 0;
        }
        return 0;
    }
    return a->asn;
}

static void set_name(struct walk *w, uint32_t asn, int hi)
{
    const char *n = kp_verdict_known_name(w->c, asn);
    if (n == NULL && hi >= 0 && w->ann[hi].asn == asn)
        n = w->ann[hi].as_name;
    snprintf(w->out->name, sizeof(w->out->name), "%s", n ? n : "");
}

static void set_handoff(struct walk *w, int pos, uint32_t asn)
{
    int hi = w->seq[pos];
    w->out->asn = asn;
    w->out->handoff_hop = hi;
    w->out->handoff_ttl = w->t->hops[hi].ttl;
    snprintf(w->out->source, sizeof(w->out->source), "%s", w->ann[hi].source);
    if (w->ann[hi].n_origins > 1 && on(w, KP_H_MULTI_ORIGIN)) {
        w->out->heuristics |= KP_H_MULTI_ORIGIN;
        w->penalty += 0.2;
    }
    set_name(w, asn, hi);
}

/* Walk back from position 'from' (inclusive) to the first usable witness.
 * Returns its position (AS in *asn) or -1. */
static int walk_back(struct walk *w, int from, uint32_t *asn)
{
    for (int p = from; p >= 0; p--) {
        bool into = false;
        uint32_t a = witness_as(w, w->seq[p], &into);
        if (into) {
            w->out->border_hop = w->seq[p];
            continue;
        }
        if (a != 0) {
            *asn = a;
            return p;
        }
    }
    return -1;
}

static bool p2p_mates(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != 4 || b->family != 4)
        return false;
    uint32_t x = kp_addr_v4_host(a), y = kp_addr_v4_host(b);
    if (x == y)
        return false;
    if ((x ^ 1u) == y) /* /31 */
        return true;
    /* /30: same block, both usable host addresses (.1 and .2 of the block) */
    return (x & ~3u) == (y & ~3u) && (x & 3u) != 0 && (x & 3u) != 3 && (y & 3u) != 0 &&
           (y & 3u) != 3;
}

/* The vantage point's own network as the trace shows it: the AS of the first
 * usable hop, when the hops up to it answer at TTL 1, 2, ... without a gap and
 * those before it are private, shared or reserved (a home or cloud NAT).
 * 0 when the trace does not start at the vantage point (e.g. Doubletree began
 * mid-path) or its first public hop has no AS. */
static uint32_t vantage_as(const struct walk *w)
{
    for (int p = 0; p < w->n; p++) {
        int hi = w->seq[p];
        const struct kp_hop_annot *a = &w->ann[hi];
        if (w->t->hops[hi].ttl != p + 1)
            return 0;
        if (a->ixp)
            return 0;
        if (a->cls == KP_HCLASS_PRIVATE || a->cls == KP_HCLASS_SHARED ||
            a->cls == KP_HCLASS_RESERVED)
            continue;
        if (a->asn == 0 || a->cls == KP_HCLASS_UNANNOUNCED || annot_in_target(w->c, a))
            return 0;
        return a->asn;
    }
    return 0;
}

static double clamp01(double v)
{
    if (v < 0.05)
        return 0.05;
    return v > 1.0 ? 1.0 : v;
}

/* Neighbour-numbered border / third-party address: a lone hop of AS X
 * right before the target, preceded without a gap by a hop of a transit
 * of interest W != X. The lone hop is read as the target's ingress
 * interface numbered from a neighbour's space (or a third-party address of
 * W's border): W hands the traffic over. Not when X is itself a transit
 * of interest: a known upstream of the target right before it is taken at
 * face value (one border router of X reached from W, e.g. ECMP inside W
 * between W's and X's way into the target). On a match, *chosen and
 * *chosen_as become W's hop and W. */
static void neighbour_border(struct walk *w, int cand, uint32_t asn, int *chosen,
                             uint32_t *chosen_as)
{
    struct kp_transit *o = w->out;
    const struct kp_trace *t = w->t;
    int chi = w->seq[cand];
    int prev = cand - 1;
    int phi = w->seq[prev];
    const struct kp_hop_annot *pa = &w->ann[phi];
    bool lone = true;
    for (int p = 0; p < cand; p++) {
        const struct kp_hop_annot *q = &w->ann[w->seq[p]];
        if (q->asn == asn && !q->ixp)
            lone = false;
    }
    if (lone && t->hops[phi].ttl + 1 == t->hops[chi].ttl && pa->asn != 0 && pa->asn != asn &&
        !pa->ixp && pa->cls != KP_HCLASS_PRIVATE && pa->cls != KP_HCLASS_SHARED &&
        pa->cls != KP_HCLASS_RESERVED && !kp_verdict_is_target(w->c, pa->asn) &&
        kp_verdict_known_name(w->c, pa->asn) != NULL && kp_verdict_known_name(w->c, asn) == NULL) {
        o->heuristics |= KP_H_NEIGHBOUR_BORDER;
        o->border_hop = chi;
        w->penalty += 0.3;
        *chosen = prev;
        *chosen_as = pa->asn;
    }
}

/* /30 or /31 mates: the border link seen from both sides (chi: the handoff
 * candidate's hop, thi: the first target hop). */
static void p2p_mate(struct walk *w, int chi, int thi, int first_t)
{
    struct kp_transit *o = w->out;
    const struct kp_trace *t = w->t;
    if (p2p_mates(&t->hops[chi].addr, &t->hops[thi].addr) &&
        t->hops[chi].ttl + 1 == t->hops[thi].ttl) {
        o->heuristics |= KP_H_P2P_MATE;
    } else if (first_t + 1 < w->n) {
        int nhi = w->seq[first_t + 1];
        if (p2p_mates(&t->hops[thi].addr, &t->hops[nhi].addr) &&
            t->hops[thi].ttl + 1 == t->hops[nhi].ttl) {
            /* The first target-space address sits on the neighbour's end
             * of a target-numbered link: the ingress is the next hop. */
            o->heuristics |= KP_H_P2P_MATE;
            o->border_hop = nhi;
        }
    }
}

/* Silent TTLs between the handoff (walk position chosen) and the border. */
static int silent_ttls(const struct walk *w, int chosen, uint8_t border_ttl)
{
    const struct kp_trace *t = w->t;
    int hoff_ttl = t->hops[w->seq[chosen]].ttl;
    int silent = 0;
    for (int ttl = hoff_ttl + 1; ttl < (int)border_ttl; ttl++) {
        bool seen = false;
        for (int p = chosen + 1; p < w->n; p++)
            if (t->hops[w->seq[p]].ttl == ttl)
                seen = true;
        if (!seen)
            silent++;
    }
    return silent;
}

/* RTT jump into the target: supporting evidence only; the confidence bonus. */
static double rtt_jump(struct walk *w, int chosen, int thi)
{
    struct kp_transit *o = w->out;
    const struct kp_trace *t = w->t;
    double r0 = t->hops[w->seq[chosen]].rtt_ms, r1 = t->hops[thi].rtt_ms;
    double bonus = 0.0;
    if (r0 >= 0 && r1 >= 0) {
        o->rtt_jump_ms = r1 - r0;
        if (o->rtt_jump_ms >= w->c->rtt_jump_ms && on(w, KP_H_RTT_JUMP)) {
            o->heuristics |= KP_H_RTT_JUMP;
            bonus = 0.05;
        }
    }
    return bonus;
}

static void decide_reached(struct walk *w, int first_t)
{
    struct kp_transit *o = w->out;
    const struct kp_trace *t = w->t;
    int thi = w->seq[first_t];
    o->status = KP_TRANSIT_REACHED;
    o->target_hop = thi;
    o->target_ttl = t->hops[thi].ttl;
    o->border_hop = thi;
    if (!annot_in_target(w->c, &w->ann[thi]) && on(w, KP_H_DST_ONLY)) {
        o->heuristics |= KP_H_DST_ONLY;
        w->penalty += 0.05;
    }
    for (int p = 0; p < first_t; p++)
        if (t->hops[w->seq[p]].n_mpls > 0 && on(w, KP_H_MPLS))
            o->heuristics |= KP_H_MPLS;

    uint32_t asn = 0;
    int cand = walk_back(w, first_t - 1, &asn);
    if (cand < 0) {
        o->status = KP_TRANSIT_UNDETERMINED;
        o->confidence = 0.0;
        return;
    }
    int chi = w->seq[cand];
    /* The border hop may have moved back over an IXP hop owned by the target. */
    int border_hi = o->border_hop;
    uint8_t border_ttl = t->hops[border_hi].ttl;
    int chosen = cand;
    uint32_t chosen_as = asn;
    if (on(w, KP_H_NEIGHBOUR_BORDER) && cand > 0 && t->hops[chi].ttl + 1 == border_ttl &&
        border_hi == thi)
        neighbour_border(w, cand, asn, &chosen, &chosen_as);
    set_handoff(w, chosen, chosen_as);
    if (on(w, KP_H_P2P_MATE))
        p2p_mate(w, chi, thi, first_t);

    int silent = silent_ttls(w, chosen, border_ttl);
    o->silent_ttls = silent;
    if (silent > 0 && on(w, KP_H_SILENT_GAP)) {
        o->heuristics |= KP_H_SILENT_GAP;
        w->penalty += silent * 0.05 > 0.25 ? 0.25 : silent * 0.05;
    }

    /* Hidden handoff: the trace shows the vantage point's own network, then
     * silence or unattributable hops, then the target. A transit of interest
     * seen there is kept (a VP inside Unicom). Otherwise:
     *  - when a router of the target answers right after the gap, the gap is
     *    outside the target: some router that never answered (a silent
     *    transit, an IXP port of unknown member) handed over, and the VP's
     *    own provider must not be named: undetermined;
     *  - when only the destination answered, the gap may as well be the
     *    target's own silent routers behind direct peering: the VP's network
     *    stays the answer, with low confidence (at most 0.3). */
    int unattributed = silent + o->n_skipped;
    bool hidden = unattributed > 0 && on(w, KP_H_HIDDEN_HANDOFF) &&
                  !(o->heuristics & KP_H_NEIGHBOUR_BORDER) &&
                  kp_verdict_known_name(w->c, chosen_as) == NULL && chosen_as == vantage_as(w);
    if (hidden && !hop_from_dst(t, &t->hops[thi])) {
        o->heuristics |= KP_H_HIDDEN_HANDOFF;
        o->status = KP_TRANSIT_UNDETERMINED;
        o->asn = 0;
        o->name[0] = '\0';
        o->source[0] = '\0';
        o->confidence = 0.0;
        return;
    }

    double bonus = rtt_jump(w, chosen, thi);
    double pen = w->penalty > 0.6 ? 0.6 : w->penalty;
    o->confidence = clamp01(1.0 - pen + bonus);
    if (hidden) {
        o->heuristics |= KP_H_HIDDEN_HANDOFF;
        if (o->confidence > 0.3)
            o->confidence = 0.3;
    }
}

int kp_verdict_decide(const struct kp_verdict_config *c, const struct kp_trace *t,
                      const struct kp_hop_annot *ann, size_t n, const struct kp_hop_annot *dst_ann,
                      struct kp_transit *out)
{
    if (c == NULL || t == NULL || out == NULL || (n > 0 && ann == NULL) || n != t->n_hops)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->handoff_hop = out->target_hop = out->border_hop = out->last_hop = -1;
    out->status = KP_TRANSIT_UNDETERMINED;

    struct walk w;
    memset(&w, 0, sizeof(w));
    w.c = c;
    w.t = t;
    w.ann = ann;
    w.dst_ann = dst_ann;
    w.out = out;

    /* One hop per TTL: the earliest attempt that is not a duplicate. */
    int best[256];
    for (int i = 0; i < 256; i++)
        best[i] = -1;
    for (size_t i = 0; i < n; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (h->flags & KP_HOP_DUP)
            continue;
        int b = best[h->ttl];
        if (b < 0 || h->attempt < t->hops[b].attempt)
            best[h->ttl] = (int)i;
    }
    for (size_t i = 0; i < n; i++) {
        const struct kp_hop *h = &t->hops[i];
        int b = best[h->ttl];
        if (b >= 0 && !(h->flags & KP_HOP_DUP) && !kp_addr_eq(&h->addr, &t->hops[b].addr) &&
            on(&w, KP_H_LOAD_BALANCED))
            out->heuristics |= KP_H_LOAD_BALANCED;
    }
    for (int ttl = 0; ttl < 256; ttl++)
        if (best[ttl] >= 0)
            w.seq[w.n++] = best[ttl];
    if (w.n == 0)
        return 0; /* nothing answered: undetermined */

    int last = w.seq[w.n - 1];
    out->last_hop = last;
    int first_t = -1;
    for (int p = 0; p < w.n; p++)
        if (is_target(&w, w.seq[p])) {
            first_t = p;
            break;
        }

    bool admin = is_admin_prohibited(&t->hops[last]);
    if (admin && first_t >= 0 && first_t <= w.n - 1 && is_target(&w, last)) {
        out->heuristics |= KP_H_FILTERED_INSIDE;
        out->filtered_by = ann[last].asn;
    }
    if (first_t >= 0) {
        decide_reached(&w, first_t);
        return 0;
    }

    /* Never reached the target. */
    uint32_t asn = 0;
    int cand = walk_back(&w, w.n - 1, &asn);
    if (hop_from_dst(t, &t->hops[last]) && !admin) {
        /* Reached a destination outside the target set: no transit question. */
        out->status = KP_TRANSIT_UNDETERMINED;
        out->confidence = 0.0;
        out->target_hop = last;
        return 0;
    }
    if (cand < 0) {
        out->status = KP_TRANSIT_UNDETERMINED;
        out->confidence = 0.0;
        return 0;
    }
    set_handoff(&w, cand, asn);
    double pen = w.penalty > 0.4 ? 0.4 : w.penalty;
    if (admin) {
        out->status = KP_TRANSIT_FILTERED;
        out->filtered_by = asn;
        out->confidence = clamp01(0.9 - pen);
    } else {
        out->status = KP_TRANSIT_INCOMPLETE;
        out->confidence = clamp01(0.5 - pen);
    }
    return 0;
}
