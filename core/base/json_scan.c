/* SPDX-License-Identifier: BSD-2-Clause */
/* json_scan.c — the one-pass JSON lexer of the fast record readers. See
 * json_scan.h. Pure: no I/O, no globals. */
#include "core/base/json_scan.h"

#include <string.h>

#include "core/base/json_num.h"

#define DECLINE KP_JSCAN_DECLINE

/* How deep kp_jscan_skip follows nested values (jansson allows 2048; a
 * record of the kinds read here is never deeper than a few levels). */
#define SKIP_DEPTH 32

void kp_jscan_ws(struct kp_jscan *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

bool kp_jscan_eat(struct kp_jscan *c, char ch)
{
    kp_jscan_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string without escapes, control characters or bytes >= 0x80; c->p is
 * at the opening quote. */
static int str(struct kp_jscan *c, const char **s, size_t *n)
{
    const char *q = ++c->p;
    while (q < c->end) {
        unsigned char u = (unsigned char)*q;
        if (u == '"') {
            *s = c->p;
            *n = (size_t)(q - c->p);
            c->p = q + 1;
            return 0;
        }
        if (u < 0x20 || u >= 0x80 || u == '\\')
            return DECLINE;
        q++;
    }
    return DECLINE;
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool digit(const struct kp_jscan *c, const char *q)
{
    return q < c->end && *q >= '0' && *q <= '9';
}

/* The fraction of a real whose integer part (sig significant digits, in m)
 * ends at q, at the '.'. */
static int real(struct kp_jscan *c, const char *q, bool neg, uint64_t m, int sig, struct kp_jval *v)
{
    q++;
    if (!digit(c, q))
        return DECLINE;
    int k = 0;
    while (digit(c, q)) {
        if (sig > 0 || *q != '0') {
            if (sig < 19)
                m = m * 10 + (uint64_t)(*q - '0');
            sig++;
        }
        k++;
        q++;
    }
    if (q < c->end && (*q == 'e' || *q == 'E'))
        return DECLINE;
    if (sig > 15 || k > 22 || m > (UINT64_C(1) << 53))
        return DECLINE;
    double d = (double)m / pow10_tab[k];
    v->kind = KP_JV_REAL;
    v->d = neg ? -d : d;
    v->s = c->p;
    v->n = (size_t)(q - c->p);
    c->p = q;
    return 0;
}

/* A JSON number (RFC 8259 grammar, as jansson lexes it). Integers are left
 * as text, checked to fit int64 (jansson refuses the whole text otherwise);
 * reals are converted when that is exact. */
static int number(struct kp_jscan *c, struct kp_jval *v)
{
    const char *q = c->p;
    bool neg = false;
    if (*q == '-') {
        neg = true;
        q++;
    }
    if (!digit(c, q))
        return DECLINE;
    uint64_t m = 0;
    int sig = 0; /* significant digits in m */
    if (*q == '0') {
        q++;
        if (digit(c, q))
            return DECLINE; /* leading zero: jansson refuses the text */
    } else {
        while (digit(c, q)) {
            if (sig < 19)
                m = m * 10 + (uint64_t)(*q - '0');
            sig++;
            q++;
        }
    }
    if (q < c->end && (*q == 'e' || *q == 'E'))
        return DECLINE;
    if (q < c->end && *q == '.')
        return real(c, q, neg, m, sig, v);
    int64_t x;
    if (kp_num_parse_i64(c->p, (size_t)(q - c->p), INT64_MIN, INT64_MAX, &x) != 0)
        return DECLINE;
    v->kind = KP_JV_INT;
    v->s = c->p;
    v->n = (size_t)(q - c->p);
    c->p = q;
    return 0;
}

static bool lit(struct kp_jscan *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return false;
    c->p += n;
    return true;
}

int kp_jscan_value(struct kp_jscan *c, struct kp_jval *v)
{
    kp_jscan_ws(c);
    if (c->p >= c->end)
        return DECLINE;
    switch (*c->p) {
    case '"':
        v->kind = KP_JV_STR;
        return str(c, &v->s, &v->n);
    case '{':
        c->p++;
        v->kind = KP_JV_OBJ;
        return 0;
    case '[':
        c->p++;
        v->kind = KP_JV_ARR;
        return 0;
    case 'n':
        v->kind = KP_JV_NULL;
        return lit(c, "null", 4) ? 0 : DECLINE;
    case 't':
        v->kind = KP_JV_TRUE;
        return lit(c, "true", 4) ? 0 : DECLINE;
    case 'f':
        v->kind = KP_JV_FALSE;
        return lit(c, "false", 5) ? 0 : DECLINE;
    default:
        return number(c, v);
    }
}

static int skip_depth(struct kp_jscan *c, const struct kp_jval *v, int depth);

/* The members of an opened object or elements of an opened array, to the
 * closing bracket. */
static int skip_members(struct kp_jscan *c, bool obj, int depth)
{
    char close = obj ? '}' : ']';
    if (kp_jscan_eat(c, close))
        return 0;
    for (;;) {
        struct kp_jval v;
        if (obj) {
            const char *k;
            size_t kn;
            kp_jscan_ws(c);
            if (c->p >= c->end || *c->p != '"' || str(c, &k, &kn) != 0 || !kp_jscan_eat(c, ':'))
                return DECLINE;
        }
        if (kp_jscan_value(c, &v) != 0 || skip_depth(c, &v, depth + 1) != 0)
            return DECLINE;
        if (kp_jscan_eat(c, ','))
            continue;
        return kp_jscan_eat(c, close) ? 0 : DECLINE;
    }
}

static int skip_depth(struct kp_jscan *c, const struct kp_jval *v, int depth)
{
    if (v->kind != KP_JV_OBJ && v->kind != KP_JV_ARR)
        return 0;
    if (depth >= SKIP_DEPTH)
        return DECLINE;
    return skip_members(c, v->kind == KP_JV_OBJ, depth);
}

int kp_jscan_skip(struct kp_jscan *c, const struct kp_jval *v)
{
    return skip_depth(c, v, 0);
}

/* The index of key (k, kn) in the list of nkeys, or -1. *next is where the
 * search starts (the key after the previous one: writers keep their keys in
 * one order) and is updated. */
static int key_index(const char *const *keys, int nkeys, int *next, const char *k, size_t kn)
{
    for (int j = 0; j < nkeys; j++) {
        int i = (*next + j) % nkeys;
        if (keys[i][0] == k[0] && strlen(keys[i]) == kn && memcmp(keys[i], k, kn) == 0) {
            *next = i + 1;
            return i;
        }
    }
    return -1;
}

int kp_jscan_field(struct kp_jscan *c, struct kp_jobj *o, const char *const *keys, int nkeys,
                   bool others, struct kp_jval *v)
{
    kp_jscan_ws(c);
    if (c->p >= c->end)
        return DECLINE;
    if (*c->p == '}') {
        c->p++;
        return KP_JSCAN_END; /* (after a ',' the '"' test below refuses it) */
    }
    if (!o->first) {
        if (*c->p != ',')
            return DECLINE;
        c->p++;
        kp_jscan_ws(c);
        if (c->p >= c->end)
            return DECLINE;
    }
    if (*c->p != '"')
        return DECLINE;
    const char *k;
    size_t kn;
    if (str(c, &k, &kn) != 0 || !kp_jscan_eat(c, ':'))
        return DECLINE;
    o->first = false;
    int i = kn ? key_index(keys, nkeys, &o->next, k, kn) : -1;
    if (i < 0 && !others)
        return DECLINE;
    if (i >= 0 && (o->seen & (1u << i)))
        return DECLINE;
    if (i >= 0)
        o->seen |= 1u << i;
    int rc = kp_jscan_value(c, v);
    return rc ? rc : (i >= 0 ? i : KP_JSCAN_OTHER);
}

int kp_jscan_int(const struct kp_jval *v, int64_t lo, int64_t hi, bool allow_real, int64_t *out)
{
    if (v->kind == KP_JV_NULL)
        return -ENOENT;
    if (v->kind == KP_JV_INT)
        return kp_num_parse_i64(v->s, v->n, lo, hi, out) == 0 ? 0 : DECLINE;
    if (v->kind == KP_JV_REAL && allow_real)
        return kp_num_double_to_i64(v->d, lo, hi, out) == 0 ? 0 : DECLINE;
    return DECLINE;
}

int kp_jscan_double(const struct kp_jval *v, double lo, double hi, double *out)
{
    if (v->kind == KP_JV_NULL)
        return -ENOENT;
    double d = v->d;
    if (v->kind == KP_JV_INT) {
        int64_t x;
        if (kp_num_parse_i64(v->s, v->n, INT64_MIN, INT64_MAX, &x) != 0)
            return DECLINE;
        d = (double)x; /* as kp_json_double converts a JSON integer */
    } else if (v->kind != KP_JV_REAL) {
        return DECLINE;
    }
    return kp_num_double_in(d, lo, hi, out) == 0 ? 0 : DECLINE;
}
