/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_bgpdump.c — `bgpdump -m` text: origins per prefix (IP-to-AS) and the
 * control-plane upstream of the target AS per prefix, per peer, over time.
 *
 * Line kinds understood (fields separated by '|'):
 *   TABLE_DUMP|time|B|peer_ip|peer_as|prefix|as_path|origin|...
 *   TABLE_DUMP2|time|B|peer_ip|peer_as|prefix|as_path|origin|nexthop|...
 *   TABLE_DUMP2_AP|time|B|peer_ip|peer_as|prefix|path_id|as_path|...
 *   BGP4MP|time|A|peer_ip|peer_as|prefix|as_path|origin|...   (announcement)
 *   BGP4MP|time|W|peer_ip|peer_as|prefix                      (withdrawal)
 *   BGP4MP_ET: the same with time "sec.usec".
 * Announcements go through the route filter (route_filter.h): default
 * routes, too short prefixes, special-purpose space and paths without a
 * public AS are dropped and counted; origin and upstream are read on the
 * cleaned path (kp_bgpdump_clean_path).
 * Other kinds (BGP4MP STATE, ...) are skipped. AS sets are "{a,b}";
 * confederation segments "(a b)" / "[a,b]" are left out of the path (see
 * parse_path). AS numbers are asplain or asdot ("1.2" = 65538), the peer AS
 * too; fields after the AS path (origin, next hop, MED, communities, ...) are
 * not read, and there may be any number of them.
 */
#include "core/asmap/asmap_int.h"
#include "io/reader.h"
#include "core/asmap/asn_num.h"
#include "core/asmap/route_filter.h"
#include "core/base/htab.h"
#include "core/base/slab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 20

struct field {
    const char *s;
    size_t n;
};

static bool field_is(const struct field *f, const char *lit)
{
    size_t n = strlen(lit);
    return f->n == n && memcmp(f->s, lit, n) == 0;
}

