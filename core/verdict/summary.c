/* SPDX-License-Identifier: BSD-2-Clause */
/* summary.c — aggregation of verdicts per (vp, /24, method, sweep). Pure. */
#include "core/verdict/summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/slab.h"
#include "core/base/strtab.h"
#include "core/base/htab.h"

/* A group: its hash-table node, the public part, and room for its first
 * share (most groups have one). */
struct group {
    struct kp_htab_node node;
    struct kp_summary_group g;
    struct kp_summary_share one;
};

#define GROUPS_PER_BLOCK 1024

struct kp_summary {
    struct kp_htab groups;     /* by (vp, prefix, method, sweep) */
    struct kp_strtab *strings; /* vp, sweep and AS names, kept once */
    struct group **order;      /* creation order, sorted by kp_summary_finish */
    size_t n, cap;
    struct kp_slab slab; /* the groups, GROUPS_PER_BLOCK to a block */
};

int kp_summary_new(struct kp_summary **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return -ENOMEM;
    kp_htab_init(&(*out)->groups);
    kp_slab_init(&(*out)->slab, sizeof(struct group), GROUPS_PER_BLOCK);
    if (kp_strtab_new(&(*out)->strings) != 0) {
        free(*out);
        *out = NULL;
        return -ENOMEM;
    }
    return 0;
}

void kp_summary_free(struct kp_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct group *gr = s->order[i];
        if (gr->g.shares != &gr->one)
            free(gr->g.shares);
        free(gr->g.upstreams);
    }
    kp_slab_free(&s->slab);
    free(s->order);
    kp_htab_free(&s->groups);
    kp_strtab_free(s->strings);
    free(s);
}

uint64_t kp_summary_steps(const struct kp_summary *s)
{
    return s ? s->groups.steps + kp_strtab_steps(s->strings) : 0;
}

static const char *intern_str(struct kp_summary *s, const char *str, size_t max)
{
    return kp_strtab_intern(s->strings, str, strnlen(str, max));
}

void kp_summary_prefix_of(const struct kp_addr *dst, struct kp_addr *prefix, uint8_t *plen)
{
    *prefix = *dst;
    if (dst->family == 4) {
        prefix->b[3] = 0;
        memset(prefix->b + 4, 0, 12);
        *plen = 24;
    } else if (dst->family == 6) {
        memset(prefix->b + 6, 0, 10);
        *plen = 48;
    } else {
        *plen = 0;
    }
}

const char *kp_summary_vp_of(const struct kp_trace *t, char *buf, size_t len)
{
    if (t->vp[0] != '\0')
        return t->vp;
    return kp_addr_str(&t->src, buf, len);
}

static struct group *new_group(struct kp_summary *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct group **o = realloc(s->order, cap * sizeof(*o));
        if (o == NULL)
            return NULL;
        s->order = o;
        s->cap = cap;
    }
    return kp_slab_add(&s->slab);
}

/* Room for one more share in g (the first is inside the group; then 2, 4,
 * 8, 16). 0 or -ENOMEM. */
static int share_room(struct group *gr)
{
    struct kp_summary_group *g = &gr->g;
    size_t n = g->n_shares;
    if (n == 0) {
        g->shares = &gr->one;
        return 0;
    }
    if ((n & (n - 1)) != 0)
        return 0; /* not a power of two: the array has room */
    struct kp_summary_share *sh = malloc(2 * n * sizeof(*sh));
    if (sh == NULL)
        return -ENOMEM;
    memcpy(sh, g->shares, n * sizeof(*sh));
    if (g->shares != &gr->one)
        free(g->shares);
    g->shares = sh;
    return 0;
}

