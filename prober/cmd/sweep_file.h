/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_file.h — DIR/sweep.json of `kptrace sweep`, written safely. */
#ifndef KP_SWEEP_FILE_H
#define KP_SWEEP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "prober/cmd/sweep_meta.h"
#include "prober/sys/privdrop.h"

/* sweep.json, safely: the text goes to DIR/sweep.json.tmp first (its
 * descriptor opened before privdrop), is flushed to disk and renamed over
 * DIR/sweep.json. DIR is handed to the user kptrace drops to when kptrace
 * created it (privdrop.h), so the last rename works after the drop and no
 * sweep.json.tmp is left. When the rename is refused (a directory kptrace
 * did not hand over), sweep.json is rewritten in place and sweep.json.tmp
 * stays as a complete copy (--resume falls back to it if sweep.json is
 * cut).
 *
 * Both hold the seed of the identity key (options.seed): mode 0600 while
 * the sweep runs, whatever the umask, owned by the user kptrace drops to
 * (so that it can change the mode at the end); the mode the umask gives
 * (0666 less it) once the sweep is complete. A sweep that ends otherwise
 * keeps 0600, as `--resume` probes again with the same key. */
struct meta_out {
    char path[4096], tmp_path[4112];
    FILE *f;   /* DIR/sweep.json */
    FILE *tmp; /* DIR/sweep.json.tmp */
    bool tmp_written;
    bool last; /* the sweep's last version: no next tmp after it */
    bool give; /* fchown the files to uid:gid (root drops to --user) */
    uid_t uid;
    gid_t gid;
    mode_t done_mode; /* a complete sweep's: 0666 less the umask */
};

/* sweep.json created (or, resumed, opened) and sweep.json.tmp, both 0600
 * and given to od's --user when root drops to it. 0, or -1 with err set. */
int open_meta(struct meta_out *mo, const char *dir, bool create, const struct kp_outdir *od,
              char *err, size_t errlen);
/* Write the sweep's metadata m (merged into prior, a resumed sweep's
 * sweep.json, when not NULL). 0 or a negative errno. */
int write_meta(struct meta_out *mo, const struct kp_sweep_meta *m, const char *prior,
               size_t prior_len, uint64_t file_traces, uint64_t file_hops);
/* A complete sweep's files get the mode the umask gives. */
void meta_publish(const struct meta_out *mo);

#endif
