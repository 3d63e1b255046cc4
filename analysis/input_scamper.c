/* input_scamper.c — scamper JSON traces to kp_trace. Pure; see input.h.
 *
 * scamper's JSON (sc_warts2json, scamper -O json) is one object per line:
 * {"type":"cycle-start",...,"hostname":...}, then {"type":"trace",...} for each
 * traceroute: method, src, dst, sport, dport, icmp_sum, stop_reason,
 * stop_data, start{sec,usec}, hop_count, attempts, firsthop, wait,
 * probe_size, probe_count, hops[] of responding probes: addr, probe_ttl,
 * probe_id, probe_size, tx{sec,usec}, rtt, reply_ttl, reply_size,
 * icmp_type, icmp_code, icmp_q_ttl, tcp_flags, icmpext[] ({ie_cn, ie_ct,
 * mpls_labels[]{mpls_ttl, mpls_s, mpls_exp, mpls_label}}).
 */
#include "analysis/input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

struct rec {
    const struct kp_input_sink *sink;
    unsigned long line;
};

static int bad(const struct rec *r, const char *field, const char *msg)
{
    if (r->sink->error)
        r->sink->error(r->sink->ctx, r->line, field, msg);
    return -EINVAL;
}

/* Optional integer: 0 absent, 1 present (in *out), -EINVAL reported. */
static int get_int(const struct rec *r, json_t *o, const char *key, const char *where,
                   json_int_t lo, json_int_t hi, json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    char field[160];
    snprintf(field, sizeof(field), "%s%s", where, key);
    if (!json_is_integer(v))
        return bad(r, field, "not an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return bad(r, field, "out of range");
    *out = x;
    return 1;
}

static int get_addr(const struct rec *r, json_t *o, const char *key, const char *where,
                    struct kp_addr *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    char field[160];
    snprintf(field, sizeof(field), "%s%s", where, key);
    if (!json_is_string(v))
        return bad(r, field, "not a string");
    if (kp_addr_parse(json_string_value(v), out) != 0)
        return bad(r, field, "not an IP address");
    return 1;
}

/* {sec, usec} -> ns; 0 absent, 1 present, -EINVAL. */
static int get_time(const struct rec *r, json_t *o, const char *key, const char *where, int64_t *ns)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    char w[160];
    snprintf(w, sizeof(w), "%s%s.", where, key);
    if (!json_is_object(v))
        return bad(r, w, "not an object {sec, usec}");
    json_int_t sec = 0, usec = 0;
    if (get_int(r, v, "sec", w, 0, INT64_MAX / 1000000000 - 1, &sec) < 0 ||
        get_int(r, v, "usec", w, 0, 999999, &usec) < 0)
        return -EINVAL;
    *ns = sec * 1000000000 + usec * 1000;
    return 1;
}

static enum kp_method method_of(const char *m)
{
    static const struct {
        const char *name;
        enum kp_method method;
    } map[] = {
        {"icmp-echo", KP_METHOD_ICMP},
        {"icmp-echo-paris", KP_METHOD_ICMP_PARIS},
        {"icmp-paris", KP_METHOD_ICMP_PARIS},
        {"udp", KP_METHOD_UDP},
        {"udp-paris", KP_METHOD_UDP_PARIS},
        {"tcp", KP_METHOD_TCP_SYN}, /* SYNs to a constant port pair */
        {"tcp-ack", KP_METHOD_TCP},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(m, map[i].name) == 0)
            return map[i].method;
    return KP_METHOD_UNKNOWN;
}

