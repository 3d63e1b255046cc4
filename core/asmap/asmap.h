/* SPDX-License-Identifier: BSD-2-Clause */
/* asmap.h — IP-to-AS with provenance: a set of sources queried in order.
 *
 * A struct kp_asmap holds the sources the user configured, in the order they
 * were added (that order is the precedence): CAIDA prefix2as files, bgpdump -m
 * RIB text, MaxMind/IPinfo mmdb files, and Team Cymru's DNS interface. A
 * lookup asks the sources in order and the first that knows the address
 * answers; the answer records which source that was ("pfx2as", "rib",
 * "mmdb:<file name>", "cymru"). Every answer also carries the address class
 * (private, shared, benchmarking, ...) and the IXP label from PeeringDB data.
 *
 * The file sources (prefix2as, RIB) drop default routes, too short prefixes,
 * announcements of special-purpose space and private/reserved origin ASes,
 * count what they dropped, and never answer for an address of a class they
 * drop (route_filter.h; kp_asmap_set_filter keeps chosen classes, e.g. for
 * the testbed, which numbers its Internet from 198.18.0.0/15 and the
 * documentation ranges). The DNS source skips the classes that can never be
 * announced (private, shared, loopback, link-local, multicast, unspecified,
 * reserved): see kp_addr_class_routable. For mmdb files classes are labels.
 *
 * Errors: functions return 0 or a negative errno (libuv style); functions that
 * read files also write a one-line message naming file:line into err.
 * Not thread-safe; one map per thread.
 */
#ifndef KP_ASMAP_H
#define KP_ASMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/base/trie.h"
#include "core/base/special_addr.h"

#define KP_ASN_MAX      8   /* origins kept per prefix (more: KP_ASN_TRUNCATED) */
#define KP_ASN_NAME_MAX 128 /* AS name, including the NUL */
#define KP_ASN_SRC_MAX  80  /* source name, including the NUL */
#define KP_ASN_ERR_MAX  160 /* error text, including the NUL */

/* ---- address classes (addr_class.c, pure) ------------------------------ */

/* enum kp_addr_class: core/base/special_addr.h, with the registry it comes from. */

/* Class of address a (most specific special-purpose block, RFC 6890 and the
 * IANA special-purpose registries). Unset address: KP_ACLASS_UNSPECIFIED. */
enum kp_addr_class kp_addr_class_of(const struct kp_addr *a);

/* Class of a whole prefix: the most specific special-purpose block that
 * contains all of p (p->len at least the block's length); public when none
 * does. A prefix that only covers a special block (192.0.0.0/16 holds
 * 192.0.2.0/24) is public; its special addresses keep their class in
 * kp_addr_class_of. Prefixes inside ::ffff:0:0/96 (IPv4-mapped) are
 * reserved. Unset prefix: KP_ACLASS_UNSPECIFIED. */
enum kp_addr_class kp_prefix_class(const struct kp_prefix *p);

/* Stable lower-case label: "public", "private", "shared", "loopback",
 * "link-local", "multicast", "unspecified", "reserved", "documentation",
 * "benchmarking". */
const char *kp_addr_class_name(enum kp_addr_class c);

/* False for classes that are never routed on the Internet (private, shared,
 * loopback, link-local, multicast, unspecified, reserved); true for public,
 * documentation and benchmarking (which test networks do route). */
bool kp_addr_class_routable(enum kp_addr_class c);

/* ---- the answer --------------------------------------------------------- */

enum kp_asn_status {
    KP_ASN_FOUND = 0,   /* a source answered: asns[] and source are set */
    KP_ASN_UNANNOUNCED, /* routable class, every source asked, none knows it */
    KP_ASN_SPECIAL,     /* non-routable class and no source knows it */
    KP_ASN_UNKNOWN,     /* no answer and at least one source failed (see error) */
};

enum {
    KP_ASN_MULTI_ORIGIN = 1 << 0, /* several origins (pfx2as "a_b", RIB MOAS) */
    KP_ASN_SET = 1 << 1,          /* an AS set (pfx2as "a,b", RIB "{a,b}") */
    KP_ASN_TRUNCATED = 1 << 2,    /* more than KP_ASN_MAX origins; rest dropped */
};

