/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate.c — one trace's annotation and verdict (annotate.h). */
#include "sources/annotate.h"

#include <errno.h>
#include <stdio.h>

static enum kp_hop_class class_of(enum kp_addr_class c)
{
    switch (c) {
    case KP_ACLASS_PUBLIC:
    case KP_ACLASS_DOCUMENTATION:
    case KP_ACLASS_BENCHMARKING:
        return KP_HCLASS_PUBLIC;
    case KP_ACLASS_PRIVATE:
        return KP_HCLASS_PRIVATE;
    case KP_ACLASS_SHARED:
        return KP_HCLASS_SHARED;
    default:
        return KP_HCLASS_RESERVED;
    }
}

int kp_annotate_addr(struct kp_asmap *m, const struct kp_addr *ad, bool with_rdns,
                     struct kp_hop_annot *o)
{
    int failed = 0;
    kp_hop_annot_init(o);
    struct kp_asn_answer ans;
    if (kp_asmap_lookup(m, ad, &ans) != 0) {
        o->cls = KP_HCLASS_UNANNOUNCED;
        return 0;
    }
    o->cls = (uint8_t)class_of(ans.addr_class);
    snprintf(o->class_label, sizeof(o->class_label), "%s", kp_addr_class_name(ans.addr_class));
    o->ixp = ans.ixp;
    if (ans.ixp)
        snprintf(o->ixp_name, sizeof(o->ixp_name), "%s", ans.ixp_name);
    switch (ans.status) {
    case KP_ASN_FOUND:
        o->asn = ans.asns[0];
        for (unsigned i = 0; i < ans.n_asns && i < KP_ANNOT_MAX_ORIGINS; i++)
            o->origins[o->n_origins++] = ans.asns[i];
        snprintf(o->source, sizeof(o->source), "%.15s", ans.source);
        if (ans.as_name[0]) {
            snprintf(o->as_name, sizeof(o->as_name), "%s", ans.as_name);
        } else {
            const char *n = kp_asmap_as_name(m, o->asn, NULL);
            if (n)
                snprintf(o->as_name, sizeof(o->as_name), "%s", n);
        }
        break;
    case KP_ASN_UNANNOUNCED:
        if (o->cls == KP_HCLASS_PUBLIC) {
            o->cls = KP_HCLASS_UNANNOUNCED;
            o->class_label[0] = '\0';
        }
        break;
    case KP_ASN_SPECIAL:
        break;
    case KP_ASN_UNKNOWN:
    default:
        failed = 1;
        if (o->cls == KP_HCLASS_PUBLIC)
            o->cls = KP_HCLASS_UNANNOUNCED;
        break;
    }
    if (with_rdns) {
        const char *r = kp_asmap_rdns(m, ad);
        if (r)
            snprintf(o->rdns, sizeof(o->rdns), "%s", r);
    }
    return failed;
}

int kp_annotate_hops(struct kp_asmap *m, const struct kp_trace *t, bool with_rdns,
                     struct kp_hop_annot *ann, struct kp_hop_annot *dst)
{
    if (m == NULL || t == NULL || (ann == NULL && t->n_hops > 0) || dst == NULL)
        return -EINVAL;
    int failed = 0;
    for (size_t k = 0; k < t->n_hops; k++)
        failed += kp_annotate_addr(m, &t->hops[k].addr, with_rdns, &ann[k]);
    kp_hop_annot_init(dst);
    if (kp_addr_is_set(&t->dst))
        failed += kp_annotate_addr(m, &t->dst, with_rdns, dst);
    return failed;
}

int kp_annotate_trace(struct kp_asmap *m, const struct kp_verdict_config *cfg,
                      const struct kp_trace *t, bool with_rdns, struct kp_hop_annot *ann,
                      struct kp_hop_annot *dst, struct kp_transit *v)
{
    if (m == NULL || cfg == NULL || t == NULL || (ann == NULL && t->n_hops > 0) || dst == NULL ||
        v == NULL)
        return -EINVAL;
    int failed = kp_annotate_hops(m, t, with_rdns, ann, dst);
    if (failed < 0)
        return failed;
    int rc = kp_verdict_decide(cfg, t, ann, t->n_hops, dst, v);
    return rc < 0 ? rc : failed;
}
