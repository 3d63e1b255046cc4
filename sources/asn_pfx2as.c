/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_pfx2as.c — CAIDA prefix2as files (plain, gzip or bzip2).
 *
 * Format (CAIDA Routeviews Prefix-to-AS): one "prefix<TAB>length<TAB>AS" per
 * line. AS is an AS number, a multi-origin list "a_b" (most seen first) or an
 * AS set "a,b"; the two may mix ("a_b,c"). All origins are kept in order.
 * Lines go through the route filter (route_filter.h) before they are used. */
#include "core/asmap/asmap_int.h"
#include "core/asmap/asn_num.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/reader.h"

/* ---- prefix2as ---------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parse a decimal AS number (asplain, or asdot "a.b") at s[*i..len),
 * advancing *i past it. */
static int parse_asn(const char *s, size_t len, size_t *i, uint32_t *out)
{
    size_t start = *i;
    while (*i < len && ((s[*i] >= '0' && s[*i] <= '9') || s[*i] == '.'))
        (*i)++;
    return kp_asn_parse(s + start, *i - start, KP_ASN_ASDOT_OK, out);
}

int kp_pfx2as_parse_line(const char *line, size_t len, struct kp_prefix *pfx,
                         struct kp_asn_rec *rec, const char **why)
{
    static const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    memset(rec, 0, sizeof(*rec));
    memset(pfx, 0, sizeof(*pfx));
    size_t i = 0;
    while (i < len && is_space(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return 1;

    /* field 1: address */
    char addr[KP_ADDR_STRLEN + 1];
    size_t s = i;
    while (i < len && !is_space(line[i]))
        i++;
    if (i - s == 0 || i - s >= sizeof(addr)) {
        *why = "bad prefix address";
        return -EINVAL;
    }
    memcpy(addr, line + s, i - s);
    addr[i - s] = '\0';
    struct kp_addr a;
    if (kp_addr_parse(addr, &a) != 0) {
        *why = "bad prefix address";
        return -EINVAL;
    }
    if (i == len) {
        *why = "missing prefix length";
        return -EINVAL;
    }
    while (i < len && is_space(line[i]))
        i++;

    /* field 2: length */
    unsigned plen = 0;
    s = i;
    while (i < len && line[i] >= '0' && line[i] <= '9' && i - s < 4) {
        plen = plen * 10 + (unsigned)(line[i] - '0');
        i++;
    }
    if (i == s || (i < len && !is_space(line[i]))) {
        *why = "bad prefix length";
        return -EINVAL;
    }
    if (kp_prefix_make(&a, plen, pfx) != 0) {
        *why = "prefix length out of range";
        return -EINVAL;
    }
    if (memcmp(pfx->addr.b, a.b, 16) != 0) {
        memset(pfx, 0, sizeof(*pfx));
        *why = "host bits set beyond the prefix length";
        return -EINVAL;
    }
    while (i < len && is_space(line[i]))
        i++;
    if (i == len) {
        *why = "missing AS field";
        return -EINVAL;
    }

    /* field 3: AS list: groups separated by '_', members of a set by ',' */
    for (;;) {
        uint32_t asn;
        if (parse_asn(line, len, &i, &asn) != 0) {
            *why = "bad AS number";
            return -EINVAL;
        }
        bool dup = false;
        for (unsigned k = 0; k < rec->n; k++)
            dup = dup || rec->asns[k] == asn;
        if (!dup) {
            if (rec->n < KP_ASN_MAX)
                rec->asns[rec->n++] = asn;
            else
                rec->flags |= KP_ASN_TRUNCATED;
        }
        if (i == len || is_space(line[i]))
            break;
        if (line[i] == '_')
            rec->flags |= KP_ASN_MULTI_ORIGIN;
        else if (line[i] == ',')
            rec->flags |= KP_ASN_SET;
        else {
            *why = "bad character in AS field";
            return -EINVAL;
        }
        i++;
    }
    while (i < len && is_space(line[i]))
        i++;
    if (i != len) {
        *why = "trailing data after the AS field";
        return -EINVAL;
    }
    return 0;
}

int kp_pfx2as_load(struct kp_trie *t, const char *path, const struct kp_route_filter *f,
                   struct kp_filter_stats *stats, struct kp_load_notes *notes, char *err,
                   size_t errlen)
{
    struct kp_filter_stats dummy;
    if (stats == NULL) {
        memset(&dummy, 0, sizeof(dummy));
        stats = &dummy;
    }
    bool first = true;
    int rc;
    struct kp_lines *r = kp_lines_open(path, &rc);
    if (r == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    /* about 20 bytes a line (a gzip table: 4 times that): make room at once */
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && st.st_size > 0) {
        size_t guess = (size_t)st.st_size / 20;
        if (kp_reader_compression(kp_lines_reader(r)) != KP_COMP_NONE)
            guess *= 4;
        (void)kp_trie_reserve(t, guess < ((size_t)1 << 26) ? guess : (size_t)1 << 26);
    }
    const char *line;
    size_t len;
    while ((rc = kp_lines_next(r, &line, &len)) == 1) {
        struct kp_prefix p;
        struct kp_asn_rec rec;
        const char *why;
        int prc = kp_pfx2as_parse_line(line, len, &p, &rec, &why);
        if (prc == 1)
            continue;
        if (prc != 0 && notes != NULL && !first) {
            notes->skipped++;
            if (notes->note)
                notes->note(notes->ctx, path, kp_lines_lineno(r), why);
            continue;
        }
        first = false;
        if (prc != 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(r), why);
            kp_lines_close(r);
            return -EINVAL;
        }
        /* the route filter (route_filter.h): dropped lines are counted */
        unsigned long lineno = kp_lines_lineno(r);
        int drop = kp_route_filter_prefix(f, &p);
        enum kp_asn_class removed = KP_ASCLASS_PUBLIC;
        if (drop < 0 && kp_route_filter_origins(f, &rec, &removed) != 0)
            drop = KP_DROP_NO_ORIGIN;
        if (drop >= 0) {
            kp_filter_count_add(&stats->drop[drop], lineno, &p);
            continue;
        }
        stats->used++;
        if (removed != KP_ASCLASS_PUBLIC)
            kp_filter_count_add(&stats->origin[removed], lineno, &p);
        rc = kp_trie_insert(t, &p, &rec);
        if (rc != 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(r), strerror(-rc));
            kp_lines_close(r);
            return rc;
        }
    }
    if (rc < 0) {
        struct kp_reader *rd = kp_lines_reader(r);
        if (kp_reader_status(rd) == -EINVAL)
            snprintf(err, errlen, "%s:%lu: %s data corrupt or cut short (at compressed byte %llu)",
                     path, kp_lines_lineno(r) + 1, kp_compression_name(kp_reader_compression(rd)),
                     (unsigned long long)kp_reader_error_offset(rd));
        else
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(r) + 1,
                     rc == -EIO ? "read error" : strerror(-rc));
    }
    kp_lines_close(r);
    return rc < 0 ? rc : 0;
}
