/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_run.h — kpannotate's run, once its command line is parsed: load
 * the IP-to-AS sources, read the inputs as streams, decide each trace, and
 * write the annotated lines, summary, graph and statistics. It reports on
 * standard error as it goes. See docs/kpannotate.md. */
#ifndef KP_ANNOTATE_RUN_H
#define KP_ANNOTATE_RUN_H

#include "annotator/cmd/annotate_options.h"

/* Run kpannotate as configured by o. Returns the exit status (kpannotate(1)):
 * 0 all read and decided; 1 some records, source lines or lookups failed; 3
 * an input, source or output failed; 4 the counts do not reconcile. */
int kp_annotate_run(const struct kp_annotate_options *o);

#endif
