/* SPDX-License-Identifier: BSD-2-Clause */
/* annot_json.c — annotated trace and summary JSON lines. Pure; see annot_json.h. */
#include "core/output/annot_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/util.h"
#include "core/record/trace_json.h"

static int set(json_t *o, const char *k, json_t *v)
{
    if (v == NULL)
        return -ENOMEM;
    return json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static json_t *asn_or_null(uint32_t asn)
{
    return asn ? json_integer(asn) : json_null();
}

static json_t *idx_or_null(int i)
{
    return i >= 0 ? json_integer(i) : json_null();
}

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

static int annot_hop(json_t *h, const struct kp_hop_annot *a)
{
    int rc = 0;
    rc = rc ? rc : set(h, "asn", asn_or_null(a->asn));
    rc = rc ? rc : set(h, "as_name", kp_json_str_or_null(a->as_name));
    rc = rc ? rc : set(h, "asn_source", kp_json_str_or_null(a->source));
    json_t *org = json_array();
    rc = rc ? rc : set(h, "origins", org);
    for (int i = 0; rc == 0 && i < a->n_origins && i < KP_ANNOT_MAX_ORIGINS; i++)
        if (json_array_append_new(org, json_integer(a->origins[i])) != 0)
            rc = -ENOMEM;
    rc = rc ? rc
            : set(h, "addr_class",
                  json_string(a->class_label[0] ? a->class_label : kp_hop_class_name(a->cls)));
    rc = rc ? rc : set(h, "rdns", kp_json_str_or_null(a->rdns));
    if (rc == 0 && a->ixp)
        rc = set(h, "ixp", json_string(a->ixp_name[0] ? a->ixp_name : "ixp"));
    else if (rc == 0)
        rc = set(h, "ixp", json_null());
    return rc;
}

static json_t *evidence_json(const struct kp_trace *t, const struct kp_transit *v)
{
    json_t *e = json_object();
    if (e == NULL)
        return NULL;
    int rc = 0;
    char a[KP_ADDR_STRLEN];
    const struct kp_hop *hh =
        v->handoff_hop >= 0 && (size_t)v->handoff_hop < t->n_hops ? &t->hops[v->handoff_hop] : NULL;
    const struct kp_hop *th =
        v->target_hop >= 0 && (size_t)v->target_hop < t->n_hops ? &t->hops[v->target_hop] : NULL;
    const struct kp_hop *bh =
        v->border_hop >= 0 && (size_t)v->border_hop < t->n_hops ? &t->hops[v->border_hop] : NULL;
    rc = rc ? rc : set(e, "handoff_hop", idx_or_null(v->handoff_hop));
    rc = rc ? rc : set(e, "handoff_ttl", hh ? json_integer(hh->ttl) : json_null());
    rc = rc ? rc
            : set(e, "handoff_addr",
                  hh ? json_string(kp_addr_str(&hh->addr, a, sizeof(a))) : json_null());
    rc = rc ? rc : set(e, "target_hop", idx_or_null(v->target_hop));
    rc = rc ? rc : set(e, "target_ttl", th ? json_integer(th->ttl) : json_null());
    rc = rc ? rc : set(e, "border_hop", idx_or_null(v->border_hop));
    rc = rc ? rc
            : set(e, "border_addr",
                  bh ? json_string(kp_addr_str(&bh->addr, a, sizeof(a))) : json_null());
    rc = rc ? rc : set(e, "last_hop", idx_or_null(v->last_hop));
    rc = rc ? rc : set(e, "silent_ttls", json_integer(v->silent_ttls));
    json_t *sk = json_array();
    rc = rc ? rc : set(e, "skipped_hops", sk);
    for (int i = 0; rc == 0 && i < v->n_skipped; i++)
        if (json_array_append_new(sk, json_integer(v->skipped[i])) != 0)
            rc = -ENOMEM;
    json_t *hs = json_array();
    rc = rc ? rc : set(e, "heuristics", hs);
    for (unsigned b = 0; rc == 0 && b < KP_H_COUNT_BITS; b++)
        if (v->heuristics & (1u << b))
            if (json_array_append_new(hs, json_string(kp_heuristic_name(1u << b))) != 0)
                rc = -ENOMEM;
    rc = rc ? rc : set(e, "source", kp_json_str_or_null(v->source));
    rc = rc ? rc
            : set(e, "rtt_jump_ms",
                  (hh && th && hh->rtt_ms >= 0 && th->rtt_ms >= 0)
                      ? json_real(round3(v->rtt_jump_ms))
                      : json_null());
    rc = rc ? rc : set(e, "filtered_by", asn_or_null(v->filtered_by));
    if (rc) {
        json_decref(e);
        return NULL;
    }
    return e;
}

int kp_annot_trace_json(const struct kp_trace *t, const struct kp_hop_annot *ann,
                        const struct kp_hop_annot *dst_ann, const struct kp_transit *v,
                        const char *sweep, const struct kp_annot_origin *origin, char **out,
                        size_t *len)
{
    *out = NULL;
    int rc;
    json_t *o = kp_trace_json_object(t, &rc);
    if (o == NULL)
        return rc;
    json_t *hops = json_object_get(o, "hops");
    if (json_is_array(hops) && ann != NULL) {
        for (size_t i = 0; rc == 0 && i < json_array_size(hops) && i < t->n_hops; i++)
            rc = annot_hop(json_array_get(hops, i), &ann[i]);
    }
    rc = rc ? rc : set(o, "dst_asn", asn_or_null(dst_ann ? dst_ann->asn : 0));
    rc = rc ? rc : set(o, "sweep", kp_json_str_or_null(sweep));
    if (rc == 0 && origin != NULL) {
        json_t *in = json_object();
        rc = set(o, "input", in);
        rc = rc ? rc : set(in, "kind", kp_json_str_or_null(origin->kind));
        rc = rc ? rc : set(in, "file", kp_json_str_or_null(origin->file));
        rc = rc ? rc
                : set(in, "line",
                      origin->line ? json_integer((json_int_t)origin->line) : json_null());
    }
    if (rc == 0 && v != NULL) {
        json_t *tr = json_object();
        rc = set(o, "transit", tr);
        rc = rc ? rc : set(tr, "asn", asn_or_null(v->asn));
        rc = rc ? rc : set(tr, "name", kp_json_str_or_null(v->name));
        rc = rc ? rc : set(tr, "status", json_string(kp_transit_status_name(v->status)));
        rc = rc ? rc : set(tr, "confidence", json_real(round3(v->confidence)));
        rc = rc ? rc : set(tr, "evidence", evidence_json(t, v));
    }
    if (rc == 0) {
        *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (*out == NULL)
            rc = -ENOMEM;
        else if (len)
            *len = strlen(*out);
    }
    json_decref(o);
    return rc;
}

int kp_annot_summary_json(const struct kp_summary_group *g, char **out, size_t *len)
{
    *out = NULL;
    json_t *o = json_object();
    if (o == NULL)
        return -ENOMEM;
    int rc = 0;
    char a[KP_ADDR_STRLEN], pfx[KP_ADDR_STRLEN + 8];
    snprintf(pfx, sizeof(pfx), "%s/%u", kp_addr_str(&g->prefix, a, sizeof(a)), g->plen);
    const struct kp_summary_share *m = g->majority >= 0 ? &g->shares[g->majority] : NULL;
    rc = rc ? rc : set(o, "vp", json_string(g->vp));
    rc = rc ? rc : set(o, "prefix", json_string(pfx));
    rc = rc ? rc : set(o, "method", json_string(kp_method_name(g->method)));
    rc = rc ? rc : set(o, "sweep", kp_json_str_or_null(g->sweep));
    rc = rc ? rc : set(o, "transit_asn", asn_or_null(m ? m->asn : 0));
    rc = rc ? rc : set(o, "transit_name", kp_json_str_or_null(m ? m->name : NULL));
    rc = rc ? rc
            : set(o, "status",
                  json_string(kp_transit_status_name(m ? m->status : KP_TRANSIT_UNDETERMINED)));
    rc = rc ? rc : set(o, "traces", json_integer((json_int_t)g->traces));
    rc = rc ? rc : set(o, "share", json_real(round3(m ? m->share : 0.0)));
    json_t *sh = json_array();
    rc = rc ? rc : set(o, "shares", sh);
    for (size_t i = 0; rc == 0 && i < g->n_shares; i++) {
        json_t *e = json_object();
        if (e == NULL || json_array_append_new(sh, e) != 0) {
            rc = -ENOMEM;
            break;
        }
        rc = rc ? rc : set(e, "asn", asn_or_null(g->shares[i].asn));
        rc = rc ? rc : set(e, "name", kp_json_str_or_null(g->shares[i].name));
        rc = rc ? rc : set(e, "status", json_string(kp_transit_status_name(g->shares[i].status)));
        rc = rc ? rc : set(e, "traces", json_integer((json_int_t)g->shares[i].traces));
        rc = rc ? rc : set(e, "share", json_real(round3(g->shares[i].share)));
    }
    if (rc == 0 && g->n_upstreams > 0) {
        json_t *up = json_array();
        rc = set(o, "control_plane_upstreams", up);
        for (size_t i = 0; rc == 0 && i < g->n_upstreams; i++)
            if (json_array_append_new(up, json_integer(g->upstreams[i])) != 0)
                rc = -ENOMEM;
    } else if (rc == 0) {
        rc = set(o, "control_plane_upstreams", json_null());
    }
    rc = rc ? rc : set(o, "agrees", g->agrees < 0 ? json_null() : json_boolean(g->agrees == 1));
    rc = rc ? rc
            : set(o, "mean_confidence",
                  json_real(round3(g->traces ? g->confidence_sum / (double)g->traces : 0.0)));
    char tb[40];
    rc = rc ? rc
            : set(o, "first",
                  g->first_ns ? json_string(kp_rfc3339_ns(g->first_ns, tb, sizeof(tb)))
                              : json_null());
    rc =
        rc ? rc
           : set(o, "last",
                 g->last_ns ? json_string(kp_rfc3339_ns(g->last_ns, tb, sizeof(tb))) : json_null());
    if (rc == 0) {
        *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (*out == NULL)
            rc = -ENOMEM;
        else if (len)
            *len = strlen(*out);
    }
    json_decref(o);
    return rc;
}
