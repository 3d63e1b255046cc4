/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_json.c — kp_trace <-> one JSON object: RFC 3339 times, the jansson
 * form of a record (kp_trace_json_object) and the strict reader. The direct
 * writer of a line (kp_trace_json_dump) is in trace_json_write.c, the fast
 * reader in trace_json_scan.c. See trace_json.h and docs/format.md (the two
 * must change together). */
#include "core/record/trace_json.h"
#include "core/base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/json_num.h"

/* ---- RFC 3339 ----------------------------------------------------------- */

/* Howard Hinnant's days_from_civil / civil_from_days (public-domain
 * algorithms, proleptic Gregorian calendar). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *kp_rfc3339_ns(int64_t ns, char *buf, size_t buflen)
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs -= 1;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, buflen, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%09dZ", y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
    return buf;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int kp_rfc3339_parse(const char *s, int64_t *ns)
{
    int Y, M, D, h, mi, se;
    if (s == NULL || strlen(s) < 20)
        return -EINVAL;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -EINVAL;
    /* int64 nanoseconds since 1970 span 1677-09-21 .. 2262-04-11: keep to
     * whole years inside that, so the arithmetic below cannot overflow. */
    if (Y < 1678 || Y > 2261)
        return -ERANGE;
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || (unsigned)D > mdays[M - 1] || h > 23 || mi > 59 || se > 60)
        return -EINVAL;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int n = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (n < 9)
                frac = frac * 10 + (*p - '0');
            n++;
            p++;
        }
        if (n == 0)
            return -EINVAL;
        for (; n < 9; n++)
            frac *= 10;
    }
    if (!((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') && strcmp(p, "+00:00") != 0)
        return -EINVAL;
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    *ns = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000000) + frac;
    return 0;
}

/* ---- writer ------------------------------------------------------------- */

static int set(json_t *o, const char *k, json_t *v)
{
    if (v == NULL)
        return -ENOMEM;
    return json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static json_t *int_or_null(long long v, long long unknown)
{
    return v == unknown ? json_null() : json_integer(v);
}

static json_t *time_or_null(int64_t ns)
{
    char buf[40];
    return ns == 0 ? json_null() : json_string(kp_rfc3339_ns(ns, buf, sizeof(buf)));
}

static json_t *addr_json(const struct kp_addr *a)
{
    char buf[KP_ADDR_STRLEN];
    if (!kp_addr_is_set(a))
        return json_null();
    return json_string(kp_addr_str(a, buf, sizeof(buf)));
}

static json_t *hop_json(const struct kp_hop *h)
{
    json_t *o = json_object();
    int rc = o ? 0 : -ENOMEM;
    double rtt = h->rtt_ms < 0 ? -1 : round(h->rtt_ms * 1000.0) / 1000.0;
    rc = rc ? rc : set(o, "ttl", json_integer(h->ttl));
    rc = rc ? rc : set(o, "attempt", json_integer(h->attempt));
    rc = rc ? rc : set(o, "addr", addr_json(&h->addr));
    rc = rc ? rc : set(o, "rtt_ms", h->rtt_ms < 0 ? json_null() : json_real(rtt));
    rc = rc ? rc : set(o, "reply_ttl", int_or_null(h->reply_ttl, -1));
    rc = rc ? rc : set(o, "quoted_ttl", int_or_null(h->quoted_ttl, -1));
    rc = rc ? rc : set(o, "icmp_type", int_or_null(h->icmp_type, -1));
    rc = rc ? rc : set(o, "icmp_code", int_or_null(h->icmp_code, -1));
    rc = rc ? rc : set(o, "tcp_flags", json_integer(h->tcp_flags));
    rc = rc ? rc : set(o, "reply_size", int_or_null(h->reply_size, 0));
    rc = rc ? rc : set(o, "probe_size", int_or_null(h->probe_size, 0));
    rc =
        rc ? rc : set(o, "nat_id", (h->flags & KP_HOP_NAT) ? json_integer(h->nat_id) : json_null());
    rc = rc ? rc : set(o, "from_dst", json_boolean(h->flags & KP_HOP_FROM_DST));
    rc = rc ? rc : set(o, "late", json_boolean(h->flags & KP_HOP_LATE));
    rc = rc ? rc : set(o, "dup", json_boolean(h->flags & KP_HOP_DUP));
    rc = rc ? rc : set(o, "tx_ns", int_or_null(h->tx_ns, 0));
    rc = rc ? rc : set(o, "rx_ns", int_or_null(h->rx_ns, 0));
    json_t *mp = rc ? NULL : json_array();
    rc = rc ? rc : set(o, "mpls", mp);
    for (unsigned i = 0; rc == 0 && i < h->n_mpls && i < KP_MAX_MPLS; i++) {
        json_t *e = json_object();
        if (e == NULL || json_array_append_new(mp, e) != 0) {
            rc = -ENOMEM;
            break;
        }
        rc = rc ? rc : set(e, "label", json_integer(h->mpls[i].label));
        rc = rc ? rc : set(e, "tc", json_integer(h->mpls[i].tc));
        rc = rc ? rc : set(e, "s", json_integer(h->mpls[i].s));
        rc = rc ? rc : set(e, "ttl", json_integer(h->mpls[i].ttl));
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *kp_trace_json_object(const struct kp_trace *t, int *rcp)
{
    *rcp = 0;
    if (!kp_addr_is_set(&t->dst)) {
        *rcp = -EINVAL;
        return NULL;
    }
    json_t *o = json_object();
    int rc = o ? 0 : -ENOMEM;
    rc = rc ? rc : set(o, "v", json_integer(KP_TRACE_JSON_VERSION));
    rc = rc ? rc : set(o, "type", json_string("trace"));
    rc = rc ? rc : set(o, "id", json_integer((json_int_t)t->id));
    rc = rc ? rc : set(o, "vp", kp_json_str_or_null(t->vp));
    rc = rc ? rc : set(o, "tool", kp_json_str_or_null(t->tool));
    rc = rc ? rc : set(o, "method", json_string(kp_method_name(t->method)));
    rc = rc ? rc : set(o, "src", addr_json(&t->src));
    rc = rc ? rc : set(o, "dst", addr_json(&t->dst));
    rc = rc ? rc : set(o, "dst_name", kp_json_str_or_null(t->dst_name));
    rc = rc ? rc : set(o, "sport", json_integer(t->sport));
    rc = rc ? rc : set(o, "dport", json_integer(t->dport));
    rc = rc ? rc : set(o, "icmp_id", json_integer(t->icmp_id));
    rc = rc ? rc : set(o, "first_ttl", json_integer(t->first_ttl));
    rc = rc ? rc : set(o, "max_ttl", json_integer(t->max_ttl));
    rc = rc ? rc : set(o, "attempts", json_integer(t->attempts));
    rc = rc ? rc : set(o, "gap_limit", json_integer(t->gap_limit));
    rc = rc ? rc : set(o, "wait_ms", json_integer(t->wait_ms));
    rc = rc ? rc : set(o, "probes_sent", json_integer(t->probes_sent));
    if (t->send_failed > 0) /* only when a send failed: other records are unchanged */
        rc = rc ? rc : set(o, "send_failed", json_integer(t->send_failed));
    rc = rc ? rc : set(o, "start", time_or_null(t->start_ns));
    rc = rc ? rc : set(o, "end", time_or_null(t->end_ns));
    rc = rc ? rc : set(o, "stop_reason", json_string(kp_stop_name(t->stop_reason)));
    rc = rc ? rc : set(o, "stop_ttl", int_or_null(t->stop_ttl, 0));
    rc = rc ? rc : set(o, "ts_source", kp_json_str_or_null(t->ts_source));
    rc = rc ? rc : set(o, "msm_id", int_or_null(t->meta_msm_id, 0));
    rc = rc ? rc : set(o, "prb_id", int_or_null(t->meta_prb_id, 0));
    rc = rc ? rc : set(o, "hop_count", json_integer((json_int_t)t->n_hops));
    json_t *hops = rc ? NULL : json_array();
    rc = rc ? rc : set(o, "hops", hops);
    for (size_t i = 0; rc == 0 && i < t->n_hops; i++) {
        json_t *h = hop_json(&t->hops[i]);
        if (h == NULL || json_array_append_new(hops, h) != 0)
            rc = -ENOMEM;
    }
    if (rc != 0) {
        json_decref(o);
        *rcp = rc;
        return NULL;
    }
    return o;
}

/* ---- strict reader ------------------------------------------------------ */

struct rd {
    struct kp_json_error *err;
    char path[64]; /* prefix, e.g. "hops[3]." */
};

__attribute__((format(printf, 3, 4))) static int fail(struct rd *r, const char *key,
                                                      const char *fmt, ...)
{
    if (r->err) {
        snprintf(r->err->field, sizeof(r->err->field), "%s%s", r->path, key);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
        va_end(ap);
        r->err->column = 0;
    }
    return -EINVAL;
}

/* Reject keys not in the NULL-terminated list allowed. */
static int check_keys(struct rd *r, json_t *o, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        (void)v;
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0) {
                ok = 1;
                break;
            }
        if (!ok)
            return fail(r, k, "unknown field");
    }
    return 0;
}

/* Integer in [lo, hi]. Missing: error if required, else *v = dflt. null: *v =
 * nullv if nullable, else error. */
#define REQ      1
#define OPT      0
#define NULLABLE 1
#define NOTNULL  0
static int get_int(struct rd *r, json_t *o, const char *k, int required, int nullable, long long lo,
                   long long hi, long long dflt, long long nullv, long long *v)
{
    json_t *j = json_object_get(o, k);
    if (j == NULL) {
        if (required)
            return fail(r, k, "missing");
        *v = dflt;
        return 0;
    }
    if (json_is_null(j)) {
        if (!nullable)
            return fail(r, k, "must not be null");
        *v = nullv;
        return 0;
    }
    int64_t x;
    int rc = kp_json_i64(j, lo, hi, 0, &x);
    if (rc == -ERANGE)
        return fail(r, k, "%lld out of range [%lld, %lld]", (long long)json_integer_value(j), lo,
                    hi);
    if (rc != 0)
        return fail(r, k, nullable ? "expected an integer or null" : "expected an integer");
    *v = x;
    return 0;
}

/* String into buf (size n). Missing or null (when allowed) gives "". */
static int get_str(struct rd *r, json_t *o, const char *k, int required, int nullable, char *buf,
                   size_t n)
{
    json_t *j = json_object_get(o, k);
    buf[0] = '\0';
    if (j == NULL)
        return required ? fail(r, k, "missing") : 0;
    if (json_is_null(j))
        return nullable ? 0 : fail(r, k, "must not be null");
    if (!json_is_string(j))
        return fail(r, k, nullable ? "expected a string or null" : "expected a string");
    size_t l = json_string_length(j);
    if (l >= n)
        return fail(r, k, "longer than %zu bytes", n - 1);
    if (memchr(json_string_value(j), '\0', l))
        return fail(r, k, "contains a NUL byte");
    memcpy(buf, json_string_value(j), l + 1);
    return 0;
}

static int get_addr(struct rd *r, json_t *o, const char *k, int required, int nullable,
                    struct kp_addr *a)
{
    char buf[KP_ADDR_STRLEN + 1];
    int rc = get_str(r, o, k, required, nullable, buf, sizeof(buf));
    memset(a, 0, sizeof(*a));
    if (rc)
        return rc;
    if (buf[0] == '\0') {
        json_t *j = json_object_get(o, k);
        if (j && json_is_string(j))
            return fail(r, k, "empty address");
        return 0;
    }
    if (kp_addr_parse(buf, a) != 0)
        return fail(r, k, "\"%s\" is not an IPv4 or IPv6 address", buf);
    return 0;
}

static int get_time(struct rd *r, json_t *o, const char *k, int required, int64_t *ns)
{
    char buf[48];
    int rc = get_str(r, o, k, required, NULLABLE, buf, sizeof(buf));
    *ns = 0;
    if (rc || buf[0] == '\0')
        return rc;
    if (kp_rfc3339_parse(buf, ns) != 0)
        return fail(r, k, "\"%s\" is not an RFC 3339 UTC time", buf);
    return 0;
}

static int get_bool(struct rd *r, json_t *o, const char *k, int *v)
{
    json_t *j = json_object_get(o, k);
    *v = 0;
    if (j == NULL)
        return 0;
    if (!json_is_boolean(j))
        return fail(r, k, "expected true or false");
    *v = json_is_true(j);
    return 0;
}

static const char *const hop_keys[] = {
    "ttl",       "attempt",   "addr",       "rtt_ms",     "reply_ttl", "quoted_ttl", "icmp_type",
    "icmp_code", "tcp_flags", "reply_size", "probe_size", "nat_id",    "from_dst",   "late",
    "dup",       "tx_ns",     "rx_ns",      "mpls",       NULL};
static const char *const mpls_keys[] = {"label", "tc", "s", "ttl", NULL};

static int read_mpls(struct rd *r, json_t *o, struct kp_mpls *m)
{
    long long v;
    int rc;
    if (!json_is_object(o))
        return fail(r, "", "expected an object");
    if ((rc = check_keys(r, o, mpls_keys)))
        return rc;
    if ((rc = get_int(r, o, "label", REQ, NOTNULL, 0, 0xFFFFF, 0, 0, &v)))
        return rc;
    m->label = (uint32_t)v;
    if ((rc = get_int(r, o, "tc", OPT, NOTNULL, 0, 7, 0, 0, &v)))
        return rc;
    m->tc = (uint8_t)v;
    if ((rc = get_int(r, o, "s", OPT, NOTNULL, 0, 1, 0, 0, &v)))
        return rc;
    m->s = (uint8_t)v;
    if ((rc = get_int(r, o, "ttl", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    m->ttl = (uint8_t)v;
    return 0;
}

static int read_hop(struct rd *r, json_t *o, struct kp_hop *h)
{
    long long v;
    int rc, b;
    kp_hop_init(h);
    if (!json_is_object(o))
        return fail(r, "", "expected an object");
    if ((rc = check_keys(r, o, hop_keys)))
        return rc;
    if ((rc = get_int(r, o, "ttl", REQ, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    h->ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "attempt", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    h->attempt = (uint8_t)v;
    if ((rc = get_addr(r, o, "addr", REQ, NOTNULL, &h->addr)))
        return rc;
    json_t *j = json_object_get(o, "rtt_ms");
    rc = kp_json_double(j, 0, KP_RTT_MS_MAX, &h->rtt_ms);
    if (rc == -ERANGE)
        return fail(r, "rtt_ms", "%g out of range [0, %g]", json_number_value(j), KP_RTT_MS_MAX);
    if (rc != 0 && rc != -ENOENT)
        return fail(r, "rtt_ms", "expected a number or null");
    if ((rc = get_int(r, o, "reply_ttl", OPT, NULLABLE, 0, 255, -1, -1, &v)))
        return rc;
    h->reply_ttl = (int16_t)v;
    if ((rc = get_int(r, o, "quoted_ttl", OPT, NULLABLE, 0, 255, -1, -1, &v)))
        return rc;
    h->quoted_ttl = (int16_t)v;
    if ((rc = get_int(r, o, "icmp_type", OPT, NULLABLE, 0, 255, -1, -1, &v)))
        return rc;
    h->icmp_type = (int16_t)v;
    if ((rc = get_int(r, o, "icmp_code", OPT, NULLABLE, 0, 255, -1, -1, &v)))
        return rc;
    h->icmp_code = (int16_t)v;
    if ((rc = get_int(r, o, "tcp_flags", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    h->tcp_flags = (uint8_t)v;
    if ((rc = get_int(r, o, "reply_size", OPT, NULLABLE, 1, 65535, 0, 0, &v)))
        return rc;
    h->reply_size = (uint16_t)v;
    if ((rc = get_int(r, o, "probe_size", OPT, NULLABLE, 1, 65535, 0, 0, &v)))
        return rc;
    h->probe_size = (uint16_t)v;
    if ((rc = get_int(r, o, "nat_id", OPT, NULLABLE, 0, 65535, -1, -1, &v)))
        return rc;
    if (v >= 0) {
        h->flags |= KP_HOP_NAT;
        h->nat_id = (uint16_t)v;
    }
    if ((rc = get_bool(r, o, "from_dst", &b)))
        return rc;
    h->flags |= b ? KP_HOP_FROM_DST : 0;
    if ((rc = get_bool(r, o, "late", &b)))
        return rc;
    h->flags |= b ? KP_HOP_LATE : 0;
    if ((rc = get_bool(r, o, "dup", &b)))
        return rc;
    h->flags |= b ? KP_HOP_DUP : 0;
    if ((rc = get_int(r, o, "tx_ns", OPT, NULLABLE, 1, INT64_MAX, 0, 0, &v)))
        return rc;
    h->tx_ns = v;
    if ((rc = get_int(r, o, "rx_ns", OPT, NULLABLE, 1, INT64_MAX, 0, 0, &v)))
        return rc;
    h->rx_ns = v;
    j = json_object_get(o, "mpls");
    if (j) {
        if (!json_is_array(j))
            return fail(r, "mpls", "expected an array");
        if (json_array_size(j) > KP_MAX_MPLS)
            return fail(r, "mpls", "more than %d labels", KP_MAX_MPLS);
        char saved[64];
        memcpy(saved, r->path, sizeof(saved));
        for (size_t i = 0; i < json_array_size(j); i++) {
            snprintf(r->path, sizeof(r->path), "%smpls[%zu].", saved, i);
            if ((rc = read_mpls(r, json_array_get(j, i), &h->mpls[i])))
                return rc;
        }
        memcpy(r->path, saved, sizeof(saved));
        h->n_mpls = (uint8_t)json_array_size(j);
    }
    return 0;
}

static const char *const trace_keys[] = {
    "v",         "type",      "id",          "vp",          "tool",      "method",
    "src",       "dst",       "dst_name",    "sport",       "dport",     "icmp_id",
    "first_ttl", "max_ttl",   "attempts",    "gap_limit",   "wait_ms",   "probes_sent",
    "start",     "end",       "stop_reason", "stop_ttl",    "ts_source", "msm_id",
    "prb_id",    "hop_count", "hops",        "send_failed", NULL};

/* reason: one check per field of the trace record (docs/format.md), in the format's order: a
 * table in code, split it and the order is lost */
static int read_trace(struct rd *r, json_t *o, struct kp_trace *t)
{
    long long v;
    int rc;
    char buf[KP_NAME_LEN];
    if (!json_is_object(o))
        return fail(r, "", "expected a JSON object");
    if ((rc = check_keys(r, o, trace_keys)))
        return rc;
    if ((rc = get_int(r, o, "v", REQ, NOTNULL, 1, KP_TRACE_JSON_VERSION, 0, 0, &v)))
        return rc;
    if ((rc = get_str(r, o, "type", OPT, NOTNULL, buf, sizeof(buf))))
        return rc;
    if (json_object_get(o, "type") && strcmp(buf, "trace") != 0)
        return fail(r, "type", "\"%s\" is not \"trace\"", buf);
    if ((rc = get_int(r, o, "id", OPT, NOTNULL, 0, INT64_MAX, 0, 0, &v)))
        return rc;
    t->id = (uint64_t)v;
    if ((rc = get_str(r, o, "vp", OPT, NULLABLE, t->vp, sizeof(t->vp))))
        return rc;
    if ((rc = get_str(r, o, "tool", OPT, NULLABLE, t->tool, sizeof(t->tool))))
        return rc;
    if ((rc = get_str(r, o, "method", REQ, NOTNULL, buf, sizeof(buf))))
        return rc;
    t->method = kp_method_from_name(buf);
    if (t->method == KP_METHOD_UNKNOWN && strcmp(buf, "unknown") != 0)
        return fail(r, "method", "unknown method \"%s\"", buf);
    if ((rc = get_addr(r, o, "src", OPT, NULLABLE, &t->src)))
        return rc;
    if ((rc = get_addr(r, o, "dst", REQ, NOTNULL, &t->dst)))
        return rc;
    if ((rc = get_str(r, o, "dst_name", OPT, NULLABLE, t->dst_name, sizeof(t->dst_name))))
        return rc;
    if ((rc = get_int(r, o, "sport", OPT, NOTNULL, 0, 65535, 0, 0, &v)))
        return rc;
    t->sport = (uint16_t)v;
    if ((rc = get_int(r, o, "dport", OPT, NOTNULL, 0, 65535, 0, 0, &v)))
        return rc;
    t->dport = (uint16_t)v;
    if ((rc = get_int(r, o, "icmp_id", OPT, NOTNULL, 0, 65535, 0, 0, &v)))
        return rc;
    t->icmp_id = (uint16_t)v;
    if ((rc = get_int(r, o, "first_ttl", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    t->first_ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "max_ttl", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    t->max_ttl = (uint8_t)v;
    if ((rc = get_int(r, o, "attempts", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    t->attempts = (uint8_t)v;
    if ((rc = get_int(r, o, "gap_limit", OPT, NOTNULL, 0, 255, 0, 0, &v)))
        return rc;
    t->gap_limit = (uint8_t)v;
    if ((rc = get_int(r, o, "wait_ms", OPT, NOTNULL, 0, UINT32_MAX, 0, 0, &v)))
        return rc;
    t->wait_ms = (uint32_t)v;
    if ((rc = get_int(r, o, "probes_sent", OPT, NOTNULL, 0, UINT32_MAX, 0, 0, &v)))
        return rc;
    t->probes_sent = (uint32_t)v;
    if ((rc = get_int(r, o, "send_failed", OPT, NOTNULL, 0, UINT32_MAX, 0, 0, &v)))
        return rc;
    t->send_failed = (uint32_t)v;
    if ((rc = get_time(r, o, "start", REQ, &t->start_ns)))
        return rc;
    if ((rc = get_time(r, o, "end", OPT, &t->end_ns)))
        return rc;
    if ((rc = get_str(r, o, "stop_reason", REQ, NOTNULL, buf, sizeof(buf))))
        return rc;
    t->stop_reason = kp_stop_from_name(buf);
    if (t->stop_reason == KP_STOP_NONE && strcmp(buf, "none") != 0)
        return fail(r, "stop_reason", "unknown stop reason \"%s\"", buf);
    if ((rc = get_int(r, o, "stop_ttl", OPT, NULLABLE, 1, 255, 0, 0, &v)))
        return rc;
    t->stop_ttl = (uint8_t)v;
    if ((rc = get_str(r, o, "ts_source", OPT, NULLABLE, t->ts_source, sizeof(t->ts_source))))
        return rc;
    if ((rc = get_int(r, o, "msm_id", OPT, NULLABLE, 1, UINT32_MAX, 0, 0, &v)))
        return rc;
    t->meta_msm_id = (uint32_t)v;
    if ((rc = get_int(r, o, "prb_id", OPT, NULLABLE, 1, UINT32_MAX, 0, 0, &v)))
        return rc;
    t->meta_prb_id = (uint32_t)v;

    json_t *hops = json_object_get(o, "hops");
    if (hops == NULL)
        return fail(r, "hops", "missing");
    if (!json_is_array(hops))
        return fail(r, "hops", "expected an array");
    long long hc;
    if ((rc = get_int(r, o, "hop_count", OPT, NOTNULL, 0, INT32_MAX, -1, 0, &hc)))
        return rc;
    if (hc >= 0 && (size_t)hc != json_array_size(hops))
        return fail(r, "hop_count", "%lld but hops has %zu entries", hc, json_array_size(hops));
    for (size_t i = 0; i < json_array_size(hops); i++) {
        struct kp_hop h;
        snprintf(r->path, sizeof(r->path), "hops[%zu].", i);
        if ((rc = read_hop(r, json_array_get(hops, i), &h)))
            return rc;
        if ((rc = kp_trace_add_hop(t, &h)))
            return rc;
    }
    r->path[0] = '\0';
    return 0;
}

int kp_trace_json_parse_dom(const char *text, size_t len, struct kp_trace *out,
                            struct kp_json_error *err)
{
    struct rd r = {.err = err, .path = ""};
    json_error_t je;
    kp_trace_init(out);
    if (err)
        memset(err, 0, sizeof(*err));
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        if (err) {
            snprintf(err->msg, sizeof(err->msg), "not valid JSON: %.120s", je.text);
            err->column = je.column;
        }
        return -EINVAL;
    }
    int rc = read_trace(&r, o, out);
    json_decref(o);
    if (rc) {
        kp_trace_free(out);
        if (rc == -ENOMEM && err)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
    }
    return rc;
}

int kp_trace_json_parse(const char *text, size_t len, struct kp_trace *out,
                        struct kp_json_error *err)
{
    if (kp_trace_json_scan(text, len, out) == 0) {
        if (err)
            memset(err, 0, sizeof(*err));
        return 0;
    }
    return kp_trace_json_parse_dom(text, len, out, err);
}
