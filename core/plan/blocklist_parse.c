/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist_parse.c — the line syntax of --blocklist-file and
 * --allowlist-file (kp_bl_parse_line, blocklist.h). Pure. */
#include "core/plan/blocklist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* s[0..n) for a message: at most 60 bytes, unprintable bytes as '?'. */
static void quote(char *out, size_t outlen, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && i < 60 && k + 1 < outlen; i++)
        out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (n > 60 && k + 4 < outlen) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

int kp_bl_parse_line(const char *line, size_t len, struct kp_prefix *p, const char **comment,
                     size_t *comment_len, char *why, size_t whylen)
{
    char q[80];
    *comment = line;
    *comment_len = 0;
    if (whylen > 0)
        why[0] = '\0';
    const char *hash = memchr(line, '#', len);
    size_t n = hash ? (size_t)(hash - line) : len;
    if (hash != NULL) {
        const char *c = hash + 1, *e = line + len;
        while (c < e && (blank(*c) || *c == '#'))
            c++;
        while (e > c && blank(e[-1]))
            e--;
        *comment = c;
        *comment_len = (size_t)(e - c);
    }
    size_t a = 0;
    while (a < n && blank(line[a]))
        a++;
    while (n > a && blank(line[n - 1]))
        n--;
    if (a == n)
        return 0;
    const char *tok = line + a;
    size_t tl = n - a;
    quote(q, sizeof(q), tok, tl);
    for (size_t i = 0; i < tl; i++)
        if (blank(tok[i]) || tok[i] == ',') {
            snprintf(why, whylen, "\"%s\": one prefix per line", q);
            return -EINVAL;
        }
    char buf[KP_PREFIX_STRLEN + 2];
    if (memchr(tok, '\0', tl) != NULL || tl >= sizeof(buf)) {
        snprintf(why, whylen, "\"%s\": not a prefix (a.b.c.d/len, x:x::/len or an address)", q);
        return -EINVAL;
    }
    memcpy(buf, tok, tl);
    buf[tl] = '\0';
    if (kp_prefix_parse(buf, false, p) == 0)
        return 1;
    struct kp_prefix lenient;
    if (kp_prefix_parse(buf, true, &lenient) == 0) {
        char s[KP_PREFIX_STRLEN];
        snprintf(why, whylen, "\"%s\": host bits set beyond /%u (%s?)", q, (unsigned)lenient.len,
                 kp_prefix_str(&lenient, s, sizeof(s)));
        return -EINVAL;
    }
    snprintf(why, whylen, "\"%s\": not a prefix (a.b.c.d/len, x:x::/len or an address)", q);
    return -EINVAL;
}
