/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_cymru.c — Team Cymru's DNS interface through c-ares, with a cache.
 *
 * Queries run concurrently (max_inflight), started no faster than rate_per_s,
 * each with c-ares' timeout and tries. Every answer is validated by
 * cymru_parse.c and must cover the queried address. Answers are cached per
 * address (a more specific prefix may have another origin, so a covering
 * prefix is not reused for other addresses) and AS names per AS; both go to
 * the cache file with an expiry time. Failures are remembered for the run
 * only. After max_failures consecutive failures the source is "down": the
 * remaining queries of the run fail at once instead of waiting.
 *
 * Cache file: text, one entry a line, fields separated by one TAB:
 *   O <addr> <expires> <origin TXT>     an origin answer
 *   N <addr> <expires>                  no such name (unannounced)
 *   A <asn> <expires> <AS name TXT>     an AS name answer
 * Lines starting with '#' are comments. Entries are re-validated on load. */
#include "sources/asn_cymru.h"
#include "io/reader.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/htab.h"
#include "core/asmap/asmap_int.h"
#include "sources/rdns.h"
#include "core/base/json_num.h"

enum { ST_PENDING = 1, ST_FOUND, ST_NXDOMAIN, ST_FAILED };

struct oentry {
    uint8_t state;
    int64_t expires;
    struct kp_cymru_origin o;
    char why[48]; /* failure reason */
    uint32_t txt; /* 1-based index of the raw TXT in txts (for the cache file) */
};

struct nentry {
    struct kp_htab_node node; /* in names, by asn */
    uint32_t asn;
    uint8_t state;
    int64_t expires;
    char *name; /* owned */
    char *txt;  /* owned raw TXT */
};

struct kp_cymru {
    struct kp_cymru_opts o;
    char *cache_path;
    ares_channel ch;
    bool lib_init;
    struct kp_trie *origins; /* host prefixes -> struct oentry */
    char **txts;
    size_t n_txts, cap_txts;
    struct kp_htab names;      /* struct nentry by asn */
    struct nentry **name_list; /* every entry, to save and free */
    size_t n_names, cap_names;
    int consecutive_failures;
    bool down;
    double tokens;
    struct timespec last_refill;
    struct kp_asmap_dns_stats st;
};

static int64_t now_s(const struct kp_cymru *c)
{
    return c->o.now_s ? c->o.now_s : (int64_t)time(NULL);
}

/* ---- names table -------------------------------------------------------------- */

/* The entry of asn, created (pending) when create; NULL when absent or out
 * of memory. Entries never move: callers may keep a pointer. */
static struct nentry *name_slot(struct kp_cymru *c, uint32_t asn, bool create)
{
    uint64_t h = kp_hash_u64(0, asn);
    for (struct kp_htab_node *n = kp_htab_first(&c->names, h); n; n = kp_htab_next(&c->names, n)) {
        struct nentry *e = KP_HTAB_ENTRY(n, struct nentry, node);
        if (e->asn == asn)
            return e;
    }
    if (!create)
        return NULL;
    if (c->n_names == c->cap_names) {
        size_t cap = c->cap_names ? 2 * c->cap_names : 64;
        struct nentry **l = realloc(c->name_list, cap * sizeof(*l));
        if (l == NULL)
            return NULL;
        c->name_list = l;
        c->cap_names = cap;
    }
    struct nentry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->asn = asn;
    e->state = ST_PENDING;
    if (kp_htab_insert(&c->names, &e->node, h) != 0) {
        free(e);
        return NULL;
    }
    c->name_list[c->n_names++] = e;
    return e;
}

static void set_name(struct nentry *e, const struct kp_cymru_asname *n, const char *txt, size_t len,
                     int64_t expires)
{
    free(e->name);
    free(e->txt);
    e->name = strdup(n->name);
    e->txt = strndup(txt, len);
    e->state = (e->name && e->txt) ? ST_FOUND : ST_FAILED;
    e->expires = expires;
}

/* ---- origins cache ------------------------------------------------------------- */

static int host_prefix(const struct kp_addr *a, struct kp_prefix *p)
{
    return kp_prefix_make(a, a->family == 4 ? 32 : a->family == 6 ? 128 : 0, p);
}

