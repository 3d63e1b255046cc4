/* SPDX-License-Identifier: BSD-2-Clause */
/* cymru_parse.c — Team Cymru DNS query names and strict TXT validation. Pure.
 *
 * Origin:  "ASN[ ASN...] | prefix | CC | registry | date"
 * AS name: "ASN | CC | registry | date | name"
 * (CC, registry and date may be empty.) Every field is checked; anything
 * else — an SPF record, HTML, a truncated string — is rejected. */
#include "core/asmap/cymru_parse.h"
#include "core/asmap/asn_num.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TXT_MAX 1024

int kp_cymru_origin_qname(const struct kp_addr *a, char *buf, size_t buflen)
{
    int n;
    if (a == NULL)
        return -EINVAL;
    if (a->family == 4) {
        n = snprintf(buf, buflen, "%u.%u.%u.%u.origin.asn.cymru.com", a->b[3], a->b[2], a->b[1],
                     a->b[0]);
    } else if (a->family == 6) {
        static const char hex[] = "0123456789abcdef";
        char tmp[80];
        size_t k = 0;
        for (int i = 15; i >= 0; i--) {
            tmp[k++] = hex[a->b[i] & 0xf];
            tmp[k++] = '.';
            tmp[k++] = hex[a->b[i] >> 4];
            tmp[k++] = '.';
        }
        tmp[k] = '\0';
        n = snprintf(buf, buflen, "%sorigin6.asn.cymru.com", tmp);
    } else {
        return -EINVAL;
    }
    return n < 0 || (size_t)n >= buflen ? -ENOSPC : 0;
}

int kp_cymru_asname_qname(uint32_t asn, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "AS%u.asn.cymru.com", asn);
    return n < 0 || (size_t)n >= buflen ? -ENOSPC : 0;
}

struct fld {
    const char *s;
    size_t n;
};

/* Split on '|' into at most max fields, trimming spaces; the last field
 * takes the rest of the string when rest_last. Returns the field count. */
static size_t split(const char *txt, size_t len, struct fld *f, size_t max, bool rest_last)
{
    size_t nf = 0, s = 0;
    for (size_t i = 0; i <= len; i++) {
        bool end = i == len;
        if (!end && txt[i] != '|')
            continue;
        if (!end && rest_last && nf == max - 1)
            continue;
        if (nf == max)
            return max + 1; /* too many */
        size_t a = s, b = i;
        while (a < b && txt[a] == ' ')
            a++;
        while (b > a && txt[b - 1] == ' ')
            b--;
        f[nf].s = txt + a;
        f[nf].n = b - a;
        nf++;
        s = i + 1;
    }
    return nf;
}

static int copy_cc(const struct fld *f, char *out)
{
    out[0] = '\0';
    if (f->n == 0)
        return 0;
    if (f->n != 2)
        return -EINVAL;
    for (size_t i = 0; i < 2; i++)
        if (f->s[i] < 'A' || f->s[i] > 'Z')
            return -EINVAL;
    memcpy(out, f->s, 2);
    out[2] = '\0';
    return 0;
}

static int copy_registry(const struct fld *f, char *out, size_t outlen)
{
    out[0] = '\0';
    if (f->n >= outlen)
        return -EINVAL;
    for (size_t i = 0; i < f->n; i++)
        if (f->s[i] < 'a' || f->s[i] > 'z')
            return -EINVAL;
    memcpy(out, f->s, f->n);
    out[f->n] = '\0';
    return 0;
}

static int copy_date(const struct fld *f, char *out)
{
    out[0] = '\0';
    if (f->n == 0)
        return 0;
    if (f->n != 10 || f->s[4] != '-' || f->s[7] != '-')
        return -EINVAL;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (f->s[i] < '0' || f->s[i] > '9'))
            return -EINVAL;
    memcpy(out, f->s, 10);
    out[10] = '\0';
    return 0;
}

