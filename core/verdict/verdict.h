/* SPDX-License-Identifier: BSD-2-Clause */
/* verdict.h — which AS hands a trace's packets to the target AS.
 *
 * The per-trace transit decision of kpannotate (issue 5). Given one kp_trace
 * and, for each of its hops, an IP-to-AS annotation (filled by the caller from
 * whatever sources it has: prefix tables, RIB, mmdb, Team Cymru, PeeringDB),
 * kp_verdict_decide() says which AS carried the traffic into the target AS set
 * (by default AS131279), with a status, a confidence and the evidence.
 *
 * Pure: no I/O, no clocks, no globals, no allocation. Everything a decision
 * needs is passed in; the result is a plain value.
 */
#ifndef KP_VERDICT_H
#define KP_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/trace.h"

/* What kind of address a hop has, as far as IP-to-AS goes. */
enum kp_hop_class {
    KP_HCLASS_UNKNOWN = 0, /* not looked up */
    KP_HCLASS_PUBLIC,      /* a routed public address (asn may still be 0) */
    KP_HCLASS_PRIVATE,     /* RFC 1918 / ULA */
    KP_HCLASS_SHARED,      /* RFC 6598 100.64/10 */
    KP_HCLASS_RESERVED,    /* loopback, link-local, documentation, multicast, ... */
    KP_HCLASS_UNANNOUNCED, /* public but in no source */
    KP_HCLASS_COUNT
};

/* Name of a hop class ("public", "private", "shared", "reserved",
 * "unannounced", "unknown"). */
const char *kp_hop_class_name(enum kp_hop_class c);

#define KP_ANNOT_MAX_ORIGINS 4
#define KP_ANNOT_NAME_LEN    128
#define KP_ANNOT_SRC_LEN     16
#define KP_ANNOT_RDNS_LEN    256

/* The IP-to-AS annotation of one address. Plain value, fixed-size strings. */
struct kp_hop_annot {
    uint32_t asn;                           /* first (most seen) origin, 0 unknown */
    uint32_t origins[KP_ANNOT_MAX_ORIGINS]; /* all origins, origins[0] == asn */
    uint8_t n_origins;                      /* 0 when asn is unknown */
    uint8_t cls;                            /* enum kp_hop_class */
    char class_label[16];             /* finer label from the source ("benchmarking", "loopback",
                                         ...), "" = kp_hop_class_name(cls) */
    bool ixp;                         /* address inside an IXP peering LAN */
    uint32_t ixp_member_asn;          /* member using it (netixlan), 0 unknown */
    char ixp_name[KP_ANNOT_NAME_LEN]; /* "" unknown */
    char as_name[KP_ANNOT_NAME_LEN];  /* "" unknown */
    char source[KP_ANNOT_SRC_LEN];    /* which source answered: "pfx2as", "rib", ... */
    char rdns[KP_ANNOT_RDNS_LEN];     /* "" none */
};

/* Reset *a to "nothing known". */
void kp_hop_annot_init(struct kp_hop_annot *a);

/* An AS number with a display name. */
struct kp_as_name {
    uint32_t asn;
    const char *name;
};

/* Heuristics, as bits of kp_transit.heuristics and of
 * kp_verdict_config.disabled. Names: kp_heuristic_name(). */
enum kp_heuristic {
    KP_H_SILENT_GAP = 1u << 0,       /* "silent-gap": silent TTLs between handoff and target */
    KP_H_SKIP_PRIVATE = 1u << 1,     /* "skip-private": private/shared/reserved hop skipped */
    KP_H_SKIP_UNKNOWN = 1u << 2,     /* "skip-unannounced": hop with no origin AS skipped */
    KP_H_IXP = 1u << 3,              /* "ixp": IXP LAN address handled */
    KP_H_MPLS = 1u << 4,             /* "mpls": MPLS labels on the path before the target */
    KP_H_NEIGHBOUR_BORDER = 1u << 5, /* "neighbour-numbered-border": lone hop of another
                                        AS right before the target read as the target's
                                        ingress (or a third-party address) */
    KP_H_P2P_MATE = 1u << 6,         /* "p2p-mate": two consecutive hops are /30 or /31
                                        mates: the border link seen from both sides */
    KP_H_RTT_JUMP = 1u << 7,         /* "rtt-jump": RTT rises sharply into the target */
    KP_H_MULTI_ORIGIN = 1u << 8,     /* "multi-origin": handoff address has several origins */
    KP_H_DST_ONLY = 1u << 9,         /* "destination-only": only the destination was in the
                                        target (no target router answered) */
    KP_H_FILTERED_INSIDE = 1u << 10, /* "filtered-inside-target": !X from a target hop */
    KP_H_LOAD_BALANCED = 1u << 11,   /* "per-ttl-multiple-addresses": attempts at one TTL
                                        answered from different addresses */
    KP_H_HIDDEN_HANDOFF = 1u << 12,  /* "hidden-handoff": the last AS seen before the target
                                        is the vantage point's own network (not a transit
                                        of interest) and silent or unattributable TTLs
                                        follow it: whoever handed over may not be in the
                                        trace (undetermined when a target router answers
                                        after the gap, else confidence <= 0.3) */
    KP_H_DT_PREFIX = 1u << 13,       /* "doubletree-prefix": the handoff hop came from an
                                        earlier trace of the run below the interface where
                                        this Doubletree trace stopped (verdict_stitch.h) */
    KP_H_COUNT_BITS = 14
};

