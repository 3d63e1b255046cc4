/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_dot.c — router-level and AS-level graph in DOT. Pure; see graph_dot.h. */
#include "core/output/graph_dot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/known_as.h"
#include "core/base/htab.h"
#include "core/base/slab.h"
#include "core/verdict/summary.h"

#define KEY_LEN   80
#define PER_BLOCK 256

struct gnode {
    struct kp_htab_node hn;
    char key[KEY_LEN]; /* "r:<addr>", "p:<prefix>", "vp:<name>", "as:<asn>", "asvp:<name>" */
    char label[KP_ANNOT_NAME_LEN + KEY_LEN];
    uint32_t asn;
    int is_vp;
    size_t idx;   /* its index in the slab */
    size_t dests; /* "p:" nodes: distinct destinations collapsed into it */
};

struct gedge {
    struct kp_htab_node hn;
    size_t from, to; /* node indices */
    int silent;      /* silent TTLs in between (router level) */
    int bold;        /* transit edge into the target (AS level) */
    unsigned traces;
};

/* a destination already counted in its prefix node */
struct gdest {
    struct kp_htab_node hn;
    struct kp_addr a;
};

/* the edges of one level, in order of creation, and their index */
struct elist {
    struct kp_slab s;
    struct kp_htab h;
};

struct kp_graph {
    uint32_t targets[64];
    size_t n_targets;
    int hosts, have_only;
    struct kp_prefix only;
    size_t traces;
    struct kp_slab nodes, dests;
    struct kp_htab node_ix, dest_ix;
    struct elist redges, aedges;
};

int kp_graph_new(struct kp_graph **out, const struct kp_verdict_config *c,
                 const struct kp_graph_opts *o)
{
    if (out == NULL || c == NULL)
        return -EINVAL;
    struct kp_graph *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->n_targets && i < 64; i++)
        g->targets[g->n_targets++] = c->targets[i];
    if (o != NULL) {
        g->hosts = o->hosts != 0;
        if (o->only != NULL) {
            g->only = *o->only;
            g->have_only = 1;
        }
    }
    kp_slab_init(&g->nodes, sizeof(struct gnode), PER_BLOCK);
    kp_slab_init(&g->dests, sizeof(struct gdest), PER_BLOCK);
    kp_slab_init(&g->redges.s, sizeof(struct gedge), PER_BLOCK);
    kp_slab_init(&g->aedges.s, sizeof(struct gedge), PER_BLOCK);
    kp_htab_init(&g->node_ix);
    kp_htab_init(&g->dest_ix);
    kp_htab_init(&g->redges.h);
    kp_htab_init(&g->aedges.h);
    *out = g;
    return 0;
}

void kp_graph_free(struct kp_graph *g)
{
    if (g == NULL)
        return;
    kp_htab_free(&g->node_ix);
    kp_htab_free(&g->dest_ix);
    kp_htab_free(&g->redges.h);
    kp_htab_free(&g->aedges.h);
    kp_slab_free(&g->nodes);
    kp_slab_free(&g->dests);
    kp_slab_free(&g->redges.s);
    kp_slab_free(&g->aedges.s);
    free(g);
}

size_t kp_graph_traces(const struct kp_graph *g)
{
    return g->traces;
}

size_t kp_graph_nodes(const struct kp_graph *g)
{
    return g->nodes.n;
}

size_t kp_graph_edges(const struct kp_graph *g)
{
    return g->redges.s.n + g->aedges.s.n;
}

uint64_t kp_graph_steps(const struct kp_graph *g)
{
    return g->node_ix.steps + g->dest_ix.steps + g->redges.h.steps + g->aedges.h.steps;
}

static bool is_target(const struct kp_graph *g, uint32_t asn)
{
    for (size_t i = 0; i < g->n_targets; i++)
        if (g->targets[i] == asn && asn != 0)
            return true;
    return false;
}

static struct gnode *node_at(const struct kp_graph *g, size_t i)
{
    return kp_slab_at(&g->nodes, i);
}

/* Find or add a node; returns its index or -ENOMEM. The label is set when
 * the node is new. */