int kp_summary_add(struct kp_summary *s, const struct kp_trace *t, const char *sweep,
                   const struct kp_transit *v)
{
    if (s == NULL || t == NULL || v == NULL)
        return -EINVAL;
    if (sweep == NULL)
        sweep = "";
    char vbuf[KP_ADDR_STRLEN];
    const char *vp = intern_str(s, kp_summary_vp_of(t, vbuf, sizeof(vbuf)), KP_VP_LEN - 1);
    const char *sw = intern_str(s, sweep, KP_SWEEP_LEN - 1);
    if (vp == NULL || sw == NULL)
        return -ENOMEM;
    struct kp_addr pfx;
    uint8_t plen;
    kp_summary_prefix_of(&t->dst, &pfx, &plen);

    /* interned strings are equal when their pointers are */
    uint64_t h = kp_hash_u64(kp_strtab_hash(vp), kp_strtab_hash(sw));
    h = kp_addr_hash(h, &pfx);
    h = kp_hash_u64(h, (uint64_t)plen << 32 | (uint64_t)t->method);
    struct kp_summary_group *g = NULL;
    for (struct kp_htab_node *n = kp_htab_first(&s->groups, h); n;
         n = kp_htab_next(&s->groups, n)) {
        struct kp_summary_group *c = &KP_HTAB_ENTRY(n, struct group, node)->g;
        if (c->method == t->method && c->plen == plen && c->vp == vp && c->sweep == sw &&
            kp_addr_eq(&c->prefix, &pfx)) {
            g = c;
            break;
        }
    }
    struct group *gr;
    if (g == NULL) {
        gr = new_group(s);
        if (gr == NULL || kp_htab_insert(&s->groups, &gr->node, h) != 0)
            return -ENOMEM;
        s->order[s->n++] = gr;
        g = &gr->g;
        g->vp = vp;
        g->sweep = sw;
        g->prefix = pfx;
        g->plen = plen;
        g->method = t->method;
        g->majority = -1;
        g->agrees = -1;
    } else {
        gr = (struct group *)(void *)((char *)g - offsetof(struct group, g));
    }
    g->traces++;
    g->confidence_sum += v->confidence;
    if (t->start_ns != 0) {
        if (g->first_ns == 0 || t->start_ns < g->first_ns)
            g->first_ns = t->start_ns;
        if (t->start_ns > g->last_ns)
            g->last_ns = t->start_ns;
    }
    for (size_t i = 0; i < g->n_shares; i++) {
        if (g->shares[i].asn == v->asn && g->shares[i].status == v->status) {
            g->shares[i].traces++;
            if (g->shares[i].name[0] == '\0' && v->name[0] != '\0') {
                const char *nm = intern_str(s, v->name, sizeof(v->name) - 1);
                if (nm == NULL)
                    return -ENOMEM;
                g->shares[i].name = nm;
            }
            return 0;
        }
    }
    if (g->n_shares == KP_SUMMARY_MAX_SHARES) {
        g->other_traces++;
        return 0;
    }
    const char *nm = intern_str(s, v->name, sizeof(v->name) - 1);
    if (nm == NULL || share_room(gr) != 0)
        return -ENOMEM;
    struct kp_summary_share *sh = &g->shares[g->n_shares++];
    memset(sh, 0, sizeof(*sh));
    sh->asn = v->asn;
    sh->status = v->status;
    sh->traces = 1;
    sh->name = nm;
    return 0;
}

static int status_rank(enum kp_transit_status s)
{
    switch (s) {
    case KP_TRANSIT_REACHED:
        return 0;
    case KP_TRANSIT_FILTERED:
        return 1;
    case KP_TRANSIT_INCOMPLETE:
        return 2;
    default:
        return 3;
    }
}

/* Order of shares: more traces first, then status rank, then lower AS. */
static int share_cmp(const void *pa, const void *pb)
{
    const struct kp_summary_share *a = pa, *b = pb;
    if (a->traces != b->traces)
        return a->traces > b->traces ? -1 : 1;
    if (status_rank(a->status) != status_rank(b->status))
        return status_rank(a->status) - status_rank(b->status);
    if (a->asn != b->asn)
        return a->asn < b->asn ? -1 : 1;
    return 0;
}

static int group_cmp(const void *pa, const void *pb)
{
    const struct kp_summary_group *a = &(*(struct group *const *)pa)->g;
    const struct kp_summary_group *b = &(*(struct group *const *)pb)->g;
    int r = strcmp(a->vp, b->vp);
    if (r != 0)
        return r;
    if (a->prefix.family != b->prefix.family)
        return a->prefix.family < b->prefix.family ? -1 : 1;
    r = memcmp(a->prefix.b, b->prefix.b, sizeof(a->prefix.b));
    if (r != 0)
        return r;
    if (a->method != b->method)
        return a->method < b->method ? -1 : 1;
    return strcmp(a->sweep, b->sweep);
}

void kp_summary_finish(struct kp_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct kp_summary_group *g = &s->order[i]->g;
        qsort(g->shares, g->n_shares, sizeof(g->shares[0]), share_cmp);
        for (size_t k = 0; k < g->n_shares; k++)
            g->shares[k].share = g->traces ? (double)g->shares[k].traces / (double)g->traces : 0.0;
        g->majority = g->n_shares > 0 ? 0 : -1;
    }
    if (s->n > 1)
        qsort(s->order, s->n, sizeof(s->order[0]), group_cmp);
}

size_t kp_summary_count(const struct kp_summary *s)
{
    return s ? s->n : 0;
}

const struct kp_summary_group *kp_summary_group(const struct kp_summary *s, size_t i)
{
    if (s == NULL || i >= s->n)
        return NULL;
    return &s->order[i]->g;
}

