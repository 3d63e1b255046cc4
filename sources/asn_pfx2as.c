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
#include <pthread.h>
#include <stdbool.h>
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

/* ---- loading: lines read and parsed by a second thread ---------------------------
 *
 * A big table is about 1.2 M lines. Reading and parsing them, and the route
 * filter's verdict on each (pure), run in a second thread, in blocks handed
 * over in file order; the caller's thread takes the blocks in that order and
 * does the rest as the line-by-line loop did: the notes and errors (same
 * lines, same order; the first bad line of a table still stops it), the
 * filter's counts and the inserts. Only a regular file gets the thread (a
 * pipe could keep it waiting after an error). */

#define PL_BLOCK 2048
#define PL_RING  8

struct pline {
    struct kp_prefix p;
    struct kp_asn_rec rec;
    unsigned long lineno;
    const char *why; /* kp_pfx2as_parse_line's reason when prc < 0 */
    int prc;         /* kp_pfx2as_parse_line's return: 0, 1, or < 0 */
    int drop;        /* prc == 0: the route filter's drop bucket, or -1 (kept) */
    enum kp_asn_class removed;
};

struct pblock {
    struct pline l[PL_BLOCK];
    size_t n;
};

struct ploader {
    struct kp_lines *r;
    const struct kp_route_filter *f;
    struct pblock *ring; /* PL_RING blocks (1 without the thread) */
    bool threaded;
    pthread_t th;
    /* under mu when threaded: blocks filled and taken so far (block i is
     * ring[i % PL_RING]; the caller holds block `taken` while holding), the
     * end of the input (rc: kp_lines_next's last return), stop (the caller
     * needs no more) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t filled, taken;
    bool holding, end, stop;
    int rc;
};

/* Read, parse and filter up to PL_BLOCK lines into b. Returns 1 when there
 * may be more, else kp_lines_next's last return (0 at the end, < 0). */
static int fill_block(struct ploader *ld, struct pblock *b)
{
    b->n = 0;
    const char *line;
    size_t len;
    int rc = 1;
    while (b->n < PL_BLOCK && (rc = kp_lines_next(ld->r, &line, &len)) == 1) {
        struct pline *l = &b->l[b->n++];
        l->prc = kp_pfx2as_parse_line(line, len, &l->p, &l->rec, &l->why);
        l->lineno = kp_lines_lineno(ld->r);
        l->drop = -1;
        l->removed = KP_ASCLASS_PUBLIC;
        if (l->prc != 0)
            continue;
        l->drop = kp_route_filter_prefix(ld->f, &l->p);
        if (l->drop < 0 && kp_route_filter_origins(ld->f, &l->rec, &l->removed) != 0)
            l->drop = KP_DROP_NO_ORIGIN;
    }
    return rc;
}

static void *loader_thread(void *arg)
{
    struct ploader *ld = arg;
    int rc = 1;
    pthread_mutex_lock(&ld->mu);
    while (rc == 1 && !ld->stop) {
        while (!ld->stop && ld->filled - ld->taken == PL_RING)
            pthread_cond_wait(&ld->cv, &ld->mu);
        if (ld->stop)
            break;
        struct pblock *b = &ld->ring[ld->filled % PL_RING];
        pthread_mutex_unlock(&ld->mu);
        rc = fill_block(ld, b);
        pthread_mutex_lock(&ld->mu);
        ld->filled++;
        pthread_cond_broadcast(&ld->cv);
    }
    ld->end = true;
    ld->rc = rc;
    pthread_cond_broadcast(&ld->cv);
    pthread_mutex_unlock(&ld->mu);
    return NULL;
}

/* Start reading r (in the thread when the file is a regular one). 0 or
 * -ENOMEM. */
static int loader_start(struct ploader *ld, struct kp_lines *r, const struct kp_route_filter *f,
                        bool regular)
{
    memset(ld, 0, sizeof(*ld));
    ld->r = r;
    ld->f = f;
    ld->ring = malloc((regular ? PL_RING : 1) * sizeof(*ld->ring));
    if (ld->ring == NULL)
        return -ENOMEM;
    if (!regular || pthread_mutex_init(&ld->mu, NULL) != 0)
        return 0;
    if (pthread_cond_init(&ld->cv, NULL) != 0) {
        pthread_mutex_destroy(&ld->mu);
        return 0;
    }
    ld->threaded = pthread_create(&ld->th, NULL, loader_thread, ld) == 0;
    if (!ld->threaded) {
        pthread_cond_destroy(&ld->cv);
        pthread_mutex_destroy(&ld->mu);
    }
    return 0;
}

/* The next block in file order (the one taken before is given back), or
 * NULL after the last (*rc: how the reading ended, 0 or < 0). */
static struct pblock *loader_next(struct ploader *ld, int *rc)
{
    if (!ld->threaded) {
        struct pblock *b = &ld->ring[0];
        b->n = 0;
        if (!ld->end) {
            int frc = fill_block(ld, b);
            if (frc != 1) {
                ld->end = true;
                ld->rc = frc;
            }
        }
        *rc = ld->rc;
        return b->n > 0 ? b : NULL;
    }
    pthread_mutex_lock(&ld->mu);
    if (ld->holding) {
        ld->taken++;
        ld->holding = false;
        pthread_cond_broadcast(&ld->cv);
    }
    while (ld->filled == ld->taken && !ld->end)
        pthread_cond_wait(&ld->cv, &ld->mu);
    struct pblock *b = NULL;
    if (ld->filled != ld->taken) {
        b = &ld->ring[ld->taken % PL_RING];
        ld->holding = true;
    }
    *rc = ld->rc;
    pthread_mutex_unlock(&ld->mu);
    return b;
}

/* Stop the thread (when there is one) and free the blocks. */
static void loader_stop(struct ploader *ld)
{
    if (ld->threaded) {
        pthread_mutex_lock(&ld->mu);
        ld->stop = true;
        pthread_cond_broadcast(&ld->cv);
        pthread_mutex_unlock(&ld->mu);
        pthread_join(ld->th, NULL);
        pthread_cond_destroy(&ld->cv);
        pthread_mutex_destroy(&ld->mu);
    }
    free(ld->ring);
    ld->ring = NULL;
}

/* One parsed line, as the line-by-line loop took it: 0 (used, dropped or
 * noted), or a fatal error (in err). */
static int take_line(struct kp_trie *t, const char *path, const struct pline *l, bool *first,
                     struct kp_filter_stats *stats, struct kp_load_notes *notes, char *err,
                     size_t errlen)
{
    if (l->prc == 1)
        return 0;
    if (l->prc != 0 && notes != NULL && !*first) {
        notes->skipped++;
        if (notes->note)
            notes->note(notes->ctx, path, l->lineno, l->why);
        return 0;
    }
    *first = false;
    if (l->prc != 0) {
        snprintf(err, errlen, "%s:%lu: %s", path, l->lineno, l->why);
        return -EINVAL;
    }
    /* the route filter (route_filter.h): dropped lines are counted */
    if (l->drop >= 0) {
        kp_filter_count_add(&stats->drop[l->drop], l->lineno, &l->p);
        return 0;
    }
    stats->used++;
    if (l->removed != KP_ASCLASS_PUBLIC)
        kp_filter_count_add(&stats->origin[l->removed], l->lineno, &l->p);
    int rc = kp_trie_insert(t, &l->p, &l->rec);
    if (rc != 0)
        snprintf(err, errlen, "%s:%lu: %s", path, l->lineno, strerror(-rc));
    return rc;
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
    bool regular = false;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && st.st_size > 0) {
        regular = S_ISREG(st.st_mode);
        size_t guess = (size_t)st.st_size / 20;
        if (kp_reader_compression(kp_lines_reader(r)) != KP_COMP_NONE)
            guess *= 4;
        (void)kp_trie_reserve(t, guess < ((size_t)1 << 26) ? guess : (size_t)1 << 26);
    }
    struct ploader ld;
    if (loader_start(&ld, r, f, regular) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
        kp_lines_close(r);
        return -ENOMEM;
    }
    struct pblock *b;
    int lrc = 0;
    while ((b = loader_next(&ld, &rc)) != NULL) {
        for (size_t i = 0; i < b->n && lrc == 0; i++)
            lrc = take_line(t, path, &b->l[i], &first, stats, notes, err, errlen);
        if (lrc != 0)
            break;
    }
    loader_stop(&ld); /* the thread is done with r from here */
    if (lrc != 0) {
        kp_lines_close(r);
        return lrc;
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
