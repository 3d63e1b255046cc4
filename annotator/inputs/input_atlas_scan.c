/* SPDX-License-Identifier: BSD-2-Clause */
/* input_atlas_scan.c — RIPE Atlas traceroute results read in one pass
 * (kp_atlas_scan), and the rules both Atlas readers share. See
 * input_atlas_scan.h; the format is described in input_atlas.c.
 *
 * The scanner walks a result's bytes once with the lexer of
 * core/base/json_scan.h and fills the kp_trace as it goes. The hops need
 * the destination, address family, method and probe size, which Atlas
 * writes before "result"; when a result has them after it (keys sorted, or
 * af/size/paris_id absent), "result" is checked and skipped, and read once
 * the object is done. It declines whatever the jansson reader would report,
 * skip or read in a way the scanner does not: then that reader runs, and
 * every message stays its own.
 *
 * Pure: no I/O, no globals.
 */
#include "annotator/inputs/input_atlas_scan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/json_scan.h"

#define DECLINE KP_JSCAN_DECLINE
#define END     KP_JSCAN_END
#define OTHER   KP_JSCAN_OTHER

/* ---- the rules both readers share --------------------------------------- */

enum kp_method kp_atlas_method(const char *proto, size_t n, int64_t paris_id)
{
    bool paris = paris_id > 0;
    if (n == 4 && memcmp(proto, "ICMP", 4) == 0)
        return paris ? KP_METHOD_ICMP_PARIS : KP_METHOD_ICMP;
    if (n == 3 && memcmp(proto, "UDP", 3) == 0)
        return paris ? KP_METHOD_UDP_PARIS : KP_METHOD_UDP;
    if (n == 3 && memcmp(proto, "TCP", 3) == 0)
        return KP_METHOD_TCP_SYN; /* Atlas TCP traceroute: SYNs, constant ports */
    return KP_METHOD_UNKNOWN;
}

int kp_atlas_err_letter(const char *s, size_t n, int *c4, int *c6)
{
    /* letter, ICMP code for IPv4, for IPv6 (no protocol unreachable in
     * ICMPv6: P and p are port unreachable; h is beyond scope) */
    static const struct {
        char letter;
        int c4, c6;
    } tab[] = {{'N', 0, 0}, {'H', 1, 3}, {'A', 13, 1}, {'P', 2, 4}, {'p', 3, 4}, {'h', 1, 2}};
    if (n != 1)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].letter == s[0]) {
            *c4 = tab[i].c4;
            *c6 = tab[i].c6;
            return 0;
        }
    return -EINVAL;
}

static uint8_t tcp_flags(const char *s, size_t n)
{
    uint8_t f = 0;
    for (size_t i = 0; i < n; i++) {
        const char *bit = strchr("FSRPA", s[i]);
        if (s[i] != '\0' && bit != NULL)
            f |= (uint8_t)(1u << (bit - "FSRPA"));
    }
    return f;
}

void kp_atlas_pkt_finish(struct kp_hop *h, int af, const struct kp_trace *t,
                         const struct kp_atlas_pkt *p)
{
    bool from_dst = kp_addr_is_set(&t->dst) && kp_addr_eq(&h->addr, &t->dst);
    if (from_dst)
        h->flags |= KP_HOP_FROM_DST;
    if (p->has_err) {
        h->icmp_type = af == 6 ? 1 : 3;
        h->icmp_code = (int16_t)(af == 6 ? p->err6 : p->err4);
    } else if (p->mtu > 0) {
        h->icmp_type = af == 6 ? 2 : 3; /* packet too big / fragmentation needed */
        h->icmp_code = af == 6 ? 0 : 4;
    } else if (t->method == KP_METHOD_TCP_SYN) {
        if (p->flags != NULL)
            h->tcp_flags |= tcp_flags(p->flags, p->n_flags);
        if (!from_dst) {
            h->icmp_type = af == 6 ? 3 : 11;
            h->icmp_code = 0;
        }
    } else if (from_dst) {
        bool icmp = t->method == KP_METHOD_ICMP || t->method == KP_METHOD_ICMP_PARIS;
        if (icmp) {
            h->icmp_type = af == 6 ? 129 : 0; /* echo reply */
            h->icmp_code = 0;
        } else {
            h->icmp_type = af == 6 ? 1 : 3; /* port unreachable */
            h->icmp_code = af == 6 ? 4 : 3;
        }
    } else {
        h->icmp_type = af == 6 ? 3 : 11; /* time exceeded */
        h->icmp_code = 0;
    }
    /* ICMP errors quote the probe: its TTL on arrival is ittl. */
    bool icmp_error = af == 6 ? (h->icmp_type >= 1 && h->icmp_type <= 4)
                              : (h->icmp_type == 3 || h->icmp_type == 11);
    if (icmp_error)
        h->quoted_ttl = (int16_t)p->ittl;
}

