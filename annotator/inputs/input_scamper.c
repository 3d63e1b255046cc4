/* SPDX-License-Identifier: BSD-2-Clause */
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
#include "annotator/inputs/input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "annotator/inputs/input_json.h"
#include "core/base/json_num.h"

/* {sec, usec} -> ns; 0 absent, 1 present, -EINVAL. */
static int get_time(const struct kp_jrec *r, json_t *o, const char *key, const char *where,
                    int64_t *ns)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    char w[160];
    snprintf(w, sizeof(w), "%s%s.", where, key);
    if (!json_is_object(v))
        return kp_jbad(r, w, "not an object {sec, usec}");
    json_int_t sec = 0, usec = 0;
    if (kp_jget_int(r, v, "sec", w, 0, INT64_MAX / 1000000000 - 1, false, &sec) < 0 ||
        kp_jget_int(r, v, "usec", w, 0, 999999, false, &usec) < 0)
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
        {"tcp-ack", KP_METHOD_TCP_ACK},
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
    return KP_STOP_NONE; /* NONE, GSS, INPROGRESS, anything newer */
}

static const char *const mpls_keys[4] = {"mpls_label", "mpls_exp", "mpls_s", "mpls_ttl"};

static int parse_ext(const struct kp_jrec *r, json_t *ext, const char *where, struct kp_hop *h)
{
    char f[160];
    snprintf(f, sizeof(f), "%sicmpext", where);
    if (!json_is_array(ext))
        return kp_jbad(r, f, "not an array");
    size_t i;
    json_t *ie;
    json_array_foreach(ext, i, ie)
    {
        if (!json_is_object(ie))
            return kp_jbad(r, f, "element is not an object");
        json_t *labels = json_object_get(ie, "mpls_labels");
        if (labels == NULL)
            labels = json_object_get(ie, "mpls_ext");
        if (labels == NULL)
            continue;
        if (!json_is_array(labels))
            return kp_jbad(r, f, "mpls_labels is not an array");
        size_t k;
        json_t *l;
        json_array_foreach(labels, k, l)
        {
            char w[160];
            snprintf(w, sizeof(w), "%sicmpext[%zu].mpls_labels[%zu].", where, i, k);
            if (kp_jget_mpls(r, l, w, mpls_keys, false, h) < 0)
                return -EINVAL;
        }
    }
    return 0;
}