static long node(struct kp_graph *g, const char *key, const char *label, uint32_t asn, int is_vp)
{
    uint64_t h = kp_hash_bytes(0x6b706772, key, strlen(key));
    for (struct kp_htab_node *n = kp_htab_first(&g->node_ix, h); n;
         n = kp_htab_next(&g->node_ix, n)) {
        struct gnode *x = KP_HTAB_ENTRY(n, struct gnode, hn);
        if (strcmp(x->key, key) == 0)
            return (long)x->idx;
    }
    struct gnode *x = kp_slab_add(&g->nodes);
    if (x == NULL)
        return -ENOMEM;
    x->idx = g->nodes.n - 1;
    if (kp_htab_insert(&g->node_ix, &x->hn, h) != 0) {
        g->nodes.n--; /* the item is reused by the next add */
        return -ENOMEM;
    }
    snprintf(x->key, sizeof(x->key), "%s", key);
    snprintf(x->label, sizeof(x->label), "%s", label);
    x->asn = asn;
    x->is_vp = is_vp;
    return (long)x->idx;
}

static int edge(struct elist *l, size_t from, size_t to, int silent, int bold)
{
    uint64_t h = kp_hash_u64(kp_hash_u64(kp_hash_u64(0x6b706765, from), to), (uint64_t)silent);
    for (struct kp_htab_node *n = kp_htab_first(&l->h, h); n; n = kp_htab_next(&l->h, n)) {
        struct gedge *e = KP_HTAB_ENTRY(n, struct gedge, hn);
        if (e->from == from && e->to == to && e->silent == silent) {
            e->traces++;
            e->bold |= bold;
            return 0;
        }
    }
    struct gedge *x = kp_slab_add(&l->s);
    if (x == NULL)
        return -ENOMEM;
    if (kp_htab_insert(&l->h, &x->hn, h) != 0) {
        l->s.n--;
        return -ENOMEM;
    }
    x->from = from;
    x->to = to;
    x->silent = silent;
    x->bold = bold;
    x->traces = 1;
    return 0;
}

/* Count destination d in prefix node p once. 0 or -ENOMEM. */
static int count_dest(struct kp_graph *g, struct gnode *p, const struct kp_addr *d)
{
    uint64_t h = kp_addr_hash(0x6b706764, d);
    for (struct kp_htab_node *n = kp_htab_first(&g->dest_ix, h); n;
         n = kp_htab_next(&g->dest_ix, n))
        if (kp_addr_eq(&KP_HTAB_ENTRY(n, struct gdest, hn)->a, d))
            return 0;
    struct gdest *x = kp_slab_add(&g->dests);
    if (x == NULL)
        return -ENOMEM;
    if (kp_htab_insert(&g->dest_ix, &x->hn, h) != 0) {
        g->dests.n--;
        return -ENOMEM;
    }
    x->a = *d;
    p->dests++;
    return 0;
}

/* Whether hop h of t is the destination answering. */
static bool is_dst_hop(const struct kp_trace *t, const struct kp_hop *h)
{
    return (h->flags & KP_HOP_FROM_DST) || kp_addr_eq(&h->addr, &t->dst);
}

/* The router-level node of hop h (annotation an, may be NULL): its address,
 * or in the collapsed graph the destination's prefix. Index or -ENOMEM. */
static long router_node(struct kp_graph *g, const struct kp_trace *t, const struct kp_hop *h,
                        const struct kp_hop_annot *an, bool *collapsed)
{
    char key[KEY_LEN], label[KP_ANNOT_NAME_LEN + KEY_LEN], a[KP_ADDR_STRLEN];
    uint32_t asn = an ? an->asn : 0;
    *collapsed = false;
    if (!g->hosts && t->dst.family != 0 && is_dst_hop(t, h)) {
        struct kp_addr pfx;
        uint8_t plen;
        kp_summary_prefix_of(&t->dst, &pfx, &plen);
        snprintf(key, sizeof(key), "p:%s/%u", kp_addr_str(&pfx, a, sizeof(a)), (unsigned)plen);
        long p = node(g, key, key + 2, asn, 0);
        if (p < 0 || count_dest(g, node_at(g, (size_t)p), &t->dst) != 0)
            return -ENOMEM;
        *collapsed = true;
        return p;
    }
    kp_addr_str(&h->addr, a, sizeof(a));
    snprintf(key, sizeof(key), "r:%s", a);
    if (asn == 0) {
        snprintf(label, sizeof(label), "%s", a);
    } else if (g->hosts) {
        snprintf(label, sizeof(label), "%s\\nAS%u", a, asn);
    } else {
        const struct kp_known_as *k = kp_known_as_find(asn);
        const char *name = an->as_name[0] ? an->as_name : k != NULL ? k->full : "";
        snprintf(label, sizeof(label), "%s\\nAS%u%s%.60s", a, asn, name[0] ? " " : "", name);
    }
    return node(g, key, label, asn, 0);
}