static struct oentry *oentry_of(struct kp_cymru *c, const struct kp_addr *a)
{
    struct kp_prefix p;
    if (host_prefix(a, &p) != 0)
        return NULL;
    return kp_trie_get(c->origins, &p);
}

static uint32_t keep_txt(struct kp_cymru *c, const char *txt, size_t len)
{
    if (c->n_txts == c->cap_txts) {
        size_t cap = c->cap_txts ? c->cap_txts * 2 : 256;
        char **nt = realloc(c->txts, cap * sizeof(*nt));
        if (nt == NULL)
            return 0;
        c->txts = nt;
        c->cap_txts = cap;
    }
    char *copy = strndup(txt, len);
    if (copy == NULL)
        return 0;
    c->txts[c->n_txts++] = copy;
    return (uint32_t)c->n_txts;
}

static int put_origin(struct kp_cymru *c, const struct kp_addr *a, const struct oentry *e)
{
    struct kp_prefix p;
    if (host_prefix(a, &p) != 0)
        return -EINVAL;
    return kp_trie_insert(c->origins, &p, e);
}

/* ---- cache file --------------------------------------------------------------------- */

static void load_cache(struct kp_cymru *c)
{
    int rc;
    struct kp_lines *r = kp_lines_open(c->cache_path, &rc);
    if (r == NULL)
        return; /* no cache yet */
    const char *line;
    size_t len;
    int64_t now = now_s(c);
    while (kp_lines_next(r, &line, &len) == 1) {
        if (len < 4 || line[0] == '#' || line[1] != '\t')
            continue;
        char kind = line[0];
        const char *f2 = line + 2;
        const char *t1 = memchr(f2, '\t', len - 2);
        if (t1 == NULL)
            continue;
        char key[KP_ADDR_STRLEN + 1];
        if ((size_t)(t1 - f2) >= sizeof(key))
            continue;
        memcpy(key, f2, (size_t)(t1 - f2));
        key[t1 - f2] = '\0';
        const char *f3 = t1 + 1;
        const char *end = line + len;
        const char *t2 = memchr(f3, '\t', (size_t)(end - f3));
        int64_t exp;
        if (kp_num_parse_i64(f3, (size_t)((t2 ? t2 : end) - f3), 0, INT64_MAX, &exp) != 0 ||
            exp <= now)
            continue;
        const char *txt = t2 ? t2 + 1 : end;
        size_t tlen = (size_t)(end - txt);
        if (kind == 'O' || kind == 'N') {
            struct kp_addr a;
            if (kp_addr_parse(key, &a) != 0)
                continue;
            struct oentry oe;
            memset(&oe, 0, sizeof(oe));
            oe.expires = exp;
            if (kind == 'N') {
                oe.state = ST_NXDOMAIN;
            } else {
                if (t2 == NULL || kp_cymru_parse_origin(txt, tlen, &oe.o, NULL) != 0 ||
                    !kp_cymru_origin_matches(&oe.o, &a))
                    continue;
                oe.state = ST_FOUND;
                oe.txt = keep_txt(c, txt, tlen);
                if (oe.txt == 0)
                    continue;
            }
            put_origin(c, &a, &oe);
        } else if (kind == 'A') {
            uint32_t asn;
            struct kp_cymru_asname n;
            if (kp_asn_parse(key, strlen(key), KP_ASN_PREFIX_OK, &asn) != 0 || t2 == NULL ||
                kp_cymru_parse_asname(txt, tlen, &n, NULL) != 0 || n.asn != asn)
                continue;
            struct nentry *ne = name_slot(c, asn, true);
            if (ne != NULL)
                set_name(ne, &n, txt, tlen, exp);
        }
    }
    kp_lines_close(r);
}

struct save_ctx {
    FILE *f;
    const struct kp_cymru *c;
    int64_t now;
};

