/* SPDX-License-Identifier: BSD-2-Clause */
/* route_filter.c — what the file sources drop, and the counts they report.
 * See route_filter.h. The address ranges are addr_class.c's table, the AS
 * number ranges asn_num.c's: this file only combines them. */
#include "core/asmap/route_filter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kp_route_filter_default(struct kp_route_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->min_len4 = KP_MIN_PREFIX_LEN4;
    f->min_len6 = KP_MIN_PREFIX_LEN6;
}

static const struct kp_route_filter *or_default(const struct kp_route_filter *f)
{
    static const struct kp_route_filter def = {KP_MIN_PREFIX_LEN4, KP_MIN_PREFIX_LEN6, 0, NULL, 0};
    return f != NULL ? f : &def;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* The keep bit of one word, or 0. */
static uint32_t keep_bit(const char *w, size_t n)
{
    if (word_is(w, n, "all"))
        return KP_KEEP_ALL;
    for (int c = KP_ACLASS_PUBLIC + 1; c < KP_ACLASS_COUNT; c++)
        if (word_is(w, n, kp_addr_class_name((enum kp_addr_class)c)))
            return KP_KEEP_SPACE(c);
    if (word_is(w, n, "as-trans"))
        return KP_KEEP_ASN(KP_ASCLASS_AS_TRANS);
    static const char suffix[] = "-asn";
    size_t sl = sizeof(suffix) - 1;
    if (n > sl && memcmp(w + n - sl, suffix, sl) == 0)
        for (int c = KP_ASCLASS_PUBLIC + 1; c < KP_ASCLASS_COUNT; c++)
            if (c != KP_ASCLASS_AS_TRANS && word_is(w, n - sl, kp_asn_class_name(c)))
                return KP_KEEP_ASN(c);
    return 0;
}

int kp_route_filter_parse_keep(const char *list, uint32_t *keep, char *bad, size_t badlen)
{
    uint32_t k = 0;
    const char *s = list;
    if (bad != NULL && badlen > 0)
        bad[0] = '\0';
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        uint32_t b = keep_bit(s, n);
        if (b == 0) {
            if (bad != NULL && badlen > 0)
                snprintf(bad, badlen, "%.*s", (int)(n > 64 ? 64 : n), s);
            return -EINVAL;
        }
        k |= b;
        if (e == NULL)
            break;
        s = e + 1;
    }
    *keep = k;
    return 0;
}

