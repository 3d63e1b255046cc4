/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_json_scan.c — the fast reader of trace lines: one pass over the
 * bytes, straight into the kp_trace, no JSON values built.
 *
 * It reads the common form of a line — what kp_trace_json_dump writes, in
 * any key order and with any JSON white space — and declines everything
 * else: strings with escapes or bytes >= 0x80, reals with an exponent or
 * more than 15 significant digits, any value or key the strict reader would
 * refuse. A declined line goes to the strict reader (kp_trace_json_parse_dom),
 * which reads it or names the field that is wrong, so messages are the
 * strict reader's by construction. What the scanner accepts it must read
 * exactly as the strict reader does: tests/unit/test_trace_json_scan.c and
 * fuzz/fuzz_trace_json.c compare the two records field by field.
 *
 * The lexer is core/base/json_scan.c (shared with the RIPE Atlas scanner);
 * numbers go through core/base/json_num.h (kp_num_parse_i64, kp_num_double_in);
 * a real is m / 10^k with m < 2^53 and k <= 22, which is exact and therefore
 * the double strtod (and so jansson) gives.
 *
 * Pure: no I/O, no globals.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/base/json_num.h"
#include "core/base/json_scan.h"
#include "core/record/trace_json.h"

#define DECLINE KP_JSCAN_DECLINE
#define END     KP_JSCAN_END

/* ---- field values, with the strict reader's rules ----------------------- */

/* An integer in [lo, hi]; null gives nullv when nullable. */
static int f_int(const struct kp_jval *v, bool nullable, long long lo, long long hi,
                 long long nullv, long long *out)
{
    if (v->kind == KP_JV_NULL) {
        if (!nullable)
            return DECLINE;
        *out = nullv;
        return 0;
    }
    if (v->kind != KP_JV_INT)
        return DECLINE;
    int64_t x;
    if (kp_num_parse_i64(v->s, v->n, lo, hi, &x) != 0)
        return DECLINE;
    *out = x;
    return 0;
}

/* A string into buf (size n); null gives "" when nullable. */
static int f_str(const struct kp_jval *v, bool nullable, char *buf, size_t n)
{
    buf[0] = '\0';
    if (v->kind == KP_JV_NULL)
        return nullable ? 0 : DECLINE;
    if (v->kind != KP_JV_STR || v->n >= n)
        return DECLINE;
    memcpy(buf, v->s, v->n);
    buf[v->n] = '\0';
    return 0;
}

static int f_addr(const struct kp_jval *v, bool nullable, struct kp_addr *a)
{
    char buf[KP_ADDR_STRLEN + 1];
    memset(a, 0, sizeof(*a));
    if (v->kind == KP_JV_NULL)
        return nullable ? 0 : DECLINE;
    if (v->kind != KP_JV_STR || v->n == 0 || f_str(v, false, buf, sizeof(buf)) != 0)
        return DECLINE;
    return kp_addr_parse(buf, a) == 0 ? 0 : DECLINE;
}

static int f_time(const struct kp_jval *v, int64_t *ns)
{
    char buf[48];
    *ns = 0;
    if (v->kind == KP_JV_NULL)
        return 0;
    if (f_str(v, false, buf, sizeof(buf)) != 0)
        return DECLINE;
    if (buf[0] == '\0')
        return 0; /* the strict reader treats "" as null here */
    return kp_rfc3339_parse(buf, ns) == 0 ? 0 : DECLINE;
}

static int f_bool(const struct kp_jval *v, bool *b)
{
    *b = false;
    if (v->kind != KP_JV_TRUE && v->kind != KP_JV_FALSE)
        return DECLINE;
    *b = v->kind == KP_JV_TRUE;
    return 0;
}

/* ---- records ------------------------------------------------------------ */

static const char *const mpls_keys[] = {"label", "tc", "s", "ttl", NULL};