int kp_summary_set_upstreams(struct kp_summary *s, size_t i, const uint32_t *asns, size_t n)
{
    if (s == NULL || i >= s->n || (n > 0 && asns == NULL))
        return -EINVAL;
    struct kp_summary_group *g = &s->order[i]->g;
    if (n > KP_SUMMARY_MAX_UPSTREAMS)
        n = KP_SUMMARY_MAX_UPSTREAMS;
    free(g->upstreams);
    g->upstreams = NULL;
    if (n > 0) {
        g->upstreams = malloc(n * sizeof(*asns));
        if (g->upstreams == NULL) {
            g->n_upstreams = 0;
            return -ENOMEM;
        }
        memcpy(g->upstreams, asns, n * sizeof(*asns));
    }
    g->n_upstreams = n;
    g->agrees = -1;
    if (n == 0 || g->majority < 0)
        return 0;
    const struct kp_summary_share *m = &g->shares[g->majority];
    if (m->status != KP_TRANSIT_REACHED && m->status != KP_TRANSIT_FILTERED)
        return 0;
    g->agrees = 0;
    for (size_t k = 0; k < n; k++)
        if (asns[k] == m->asn)
            g->agrees = 1;
    return 0;
}

static struct kp_summary_widths widths_or_default(const struct kp_summary_widths *w)
{
    struct kp_summary_widths d = {16, 18, 12, 28};
    if (w != NULL) {
        if (w->vp > 0)
            d.vp = w->vp;
        if (w->prefix > 0)
            d.prefix = w->prefix;
        if (w->sweep > 0)
            d.sweep = w->sweep;
        if (w->transit > 0)
            d.transit = w->transit;
    }
    return d;
}

static int transit_text(const struct kp_summary_group *g, char *buf, size_t len)
{
    if (g->majority < 0 || g->shares[g->majority].asn == 0)
        return snprintf(buf, len, "-");
    const struct kp_summary_share *m = &g->shares[g->majority];
    return snprintf(buf, len, "AS%u%s%.40s", m->asn, m->name[0] ? " " : "", m->name);
}

static int prefix_text(const struct kp_summary_group *g, char *buf, size_t len)
{
    char a[KP_ADDR_STRLEN];
    return snprintf(buf, len, "%s/%u", kp_addr_str(&g->prefix, a, sizeof(a)), g->plen);
}

void kp_summary_fit_widths(const struct kp_summary *s, struct kp_summary_widths *w)
{
    *w = widths_or_default(NULL);
    char buf[KP_ANNOT_NAME_LEN + 64];
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        const struct kp_summary_group *g = &s->order[i]->g;
        int n = (int)strlen(g->vp);
        if (n > w->vp)
            w->vp = n;
        n = (int)strlen(g->sweep);
        if (n > w->sweep)
            w->sweep = n;
        n = prefix_text(g, buf, sizeof(buf));
        if (n > w->prefix)
            w->prefix = n;
        n = transit_text(g, buf, sizeof(buf));
        if (n > w->transit)
            w->transit = n;
    }
}

int kp_summary_format_header(const struct kp_summary_widths *wp, char *buf, size_t len)
{
    struct kp_summary_widths w = widths_or_default(wp);
    return snprintf(buf, len, "%-*s %-*s %-10s %-*s %-*s %-12s %6s %6s %-20s %s", w.vp, "VP",
                    w.prefix, "PREFIX", "METHOD", w.sweep, "SWEEP", w.transit, "TRANSIT", "STATUS",
                    "TRACES", "SHARE", "CONTROL-PLANE", "AGREES");
}

int kp_summary_format_row(const struct kp_summary_group *g, const struct kp_summary_widths *wp,
                          char *buf, size_t len)
{
    struct kp_summary_widths w = widths_or_default(wp);
    char pfx[KP_ADDR_STRLEN + 8];
    prefix_text(g, pfx, sizeof(pfx));
    char transit[KP_ANNOT_NAME_LEN + 16];
    transit_text(g, transit, sizeof(transit));
    const char *status = "-";
    double share = 0.0;
    if (g->majority >= 0) {
        status = kp_transit_status_name(g->shares[g->majority].status);
        share = g->shares[g->majority].share;
    }
    char ups[KP_SUMMARY_MAX_UPSTREAMS * 12 + 1] = "-";
    size_t off = 0;
    for (size_t k = 0; k < g->n_upstreams && off < sizeof(ups); k++) {
        int n = snprintf(ups + off, sizeof(ups) - off, "%sAS%u", k ? "," : "", g->upstreams[k]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    const char *agrees = g->agrees == 1 ? "yes" : g->agrees == 0 ? "NO" : "-";
    return snprintf(buf, len, "%-*s %-*s %-10s %-*s %-*s %-12s %6zu %5.0f%% %-20s %s", w.vp, g->vp,
                    w.prefix, pfx, kp_method_name(g->method), w.sweep, g->sweep[0] ? g->sweep : "-",
                    w.transit, transit, status, g->traces, share * 100.0, ups, agrees);
}
