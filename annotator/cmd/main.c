/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c — kpannotate: map traceroute hops to ASes and decide which transit
 * carries traffic into the target AS (by default North Korea's AS131279).
 *
 * Reads kptrace traces.jsonl, capture files (through io/replay.h), RIPE
 * Atlas and scamper JSON; writes annotated JSON lines, a per-(vp, /24,
 * method, sweep) summary, and a graphviz picture. Never needs root. The
 * command line is parsed in annotate_options.c and run in annotate_run.c;
 * only this file exits. See docs/kpannotate.md.
 */
#include <errno.h>
#include <stdio.h>

#include "annotator/cmd/annotate_options.h"
#include "annotator/cmd/annotate_run.h"

int main(int argc, char **argv)
{
    static struct kp_annotate_options opts;
    int rc = kp_annotate_options_parse(&opts, argc, argv);
    if (rc == -ENOMEM) {
        fputs("kpannotate: out of memory\n", stderr);
        rc = 3;
    } else if (rc != 0) {
        if (opts.error != NULL)
            fprintf(stderr, "kpannotate: %s\n", opts.error);
        fputs("Try 'kpannotate --help'.\n", stderr);
    } else if (opts.action == KP_ANNOTATE_HELP) {
        fputs(kp_annotate_usage, stdout);
    } else if (opts.action == KP_ANNOTATE_VERSION) {
        printf("kpannotate %s\n", KP_VERSION);
    } else {
        rc = kp_annotate_run(&opts);
    }
    kp_annotate_options_free(&opts);
    return rc;
}
