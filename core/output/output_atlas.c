/* SPDX-License-Identifier: BSD-2-Clause */
/* output_atlas.c — a kp_trace as a RIPE Atlas traceroute result. See
 * output.h and docs/format.md ("Atlas output"). */
#include "core/output/output.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *proto_name(enum kp_method m)
{
    switch (m) {
    case KP_METHOD_ICMP_PARIS:
    case KP_METHOD_ICMP:
        return "ICMP";
    case KP_METHOD_UDP_PARIS:
    case KP_METHOD_UDP:
        return "UDP";
    case KP_METHOD_TCP_SYN:
    case KP_METHOD_TCP:
    case KP_METHOD_TCP_ACK:
        return "TCP";
    default:
        return "";
    }
}

/* Atlas "err" for a destination-unreachable code: letters for the common
 * ones, the numeric code otherwise. */
static json_t *atlas_err(int code)
{
    switch (code) {
    case 0:
        return json_string("N");
    case 1:
        return json_string("H");
    case 2:
        return json_string("P");
    case 3:
        return json_string("p");
    case 9:
    case 10:
    case 13:
        return json_string("A");
    default:
        return json_integer(code);
    }
}

static json_t *tcp_flags_str(uint8_t f)
{
    static const char names[] = "FSRPAUEC";
    char s[9];
    int n = 0;
    for (int i = 0; i < 8; i++)
        if (f & (1u << i))
            s[n++] = names[i];
    s[n] = '\0';
    return json_string(s);
}

static json_t *packet_json(const struct kp_hop *h)
{
    char a[KP_ADDR_STRLEN];
    json_t *p = json_object();
    if (p == NULL)
        return NULL;
    json_object_set_new(p, "from", json_string(kp_addr_str(&h->addr, a, sizeof(a))));
    if (h->rtt_ms >= 0)
        json_object_set_new(p, "rtt", json_real(round(h->rtt_ms * 1000.0) / 1000.0));
    if (h->reply_size)
        json_object_set_new(p, "size", json_integer(h->reply_size));
    if (h->reply_ttl >= 0)
        json_object_set_new(p, "ttl", json_integer(h->reply_ttl));
    if (h->icmp_type == 3)
        json_object_set_new(p, "err", atlas_err(h->icmp_code));
    if (h->quoted_ttl >= 0 && h->quoted_ttl != 1)
        json_object_set_new(p, "ittl", json_integer(h->quoted_ttl));
    if (h->flags & KP_HOP_LATE)
        json_object_set_new(p, "late", json_integer(1));
    if (h->flags & KP_HOP_DUP)
        json_object_set_new(p, "dup", json_true());
    if (h->icmp_type < 0 && h->tcp_flags)
        json_object_set_new(p, "flags", tcp_flags_str(h->tcp_flags));
    if (h->n_mpls) {
        json_t *ext = json_object(), *objs = json_array(), *obj = json_object(),
               *mpls = json_array();
        for (unsigned i = 0; i < h->n_mpls && i < KP_MAX_MPLS; i++) {
            json_t *m = json_object();
            json_object_set_new(m, "exp", json_integer(h->mpls[i].tc));
            json_object_set_new(m, "label", json_integer(h->mpls[i].label));
            json_object_set_new(m, "s", json_integer(h->mpls[i].s));
            json_object_set_new(m, "ttl", json_integer(h->mpls[i].ttl));
            json_array_append_new(mpls, m);
        }
        json_object_set_new(obj, "class", json_integer(1));
        json_object_set_new(obj, "type", json_integer(1));
        json_object_set_new(obj, "mpls", mpls);
        json_array_append_new(objs, obj);
        json_object_set_new(ext, "version", json_integer(2));
        json_object_set_new(ext, "rfc4884", json_integer(1));
        json_object_set_new(ext, "obj", objs);
        json_object_set_new(p, "icmpext", ext);
    }
    return p;
}