static int read_mpls(struct kp_jscan *c, struct kp_mpls *m)
{
    struct kp_jval v;
    long long x = 0;
    struct kp_jobj o = {true, 0, 0};
    int i;
    if (!kp_jscan_eat(c, '{'))
        return DECLINE;
    m->label = 0;
    m->tc = m->s = m->ttl = 0;
    while ((i = kp_jscan_field(c, &o, mpls_keys, 4, false, &v)) >= 0) {
        static const long long hi[] = {0xFFFFF, 7, 1, 255};
        if (f_int(&v, false, 0, hi[i], 0, &x))
            return DECLINE;
        switch (i) {
        case 0:
            m->label = (uint32_t)x;
            break;
        case 1:
            m->tc = (uint8_t)x;
            break;
        case 2:
            m->s = (uint8_t)x;
            break;
        default:
            m->ttl = (uint8_t)x;
            break;
        }
    }
    if (i != END)
        return i;
    return (o.seen & 1u) ? 0 : DECLINE; /* label is required */
}

enum {
    H_TTL,
    H_ATTEMPT,
    H_ADDR,
    H_RTT,
    H_REPLY_TTL,
    H_QUOTED_TTL,
    H_ICMP_TYPE,
    H_ICMP_CODE,
    H_TCP_FLAGS,
    H_REPLY_SIZE,
    H_PROBE_SIZE,
    H_NAT_ID,
    H_FROM_DST,
    H_LATE,
    H_DUP,
    H_TX_NS,
    H_RX_NS,
    H_MPLS
};
static const char *const hop_keys[] = {
    "ttl",       "attempt",   "addr",       "rtt_ms",     "reply_ttl", "quoted_ttl", "icmp_type",
    "icmp_code", "tcp_flags", "reply_size", "probe_size", "nat_id",    "from_dst",   "late",
    "dup",       "tx_ns",     "rx_ns",      "mpls",       NULL};

static int read_mpls_array(struct kp_jscan *c, struct kp_hop *h)
{
    kp_jscan_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    for (;;) {
        if (h->n_mpls >= KP_MAX_MPLS)
            return DECLINE;
        int rc = read_mpls(c, &h->mpls[h->n_mpls]);
        if (rc)
            return rc;
        h->n_mpls++;
        if (kp_jscan_eat(c, ','))
            continue;
        return kp_jscan_eat(c, ']') ? 0 : DECLINE;
    }
}

/* reason: one case per field of a hop (docs/format.md), in the format's order: a table in
 * code */