static int parse_u64(const struct field *f, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (f->n == 0 || f->n > 20)
        return -EINVAL;
    for (size_t i = 0; i < f->n; i++) {
        char c = f->s[i];
        if (c < '0' || c > '9')
            return -EINVAL;
        uint64_t d = (uint64_t)(c - '0');
        if (v > (max - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* One AS path as bgpdump prints it (libbgpdump's aspath string): members
 * of an AS_SEQUENCE separated by spaces; an AS_SET as "{a,b}"; an
 * AS_CONFED_SEQUENCE as "(a b)" and an AS_CONFED_SET as "[a,b]". Segments
 * are separated by spaces. Confederation segments are internal to the
 * confederation next to the collector (RFC 5065: not part of the AS path
 * outside it, never the origin), so they are left out, unless the path has
 * nothing else: then their members stand as a plain sequence. */
static int parse_path(const struct field *f, struct kp_bgpdump_line *out, const char **why)
{
    const size_t cap = sizeof(out->path) / sizeof(out->path[0]);
    uint32_t confed[sizeof(out->path) / sizeof(out->path[0])];
    size_t n_confed = 0;
    bool confed_truncated = false;
    uint8_t set_id = 0;
    char open = 0; /* the bracket of the segment we are in, 0 outside */
    size_t i = 0;
    while (i < f->n) {
        char c = f->s[i];
        if (c == ' ' || c == ',') {
            i++;
            continue;
        }
        if (c == '{' || c == '[' || c == '(') {
            if (open) {
                *why = "nested AS set";
                return -EINVAL;
            }
            open = c;
            if (c == '{')
                set_id = (uint8_t)(set_id == 255 ? 255 : set_id + 1);
            i++;
            continue;
        }
        if (c == '}' || c == ']' || c == ')') {
            char want = c == '}' ? '{' : c == ']' ? '[' : '(';
            if (open != want) {
                *why = "unbalanced AS set";
                return -EINVAL;
            }
            open = 0;
            i++;
            continue;
        }
        size_t s = i;
        while (i < f->n && ((f->s[i] >= '0' && f->s[i] <= '9') || f->s[i] == '.'))
            i++;
        uint32_t asn;
        if (i == s || kp_asn_parse(f->s + s, i - s, KP_ASN_ASDOT_OK, &asn) != 0) {
            *why = "bad AS number in path";
            return -EINVAL;
        }
        if (open == '[' || open == '(') {
            if (n_confed < cap)
                confed[n_confed++] = asn;
            else
                confed_truncated = true;
            continue;
        }
        if (out->path_len == cap) {
            /* Too long (prepending run wild): the origin and the target's
             * upstream sit at the end, so the second element goes, the
             * first (the collector peer's AS) and the tail stay. */
            memmove(out->path + 1, out->path + 2, (cap - 2) * sizeof(out->path[0]));
            memmove(out->path_set + 1, out->path_set + 2, cap - 2);
            out->path_len--;
            out->path_truncated = true;
        }
        out->path[out->path_len] = asn;
        out->path_set[out->path_len] = open == '{' ? set_id : 0;
        out->path_len++;
    }
    if (open) {
        *why = "unterminated AS set";
        return -EINVAL;
    }
    if (out->path_len == 0 && n_confed > 0) {
        memcpy(out->path, confed, n_confed * sizeof(confed[0]));
        out->path_len = n_confed;
        out->path_truncated = confed_truncated;
    }
    return 0;
}

int kp_bgpdump_parse_line(const char *line, size_t len, struct kp_bgpdump_line *out,
                          const char **why)
{
    static const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    memset(out, 0, sizeof(*out));
    struct field f[MAX_FIELDS];
    size_t nf = 0, s = 0;
    for (size_t i = 0; i <= len && nf < MAX_FIELDS; i++) {
        if (i == len || line[i] == '|') {
            f[nf].s = line + s;
            f[nf].n = i - s;
            nf++;
            s = i + 1;
        }
    }
    if (nf == 0 || (nf == 1 && f[0].n == 0))
        return 1;
    bool ap = false, bgp4mp = false;
    if (field_is(&f[0], "TABLE_DUMP2_AP"))
        ap = true;
    else if (field_is(&f[0], "BGP4MP") || field_is(&f[0], "BGP4MP_ET"))
        bgp4mp = true;
    else if (!field_is(&f[0], "TABLE_DUMP2") && !field_is(&f[0], "TABLE_DUMP"))
        return 1;
    if (nf < 3) {
        *why = "too few fields";
        return -EINVAL;
    }
    if (bgp4mp) {
        if (field_is(&f[2], "A"))
            out->kind = KP_BGPDUMP_ROUTE;
        else if (field_is(&f[2], "W"))
            out->kind = KP_BGPDUMP_WITHDRAW;
        else
            return 1; /* STATE and others */
    } else if (!field_is(&f[2], "B")) {
        *why = "table dump entry type is not B";
        return -EINVAL;
    }
    size_t need = out->kind == KP_BGPDUMP_WITHDRAW ? 6 : ap ? 8 : 7;
    if (nf < need) {
        *why = "too few fields";
        return -EINVAL;
    }
    /* time: seconds, optionally ".usec" (BGP4MP_ET) */
    struct field t = f[1];
    const char *dot = memchr(t.s, '.', t.n);
    if (dot != NULL) {
        struct field us = {dot + 1, t.n - (size_t)(dot - t.s) - 1};
        uint64_t dummy_us;
        if (parse_u64(&us, 999999, &dummy_us) != 0) {
            *why = "bad timestamp";
            return -EINVAL;
        }
        t.n = (size_t)(dot - t.s);
    }
    uint64_t v;
    if (parse_u64(&t, (uint64_t)INT64_MAX, &v) != 0) {
        *why = "bad timestamp";
        return -EINVAL;
    }
    out->time = (int64_t)v;
    char buf[KP_PREFIX_STRLEN + 2];
    if (f[3].n == 0 || f[3].n >= sizeof(buf)) {
        *why = "bad peer address";
        return -EINVAL;
    }
    memcpy(buf, f[3].s, f[3].n);
    buf[f[3].n] = '\0';
    if (kp_addr_parse(buf, &out->peer_ip) != 0) {
        *why = "bad peer address";
        return -EINVAL;
    }
    uint32_t peer_as;
    if (kp_asn_parse(f[4].s, f[4].n, KP_ASN_ASDOT_OK, &peer_as) != 0) {
        *why = "bad peer AS";
        return -EINVAL;
    }
    out->peer_as = peer_as;
    if (f[5].n == 0 || f[5].n >= sizeof(buf) || memchr(f[5].s, '/', f[5].n) == NULL) {
        *why = "bad prefix";
        return -EINVAL;
    }
    memcpy(buf, f[5].s, f[5].n);
    buf[f[5].n] = '\0';
    /* host bits beyond the length are cleared, as a router would */
    if (kp_prefix_parse(buf, true, &out->prefix) != 0) {
        *why = "bad prefix";
        return -EINVAL;
    }
    out->table_dump = !bgp4mp;
    if (out->kind == KP_BGPDUMP_WITHDRAW)
        return 0;
    size_t pi = 6;
    if (ap) {
        if (parse_u64(&f[6], UINT32_MAX, &v) != 0) {
            *why = "bad path id";
            return -EINVAL;
        }
        pi = 7;
    }
    return parse_path(&f[pi], out, why);
}

int kp_bgpdump_origin(const struct kp_bgpdump_line *l, struct kp_asn_rec *rec)
{
    memset(rec, 0, sizeof(*rec));
    if (l->path_len == 0)
        return -ENOENT;
    size_t last = l->path_len - 1;
    uint8_t set = l->path_set[last];
    if (set == 0) {
        rec->asns[0] = l->path[last];
        rec->n = 1;
        return 0;
    }
    /* trailing AS set: every member, in path order */
    size_t first = last;
    while (first > 0 && l->path_set[first - 1] == set)
        first--;
    for (size_t i = first; i <= last; i++) {
        bool dup = false;
        for (unsigned k = 0; k < rec->n; k++)
            dup = dup || rec->asns[k] == l->path[i];
        if (dup)
            continue;
        if (rec->n < KP_ASN_MAX)
            rec->asns[rec->n++] = l->path[i];
        else
            rec->flags |= KP_ASN_TRUNCATED;
    }
    rec->flags |= KP_ASN_SET;
    return 0;
}

void kp_bgpdump_clean_path(struct kp_bgpdump_line *l, const struct kp_route_filter *f,
                           enum kp_asn_class *tail)
{
    enum kp_asn_class t = KP_ASCLASS_PUBLIC;
    size_t n = l->path_len, k = 0;
    if (n == 0) {
        if (tail != NULL)
            *tail = t;
        return;
    }
    /* the path's last element: its last AS, or all of a trailing set */
    size_t last = n - 1;
    while (last > 0 && l->path_set[n - 1] != 0 && l->path_set[last - 1] == l->path_set[n - 1])
        last--;
    for (size_t i = 0; i < n; i++) {
        if (kp_route_filter_removes_asn(f, l->path[i])) {
            if (i >= last && t == KP_ASCLASS_PUBLIC)
                t = kp_asn_class_of(l->path[i]);
            continue;
        }
        l->path[k] = l->path[i];
        l->path_set[k] = l->path_set[i];
        k++;
    }
    /* an AS set of one member is that AS */
    for (size_t i = 0; i < k; i++) {
        uint8_t set = l->path_set[i];
        if (set != 0 && (i == 0 || l->path_set[i - 1] != set) &&
            (i + 1 == k || l->path_set[i + 1] != set))
            l->path_set[i] = 0;
    }
    /* prepending: a repeated AS counts once */
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m > 0 && l->path_set[i] == 0 && l->path_set[m - 1] == 0 && l->path[m - 1] == l->path[i])
            continue;
        l->path[m] = l->path[i];
        l->path_set[m] = l->path_set[i];
        m++;
    }
    l->path_len = m;
    if (tail != NULL)
        *tail = t;
}

/* ---- the RIB --------------------------------------------------------------- */

/* The origins of one prefix with the number of entries (for a table dump:
 * peers) that announced each, most announced first, first seen first on
 * ties. A prefix keeps the first KP_ASN_MAX origins it is seen with (later
 * ones only set KP_ASN_TRUNCATED). */
struct rib_origin {
    struct kp_asn_rec rec; /* first: kp_rib_origin hands out &rec */
    uint32_t seen[KP_ASN_MAX];
    uint8_t order[KP_ASN_MAX]; /* 0 for the origin seen first, 1 for the next ... */
};

struct kp_rib {
    uint32_t *targets;
    size_t n_targets;
    struct kp_route_filter filter; /* targets point into this struct's array */
    struct kp_filter_stats stats;  /* of the loads since kp_rib_stats_reset */
    unsigned long line;            /* line of the entry being added (0: none) */
    struct kp_trie *origins;       /* struct rib_origin */
    struct kp_trie *index;         /* uint32_t: 1-based index of the newest route of the prefix */
    struct kp_rib_route *routes;
    uint32_t *next; /* next[i]: 1-based index of the previous route of the same prefix */
    size_t n, cap;
    struct kp_rib_route *scratch;
    size_t scratch_cap;
    uint64_t peer_steps;     /* steps of the last load's peer table */
    uint64_t implicit_steps; /* routes and comparisons of its implicit withdrawals */
};

struct kp_rib *kp_rib_new(const uint32_t *targets, size_t n_targets)
{
    struct kp_rib *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->targets = calloc(n_targets ? n_targets : 1, sizeof(uint32_t));
    r->origins = kp_trie_new(sizeof(struct rib_origin));
    r->index = kp_trie_new(sizeof(uint32_t));
    if (r->targets == NULL || r->origins == NULL || r->index == NULL) {
        kp_rib_free(r);
        return NULL;
    }
    if (n_targets)
        memcpy(r->targets, targets, n_targets * sizeof(uint32_t));
    r->n_targets = n_targets;
    kp_rib_set_filter(r, NULL);
    return r;
}

void kp_rib_set_filter(struct kp_rib *r, const struct kp_route_filter *f)
{
    if (f != NULL)
        r->filter = *f;
    else
        kp_route_filter_default(&r->filter);
    r->filter.targets = r->targets;
    r->filter.n_targets = r->n_targets;
}

const struct kp_route_filter *kp_rib_filter(const struct kp_rib *r)
{
    return &r->filter;
}

const struct kp_filter_stats *kp_rib_stats(const struct kp_rib *r)
{
    return &r->stats;
}

void kp_rib_stats_reset(struct kp_rib *r)
{
    memset(&r->stats, 0, sizeof(r->stats));
}

/* Count one more entry announcing the origins of rec for the prefix; keep
 * the origins ordered by that count, first seen first on ties. */
static void origin_count(struct rib_origin *o, const struct kp_asn_rec *rec)
{
    bool had = o->rec.n > 0;
    o->rec.flags |= rec->flags;
    for (unsigned i = 0; i < rec->n; i++) {
        unsigned j = 0;
        while (j < o->rec.n && o->rec.asns[j] != rec->asns[i])
            j++;
        if (j == o->rec.n) {
            if (had)
                o->rec.flags |= KP_ASN_MULTI_ORIGIN;
            if (o->rec.n >= KP_ASN_MAX) {
                o->rec.flags |= KP_ASN_TRUNCATED;
                continue;
            }
            o->rec.asns[j] = rec->asns[i];
            o->seen[j] = 0;
            o->order[j] = o->rec.n;
            o->rec.n++;
        }
        if (o->seen[j] < UINT32_MAX)
            o->seen[j]++;
        while (j > 0 && (o->seen[j - 1] < o->seen[j] ||
                         (o->seen[j - 1] == o->seen[j] && o->order[j - 1] > o->order[j]))) {
            uint32_t a = o->rec.asns[j - 1], c = o->seen[j - 1];
            uint8_t f = o->order[j - 1];
            o->rec.asns[j - 1] = o->rec.asns[j];
            o->seen[j - 1] = o->seen[j];
            o->order[j - 1] = o->order[j];
            o->rec.asns[j] = a;
            o->seen[j] = c;
            o->order[j] = f;
            j--;
        }
    }
}

void kp_rib_free(struct kp_rib *r)
{
    if (r == NULL)
        return;
    free(r->targets);
    kp_trie_free(r->origins);
    kp_trie_free(r->index);
    free(r->routes);
    free(r->next);
    free(r->scratch);
    free(r);
}

static bool is_target(const struct kp_rib *r, uint32_t asn)
{
    for (size_t i = 0; i < r->n_targets; i++)
        if (r->targets[i] == asn)
            return true;
    return false;
}

static int push_route(struct kp_rib *r, const struct kp_rib_route *rt)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        if (cap > UINT32_MAX - 1)
            return -ENOMEM;
        struct kp_rib_route *nr = realloc(r->routes, cap * sizeof(*nr));
        if (nr == NULL)
            return -ENOMEM;
        r->routes = nr;
        uint32_t *nn = realloc(r->next, cap * sizeof(*nn));
        if (nn == NULL)
            return -ENOMEM;
        r->next = nn;
        r->cap = cap;
    }
    uint32_t *head = kp_trie_get(r->index, &rt->prefix);
    uint32_t idx = (uint32_t)r->n + 1;
    if (head == NULL) {
        int rc = kp_trie_insert(r->index, &rt->prefix, &idx);
        if (rc != 0)
            return rc;
        r->next[r->n] = 0;
    } else {
        r->next[r->n] = *head;
        *head = idx;
    }
    r->routes[r->n++] = *rt;
    return 0;
}

int kp_rib_add(struct kp_rib *r, const struct kp_bgpdump_line *line)
{
    struct kp_rib_route rt;
    memset(&rt, 0, sizeof(rt));
    rt.time = line->time;
    rt.prefix = line->prefix;
    rt.peer_ip = line->peer_ip;
    rt.peer_as = line->peer_as;
    if (line->kind == KP_BGPDUMP_WITHDRAW) {
        /* Only prefixes that carry target routes keep a timeline. */
        if (kp_trie_get(r->index, &line->prefix) == NULL)
            return 0;
        rt.withdrawn = true;
        return push_route(r, &rt);
    }
    int drop = kp_route_filter_prefix(&r->filter, &line->prefix);
    if (drop >= 0) {
        kp_filter_count_add(&r->stats.drop[drop], r->line, &line->prefix);
        return 0;
    }
    /* origin and upstream come from the cleaned path (route_filter.h) */
    struct kp_bgpdump_line clean = *line;
    const struct kp_bgpdump_line *l = &clean;
    enum kp_asn_class tail;
    kp_bgpdump_clean_path(&clean, &r->filter, &tail);
    struct kp_asn_rec rec;
    if (kp_bgpdump_origin(l, &rec) != 0) {
        kp_filter_count_add(&r->stats.drop[KP_DROP_NO_ORIGIN], r->line, &line->prefix);
        return 0;
    }
    r->stats.used++;
    if (tail != KP_ASCLASS_PUBLIC)
        kp_filter_count_add(&r->stats.origin[tail], r->line, &line->prefix);
    struct rib_origin *have = kp_trie_get(r->origins, &l->prefix);
    if (have == NULL) {
        struct rib_origin o;
        memset(&o, 0, sizeof(o));
        int rc = kp_trie_insert(r->origins, &l->prefix, &o);
        if (rc != 0)
            return rc;
        have = kp_trie_get(r->origins, &l->prefix);
    }
    origin_count(have, &rec);
    if (l->path_set[l->path_len - 1] == 0)
        rt.origin_as = l->path[l->path_len - 1];
    /* the target AS closest to the origin, and the AS just before it */
    size_t i = l->path_len;
    while (i > 0 && !(l->path_set[i - 1] == 0 && is_target(r, l->path[i - 1])))
        i--;
    if (i == 0)
        return 0;
    size_t ti = i - 1;
    rt.target_as = l->path[ti];
    size_t j = ti;
    while (j > 0 && l->path_set[j - 1] == 0 && l->path[j - 1] == rt.target_as)
        j--; /* skip prepending of the target */
    if (j > 0) {
        uint8_t set = l->path_set[j - 1];
        if (set != 0) {
            size_t k = j - 1;
            while (k > 0 && l->path_set[k - 1] == set)
                k--;
            rt.upstream_as = l->path[k];
            rt.upstream_is_set = true;
        } else {
            rt.upstream_as = l->path[j - 1];
        }
    }
    return push_route(r, &rt);
}

/* ---- RIB snapshots: peers seen in one file ------------------------------------ */

struct peer_key {
    struct kp_htab_node node;
    struct kp_addr ip;
    uint32_t as;
};

struct snapshot {
    struct kp_htab peers; /* struct peer_key, by peer_hash */
    struct kp_slab keys;  /* their storage */
    int64_t time;         /* earliest TABLE_DUMP time of the file */
    bool any;
};

static uint64_t peer_hash(const struct kp_addr *ip, uint32_t as)
{
    return kp_hash_u64(kp_addr_hash(0, ip), as);
}

static bool snap_has(struct snapshot *s, const struct kp_addr *ip, uint32_t as)
{
    uint64_t h = peer_hash(ip, as);
    for (struct kp_htab_node *n = kp_htab_first(&s->peers, h); n; n = kp_htab_next(&s->peers, n)) {
        const struct peer_key *k = KP_HTAB_ENTRY(n, struct peer_key, node);
        if (k->as == as && kp_addr_eq(&k->ip, ip))
            return true;
    }
    return false;
}

static int snap_add(struct snapshot *s, const struct kp_bgpdump_line *l)
{
    if (!s->any || l->time < s->time)
        s->time = l->time;
    s->any = true;
    if (snap_has(s, &l->peer_ip, l->peer_as))
        return 0;
    struct peer_key *k = kp_slab_add(&s->keys);
    if (k == NULL)
        return -ENOMEM;
    k->ip = l->peer_ip;
    k->as = l->peer_as;
    /* on failure the key stays unlinked in the slab until the load ends */
    return kp_htab_insert(&s->peers, &k->node, peer_hash(&l->peer_ip, l->peer_as));
}

struct implicit_ent { /* one route of a prefix, as the implicit-withdrawal pass sorts them */
    uint32_t i, pos;  /* its 1-based index; its position in the prefix's chain */
};

struct implicit_ctx {
    struct kp_rib *r;
    struct snapshot *snap;
    uint32_t first_new; /* routes[first_new..] came from the snapshot file */
    struct kp_rib_route *out;
    size_t n, cap;
    struct implicit_ent *ents; /* scratch: one prefix's routes */
    bool *pick;                /* scratch: by chain position, withdraw the peer's route */
    size_t ents_cap;
    uint64_t steps; /* routes gathered + comparisons made */
    int rc;
};

/* By peer (AS, address), then time, then file order. */
static int implicit_cmp(const void *va, const void *vb, void *vctx)
{
    struct implicit_ctx *c = vctx;
    c->steps++;
    const struct kp_rib_route *a = &c->r->routes[((const struct implicit_ent *)va)->i - 1];
    const struct kp_rib_route *b = &c->r->routes[((const struct implicit_ent *)vb)->i - 1];
    if (a->peer_as != b->peer_as)
        return a->peer_as < b->peer_as ? -1 : 1;
    int d = memcmp(&a->peer_ip, &b->peer_ip, sizeof(a->peer_ip)); /* bytes only: no padding */
    if (d != 0)
        return d;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    uint32_t ia = ((const struct implicit_ent *)va)->i, ib = ((const struct implicit_ent *)vb)->i;
    return ia < ib ? -1 : ia > ib;
}

static int implicit_grow(struct implicit_ctx *c, size_t n)
{
    if (n <= c->ents_cap)
        return 0;
    size_t cap = c->ents_cap ? c->ents_cap : 16;
    while (cap < n)
        cap *= 2;
    struct implicit_ent *e = realloc(c->ents, cap * sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    c->ents = e;
    bool *pk = realloc(c->pick, cap * sizeof(*pk));
    if (pk == NULL)
        return -ENOMEM;
    c->pick = pk;
    c->ents_cap = cap;
    return 0;
}

/* Mark, per peer of the prefix (a run of ents[lo..hi) sorted by
 * implicit_cmp), the route to withdraw: the peer's newest earlier record at
 * or before the snapshot time (later in the file wins on equal times), when
 * it is a live route, the peer is in the snapshot file and has no record of
 * the prefix there. */
static void implicit_pick_peer(struct implicit_ctx *c, size_t lo, size_t hi)
{
    const struct kp_rib_route *rt = c->r->routes;
    size_t best = SIZE_MAX;
    for (size_t k = lo; k < hi; k++) {
        uint32_t i = c->ents[k].i;
        if (i - 1 >= c->first_new)
            return; /* the peer has the prefix in the snapshot */
        if (rt[i - 1].time <= c->snap->time)
            best = k; /* sorted by time then file order: the last one is the newest */
    }
    if (best == SIZE_MAX)
        return;
    const struct kp_rib_route *a = &rt[c->ents[best].i - 1];
    if (!a->withdrawn && snap_has(c->snap, &a->peer_ip, a->peer_as))
        c->pick[c->ents[best].pos] = true;
}

static int implicit_push(struct implicit_ctx *c, const struct kp_prefix *p,
                         const struct kp_rib_route *a)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct kp_rib_route *no = realloc(c->out, cap * sizeof(*no));
        if (no == NULL)
            return -ENOMEM;
        c->out = no;
        c->cap = cap;
    }
    c->out[c->n++] = (struct kp_rib_route){.time = c->snap->time,
                                           .prefix = *p,
                                           .peer_ip = a->peer_ip,
                                           .peer_as = a->peer_as,
                                           .withdrawn = true};
    return 0;
}