void kp_atlas_walk_init(struct kp_atlas_walk *w, int af, uint16_t probe_size)
{
    memset(w, 0, sizeof(*w));
    w->af = af;
    w->probe_size = probe_size;
    w->min_hop = 256;
    w->last_err_code = -1;
}

void kp_atlas_walk_hop(struct kp_atlas_walk *w, int n)
{
    if (n > w->max_hop)
        w->max_hop = n;
    if (n < w->min_hop)
        w->min_hop = n;
    if (n < 255 && n > w->seq_max)
        w->seq_max = n;
}

int kp_atlas_walk_packet(struct kp_atlas_walk *w, struct kp_trace *t, struct kp_hop *h, int n,
                         bool has_err, uint8_t *attempt)
{
    h->probe_size = w->probe_size;
    /* A duplicate answers a probe already counted; a late reply answers an
     * earlier probe, whose own slot is its "x". */
    bool extra = (h->flags & (KP_HOP_DUP | KP_HOP_LATE)) != 0;
    if (!extra && *attempt < 255)
        (*attempt)++;
    if (kp_trace_add_hop(t, h) != 0)
        return -ENOMEM;
    w->answered++;
    if ((h->flags & KP_HOP_LATE) && (h->flags & KP_HOP_FROM_DST)) {
        w->late_from_dst = true;
        w->late_dst_hop = n;
    }
    if (!extra && n >= w->last_answered) {
        w->last_answered = n;
        w->last_from_dst = (h->flags & KP_HOP_FROM_DST) != 0;
        w->last_err_code = has_err ? h->icmp_code : -1;
    }
    return 0;
}

void kp_atlas_walk_attempts(struct kp_atlas_walk *w, uint8_t attempt)
{
    if (attempt > w->max_attempts)
        w->max_attempts = attempt;
}

void kp_atlas_walk_stop(struct kp_trace *t, struct kp_atlas_walk *w)
{
    t->first_ttl = w->min_hop <= 255 && w->min_hop >= 1 ? (uint8_t)w->min_hop : 0;
    t->max_ttl = (uint8_t)w->max_hop;
    t->attempts = w->max_attempts;
    /* Older firmware sends one last probe with TTL 255 after the gap: the
     * trace went silent after seq_max, it did not run up to 255. */
    bool last_ditch = w->max_hop == 255 && w->seq_max < 254;
    int64_t code = w->last_err_code;
    if (w->last_from_dst) {
        t->stop_reason = KP_STOP_COMPLETED;
    } else if (code >= 0 && w->af == 4) {
        t->stop_reason = kp_stop_from_unreach_code((int)code);
    } else if (code >= 0) {
        t->stop_reason = code == 1   ? KP_STOP_ADMIN_PROHIB
                         : code == 0 ? KP_STOP_UNREACH_NET
                         : code == 3 ? KP_STOP_UNREACH_HOST
                                     : KP_STOP_UNREACH_OTHER;
    } else if (w->answered == 0 && w->any_error) {
        t->stop_reason = KP_STOP_ERROR;
    } else if (w->late_from_dst) {
        t->stop_reason = KP_STOP_COMPLETED; /* only late replies, but from it */
        w->last_answered = w->late_dst_hop;
    } else if (w->max_hop == 255 && !last_ditch) {
        t->stop_reason = KP_STOP_MAXTTL;
    } else if (w->max_hop > w->last_answered) {
        t->stop_reason = KP_STOP_GAPLIMIT;
    }
    if (t->stop_reason == KP_STOP_GAPLIMIT)
        t->stop_ttl = (uint8_t)(last_ditch ? w->seq_max : w->max_hop);
    else if (t->stop_reason == KP_STOP_MAXTTL)
        t->stop_ttl = (uint8_t)w->max_hop;
    else if (t->stop_reason != KP_STOP_NONE && t->stop_reason != KP_STOP_ERROR)
        t->stop_ttl = (uint8_t)w->last_answered;
}

/* ---- the scanner --------------------------------------------------------- */

