/* SPDX-License-Identifier: BSD-2-Clause */
/* trace_asn.h — the AS of every hop and the transit verdict under
 * `kptrace trace`'s table, like `traceroute -A` or `mtr -z`, for the one-off
 * user: the IP-to-AS source options (--pfx2as, --rib, --mmdb, with
 * --keep-special and --target-as; the meaning of kpannotate's -p, -r, -m,
 * --keep-special and --target), loading the sources before anything is
 * sent, and one trace's annotation with kpannotate's own code
 * (sources/annotate.h), Doubletree stitching included.
 *
 * An edge of the program: loading reads files and may print what a table
 * dropped on standard error; nothing here exits.
 */
#ifndef KP_TRACE_ASN_H
#define KP_TRACE_ASN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/trace.h"

#define KP_ASN_OPT_MAX_SOURCES 16
#define KP_ASN_OPT_MAX_TARGETS 64

enum kp_asn_src_kind { KP_ASN_SRC_PFX2AS, KP_ASN_SRC_RIB, KP_ASN_SRC_MMDB };

/* The options, as given. Paths are borrowed from argv. All zero: no source. */
struct kp_asn_opts {
    struct {
        enum kp_asn_src_kind kind;
        const char *path;
    } src[KP_ASN_OPT_MAX_SOURCES]; /* in command-line order: the precedence */
    size_t n_src;
    uint32_t keep; /* --keep-special: KP_KEEP_* bits (core/asmap/route_filter.h) */
    bool keep_set;
    uint32_t targets[KP_ASN_OPT_MAX_TARGETS]; /* --target-as; none: AS131279 */
    size_t n_targets;
};

/* One option of this module: name is "--pfx2as", "--rib", "--mmdb",
 * "--keep-special" or "--target-as", arg its value. Returns 0, or -EINVAL
 * with a message naming the option in err. */
int kp_asn_opts_parse(struct kp_asn_opts *a, const char *name, const char *arg, char *err,
                      size_t errlen);

struct kp_trace_asn; /* the loaded sources, the verdict's configuration, the stitch index */

/* Load the sources of *a in order (prefix2as and bgpdump -m files, plain or
 * gzip; MaxMind DB files). doubletree: the run uses Doubletree, so traces are
 * stitched as kpannotate stitches them. quiet: say nothing of what the
 * tables dropped unless a table gave nothing at all. Returns 0 with *out
 * (NULL when *a has no source), or a negative errno with "FILE:LINE: why"
 * or "FILE: why" in err; nothing is half-loaded. */
int kp_trace_asn_load(const struct kp_asn_opts *a, bool doubletree, bool quiet,
                      struct kp_trace_asn **out, char *err, size_t errlen);

/* Annotate trace t (sorted first, kp_trace_sort) and decide its transit as
 * kpannotate does, then write the traceroute -A table (kp_output_text_asn,
 * without header) into *table and the verdict line (kp_output_transit, no
 * newline) into *verdict, both malloc'ed. Traces are remembered for the
 * stitching of later Doubletree traces. Returns 0, -EINVAL or -ENOMEM. */
int kp_trace_asn_text(struct kp_trace_asn *x, struct kp_trace *t, char **table, char **verdict);

void kp_trace_asn_free(struct kp_trace_asn *x);

#endif
