/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_json.c — kp_trace <-> one JSON object. See trace_json.h and
 * docs/format.md (the two must change together). */
#include "core/record/trace_json.h"

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

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
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
    rc = rc ? rc : set(o, "vp", str_or_null(t->vp));
    rc = rc ? rc : set(o, "tool", str_or_null(t->tool));
    rc = rc ? rc : set(o, "method", json_string(kp_method_name(t->method)));
    rc = rc ? rc : set(o, "src", addr_json(&t->src));
    rc = rc ? rc : set(o, "dst", addr_json(&t->dst));
    rc = rc ? rc : set(o, "dst_name", str_or_null(t->dst_name));
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
    rc = rc ? rc : set(o, "ts_source", str_or_null(t->ts_source));
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

/* ---- the writer of kp_trace_json_dump ---------------------------------------
 *
 * kp_trace_json_dump writes the text directly instead of building jansson
 * values (a replay of a long mtr capture writes a million hops): the same
 * bytes jansson's json_dumps(kp_trace_json_object(t), JSON_COMPACT |
 * JSON_REAL_PRECISION(15)) writes — keys in that order, no spaces, strings
 * escaped as jansson escapes them (", \, control characters; UTF-8 kept),
 * reals as "%.15g" with ".0" added to integral values and the exponent
 * without "+" or leading zeros. tests/unit/test_trace_json.c checks the two
 * byte for byte on many records; a field added to one must be added to the
 * other. */

struct jbuf {
    char *p;
    size_t len, cap;
    int err; /* first error: -ENOMEM, or -EINVAL for a value JSON cannot hold */
};

static bool jb_room(struct jbuf *b, size_t n)
{
    if (b->err)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->err = -ENOMEM;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->err = -ENOMEM;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
    if (!jb_room(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define JB_LIT(b, s) jb_put((b), (s), sizeof(s) - 1)

static void jb_i64(struct jbuf *b, long long v)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp), *s = e;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--s = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--s = '-';
    jb_put(b, s, (size_t)(e - s));
}

static void jb_null(struct jbuf *b)
{
    JB_LIT(b, "null");
}

static void jb_int_or_null(struct jbuf *b, long long v, long long unknown)
{
    if (v == unknown)
        jb_null(b);
    else
        jb_i64(b, v);
}

static void jb_bool(struct jbuf *b, bool v)
{
    if (v)
        JB_LIT(b, "true");
    else
        JB_LIT(b, "false");
}

/* Length of the valid UTF-8 sequence at s (as jansson's utf8_check_first
 * and utf8_check_full accept it), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char u = s[0];
    size_t n;
    uint32_t v;
    if (u < 0x80)
        return 1;
    if (u >= 0xC2 && u <= 0xDF) {
        n = 2;
        v = u & 0x1Fu;
    } else if (u >= 0xE0 && u <= 0xEF) {
        n = 3;
        v = u & 0xFu;
    } else if (u >= 0xF0 && u <= 0xF4) {
        n = 4;
        v = u & 0x7u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0; /* also the terminating NUL */
        v = (v << 6) + (s[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
        return 0;
    return n;
}

static void jb_str(struct jbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    JB_LIT(b, "\"");
    size_t run = 0; /* bytes from s that need no escape */
    for (;;) {
        unsigned char c = s[run];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            run++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(s + run);
            if (n == 0) {
                if (!b->err)
                    b->err = -EINVAL;
                return;
            }
            run += n;
            continue;
        }
        jb_put(b, (const char *)s, run);
        s += run;
        run = 0;
        if (c == '\0')
            break;
        char seq[8];
        switch (c) {
        case '"':
            JB_LIT(b, "\\\"");
            break;
        case '\\':
            JB_LIT(b, "\\\\");
            break;
        case '\b':
            JB_LIT(b, "\\b");
            break;
        case '\f':
            JB_LIT(b, "\\f");
            break;
        case '\n':
            JB_LIT(b, "\\n");
            break;
        case '\r':
            JB_LIT(b, "\\r");
            break;
        case '\t':
            JB_LIT(b, "\\t");
            break;
        default:
            snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)c);
            jb_put(b, seq, 6);
            break;
        }
        s++;
    }
    JB_LIT(b, "\"");
}

static void jb_str_or_null(struct jbuf *b, const char *s)
{
    if (s[0])
        jb_str(b, s);
    else
        jb_null(b);
}