static enum kp_stop stop_of(const char *s, json_int_t data, bool v6)
{
    if (strcmp(s, "COMPLETED") == 0)
        return KP_STOP_COMPLETED;
    if (strcmp(s, "UNREACH") == 0) {
        if (!v6)
            return kp_stop_from_unreach_code((int)data);
        if (data == 1)
            return KP_STOP_ADMIN_PROHIB;
        if (data == 0)
            return KP_STOP_UNREACH_NET;
        if (data == 3)
            return KP_STOP_UNREACH_HOST;
        return KP_STOP_UNREACH_OTHER;
    }
    if (strcmp(s, "ICMP") == 0)
        return KP_STOP_UNREACH_OTHER;
    if (strcmp(s, "LOOP") == 0)
        return KP_STOP_LOOP;
    if (strcmp(s, "GAPLIMIT") == 0)
        return KP_STOP_GAPLIMIT;
    if (strcmp(s, "HOPLIMIT") == 0)
        return KP_STOP_MAXTTL;
    if (strcmp(s, "ERROR") == 0)
        return KP_STOP_ERROR;
    if (strcmp(s, "HALTED") == 0)
        return KP_STOP_INTERRUPTED;
    return KP_STOP_NONE; /* NONE, GSS, anything newer */
}

static int parse_ext(const struct rec *r, json_t *ext, const char *where, struct kp_hop *h)
{
    char f[160];
    snprintf(f, sizeof(f), "%sicmpext", where);
    if (!json_is_array(ext))
        return bad(r, f, "not an array");
    size_t i;
    json_t *ie;
    json_array_foreach(ext, i, ie)
    {
        if (!json_is_object(ie))
            return bad(r, f, "element is not an object");
        json_t *labels = json_object_get(ie, "mpls_labels");
        if (labels == NULL)
            labels = json_object_get(ie, "mpls_ext");
        if (labels == NULL)
            continue;
        if (!json_is_array(labels))
            return bad(r, f, "mpls_labels is not an array");
        size_t k;
        json_t *l;
        json_array_foreach(labels, k, l)
        {
            char w[160];
            snprintf(w, sizeof(w), "%sicmpext[%zu].mpls_labels[%zu].", where, i, k);
            if (!json_is_object(l))
                return bad(r, w, "not an object");
            json_int_t label = 0, exp = 0, s = 0, ttl = 0;
            if (get_int(r, l, "mpls_label", w, 0, 0xFFFFF, &label) < 0 ||
                get_int(r, l, "mpls_exp", w, 0, 7, &exp) < 0 ||
                get_int(r, l, "mpls_s", w, 0, 1, &s) < 0 ||
                get_int(r, l, "mpls_ttl", w, 0, 255, &ttl) < 0)
                return -EINVAL;
            if (h->n_mpls < KP_MAX_MPLS) {
                struct kp_mpls *m = &h->mpls[h->n_mpls++];
                m->label = (uint32_t)label;
                m->tc = (uint8_t)exp;
                m->s = (uint8_t)s;
                m->ttl = (uint8_t)ttl;
            }
        }
    }
    return 0;
}

