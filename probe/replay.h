/* replay.h — rebuild traceroutes from capture files through the live receive
 * path.
 *
 * kp_replay_files() reads each capture with probe/pcap_file.c and hands every
 * frame, with its own capture timestamp, to one kp_rx (probe/rx.h) configured
 * with kptrace's own probe classifier followed by the foreign ones
 * (probe/classify.h). Closed traces go to the caller's callback as they
 * close, so memory is bounded by the traces open at once, never by the file
 * size. Used by `kptrace replay` (probe/cmd_replay.c) and by kpannotate, which
 * accepts a capture file as input.
 *
 * Library code: no printing, no exit. Owner: replay.
 */
#ifndef KP_REPLAY_H
#define KP_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/rx.h"
#include "probe/trace.h"

struct kp_replay_opts {
    const char *vp; /* vantage point id written into every record; NULL/"" = none */
    /* Classifiers to use, in order; NULL = kp_replay_default_classifiers(). */
    const struct kp_rx_classifier *const *classifiers;
    size_t n_classifiers;
    int64_t linger_ns;      /* rx linger (0 = rx default) */
    size_t max_open_traces; /* 0 = rx default */
};

struct kp_replay_stats {
    uint64_t files;          /* files read (opened as captures) */
    uint64_t files_cut;      /* files that ended in a cut or corrupt record */
    uint64_t frames;         /* frames read */
    uint64_t frames_snapped; /* frames with caplen < wire length (pcap header) */
    uint64_t bytes;          /* captured bytes read */
    uint64_t traces;         /* traces delivered */
    struct kp_rx_stats rx;   /* rx's counters at the end */
};

/* Set *o to defaults (everything 0/NULL). */
void kp_replay_opts_init(struct kp_replay_opts *o);

/* The default classifier list: kptrace's own first, then
 * kp_foreign_classifiers. Returns a pointer to static const data and sets *n. */
const struct kp_rx_classifier *const *kp_replay_default_classifiers(size_t *n);

/* Replay the captures paths[0..n) in order, as one stream (traces may span
 * files, e.g. a capture rotated by tcpdump -C). on_trace is called with each
 * closed trace (see kp_rx_config.on_trace for what it may take); ctx is passed
 * through. *stats (may be NULL) is filled even on error.
 *
 * Returns 0 when every file was read (a file whose end is cut or corrupt still
 * counts as read: its frames up to the damage are used, files_cut counts it
 * and err says where), -ENOENT/-EACCES/... when a file cannot be opened, or
 * -EINVAL when a file is not a capture (err names the file and the offset), or
 * -ENOMEM. Reading stops at the first unreadable file; traces already open
 * are still delivered. err (errlen bytes, KP_PCAP_ERRLEN is enough) holds the
 * last problem met, "" if none. */
int kp_replay_files(const char *const *paths, size_t n, const struct kp_replay_opts *o,
                    void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                    struct kp_replay_stats *stats, char *err, size_t errlen);

/* One file: kp_replay_files(&path, 1, ...). */
int kp_replay_file(const char *path, const struct kp_replay_opts *o,
                   void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                   struct kp_replay_stats *stats, char *err, size_t errlen);

/* Replay an open stream (taken over and closed, also on failure); `name`
 * names it in messages. Same results as kp_replay_file. Used by the fuzz
 * target over fmemopen. */
int kp_replay_stream(FILE *fp, const char *name, const struct kp_replay_opts *o,
                     void (*on_trace)(void *ctx, struct kp_trace *t), void *ctx,
                     struct kp_replay_stats *stats, char *err, size_t errlen);

#endif
