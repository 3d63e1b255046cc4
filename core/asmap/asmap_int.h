/* SPDX-License-Identifier: BSD-2-Clause */
/* asmap_int.h — internals shared by the IP-to-AS sources and the façade.
 *
 * Not for other modules: use core/asmap/asmap.h. Declared here so that each
 * source stays in its own file and the unit tests can reach the loaders.
 */
#ifndef KP_ASMAP_INT_H
#define KP_ASMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/asmap/asmap.h"
#include "core/asmap/route_filter.h"
#include "core/base/trie.h"

/* Load a prefix2as file into t (values: struct kp_asn_rec). A prefix seen
 * twice keeps the later line. A malformed line fails the load, or with notes
 * (see struct kp_load_notes) is noted and skipped unless it is the first
 * line. Lines go through the route filter f (NULL: the defaults): dropped
 * ones and origins removed are counted in *stats (if not NULL; added to).
 * Returns 0, -errno, -EINVAL (err: "file:line: why"). */
int kp_pfx2as_load(struct kp_trie *t, const char *path, const struct kp_route_filter *f,
                   struct kp_filter_stats *stats, struct kp_load_notes *notes, char *err,
                   size_t errlen);

/* ---- names learned from sources (asmap.c) ---------------------------------- */

/* Learn the name of AS asn from source (used by lookups and by tests): the
 * first source to name an AS keeps it; an empty name is ignored. */
void kp_asmap_learn_name(struct kp_asmap *m, uint32_t asn, const char *name, const char *source);

/* Nodes visited in the table of learned names since the map was made
 * (core/base/htab.h `steps`): O(1) per lookup on average. */
uint64_t kp_asmap_name_steps(const struct kp_asmap *m);

/* ---- RIB from bgpdump -m (asn_bgpdump.c) -------------------------------- */

struct kp_rib;

/* New empty RIB for the given target ASes (copied), with the default route
 * filter. NULL on ENOMEM. */
struct kp_rib *kp_rib_new(const uint32_t *targets, size_t n_targets);
void kp_rib_free(struct kp_rib *r);

/* Route filter for later adds (copied; NULL: the defaults). Its targets are
 * replaced by the RIB's: a target AS is never removed from a path. */
void kp_rib_set_filter(struct kp_rib *r, const struct kp_route_filter *f);
const struct kp_route_filter *kp_rib_filter(const struct kp_rib *r);

/* What the adds since the last reset used, dropped and cleaned;
 * kp_rib_load resets it when it starts a file. */
const struct kp_filter_stats *kp_rib_stats(const struct kp_rib *r);
void kp_rib_stats_reset(struct kp_rib *r);

/* Load one bgpdump -m file (plain or gzip). Returns as kp_pfx2as_load.
 * Lines of other record kinds are skipped; a malformed line is an error, or
 * with notes is noted and skipped as in kp_pfx2as_load. */
int kp_rib_load(struct kp_rib *r, const char *path, struct kp_load_notes *notes, char *err,
                size_t errlen);

/* Nodes the last kp_rib_load visited in its table of the peers a snapshot
 * file holds (core/base/htab.h `steps`): O(1) per line and per implicit
 * withdrawal on average, which tests assert by counting. */
uint64_t kp_rib_peer_steps(const struct kp_rib *r);

/* Work of the last kp_rib_load's implicit withdrawals (routes gathered and
 * comparisons of their sort by peer): O(R log R) for a prefix of R routes,
 * which tests assert by counting. */
uint64_t kp_rib_implicit_steps(const struct kp_rib *r);

/* Add one parsed line (used by kp_rib_load and by tests): an announcement
 * goes through the RIB's route filter (dropped ones are counted, not
 * stored); its origins count once more for the prefix, and a path with a
 * target AS adds a route record, both read on the cleaned path. Returns
 * 0/-ENOMEM. */
int kp_rib_add(struct kp_rib *r, const struct kp_bgpdump_line *l);

/* Clean a parsed path in place (pure): the AS numbers the filter removes
 * (kp_route_filter_removes_asn) go, from sequences and sets; an AS set left
 * with one member becomes that AS, an emptied set goes; repeats of one AS
 * (prepending) collapse to one. *tail (if not NULL) receives the class of
 * the first removed AS of the path's last element (its last AS, or the
 * members of a trailing set), or KP_ASCLASS_PUBLIC when none was removed. */
void kp_bgpdump_clean_path(struct kp_bgpdump_line *l, const struct kp_route_filter *f,
                           enum kp_asn_class *tail);

/* Origin record of the longest RIB prefix covering a, or NULL. */
const struct kp_asn_rec *kp_rib_origin(const struct kp_rib *r, const struct kp_addr *a,
                                       struct kp_prefix *matched);

/* See kp_asmap_rib_history / kp_asmap_rib_upstreams. */
int kp_rib_history(struct kp_rib *r, const struct kp_prefix *p, const struct kp_rib_route **out,
                   size_t *n);
int kp_rib_upstreams(struct kp_rib *r, const struct kp_prefix *p, int64_t at, uint32_t *ups,
                     size_t max, struct kp_prefix *matched);

/* ---- mmdb (asn_mmdb.c) --------------------------------------------------- */

struct kp_mmdb;

/* Open a MaxMind DB file. NULL with *rc and err set on failure. */
struct kp_mmdb *kp_mmdb_open(const char *path, char *err, size_t errlen, int *rc);
void kp_mmdb_close(struct kp_mmdb *m);

/* Look a up: fills out->asns/n_asns/prefix and out->as_name (from
 * autonomous_system_organization or name); returns 0 (found), -ENOENT (not
 * in the database or no ASN field), -EIO (lookup error, or an ASN field
 * that is not an AS number: err says why). */
int kp_mmdb_lookup(struct kp_mmdb *m, const struct kp_addr *a, struct kp_asn_answer *out, char *err,
                   size_t errlen);

/* AS numbers from text ("AS4837", asdot, ...): core/asmap/asn_num.h. */
#include "core/asmap/asn_num.h"

/* ---- PeeringDB (ixp_peeringdb.c) ---------------------------------------- */

struct kp_ixp_rec {
    uint32_t ixlan_id;
    uint32_t ix_id;
    char name[KP_ASN_NAME_MAX];
};

/* Parse PeeringDB JSON (API ixpfx answer or full dump) from buf and add each
 * IXP prefix to t (values: struct kp_ixp_rec). An entry with a bad id (not
 * an integer in 0..2^32-1) is noted through notes (name, line 0, why:
 * "data[3].ixlan_id: out of range") and skipped; without notes (NULL) it
 * fails the parse. Returns the number of prefixes added (>= 0), or -EINVAL
 * (err says why), -ENOMEM. Pure. */
int kp_peeringdb_parse(const char *buf, size_t len, const char *name, struct kp_trie *t,
                       struct kp_load_notes *notes, char *err, size_t errlen);

/* Read path and call kp_peeringdb_parse. */
int kp_peeringdb_load(struct kp_trie *t, const char *path, struct kp_load_notes *notes, char *err,
                      size_t errlen);

#endif