/* For one prefix: each peer of the snapshot whose newest earlier record (at
 * or before the snapshot time) is a live route, and that has no record in the
 * snapshot file, gets a withdrawal at the snapshot time. The prefix's routes
 * are sorted by peer once: O(R log R) for R routes, not R * R (a RIB keeps
 * a route per peer and file: dozens to hundreds per prefix). Withdrawals come
 * out in the prefix's chain order. */
static int implicit_withdrawals(const struct kp_prefix *p, const void *value, void *vctx)
{
    struct implicit_ctx *c = vctx;
    const struct kp_rib *r = c->r;
    uint32_t head = *(const uint32_t *)value;
    size_t n = 0;
    for (uint32_t i = head; i != 0; i = r->next[i - 1]) {
        if ((c->rc = implicit_grow(c, n + 1)) != 0)
            return 1;
        c->ents[n] = (struct implicit_ent){i, (uint32_t)n};
        c->pick[n] = false;
        n++;
    }
    c->steps += n;
    qsort_r(c->ents, n, sizeof(*c->ents), implicit_cmp, c);
    for (size_t lo = 0; lo < n;) {
        const struct kp_rib_route *a = &r->routes[c->ents[lo].i - 1];
        size_t hi = lo + 1;
        while (hi < n) {
            const struct kp_rib_route *b = &r->routes[c->ents[hi].i - 1];
            if (b->peer_as != a->peer_as || !kp_addr_eq(&b->peer_ip, &a->peer_ip))
                break;
            hi++;
        }
        implicit_pick_peer(c, lo, hi);
        lo = hi;
    }
    size_t pos = 0;
    for (uint32_t i = head; i != 0; i = r->next[i - 1], pos++) {
        if (c->pick[pos] && (c->rc = implicit_push(c, p, &r->routes[i - 1])) != 0)
            return 1;
    }
    return 0;
}