int kp_output_atlas(const struct kp_trace *t, char **out)
{
    char a[KP_ADDR_STRLEN];
    *out = NULL;
    if (!kp_addr_is_set(&t->dst))
        return -EINVAL;
    json_t *o = json_object();
    if (o == NULL)
        return -ENOMEM;
    kp_addr_str(&t->dst, a, sizeof(a));
    json_object_set_new(o, "fw", json_integer(5000));
    json_object_set_new(o, "af", json_integer(t->dst.family));
    json_object_set_new(o, "dst_addr", json_string(a));
    json_object_set_new(o, "dst_name", json_string(t->dst_name[0] ? t->dst_name : a));
    kp_addr_str(&t->src, a, sizeof(a));
    json_object_set_new(o, "src_addr", json_string(a));
    json_object_set_new(o, "from", json_string(a));
    json_object_set_new(o, "proto", json_string(proto_name(t->method)));
    int paris = t->method == KP_METHOD_ICMP_PARIS || t->method == KP_METHOD_UDP_PARIS ||
                t->method == KP_METHOD_TCP_SYN;
    json_object_set_new(o, "paris_id", json_integer(paris ? 1 : 0));
    json_object_set_new(o, "size", json_integer(t->n_hops ? t->hops[0].probe_size : 0));
    json_object_set_new(o, "timestamp", json_integer(t->start_ns / 1000000000));
    json_object_set_new(o, "endtime",
                        json_integer((t->end_ns ? t->end_ns : t->start_ns) / 1000000000));
    json_object_set_new(o, "msm_id", json_integer(t->meta_msm_id));
    json_object_set_new(o, "prb_id", json_integer(t->meta_prb_id));
    json_object_set_new(o, "type", json_string("traceroute"));

    unsigned first = t->first_ttl, last = t->stop_ttl, ncol = t->attempts, max_attempt = 0;
    unsigned min_seen = 255;
    for (size_t i = 0; i < t->n_hops; i++) {
        if (t->hops[i].ttl > last)
            last = t->hops[i].ttl;
        if (t->hops[i].ttl < min_seen)
            min_seen = t->hops[i].ttl;
        if (t->hops[i].attempt > max_attempt)
            max_attempt = t->hops[i].attempt;
    }
    if (first == 0)
        first = min_seen < 255 ? min_seen : 1;
    /* Replies beyond the TTL where the trace stopped (probes already in
     * flight with --window > 1) stay in the record but are not printed, as
     * traceroute stops there. */
    if (t->stop_ttl && t->stop_reason >= KP_STOP_COMPLETED &&
        t->stop_reason <= KP_STOP_UNREACH_OTHER)
        last = t->stop_ttl;
    if (ncol == 0)
        ncol = max_attempt + 1;
    json_t *res = json_array();
    json_object_set_new(o, "result", res);
    for (unsigned ttl = first; ttl <= last && ttl <= 255; ttl++) {
        /* The tracer stops retrying a TTL once it answered: columns are the
         * attempts up to the last one answered, or all of them when silent. */
        unsigned cols = 0;
        for (size_t i = 0; i < t->n_hops; i++)
            if (t->hops[i].ttl == ttl && t->hops[i].attempt + 1u > cols)
                cols = t->hops[i].attempt + 1u;
        /* A TTL never probed (Doubletree started above it or skipped it) is
         * not silent: no hop, as Atlas lists none below its first_hop. */
        if (cols == 0 && !kp_trace_probed(t, ttl))
            continue;
        if (cols == 0)
            cols = ncol;
        json_t *hop = json_object(), *pk = json_array();
        json_object_set_new(hop, "hop", json_integer(ttl));
        json_object_set_new(hop, "result", pk);
        json_array_append_new(res, hop);
        for (unsigned at = 0; at < cols; at++) {
            int found = 0;
            for (size_t i = 0; i < t->n_hops; i++) {
                const struct kp_hop *h = &t->hops[i];
                if (h->ttl != ttl || h->attempt != at)
                    continue;
                found = 1;
                json_array_append_new(pk, packet_json(h));
            }
            if (!found) {
                json_t *x = json_object();
                json_object_set_new(x, "x", json_string("*"));
                json_array_append_new(pk, x);
            }
        }
    }
    *out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(o);
    return *out ? 0 : -ENOMEM;
}
