/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_asn.c — hops' ASes and the transit verdict for `kptrace trace`
 * (trace_asn.h). */
#include "prober/cmd/trace_asn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap.h"
#include "core/asmap/asn_num.h"
#include "core/asmap/route_filter.h"
#include "core/base/util.h"
#include "core/output/output.h"
#include "core/verdict/verdict.h"
#include "core/verdict/verdict_stitch.h"
#include "sources/annotate.h"

struct kp_trace_asn {
    struct kp_asmap *map;
    struct kp_verdict_config cfg;
    uint32_t targets[KP_ASN_OPT_MAX_TARGETS];
    struct kp_stitch *stitch; /* with Doubletree, else NULL */
};

/* --target-as ASN[,ASN..]: asplain or asdot, "AS" prefix allowed, not 0
 * (kpannotate's --target). */
static int parse_targets(struct kp_asn_opts *a, const char *arg, char *err, size_t errlen)
{
    const char *p = arg;
    a->n_targets = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        uint32_t asn;
        if (kp_asn_parse(p, n, KP_ASN_PREFIX_OK | KP_ASN_ASDOT_OK, &asn) != 0 || asn == 0)
            return kp_err_set(err, errlen, -EINVAL, "--target-as: '%.*s' is not an AS number",
                              (int)n, p);
        if (a->n_targets == KP_ASN_OPT_MAX_TARGETS)
            return kp_err_set(err, errlen, -EINVAL, "--target-as: more than %d AS numbers",
                              KP_ASN_OPT_MAX_TARGETS);
        a->targets[a->n_targets++] = asn;
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

int kp_asn_opts_parse(struct kp_asn_opts *a, const char *name, const char *arg, char *err,
                      size_t errlen)
{
    if (strcmp(name, "--keep-special") == 0) {
        char bad[80];
        if (kp_route_filter_parse_keep(arg, &a->keep, bad, sizeof(bad)) != 0)
            return kp_err_set(err, errlen, -EINVAL,
                              "--keep-special: no range or AS number class named '%s'", bad);
        a->keep_set = true;
        return 0;
    }
    if (strcmp(name, "--target-as") == 0)
        return parse_targets(a, arg, err, errlen);
    enum kp_asn_src_kind k;
    if (strcmp(name, "--pfx2as") == 0)
        k = KP_ASN_SRC_PFX2AS;
    else if (strcmp(name, "--rib") == 0)
        k = KP_ASN_SRC_RIB;
    else if (strcmp(name, "--mmdb") == 0)
        k = KP_ASN_SRC_MMDB;
    else
        return kp_err_set(err, errlen, -EINVAL, "%s: not an IP-to-AS option", name);
    if (arg[0] == '\0')
        return kp_err_set(err, errlen, -EINVAL, "%s needs a file name", name);
    if (a->n_src == KP_ASN_OPT_MAX_SOURCES)
        return kp_err_set(err, errlen, -EINVAL, "%s: more than %d sources", name,
                          KP_ASN_OPT_MAX_SOURCES);
    a->src[a->n_src].kind = k;
    a->src[a->n_src++].path = arg;
    return 0;
}

/* What a prefix2as or RIB file dropped (docs/asmap.md), on stderr: always
 * when the table gave nothing (a test network's table without
 * --keep-special), else unless quiet. */
static void report_filter(const char *path, const struct kp_filter_stats *st,
                          const struct kp_route_filter *f, bool quiet)
{
    if (kp_filter_stats_dropped(st) == 0 && kp_filter_stats_origin_removed(st) == 0)
        return;
    if (quiet && st->used > 0)
        return;
    char buf[1024];
    fprintf(stderr, "kptrace trace: %s: %s%s\n", path, kp_filter_stats_str(st, f, buf, sizeof(buf)),
            st->used == 0 ? " (nothing used: a test network's table? see --keep-special)" : "");
}

int kp_trace_asn_load(const struct kp_asn_opts *a, bool doubletree, bool quiet,
                      struct kp_trace_asn **out, char *err, size_t errlen)
{
    *out = NULL;
    if (a->n_src == 0)
        return 0;
    struct kp_trace_asn *x = calloc(1, sizeof(*x));
    if (x == NULL || (x->map = kp_asmap_new()) == NULL ||
        (doubletree && kp_stitch_new(&x->stitch) != 0)) {
        kp_trace_asn_free(x);
        return kp_err_set(err, errlen, -ENOMEM, "out of memory loading the IP-to-AS sources");
    }
    kp_verdict_config_default(&x->cfg);
    if (a->n_targets > 0) {
        memcpy(x->targets, a->targets, a->n_targets * sizeof(a->targets[0]));
        x->cfg.targets = x->targets;
        x->cfg.n_targets = a->n_targets;
    }
    struct kp_route_filter f;
    kp_route_filter_default(&f);
    f.keep = a->keep;
    int rc = kp_asmap_set_targets(x->map, x->cfg.targets, x->cfg.n_targets);
    if (rc != 0) {
        kp_trace_asn_free(x);
        return kp_err_set(err, errlen, rc, "--target-as: cannot set the target ASes");
    }
    /* no load notes: a malformed line fails the load, naming file and line */
    kp_asmap_set_filter(x->map, &f);
    for (size_t i = 0; i < a->n_src; i++) {
        const char *path = a->src[i].path;
        char why[KP_ASN_ERR_MAX + 256] = "";
        switch (a->src[i].kind) {
        case KP_ASN_SRC_PFX2AS:
            rc = kp_asmap_add_pfx2as(x->map, path, why, sizeof(why));
            break;
        case KP_ASN_SRC_RIB:
            rc = kp_asmap_add_bgpdump(x->map, path, why, sizeof(why));
            break;
        default:
            rc = kp_asmap_add_mmdb(x->map, path, why, sizeof(why));
            break;
        }
        if (rc != 0) {
            kp_trace_asn_free(x);
            if (why[0] == '\0')
                snprintf(why, sizeof(why), "%s: %s", path, strerror(-rc));
            return kp_err_set(err, errlen, rc, "%s", why);
        }
        if (a->src[i].kind != KP_ASN_SRC_MMDB)
            report_filter(path, kp_asmap_load_stats(x->map), &f, quiet);
    }
    *out = x;
    return 0;
}

int kp_trace_asn_text(struct kp_trace_asn *x, struct kp_trace *t, char **table, char **verdict)
{
    *table = *verdict = NULL;
    if (x == NULL || t == NULL)
        return -EINVAL;
    kp_trace_sort(t);
    struct kp_trace full;
    kp_trace_init(&full);
    size_t nb = 0;
    if (x->stitch != NULL && (kp_stitch_add(x->stitch, t, 0) != 0 ||
                              kp_stitch_prefix(x->stitch, t, 0, &full, &nb) < 0)) {
        kp_trace_free(&full);
        return -ENOMEM;
    }
    const struct kp_trace *dt = nb ? &full : t;
    struct kp_hop_annot *dann = calloc(dt->n_hops ? dt->n_hops : 1, sizeof(*dann));
    struct kp_hop_annot dst;
    struct kp_transit v;
    int rc = dann ? 0 : -ENOMEM;
    if (rc == 0)
        rc = kp_annotate_trace(x->map, &x->cfg, dt, false, dann, &dst, &v);
    if (rc >= 0) {
        kp_verdict_unstitch(&v, nb);
        rc = kp_output_text_asn(t, dann + nb, x->stitch ? KP_TEXT_DOUBLETREE : 0, table);
    }
    if (rc == 0 && (rc = kp_output_transit(t, &v, verdict)) != 0) {
        free(*table);
        *table = NULL;
    }
    free(dann);
    kp_trace_free(&full);
    return rc < 0 ? rc : 0;
}

void kp_trace_asn_free(struct kp_trace_asn *x)
{
    if (x == NULL)
        return;
    kp_asmap_free(x->map);
    kp_stitch_free(x->stitch);
    free(x);
}