/* Does the line start with a kind of line bgpdump -m writes? */
static bool is_bgpdump_kind(const char *line, size_t len)
{
    static const char *const kinds[] = {"TABLE_DUMP|", "TABLE_DUMP2|", "TABLE_DUMP2_AP|", "BGP4MP|",
                                        "BGP4MP_ET|"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i]);
        if (len >= n && memcmp(line, kinds[i], n) == 0)
            return true;
    }
    return false;
}

int kp_rib_load(struct kp_rib *r, const char *path, struct kp_load_notes *notes, char *err,
                size_t errlen)
{
    int rc;
    struct kp_lines *lr = kp_lines_open(path, &rc);
    if (lr == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    const char *line;
    size_t len;
    struct kp_bgpdump_line *l = malloc(sizeof(*l));
    struct snapshot snap;
    memset(&snap, 0, sizeof(snap));
    kp_htab_init(&snap.peers);
    kp_slab_init(&snap.keys, sizeof(struct peer_key), 256);
    uint32_t first_new = (uint32_t)r->n;
    if (l == NULL) {
        kp_lines_close(lr);
        return -ENOMEM;
    }
    bool seen_text = false;
    unsigned long first_line = 0; /* a bad first line is never skipped */
    kp_rib_stats_reset(r);
    r->implicit_steps = 0;
    while ((rc = kp_lines_next(lr, &line, &len)) == 1) {
        const char *why;
        if (!seen_text && len > 0) {
            /* The first line tells text from a raw MRT file (or another
             * compression) given by mistake, which would otherwise be
             * skipped line by line into an empty RIB. */
            seen_text = true;
            first_line = kp_lines_lineno(lr);
            if (!is_bgpdump_kind(line, len)) {
                snprintf(err, errlen,
                         "%s:%lu: not a `bgpdump -m` line (an MRT file? run `bgpdump -m` on it "
                         "first; gzip and bzip2 are read)",
                         path, kp_lines_lineno(lr));
                rc = -EINVAL;
                break;
            }
        }
        int prc = kp_bgpdump_parse_line(line, len, l, &why);
        if (prc == 1)
            continue;
        if (prc != 0 && notes != NULL && kp_lines_lineno(lr) > first_line) {
            notes->skipped++;
            if (notes->note)
                notes->note(notes->ctx, path, kp_lines_lineno(lr), why);
            continue;
        }
        if (prc != 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(lr), why);
            rc = -EINVAL;
            break;
        }
        rc = l->table_dump ? snap_add(&snap, l) : 0;
        r->line = kp_lines_lineno(lr);
        if (rc == 0)
            rc = kp_rib_add(r, l);
        r->line = 0;
        if (rc != 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(lr), strerror(-rc));
            break;
        }
        rc = 1;
    }
    if (rc == -EIO)
        snprintf(err, errlen, "%s:%lu: read error (corrupt gzip?)", path, kp_lines_lineno(lr) + 1);
    free(l);
    kp_lines_close(lr);
    if (rc >= 0 && snap.any && first_new > 0) {
        struct implicit_ctx c = {.r = r, .snap = &snap, .first_new = first_new};
        kp_trie_walk(r->index, implicit_withdrawals, &c);
        rc = c.rc;
        r->implicit_steps = c.steps;
        free(c.ents);
        free(c.pick);
        for (size_t i = 0; i < c.n && rc == 0; i++)
            rc = push_route(r, &c.out[i]);
        free(c.out);
        if (rc != 0)
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
    }
    r->peer_steps = snap.peers.steps;
    kp_htab_free(&snap.peers);
    kp_slab_free(&snap.keys);
    return rc < 0 ? rc : 0;
}