static int save_origin(const struct kp_prefix *p, const void *v, void *ctx)
{
    const struct oentry *e = v;
    struct save_ctx *s = ctx;
    char a[KP_ADDR_STRLEN];
    if (e->expires <= s->now)
        return 0;
    kp_addr_str(&p->addr, a, sizeof(a));
    if (e->state == ST_FOUND && e->txt != 0)
        fprintf(s->f, "O\t%s\t%lld\t%s\n", a, (long long)e->expires, s->c->txts[e->txt - 1]);
    else if (e->state == ST_NXDOMAIN)
        fprintf(s->f, "N\t%s\t%lld\n", a, (long long)e->expires);
    return 0;
}

static int by_asn(const void *a, const void *b)
{
    uint32_t x = (*(struct nentry *const *)a)->asn, y = (*(struct nentry *const *)b)->asn;
    return x < y ? -1 : x > y;
}

int kp_cymru_save(struct kp_cymru *c, char *err, size_t errlen)
{
    if (c->cache_path == NULL) {
        snprintf(err, errlen, "no cache file configured");
        return -EINVAL;
    }
    size_t n = strlen(c->cache_path) + 8;
    char *tmp = malloc(n);
    if (tmp == NULL)
        return -ENOMEM;
    snprintf(tmp, n, "%s.tmp", c->cache_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", tmp, strerror(e));
        free(tmp);
        return -e;
    }
    struct save_ctx s = {f, c, now_s(c)};
    fprintf(f, "# kptrace Team Cymru cache v1: kind<TAB>key<TAB>expires<TAB>TXT\n");
    kp_trie_walk(c->origins, save_origin, &s);
    /* names by AS number: the file does not depend on the order of the queries */
    if (c->n_names > 1)
        qsort(c->name_list, c->n_names, sizeof(*c->name_list), by_asn);
    for (size_t i = 0; i < c->n_names; i++) {
        const struct nentry *e = c->name_list[i];
        if (e->state == ST_FOUND && e->expires > s.now)
            fprintf(f, "A\t%u\t%lld\t%s\n", e->asn, (long long)e->expires, e->txt);
    }
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: write error", tmp);
        remove(tmp);
        free(tmp);
        return -EIO;
    }
    if (rename(tmp, c->cache_path) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", c->cache_path, strerror(e));
        remove(tmp);
        free(tmp);
        return -e;
    }
    free(tmp);
    return 0;
}

/* ---- creation ------------------------------------------------------------------------ */

struct kp_cymru *kp_cymru_new(const struct kp_cymru_opts *opts, char *err, size_t errlen, int *rc)
{
    struct kp_cymru *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    kp_htab_init(&c->names);
    if (opts != NULL)
        c->o = *opts;
    if (c->o.timeout_ms <= 0)
        c->o.timeout_ms = 1500;
    if (c->o.tries <= 0)
        c->o.tries = 2;
    if (c->o.max_inflight <= 0)
        c->o.max_inflight = 32;
    if (c->o.rate_per_s <= 0)
        c->o.rate_per_s = 50;
    if (c->o.ttl_s <= 0)
        c->o.ttl_s = 86400 * 7;
    if (c->o.negative_ttl_s <= 0)
        c->o.negative_ttl_s = 86400;
    if (c->o.max_failures <= 0)
        c->o.max_failures = 3;
    c->o.dns_server = NULL; /* not kept: the caller owns the string */
    c->o.cache_path = NULL;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        free(c);
        *rc = -EIO;
        snprintf(err, errlen, "c-ares library init failed");
        return NULL;
    }
    c->lib_init = true;
    c->origins = kp_trie_new(sizeof(struct oentry));
    if (c->origins == NULL ||
        (opts && opts->cache_path && (c->cache_path = strdup(opts->cache_path)) == NULL)) {
        kp_cymru_free(c);
        *rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *rc = kp_dns_channel_new(opts ? opts->dns_server : NULL, c->o.timeout_ms, c->o.tries, &c->ch,
                             err, errlen);
    if (*rc != 0) {
        kp_cymru_free(c);
        return NULL;
    }
    c->tokens = c->o.rate_per_s < 1 ? 1 : c->o.rate_per_s;
    clock_gettime(CLOCK_MONOTONIC, &c->last_refill);
    if (c->cache_path)
        load_cache(c);
    return c;
}