static int parse_hop(const struct rec *r, json_t *o, const struct kp_trace *t, const char *where,
                     struct kp_hop *h)
{
    kp_hop_init(h);
    json_int_t v;
    int rc = get_addr(r, o, "addr", where, &h->addr);
    char f[160];
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(f, sizeof(f), "%saddr", where);
        return bad(r, f, "missing");
    }
    rc = get_int(r, o, "probe_ttl", where, 1, 255, &v);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(f, sizeof(f), "%sprobe_ttl", where);
        return bad(r, f, "missing");
    }
    h->ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "probe_id", where, 0, 256, &v)) < 0)
        return rc;
    if (rc && v > 0)
        h->attempt = (uint8_t)(v - 1 > 255 ? 255 : v - 1);
    if ((rc = get_int(r, o, "probe_size", where, 0, 65535, &v)) < 0)
        return rc;
    if (rc)
        h->probe_size = (uint16_t)v;
    if ((rc = get_int(r, o, "reply_ttl", where, 0, 255, &v)) < 0)
        return rc;
    if (rc)
        h->reply_ttl = (int16_t)v;
    if ((rc = get_int(r, o, "reply_size", where, 0, 65535, &v)) < 0)
        return rc;
    if (rc)
        h->reply_size = (uint16_t)v;
    if ((rc = get_int(r, o, "icmp_type", where, 0, 255, &v)) < 0)
        return rc;
    if (rc)
        h->icmp_type = (int16_t)v;
    if ((rc = get_int(r, o, "icmp_code", where, 0, 255, &v)) < 0)
        return rc;
    if (rc)
        h->icmp_code = (int16_t)v;
    if ((rc = get_int(r, o, "icmp_q_ttl", where, 0, 255, &v)) < 0)
        return rc;
    if (rc)
        h->quoted_ttl = (int16_t)v;
    if ((rc = get_int(r, o, "tcp_flags", where, 0, 255, &v)) < 0)
        return rc;
    if (rc)
        h->tcp_flags = (uint8_t)v;
    json_t *rtt = json_object_get(o, "rtt");
    if (rtt != NULL) {
        if (!json_is_number(rtt) || json_number_value(rtt) < 0) {
            snprintf(f, sizeof(f), "%srtt", where);
            return bad(r, f, "not a non-negative number");
        }
        h->rtt_ms = json_number_value(rtt);
    }
    int64_t tx = 0;
    if ((rc = get_time(r, o, "tx", where, &tx)) < 0)
        return rc;
    if (rc) {
        h->tx_ns = tx;
        if (h->rtt_ms >= 0)
            h->rx_ns = tx + (int64_t)(h->rtt_ms * 1e6 + 0.5);
    }
    if (kp_addr_is_set(&t->dst) && kp_addr_eq(&h->addr, &t->dst))
        h->flags |= KP_HOP_FROM_DST;
    json_t *ext = json_object_get(o, "icmpext");
    if (ext != NULL && parse_ext(r, ext, where, h) < 0)
        return -EINVAL;
    return 0;
}

static int convert(const struct rec *r, json_t *o, const char *vp, struct kp_trace *t)
{
    json_int_t v;
    int rc;
    snprintf(t->tool, sizeof(t->tool), "scamper");
    snprintf(t->ts_source, sizeof(t->ts_source), "import");
    snprintf(t->vp, sizeof(t->vp), "%s", vp);
    json_t *m = json_object_get(o, "method");
    if (m == NULL)
        return bad(r, "method", "missing");
    if (!json_is_string(m))
        return bad(r, "method", "not a string");
    t->method = method_of(json_string_value(m));
    if (t->method == KP_METHOD_UNKNOWN)
        return bad(r, "method", "not a scamper trace method");
    if (get_addr(r, o, "src", "", &t->src) < 0)
        return -EINVAL;
    rc = get_addr(r, o, "dst", "", &t->dst);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return bad(r, "dst", "missing");
    if ((rc = get_int(r, o, "sport", "", 0, 65535, &v)) < 0)
        return rc;
    if (rc)
        t->sport = (uint16_t)v;
    if ((rc = get_int(r, o, "dport", "", 0, 65535, &v)) < 0)
        return rc;
    if (rc)
        t->dport = (uint16_t)v;
    if ((rc = get_int(r, o, "firsthop", "", 0, 255, &v)) < 0)
        return rc;
    if (rc)
        t->first_ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "hoplimit", "", 0, 255, &v)) < 0)
        return rc;
    if (rc)
        t->max_ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "attempts", "", 0, 255, &v)) < 0)
        return rc;
    if (rc)
        t->attempts = (uint8_t)v;
    if ((rc = get_int(r, o, "gaplimit", "", 0, 255, &v)) < 0)
        return rc;
    if (rc)
        t->gap_limit = (uint8_t)v;
    if ((rc = get_int(r, o, "wait", "", 0, 3600, &v)) < 0)
        return rc;
    if (rc)
        t->wait_ms = (uint32_t)v * 1000u;
    if ((rc = get_int(r, o, "probe_count", "", 0, UINT32_MAX, &v)) < 0)
        return rc;
    if (rc)
        t->probes_sent = (uint32_t)v;
    json_int_t hop_count = 0;
    if ((rc = get_int(r, o, "hop_count", "", 0, 255, &hop_count)) < 0)
        return rc;
    if ((rc = get_time(r, o, "start", "", &t->start_ns)) < 0)
        return rc;
    json_t *sr = json_object_get(o, "stop_reason");
    json_int_t sd = 0;
    if (get_int(r, o, "stop_data", "", 0, 255, &sd) < 0)
        return -EINVAL;
    if (sr != NULL) {
        if (!json_is_string(sr))
            return bad(r, "stop_reason", "not a string");
        t->stop_reason = stop_of(json_string_value(sr), sd, t->dst.family == 6);
    }
    t->stop_ttl = (uint8_t)hop_count;

    json_t *hops = json_object_get(o, "hops");
    if (hops != NULL && !json_is_array(hops))
        return bad(r, "hops", "not an array");
    size_t i;
    json_t *h;
    int64_t end = t->start_ns;
    json_array_foreach(hops, i, h)
    {
        char where[48];
        snprintf(where, sizeof(where), "hops[%zu].", i);
        if (!json_is_object(h))
            return bad(r, where, "not an object");
        struct kp_hop hop;
        if (parse_hop(r, h, t, where, &hop) < 0)
            return -EINVAL;
        if (hop.rx_ns > end)
            end = hop.rx_ns;
        if (kp_trace_add_hop(t, &hop) != 0)
            return -ENOMEM;
    }
    t->end_ns = end;
    kp_trace_sort(t);
    return 0;
}