/* Name of one heuristic bit (NULL for an unknown bit). */
const char *kp_heuristic_name(unsigned bit);

/* The heuristic bit named s, or 0 when s names none. */
unsigned kp_heuristic_from_name(const char *s);

/* Decision parameters. Arrays are borrowed for the duration of a call. */
struct kp_verdict_config {
    const uint32_t *targets; /* target AS set (default {131279}) */
    size_t n_targets;
    const struct kp_as_name *known; /* transits of interest, with names */
    size_t n_known;
    double rtt_jump_ms; /* an RTT rise of at least this much into the target is
                           noted as supporting evidence (default 15 ms) */
    unsigned disabled;  /* KP_H_* bits of heuristics switched off */
};

/* Fill *c with the defaults: target {131279}; transits 4837 "China Unicom",
 * 20485 "TransTeleCom", 22351 "Intelsat"; rtt_jump_ms 15; nothing disabled.
 * The arrays point to constant data with static storage. */
void kp_verdict_config_default(struct kp_verdict_config *c);

/* True when asn is in the configured target set. */
bool kp_verdict_is_target(const struct kp_verdict_config *c, uint32_t asn);

/* The configured name of asn, or NULL when it is not a transit of interest. */
const char *kp_verdict_known_name(const struct kp_verdict_config *c, uint32_t asn);

enum kp_transit_status {
    KP_TRANSIT_UNDETERMINED = 0, /* "undetermined" */
    KP_TRANSIT_REACHED,          /* "reached": the target answered; asn handed traffic in */
    KP_TRANSIT_FILTERED,         /* "filtered": ended with admin-prohibited at asn */
    KP_TRANSIT_INCOMPLETE,       /* "incomplete": never reached the target; asn = last seen */
    KP_TRANSIT_STATUS_COUNT
};

const char *kp_transit_status_name(enum kp_transit_status s);
enum kp_transit_status kp_transit_status_from_name(const char *s); /* UNDETERMINED if unknown */

#define KP_VERDICT_MAX_SKIPPED 8

/* The decision for one trace. Hop positions are indices into trace->hops
 * (-1 when none); TTLs are given beside them for people. */
struct kp_transit {
    uint32_t asn; /* the deciding AS (see status), 0 none */
    char name[KP_ANNOT_NAME_LEN];
    enum kp_transit_status status;
    double confidence; /* 0..1 */
    /* evidence */
    int handoff_hop; /* hop whose AS is the verdict (last outside the target) */
    int target_hop;  /* first hop inside the target (maybe the destination) */
    int border_hop;  /* hop believed to be the target's ingress, -1 unknown */
    int last_hop;    /* last responding hop of the trace */
    uint8_t handoff_ttl, target_ttl;
    uint32_t filtered_by;                /* AS of the hop that sent admin-prohibited, 0 none */
    unsigned heuristics;                 /* KP_H_* bits that fired */
    int silent_ttls;                     /* silent TTLs between handoff and target hop */
    int skipped[KP_VERDICT_MAX_SKIPPED]; /* hops passed over (private, IXP, ...) */
    int n_skipped;
    double rtt_jump_ms;            /* RTT(target hop) - RTT(handoff hop), NAN-free: 0 unknown */
    char source[KP_ANNOT_SRC_LEN]; /* source of the handoff hop's AS */
};

/* Decide the transit of trace t.
 *   ann:     one annotation per hop (ann[i] describes t->hops[i]), n == t->n_hops.
 *   dst_ann: annotation of t->dst (may be NULL: then only hop annotations count).
 * The decision:
 *   - hops are taken one per TTL (first answering attempt), in TTL order;
 *   - the first hop whose origin is in the target set (or that came from the
 *     destination when the destination is in the target) is the target hop;
 *   - walking back from it, private/shared/reserved, unannounced and IXP hops
 *     are skipped; the first remaining hop is the handoff, its AS the transit;
 *   - a lone hop of AS X right before the target, preceded without a gap by
 *     AS W, where W is a transit of interest and X is not, is read as the
 *     target's border numbered from the neighbour's space or a third-party
 *     address: W wins (when X is a transit of interest too, X is kept);
 *   - when the handoff is the vantage point's own network (the AS of the trace's
 *     first hops, contiguous from TTL 1, private ones passed over), is not a
 *     transit of interest, and silent TTLs or skipped hops (IXP, unannounced,
 *     private) separate it from the target, the AS that handed over may be
 *     hidden (a silent transit, or an IXP port of unknown member): when a
 *     router of the target answers after the gap, "undetermined", asn 0, with
 *     handoff_hop still pointing at the last hop seen; when only the
 *     destination answers (direct peering into silent target routers looks
 *     the same), the VP's network with confidence at most 0.3;
 *   - a trace ending with admin-prohibited outside the target is "filtered"
 *     at the AS of that hop; one never reaching the target is "incomplete"
 *     with the last AS seen; nothing usable is "undetermined".
 * Writes *out and returns 0; -EINVAL on NULL arguments or n != t->n_hops. */
int kp_verdict_decide(const struct kp_verdict_config *c, const struct kp_trace *t,
                      const struct kp_hop_annot *ann, size_t n, const struct kp_hop_annot *dst_ann,
                      struct kp_transit *out);

#endif
