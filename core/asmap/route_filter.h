/* SPDX-License-Identifier: BSD-2-Clause */
/* route_filter.h — what the file sources (CAIDA prefix2as, bgpdump -m RIB)
 * refuse to use, and how they report it. Pure: no I/O, no globals.
 *
 * An announcement (a prefix2as line, a RIB entry) is dropped when its prefix
 *   - is a default route (0.0.0.0/0, ::/0), whatever the minimum length;
 *   - is shorter than the minimum length (default /8 IPv4, /16 IPv6);
 *   - lies inside special-purpose space (kp_prefix_class: private, shared,
 *     loopback, link-local, multicast, unspecified, reserved, documentation,
 *     benchmarking), unless that class is kept;
 *   - or when it has no usable origin: every AS of its path (RIB) or of its
 *     origin list (prefix2as) is a private, documentation or reserved AS
 *     number or AS_TRANS (kp_asn_class_of), unless that class is kept.
 * Target ASes (kpannotate -t) are never removed from a path or origin list.
 * A source also never answers for an address whose class it drops, so a
 * public aggregate does not hand its AS to special addresses inside it.
 * Each dropped entry is counted under its first reason, in the order above,
 * with the first one's line and prefix as an example.
 * See docs/asmap.md "What the file sources drop". */
#ifndef KP_ROUTE_FILTER_H
#define KP_ROUTE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/asmap/asmap.h"
#include "core/asmap/asn_num.h"

/* keep bits: special space and AS numbers a source uses as they are */
#define KP_KEEP_SPACE(cls) (1u << (unsigned)(cls))         /* enum kp_addr_class */
#define KP_KEEP_ASN(cls)   (1u << (16u + (unsigned)(cls))) /* enum kp_asn_class */
#define KP_KEEP_ALL        0xFFFFFFFFu

#define KP_MIN_PREFIX_LEN4 8  /* default minimum IPv4 prefix length */
#define KP_MIN_PREFIX_LEN6 16 /* default minimum IPv6 prefix length */

struct kp_route_filter {
    unsigned min_len4;       /* IPv4 prefixes shorter than this are dropped, 0..32 */
    unsigned min_len6;       /* IPv6, 0..128 */
    uint32_t keep;           /* KP_KEEP_* bits; 0 = drop all special space and ASNs */
    const uint32_t *targets; /* ASes never removed (borrowed), n_targets of them */
    size_t n_targets;
};

/* Drop reasons, as indices into kp_filter_stats.drop[]. */
enum kp_drop_bucket {
    KP_DROP_DEFAULT_ROUTE = 0,
    KP_DROP_TOO_SHORT,
    KP_DROP_SPACE, /* KP_DROP_SPACE + enum kp_addr_class (PUBLIC unused) */
    KP_DROP_NO_ORIGIN = KP_DROP_SPACE + KP_ACLASS_COUNT,
    KP_DROP_BUCKETS
};

struct kp_filter_count {
    unsigned long n;         /* entries counted */
    unsigned long line;      /* line of the first one (0: not from a file) */
    struct kp_prefix prefix; /* its prefix */
};

struct kp_filter_stats {
    unsigned long used;                           /* entries used */
    struct kp_filter_count drop[KP_DROP_BUCKETS]; /* entries dropped, per reason */
    /* entries used whose last AS (RIB) or one of whose origins (prefix2as)
     * was removed, by the class of that AS: the origin is the AS before it */
    struct kp_filter_count origin[KP_ASCLASS_COUNT];
};

/* The defaults: /8, /16, nothing special kept, no targets. */
void kp_route_filter_default(struct kp_route_filter *f);

/* Parse a comma-separated list of what to keep into *keep (replacing it):
 * address classes ("private", "shared", "loopback", "link-local",
 * "multicast", "unspecified", "reserved", "documentation", "benchmarking"),
 * AS number classes ("private-asn", "documentation-asn", "reserved-asn",
 * "as-trans"), or "all". Returns 0, or -EINVAL with the offending word in
 * bad (NUL-terminated, truncated to badlen). */
int kp_route_filter_parse_keep(const char *list, uint32_t *keep, char *bad, size_t badlen);

/* Parse "V4" or "V4,V6" (0..32, 0..128) into f->min_len4/6; a lone V4
 * leaves min_len6 as it is. Returns 0 or -EINVAL. */
int kp_route_filter_parse_min_len(const char *s, struct kp_route_filter *f);

/* May an announcement of p be used? -1 when yes, else its drop bucket
 * (KP_DROP_DEFAULT_ROUTE, KP_DROP_TOO_SHORT, KP_DROP_SPACE + class). f NULL:
 * the defaults. */
int kp_route_filter_prefix(const struct kp_route_filter *f, const struct kp_prefix *p);

/* May the source answer for address a (its class is public or kept)? */
bool kp_route_filter_addr(const struct kp_route_filter *f, const struct kp_addr *a);

/* The same for an address whose class (kp_addr_class_of) is known. */
bool kp_route_filter_class(const struct kp_route_filter *f, enum kp_addr_class c);

/* Is asn removed from paths and origin lists (special class, not kept, not
 * a target)? */
bool kp_route_filter_removes_asn(const struct kp_route_filter *f, uint32_t asn);

/* Remove the origins kp_route_filter_removes_asn names from rec, keeping the
 * order; with one origin left, the multi-origin and set flags go. *removed
 * (if not NULL) receives the class of the first removed origin, or
 * KP_ASCLASS_PUBLIC when none was. Returns 0, or -ENOENT when none is left. */
int kp_route_filter_origins(const struct kp_route_filter *f, struct kp_asn_rec *rec,
                            enum kp_asn_class *removed);

/* Count an entry in c: n++, and the first one's line and prefix. */
void kp_filter_count_add(struct kp_filter_count *c, unsigned long line, const struct kp_prefix *p);

/* Entries dropped, all reasons. */
unsigned long kp_filter_stats_dropped(const struct kp_filter_stats *s);

/* Entries used whose origin skipped a removed AS, all classes. */
unsigned long kp_filter_stats_origin_removed(const struct kp_filter_stats *s);

/* One line for people, e.g. "9067 used; dropped 2: 1 default route (line 1:
 * 0.0.0.0/0), 1 private space (line 61234: 10.6.0.0/16); origin AS removed
 * from 60: 60 private (line 2713: 1.22.0.0/24)". f gives the minimum
 * lengths named (NULL: the defaults). Returns buf. */
char *kp_filter_stats_str(const struct kp_filter_stats *s, const struct kp_route_filter *f,
                          char *buf, size_t len);

#endif
