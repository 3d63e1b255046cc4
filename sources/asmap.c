/* SPDX-License-Identifier: BSD-2-Clause */
/* asmap.c — the IP-to-AS façade: sources in precedence order, provenance,
 * address classes, IXP labels, AS names. See asmap.h for the contract. */
#include "core/asmap/asmap.h"
#include "core/asmap/known_as.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap_int.h"
#include "sources/asn_cymru.h"
#include "sources/rdns.h"
#include "core/asmap/route_filter.h"
#include "core/base/htab.h"
#include "core/base/slab.h"

#define MAX_SOURCES 32
#define MAX_TARGETS 64

enum src_kind { SRC_PFX2AS, SRC_RIB, SRC_MMDB, SRC_CYMRU };

struct source {
    enum src_kind kind;
    char name[KP_ASN_SRC_MAX];
    struct kp_trie *table;         /* SRC_PFX2AS */
    struct kp_route_filter filter; /* SRC_PFX2AS (the RIB keeps its own) */
    struct kp_mmdb *mmdb;          /* SRC_MMDB */
};

struct learned_name {
    struct kp_htab_node node;
    uint32_t asn;
    char name[KP_ASN_NAME_MAX];
    char source[KP_ASN_SRC_MAX];
};

struct kp_asmap {
    struct source src[MAX_SOURCES];
    size_t n_src;
    struct kp_rib *rib;
    uint32_t targets[MAX_TARGETS];
    size_t n_targets;
    struct kp_trie *ixp;
    struct kp_cymru *cymru;
    bool cymru_has_cache;
    struct kp_rdns *rdns;
    struct kp_htab names;              /* struct learned_name by asn_hash */
    struct kp_slab name_at;            /* their storage */
    struct kp_load_notes *notes;       /* borrowed; NULL: malformed lines fail loads */
    struct kp_route_filter filter;     /* for later pfx2as/RIB loads; targets unset */
    struct kp_filter_stats last_stats; /* of the last pfx2as/RIB load */
};

struct kp_asmap *kp_asmap_new(void)
{
    struct kp_asmap *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->targets[0] = KP_ASN_TARGET_DEFAULT;
    m->n_targets = 1;
    kp_route_filter_default(&m->filter);
    kp_htab_init(&m->names);
    kp_slab_init(&m->name_at, sizeof(struct learned_name), 64);
    return m;
}