struct kp_asn_answer {
    enum kp_asn_status status;
    uint32_t asns[KP_ASN_MAX];     /* origins in the source's order (pfx2as: most seen first) */
    unsigned n_asns;               /* 0 unless status == KP_ASN_FOUND */
    unsigned flags;                /* KP_ASN_MULTI_ORIGIN | KP_ASN_SET | KP_ASN_TRUNCATED */
    struct kp_prefix prefix;       /* prefix the source matched (len 0 family 0 if none) */
    char source[KP_ASN_SRC_MAX];   /* "pfx2as", "rib", "mmdb:<basename>", "cymru", "" */
    char as_name[KP_ASN_NAME_MAX]; /* name of asns[0] or "" */
    char as_name_source[KP_ASN_SRC_MAX]; /* where as_name came from: "mmdb:<basename>",
                                           "cymru", "builtin", "" */
    enum kp_addr_class addr_class;       /* always set */
    bool ixp;                            /* inside a PeeringDB IXP prefix */
    char ixp_name[KP_ASN_NAME_MAX];      /* IXP name ("ixlan <id>" when no name known) */
    char error[KP_ASN_ERR_MAX];          /* failures of sources asked ("cymru: timeout"), or "" */
    char as_domain[KP_ASN_NAME_MAX];     /* IPinfo "domain" of the AS, or "" */
};

/* ---- the façade (asmap.c) ----------------------------------------------- */

struct kp_asmap;

/* Where the line-oriented sources (prefix2as, bgpdump -m) report the lines
 * they skip. Without it (the default) a malformed line makes the load fail;
 * with it, a malformed line is noted and skipped, unless it is the file's
 * first line (the file is then taken for another format and refused). A
 * PeeringDB entry with a bad id is noted with line 0 and its path in why
 * ("data[3].ixlan_id: out of range"). The loaders add to `skipped`. Owned
 * by the caller; must outlive the loads. */
struct kp_load_notes {
    void (*note)(void *ctx, const char *path, unsigned long line, const char *why);
    void *ctx;
    unsigned long skipped;
};

struct kp_route_filter; /* core/asmap/route_filter.h */
struct kp_filter_stats;

/* Create an empty map (no sources: every lookup is UNANNOUNCED/SPECIAL).
 * Returns NULL on out of memory. Free with kp_asmap_free. */
struct kp_asmap *kp_asmap_new(void);

/* Free the map, its sources, its DNS channel; saves the Cymru cache file if
 * one was configured (errors there are ignored: call kp_asmap_save_cache
 * first to see them). NULL is fine. */
void kp_asmap_free(struct kp_asmap *m);

/* Add a CAIDA prefix2as file (plain or gzip, detected by magic) as the next
 * source, named "pfx2as". Lines the route filter drops are counted
 * (kp_asmap_load_stats). Returns 0, -ENOENT/-EIO (cannot read), -EINVAL
 * (bad line: err says "file:line: why"), -ENOMEM. */
int kp_asmap_add_pfx2as(struct kp_asmap *m, const char *path, char *err, size_t errlen);

/* Report (and skip) malformed lines of later prefix2as, bgpdump and PeeringDB loads
 * through notes (NULL: fail on them, the default). Borrowed. */
void kp_asmap_set_load_notes(struct kp_asmap *m, struct kp_load_notes *notes);

/* Route filter of later prefix2as and bgpdump loads (copied; NULL: the
 * defaults, /8 and /16, nothing special kept; its targets are ignored: the
 * map's targets are never removed). See route_filter.h. */
void kp_asmap_set_filter(struct kp_asmap *m, const struct kp_route_filter *f);

/* What the last kp_asmap_add_pfx2as or kp_asmap_add_bgpdump used, dropped
 * and cleaned (format it with kp_filter_stats_str). Valid until the next
 * add. */
const struct kp_filter_stats *kp_asmap_load_stats(const struct kp_asmap *m);

