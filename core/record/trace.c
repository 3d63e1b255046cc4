/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/record/trace.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[KP_METHOD_COUNT] = {
    [KP_METHOD_UNKNOWN] = "unknown",
    [KP_METHOD_ICMP_PARIS] = "icmp-paris",
    [KP_METHOD_UDP_PARIS] = "udp-paris",
    [KP_METHOD_TCP_SYN] = "tcp-syn",
    [KP_METHOD_UDP] = "udp",
    [KP_METHOD_ICMP] = "icmp",
    [KP_METHOD_TCP] = "tcp",
    [KP_METHOD_TCP_ACK] = "tcp-ack",
};

static const char *const stop_names[KP_STOP_COUNT] = {
    [KP_STOP_NONE] = "none",
    [KP_STOP_COMPLETED] = "completed",
    [KP_STOP_UNREACH_NET] = "unreach-net",
    [KP_STOP_UNREACH_HOST] = "unreach-host",
    [KP_STOP_ADMIN_PROHIB] = "admin-prohibited",
    [KP_STOP_UNREACH_PROTO] = "unreach-proto",
    [KP_STOP_UNREACH_OTHER] = "unreach-other",
    [KP_STOP_GAPLIMIT] = "gaplimit",
    [KP_STOP_MAXTTL] = "maxttl",
    [KP_STOP_LOOP] = "loop",
    [KP_STOP_INTERRUPTED] = "interrupted",
    [KP_STOP_ERROR] = "error",
};

void kp_hop_init(struct kp_hop *h)
{
    memset(h, 0, sizeof(*h));
    h->rtt_ms = -1.0;
    h->reply_ttl = -1;
    h->quoted_ttl = -1;
    h->icmp_type = -1;
    h->icmp_code = -1;
}

void kp_trace_init(struct kp_trace *t)
{
    memset(t, 0, sizeof(*t));
}

void kp_trace_free(struct kp_trace *t)
{
    free(t->hops);
    t->hops = NULL;
    t->n_hops = 0;
    t->cap_hops = 0;
}

int kp_trace_copy(struct kp_trace *dst, const struct kp_trace *src)
{
    struct kp_hop *hops = NULL;
    if (src->n_hops > 0) {
        hops = malloc(src->n_hops * sizeof(*hops));
        if (hops == NULL)
            return -ENOMEM;
        memcpy(hops, src->hops, src->n_hops * sizeof(*hops));
    }
    free(dst->hops);
    *dst = *src;
    dst->hops = hops;
    dst->cap_hops = src->n_hops;
    return 0;
}

int kp_trace_reserve(struct kp_trace *t, size_t n)
{
    if (n <= t->cap_hops)
        return 0;
    if (n > SIZE_MAX / sizeof(struct kp_hop))
        return -ENOMEM;
    struct kp_hop *p = realloc(t->hops, n * sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    t->hops = p;
    t->cap_hops = n;
    return 0;
}

bool kp_trace_probed(const struct kp_trace *t, unsigned ttl)
{
    return !t->probed_known || (ttl < 256 && ((t->probed[ttl >> 3] >> (ttl & 7)) & 1u));
}

int kp_trace_add_hop(struct kp_trace *t, const struct kp_hop *h)
{
    if (t->n_hops == t->cap_hops) {
        size_t cap = t->cap_hops ? t->cap_hops * 2 : 8;
        struct kp_hop *n = realloc(t->hops, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        t->hops = n;
        t->cap_hops = cap;
    }
    t->hops[t->n_hops++] = *h;
    return 0;
}

static int hop_cmp(const void *a, const void *b)
{
    const struct kp_hop *x = a, *y = b;
    if (x->ttl != y->ttl)
        return x->ttl < y->ttl ? -1 : 1;
    if (x->attempt != y->attempt)
        return x->attempt < y->attempt ? -1 : 1;
    if (x->rx_ns != y->rx_ns)
        return x->rx_ns < y->rx_ns ? -1 : 1;
    return 0;
}

void kp_trace_sort(struct kp_trace *t)
{
    if (t->n_hops > 1)
        qsort(t->hops, t->n_hops, sizeof(*t->hops), hop_cmp);
}

const char *kp_method_name(enum kp_method m)
{
    if ((unsigned)m >= KP_METHOD_COUNT)
        return "unknown";
    return method_names[m];
}

enum kp_method kp_method_from_name(const char *s)
{
    for (int i = 1; i < KP_METHOD_COUNT; i++)
        if (s != NULL && strcmp(s, method_names[i]) == 0)
            return (enum kp_method)i;
    return KP_METHOD_UNKNOWN;
}

const char *kp_stop_name(enum kp_stop s)
{
    if ((unsigned)s >= KP_STOP_COUNT)
        return "none";
    return stop_names[s];
}

enum kp_stop kp_stop_from_name(const char *s)
{
    for (int i = 0; i < KP_STOP_COUNT; i++)
        if (s != NULL && strcmp(s, stop_names[i]) == 0)
            return (enum kp_stop)i;
    return KP_STOP_NONE;
}

enum kp_stop kp_stop_from_unreach_code(int code)
{
    switch (code) {
    case 0:
    case 6:
    case 11:
        return KP_STOP_UNREACH_NET;
    case 1:
    case 7:
    case 12:
        return KP_STOP_UNREACH_HOST;
    case 9:
    case 10:
    case 13:
        return KP_STOP_ADMIN_PROHIB;
    case 2:
        return KP_STOP_UNREACH_PROTO;
    default:
        return KP_STOP_UNREACH_OTHER;
    }
}

const char *kp_hop_bang(const struct kp_hop *h)
{
    if (h->addr.family == 4 && h->icmp_type == 3) {
        switch (h->icmp_code) {
        case 0:
        case 6:
        case 11:
            return "!N";
        case 1:
        case 7:
        case 12:
            return "!H";
        case 2:
            return (h->flags & KP_HOP_FROM_DST) ? "" : "!P";
        case 3:
            return (h->flags & KP_HOP_FROM_DST) ? "" : "!p";
        case 4:
            return "!F";
        case 5:
            return "!S";
        case 9:
        case 10:
        case 13:
            return "!X";
        default:
            return "!<>";
        }
    }
    if (h->addr.family == 6 && h->icmp_type == 1) {
        switch (h->icmp_code) {
        case 0:
            return "!N";
        case 1:
            return "!X";
        case 3:
            return "!H";
        case 4:
            return (h->flags & KP_HOP_FROM_DST) ? "" : "!p";
        default:
            return "!<>";
        }
    }
    return "";
}