uint64_t kp_rib_peer_steps(const struct kp_rib *r)
{
    return r->peer_steps;
}

uint64_t kp_rib_implicit_steps(const struct kp_rib *r)
{
    return r->implicit_steps;
}

const struct kp_asn_rec *kp_rib_origin(const struct kp_rib *r, const struct kp_addr *a,
                                       struct kp_prefix *matched)
{
    return kp_trie_lookup(r->origins, a, matched);
}

static int cmp_addr(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->b, b->b, 16);
}

static int cmp_route(const void *x, const void *y)
{
    const struct kp_rib_route *a = x, *b = y;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->peer_as != b->peer_as)
        return a->peer_as < b->peer_as ? -1 : 1;
    return cmp_addr(&a->peer_ip, &b->peer_ip);
}

/* Copy the routes of one stored prefix (list from head) into scratch, sorted
 * by time then peer; ties keep file order (the list is newest-first, so it is
 * reversed, then insertion-sorted, which is stable and fine for the few
 * routes one prefix has). */
static int collect(struct kp_rib *r, uint32_t head, size_t *n)
{
    size_t cnt = 0;
    for (uint32_t i = head; i != 0; i = r->next[i - 1])
        cnt++;
    if (cnt > r->scratch_cap) {
        struct kp_rib_route *s = realloc(r->scratch, cnt * sizeof(*s));
        if (s == NULL)
            return -ENOMEM;
        r->scratch = s;
        r->scratch_cap = cnt;
    }
    size_t k = cnt;
    for (uint32_t i = head; i != 0; i = r->next[i - 1])
        r->scratch[--k] = r->routes[i - 1];
    /* stable insertion sort */
    for (size_t a = 1; a < cnt; a++) {
        struct kp_rib_route x = r->scratch[a];
        size_t b = a;
        while (b > 0 && cmp_route(&r->scratch[b - 1], &x) > 0) {
            r->scratch[b] = r->scratch[b - 1];
            b--;
        }
        r->scratch[b] = x;
    }
    *n = cnt;
    return 0;
}