int kp_graph_add(struct kp_graph *g, const struct kp_trace *t, const struct kp_hop_annot *ann,
                 const struct kp_transit *v)
{
    if (g->have_only && !kp_prefix_contains(&g->only, &t->dst))
        return 0;
    g->traces++;
    char vp[KP_VP_LEN + 8], key[KEY_LEN], label[KP_ANNOT_NAME_LEN + KEY_LEN], a[KP_ADDR_STRLEN];
    const char *vpname = t->vp[0] ? t->vp : kp_addr_str(&t->src, a, sizeof(a));
    snprintf(vp, sizeof(vp), "%s", vpname[0] ? vpname : "?");
    snprintf(key, sizeof(key), "vp:%s", vp);
    long prev = node(g, key, vp, 0, 1);
    if (prev < 0)
        return (int)prev;
    snprintf(key, sizeof(key), "asvp:%s", vp);
    long aprev = node(g, key, vp, 0, 1);
    if (aprev < 0)
        return (int)aprev;
    uint32_t prev_as = 0;
    int prev_ttl = 0;
    /* one hop per TTL: the earliest non-duplicate attempt */
    for (int ttl = 1; ttl < 256; ttl++) {
        int best = -1;
        for (size_t i = 0; i < t->n_hops; i++) {
            const struct kp_hop *h = &t->hops[i];
            if (h->ttl != ttl || (h->flags & KP_HOP_DUP))
                continue;
            if (best < 0 || h->attempt < t->hops[best].attempt)
                best = (int)i;
        }
        if (best < 0)
            continue;
        const struct kp_hop_annot *an = ann ? &ann[best] : NULL;
        uint32_t asn = an ? an->asn : 0;
        bool collapsed;
        long cur = router_node(g, t, &t->hops[best], an, &collapsed);
        if (cur < 0)
            return (int)cur;
        int silent = prev_ttl ? ttl - prev_ttl - 1 : ttl - 1;
        if (edge(&g->redges, (size_t)prev, (size_t)cur, silent, 0) < 0)
            return -ENOMEM;
        prev = cur;
        prev_ttl = ttl;
        if (asn != 0 && asn != prev_as) {
            snprintf(key, sizeof(key), "as:%u", asn);
            if (an && an->as_name[0])
                snprintf(label, sizeof(label), "AS%u\\n%.60s", asn, an->as_name);
            else
                snprintf(label, sizeof(label), "AS%u", asn);
            long acur = node(g, key, label, asn, 0);
            if (acur < 0)
                return (int)acur;
            int bold = v != NULL && v->asn != 0 && prev_as == v->asn && is_target(g, asn);
            if (edge(&g->aedges, (size_t)aprev, (size_t)acur, 0, bold) < 0)
                return -ENOMEM;
            aprev = acur;
            prev_as = asn;
        }
        if (collapsed)
            break; /* the path ends at its destination's prefix */
    }
    return 0;
}

/* ---- text output --------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, cap;
    int err;
};

__attribute__((format(printf, 2, 3))) static void out(struct sbuf *b, const char *fmt, ...)
{
    if (b->err)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->err = -EINVAL;
            return;
        }
        if (b->p && (size_t)w < b->cap - b->n) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + (size_t)w + 1)
            cap *= 2;
        char *n = realloc(b->p, cap);
        if (n == NULL) {
            b->err = -ENOMEM;
            return;
        }
        b->p = n;
        b->cap = cap;
    }
}

/* DOT-quoted copy of s (quotes escaped; "\n" sequences kept as line breaks). */
static void quoted(struct sbuf *b, const char *s)
{
    out(b, "\"");
    for (; *s; s++) {
        if (*s == '"')
            out(b, "\\\"");
        else if (*s == '\\' && s[1] == 'n') {
            out(b, "\\n");
            s++;
        } else if (*s == '\\')
            out(b, "\\\\");
        else if ((unsigned char)*s >= 0x20)
            out(b, "%c", *s);
    }
    out(b, "\"");
}