/* An address string (not null, not ""). */
static int s_addr(const struct kp_jval *v, struct kp_addr *a)
{
    char buf[KP_ADDR_STRLEN + 1];
    if (v->kind != KP_JV_STR || v->n == 0 || v->n >= sizeof(buf))
        return DECLINE;
    memcpy(buf, v->s, v->n);
    buf[v->n] = '\0';
    return kp_addr_parse(buf, a) == 0 ? 0 : DECLINE;
}

/* An optional integer: absent or null leaves *out; else [lo, hi]. */
static int s_int(const struct kp_jval *v, int64_t lo, int64_t hi, int64_t *out)
{
    int rc = kp_jscan_int(v, lo, hi, true, out);
    return rc == -ENOENT ? 0 : rc;
}

/* Atlas's dup and late: true, or a count > 0 (as the jansson reader's
 * flag_set); any other value is "not set". */
static int s_flag(struct kp_jscan *c, const struct kp_jval *v, bool *set)
{
    int64_t x;
    *set = false;
    if (v->kind == KP_JV_TRUE)
        *set = true;
    else if (v->kind == KP_JV_INT && kp_jscan_int(v, INT64_MIN, INT64_MAX, false, &x) == 0)
        *set = x > 0;
    else if (v->kind == KP_JV_REAL)
        *set = v->d > 0;
    return kp_jscan_skip(c, v);
}

static const char *const mpls_keys[] = {"label", "exp", "s", "ttl"};

/* One label stack entry {label, exp, s, ttl} (each optional, 0 when absent). */
static int s_mpls(struct kp_jscan *c, struct kp_hop *h)
{
    static const int64_t hi[] = {0xFFFFF, 7, 1, 255};
    int64_t x[4] = {0, 0, 0, 0};
    struct kp_jobj o = {true, 0, 0};
    struct kp_jval v;
    int i;
    if (!kp_jscan_eat(c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(c, &o, mpls_keys, 4, true, &v)) != END) {
        if (i == OTHER) {
            if (kp_jscan_skip(c, &v) != 0)
                return DECLINE;
        } else if (i < 0 || s_int(&v, 0, hi[i], &x[i]) != 0) {
            return DECLINE;
        }
    }
    if (h->n_mpls < KP_MAX_MPLS) {
        struct kp_mpls *m = &h->mpls[h->n_mpls++];
        m->label = (uint32_t)x[0];
        m->tc = (uint8_t)x[1];
        m->s = (uint8_t)x[2];
        m->ttl = (uint8_t)x[3];
    }
    return 0;
}

/* The elements of an opened array, each read by fn. */
static int s_array(struct kp_jscan *c, int (*fn)(struct kp_jscan *, struct kp_hop *),
                   struct kp_hop *h)
{
    if (kp_jscan_eat(c, ']'))
        return 0;
    for (;;) {
        int rc = fn(c, h);
        if (rc != 0)
            return rc;
        if (kp_jscan_eat(c, ','))
            continue;
        return kp_jscan_eat(c, ']') ? 0 : DECLINE;
    }
}

/* An opened object whose member `key` (if there) is an array of elements
 * each read by fn; its other members are skipped. */
static int s_member_array(struct kp_jscan *c, const char *key,
                          int (*fn)(struct kp_jscan *, struct kp_hop *), struct kp_hop *h)
{
    const char *const keys[] = {key};
    struct kp_jobj o = {true, 0, 0};
    struct kp_jval v;
    int i;
    while ((i = kp_jscan_field(c, &o, keys, 1, true, &v)) != END) {
        if (i == OTHER)
            i = kp_jscan_skip(c, &v);
        else if (i == 0)
            i = v.kind == KP_JV_ARR ? s_array(c, fn, h) : DECLINE;
        if (i != 0)
            return DECLINE;
    }
    return 0;
}

/* One element of icmpext.obj: its "mpls" labels (other objects: none). */
static int s_ext_obj(struct kp_jscan *c, struct kp_hop *h)
{
    return kp_jscan_eat(c, '{') ? s_member_array(c, "mpls", s_mpls, h) : DECLINE;
}

/* A packet's icmpext object (opened): the label stacks of its "obj". */
static int s_icmpext(struct kp_jscan *c, struct kp_hop *h)
{
    return s_member_array(c, "obj", s_ext_obj, h);
}

/* The scan of one result. */
struct scan {
    struct kp_jscan c;
    struct kp_trace *t;
    struct kp_atlas_walk w;
};

