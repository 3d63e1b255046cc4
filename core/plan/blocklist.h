/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist.h — which target addresses kptrace may probe.
 *
 * Three lists of prefixes (IPv4 and IPv6), each a prefix trie (core/base/trie.h):
 *   default  the IANA special-purpose blocks (special_addr.h), compiled in:
 *            those the registry marks not globally reachable are blocked
 *            (this network, private-use, shared, loopback, link-local,
 *            multicast, reserved, limited broadcast, documentation,
 *            benchmarking, ...); the globally reachable ones inside them
 *            (192.0.0.9/32, 2001::/32, ...) are not;
 *   allow    --allowlist-file: probed even where the default list blocks;
 *   block    --blocklist-file: never probed, whatever the other two say.
 * An address is blocked by the longest block-list prefix holding it; else it
 * may be probed if an allow-list prefix holds it; else the longest default
 * block holding it decides. (zmap's allowlist means "only these"; here it
 * only lifts the default list.)
 *
 * Pure: no I/O (blocklist_file.c reads the files; kp_bl_parse_line is their
 * line syntax), no globals. Functions return 0 or a negative errno.
 */
#ifndef KP_BLOCKLIST_H
#define KP_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/trie.h"
#include "core/base/addr.h"

enum kp_bl_list { KP_BL_DEFAULT = 0, KP_BL_BLOCK, KP_BL_ALLOW, KP_BL_LISTS };

/* One entry of a list. */
struct kp_bl_rule {
    struct kp_prefix prefix;
    enum kp_bl_list list;
    bool blocks;        /* false: an allow entry, or a globally reachable registry block */
    const char *name;   /* registry name ("multicast"), or the file line's comment ("" if none) */
    const char *rfc;    /* registry: "RFC 5771"; files: NULL */
    const char *file;   /* files: the path as given; registry: NULL */
    unsigned long line; /* files: 1-based line */
};

struct kp_blocklist;

/* An empty set of lists, with the default list filled in when with_default.
 * NULL when out of memory. */
struct kp_blocklist *kp_blocklist_new(bool with_default);
void kp_blocklist_free(struct kp_blocklist *bl);

/* Add prefix p to list (KP_BL_BLOCK or KP_BL_ALLOW) with name[0..name_len)
 * (the comment of its line, may be empty), from file:line (file is copied).
 * A prefix already in that list keeps its first entry. 0, -EINVAL, -ENOMEM. */
int kp_blocklist_add(struct kp_blocklist *bl, enum kp_bl_list list, const struct kp_prefix *p,
                     const char *name, size_t name_len, const char *file, unsigned long line);

/* Number of entries in a list. */
size_t kp_blocklist_count(const struct kp_blocklist *bl, enum kp_bl_list list);

/* The entry that blocks address a, or NULL when a may be probed (IPv4 or
 * IPv6; an unset address is not blocked: there is nothing to probe). Entry
 * pointers stay valid until the next kp_blocklist_add. */
const struct kp_bl_rule *kp_blocklist_check(const struct kp_blocklist *bl, const struct kp_addr *a);

/* Cut the IPv4 prefix target into its maximal runs of addresses with one
 * outcome, in address order: fn(ctx, first, last, why) with why NULL for a
 * run that may be probed, else the entry that blocks it (adjacent runs with
 * the same entry are one call). The runs cover target exactly. Cost: linear
 * in the entries of the three lists that lie inside target (plus the depth
 * of the tries), never in its addresses; each run and boundary adds one to
 * kp_blocklist_steps. Returns 0, fn's non-zero value, -EAFNOSUPPORT (IPv6
 * target), -EINVAL or -ENOMEM. */
int kp_blocklist_split(struct kp_blocklist *bl, const struct kp_prefix *target,
                       int (*fn)(void *ctx, uint32_t first, uint32_t last,
                                 const struct kp_bl_rule *why),
                       void *ctx);

/* Work done by kp_blocklist_split so far (for tests that count work). */
uint64_t kp_blocklist_steps(const struct kp_blocklist *bl);

/* Why the entry blocks, for messages and sweep.json: "multicast (RFC 5771)",
 * or "FILE:LINE" followed by " (COMMENT)" when the line had one. Returns
 * buf. */
char *kp_bl_rule_reason(const struct kp_bl_rule *r, char *buf, size_t len);

/* The smallest list of CIDR prefixes covering first..last (IPv4, host
 * order), in address order: fn(ctx, base, len) for each (at most 62 calls).
 * Returns 0 or fn's non-zero value. */
int kp_range_cidrs(uint32_t first, uint32_t last, int (*fn)(void *ctx, uint32_t base, unsigned len),
                   void *ctx);

/* ---- what a sweep leaves out --------------------------------------------- */

/* One CIDR block of a target that is not probed, and why. */
struct kp_excluded {
    struct kp_prefix prefix; /* IPv4 */
    char *reason;            /* kp_bl_rule_reason of the entry (malloc'ed) */
    enum kp_bl_list list;    /* KP_BL_DEFAULT or KP_BL_BLOCK */
};

struct kp_exclusions {
    struct kp_excluded *v;
    size_t n, cap;
    uint64_t addresses; /* addresses in all of v */
};

/* Append first..last (IPv4, host order), blocked by why, as CIDR blocks.
 * 0 or -ENOMEM. */
int kp_exclusions_add(struct kp_exclusions *x, uint32_t first, uint32_t last,
                      const struct kp_bl_rule *why);

/* The blocks as "p1,p2,..." (malloc'ed; "" when none), the form a resumed
 * sweep compares with the one it stored. NULL when out of memory. */
char *kp_exclusions_list(const struct kp_exclusions *x);

/* Whether x leaves out exactly the blocks of stored (a kp_exclusions_list
 * string; NULL or "" = none), as a resumed sweep must. When not: false,
 * with both in msg. */
bool kp_exclusions_match(const struct kp_exclusions *x, const char *stored, char *msg,
                         size_t msglen);

void kp_exclusions_free(struct kp_exclusions *x);

/* ---- file syntax (the lines of --blocklist-file / --allowlist-file) ------ */

/* One line (without its newline): a prefix "a.b.c.d/len", "x:x::/len" or a
 * bare address (/32, /128), host bits zero; '#' starts a comment; blanks
 * around are ignored, a trailing CR too. Returns 1 with *p and the comment
 * (*comment, *comment_len: inside line, trimmed; length 0 when none), 0 for a
 * line without a prefix (blank or comment only), or -EINVAL with a message in
 * why ("\"10.1.0.0/8\": host bits set beyond /8 (10.0.0.0/8?)"). */
int kp_bl_parse_line(const char *line, size_t len, struct kp_prefix *p, const char **comment,
                     size_t *comment_len, char *why, size_t whylen);

#endif
