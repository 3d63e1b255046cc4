/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_dot.c — router-level and AS-level graph in DOT. Pure; see graph_dot.h. */
#include "core/output/graph_dot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/known_as.h"

#define KEY_LEN 80

struct gnode {
    char key[KEY_LEN]; /* "r:<addr>", "vp:<name>", "as:<asn>", "asvp:<name>" */
    char label[KP_ANNOT_NAME_LEN + KEY_LEN];
    uint32_t asn;
    int is_vp;
};

struct gedge {
    int from, to;
    int silent; /* silent TTLs in between (router level) */
    int bold;   /* transit edge into the target (AS level) */
    unsigned traces;
};

struct vec {
    void *v;
    size_t n, cap, size;
};

struct kp_graph {
    uint32_t targets[64];
    size_t n_targets;
    struct vec nodes, redges, aedges;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        void *n = realloc(v->v, cap * v->size);
        if (n == NULL)
            return NULL;
        v->v = n;
        v->cap = cap;
    }
    void *p = (char *)v->v + v->n * v->size;
    memset(p, 0, v->size);
    v->n++;
    return p;
}

int kp_graph_new(struct kp_graph **out, const struct kp_verdict_config *c)
{
    if (out == NULL || c == NULL)
        return -EINVAL;
    struct kp_graph *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->n_targets && i < 64; i++)
        g->targets[g->n_targets++] = c->targets[i];
    g->nodes.size = sizeof(struct gnode);
    g->redges.size = sizeof(struct gedge);
    g->aedges.size = sizeof(struct gedge);
    *out = g;
    return 0;
}

void kp_graph_free(struct kp_graph *g)
{
    if (g == NULL)
        return;
    free(g->nodes.v);
    free(g->redges.v);
    free(g->aedges.v);
    free(g);
}

static bool is_target(const struct kp_graph *g, uint32_t asn)
{
    for (size_t i = 0; i < g->n_targets; i++)
        if (g->targets[i] == asn && asn != 0)
            return true;
    return false;
}

/* Find or add a node; returns its index or -ENOMEM. */
static int node(struct kp_graph *g, const char *key, const char *label, uint32_t asn, int is_vp)
{
    struct gnode *n = g->nodes.v;
    for (size_t i = 0; i < g->nodes.n; i++)
        if (strcmp(n[i].key, key) == 0)
            return (int)i;
    struct gnode *x = vec_push(&g->nodes);
    if (x == NULL)
        return -ENOMEM;
    snprintf(x->key, sizeof(x->key), "%s", key);
    snprintf(x->label, sizeof(x->label), "%s", label);
    x->asn = asn;
    x->is_vp = is_vp;
    return (int)(g->nodes.n - 1);
}

static int edge(struct vec *v, int from, int to, int silent, int bold)
{
    struct gedge *e = v->v;
    for (size_t i = 0; i < v->n; i++)
        if (e[i].from == from && e[i].to == to && e[i].silent == silent) {
            e[i].traces++;
            e[i].bold |= bold;
            return 0;
        }
    struct gedge *x = vec_push(v);
    if (x == NULL)
        return -ENOMEM;
    x->from = from;
    x->to = to;
    x->silent = silent;
    x->bold = bold;
    x->traces = 1;
    return 0;
}

int kp_graph_add(struct kp_graph *g, const struct kp_trace *t, const struct kp_hop_annot *ann,
                 const struct kp_transit *v)
{
    char vp[KP_VP_LEN + 8], key[KEY_LEN], label[KP_ANNOT_NAME_LEN + KEY_LEN], a[KP_ADDR_STRLEN];
    const char *vpname = t->vp[0] ? t->vp : kp_addr_str(&t->src, a, sizeof(a));
    snprintf(vp, sizeof(vp), "%s", vpname[0] ? vpname : "?");
    snprintf(key, sizeof(key), "vp:%s", vp);
    int prev = node(g, key, vp, 0, 1);
    if (prev < 0)
        return prev;
    snprintf(key, sizeof(key), "asvp:%s", vp);
    int aprev = node(g, key, vp, 0, 1);
    if (aprev < 0)
        return aprev;
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
        kp_addr_str(&t->hops[best].addr, a, sizeof(a));
        snprintf(key, sizeof(key), "r:%s", a);
        if (asn)
            snprintf(label, sizeof(label), "%s\\nAS%u", a, asn);
        else
            snprintf(label, sizeof(label), "%s", a);
        int cur = node(g, key, label, asn, 0);
        if (cur < 0)
            return cur;
        int silent = prev_ttl ? ttl - prev_ttl - 1 : ttl - 1;
        if (edge(&g->redges, prev, cur, silent, 0) < 0)
            return -ENOMEM;
        prev = cur;
        prev_ttl = ttl;
        if (asn != 0 && asn != prev_as) {
            snprintf(key, sizeof(key), "as:%u", asn);
            if (an && an->as_name[0])
                snprintf(label, sizeof(label), "AS%u\\n%.60s", asn, an->as_name);
            else
                snprintf(label, sizeof(label), "AS%u", asn);
            int acur = node(g, key, label, asn, 0);
            if (acur < 0)
                return acur;
            int bold = v != NULL && v->asn != 0 && prev_as == v->asn && is_target(g, asn);
            if (edge(&g->aedges, aprev, acur, 0, bold) < 0)
                return -ENOMEM;
            aprev = acur;
            prev_as = asn;
        }
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

static void nodes_of(struct sbuf *b, const struct kp_graph *g, const char *prefix,
                     const char *vprefix)
{
    const struct gnode *n = g->nodes.v;
    char cb[16];
    for (size_t i = 0; i < g->nodes.n; i++) {
        if (strncmp(n[i].key, prefix, strlen(prefix)) != 0 &&
            strncmp(n[i].key, vprefix, strlen(vprefix)) != 0)
            continue;
        out(b, "    ");
        quoted(b, n[i].key);
        out(b, " [label=");
        quoted(b, n[i].label);
        if (n[i].is_vp)
            out(b, ", shape=box, fillcolor=\"#ffffff\"];\n");
        else
            out(b, ", fillcolor=\"%s\"];\n", colour(g, n[i].asn, cb, sizeof(cb)));
    }
}

static void edges_of(struct sbuf *b, const struct kp_graph *g, const struct vec *v, int as_level)
{
    const struct gedge *e = v->v;
    const struct gnode *n = g->nodes.v;
    for (size_t i = 0; i < v->n; i++) {
        out(b, "    ");
        quoted(b, n[e[i].from].key);
        out(b, " -> ");
        quoted(b, n[e[i].to].key);
        if (as_level)
            out(b, " [label=\"%u\"%s];\n", e[i].traces, e[i].bold ? ", penwidth=3" : "");
        else if (e[i].silent > 0)
            out(b, " [style=dashed, label=\"%d silent\"];\n", e[i].silent);
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
    nodes_of(&b, g, "r:", "vp:");
    edges_of(&b, g, &g->redges, 0);
    out(&b, "  }\n  subgraph cluster_as {\n    label=\"AS level\";\n");
    nodes_of(&b, g, "as:", "asvp:");
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