void kp_asmap_free(struct kp_asmap *m)
{
    if (m == NULL)
        return;
    if (m->cymru != NULL && m->cymru_has_cache) {
        char err[256];
        kp_cymru_save(m->cymru, err, sizeof(err));
    }
    for (size_t i = 0; i < m->n_src; i++) {
        kp_trie_free(m->src[i].table);
        kp_mmdb_close(m->src[i].mmdb);
    }
    kp_rib_free(m->rib);
    kp_trie_free(m->ixp);
    kp_cymru_free(m->cymru);
    kp_rdns_free(m->rdns);
    kp_htab_free(&m->names);
    kp_slab_free(&m->name_at);
    free(m);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static struct source *new_source(struct kp_asmap *m, enum src_kind kind, const char *name,
                                 char *err, size_t errlen)
{
    if (m->n_src == MAX_SOURCES) {
        snprintf(err, errlen, "too many sources (at most %d)", MAX_SOURCES);
        return NULL;
    }
    struct source *s = &m->src[m->n_src];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    snprintf(s->name, sizeof(s->name), "%s", name);
    return s;
}

int kp_asmap_add_pfx2as(struct kp_asmap *m, const char *path, char *err, size_t errlen)
{
    struct source *s = new_source(m, SRC_PFX2AS, "pfx2as", err, errlen);
    if (s == NULL)
        return -ENOSPC;
    s->table = kp_trie_new(sizeof(struct kp_asn_rec));
    if (s->table == NULL)
        return -ENOMEM;
    s->filter = m->filter;
    s->filter.targets = m->targets;
    s->filter.n_targets = m->n_targets;
    memset(&m->last_stats, 0, sizeof(m->last_stats));
    int rc = kp_pfx2as_load(s->table, path, &s->filter, &m->last_stats, m->notes, err, errlen);
    if (rc != 0) {
        kp_trie_free(s->table);
        s->table = NULL;
        return rc;
    }
    m->n_src++;
    return 0;
}

void kp_asmap_set_load_notes(struct kp_asmap *m, struct kp_load_notes *notes)
{
    m->notes = notes;
}

void kp_asmap_set_filter(struct kp_asmap *m, const struct kp_route_filter *f)
{
    if (f != NULL)
        m->filter = *f;
    else
        kp_route_filter_default(&m->filter);
    m->filter.targets = NULL;
    m->filter.n_targets = 0;
}

const struct kp_filter_stats *kp_asmap_load_stats(const struct kp_asmap *m)
{
    return &m->last_stats;
}

int kp_asmap_set_targets(struct kp_asmap *m, const uint32_t *asns, size_t n)
{
    if (n == 0 || n > MAX_TARGETS || asns == NULL)
        return -EINVAL;
    memcpy(m->targets, asns, n * sizeof(*asns));
    m->n_targets = n;
    return 0;
}

int kp_asmap_add_bgpdump(struct kp_asmap *m, const char *path, char *err, size_t errlen)
{
    bool fresh = m->rib == NULL;
    if (fresh) {
        if (m->n_src == MAX_SOURCES) {
            snprintf(err, errlen, "too many sources (at most %d)", MAX_SOURCES);
            return -ENOSPC;
        }
        m->rib = kp_rib_new(m->targets, m->n_targets);
        if (m->rib == NULL)
            return -ENOMEM;
    }
    kp_rib_set_filter(m->rib, &m->filter);
    memset(&m->last_stats, 0, sizeof(m->last_stats));
    int rc = kp_rib_load(m->rib, path, m->notes, err, errlen);
    m->last_stats = *kp_rib_stats(m->rib);
    if (rc != 0) {
        if (fresh) {
            kp_rib_free(m->rib);
            m->rib = NULL;
        }
        return rc;
    }
    if (fresh) {
        struct source *s = new_source(m, SRC_RIB, "rib", err, errlen);
        (void)s;
        m->n_src++;
    }
    return 0;
}

int kp_asmap_add_mmdb(struct kp_asmap *m, const char *path, char *err, size_t errlen)
{
    char name[KP_ASN_SRC_MAX];
    snprintf(name, sizeof(name), "mmdb:%s", base_name(path));
    struct source *s = new_source(m, SRC_MMDB, name, err, errlen);
    if (s == NULL)
        return -ENOSPC;
    int rc;
    s->mmdb = kp_mmdb_open(path, err, errlen, &rc);
    if (s->mmdb == NULL)
        return rc;
    m->n_src++;
    return 0;
}

int kp_asmap_add_peeringdb(struct kp_asmap *m, const char *path, char *err, size_t errlen)
{
    if (m->ixp == NULL) {
        m->ixp = kp_trie_new(sizeof(struct kp_ixp_rec));
        if (m->ixp == NULL)
            return -ENOMEM;
    }
    int rc = kp_peeringdb_load(m->ixp, path, m->notes, err, errlen);
    return rc < 0 ? rc : 0;
}

int kp_asmap_enable_cymru(struct kp_asmap *m, const struct kp_cymru_opts *opts, char *err,
                          size_t errlen)
{
    if (m->cymru != NULL) {
        snprintf(err, errlen, "Team Cymru source already enabled");
        return -EEXIST;
    }
    struct source *s = new_source(m, SRC_CYMRU, "cymru", err, errlen);
    if (s == NULL)
        return -ENOSPC;
    int rc;
    m->cymru = kp_cymru_new(opts, err, errlen, &rc);
    if (m->cymru == NULL)
        return rc;
    m->cymru_has_cache = opts != NULL && opts->cache_path != NULL;
    m->n_src++;
    return 0;
}

int kp_asmap_enable_rdns(struct kp_asmap *m, const char *dns_server, int timeout_ms, int tries,
                         char *err, size_t errlen)
{
    if (m->rdns != NULL)
        return 0;
    int rc;
    m->rdns = kp_rdns_new(dns_server, timeout_ms, tries, err, errlen, &rc);
    return m->rdns ? 0 : rc;
}

/* ---- learned names -------------------------------------------------------------- */

static uint64_t asn_hash(uint32_t asn)
{
    return kp_hash_u64(0, asn);
}

static struct learned_name *name_find(struct kp_asmap *m, uint32_t asn)
{
    if (m->names.n == 0)
        return NULL; /* nothing learned: no walk (and no write to the table's counter) */
    uint64_t h = asn_hash(asn);
    for (struct kp_htab_node *n = kp_htab_first(&m->names, h); n; n = kp_htab_next(&m->names, n)) {
        struct learned_name *l = KP_HTAB_ENTRY(n, struct learned_name, node);
        if (l->asn == asn)
            return l;
    }
    return NULL;
}

void kp_asmap_learn_name(struct kp_asmap *m, uint32_t asn, const char *name, const char *source)
{
    if (name == NULL || name[0] == '\0' || name_find(m, asn) != NULL)
        return; /* the first source to name an AS keeps it */
    struct learned_name *l = kp_slab_add(&m->name_at);
    if (l == NULL)
        return;
    l->asn = asn;
    snprintf(l->name, sizeof(l->name), "%s", name);
    snprintf(l->source, sizeof(l->source), "%s", source);
    /* no memory to grow the index: the name is not learned, as before; the
     * entry stays unused in the slab */
    (void)kp_htab_insert(&m->names, &l->node, asn_hash(asn));
}

uint64_t kp_asmap_name_steps(const struct kp_asmap *m)
{
    return m->names.steps;
}

const char *kp_asmap_as_name(struct kp_asmap *m, uint32_t asn, const char **source)
{
    const struct learned_name *l = name_find(m, asn);
    if (l != NULL) {
        if (source)
            *source = l->source;
        return l->name;
    }
    const char *n = m->cymru ? kp_cymru_name(m->cymru, asn) : NULL;
    if (n != NULL) {
        if (source)
            *source = "cymru";
        return n;
    }
    n = kp_asn_builtin_name(asn);
    if (source)
        *source = n ? "builtin" : NULL;
    return n;
}

bool kp_asmap_concurrent_lookups(struct kp_asmap *m)
{
    if (m == NULL || m->cymru != NULL || m->rdns != NULL || m->names.n != 0)
        return false;
    for (size_t i = 0; i < m->n_src; i++)
        if (m->src[i].kind != SRC_PFX2AS)
            return false;
    for (size_t i = 0; i < m->n_src; i++)
        kp_trie_seal(m->src[i].table);
    kp_trie_seal(m->ixp);
    return true;
}

/* ---- lookups ------------------------------------------------------------------------- */

static void add_error(struct kp_asn_answer *out, const char *msg)
{
    size_t n = strlen(out->error);
    if (n > 0 && n + 2 < sizeof(out->error)) {
        out->error[n++] = ';';
        out->error[n++] = ' ';
        out->error[n] = '\0';
    }
    snprintf(out->error + n, sizeof(out->error) - n, "%s", msg);
}

static void fill_rec(struct kp_asn_answer *out, const struct kp_asn_rec *r)
{
    out->n_asns = r->n;
    memcpy(out->asns, r->asns, sizeof(out->asns));
    out->flags = r->flags;
}

/* Ask one source. Returns 0 (out filled: asns, prefix, maybe as_name),
 * -ENOENT (does not know a), -EIO (failed; msg says why). */
static int ask(struct kp_asmap *m, struct source *s, const struct kp_addr *a,
               enum kp_addr_class cls, struct kp_asn_answer *out, char *msg, size_t msglen)
{
    const struct kp_asn_rec *r;
    switch (s->kind) {
    case SRC_PFX2AS:
        if (!kp_route_filter_class(&s->filter, cls))
            return -ENOENT; /* a class this source drops */
        r = kp_trie_lookup(s->table, a, &out->prefix);
        if (r == NULL)
            return -ENOENT;
        fill_rec(out, r);
        return 0;
    case SRC_RIB:
        if (!kp_route_filter_class(kp_rib_filter(m->rib), cls))
            return -ENOENT;
        r = kp_rib_origin(m->rib, a, &out->prefix);
        if (r == NULL)
            return -ENOENT;
        fill_rec(out, r);
        return 0;
    case SRC_MMDB: {
        int rc = kp_mmdb_lookup(s->mmdb, a, out, msg, msglen);
        if (rc == -EIO) {
            char tmp[KP_ASN_ERR_MAX];
            snprintf(tmp, sizeof(tmp), "%s: %s", s->name, msg);
            snprintf(msg, msglen, "%s", tmp);
        }
        return rc == 0 ? 0 : rc == -EIO ? -EIO : -ENOENT;
    }
    case SRC_CYMRU: {
        if (!kp_addr_class_routable(cls))
            return -ENOENT; /* never announced: do not ask */
        struct kp_cymru_origin o;
        int rc = kp_cymru_lookup(m->cymru, a, &o, msg, msglen);
        if (rc == -EAGAIN) {
            int f = kp_cymru_resolve(m->cymru, a, 1);
            if (f < 0) {
                snprintf(msg, msglen, "cymru: %s", strerror(-f));
                return -EIO;
            }
            rc = kp_cymru_lookup(m->cymru, a, &o, msg, msglen);
        }
        if (rc == -ENOENT)
            return -ENOENT;
        if (rc != 0)
            return -EIO;
        out->n_asns = o.n_asns;
        memcpy(out->asns, o.asns, sizeof(out->asns));
        out->flags =
            (o.n_asns > 1 ? KP_ASN_MULTI_ORIGIN : 0) | (o.truncated ? KP_ASN_TRUNCATED : 0);
        out->prefix = o.prefix;
        return 0;
    }
    }
    return -ENOENT;
}

static void start_answer(struct kp_asmap *m, const struct kp_addr *a, struct kp_asn_answer *out)
{
    memset(out, 0, sizeof(*out));
    out->addr_class = kp_addr_class_of(a);
    if (m->ixp != NULL) {
        const struct kp_ixp_rec *x = kp_trie_lookup(m->ixp, a, NULL);
        if (x != NULL) {
            out->ixp = true;
            snprintf(out->ixp_name, sizeof(out->ixp_name), "%s", x->name);
        }
    }
}

/* A string into dst[n] (cut to fit), without snprintf's cost per hop. */
static void copy_str(char *dst, const char *src, size_t n)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void finish_found(struct kp_asmap *m, const struct source *s, struct kp_asn_answer *out)
{
    out->status = KP_ASN_FOUND;
    copy_str(out->source, s->name, sizeof(out->source));
    if (out->as_name[0] != '\0') {
        copy_str(out->as_name_source, s->name, sizeof(out->as_name_source));
        kp_asmap_learn_name(m, out->asns[0], out->as_name, s->name);
        return;
    }
    const char *src = NULL;
    const char *n = kp_asmap_as_name(m, out->asns[0], &src);
    if (n != NULL) {
        copy_str(out->as_name, n, sizeof(out->as_name));
        copy_str(out->as_name_source, src, sizeof(out->as_name_source));
    }
}

int kp_asmap_lookup(struct kp_asmap *m, const struct kp_addr *a, struct kp_asn_answer *out)
{
    if (m == NULL || a == NULL || out == NULL || (a->family != 4 && a->family != 6))
        return -EINVAL;
    start_answer(m, a, out);
    for (size_t i = 0; i < m->n_src; i++) {
        struct source *s = &m->src[i];
        struct kp_asn_answer tmp;
        /* only what is copied from tmp below is cleared (the answer is
         * ~900 bytes and this runs for every hop) */
        memset(tmp.asns, 0, sizeof(tmp.asns));
        tmp.n_asns = 0;
        tmp.flags = 0;
        memset(&tmp.prefix, 0, sizeof(tmp.prefix));
        tmp.as_name[0] = '\0';
        tmp.as_domain[0] = '\0';
        char msg[KP_ASN_ERR_MAX];
        msg[0] = '\0';
        int rc = ask(m, s, a, out->addr_class, &tmp, msg, sizeof(msg));
        if (rc == -EIO) {
            add_error(out, msg[0] ? msg : s->name);
            continue;
        }
        if (rc != 0)
            continue;
        memcpy(out->asns, tmp.asns, sizeof(out->asns));
        out->n_asns = tmp.n_asns;
        out->flags = tmp.flags;
        out->prefix = tmp.prefix;
        copy_str(out->as_name, tmp.as_name, sizeof(out->as_name));
        copy_str(out->as_domain, tmp.as_domain, sizeof(out->as_domain));
        finish_found(m, s, out);
        return 0;
    }
    if (out->error[0] != '\0')
        out->status = KP_ASN_UNKNOWN;
    else if (kp_addr_class_routable(out->addr_class))
        out->status = KP_ASN_UNANNOUNCED;
    else
        out->status = KP_ASN_SPECIAL;
    return 0;
}

int kp_asmap_lookup_all(struct kp_asmap *m, const struct kp_addr *a, struct kp_asn_answer *out,
                        size_t max)
{
    if (m == NULL || a == NULL || out == NULL || (a->family != 4 && a->family != 6))
        return -EINVAL;
    size_t k = 0;
    for (size_t i = 0; i < m->n_src && k < max; i++, k++) {
        struct source *s = &m->src[i];
        struct kp_asn_answer *o = &out[k];
        start_answer(m, a, o);
        char msg[KP_ASN_ERR_MAX] = "";
        int rc = ask(m, s, a, o->addr_class, o, msg, sizeof(msg));
        if (rc == 0) {
            finish_found(m, s, o);
            continue;
        }
        snprintf(o->source, sizeof(o->source), "%s", s->name);
        o->n_asns = 0;
        if (rc == -EIO) {
            add_error(o, msg[0] ? msg : s->name);
            o->status = KP_ASN_UNKNOWN;
        } else {
            o->status = kp_addr_class_routable(o->addr_class) ? KP_ASN_UNANNOUNCED : KP_ASN_SPECIAL;
        }
    }
    return (int)k;
}

/* True when a source placed before the Cymru source knows a. */
static bool known_before_cymru(struct kp_asmap *m, const struct kp_addr *a)
{
    for (size_t i = 0; i < m->n_src; i++) {
        struct source *s = &m->src[i];
        if (s->kind == SRC_CYMRU)
            return false;
        struct kp_asn_answer tmp;
        char msg[KP_ASN_ERR_MAX];
        memset(&tmp, 0, sizeof(tmp));
        if (ask(m, s, a, KP_ACLASS_PUBLIC, &tmp, msg, sizeof(msg)) == 0)
            return true;
    }
    return false;
}

int kp_asmap_prefetch(struct kp_asmap *m, const struct kp_addr *addrs, size_t n)
{
    int failures = 0;
    if (m->cymru != NULL && n > 0) {
        struct kp_addr *todo = malloc(n * sizeof(*todo));
        if (todo == NULL)
            return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const struct kp_addr *a = &addrs[i];
            if ((a->family != 4 && a->family != 6) ||
                !kp_addr_class_routable(kp_addr_class_of(a)) || known_before_cymru(m, a))
                continue;
            todo[k++] = *a;
        }
        int rc = kp_cymru_resolve(m->cymru, todo, k);
        free(todo);
        if (rc < 0)
            return rc;
        failures += rc;
    }
    if (m->rdns != NULL && n > 0) {
        int rc = kp_rdns_resolve(m->rdns, addrs, n, 32);
        if (rc < 0)
            return rc;
    }
    return failures;
}