static int parse_hop(const struct kp_jrec *r, json_t *o, const struct kp_trace *t,
                     const char *where, struct kp_hop *h)
{
    kp_hop_init(h);
    json_int_t v;
    int rc = kp_jget_addr(r, o, "addr", where, &h->addr);
    char f[160];
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(f, sizeof(f), "%saddr", where);
        return kp_jbad(r, f, "missing");
    }
    rc = kp_jget_int(r, o, "probe_ttl", where, 1, 255, false, &v);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(f, sizeof(f), "%sprobe_ttl", where);
        return kp_jbad(r, f, "missing");
    }
    h->ttl = (uint8_t)v;
    if ((rc = kp_jget_int(r, o, "probe_id", where, 0, 256, false, &v)) < 0)
        return rc;
    if (rc && v > 0)
        h->attempt = (uint8_t)(v - 1 > 255 ? 255 : v - 1);
    if ((rc = kp_jget_int(r, o, "probe_size", where, 0, 65535, false, &v)) < 0)
        return rc;
    if (rc)
        h->probe_size = (uint16_t)v;
    if ((rc = kp_jget_int(r, o, "reply_ttl", where, 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        h->reply_ttl = (int16_t)v;
    if ((rc = kp_jget_int(r, o, "reply_size", where, 0, 65535, false, &v)) < 0)
        return rc;
    if (rc)
        h->reply_size = (uint16_t)v;
    if ((rc = kp_jget_int(r, o, "icmp_type", where, 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        h->icmp_type = (int16_t)v;
    if ((rc = kp_jget_int(r, o, "icmp_code", where, 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        h->icmp_code = (int16_t)v;
    if ((rc = kp_jget_int(r, o, "icmp_q_ttl", where, 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        h->quoted_ttl = (int16_t)v;
    if ((rc = kp_jget_int(r, o, "tcp_flags", where, 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        h->tcp_flags = (uint8_t)v;
    if ((rc = kp_jget_real(r, o, "rtt", where, 0, KP_RTT_MS_MAX, &h->rtt_ms)) < 0)
        return rc;
    int64_t tx = 0;
    if ((rc = get_time(r, o, "tx", where, &tx)) < 0)
        return rc;
    if (rc) {
        h->tx_ns = tx;
        int64_t rtt_ns;
        if (h->rtt_ms >= 0 && (kp_num_ms_to_ns(h->rtt_ms, &rtt_ns) != 0 ||
                               kp_num_add_i64(tx, rtt_ns, &h->rx_ns) != 0)) {
            snprintf(f, sizeof(f), "%srtt", where);
            return kp_jbad(r, f, "out of range (tx + rtt past the year 2262)");
        }
    }
    if (kp_addr_is_set(&t->dst) && kp_addr_eq(&h->addr, &t->dst))
        h->flags |= KP_HOP_FROM_DST;
    json_t *ext = json_object_get(o, "icmpext");
    if (ext != NULL && parse_ext(r, ext, where, h) < 0)
        return -EINVAL;
    return 0;
}

static int convert(const struct kp_jrec *r, json_t *o, const char *vp, struct kp_trace *t)
{
    json_int_t v;
    int rc;
    snprintf(t->tool, sizeof(t->tool), "scamper");
    snprintf(t->ts_source, sizeof(t->ts_source), "import");
    snprintf(t->vp, sizeof(t->vp), "%s", vp);
    json_t *m = json_object_get(o, "method");
    if (m == NULL)
        return kp_jbad(r, "method", "missing");
    if (!json_is_string(m))
        return kp_jbad(r, "method", "not a string");
    t->method = method_of(json_string_value(m));
    if (t->method == KP_METHOD_UNKNOWN)
        return kp_jbad(r, "method", "not a scamper trace method");
    if (kp_jget_addr(r, o, "src", "", &t->src) < 0)
        return -EINVAL;
    rc = kp_jget_addr(r, o, "dst", "", &t->dst);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kp_jbad(r, "dst", "missing");
    if ((rc = kp_jget_int(r, o, "sport", "", 0, 65535, false, &v)) < 0)
        return rc;
    if (rc)
        t->sport = (uint16_t)v;
    if ((rc = kp_jget_int(r, o, "dport", "", 0, 65535, false, &v)) < 0)
        return rc;
    if (rc)
        t->dport = (uint16_t)v;
    if ((rc = kp_jget_int(r, o, "firsthop", "", 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        t->first_ttl = (uint8_t)v;
    if ((rc = kp_jget_int(r, o, "hoplimit", "", 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        t->max_ttl = (uint8_t)v;
    if ((rc = kp_jget_int(r, o, "attempts", "", 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        t->attempts = (uint8_t)v;
    if ((rc = kp_jget_int(r, o, "gaplimit", "", 0, 255, false, &v)) < 0)
        return rc;
    if (rc)
        t->gap_limit = (uint8_t)v;
    if ((rc = kp_jget_int(r, o, "wait", "", 0, 3600, false, &v)) < 0)
        return rc;
    if (rc)
        t->wait_ms = (uint32_t)v * 1000u;
    if ((rc = kp_jget_int(r, o, "probe_count", "", 0, UINT32_MAX, false, &v)) < 0)
        return rc;
    if (rc)
        t->probes_sent = (uint32_t)v;
    json_int_t hop_count = 0;
    if ((rc = kp_jget_int(r, o, "hop_count", "", 0, 255, false, &hop_count)) < 0)
        return rc;
    if ((rc = get_time(r, o, "start", "", &t->start_ns)) < 0)
        return rc;
    json_t *sr = json_object_get(o, "stop_reason");
    json_int_t sd = 0;
    if (kp_jget_int(r, o, "stop_data", "", 0, 65535, false, &sd) < 0)
        return -EINVAL;
    if (sr != NULL) {
        if (!json_is_string(sr))
            return kp_jbad(r, "stop_reason", "not a string");
        t->stop_reason = stop_of(json_string_value(sr), sd, t->dst.family == 6);
    }
    t->stop_ttl = (uint8_t)hop_count;

    json_t *hops = json_object_get(o, "hops");
    if (hops != NULL && !json_is_array(hops))
        return kp_jbad(r, "hops", "not an array");
    size_t i;
    json_t *h;
    int64_t end = t->start_ns;
    json_array_foreach(hops, i, h)
    {
        char where[48];
        snprintf(where, sizeof(where), "hops[%zu].", i);
        if (!json_is_object(h))
            return kp_jbad(r, where, "not an object");
        struct kp_hop hop;
        if (parse_hop(r, h, t, where, &hop) < 0)
            return -EINVAL;
        if (hop.rx_ns > end)
            end = hop.rx_ns;
        /* scamper lists every reply: a second one to the same probe (same
         * probe_ttl and probe_id) is a duplicate */
        for (size_t k = 0; k < t->n_hops; k++)
            if (t->hops[k].ttl == hop.ttl && t->hops[k].attempt == hop.attempt)
                hop.flags |= KP_HOP_DUP;
        if (kp_trace_add_hop(t, &hop) != 0)
            return -ENOMEM;
    }
    t->end_ns = end;
    kp_trace_sort(t);
    return 0;
}

/* A scamper JSON object: "cycle-start" names the vantage point (its
 * hostname) for the traces after it; "trace" is converted; the other
 * bookkeeping objects are read silently; measurements of other kinds (ping,
 * tracelb, dealias, ...) are skipped and counted. */
static int convert_cb(void *ctx, const struct kp_jrec *r, json_t *o, struct kp_trace *t)
{
    char *vp = ctx;
    json_t *type = json_object_get(o, "type");
    if (!json_is_object(o) || !json_is_string(type))
        return kp_jbad(r, "type", "missing: not a scamper object");
    const char *ty = json_string_value(type);
    if (strcmp(ty, "cycle-start") == 0) {
        json_t *hn = json_object_get(o, "hostname");
        if (json_is_string(hn))
            snprintf(vp, KP_VP_LEN, "%s", json_string_value(hn));
        return 0;
    }
    if (strcmp(ty, "cycle-stop") == 0 || strcmp(ty, "cycle-def") == 0 || strcmp(ty, "list") == 0)
        return 0;
    if (strcmp(ty, "trace") != 0) {
        char what[96];
        snprintf(what, sizeof(what), "scamper %.40s (not a traceroute)", ty);
        kp_jskip(r, what);
        return 0;
    }
    /* newer scamper names the monitor in each trace */
    json_t *mon = json_object_get(o, "monitor");
    int rc = convert(r, o, json_is_string(mon) ? json_string_value(mon) : vp, t);
    return rc < 0 ? rc : 1;
}

int kp_scamper_read(const char *buf, size_t len, const struct kp_input_sink *sink,
                    struct kp_input_skips *skips)
{
    char vp[KP_VP_LEN] = "";
    return kp_json_records_parse(buf, len, sink, skips, false, NULL, convert_cb, NULL, vp);
}

int kp_scamper_read_stream(struct kp_reader *r, struct kp_par *par,
                           const struct kp_input_sink *sink, struct kp_input_skips *skips,
                           struct kp_input_tally *tally)
{
    /* a cycle-start names the vantage point of the traces after it: the
     * conversion runs in order (workers only parse) */
    char vp[KP_VP_LEN] = "";
    return kp_json_records_read(r, par, sink, skips, tally, false, NULL, convert_cb, NULL, vp,
                                false);
}

int kp_scamper_parse(const char *buf, size_t len, const struct kp_input_sink *sink)
{
    return kp_scamper_read(buf, len, sink, NULL);
}