static void jb_addr(struct jbuf *b, const struct kp_addr *a)
{
    if (!kp_addr_is_set(a)) {
        jb_null(b);
        return;
    }
    if (a->family != 4) {
        char buf[KP_ADDR_STRLEN];
        jb_str(b, kp_addr_str(a, buf, sizeof(buf)));
        return;
    }
    char buf[18], *p = buf;
    *p++ = '"';
    for (int i = 0; i < 4; i++) {
        unsigned v = a->b[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '"';
    }
    jb_put(b, buf, (size_t)(p - buf));
}

/* A real as jansson 2.14 writes it with JSON_REAL_PRECISION(15). */
static void jb_real(struct jbuf *b, double v)
{
    char buf[64];
    int len = isfinite(v) ? snprintf(buf, sizeof(buf), "%.15g", v) : -1;
    if (len < 0 || (size_t)len >= sizeof(buf) - 3) {
        if (!b->err)
            b->err = -EINVAL;
        return;
    }
    if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
        buf[len++] = '.';
        buf[len++] = '0';
        buf[len] = '\0';
    }
    char *e = strchr(buf, 'e');
    if (e != NULL) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(buf + len + 1 - end));
            len -= (int)(end - start);
        }
    }
    jb_put(b, buf, (size_t)len);
}

/* rtt_ms rounded to 1 µs: n / 1000 for a whole n. Below 10^15 that has at
 * most 15 significant digits, which "%.15g" gives back exactly, so it is
 * written from n; other values go through jb_real. */
static void jb_rtt(struct jbuf *b, double rtt_ms)
{
    double n = round(rtt_ms * 1000.0);
    if (!(n >= 0 && n < 1e15) || signbit(n)) {
        jb_real(b, n / 1000.0);
        return;
    }
    long long w = (long long)n;
    char buf[32], *e = buf + sizeof(buf), *p = e;
    int frac = (int)(w % 1000);
    if (frac == 0) {
        *--p = '0';
    } else {
        int digits = 3;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        while (digits-- > 0) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
    }
    *--p = '.';
    w /= 1000;
    do {
        *--p = (char)('0' + w % 10);
        w /= 10;
    } while (w);
    jb_put(b, p, (size_t)(e - p));
}

static void jb_time_or_null(struct jbuf *b, int64_t ns)
{
    if (ns == 0) {
        jb_null(b);
        return;
    }
    char buf[40];
    jb_str(b, kp_rfc3339_ns(ns, buf, sizeof(buf)));
}

static void jb_hop(struct jbuf *b, const struct kp_hop *h)
{
    JB_LIT(b, "{\"ttl\":");
    jb_i64(b, h->ttl);
    JB_LIT(b, ",\"attempt\":");
    jb_i64(b, h->attempt);
    JB_LIT(b, ",\"addr\":");
    jb_addr(b, &h->addr);
    JB_LIT(b, ",\"rtt_ms\":");
    if (h->rtt_ms < 0)
        jb_null(b);
    else
        jb_rtt(b, h->rtt_ms);
    JB_LIT(b, ",\"reply_ttl\":");
    jb_int_or_null(b, h->reply_ttl, -1);
    JB_LIT(b, ",\"quoted_ttl\":");
    jb_int_or_null(b, h->quoted_ttl, -1);
    JB_LIT(b, ",\"icmp_type\":");
    jb_int_or_null(b, h->icmp_type, -1);
    JB_LIT(b, ",\"icmp_code\":");
    jb_int_or_null(b, h->icmp_code, -1);
    JB_LIT(b, ",\"tcp_flags\":");
    jb_i64(b, h->tcp_flags);
    JB_LIT(b, ",\"reply_size\":");
    jb_int_or_null(b, h->reply_size, 0);
    JB_LIT(b, ",\"probe_size\":");
    jb_int_or_null(b, h->probe_size, 0);
    JB_LIT(b, ",\"nat_id\":");
    if (h->flags & KP_HOP_NAT)
        jb_i64(b, h->nat_id);
    else
        jb_null(b);
    JB_LIT(b, ",\"from_dst\":");
    jb_bool(b, h->flags & KP_HOP_FROM_DST);
    JB_LIT(b, ",\"late\":");
    jb_bool(b, h->flags & KP_HOP_LATE);
    JB_LIT(b, ",\"dup\":");
    jb_bool(b, h->flags & KP_HOP_DUP);
    JB_LIT(b, ",\"tx_ns\":");
    jb_int_or_null(b, h->tx_ns, 0);
    JB_LIT(b, ",\"rx_ns\":");
    jb_int_or_null(b, h->rx_ns, 0);
    JB_LIT(b, ",\"mpls\":[");
    for (unsigned i = 0; i < h->n_mpls && i < KP_MAX_MPLS; i++) {
        if (i > 0)
            JB_LIT(b, ",");
        JB_LIT(b, "{\"label\":");
        jb_i64(b, h->mpls[i].label);
        JB_LIT(b, ",\"tc\":");
        jb_i64(b, h->mpls[i].tc);
        JB_LIT(b, ",\"s\":");
        jb_i64(b, h->mpls[i].s);
        JB_LIT(b, ",\"ttl\":");
        jb_i64(b, h->mpls[i].ttl);
        JB_LIT(b, "}");
    }
    JB_LIT(b, "]}");
}

