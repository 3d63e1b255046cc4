/* SPDX-License-Identifier: BSD-2-Clause */
/* input_atlas.c — RIPE Atlas traceroute results to kp_trace. Pure; see input.h.
 *
 * Format: https://atlas.ripe.net/docs/apis/result-format/ (traceroute). Top
 * level: af, dst_addr, dst_name, src_addr, from, proto, paris_id, size,
 * timestamp, endtime, msm_id, prb_id, result[]; each result[] element has
 * hop and either error or result[] of packets {from, rtt, size, ttl, err,
 * ittl, edst, late, dup, mtu, icmpext} or {"x":"*"} or {"error":...}.
 * Firmware 4400-4459 named some keys differently (addr, name, srcaddr, pf,
 * mode "UDP4", paris-id); firmware 1 wrote the traceroute as text. Older
 * firmware ends a trace that went silent with one more hop, 255.
 */
#include "annotator/inputs/input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "annotator/inputs/input_atlas_scan.h"
#include "annotator/inputs/input_json.h"
#include "core/base/json_num.h"

/* Atlas "err": a letter or an ICMP code, into p's codes for af 4 / 6. */
static int err_to_icmp(const struct kp_jrec *r, json_t *e, const char *where,
                       struct kp_atlas_pkt *p)
{
    char field[160];
    snprintf(field, sizeof(field), "%serr", where);
    p->has_err = true;
    if (json_is_string(e)) {
        if (kp_atlas_err_letter(json_string_value(e), json_string_length(e), &p->err4, &p->err6) !=
            0)
            return kp_jbad(r, field, "unknown error letter");
    } else if (json_is_number(e)) {
        int64_t x;
        int rc = kp_json_i64(e, 0, 255, KP_NUM_REAL, &x);
        if (rc != 0)
            return kp_jbad(r, field, rc == -ERANGE ? "ICMP code out of range" : "not an ICMP code");
        p->err4 = p->err6 = (int)x;
    } else {
        return kp_jbad(r, field, "neither a letter nor an ICMP code");
    }
    return 0;
}

static const char *const mpls_keys[4] = {"label", "exp", "s", "ttl"};

static int parse_mpls(const struct kp_jrec *r, json_t *ext, const char *where, struct kp_hop *h)
{
    char field[160];
    snprintf(field, sizeof(field), "%sicmpext", where);
    if (!json_is_object(ext))
        return kp_jbad(r, field, "not an object");
    json_t *objs = json_object_get(ext, "obj");
    if (objs == NULL)
        return 0;
    if (!json_is_array(objs))
        return kp_jbad(r, field, "obj is not an array");
    size_t i;
    json_t *ob;
    json_array_foreach(objs, i, ob)
    {
        if (!json_is_object(ob))
            return kp_jbad(r, field, "obj element is not an object");
        json_t *labels = json_object_get(ob, "mpls");
        if (labels == NULL)
            continue;
        if (!json_is_array(labels))
            return kp_jbad(r, field, "mpls is not an array");
        size_t k;
        json_t *l;
        json_array_foreach(labels, k, l)
        {
            char w[160];
            snprintf(w, sizeof(w), "%sicmpext.obj[%zu].mpls[%zu].", where, i, k);
            if (kp_jget_mpls(r, l, w, mpls_keys, true, h) < 0)
                return -EINVAL;
        }
    }
    return 0;
}

/* An optional address: as kp_jget_addr, but "" counts as absent (probes
 * that could not bind write "from":"" and the like). */
static int get_addr_opt(const struct kp_jrec *r, json_t *o, const char *key, struct kp_addr *out)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_value(v)[0] == '\0')
        return 0;
    return kp_jget_addr(r, o, key, "", out);
}

/* The key of o that is present: cur (the current name) or old (firmware
 * 4400's). */
static const char *key_of(json_t *o, const char *cur, const char *old)
{
    return json_object_get(o, cur) == NULL && json_object_get(o, old) != NULL ? old : cur;
}