/* A prefix length: decimal digits only (the AS number reader), at most max. */
static int parse_len(const char *s, size_t n, unsigned max, unsigned *out)
{
    uint32_t v;
    if (kp_asn_parse(s, n, 0, &v) != 0 || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int kp_route_filter_parse_min_len(const char *s, struct kp_route_filter *f)
{
    const char *comma = strchr(s, ',');
    unsigned v4, v6 = f->min_len6;
    if (parse_len(s, comma ? (size_t)(comma - s) : strlen(s), 32, &v4) != 0)
        return -EINVAL;
    if (comma != NULL && parse_len(comma + 1, strlen(comma + 1), 128, &v6) != 0)
        return -EINVAL;
    f->min_len4 = v4;
    f->min_len6 = v6;
    return 0;
}

int kp_route_filter_prefix(const struct kp_route_filter *f, const struct kp_prefix *p)
{
    f = or_default(f);
    if (p->len == 0)
        return KP_DROP_DEFAULT_ROUTE;
    if (p->len < (p->addr.family == 4 ? f->min_len4 : f->min_len6))
        return KP_DROP_TOO_SHORT;
    enum kp_addr_class c = kp_prefix_class(p);
    if (c != KP_ACLASS_PUBLIC && !(f->keep & KP_KEEP_SPACE(c)))
        return KP_DROP_SPACE + (int)c;
    return -1;
}

bool kp_route_filter_class(const struct kp_route_filter *f, enum kp_addr_class c)
{
    f = or_default(f);
    return c == KP_ACLASS_PUBLIC || (f->keep & KP_KEEP_SPACE(c)) != 0;
}

bool kp_route_filter_addr(const struct kp_route_filter *f, const struct kp_addr *a)
{
    return kp_route_filter_class(f, kp_addr_class_of(a));
}

bool kp_route_filter_removes_asn(const struct kp_route_filter *f, uint32_t asn)
{
    f = or_default(f);
    enum kp_asn_class c = kp_asn_class_of(asn);
    if (c == KP_ASCLASS_PUBLIC || (f->keep & KP_KEEP_ASN(c)))
        return false;
    for (size_t i = 0; i < f->n_targets; i++)
        if (f->targets[i] == asn)
            return false;
    return true;
}

int kp_route_filter_origins(const struct kp_route_filter *f, struct kp_asn_rec *rec,
                            enum kp_asn_class *removed)
{
    enum kp_asn_class first = KP_ASCLASS_PUBLIC;
    unsigned k = 0;
    for (unsigned i = 0; i < rec->n; i++) {
        if (kp_route_filter_removes_asn(f, rec->asns[i])) {
            if (first == KP_ASCLASS_PUBLIC)
                first = kp_asn_class_of(rec->asns[i]);
            continue;
        }
        rec->asns[k++] = rec->asns[i];
    }
    for (unsigned i = k; i < rec->n; i++)
        rec->asns[i] = 0;
    rec->n = (uint8_t)k;
    if (k == 1)
        rec->flags &= (uint8_t) ~(KP_ASN_MULTI_ORIGIN | KP_ASN_SET);
    if (removed != NULL)
        *removed = first;
    return k == 0 ? -ENOENT : 0;
}

void kp_filter_count_add(struct kp_filter_count *c, unsigned long line, const struct kp_prefix *p)
{
    if (c->n++ == 0) {
        c->line = line;
        if (p != NULL)
            c->prefix = *p;
    }
}

unsigned long kp_filter_stats_dropped(const struct kp_filter_stats *s)
{
    unsigned long n = 0;
    for (int i = 0; i < KP_DROP_BUCKETS; i++)
        n += s->drop[i].n;
    return n;
}

unsigned long kp_filter_stats_origin_removed(const struct kp_filter_stats *s)
{
    unsigned long n = 0;
    for (int i = 0; i < KP_ASCLASS_COUNT; i++)
        n += s->origin[i].n;
    return n;
}

struct out {
    char *buf;
    size_t len, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->n >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        o->n = o->n + (size_t)w < o->len ? o->n + (size_t)w : o->len - 1;
}

static void put_count(struct out *o, bool *first, const struct kp_filter_count *c, const char *what)
{
    char p[KP_PREFIX_STRLEN];
    put(o, "%s%lu %s", *first ? "" : ", ", c->n, what);
    *first = false;
    if (c->line > 0 && c->prefix.addr.family != 0)
        put(o, " (line %lu: %s)", c->line, kp_prefix_str(&c->prefix, p, sizeof(p)));
    else if (c->prefix.addr.family != 0)
        put(o, " (%s)", kp_prefix_str(&c->prefix, p, sizeof(p)));
}

char *kp_filter_stats_str(const struct kp_filter_stats *s, const struct kp_route_filter *f,
                          char *buf, size_t len)
{
    struct out o = {buf, len, 0};
    if (len == 0)
        return buf;
    buf[0] = '\0';
    f = or_default(f);
    put(&o, "%lu used", s->used);
    unsigned long d = kp_filter_stats_dropped(s);
    if (d > 0) {
        bool first = true;
        char what[64];
        put(&o, "; dropped %lu: ", d);
        for (int i = 0; i < KP_DROP_BUCKETS; i++) {
            const struct kp_filter_count *c = &s->drop[i];
            if (c->n == 0)
                continue;
            if (i == KP_DROP_DEFAULT_ROUTE)
                snprintf(what, sizeof(what), "default route%s", c->n > 1 ? "s" : "");
            else if (i == KP_DROP_TOO_SHORT)
                snprintf(what, sizeof(what), "shorter than /%u (IPv4) or /%u (IPv6)", f->min_len4,
                         f->min_len6);
            else if (i == KP_DROP_NO_ORIGIN)
                snprintf(what, sizeof(what), "without a public origin AS");
            else
                snprintf(what, sizeof(what), "in %s space",
                         kp_addr_class_name((enum kp_addr_class)(i - KP_DROP_SPACE)));
            put_count(&o, &first, c, what);
        }
    }
    unsigned long r = kp_filter_stats_origin_removed(s);
    if (r > 0) {
        bool first = true;
        char what[64];
        put(&o, "; origin AS removed from %lu: ", r);
        for (int i = 0; i < KP_ASCLASS_COUNT; i++) {
            if (s->origin[i].n == 0)
                continue;
            snprintf(what, sizeof(what), "%s", kp_asn_class_name((enum kp_asn_class)i));
            put_count(&o, &first, &s->origin[i], what);
        }
    }
    return buf;
}