enum {
    P_FROM,
    P_TTL,
    P_SIZE,
    P_RTT,
    P_X,
    P_ERROR,
    P_LATE,
    P_DUP,
    P_ITTL,
    P_MTU,
    P_ERR,
    P_FLAGS,
    P_ICMPEXT,
    P_N
};
static const char *const pkt_keys[P_N] = {"from", "ttl",  "size", "rtt", "x",     "error",  "late",
                                          "dup",  "ittl", "mtu",  "err", "flags", "icmpext"};

/* One member of a packet into h and p. */
static int s_pkt_field(struct scan *s, int i, const struct kp_jval *v, struct kp_hop *h,
                       struct kp_atlas_pkt *p)
{
    int64_t x;
    bool set;
    switch (i) {
    case P_FROM:
        return s_addr(v, &h->addr);
    case P_RTT: {
        int rc = kp_jscan_double(v, 0, KP_RTT_MS_MAX, &h->rtt_ms);
        return rc == -ENOENT ? 0 : rc;
    }
    case P_TTL:
        x = h->reply_ttl;
        if (s_int(v, 0, 255, &x) != 0)
            return DECLINE;
        h->reply_ttl = (int16_t)x;
        return 0;
    case P_SIZE:
        x = h->reply_size;
        if (s_int(v, 0, 65535, &x) != 0)
            return DECLINE;
        h->reply_size = (uint16_t)x;
        return 0;
    case P_LATE:
    case P_DUP:
        if (s_flag(&s->c, v, &set) != 0)
            return DECLINE;
        if (set)
            h->flags |= i == P_LATE ? KP_HOP_LATE : KP_HOP_DUP;
        return 0;
    case P_ITTL:
        return s_int(v, 0, 255, &p->ittl);
    case P_MTU:
        return s_int(v, 0, 65535, &p->mtu);
    case P_ERR:
        p->has_err = true;
        if (v->kind == KP_JV_STR)
            return kp_atlas_err_letter(v->s, v->n, &p->err4, &p->err6) == 0 ? 0 : DECLINE;
        if (kp_jscan_int(v, 0, 255, true, &x) != 0)
            return DECLINE; /* null and other types too */
        p->err4 = p->err6 = (int)x;
        return 0;
    case P_FLAGS:
        if (v->kind == KP_JV_STR) {
            p->flags = v->s;
            p->n_flags = v->n;
        }
        return kp_jscan_skip(&s->c, v);
    case P_ICMPEXT:
        return v->kind == KP_JV_OBJ ? s_icmpext(&s->c, h) : DECLINE;
    default: /* x, error: their presence is what counts */
        return kp_jscan_skip(&s->c, v);
    }
}

/* One packet of hop n; *attempt counts the hop's attempts. */
static int s_packet(struct scan *s, int n, uint8_t *attempt)
{
    struct kp_hop h;
    struct kp_atlas_pkt p = {.ittl = 1};
    struct kp_jobj o = {true, 0, 0};
    struct kp_jval v;
    int i;
    kp_hop_init(&h);
    if (!kp_jscan_eat(&s->c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(&s->c, &o, pkt_keys, P_N, true, &v)) != END) {
        if (i == OTHER)
            i = kp_jscan_skip(&s->c, &v);
        else if (i >= 0)
            i = s_pkt_field(s, i, &v, &h, &p);
        if (i != 0)
            return DECLINE;
    }
    if (o.seen & ((1u << P_X) | (1u << P_ERROR))) {
        if (!(o.seen & (1u << P_X)))
            s->w.any_error = true; /* a transmit error: no hop */
        if (*attempt < 255)
            (*attempt)++; /* a timeout: silent, no hop */
        return 0;
    }
    if (!(o.seen & (1u << P_FROM)))
        return DECLINE;
    h.ttl = (uint8_t)n;
    h.attempt = *attempt;
    kp_atlas_pkt_finish(&h, s->w.af, s->t, &p);
    return kp_atlas_walk_packet(&s->w, s->t, &h, n, p.has_err, attempt);
}

/* The packets of hop n (the array opened). */
static int s_packets(struct scan *s, int n)
{
    uint8_t attempt = 0;
    if (!kp_jscan_eat(&s->c, ']')) {
        for (;;) {
            int rc = s_packet(s, n, &attempt);
            if (rc != 0)
                return rc;
            if (kp_jscan_eat(&s->c, ','))
                continue;
            if (!kp_jscan_eat(&s->c, ']'))
                return DECLINE;
            break;
        }
    }
    kp_atlas_walk_attempts(&s->w, attempt);
    return 0;
}