/* Add a `bgpdump -m` text file (plain or gzip) as the next source, named
 * "rib": origin = last AS of each path once private, documentation and
 * reserved ASes and AS_TRANS are removed and prepending collapsed (a trailing
 * AS set: its members); several origins for one prefix (from several peers)
 * are kept as a multi-origin answer, the one most entries announced first.
 * Announcements the route filter drops are counted (kp_asmap_load_stats).
 * Also records, for every
 * path that contains one of the target ASes set by kp_asmap_set_targets
 * (default: 131279), the control-plane upstream: see kp_asmap_rib_*.
 * Lines of other MRT types are skipped. Several files may be added (dumps at
 * several times, in time order); they form one "rib" source. A file with RIB
 * snapshot lines (TABLE_DUMP*) is a snapshot at its earliest line's time: a
 * peer that appears in it but no longer has a route to a target prefix it
 * had before gets a withdrawal at that time. Returns as kp_asmap_add_pfx2as. */
int kp_asmap_add_bgpdump(struct kp_asmap *m, const char *path, char *err, size_t errlen);

/* Add a MaxMind DB file as the next source, named "mmdb:<basename>". Both the
 * GeoLite2-ASN layout (autonomous_system_number, autonomous_system_organization)
 * and the IPinfo ASN layout (asn "AS4837", name, domain) are understood. The
 * file stays open (memory-mapped) until kp_asmap_free. Returns 0, -ENOENT,
 * -EINVAL (not an mmdb, err says why), -ENOMEM. */
int kp_asmap_add_mmdb(struct kp_asmap *m, const char *path, char *err, size_t errlen);

/* Load PeeringDB data: either an API answer for ixpfx ({"data":[...]}) or a
 * full dump with "ix", "ixlan", "ixpfx" objects (names resolved through
 * ixlan.ix_id -> ix.name). Marks answers' ixp/ixp_name; not an AS source. */
int kp_asmap_add_peeringdb(struct kp_asmap *m, const char *path, char *err, size_t errlen);

struct kp_cymru_opts {
    const char *dns_server; /* "ip" or "ip:port" or "[v6]:port"; NULL = system resolver */
    const char *cache_path; /* persistent cache file, NULL = memory only */
    int timeout_ms;         /* per try, default 1500 */
    int tries;              /* per query, default 2 */
    int max_inflight;       /* queries in flight at once, default 32 */
    double rate_per_s;      /* queries started per second at most, default 50 */
    int64_t ttl_s;          /* cache lifetime of an answer, default 86400*7 */
    int64_t negative_ttl_s; /* lifetime of "no such prefix", default 86400 */
    int64_t now_s;          /* clock for cache expiry, 0 = time(NULL) */
    int max_failures;       /* consecutive timeouts/refusals before the source is
                               declared down for this run (lookups then fail at
                               once), default 3 */
    bool no_names;          /* do not fetch AS names (ASnnn.asn.cymru.com) */
};

/* Add Team Cymru's DNS interface as the next source, named "cymru". opts may
 * be NULL (defaults); zero fields take defaults. Loads the cache file when it
 * exists (bad lines are skipped, expired entries dropped). Returns 0,
 * -EINVAL (bad dns_server, err says so), -ENOMEM, or a c-ares init failure
 * as -EIO. */
int kp_asmap_enable_cymru(struct kp_asmap *m, const struct kp_cymru_opts *opts, char *err,
                          size_t errlen);

/* Enable reverse DNS (PTR via c-ares, cached in memory), using dns_server as
 * in kp_cymru_opts (NULL: system resolver). Returns 0, -EINVAL, -EIO. */
int kp_asmap_enable_rdns(struct kp_asmap *m, const char *dns_server, int timeout_ms, int tries,
                         char *err, size_t errlen);

/* Target ASes for the RIB's upstream records (default {131279}). Call before
 * kp_asmap_add_bgpdump. Copies the array. Returns 0, -EINVAL (n == 0 or >
 * 64), -ENOMEM. */
int kp_asmap_set_targets(struct kp_asmap *m, const uint32_t *asns, size_t n);

/* Resolve with the DNS sources (Cymru origin, then AS names; and PTR names if
 * rdns is enabled) every address of addrs[] that the cache lacks; Cymru is
 * only asked for routable addresses that no file source placed before
 * "cymru" answers. Queries run concurrently (max_inflight, rate limit,
 * timeouts, retries). Blocks until all are done or failed; afterwards
 * kp_asmap_lookup and kp_asmap_rdns answer from the cache, and an address
 * that failed is not asked again in this run. Returns the number of
 * addresses whose Cymru origin lookup failed (0 = all fine; PTR failures are
 * not counted), or a negative errno (-ENOMEM). Without DNS sources: 0. */
