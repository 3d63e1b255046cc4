/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_options.h — kpannotate's command line, parsed into a struct.
 *
 * kp_annotate_options_parse() reads argv with getopt_long and fills struct
 * kp_annotate_options; it never exits and prints nothing (getopt's own
 * diagnostics are off: an unknown or ambiguous option and a missing value
 * are usage errors with our message, like every other). A usage error is
 * returned with its message; main() prints it and exits 2. See
 * man/kpannotate.1.
 */
#ifndef KP_ANNOTATE_OPTIONS_H
#define KP_ANNOTATE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "annotator/inputs/input.h"
#include "core/asmap/asmap.h"
#include "core/asmap/route_filter.h"
#include "core/change/detect.h"
#include "core/output/graph_dot.h"
#include "core/verdict/verdict.h"

#define KP_ANNOTATE_MAX_TARGETS  64
#define KP_ANNOTATE_MAX_TRANSITS 64
#define KP_ANNOTATE_MAX_SOURCES  64

/* kpannotate --help */
extern const char kp_annotate_usage[];

/* What one sweep is in the summary (--sweep). */
enum kp_annotate_sweep {
    KP_SWEEP_INPUT,
    KP_SWEEP_HOUR,
    KP_SWEEP_DAY,
    KP_SWEEP_NONE,
};

/* An IP-to-AS source, in command-line order. */
enum kp_annotate_source_kind {
    KP_SOURCE_PFX2AS,    /* -p FILE */
    KP_SOURCE_RIB,       /* -r FILE */
    KP_SOURCE_MMDB,      /* -m FILE */
    KP_SOURCE_PEERINGDB, /* --peeringdb FILE */
    KP_SOURCE_CYMRU,     /* --cymru (path NULL) */
};

struct kp_annotate_source {
    enum kp_annotate_source_kind kind;
    const char *path; /* borrowed from argv */
};

/* What main does after the parse. */
enum kp_annotate_action {
    KP_ANNOTATE_RUN,
    KP_ANNOTATE_HELP,    /* -h: print kp_annotate_usage, exit 0 */
    KP_ANNOTATE_VERSION, /* -V: print the version, exit 0 */
};

/* The parsed command line. Strings are borrowed from argv. cfg.known points
 * into transits[] (and cfg.targets into targets[] when -t was given): the
 * struct must stay where it was parsed. Free with kp_annotate_options_free. */
struct kp_annotate_options {
    enum kp_annotate_action action;
    const char **files; /* the inputs; {"-"} (standard input) when none */
    size_t n_files;
    enum kp_input_kind force_kind; /* -f; KP_INPUT_UNKNOWN: auto */
    const char *vp;                /* --vp */
    enum kp_annotate_sweep sweep;  /* --sweep */
    const char *output, *graph, *stats_json;
    struct kp_graph_opts graph_opts; /* --graph-hosts; .only points at graph_prefix */
    struct kp_prefix graph_prefix;   /* --graph-prefix */
    const char *changes;             /* --changes FILE, or NULL */
    unsigned change_confirm;         /* --change-confirm; 0: the detector's default */
    bool summary, summary_json, quiet, rdns, have_rib, cymru;
    long threads; /* --threads; -1: as many as processors */
    struct kp_verdict_config cfg;
    uint32_t targets[KP_ANNOTATE_MAX_TARGETS];
    struct kp_as_name transits[KP_ANNOTATE_MAX_TRANSITS];
    char *transit_names[KP_ANNOTATE_MAX_TRANSITS]; /* owned, cfg.n_known of them */
    struct kp_annotate_source sources[KP_ANNOTATE_MAX_SOURCES];
    size_t n_sources;
    struct kp_cymru_opts copts;    /* --cymru-cache */
    const char *dns_server;        /* --dns-server; NULL: the system resolver */
    int dns_timeout;               /* --dns-timeout ms; 0: the default */
    struct kp_route_filter filter; /* --min-prefix-len, --keep-special */
    char *error;                   /* owned: the usage error, or NULL */
};

/* Parse argv (getopt_long from argv[1]; optind is reset first). Returns 0,
 * or 2 for a usage error with its message in o->error (without the
 * "kpannotate: " prefix; NULL only when out of memory).
 * Parsing stops at the first error. Free *o with kp_annotate_options_free
 * in every case. */
int kp_annotate_options_parse(struct kp_annotate_options *o, int argc, char **argv);

void kp_annotate_options_free(struct kp_annotate_options *o);

#endif