static const char *const hop_keys[] = {"hop", "result", "error"};

/* The packets of hop n that came before "hop" (checked and skipped then),
 * after their '['. */
static int s_packets_at(struct scan *s, const char *at, int n)
{
    const char *rest = s->c.p;
    s->c.p = at;
    int rc = s_packets(s, n);
    s->c.p = rest;
    return rc;
}

/* One element of result[]: {"hop": n, "result": [...]} (in either order). */
static int s_hop(struct scan *s)
{
    struct kp_jobj o = {true, 0, 0};
    struct kp_jval v;
    int64_t n = 0;
    const char *later = NULL; /* packets before the hop number */
    int i;
    if (!kp_jscan_eat(&s->c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(&s->c, &o, hop_keys, 3, true, &v)) != END) {
        if (i == OTHER) {
            i = kp_jscan_skip(&s->c, &v);
        } else if (i == 0) {
            i = kp_jscan_int(&v, 1, 255, true, &n) == 0 ? 0 : DECLINE;
            if (i == 0)
                kp_atlas_walk_hop(&s->w, (int)n);
        } else if (i == 1 && v.kind == KP_JV_ARR && n > 0) {
            i = s_packets(s, (int)n);
        } else if (i == 1 && v.kind == KP_JV_ARR) {
            later = s->c.p;
            i = kp_jscan_skip(&s->c, &v);
        } else {
            i = DECLINE; /* result not an array; a hop that failed */
        }
        if (i != 0)
            return i;
    }
    if (n == 0)
        return DECLINE;
    return later != NULL ? s_packets_at(s, later, (int)n) : 0;
}

/* The hops of an opened result array. */
static int s_hops(struct scan *s)
{
    if (kp_jscan_eat(&s->c, ']'))
        return 0;
    for (;;) {
        int rc = s_hop(s);
        if (rc != 0)
            return rc;
        if (kp_jscan_eat(&s->c, ','))
            continue;
        return kp_jscan_eat(&s->c, ']') ? 0 : DECLINE;
    }
}

enum {
    K_ENDTIME,
    K_DST_NAME,
    K_DST,
    K_SRC,
    K_PROTO,
    K_AF,
    K_SIZE,
    K_PARIS,
    K_RESULT,
    K_MSM,
    K_PRB,
    K_TIMESTAMP,
    K_TYPE,
    K_OLD, /* firmware 4400's names, left to the jansson reader: */
    K_N = K_OLD + 6
};
static const char *const top_keys[K_N] = {"endtime", "dst_name",  "dst_addr", "src_addr", "proto",
                                          "af",      "size",      "paris_id", "result",   "msm_id",
                                          "prb_id",  "timestamp", "type",     "addr",     "name",
                                          "srcaddr", "pf",        "mode",     "paris-id"};

/* What the top level said that the hops need, or that is checked at its end. */
struct top {
    int64_t af, size, paris, prb, msm, ts, endtime;
    const char *proto, *result; /* proto's bytes; result: after its '[' */
    size_t n_proto;
    bool hops_read;
};

/* The keys the hops need: once all are read, result[] is read as it comes. */
#define K_CONTEXT                                                                                  \
    ((1u << K_DST) | (1u << K_PROTO) | (1u << K_AF) | (1u << K_SIZE) | (1u << K_PARIS))

/* Check af against the destination and set the method and the walk. */
static int s_context(struct scan *s, const struct top *tp)
{
    int64_t af = tp->af != 0 ? tp->af : s->t->dst.family;
    if ((af != 4 && af != 6) || af != s->t->dst.family)
        return DECLINE;
    s->t->method = kp_atlas_method(tp->proto, tp->n_proto, tp->paris);
    if (s->t->method == KP_METHOD_UNKNOWN)
        return DECLINE;
    kp_atlas_walk_init(&s->w, (int)af, (uint16_t)tp->size);
    return 0;
}

/* "result": read now when the context is known, else checked and kept. */
static int s_result(struct scan *s, struct top *tp, const struct kp_jobj *o,
                    const struct kp_jval *v)
{
    if (v->kind != KP_JV_ARR)
        return DECLINE; /* a firmware-1 text result, or wrong */
    if ((o->seen & K_CONTEXT) != K_CONTEXT) {
        tp->result = s->c.p;
        return kp_jscan_skip(&s->c, v);
    }
    int rc = s_context(s, tp);
    if (rc == 0)
        rc = s_hops(s);
    tp->hops_read = rc == 0;
    return rc;
}