int kp_asmap_prefetch(struct kp_asmap *m, const struct kp_addr *addrs, size_t n);

/* Look address a up: sources in order, first answer wins; fills *out
 * completely (status, asns, prefix, source, as_name, class, ixp, error).
 * For an address not prefetched, the Cymru source makes one synchronous
 * query (bounded by timeout_ms * tries; at once when the source is down).
 * Returns 0 (see out->status), or -EINVAL (a unset). */
int kp_asmap_lookup(struct kp_asmap *m, const struct kp_addr *a, struct kp_asn_answer *out);

/* Whether several threads may look up in m at once (kp_asmap_lookup,
 * kp_asmap_as_name) while no one changes m: true when every source is a
 * prefix2as table (PeeringDB's IXP LANs too), with no DNS source (Cymru,
 * rDNS), no mmdb (its answers teach AS names), no RIB, and no name learned.
 * When true, the tables' lookup indexes are built first (kp_trie_seal), so
 * lookups change nothing until the next source is added. */
bool kp_asmap_concurrent_lookups(struct kp_asmap *m);

/* Ask EVERY source (not only the first that answers), for evidence and
 * disagreement checks: out[i] for the i-th source in precedence order, up to
 * max. Returns the number of entries written (sources that do not know the
 * address get status UNANNOUNCED with their name in source), or -EINVAL. */
int kp_asmap_lookup_all(struct kp_asmap *m, const struct kp_addr *a, struct kp_asn_answer *out,
                        size_t max);

/* Name of AS asn: from names learned from sources (mmdb answers, Cymru AS
 * name records, cache), else from the built-in table of a few well-known
 * ASes (4837 China Unicom, 20485 TransTeleCom, 22351 Intelsat, 131279 Star
 * JV). Returns a pointer valid until the next call into the map, or NULL when
 * unknown; *source (if not NULL) receives "mmdb:<file>", "cymru" or
 * "builtin". Never queries DNS itself (prefetch does). */
const char *kp_asmap_as_name(struct kp_asmap *m, uint32_t asn, const char **source);

/* Built-in name of a well-known AS, or NULL (pure, no map needed). */
const char *kp_asn_builtin_name(uint32_t asn);

/* Reverse DNS name of a (from the rdns cache; when absent and rdns is enabled
 * one synchronous PTR query is made). Returns a pointer valid until the next
 * call into the map, or NULL (no name, rdns disabled, or failure). */
const char *kp_asmap_rdns(struct kp_asmap *m, const struct kp_addr *a);

/* Write the Cymru cache to its file now (atomically: temp file + rename).
 * Returns 0, -EINVAL (no cache file configured), or -errno. */
int kp_asmap_save_cache(struct kp_asmap *m, char *err, size_t errlen);

/* Number of sources and the i-th source's name ("pfx2as", "rib", ...). */
size_t kp_asmap_source_count(const struct kp_asmap *m);
const char *kp_asmap_source_name(const struct kp_asmap *m, size_t i);

/* Statistics of the DNS source for the user's summary. */
struct kp_asmap_dns_stats {
    unsigned long queries, answers, cache_hits, nxdomain, timeouts, garbage, servfail;
    bool down; /* declared down after max_failures consecutive failures */
};
void kp_asmap_dns_stats(const struct kp_asmap *m, struct kp_asmap_dns_stats *out);

/* ---- the control plane from bgpdump (asn_bgpdump.c) --------------------- */

/* One route toward a target AS, seen from one peer at one time. */
struct kp_rib_route {
    int64_t time;            /* the record's timestamp (seconds since epoch) */
    struct kp_prefix prefix; /* the announced prefix */
    struct kp_addr peer_ip;  /* the collector peer */
    uint32_t peer_as;
    uint32_t target_as;   /* the target AS found on the path */
    uint32_t upstream_as; /* AS just before target_as on the cleaned path (0: the
                             peer is the target itself, or withdrawn) */
    uint32_t origin_as;   /* last AS of the cleaned path (0: withdrawn or set) */
    bool upstream_is_set; /* the AS before the target was an AS set; upstream_as
                             is its first member */
    bool withdrawn;       /* BGP4MP withdrawal (W) of the prefix by this peer */
};