void kp_cymru_free(struct kp_cymru *c)
{
    if (c == NULL)
        return;
    if (c->ch)
        ares_destroy(c->ch);
    kp_trie_free(c->origins);
    for (size_t i = 0; i < c->n_txts; i++)
        free(c->txts[i]);
    free(c->txts);
    for (size_t i = 0; i < c->n_names; i++) {
        free(c->name_list[i]->name);
        free(c->name_list[i]->txt);
        free(c->name_list[i]);
    }
    free(c->name_list);
    kp_htab_free(&c->names);
    free(c->cache_path);
    if (c->lib_init)
        ares_library_cleanup();
    free(c);
}

/* ---- queries --------------------------------------------------------------------------- */

struct job {
    struct kp_cymru *c;
    bool is_name;
    struct kp_addr addr;
    uint32_t asn;
    size_t *inflight;
    int *failures;
};

/* Join the character-strings of each TXT record; call fn per record. */
static int for_each_txt(const unsigned char *abuf, int alen,
                        bool (*fn)(const char *txt, size_t len, void *ctx), void *ctx)
{
    struct ares_txt_ext *txt = NULL;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (rc != ARES_SUCCESS)
        return rc;
    char buf[2048];
    size_t n = 0;
    bool have = false, done = false;
    for (struct ares_txt_ext *t = txt; t != NULL && !done; t = t->next) {
        if (t->record_start && have) {
            done = fn(buf, n, ctx);
            n = 0;
        }
        have = true;
        size_t take = t->length < sizeof(buf) - n ? t->length : sizeof(buf) - n;
        memcpy(buf + n, t->txt, take);
        n += take;
    }
    if (have && !done)
        fn(buf, n, ctx);
    ares_free_data(txt);
    return ARES_SUCCESS;
}

struct origin_pick {
    const struct kp_addr *a;
    struct kp_cymru_origin best;
    char best_txt[1100];
    size_t best_len;
    bool found;
    const char *why;
};

static bool pick_origin(const char *txt, size_t len, void *ctx)
{
    struct origin_pick *p = ctx;
    struct kp_cymru_origin o;
    const char *why;
    if (kp_cymru_parse_origin(txt, len, &o, &why) != 0) {
        p->why = why;
        return false;
    }
    if (!kp_cymru_origin_matches(&o, p->a)) {
        p->why = "answer prefix does not cover the address";
        return false;
    }
    if (!p->found || o.prefix.len > p->best.prefix.len) {
        p->best = o;
        size_t n = len < sizeof(p->best_txt) - 1 ? len : sizeof(p->best_txt) - 1;
        memcpy(p->best_txt, txt, n);
        p->best_txt[n] = '\0';
        p->best_len = n;
        p->found = true;
    }
    return false;
}

struct name_pick {
    uint32_t asn;
    struct kp_cymru_asname n;
    char txt[1100];
    size_t len;
    bool found;
    const char *why;
};

static bool pick_name(const char *txt, size_t len, void *ctx)
{
    struct name_pick *p = ctx;
    const char *why;
    if (kp_cymru_parse_asname(txt, len, &p->n, &why) != 0) {
        p->why = why;
        return false;
    }
    if (p->n.asn != p->asn) {
        p->why = "AS name answer for another AS";
        return false;
    }
    size_t n = len < sizeof(p->txt) - 1 ? len : sizeof(p->txt) - 1;
    memcpy(p->txt, txt, n);
    p->txt[n] = '\0';
    p->len = n;
    p->found = true;
    return true;
}

static void note_failure(struct kp_cymru *c)
{
    if (++c->consecutive_failures >= c->o.max_failures)
        c->down = true;
}