/* A flag that Atlas writes as true or as a count (dup, late): > 0 or true. */
static bool flag_set(json_t *v)
{
    if (json_is_true(v))
        return true;
    if (json_is_integer(v))
        return json_integer_value(v) > 0;
    if (json_is_real(v))
        return json_real_value(v) > 0;
    return false;
}

/* The first "error" string of the result[] elements (a measurement that
 * failed on the probe: {"error":"name resolution failed: ..."}), or NULL. */
static const char *result_error(json_t *res)
{
    size_t i;
    json_t *e;
    if (!json_is_array(res))
        return NULL;
    json_array_foreach(res, i, e)
    {
        json_t *m = json_object_get(e, "error");
        if (json_is_string(m))
            return json_string_value(m);
        json_t *pk = json_object_get(e, "result");
        size_t k;
        json_t *p;
        if (json_is_array(pk))
            json_array_foreach(pk, k, p)
            {
                m = json_object_get(p, "error");
                if (json_is_string(m))
                    return json_string_value(m);
            }
    }
    return NULL;
}

static int parse_packet(const struct kp_jrec *r, json_t *p, int af, const struct kp_trace *t,
                        json_int_t hop, uint8_t attempt, const char *where, struct kp_hop *h)
{
    kp_hop_init(h);
    h->ttl = (uint8_t)hop;
    h->attempt = attempt;
    int rc = kp_jget_addr(r, p, "from", where, &h->addr);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        char field[160];
        snprintf(field, sizeof(field), "%sfrom", where);
        return kp_jbad(r, field, "missing (a packet is either {\"x\":\"*\"} or has from)");
    }
    if ((rc = kp_jget_real(r, p, "rtt", where, 0, KP_RTT_MS_MAX, &h->rtt_ms)) < 0)
        return rc;
    json_int_t v;
    if ((rc = kp_jget_int(r, p, "ttl", where, 0, 255, true, &v)) < 0)
        return rc;
    if (rc)
        h->reply_ttl = (int16_t)v;
    if ((rc = kp_jget_int(r, p, "size", where, 0, 65535, true, &v)) < 0)
        return rc;
    if (rc)
        h->reply_size = (uint16_t)v;
    /* late: how many probes later the reply came (no rtt then); dup: a
     * second reply to one probe. Both have been seen as true and as counts. */
    if (flag_set(json_object_get(p, "late")))
        h->flags |= KP_HOP_LATE;
    if (flag_set(json_object_get(p, "dup")))
        h->flags |= KP_HOP_DUP;
    json_int_t ittl = 1; /* TTL of the quoted probe; Atlas omits it when 1 */
    if ((rc = kp_jget_int(r, p, "ittl", where, 0, 255, true, &ittl)) < 0)
        return rc;
    json_int_t mtu = 0; /* an ICMP packet-too-big's next-hop MTU */
    if ((rc = kp_jget_int(r, p, "mtu", where, 0, 65535, true, &mtu)) < 0)
        return rc;
    struct kp_atlas_pkt pk = {.ittl = ittl, .mtu = mtu};
    json_t *e = json_object_get(p, "err");
    if (e != NULL && err_to_icmp(r, e, where, &pk) < 0)
        return -EINVAL;
    json_t *fl = json_object_get(p, "flags");
    if (json_is_string(fl)) {
        pk.flags = json_string_value(fl);
        pk.n_flags = json_string_length(fl);
    }
    kp_atlas_pkt_finish(h, af, t, &pk);
    json_t *ext = json_object_get(p, "icmpext");
    if (ext != NULL && parse_mpls(r, ext, where, h) < 0)
        return -EINVAL;
    return 0;
}

/* More packets than this in one hop's result[] are not reserved for ahead
 * (a corrupt record must not make one large allocation). */
#define KP_ATLAS_MAX_PACKETS 1024

/* buf = prefix "result[" idx "]." as snprintf("%sresult[%zu].") writes
 * it (cut to cap), without snprintf's cost: this runs for every packet. */