/* Every route record kept for the most specific RIB prefix that covers all
 * of p (p may be a /24 or a host), sorted by time then peer (file order on
 * ties). *out points into the map (valid until the next kp_asmap_rib_* call,
 * add_bgpdump or free); *n receives the count. Returns 0, or -ENOENT (no
 * covering prefix with target routes, or no RIB loaded). */
int kp_asmap_rib_history(struct kp_asmap *m, const struct kp_prefix *p,
                         const struct kp_rib_route **out, size_t *n);

/* Control-plane upstreams of the target for prefix p as of time `at` (use
 * INT64_MAX for "the latest"): for each peer the newest record at or before
 * `at` (a withdrawal removes the peer). The most specific covering prefix
 * that still has a live route at `at` is used: when a /24 was withdrawn, its
 * covering /22 answers. The distinct upstream ASes, ascending, go to ups[]
 * (up to max). *matched (if not NULL) receives the RIB prefix used. Returns
 * the number of distinct upstreams (may exceed max; only max are written;
 * 0 when live routes have no upstream, i.e. the peer is the target), or
 * -ENOENT (nothing announced at `at`, or no RIB loaded).
 * A route that vanishes from a later RIB snapshot file counts as withdrawn
 * at that snapshot's time (see kp_asmap_add_bgpdump). */
int kp_asmap_rib_upstreams(struct kp_asmap *m, const struct kp_prefix *p, int64_t at, uint32_t *ups,
                           size_t max, struct kp_prefix *matched);

/* ---- pure parsers, exposed for tests and fuzzing ------------------------ */

/* One origin record as the file sources keep it. */
struct kp_asn_rec {
    uint32_t asns[KP_ASN_MAX];
    uint8_t n;
    uint8_t flags; /* KP_ASN_MULTI_ORIGIN | KP_ASN_SET | KP_ASN_TRUNCATED */
};

/* Parse one prefix2as line ("prefix\tlen\tAS", AS = "a", "a_b", "a,b", or a
 * mix like "a_b,c") without its newline. Returns 0 (parsed), 1 (blank or
 * '#' comment line: nothing to do) or -EINVAL with a reason in why (static
 * string). Pure; bounds-checked on len (line need not be NUL-terminated). */
int kp_pfx2as_parse_line(const char *line, size_t len, struct kp_prefix *pfx,
                         struct kp_asn_rec *rec, const char **why);

/* One parsed bgpdump -m line. */
struct kp_bgpdump_line {
    enum { KP_BGPDUMP_ROUTE, KP_BGPDUMP_WITHDRAW } kind;
    int64_t time;
    struct kp_addr peer_ip;
    uint32_t peer_as;
    struct kp_prefix prefix;
    uint32_t path[64];    /* AS path, sets flattened: see path_set */
    uint8_t path_set[64]; /* 1 where path[i] is a member of an AS set, numbered
                             per set: entries of one set share the same
                             non-zero value */
    size_t path_len;      /* at most 64: a longer path keeps its first AS and
                             its last 63 (path_truncated then true) */
    bool path_truncated;
    bool table_dump; /* a RIB snapshot line (TABLE_DUMP*), not a BGP4MP update */
};

/* Parse one bgpdump -m line (TABLE_DUMP, TABLE_DUMP2, TABLE_DUMP2_AP,
 * BGP4MP/BGP4MP_ET announcements "A" and withdrawals "W") without newline.
 * Returns 0 (parsed), 1 (a line of another kind: skip), -EINVAL with why.
 * Pure, bounds-checked. */
int kp_bgpdump_parse_line(const char *line, size_t len, struct kp_bgpdump_line *out,
                          const char **why);

/* Origin record of a parsed path: the last element; a trailing AS set gives
 * all its members with KP_ASN_SET. Returns 0, or -ENOENT (empty path). The
 * RIB calls it on the cleaned path (kp_bgpdump_clean_path, asmap_int.h). */
int kp_bgpdump_origin(const struct kp_bgpdump_line *l, struct kp_asn_rec *rec);

#endif