static const char *colour(const struct kp_graph *g, uint32_t asn, char *buf, size_t len)
{
    if (asn == 0)
        return "#dddddd";
    if (is_target(g, asn))
        return "#98df8a";
    const struct kp_known_as *k = kp_known_as_find(asn);
    if (k != NULL && k->colour != NULL)
        return k->colour;
    /* a light colour from the AS number */
    uint32_t h = asn * 2654435761u;
    snprintf(buf, len, "#%02x%02x%02x", 0xa0 + (h >> 24) % 0x50, 0xa0 + (h >> 16 & 0xff) % 0x50,
             0xa0 + (h >> 8 & 0xff) % 0x50);
    return buf;
}

/* The nodes whose key starts with one of the prefixes (NULL-terminated). */
static void nodes_of(struct sbuf *b, const struct kp_graph *g, const char *const *prefixes)
{
    char cb[16], label[KP_ANNOT_NAME_LEN + KEY_LEN + 32];
    for (size_t i = 0; i < g->nodes.n; i++) {
        const struct gnode *n = node_at(g, i);
        size_t k = 0;
        while (prefixes[k] && strncmp(n->key, prefixes[k], strlen(prefixes[k])) != 0)
            k++;
        if (prefixes[k] == NULL)
            continue;
        out(b, "    ");
        quoted(b, n->key);
        out(b, " [label=");
        if (n->key[0] == 'p') {
            snprintf(label, sizeof(label), "%s\\n%zu destination%s", n->label, n->dests,
                     n->dests == 1 ? "" : "s");
            quoted(b, label);
        } else {
            quoted(b, n->label);
        }
        if (n->is_vp)
            out(b, ", shape=box, fillcolor=\"#ffffff\"];\n");
        else if (n->key[0] == 'p')
            out(b, ", shape=box3d, fillcolor=\"%s\"];\n", colour(g, n->asn, cb, sizeof(cb)));
        else
            out(b, ", fillcolor=\"%s\"];\n", colour(g, n->asn, cb, sizeof(cb)));
    }
}

static void edges_of(struct sbuf *b, const struct kp_graph *g, const struct elist *l, int as_level)
{
    for (size_t i = 0; i < l->s.n; i++) {
        const struct gedge *e = kp_slab_at(&l->s, i);
        const struct gnode *to = node_at(g, e->to);
        out(b, "    ");
        quoted(b, node_at(g, e->from)->key);
        out(b, " -> ");
        quoted(b, to->key);
        if (as_level)
            out(b, " [label=\"%u\"%s];\n", e->traces, e->bold ? ", penwidth=3" : "");
        else if (to->key[0] == 'p' && e->silent > 0)
            out(b, " [style=dashed, label=\"%d silent\\n%u trace%s\"];\n", e->silent, e->traces,
                e->traces == 1 ? "" : "s");
        else if (to->key[0] == 'p')
            out(b, " [label=\"%u trace%s\"];\n", e->traces, e->traces == 1 ? "" : "s");
        else if (e->silent > 0)
            out(b, " [style=dashed, label=\"%d silent\"];\n", e->silent);
        else
            out(b, ";\n");
    }
}

int kp_graph_dot(const struct kp_graph *g, char **outp, size_t *len)
{
    struct sbuf b = {0};
    out(&b, "// kpannotate --graph: paths from each vantage point into the target\n");
    out(&b, "digraph kpannotate {\n  rankdir=LR;\n"
            "  node [style=filled, fontname=\"Helvetica\", fontsize=10];\n"
            "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    out(&b, "  subgraph cluster_routers {\n    label=\"router level\";\n");
    nodes_of(&b, g, (const char *const[]){"r:", "vp:", "p:", NULL});
    edges_of(&b, g, &g->redges, 0);
    out(&b, "  }\n  subgraph cluster_as {\n    label=\"AS level\";\n");
    nodes_of(&b, g, (const char *const[]){"as:", "asvp:", NULL});
    edges_of(&b, g, &g->aedges, 1);
    out(&b, "  }\n}\n");
    if (b.err) {
        free(b.p);
        *outp = NULL;
        return b.err;
    }
    *outp = b.p;
    if (len)
        *len = b.n;
    return 0;
}