int kp_cymru_parse_origin(const char *txt, size_t len, struct kp_cymru_origin *out,
                          const char **why)
{
    static const char *dummy;
    if (why == NULL)
        why = &dummy;
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > TXT_MAX) {
        *why = "empty or over-long TXT";
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)txt[i] < 0x20 || (unsigned char)txt[i] >= 0x7f) {
            *why = "control or non-ASCII byte in origin TXT";
            return -EINVAL;
        }
    }
    struct fld f[5];
    if (split(txt, len, f, 5, false) != 5) {
        *why = "origin TXT does not have 5 '|'-separated fields";
        return -EINVAL;
    }
    /* field 1: one or more AS numbers separated by spaces */
    size_t i = 0;
    while (i < f[0].n) {
        size_t s = i;
        while (i < f[0].n && f[0].s[i] != ' ')
            i++;
        uint32_t asn;
        if (kp_asn_parse(f[0].s + s, i - s, 0, &asn) != 0) {
            *why = "bad AS number in origin TXT";
            return -EINVAL;
        }
        bool dup = false;
        for (unsigned k = 0; k < out->n_asns; k++)
            dup = dup || out->asns[k] == asn;
        if (!dup) {
            if (out->n_asns < KP_ASN_MAX)
                out->asns[out->n_asns++] = asn;
            else
                out->truncated = true;
        }
        while (i < f[0].n && f[0].s[i] == ' ')
            i++;
    }
    if (out->n_asns == 0) {
        *why = "no AS number in origin TXT";
        return -EINVAL;
    }
    char buf[KP_PREFIX_STRLEN + 1];
    if (f[1].n == 0 || f[1].n >= sizeof(buf) || memchr(f[1].s, '/', f[1].n) == NULL) {
        *why = "bad prefix in origin TXT";
        return -EINVAL;
    }
    memcpy(buf, f[1].s, f[1].n);
    buf[f[1].n] = '\0';
    if (kp_prefix_parse(buf, false, &out->prefix) != 0) {
        *why = "bad prefix in origin TXT";
        return -EINVAL;
    }
    if (copy_cc(&f[2], out->cc) != 0) {
        *why = "bad country code in origin TXT";
        return -EINVAL;
    }
    if (copy_registry(&f[3], out->registry, sizeof(out->registry)) != 0) {
        *why = "bad registry in origin TXT";
        return -EINVAL;
    }
    if (copy_date(&f[4], out->date) != 0) {
        *why = "bad date in origin TXT";
        return -EINVAL;
    }
    return 0;
}

bool kp_cymru_origin_matches(const struct kp_cymru_origin *o, const struct kp_addr *a)
{
    return kp_prefix_contains(&o->prefix, a);
}

int kp_cymru_parse_asname(const char *txt, size_t len, struct kp_cymru_asname *out,
                          const char **why)
{
    static const char *dummy;
    if (why == NULL)
        why = &dummy;
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > TXT_MAX) {
        *why = "empty or over-long TXT";
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)txt[i] < 0x20 || txt[i] == 0x7f) {
            *why = "control byte in AS name TXT";
            return -EINVAL;
        }
    }
    struct fld f[5];
    if (split(txt, len, f, 5, true) != 5) {
        *why = "AS name TXT does not have 5 '|'-separated fields";
        return -EINVAL;
    }
    if (kp_asn_parse(f[0].s, f[0].n, 0, &out->asn) != 0) {
        *why = "bad AS number in AS name TXT";
        return -EINVAL;
    }
    if (copy_cc(&f[1], out->cc) != 0) {
        *why = "bad country code in AS name TXT";
        return -EINVAL;
    }
    if (copy_registry(&f[2], out->registry, sizeof(out->registry)) != 0) {
        *why = "bad registry in AS name TXT";
        return -EINVAL;
    }
    if (copy_date(&f[3], out->date) != 0) {
        *why = "bad date in AS name TXT";
        return -EINVAL;
    }
    if (f[4].n == 0) {
        *why = "empty AS name";
        return -EINVAL;
    }
    size_t n = f[4].n < sizeof(out->name) - 1 ? f[4].n : sizeof(out->name) - 1;
    /* do not cut a UTF-8 sequence in half */
    while (n > 0 && n < f[4].n && ((unsigned char)f[4].s[n] & 0xC0) == 0x80)
        n--;
    if (n == 0) {
        *why = "AS name is not text";
        return -EINVAL;
    }
    memcpy(out->name, f[4].s, n);
    out->name[n] = '\0';
    return 0;
}