int kp_scamper_parse(const char *buf, size_t len, const struct kp_input_sink *sink)
{
    if (sink == NULL || sink->trace == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    size_t pos = 0, s = 0, e = 0;
    unsigned long line = 1;
    int any_bad = 0;
    char vp[KP_VP_LEN] = "";
    for (;;) {
        unsigned long vline = line;
        int rc = kp_json_next_value(buf, len, &pos, &line, 0, &s, &e, &vline);
        if (rc == 0)
            break;
        struct rec r = {sink, vline};
        if (rc < 0) {
            bad(&r, "", "expected a JSON object");
            any_bad = 1;
            if (pos >= len)
                break;
            continue;
        }
        json_error_t je;
        json_t *o = json_loadb(buf + s, e - s, 0, &je);
        if (o == NULL) {
            struct rec r2 = {sink, vline + (je.line > 0 ? (unsigned long)je.line - 1 : 0)};
            bad(&r2, "", je.text);
            any_bad = 1;
            continue;
        }
        json_t *type = json_object_get(o, "type");
        if (!json_is_object(o) || !json_is_string(type)) {
            bad(&r, "type", "missing: not a scamper object");
            any_bad = 1;
            json_decref(o);
            continue;
        }
        const char *ty = json_string_value(type);
        if (strcmp(ty, "cycle-start") == 0) {
            json_t *hn = json_object_get(o, "hostname");
            if (json_is_string(hn))
                snprintf(vp, sizeof(vp), "%s", json_string_value(hn));
        }
        if (strcmp(ty, "trace") != 0) {
            json_decref(o);
            continue;
        }
        struct kp_trace t;
        kp_trace_init(&t);
        rc = convert(&r, o, vp, &t);
        json_decref(o);
        if (rc == -ENOMEM) {
            kp_trace_free(&t);
            return rc;
        }
        if (rc < 0) {
            any_bad = 1;
        } else {
            rc = sink->trace(sink->ctx, &t, vline);
            if (rc < 0) {
                kp_trace_free(&t);
                return rc;
            }
        }
        kp_trace_free(&t);
    }
    return any_bad ? -EINVAL : 0;
}