static int read_hop(struct kp_jscan *c, struct kp_hop *h)
{
    struct kp_jval v;
    long long x = 0;
    bool b;
    struct kp_jobj o = {true, 0, 0};
    int i, rc = 0;
    kp_hop_init(h);
    if (!kp_jscan_eat(c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(c, &o, hop_keys, H_MPLS + 1, false, &v)) >= 0) {
        switch (i) {
        case H_TTL:
            rc = f_int(&v, false, 0, 255, 0, &x);
            h->ttl = (uint8_t)x;
            break;
        case H_ATTEMPT:
            rc = f_int(&v, false, 0, 255, 0, &x);
            h->attempt = (uint8_t)x;
            break;
        case H_ADDR:
            rc = f_addr(&v, false, &h->addr);
            break;
        case H_RTT:
            if (v.kind == KP_JV_NULL)
                break;
            if (v.kind == KP_JV_INT) {
                int64_t i64;
                if (kp_num_parse_i64(v.s, v.n, INT64_MIN, INT64_MAX, &i64) != 0)
                    return DECLINE;
                v.d = (double)i64;
            } else if (v.kind != KP_JV_REAL) {
                return DECLINE;
            }
            if (kp_num_double_in(v.d, 0, KP_RTT_MS_MAX, &h->rtt_ms) != 0)
                return DECLINE;
            break;
        case H_REPLY_TTL:
            rc = f_int(&v, true, 0, 255, -1, &x);
            h->reply_ttl = (int16_t)x;
            break;
        case H_QUOTED_TTL:
            rc = f_int(&v, true, 0, 255, -1, &x);
            h->quoted_ttl = (int16_t)x;
            break;
        case H_ICMP_TYPE:
            rc = f_int(&v, true, 0, 255, -1, &x);
            h->icmp_type = (int16_t)x;
            break;
        case H_ICMP_CODE:
            rc = f_int(&v, true, 0, 255, -1, &x);
            h->icmp_code = (int16_t)x;
            break;
        case H_TCP_FLAGS:
            rc = f_int(&v, false, 0, 255, 0, &x);
            h->tcp_flags = (uint8_t)x;
            break;
        case H_REPLY_SIZE:
            rc = f_int(&v, true, 1, 65535, 0, &x);
            h->reply_size = (uint16_t)x;
            break;
        case H_PROBE_SIZE:
            rc = f_int(&v, true, 1, 65535, 0, &x);
            h->probe_size = (uint16_t)x;
            break;
        case H_NAT_ID:
            rc = f_int(&v, true, 0, 65535, -1, &x);
            if (rc == 0 && x >= 0) {
                h->flags |= KP_HOP_NAT;
                h->nat_id = (uint16_t)x;
            }
            break;
        case H_FROM_DST:
            rc = f_bool(&v, &b);
            h->flags |= b ? KP_HOP_FROM_DST : 0;
            break;
        case H_LATE:
            rc = f_bool(&v, &b);
            h->flags |= b ? KP_HOP_LATE : 0;
            break;
        case H_DUP:
            rc = f_bool(&v, &b);
            h->flags |= b ? KP_HOP_DUP : 0;
            break;
        case H_TX_NS:
            rc = f_int(&v, true, 1, INT64_MAX, 0, &x);
            h->tx_ns = x;
            break;
        case H_RX_NS:
            rc = f_int(&v, true, 1, INT64_MAX, 0, &x);
            h->rx_ns = x;
            break;
        default: /* H_MPLS */
            if (v.kind != KP_JV_ARR)
                return DECLINE;
            rc = read_mpls_array(c, h);
            break;
        }
        if (rc)
            return DECLINE;
    }
    if (i != END)
        return i;
    /* required: ttl and addr */
    return (o.seen & (1u << H_TTL)) && (o.seen & (1u << H_ADDR)) ? 0 : DECLINE;
}

enum {
    T_V,
    T_TYPE,
    T_ID,
    T_VP,
    T_TOOL,
    T_METHOD,
    T_SRC,
    T_DST,
    T_DST_NAME,
    T_SPORT,
    T_DPORT,
    T_ICMP_ID,
    T_FIRST_TTL,
    T_MAX_TTL,
    T_ATTEMPTS,
    T_GAP_LIMIT,
    T_WAIT_MS,
    T_PROBES_SENT,
    T_START,
    T_END,
    T_STOP_REASON,
    T_STOP_TTL,
    T_TS_SOURCE,
    T_MSM_ID,
    T_PRB_ID,
    T_HOP_COUNT,
    T_SEND_FAILED,
    T_HOPS
};
static const char *const trace_keys[] = {
    "v",         "type",      "id",          "vp",        "tool",      "method",
    "src",       "dst",       "dst_name",    "sport",     "dport",     "icmp_id",
    "first_ttl", "max_ttl",   "attempts",    "gap_limit", "wait_ms",   "probes_sent",
    "start",     "end",       "stop_reason", "stop_ttl",  "ts_source", "msm_id",
    "prb_id",    "hop_count", "send_failed", "hops",      NULL};

static int read_hops(struct kp_jscan *c, struct kp_trace *t)
{
    kp_jscan_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    for (;;) {
        struct kp_hop h;
        int rc = read_hop(c, &h);
        if (rc)
            return rc;
        if ((rc = kp_trace_add_hop(t, &h)))
            return rc;
        if (kp_jscan_eat(c, ','))
            continue;
        return kp_jscan_eat(c, ']') ? 0 : DECLINE;
    }
}

/* reason: one case per field of the trace record (docs/format.md), in the format's order: a
 * table in code */
