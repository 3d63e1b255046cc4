/* SPDX-License-Identifier: BSD-2-Clause */
/* output_text.c — traceroute-like table. See output.h. */
#include "core/output/output.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct kp_hop *find_hop(const struct kp_trace *t, unsigned ttl, unsigned attempt)
{
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (h->ttl == ttl && h->attempt == attempt && !(h->flags & KP_HOP_DUP))
            return h;
    }
    return NULL;
}

/* " [AS4837]", " [AS4837/AS9929]" or " [*]": the AS label of traceroute -A. */
static void print_asn(FILE *f, const struct kp_hop_annot *a)
{
    if (a->asn == 0) {
        fputs(" [*]", f);
        return;
    }
    fprintf(f, " [AS%u", a->asn);
    for (unsigned i = 1; i < a->n_origins && i < KP_ANNOT_MAX_ORIGINS; i++)
        fprintf(f, "/AS%u", a->origins[i]);
    fputc(']', f);
}

int kp_output_text(const struct kp_trace *t, unsigned flags, char **out)
{
    return kp_output_text_asn(t, NULL, flags, out);
}

int kp_output_text_asn(const struct kp_trace *t, const struct kp_hop_annot *ann, unsigned flags,
                       char **out)
{
    char *buf = NULL;
    size_t len = 0;
    char a[KP_ADDR_STRLEN], d[KP_ADDR_STRLEN];
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return -ENOMEM;

    unsigned first = t->first_ttl, last = t->stop_ttl, ncol = t->attempts;
    unsigned min_seen = 255, max_attempt = 0, min_probed = 0;
    for (size_t i = 0; i < t->n_hops; i++) {
        const struct kp_hop *h = &t->hops[i];
        if (h->ttl > last)
            last = h->ttl;
        if (h->ttl < min_seen)
            min_seen = h->ttl;
        if (h->attempt > max_attempt)
            max_attempt = h->attempt;
    }
    if (first == 0)
        first = min_seen < 255 ? min_seen : 1;
    /* Replies beyond the TTL where the trace stopped (probes already in
     * flight with --window > 1) stay in the record but are not printed, as
     * traceroute stops there. */
    if (t->stop_ttl && t->stop_reason >= KP_STOP_COMPLETED &&
        t->stop_reason <= KP_STOP_UNREACH_OTHER)
        last = t->stop_ttl;
    if (ncol == 0)
        ncol = max_attempt + 1;
    for (unsigned ttl = 1; t->probed_known && ttl < 256 && min_probed == 0; ttl++)
        if (kp_trace_probed(t, ttl))
            min_probed = ttl;

    if (flags & KP_TEXT_HEADER) {
        kp_addr_str(&t->dst, d, sizeof(d));
        fprintf(f, "traceroute to %s (%s)", t->dst_name[0] ? t->dst_name : d, d);
        if (t->max_ttl)
            fprintf(f, ", %u hops max", t->max_ttl);
        if (t->n_hops && t->hops[0].probe_size)
            fprintf(f, ", %u byte packets", t->hops[0].probe_size);
        fputc('\n', f);
    }
    for (unsigned ttl = first; ttl <= last && ttl <= 255; ttl++) {
        fprintf(f, "%2u ", ttl);
        const struct kp_hop *prev = NULL;
        /* The tracer stops retrying a TTL once it answered: columns are the
         * attempts up to the last one answered, or all of them when silent. */
        unsigned cols = 0;
        for (size_t i = 0; i < t->n_hops; i++)
            if (t->hops[i].ttl == ttl && t->hops[i].attempt + 1u > cols)
                cols = t->hops[i].attempt + 1u;
        if (cols == 0 && !kp_trace_probed(t, ttl)) {
            /* not '*': that means probed, no answer */
            fputs(" not probed", f);
            if (flags & KP_TEXT_DOUBLETREE)
                fputs(ttl < min_probed ? " (Doubletree: below a hop an earlier trace passed)"
                                       : " (Doubletree: silent in the /24's first trace)",
                      f);
            fputc('\n', f);
            continue;
        }
        if (cols == 0)
            cols = ncol;
        for (unsigned at = 0; at < cols; at++) {
            const struct kp_hop *h = find_hop(t, ttl, at);
            if (h == NULL) {
                fputs(" *", f);
                prev = NULL; /* traceroute compares with the previous probe */
                continue;
            }
            if (prev == NULL || !kp_addr_eq(&prev->addr, &h->addr)) {
                fprintf(f, " %s", kp_addr_str(&h->addr, a, sizeof(a)));
                if (ann != NULL)
                    print_asn(f, &ann[h - t->hops]);
            }
            prev = h;
            if (h->rtt_ms >= 0)
                fprintf(f, "  %.3f ms", h->rtt_ms);
            const char *bang = kp_hop_bang(h);
            if (bang[0])
                fprintf(f, " %s", bang);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}
