/* SPDX-License-Identifier: BSD-2-Clause */
/* input.h — kpannotate's inputs: kind detection and the RIPE Atlas and
 * scamper JSON readers (kptrace JSONL is read by core/record/trace_json.h, capture
 * files by replay).
 *
 * The readers take bytes in memory, or a stream (io/reader.h) one
 * record at a time, and hand every trace they build to a sink callback; no
 * globals. Errors name the
 * 1-based line of the input where the offending record starts (or where the
 * JSON syntax error is) and the field, through the sink's error callback, and
 * reading goes on with the next record.
 */
#ifndef KP_INPUT_H
#define KP_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/record/trace.h"

enum kp_input_kind {
    KP_INPUT_UNKNOWN = 0,
    KP_INPUT_KPTRACE, /* "kptrace": kptrace traces.jsonl (one kp_trace per line) */
    KP_INPUT_ATLAS,   /* "atlas": RIPE Atlas traceroute results (array or per line) */
    KP_INPUT_SCAMPER, /* "scamper": scamper JSON (sc_warts2json, scamper -O json) */
    KP_INPUT_PCAP,    /* "pcap": libpcap capture file */
    KP_INPUT_PCAPNG,  /* "pcapng": pcapng capture file */
    KP_INPUT_KIND_COUNT
};

/* Name of a kind ("kptrace", "atlas", "scamper", "pcap", "pcapng", "unknown"),
 * and the kind for a name (UNKNOWN when none; "auto" is also UNKNOWN). */
const char *kp_input_kind_name(enum kp_input_kind k);
enum kp_input_kind kp_input_kind_from_name(const char *s);

/* Guess the kind of an input from its first bytes (pass at least the first
 * few kilobytes; more is fine). Capture files by magic number; JSON by the
 * keys of the first object: "type" (scamper), "msm_id"/"prb_id"/"fw"
 * (Atlas), "hops" with kptrace's keys (kptrace). A leading '[' means an Atlas
 * array. Returns KP_INPUT_UNKNOWN when nothing fits. Pure. */
enum kp_input_kind kp_input_detect(const uint8_t *buf, size_t len);

/* Where readers deliver traces and errors.
 *   trace: called with a complete trace and the line its record starts on.
 *          The reader frees *t after the call; to keep it, copy it
 *          (kp_trace_copy) or move it (struct copy, then kp_trace_init(t)).
 *          A negative return stops reading and is returned by the reader.
 *   error: called for every bad record (it is skipped) with the line, the
 *          field ("" when the record as a whole is wrong) and a message.
 *          May be NULL. */
struct kp_input_sink {
    int (*trace)(void *ctx, struct kp_trace *t, unsigned long line);
    void (*error)(void *ctx, unsigned long line, const char *field, const char *msg);
    void *ctx;
};

/* Records a reader skips although they are well formed, because they are
 * not usable traceroutes: a scamper ping or tracelb, an Atlas result of
 * another type, an Atlas measurement that failed on the probe before it had
 * a destination, a firmware-1 text result. Not errors: they do not change a
 * reader's return value. n counts them; note (may be NULL) is called for
 * each with its 1-based line and what it is ("scamper ping", "atlas: name
 * resolution failed: ..."). The caller owns the struct. */
struct kp_input_skips {
    void (*note)(void *ctx, unsigned long line, const char *what);
    void *ctx;
    unsigned long n;
};

/* What a reader made of an input, record by record: every record framed
 * (a JSON value, or an element of a top-level array) lands in exactly one of
 * traces (handed to the sink), bad (reported to sink->error), skipped (not a
 * traceroute: counted in the skips) or quiet (bookkeeping read silently:
 * scamper cycle-start/stop/def and list objects). */
struct kp_input_tally {
    unsigned long records, traces, bad, skipped, quiet;
};

struct kp_reader; /* io/reader.h */
struct kp_par;    /* annotator/inputs/input_par.h: worker threads (NULL: none) */

/* Read RIPE Atlas traceroute results: a JSON array of result objects, one
 * object per line, concatenated objects, or a single object. Each result
 * becomes a kp_trace: vp "atlas-<prb_id>", tool "atlas", method from proto
 * and paris_id, meta_msm_id/meta_prb_id, one kp_hop per answered packet
 * ("x":"*" packets are silent and make no hop; "err" sets ICMP unreachable
 * type/code; "late" replies are kept with KP_HOP_LATE but use no attempt;
 * "ittl" is the quoted TTL; "icmpext" MPLS objects become hop labels).
 * Firmware 4400-4459 key names (addr, name, srcaddr, pf, mode, paris-id) are
 * read too. Results that are not traceroutes, firmware-1 text results and
 * measurements that failed before they had a destination are skipped (see
 * kp_atlas_read).
 * Returns 0 when every record was good, -EINVAL when some were skipped (each
 * reported to sink->error), -ENOMEM, or the sink's negative return. */
int kp_atlas_parse(const char *buf, size_t len, const struct kp_input_sink *sink);

/* kp_atlas_parse, also counting (and noting) the skipped records in *skips
 * (NULL: not counted). */
int kp_atlas_read(const char *buf, size_t len, const struct kp_input_sink *sink,
                  struct kp_input_skips *skips);

/* kp_atlas_read from a stream (io/reader.h), one record at a time:
 * memory is one record (a few batches of them with par's workers, which
 * parse and convert them; traces still come in input order), whatever the
 * size of the input. *tally (may be NULL)
 * receives the counts. Returns 0 at the end of the input (bad records were
 * reported and counted), or the error that stopped it: the reader's (-EINVAL
 * corrupt compressed data, -EIO), the sink's, or -ENOMEM. */
int kp_atlas_read_stream(struct kp_reader *r, struct kp_par *par, const struct kp_input_sink *sink,
                         struct kp_input_skips *skips, struct kp_input_tally *tally);

/* Read scamper JSON (one object per line, as sc_warts2json and scamper -O json
 * write it). Objects of type "trace" become kp_traces (tool "scamper",
 * method mapped from scamper's names, one kp_hop per element of "hops",
 * MPLS from "icmpext"); a trace's "monitor", else the "hostname" of the
 * last "cycle-start", names the vp; "cycle-start", "cycle-stop", "cycle-def"
 * and "list" are read silently; every other type (ping, tracelb, dealias,
 * ...) are skipped (see kp_scamper_read). Returns as kp_atlas_parse. */
int kp_scamper_parse(const char *buf, size_t len, const struct kp_input_sink *sink);

/* kp_scamper_parse, also counting (and noting) the skipped records in *skips
 * (NULL: not counted). */
int kp_scamper_read(const char *buf, size_t len, const struct kp_input_sink *sink,
                    struct kp_input_skips *skips);

/* kp_scamper_read from a stream; returns as kp_atlas_read_stream. */
int kp_scamper_read_stream(struct kp_reader *r, struct kp_par *par,
                           const struct kp_input_sink *sink, struct kp_input_skips *skips,
                           struct kp_input_tally *tally);

#endif