static int read_trace(struct kp_jscan *c, struct kp_trace *t)
{
    struct kp_jval v;
    long long x = 0, hop_count = -1;
    char buf[KP_NAME_LEN];
    struct kp_jobj o = {true, 0, 0};
    int i, rc = 0;
    if (!kp_jscan_eat(c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(c, &o, trace_keys, T_HOPS + 1, false, &v)) >= 0) {
        switch (i) {
        case T_V:
            rc = f_int(&v, false, 1, KP_TRACE_JSON_VERSION, 0, &x);
            break;
        case T_TYPE:
            rc = f_str(&v, false, buf, sizeof(buf));
            if (rc == 0 && strcmp(buf, "trace") != 0)
                rc = DECLINE;
            break;
        case T_ID:
            rc = f_int(&v, false, 0, INT64_MAX, 0, &x);
            t->id = (uint64_t)x;
            break;
        case T_VP:
            rc = f_str(&v, true, t->vp, sizeof(t->vp));
            break;
        case T_TOOL:
            rc = f_str(&v, true, t->tool, sizeof(t->tool));
            break;
        case T_METHOD:
            rc = f_str(&v, false, buf, sizeof(buf));
            if (rc == 0) {
                t->method = kp_method_from_name(buf);
                if (t->method == KP_METHOD_UNKNOWN && strcmp(buf, "unknown") != 0)
                    rc = DECLINE;
            }
            break;
        case T_SRC:
            rc = f_addr(&v, true, &t->src);
            break;
        case T_DST:
            rc = f_addr(&v, false, &t->dst);
            break;
        case T_DST_NAME:
            rc = f_str(&v, true, t->dst_name, sizeof(t->dst_name));
            break;
        case T_SPORT:
            rc = f_int(&v, false, 0, 65535, 0, &x);
            t->sport = (uint16_t)x;
            break;
        case T_DPORT:
            rc = f_int(&v, false, 0, 65535, 0, &x);
            t->dport = (uint16_t)x;
            break;
        case T_ICMP_ID:
            rc = f_int(&v, false, 0, 65535, 0, &x);
            t->icmp_id = (uint16_t)x;
            break;
        case T_FIRST_TTL:
            rc = f_int(&v, false, 0, 255, 0, &x);
            t->first_ttl = (uint8_t)x;
            break;
        case T_MAX_TTL:
            rc = f_int(&v, false, 0, 255, 0, &x);
            t->max_ttl = (uint8_t)x;
            break;
        case T_ATTEMPTS:
            rc = f_int(&v, false, 0, 255, 0, &x);
            t->attempts = (uint8_t)x;
            break;
        case T_GAP_LIMIT:
            rc = f_int(&v, false, 0, 255, 0, &x);
            t->gap_limit = (uint8_t)x;
            break;
        case T_WAIT_MS:
            rc = f_int(&v, false, 0, UINT32_MAX, 0, &x);
            t->wait_ms = (uint32_t)x;
            break;
        case T_PROBES_SENT:
            rc = f_int(&v, false, 0, UINT32_MAX, 0, &x);
            t->probes_sent = (uint32_t)x;
            break;
        case T_START:
            rc = f_time(&v, &t->start_ns);
            break;
        case T_END:
            rc = f_time(&v, &t->end_ns);
            break;
        case T_STOP_REASON:
            rc = f_str(&v, false, buf, sizeof(buf));
            if (rc == 0) {
                t->stop_reason = kp_stop_from_name(buf);
                if (t->stop_reason == KP_STOP_NONE && strcmp(buf, "none") != 0)
                    rc = DECLINE;
            }
            break;
        case T_STOP_TTL:
            rc = f_int(&v, true, 1, 255, 0, &x);
            t->stop_ttl = (uint8_t)x;
            break;
        case T_TS_SOURCE:
            rc = f_str(&v, true, t->ts_source, sizeof(t->ts_source));
            break;
        case T_MSM_ID:
            rc = f_int(&v, true, 1, UINT32_MAX, 0, &x);
            t->meta_msm_id = (uint32_t)x;
            break;
        case T_PRB_ID:
            rc = f_int(&v, true, 1, UINT32_MAX, 0, &x);
            t->meta_prb_id = (uint32_t)x;
            break;
        case T_HOP_COUNT:
            rc = f_int(&v, false, 0, INT32_MAX, 0, &hop_count);
            break;
        case T_SEND_FAILED:
            rc = f_int(&v, false, 0, UINT32_MAX, 0, &x);
            t->send_failed = (uint32_t)x;
            break;
        default: /* T_HOPS */
            if (v.kind != KP_JV_ARR)
                return DECLINE;
            rc = read_hops(c, t);
            break;
        }
        if (rc)
            return rc == -ENOMEM ? rc : DECLINE;
    }
    if (i != END)
        return i;
    const uint32_t req = (1u << T_V) | (1u << T_METHOD) | (1u << T_DST) | (1u << T_START) |
                         (1u << T_STOP_REASON) | (1u << T_HOPS);
    if ((o.seen & req) != req)
        return DECLINE;
    if (hop_count >= 0 && (size_t)hop_count != t->n_hops)
        return DECLINE;
    return 0;
}

