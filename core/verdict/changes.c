/* SPDX-License-Identifier: BSD-2-Clause */
/* changes.c — one change tracker per (vp, prefix, method) key. Pure. */
#include "core/verdict/changes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/htab.h"
#include "core/base/slab.h"
#include "core/base/strtab.h"
#include "core/verdict/summary.h"

struct key_node {
    struct kp_htab_node node;
    struct kp_changes_key key;
    int64_t last_start_ns; /* of the last trace fed, 0 none */
    struct kp_chg_track track;
};

#define KEYS_PER_BLOCK 256

struct kp_changes {
    struct kp_chg_params params;
    struct kp_htab keys;
    struct kp_strtab *vps; /* vantage point names, kept once */
    struct kp_slab slab;   /* the key nodes, which never move */
    size_t n_keys;
    uint64_t events, out_of_order;
};

void kp_changes_obs_of(const struct kp_trace *t, const struct kp_transit *v, struct kp_chg_obs *o)
{
    memset(o, 0, sizeof(*o));
    o->start_ns = t->start_ns;
    o->end_ns = t->end_ns >= t->start_ns ? t->end_ns : t->start_ns;
    o->transit = v->status == KP_TRANSIT_REACHED || v->status == KP_TRANSIT_FILTERED ? v->asn : 0;
    o->trace_id = t->id;
    bool dst = t->stop_reason == KP_STOP_COMPLETED;
    for (size_t i = 0; i < t->n_hops && !dst; i++)
        dst = (t->hops[i].flags & KP_HOP_FROM_DST) != 0 ||
              (kp_addr_is_set(&t->dst) && kp_addr_eq(&t->hops[i].addr, &t->dst));
    o->outcome = dst                                      ? KP_CHG_OUT_DST
                 : t->stop_reason == KP_STOP_ADMIN_PROHIB ? KP_CHG_OUT_FILTERED
                                                          : KP_CHG_OUT_STOPPED;
}

int kp_changes_new(const struct kp_chg_params *p, struct kp_changes **out)
{
    if (out == NULL || p == NULL)
        return -EINVAL;
    *out = NULL;
    if (kp_chg_params_check(p) != 0)
        return -EINVAL;
    struct kp_changes *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->params = *p;
    kp_htab_init(&c->keys);
    kp_slab_init(&c->slab, sizeof(struct key_node), KEYS_PER_BLOCK);
    if (kp_strtab_new(&c->vps) != 0) {
        free(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void kp_changes_free(struct kp_changes *c)
{
    if (c == NULL)
        return;
    kp_slab_free(&c->slab);
    kp_htab_free(&c->keys);
    kp_strtab_free(c->vps);
    free(c);
}

/* The node of t's key, created when new; NULL when out of memory. */
static struct key_node *key_of(struct kp_changes *c, const struct kp_trace *t)
{
    char vbuf[KP_ADDR_STRLEN];
    const char *v = kp_summary_vp_of(t, vbuf, sizeof(vbuf));
    const char *vp = kp_strtab_intern(c->vps, v, strnlen(v, KP_VP_LEN - 1));
    if (vp == NULL)
        return NULL;
    struct kp_addr pfx;
    uint8_t plen;
    kp_summary_prefix_of(&t->dst, &pfx, &plen);
    /* interned strings are equal when their pointers are */
    uint64_t h = kp_addr_hash(kp_strtab_hash(vp), &pfx);
    h = kp_hash_u64(h, (uint64_t)plen << 32 | (uint64_t)t->method);
    for (struct kp_htab_node *n = kp_htab_first(&c->keys, h); n; n = kp_htab_next(&c->keys, n)) {
        struct key_node *k = KP_HTAB_ENTRY(n, struct key_node, node);
        if (k->key.vp == vp && k->key.method == t->method && k->key.plen == plen &&
            kp_addr_eq(&k->key.prefix, &pfx))
            return k;
    }
    struct key_node *k = kp_slab_add(&c->slab);
    if (k == NULL)
        return NULL;
    k->key = (struct kp_changes_key){vp, pfx, plen, t->method};
    kp_chg_track_init(&k->track);
    if (kp_htab_insert(&c->keys, &k->node, h) != 0)
        return NULL; /* the slab item stays unused until kp_changes_free */
    c->n_keys++;
    return k;
}

int kp_changes_feed(struct kp_changes *c, const struct kp_trace *t, const struct kp_chg_obs *o,
                    struct kp_chg_event *ev, struct kp_changes_key *key)
{
    if (c == NULL || t == NULL || o == NULL || ev == NULL || key == NULL ||
        (t->dst.family != 4 && t->dst.family != 6))
        return -EINVAL;
    struct key_node *k = key_of(c, t);
    if (k == NULL)
        return -ENOMEM;
    if (k->last_start_ns != 0 && o->end_ns < k->last_start_ns)
        c->out_of_order++;
    if (o->start_ns > k->last_start_ns)
        k->last_start_ns = o->start_ns;
    int rc = kp_chg_feed(&k->track, &c->params, o, ev);
    if (rc == 1) {
        *key = k->key;
        c->events++;
    }
    return rc;
}

char *kp_changes_prefix_str(const struct kp_changes_key *key, char *buf, size_t len)
{
    char a[KP_ADDR_STRLEN];
    snprintf(buf, len, "%s/%u", kp_addr_str(&key->prefix, a, sizeof(a)), (unsigned)key->plen);
    return buf;
}

size_t kp_changes_keys(const struct kp_changes *c)
{
    return c ? c->n_keys : 0;
}

uint64_t kp_changes_events(const struct kp_changes *c)
{
    return c ? c->events : 0;
}

uint64_t kp_changes_out_of_order(const struct kp_changes *c)
{
    return c ? c->out_of_order : 0;
}

uint64_t kp_changes_steps(const struct kp_changes *c)
{
    return c ? c->keys.steps + kp_strtab_steps(c->vps) : 0;
}