const char *kp_asmap_rdns(struct kp_asmap *m, const struct kp_addr *a)
{
    if (m->rdns == NULL || a == NULL || (a->family != 4 && a->family != 6))
        return NULL;
    int st;
    const char *n = kp_rdns_name(m->rdns, a, &st);
    if (st == -EAGAIN) {
        kp_rdns_resolve(m->rdns, a, 1, 1);
        n = kp_rdns_name(m->rdns, a, &st);
    }
    return n;
}

int kp_asmap_save_cache(struct kp_asmap *m, char *err, size_t errlen)
{
    if (m->cymru == NULL || !m->cymru_has_cache) {
        snprintf(err, errlen, "no Team Cymru cache file configured");
        return -EINVAL;
    }
    return kp_cymru_save(m->cymru, err, errlen);
}

size_t kp_asmap_source_count(const struct kp_asmap *m)
{
    return m->n_src;
}

const char *kp_asmap_source_name(const struct kp_asmap *m, size_t i)
{
    return i < m->n_src ? m->src[i].name : NULL;
}

void kp_asmap_dns_stats(const struct kp_asmap *m, struct kp_asmap_dns_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (m->cymru != NULL)
        kp_cymru_stats(m->cymru, out);
}

int kp_asmap_rib_history(struct kp_asmap *m, const struct kp_prefix *p,
                         const struct kp_rib_route **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (m->rib == NULL)
        return -ENOENT;
    return kp_rib_history(m->rib, p, out, n);
}

int kp_asmap_rib_upstreams(struct kp_asmap *m, const struct kp_prefix *p, int64_t at, uint32_t *ups,
                           size_t max, struct kp_prefix *matched)
{
    if (m->rib == NULL)
        return -ENOENT;
    return kp_rib_upstreams(m->rib, p, at, ups, max, matched);
}