int kp_trace_json_scan(const char *text, size_t len, struct kp_trace *out)
{
    struct kp_jscan c = {text, text + len};
    kp_trace_init(out);
    int rc = read_trace(&c, out);
    if (rc == 0) {
        kp_jscan_ws(&c);
        if (c.p != c.end)
            rc = DECLINE; /* anything but white space after the object */
    }
    if (rc != 0)
        kp_trace_free(out);
    return rc;
}

static bool hop_equal(const struct kp_hop *a, const struct kp_hop *b)
{
    if (a->ttl != b->ttl || a->attempt != b->attempt || !kp_addr_eq(&a->addr, &b->addr) ||
        memcmp(&a->rtt_ms, &b->rtt_ms, sizeof(a->rtt_ms)) != 0 || a->reply_ttl != b->reply_ttl ||
        a->quoted_ttl != b->quoted_ttl || a->icmp_type != b->icmp_type ||
        a->icmp_code != b->icmp_code || a->tcp_flags != b->tcp_flags ||
        a->reply_size != b->reply_size || a->probe_size != b->probe_size ||
        a->nat_id != b->nat_id || a->flags != b->flags || a->tx_ns != b->tx_ns ||
        a->rx_ns != b->rx_ns || a->n_mpls != b->n_mpls)
        return false;
    for (unsigned i = 0; i < a->n_mpls && i < KP_MAX_MPLS; i++)
        if (a->mpls[i].label != b->mpls[i].label || a->mpls[i].tc != b->mpls[i].tc ||
            a->mpls[i].s != b->mpls[i].s || a->mpls[i].ttl != b->mpls[i].ttl)
            return false;
    return true;
}

bool kp_trace_equal(const struct kp_trace *a, const struct kp_trace *b)
{
    if (strcmp(a->vp, b->vp) != 0 || strcmp(a->tool, b->tool) != 0 ||
        !kp_addr_eq(&a->src, &b->src) || !kp_addr_eq(&a->dst, &b->dst) ||
        strcmp(a->dst_name, b->dst_name) != 0 || a->method != b->method || a->sport != b->sport ||
        a->dport != b->dport || a->icmp_id != b->icmp_id || a->first_ttl != b->first_ttl ||
        a->max_ttl != b->max_ttl || a->attempts != b->attempts || a->gap_limit != b->gap_limit ||
        a->wait_ms != b->wait_ms || a->probes_sent != b->probes_sent ||
        a->start_ns != b->start_ns || a->end_ns != b->end_ns || a->stop_reason != b->stop_reason ||
        a->stop_ttl != b->stop_ttl || strcmp(a->ts_source, b->ts_source) != 0 || a->id != b->id ||
        a->meta_msm_id != b->meta_msm_id || a->meta_prb_id != b->meta_prb_id ||
        a->n_hops != b->n_hops)
        return false;
    for (size_t i = 0; i < a->n_hops; i++)
        if (!hop_equal(&a->hops[i], &b->hops[i]))
            return false;
    return true;
}