static void path_index(char *buf, size_t cap, const char *prefix, size_t idx)
{
    char digits[24];
    size_t nd = 0, pl = strlen(prefix);
    for (size_t v = idx; nd == 0 || v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    if (pl + 7 + nd + 2 >= cap) {
        snprintf(buf, cap, "%sresult[%zu].", prefix, idx); /* cut as snprintf cuts */
        return;
    }
    char *p = buf;
    memcpy(p, prefix, pl);
    p += pl;
    memcpy(p, "result[", 7);
    p += 7;
    while (nd)
        *p++ = digits[--nd];
    *p++ = ']';
    *p++ = '.';
    *p = '\0';
}

/* Firmware 4400's "mode": "UDP4", "ICMP6", ... -> proto and af. */
static void parse_mode(json_t *mode, char *proto, size_t plen, json_int_t *af)
{
    if (!json_is_string(mode))
        return;
    const char *m = json_string_value(mode);
    size_t n = strlen(m);
    if (n >= 2 && (m[n - 1] == '4' || m[n - 1] == '6')) {
        if (*af == 0)
            *af = m[n - 1] - '0';
        n--;
    }
    if (proto[0] == '\0' && n < plen) {
        memcpy(proto, m, n);
        proto[n] = '\0';
    }
}

/* The destination, address family, protocol (proto or firmware 4400's
 * mode), source address and name of a result. Returns 1, 0 when skipped (a
 * measurement that failed on the probe; counted), -EINVAL (reported) or
 * -ENOMEM. *proto is "" when neither key is present; *has_proto says
 * whether "proto" was. */
static int convert_dst(const struct kp_jrec *r, json_t *o, json_t *res, struct kp_trace *t,
                       json_int_t *af_out, char *proto, size_t plen, bool *has_proto)
{
    int rc;
    char what[200];
    const char *dst_key = key_of(o, "dst_addr", "addr");
    rc = get_addr_opt(r, o, dst_key, &t->dst);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        json_t *top = json_object_get(o, "error");
        const char *err = json_is_string(top) ? json_string_value(top) : result_error(res);
        if (err != NULL) {
            snprintf(what, sizeof(what), "atlas: measurement failed on the probe: %.150s", err);
            kp_jskip(r, what);
            return 0;
        }
        return kp_jbad(r, "dst_addr", "missing (the probe could not resolve dst_name?)");
    }
    json_int_t af = 0;
    const char *af_key = key_of(o, "af", "pf");
    if ((rc = kp_jget_int(r, o, af_key, "", 0, 255, true, &af)) < 0)
        return rc;
    json_t *pj = json_object_get(o, "proto");
    *has_proto = pj != NULL;
    if (pj != NULL) {
        if (!json_is_string(pj))
            return kp_jbad(r, "proto", "not a string");
        snprintf(proto, plen, "%s", json_string_value(pj));
    }
    parse_mode(json_object_get(o, "mode"), proto, plen, &af);
    if (af == 0)
        af = t->dst.family;
    if (af != 4 && af != 6)
        return kp_jbad(r, af_key, "must be 4 or 6");
    if (af != t->dst.family)
        return kp_jbad(r, af_key, "does not match the family of the destination address");
    if (get_addr_opt(r, o, key_of(o, "src_addr", "srcaddr"), &t->src) < 0)
        return -EINVAL;
    json_t *name = json_object_get(o, key_of(o, "dst_name", "name"));
    if (json_is_string(name))
        snprintf(t->dst_name, sizeof(t->dst_name), "%s", json_string_value(name));
    *af_out = af;
    return 1;
}

/* The probe and measurement ids, the method (from proto and paris_id), the
 * times and the probe size of a result. Returns 0 or -EINVAL (reported). */