/* One top-level member. */
static int s_top_field(struct scan *s, struct top *tp, const struct kp_jobj *o, int i,
                       const struct kp_jval *v)
{
    struct kp_trace *t = s->t;
    switch (i) {
    case K_DST:
        return s_addr(v, &t->dst);
    case K_SRC:
        if (v->kind == KP_JV_NULL || (v->kind == KP_JV_STR && v->n == 0))
            return 0;
        return s_addr(v, &t->src);
    case K_DST_NAME:
        if (v->kind == KP_JV_STR) {
            size_t n = v->n < sizeof(t->dst_name) ? v->n : sizeof(t->dst_name) - 1;
            memcpy(t->dst_name, v->s, n);
            t->dst_name[n] = '\0';
        }
        return kp_jscan_skip(&s->c, v);
    case K_PROTO:
        tp->proto = v->s;
        tp->n_proto = v->n;
        return v->kind == KP_JV_STR ? 0 : DECLINE;
    case K_AF:
        return s_int(v, 0, 255, &tp->af);
    case K_SIZE:
        return s_int(v, 0, 65535, &tp->size);
    case K_PARIS:
        return s_int(v, 0, 65535, &tp->paris);
    case K_MSM:
        return s_int(v, 0, UINT32_MAX, &tp->msm);
    case K_PRB:
        return s_int(v, 0, UINT32_MAX, &tp->prb);
    case K_TIMESTAMP:
        return s_int(v, 0, INT64_MAX / 1000000000, &tp->ts);
    case K_ENDTIME:
        return s_int(v, 0, INT64_MAX / 1000000000, &tp->endtime);
    case K_TYPE:
        return v->kind == KP_JV_STR && v->n == 10 && memcmp(v->s, "traceroute", 10) == 0 ? 0
                                                                                         : DECLINE;
    case K_RESULT:
        return s_result(s, tp, o, v);
    default: /* firmware 4400's key names */
        return DECLINE;
    }
}

/* The result object, then what needs all of it. */
static int s_top(struct scan *s)
{
    struct top tp = {.ts = -1, .endtime = -1};
    struct kp_jobj o = {true, 0, 0};
    struct kp_jval v;
    int i;
    if (!kp_jscan_eat(&s->c, '{'))
        return DECLINE;
    while ((i = kp_jscan_field(&s->c, &o, top_keys, K_N, true, &v)) != END) {
        if (i == OTHER)
            i = kp_jscan_skip(&s->c, &v);
        else if (i >= 0)
            i = s_top_field(s, &tp, &o, i, &v);
        if (i != 0)
            return i == -ENOMEM ? i : DECLINE;
    }
    const uint32_t req = (1u << K_DST) | (1u << K_PROTO) | (1u << K_RESULT);
    if ((o.seen & req) != req)
        return DECLINE;
    if (!tp.hops_read) {
        struct kp_jscan rest = s->c;
        int rc = s_context(s, &tp);
        s->c.p = tp.result;
        if (rc == 0)
            rc = s_hops(s);
        if (rc != 0)
            return rc;
        s->c = rest;
    }
    struct kp_trace *t = s->t;
    t->meta_prb_id = (uint32_t)tp.prb;
    t->meta_msm_id = (uint32_t)tp.msm;
    if (t->meta_prb_id != 0)
        snprintf(t->vp, sizeof(t->vp), "atlas-%u", t->meta_prb_id);
    snprintf(t->tool, sizeof(t->tool), "atlas");
    snprintf(t->ts_source, sizeof(t->ts_source), "import");
    if (tp.ts >= 0)
        t->start_ns = tp.ts * 1000000000;
    if (tp.endtime >= 0)
        t->end_ns = tp.endtime * 1000000000;
    kp_atlas_walk_stop(t, &s->w);
    kp_trace_sort(t);
    return 0;
}

int kp_atlas_scan(const char *text, size_t len, struct kp_trace *t)
{
    struct scan s = {{text, text + len}, t, {0}};
    kp_trace_init(t);
    int rc = s_top(&s);
    if (rc == 0) {
        kp_jscan_ws(&s.c);
        if (s.c.p != s.c.end)
            rc = DECLINE; /* anything but white space after the object */
    }
    if (rc != 0) {
        kp_trace_free(t);
        kp_trace_init(t);
    }
    return rc;
}
