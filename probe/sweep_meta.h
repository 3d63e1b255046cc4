/* sweep_meta.h — DIR/sweep.json, the description of one sweep (format in
 * docs/format.md). Built from the options and the engine's counters; pure
 * formatting into a malloc'ed string. Owner: prober edges. */
#ifndef KP_SWEEP_META_H
#define KP_SWEEP_META_H

#include <stdint.h>

#include "probe/addr.h"
#include "probe/engine.h"
#include "probe/options.h"

struct kp_sweep_meta {
    const struct kp_options *opt;
    const struct kp_engine_stats *st;
    const char *status; /* "running", "complete", "interrupted", "error" */
    const char *error;  /* message when status is "error", else NULL */
    struct kp_addr src;
    const char *iface;
    uint64_t seed;
    uint64_t traces_written;  /* lines written to traces.jsonl */
    uint64_t hops_written;    /* hops in those lines */
    uint64_t write_errors;    /* records that could not be written */
    int64_t start_ns, end_ns; /* 0 = not yet */
};

/* Pretty-printed JSON object with a trailing newline. 0 with *out malloc'ed
 * (caller frees), or -ENOMEM. */
int kp_sweep_meta_json(const struct kp_sweep_meta *m, char **out);

#endif