static int convert_meta(const struct kp_jrec *r, json_t *o, const char *proto, bool has_proto,
                        struct kp_trace *t, uint16_t *probe_size)
{
    json_int_t v;
    int rc;
    if ((rc = kp_jget_int(r, o, "prb_id", "", 0, UINT32_MAX, true, &v)) < 0)
        return rc;
    if (rc)
        t->meta_prb_id = (uint32_t)v;
    if ((rc = kp_jget_int(r, o, "msm_id", "", 0, UINT32_MAX, true, &v)) < 0)
        return rc;
    if (rc)
        t->meta_msm_id = (uint32_t)v;
    if (t->meta_prb_id != 0)
        snprintf(t->vp, sizeof(t->vp), "atlas-%u", t->meta_prb_id);
    snprintf(t->tool, sizeof(t->tool), "atlas");
    snprintf(t->ts_source, sizeof(t->ts_source), "import");
    json_int_t paris = 0;
    if (kp_jget_int(r, o, key_of(o, "paris_id", "paris-id"), "", 0, 65535, true, &paris) < 0)
        return -EINVAL;
    if (proto[0] != '\0') {
        t->method = kp_atlas_method(proto, strlen(proto), paris);
        if (t->method == KP_METHOD_UNKNOWN)
            return kp_jbad(r, has_proto ? "proto" : "mode", "not ICMP, UDP or TCP");
    }
    if ((rc = kp_jget_int(r, o, "timestamp", "", 0, INT64_MAX / 1000000000, true, &v)) < 0)
        return rc;
    if (rc)
        t->start_ns = v * 1000000000;
    if ((rc = kp_jget_int(r, o, "endtime", "", 0, INT64_MAX / 1000000000, true, &v)) < 0)
        return rc;
    if (rc)
        t->end_ns = v * 1000000000;
    if ((rc = kp_jget_int(r, o, "size", "", 0, 65535, true, &v)) < 0)
        return rc;
    *probe_size = rc ? (uint16_t)v : 0;
    return 0;
}

/* The packets of hop n ("result" array pk at path where). Returns the
 * attempts made at this hop, or -EINVAL (reported) or -ENOMEM. */
static int convert_packets(const struct kp_jrec *r, json_t *pk, const char *where, json_int_t n,
                           struct kp_trace *t, struct kp_atlas_walk *w)
{
    size_t k;
    json_t *p;
    uint8_t attempt = 0;
    json_array_foreach(pk, k, p)
    {
        char w2[80];
        path_index(w2, sizeof(w2), where, k);
        if (!json_is_object(p))
            return kp_jbad(r, w2, "not an object");
        if (json_object_get(p, "x") != NULL) {
            if (attempt < 255)
                attempt++;
            continue; /* a timeout: silent, no hop */
        }
        /* Atlas also reports transmit errors per packet: skip them. */
        if (json_object_get(p, "error") != NULL) {
            w->any_error = true;
            if (attempt < 255)
                attempt++;
            continue;
        }
        struct kp_hop h;
        if (parse_packet(r, p, w->af, t, n, attempt, w2, &h) < 0)
            return -EINVAL;
        if (kp_atlas_walk_packet(w, t, &h, (int)n, json_object_get(p, "err") != NULL, &attempt) !=
            0)
            return -ENOMEM;
    }
    return attempt;
}

/* Hop object i of the result array. Returns 0, -EINVAL (reported) or
 * -ENOMEM. */
static int convert_hop(const struct kp_jrec *r, json_t *hop, size_t i, struct kp_trace *t,
                       struct kp_atlas_walk *w)
{
    char where[48];
    path_index(where, sizeof(where), "", i);
    if (!json_is_object(hop))
        return kp_jbad(r, where, "not an object");
    json_int_t n = 0;
    int rc = kp_jget_int(r, hop, "hop", where, 1, 255, true, &n);
    if (rc < 0)
        return rc;
    if (rc == 0 && json_object_get(hop, "error") != NULL) {
        w->any_error = true; /* the measurement as a whole failed here */
        return 0;
    }
    if (rc == 0) {
        char f[160];
        snprintf(f, sizeof(f), "%shop", where);
        return kp_jbad(r, f, "missing");
    }
    kp_atlas_walk_hop(w, (int)n);
    if (json_object_get(hop, "error") != NULL) {
        w->any_error = true; /* the probe could not send at this hop */
        return 0;
    }
    json_t *pk = json_object_get(hop, "result");
    if (pk == NULL)
        return 0;
    if (!json_is_array(pk)) {
        char f[160];
        snprintf(f, sizeof(f), "%sresult", where);
        return kp_jbad(r, f, "not an array");
    }
    int attempt = convert_packets(r, pk, where, n, t, w);
    if (attempt < 0)
        return attempt;
    kp_atlas_walk_attempts(w, (uint8_t)attempt);
    return 0;
}

