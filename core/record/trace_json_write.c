/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_json_write.c — the direct writer of a trace line:
 * kp_trace_json_dump and its jb_* helpers, which write the bytes jansson
 * writes for kp_trace_json_object (trace_json.c) without building jansson
 * values. See trace_json.h and docs/format.md (the two must change
 * together). */
#include "core/record/trace_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