int kp_rib_history(struct kp_rib *r, const struct kp_prefix *p, const struct kp_rib_route **out,
                   size_t *n)
{
    struct kp_prefix m;
    const uint32_t *head = kp_trie_lookup_prefix(r->index, p, &m);
    *out = NULL;
    *n = 0;
    if (head == NULL)
        return -ENOENT;
    int rc = collect(r, *head, n);
    if (rc != 0)
        return rc;
    *out = r->scratch;
    return 0;
}

/* State per peer at time `at` over the sorted scratch[0..n): fills ups with
 * distinct upstreams, ascending; returns the number of live peers. */
static size_t live_upstreams(const struct kp_rib_route *s, size_t n, int64_t at, uint32_t *ups,
                             size_t *n_ups, size_t max_ups)
{
    size_t live = 0;
    *n_ups = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].time > at)
            continue;
        /* is this the newest record <= at of its peer? */
        bool newest = true;
        for (size_t j = i + 1; j < n && newest; j++)
            if (s[j].time <= at && s[j].peer_as == s[i].peer_as &&
                kp_addr_eq(&s[j].peer_ip, &s[i].peer_ip))
                newest = false;
        if (!newest || s[i].withdrawn)
            continue;
        live++;
        if (s[i].upstream_as == 0)
            continue;
        size_t k = 0;
        while (k < *n_ups && ups[k] < s[i].upstream_as)
            k++;
        if (k < *n_ups && ups[k] == s[i].upstream_as)
            continue;
        if (*n_ups == max_ups)
            continue;
        memmove(ups + k + 1, ups + k, (*n_ups - k) * sizeof(*ups));
        ups[k] = s[i].upstream_as;
        (*n_ups)++;
    }
    return live;
}

int kp_rib_upstreams(struct kp_rib *r, const struct kp_prefix *p, int64_t at, uint32_t *ups,
                     size_t max, struct kp_prefix *matched)
{
    enum { CAP = 256 };
    uint32_t all[CAP];
    struct kp_prefix q = *p;
    for (;;) {
        struct kp_prefix m;
        const uint32_t *head = kp_trie_lookup_prefix(r->index, &q, &m);
        if (head == NULL)
            return -ENOENT;
        size_t n;
        int rc = collect(r, *head, &n);
        if (rc != 0)
            return rc;
        size_t n_ups;
        size_t live = live_upstreams(r->scratch, n, at, all, &n_ups, CAP);
        if (live > 0) {
            if (matched != NULL)
                *matched = m;
            for (size_t i = 0; i < n_ups && i < max; i++)
                ups[i] = all[i];
            return (int)n_ups;
        }
        /* nothing announced at `at` for this prefix: try the covering ones */
        if (m.len == 0)
            return -ENOENT;
        kp_prefix_make(&m.addr, m.len - 1u, &q);
    }
}