static const char *status_why(int status)
{
    switch (status) {
    case ARES_ETIMEOUT:
        return "timeout";
    case ARES_ECONNREFUSED:
        return "connection refused";
    case ARES_ESERVFAIL:
        return "server failure (SERVFAIL)";
    case ARES_EREFUSED:
        return "query refused";
    default:
        return ares_strerror(status);
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct job *j = arg;
    struct kp_cymru *c = j->c;
    (void)timeouts;
    (*j->inflight)--;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
        return;
    int64_t now = now_s(c);
    if (status == ARES_ETIMEOUT)
        c->st.timeouts++;
    else if (status == ARES_ESERVFAIL)
        c->st.servfail++;

    if (j->is_name) {
        struct nentry *e = name_slot(c, j->asn, true);
        if (e == NULL)
            return;
        struct name_pick p = {.asn = j->asn};
        if (status == ARES_SUCCESS && for_each_txt(abuf, alen, pick_name, &p) == ARES_SUCCESS &&
            p.found) {
            c->st.answers++;
            c->consecutive_failures = 0;
            set_name(e, &p.n, p.txt, p.len, now + c->o.ttl_s);
            return;
        }
        if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
            c->st.nxdomain++;
            c->consecutive_failures = 0;
            e->state = ST_NXDOMAIN;
            return;
        }
        if (status == ARES_SUCCESS)
            c->st.garbage++;
        e->state = ST_FAILED;
        note_failure(c);
        (*j->failures)++;
        return;
    }

    struct oentry oe;
    memset(&oe, 0, sizeof(oe));
    if (status == ARES_SUCCESS) {
        struct origin_pick p = {.a = &j->addr};
        int prc = for_each_txt(abuf, alen, pick_origin, &p);
        if (prc == ARES_SUCCESS && p.found) {
            c->st.answers++;
            c->consecutive_failures = 0;
            oe.state = ST_FOUND;
            oe.expires = now + c->o.ttl_s;
            oe.o = p.best;
            oe.txt = keep_txt(c, p.best_txt, p.best_len);
            put_origin(c, &j->addr, &oe);
            return;
        }
        if (prc == ARES_ENODATA) {
            status = ARES_ENODATA; /* NOERROR without TXT: nothing announced */
        } else {
            c->st.garbage++;
            snprintf(oe.why, sizeof(oe.why), "invalid TXT answer: %s",
                     p.why ? p.why : "no TXT record");
        }
    }
    if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
        c->st.nxdomain++;
        c->consecutive_failures = 0;
        oe.state = ST_NXDOMAIN;
        oe.expires = now + c->o.negative_ttl_s;
        put_origin(c, &j->addr, &oe);
        return;
    }
    if (oe.why[0] == '\0')
        snprintf(oe.why, sizeof(oe.why), "%s", status_why(status));
    oe.state = ST_FAILED;
    put_origin(c, &j->addr, &oe);
    note_failure(c);
    (*j->failures)++;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Take one rate-limit token; returns 0, or the ms to wait for the next. */
static int take_token(struct kp_cymru *c)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double burst = c->o.rate_per_s < 1 ? 1 : c->o.rate_per_s;
    c->tokens += elapsed_s(&c->last_refill, &now) * c->o.rate_per_s;
    if (c->tokens > burst)
        c->tokens = burst;
    c->last_refill = now;
    if (c->tokens >= 1) {
        c->tokens -= 1;
        return 0;
    }
    int ms = (int)((1 - c->tokens) / c->o.rate_per_s * 1000) + 1;
    return ms < 1 ? 1 : ms;
}

static void run_jobs(struct kp_cymru *c, struct job *jobs, size_t nj, size_t *inflight)
{
    size_t next = 0;
    while (next < nj || *inflight > 0) {
        int wait_ms = 1000;
        while (next < nj && *inflight < (size_t)c->o.max_inflight) {
            struct job *j = &jobs[next];
            if (c->down) {
                /* fail the rest at once */
                if (j->is_name) {
                    struct nentry *e = name_slot(c, j->asn, true);
                    if (e)
                        e->state = ST_FAILED;
                } else {
                    struct oentry oe;
                    memset(&oe, 0, sizeof(oe));
                    oe.state = ST_FAILED;
                    snprintf(oe.why, sizeof(oe.why), "server down after %d failures",
                             c->o.max_failures);
                    put_origin(c, &j->addr, &oe);
                }
                (*j->failures)++;
                next++;
                continue;
            }
            int w = take_token(c);
            if (w > 0) {
                wait_ms = w;
                break;
            }
            char q[KP_CYMRU_QNAME_MAX];
            if (j->is_name)
                kp_cymru_asname_qname(j->asn, q, sizeof(q));
            else
                kp_cymru_origin_qname(&j->addr, q, sizeof(q));
            next++;
            (*inflight)++;
            c->st.queries++;
            ares_query(c->ch, q, ns_c_in, ns_t_txt, on_answer, j);
        }
        if (*inflight > 0 || next < nj)
            kp_dns_wait(c->ch, wait_ms);
    }
}