int kp_trace_json_dump(const struct kp_trace *t, char **out, size_t *len)
{
    *out = NULL;
    if (!kp_addr_is_set(&t->dst))
        return -EINVAL;
    struct jbuf jb = {0}, *b = &jb;
    JB_LIT(b, "{\"v\":");
    jb_i64(b, KP_TRACE_JSON_VERSION);
    JB_LIT(b, ",\"type\":\"trace\",\"id\":");
    jb_i64(b, (long long)t->id);
    JB_LIT(b, ",\"vp\":");
    jb_str_or_null(b, t->vp);
    JB_LIT(b, ",\"tool\":");
    jb_str_or_null(b, t->tool);
    JB_LIT(b, ",\"method\":");
    jb_str(b, kp_method_name(t->method));
    JB_LIT(b, ",\"src\":");
    jb_addr(b, &t->src);
    JB_LIT(b, ",\"dst\":");
    jb_addr(b, &t->dst);
    JB_LIT(b, ",\"dst_name\":");
    jb_str_or_null(b, t->dst_name);
    JB_LIT(b, ",\"sport\":");
    jb_i64(b, t->sport);
    JB_LIT(b, ",\"dport\":");
    jb_i64(b, t->dport);
    JB_LIT(b, ",\"icmp_id\":");
    jb_i64(b, t->icmp_id);
    JB_LIT(b, ",\"first_ttl\":");
    jb_i64(b, t->first_ttl);
    JB_LIT(b, ",\"max_ttl\":");
    jb_i64(b, t->max_ttl);
    JB_LIT(b, ",\"attempts\":");
    jb_i64(b, t->attempts);
    JB_LIT(b, ",\"gap_limit\":");
    jb_i64(b, t->gap_limit);
    JB_LIT(b, ",\"wait_ms\":");
    jb_i64(b, t->wait_ms);
    JB_LIT(b, ",\"probes_sent\":");
    jb_i64(b, t->probes_sent);
    if (t->send_failed > 0) { /* only when a send failed, as the jansson form */
        JB_LIT(b, ",\"send_failed\":");
        jb_i64(b, t->send_failed);
    }
    JB_LIT(b, ",\"start\":");
    jb_time_or_null(b, t->start_ns);
    JB_LIT(b, ",\"end\":");
    jb_time_or_null(b, t->end_ns);
    JB_LIT(b, ",\"stop_reason\":");
    jb_str(b, kp_stop_name(t->stop_reason));
    JB_LIT(b, ",\"stop_ttl\":");
    jb_int_or_null(b, t->stop_ttl, 0);
    JB_LIT(b, ",\"ts_source\":");
    jb_str_or_null(b, t->ts_source);
    JB_LIT(b, ",\"msm_id\":");
    jb_int_or_null(b, t->meta_msm_id, 0);
    JB_LIT(b, ",\"prb_id\":");
    jb_int_or_null(b, t->meta_prb_id, 0);
    JB_LIT(b, ",\"hop_count\":");
    jb_i64(b, (long long)t->n_hops);
    JB_LIT(b, ",\"hops\":[");
    for (size_t i = 0; i < t->n_hops && !b->err; i++) {
        if (i > 0)
            JB_LIT(b, ",");
        jb_hop(b, &t->hops[i]);
    }
    JB_LIT(b, "]}");
    if (b->err) {
        free(b->p);
        return b->err;
    }
    b->p[b->len] = '\0';
    *out = b->p;
    if (len)
        *len = b->len;
    return 0;
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