/* Convert one result object: 1 made, 0 skipped (counted), -EINVAL
 * (reported), -ENOMEM. */
static int convert(const struct kp_jrec *r, json_t *o, struct kp_trace *t)
{
    if (!json_is_object(o))
        return kp_jbad(r, "", "a result must be a JSON object");
    int rc;
    char what[200];
    json_t *type = json_object_get(o, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "traceroute") != 0) {
        snprintf(what, sizeof(what), "atlas %.60s result (not a traceroute)",
                 json_string_value(type));
        kp_jskip(r, what);
        return 0;
    }
    json_t *res = json_object_get(o, "result");
    if (json_is_string(res)) {
        kp_jskip(r, "atlas firmware-1 text result (not read)");
        return 0;
    }
    struct kp_atlas_walk w;
    json_int_t af = 0;
    char proto[16] = "";
    bool has_proto = false;
    rc = convert_dst(r, o, res, t, &af, proto, sizeof(proto), &has_proto);
    if (rc <= 0)
        return rc;
    uint16_t probe_size = 0;
    if ((rc = convert_meta(r, o, proto, has_proto, t, &probe_size)) < 0)
        return rc;
    kp_atlas_walk_init(&w, (int)af, probe_size);

    if (res == NULL)
        return kp_jbad(r, "result", "missing");
    if (!json_is_array(res))
        return kp_jbad(r, "result", "not an array");
    size_t i;
    json_t *hop;
    size_t packets = 0; /* an upper bound of the hops: one allocation */
    json_array_foreach(res, i, hop)
    {
        json_t *pk = json_object_get(hop, "result");
        if (json_is_array(pk) && json_array_size(pk) <= KP_ATLAS_MAX_PACKETS)
            packets += json_array_size(pk);
    }
    if (packets > 0 && kp_trace_reserve(t, packets) != 0)
        return -ENOMEM;
    json_array_foreach(res, i, hop)
    {
        if ((rc = convert_hop(r, hop, i, t, &w)) < 0)
            return rc;
    }
    kp_atlas_walk_stop(t, &w);
    kp_trace_sort(t);
    return 1;
}

static int convert_cb(void *ctx, const struct kp_jrec *r, json_t *o, struct kp_trace *t)
{
    (void)ctx;
    return convert(r, o, t);
}

int kp_atlas_read(const char *buf, size_t len, const struct kp_input_sink *sink,
                  struct kp_input_skips *skips)
{
    return kp_json_records_parse(buf, len, sink, skips, true, "a traceroute result", convert_cb,
                                 kp_atlas_scan, NULL);
}

int kp_atlas_read_dom(const char *buf, size_t len, const struct kp_input_sink *sink,
                      struct kp_input_skips *skips)
{
    return kp_json_records_parse(buf, len, sink, skips, true, "a traceroute result", convert_cb,
                                 NULL, NULL);
}

int kp_atlas_read_stream(struct kp_reader *r, struct kp_par *par, const struct kp_input_sink *sink,
                         struct kp_input_skips *skips, struct kp_input_tally *tally)
{
    /* the converter keeps nothing between results: workers may run it */
    return kp_json_records_read(r, par, sink, skips, tally, true, "a traceroute result", convert_cb,
                                kp_atlas_scan, NULL, true);
}

int kp_atlas_parse(const char *buf, size_t len, const struct kp_input_sink *sink)
{
    return kp_atlas_read(buf, len, sink, NULL);
}