int kp_cymru_resolve(struct kp_cymru *c, const struct kp_addr *addrs, size_t n)
{
    int failures = 0;
    size_t inflight = 0;
    struct job *jobs = calloc(n ? n : 1, sizeof(*jobs));
    if (jobs == NULL)
        return -ENOMEM;
    int64_t now = now_s(c);
    size_t nj = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kp_addr *a = &addrs[i];
        if (a->family != 4 && a->family != 6)
            continue;
        struct oentry *e = oentry_of(c, a);
        if (e != NULL &&
            (e->state == ST_PENDING || e->state == ST_FAILED ||
             ((e->state == ST_FOUND || e->state == ST_NXDOMAIN) && e->expires > now))) {
            if (e->state == ST_FOUND || e->state == ST_NXDOMAIN)
                c->st.cache_hits++;
            continue; /* cached, queued, or failed earlier in this run */
        }
        struct oentry pend;
        memset(&pend, 0, sizeof(pend));
        pend.state = ST_PENDING;
        if (put_origin(c, a, &pend) != 0) {
            free(jobs);
            return -ENOMEM;
        }
        jobs[nj] = (struct job){c, false, *a, 0, &inflight, &failures};
        nj++;
    }
    run_jobs(c, jobs, nj, &inflight);

    if (!c->o.no_names) {
        /* names of the origins of this batch that are not known yet */
        size_t nn = 0, cap = n ? n : 1;
        int name_failures = 0;
        for (size_t i = 0; i < n; i++) {
            struct oentry *e = oentry_of(c, &addrs[i]);
            if (e == NULL || e->state != ST_FOUND)
                continue;
            struct kp_cymru_origin o = e->o;
            for (unsigned k = 0; k < o.n_asns; k++) {
                uint32_t asn = o.asns[k];
                struct nentry *ne = name_slot(c, asn, false);
                if (ne != NULL && (ne->state != ST_FOUND || ne->expires > now))
                    continue; /* known, queued, failed or absent in this run */
                if (nn == cap) {
                    struct job *grown = realloc(jobs, cap * 2 * sizeof(*jobs));
                    if (grown == NULL)
                        break;
                    jobs = grown;
                    cap *= 2;
                }
                ne = name_slot(c, asn, true);
                if (ne == NULL)
                    break;
                ne->state = ST_PENDING;
                jobs[nn++] = (struct job){c, true, {0}, asn, &inflight, &name_failures};
            }
        }
        /* a missing name does not make the address lookup fail */
        run_jobs(c, jobs, nn, &inflight);
    }
    free(jobs);
    c->st.down = c->down;
    return failures;
}

int kp_cymru_lookup(struct kp_cymru *c, const struct kp_addr *a, struct kp_cymru_origin *out,
                    char *err, size_t errlen)
{
    struct oentry *e = oentry_of(c, a);
    if (e == NULL || e->state == ST_PENDING)
        return -EAGAIN;
    switch (e->state) {
    case ST_FOUND:
        *out = e->o;
        return 0;
    case ST_NXDOMAIN:
        return -ENOENT;
    default:
        snprintf(err, errlen, "cymru: %s", e->why[0] ? e->why : "failed");
        return -EIO;
    }
}

const char *kp_cymru_name(struct kp_cymru *c, uint32_t asn)
{
    struct nentry *e = name_slot(c, asn, false);
    return (e != NULL && e->state == ST_FOUND) ? e->name : NULL;
}

void kp_cymru_stats(const struct kp_cymru *c, struct kp_asmap_dns_stats *out)
{
    *out = c->st;
    out->down = c->down;
}
