/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c — kpannotate: map traceroute hops to ASes and decide which transit
 * carries traffic into the target AS (by default North Korea's AS131279).
 *
 * Reads kptrace traces.jsonl, capture files (through io/replay.h), RIPE
 * Atlas and scamper JSON; writes annotated JSON lines, a per-(vp, /24,
 * method, sweep) summary, and a graphviz picture. Never needs root. The only
 * place in kpannotate that prints or exits. See docs/kpannotate.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "core/output/annot_json.h"
#include "core/asmap/asn_num.h"
#include "io/decompress.h"
#include "core/asmap/asmap.h"
#include "core/output/graph_dot.h"
#include "annotator/inputs/input.h"
#include "core/asmap/route_filter.h"
#include "annotator/cmd/input_par.h"
#include "io/reader.h"
#include "core/verdict/summary.h"
#include "core/verdict/verdict.h"
#include "core/verdict/verdict_stitch.h"
#include "core/codec/identity.h"
#include "io/replay.h"
#include "core/record/trace_json.h"

#define MAX_TARGETS  64
#define MAX_TRANSITS 64

static const char usage_text[] =
    "Usage: kpannotate [OPTIONS] [FILE...]\n"
    "\n"
    "Map every hop of traceroutes to an AS and decide, per trace, which AS hands\n"
    "the traffic to the target AS (default AS131279, North Korea's Star JV):\n"
    "China Unicom (AS4837), TransTeleCom (AS20485), Intelsat (AS22351) or another.\n"
    "FILEs (or standard input when none, or '-') may be kptrace traces.jsonl,\n"
    "capture files (pcap/pcapng of kptrace, traceroute, mtr or scamper runs),\n"
    "RIPE Atlas traceroute results (a JSON array or one per line) or scamper JSON\n"
    "(sc_warts2json, scamper -O json), plain or compressed with gzip or bzip2.\n"
    "The kind and the compression are detected from the content. Inputs are read\n"
    "as streams: records are decided and written as they come, in constant memory.\n"
    "kpannotate never needs root and never sends a packet, except DNS queries to\n"
    "the server you name when --cymru or --rdns is given.\n"
    "\n"
    "IP-to-AS sources (asked in the order given; the first that knows wins, and\n"
    "every hop records which one answered):\n"
    "  -p, --pfx2as FILE       CAIDA prefix2as table (plain or .gz)\n"
    "  -r, --rib FILE          `bgpdump -m` RIB text: origins, and the control-plane\n"
    "                          upstream of the target per prefix and time, used by\n"
    "                          --summary to flag where packets and BGP disagree\n"
    "  -m, --mmdb FILE         MaxMind GeoLite2-ASN or IPinfo ASN database\n"
    "      --peeringdb FILE    PeeringDB ixpfx JSON: marks IXP addresses\n"
    "      --cymru             ask Team Cymru's DNS interface (origin and AS names)\n"
    "      --dns-server ADDR   DNS server for --cymru/--rdns (ip or ip:port);\n"
    "                          default: the system resolver\n"
    "      --cymru-cache FILE  keep Team Cymru answers between runs\n"
    "      --dns-timeout MS    per-query timeout (default 1500)\n"
    "      --rdns              look up reverse DNS names of hop addresses\n"
    "      --min-prefix-len V4[,V6]\n"
    "                          drop prefix2as and RIB entries shorter than this\n"
    "                          (default 8,16; default routes are always dropped)\n"
    "      --keep-special LIST use these special-purpose ranges and AS numbers\n"
    "                          from prefix2as and RIB files instead of dropping\n"
    "                          them (test networks): private, shared, loopback,\n"
    "                          link-local, multicast, unspecified, reserved,\n"
    "                          documentation, benchmarking, private-asn,\n"
    "                          documentation-asn, reserved-asn, as-trans, all\n"
    "\n"
    "The decision:\n"
    "  -t, --target ASN[,ASN..]  target AS set (default 131279)\n"
    "      --transit ASN=NAME    a transit of interest and its display name\n"
    "                            (repeatable; defaults: 4837=China Unicom,\n"
    "                            20485=TransTeleCom, 22351=Intelsat)\n"
    "      --no-default-transits forget the default transits of interest\n"
    "      --disable NAME[,..]   switch heuristics off: silent-gap, skip-private,\n"
    "                            skip-unannounced, ixp, mpls,\n"
    "                            neighbour-numbered-border, p2p-mate, rtt-jump,\n"
    "                            multi-origin, destination-only,\n"
    "                            per-ttl-multiple-addresses, hidden-handoff,\n"
    "                            doubletree-prefix\n"
    "      --rtt-jump MS         RTT rise into the target noted as evidence (15)\n"
    "\n"
    "Input:\n"
    "  -f, --input-format KIND   auto (default), kptrace, atlas, scamper, pcap,\n"
    "                            pcapng\n"
    "      --vp NAME             vantage point name for every trace read (scamper\n"
    "                            JSON and captures do not carry one)\n"
    "      --sweep MODE          what one sweep is in the summary: input (each\n"
    "                            file; default), hour, day (UTC, from the trace's\n"
    "                            start), none\n"
    "\n"
    "Output (annotated JSON lines go to standard output unless --summary):\n"
    "  -o, --output FILE         write annotated JSON lines to FILE\n"
    "  -s, --summary             print the per-(vp, /24, method, sweep) summary\n"
    "      --summary-format F    text (aligned table, default) or json (lines)\n"
    "  -g, --graph FILE.dot      router-level and AS-level paths for graphviz\n"
    "  -q, --quiet               no statistics on standard error\n"
    "      --stats-json FILE     the run's counts per input (records = decided + bad\n"
    "                            + skipped) and its status as one JSON object\n"
    "      --threads N           threads that parse records and decompress (default:\n"
    "                            one per processor, at most 4; 0: none)\n"
    "  -h, --help                this text;  -V, --version\n"
    "\n"
    "Per trace, \"transit\" has a status: reached (the target answered; asn is the\n"
    "AS of the last hop before it), filtered (ended with admin-prohibited at asn),\n"
    "incomplete (never reached the target; asn is the last AS seen) or\n"
    "undetermined; a confidence 0..1; and the evidence: hop indices, the source\n"
    "of the AS, and the heuristics that fired.\n"
    "\n"
    "Examples:\n"
    "  kpannotate -p pfx2as.txt -s sweep/traces.jsonl\n"
    "  kpannotate -p pfx2as.txt -r rib.txt -s --summary-format json atlas.json\n"
    "  kpannotate --cymru --dns-server 198.18.53.53 -o annotated.jsonl trace.pcap\n"
    "  kpannotate -p pfx2as.txt -g paths.dot traces.jsonl && dot -Tsvg paths.dot\n"
    "\n"
    "Exit status: 0 all read and decided; 1 some input records, source lines or\n"
    "lookups failed (everything else was still processed; standard error says\n"
    "what); 2 usage;\n"
    "3 an input or source could not be read to its end (what came before was\n"
    "decided and written) or the output could not be written; 4 the counts do not\n"
    "reconcile (records read != decided + bad + skipped: a bug, please report it).\n"
    "See kpannotate(1), docs/kpannotate.md, and docs/format-annotated.md for the\n"
    "output format.\n";

enum sweep_mode { SWEEP_INPUT, SWEEP_HOUR, SWEEP_DAY, SWEEP_NONE };

struct item {
    struct kp_trace t;
    char sweep[KP_SWEEP_LEN];
    unsigned long line;
    int file; /* index into opts.files */
    enum kp_input_kind kind;
};

/* What was read from one input, for the reconciliation at the end: every
 * record read is decided, bad or skipped (bookkeeping records apart). */
struct input_count {
    unsigned long
        records;          /* framed by the reader (JSON records, non-blank lines, rebuilt traces) */
    unsigned long quiet;  /* bookkeeping records (scamper cycle-start, ...) */
    unsigned long traces; /* traces handed over by the reader */
    unsigned long decided, bad, skipped;
    enum kp_input_kind kind;
    enum kp_compression comp;
    bool failed; /* could not be read to its end */
    char error[256];
};

struct app {
    /* options */
    const char **files;
    size_t n_files;
    enum kp_input_kind force_kind;
    const char *vp;
    enum sweep_mode sweep;
    const char *output, *graph, *stats_json;
    bool summary, summary_json, quiet, rdns, have_rib, cymru;
    struct kp_verdict_config cfg;
    uint32_t targets[MAX_TARGETS];
    struct kp_as_name transits[MAX_TRANSITS];
    char *transit_names[MAX_TRANSITS];
    /* state */
    struct kp_asmap *map;
    struct item *items;
    size_t n_items, cap_items;
    int cur_file;
    enum kp_input_kind cur_kind;
    struct input_count *counts; /* per input file */
    struct kp_par *par;         /* parsing workers (--threads) */
    long threads;               /* -1: as many as processors */
    unsigned long bad_records, failed_lookups;
    unsigned long skipped_records, skip_notes; /* skip_notes: in the current file */
    struct kp_load_notes source_notes;         /* malformed prefix2as / RIB lines */
    unsigned long source_notes_here;           /* ... noted for the current source */
    /* output, filled chunk by chunk (see process_chunk) */
    FILE *jout; /* annotated JSON lines, or NULL */
    struct kp_summary *sum;
    struct kp_graph *graph_acc; /* when --graph */
    struct kp_stitch *stitch;   /* Doubletree prefixes, kept across chunks */
    unsigned long per_status[KP_TRANSIT_STATUS_COUNT];
    size_t n_done;  /* traces decided so far */
    int out_status; /* 1: a trace could not be written as JSON */
    int fatal;      /* -ENOMEM or -EIO (output): stop reading */
};

/* Traces are decided in chunks of this many, so memory is bounded by a chunk
 * (plus the summary and graph), not by the size of the inputs; each chunk's
 * DNS lookups still go out at once. */
#define CHUNK_TRACES 8192

static int process_chunk(struct app *a);
static int prefetch_chunk(struct app *a);
static int decide_chunk(struct app *a);

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kpannotate: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *file_name(const struct app *a, int i)
{
    return a->files[i];
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The sweep label of a trace read from file index fi. */
static void sweep_label(const struct app *a, const struct kp_trace *t, int fi, char *out,
                        size_t len)
{
    out[0] = '\0';
    switch (a->sweep) {
    case SWEEP_NONE:
        return;
    case SWEEP_HOUR:
    case SWEEP_DAY: {
        if (t->start_ns == 0)
            return;
        time_t s = (time_t)(t->start_ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(out, len, a->sweep == SWEEP_HOUR ? "%Y-%m-%dT%HZ" : "%Y-%m-%d", &tm);
        return;
    }
    case SWEEP_INPUT: {
        const char *p = file_name(a, fi);
        if (strcmp(p, "-") == 0) {
            snprintf(out, len, "stdin");
            return;
        }
        const char *b = base_name(p);
        if ((strcmp(b, "traces.jsonl") == 0 || strcmp(b, "capture.pcap") == 0) && b != p) {
            /* a kptrace sweep directory (its traces or its capture): name it
             * by the directory, so both give the same sweep label */
            size_t dlen = (size_t)(b - p) - 1;
            const char *d = p;
            for (size_t i = 0; i < dlen; i++)
                if (p[i] == '/' && i + 1 < dlen)
                    d = p + i + 1;
            snprintf(out, len, "%.*s", (int)(dlen - (size_t)(d - p)), d);
            return;
        }
        snprintf(out, len, "%s", b);
        return;
    }
    }
}

static int keep_trace(struct app *a, struct kp_trace *t, unsigned long line)
{
    if (a->n_items == a->cap_items) {
        size_t cap = a->cap_items ? a->cap_items * 2 : 256;
        struct item *n = realloc(a->items, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        a->items = n;
        a->cap_items = cap;
    }
    struct item *it = &a->items[a->n_items++];
    it->t = *t; /* move */
    kp_trace_init(t);
    if (a->vp != NULL)
        snprintf(it->t.vp, sizeof(it->t.vp), "%s", a->vp);
    it->line = line;
    it->file = a->cur_file;
    it->kind = a->cur_kind;
    sweep_label(a, &it->t, a->cur_file, it->sweep, sizeof(it->sweep));
    if (a->n_items >= CHUNK_TRACES)
        return process_chunk(a);
    return 0;
}

static int sink_trace(void *ctx, struct kp_trace *t, unsigned long line)
{
    struct app *a = ctx;
    a->counts[a->cur_file].traces++;
    return keep_trace(a, t, line);
}

/* Records that are valid but not traceroutes (Atlas pings, failed
 * measurements, scamper tracelb ...): counted, and the first few of each file
 * named on stderr; they do not change the exit status. */
#define SKIP_NOTES_PER_FILE 3

static void skip_note(void *ctx, unsigned long line, const char *what)
{
    struct app *a = ctx;
    a->skipped_records++;
    a->counts[a->cur_file].skipped++;
    if (a->quiet)
        return;
    if (a->skip_notes < SKIP_NOTES_PER_FILE)
        warn("%s:%lu: skipped: %s", file_name(a, a->cur_file), line, what);
    else if (a->skip_notes == SKIP_NOTES_PER_FILE)
        warn("%s: further skipped records are only counted", file_name(a, a->cur_file));
    a->skip_notes++;
}

/* A malformed line of a prefix2as or bgpdump -m source, or entry of a
 * PeeringDB file (line 0): skipped; the first few of each source are named,
 * all are counted (exit status 1). */
static void source_line_note(void *ctx, const char *path, unsigned long line, const char *why)
{
    struct app *a = ctx;
    if (a->source_notes_here < SKIP_NOTES_PER_FILE && line == 0)
        warn("%s: %s (entry skipped)", path, why);
    else if (a->source_notes_here < SKIP_NOTES_PER_FILE)
        warn("%s:%lu: %s (line skipped)", path, line, why);
    else if (a->source_notes_here == SKIP_NOTES_PER_FILE)
        warn("%s: further malformed lines are only counted", path);
    a->source_notes_here++;
}

static void sink_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    struct app *a = ctx;
    a->bad_records++;
    a->counts[a->cur_file].bad++;
    warn("%s:%lu: %s%s%s (record skipped)", file_name(a, a->cur_file), line, field,
         field[0] ? ": " : "", msg);
}

static void replay_trace(void *ctx, struct kp_trace *t)
{
    struct app *a = ctx;
    a->counts[a->cur_file].records++;
    a->counts[a->cur_file].traces++;
    int rc = keep_trace(a, t, 0);
    if (rc != 0 && a->fatal == 0)
        a->fatal = rc; /* rx frees what was not taken */
}

/* kptrace JSONL: one trace per line, read as it comes; lines are parsed by
 * the workers (a->par), decided here in order. */
static void kptrace_work(const void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    (void)ctx;
    size_t s = 0, e = rec->len;
    while (s < e && (rec->p[s] == ' ' || rec->p[s] == '\t' || rec->p[s] == '\r'))
        s++;
    if (s == e && rec->status == KP_REC_OK) {
        out->rc = 0; /* a blank line: not a record */
        return;
    }
    struct kp_json_error je;
    memset(&je, 0, sizeof(je));
    int rc;
    if (rec->status == KP_REC_TOO_LONG) {
        snprintf(je.msg, sizeof(je.msg), "line longer than %zu bytes",
                 (size_t)KP_READER_MAX_RECORD);
        rc = -EINVAL;
    } else {
        rc = kp_trace_json_parse(rec->p + s, e - s, &out->t, &je);
    }
    if (rc == 0) {
        out->rc = 1;
        if (out->t.tool[0] == '\0')
            snprintf(out->t.tool, sizeof(out->t.tool), "kptrace");
        return;
    }
    out->rc = rc == -ENOMEM ? -ENOMEM : -EINVAL;
    kp_par_error(out, rec->line, je.field, je.msg);
}

static int kptrace_done(void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    struct app *a = ctx;
    struct input_count *ic = &a->counts[a->cur_file];
    if (out->rc == -ENOMEM)
        return -ENOMEM;
    if (out->rc == 0)
        return 0;
    ic->records++;
    if (out->rc < 0) {
        struct kp_input_sink sink = {NULL, sink_error, a};
        kp_par_replay(out, &sink, NULL);
        return 0;
    }
    ic->traces++;
    return keep_trace(a, &out->t, rec->line);
}

static int read_kptrace(struct app *a, struct kp_reader *r)
{
    struct kp_par_ops ops = {true, 0, kptrace_work, kptrace_done, NULL, a};
    return kp_par_run(a->par, r, &ops);
}

/* Replay options for a capture file: the run's parameters, vantage point,
 * timestamp source and identity key from the sweep.json beside it when there
 * is one (as `kptrace replay` does), so that a kptrace capture gives the
 * records the live run wrote. `key` must outlive the replay. */
static void replay_opts_for(const struct app *a, const char *path, struct kp_replay_opts *ro,
                            struct kp_replay_sweep *sw, struct kp_key *key)
{
    kp_replay_opts_init(ro);
    ro->vp = a->vp;
    char sj[4096];
    if (path == NULL || kp_replay_sweep_json_for(path, sj, sizeof(sj)) != 0)
        return;
    char err[512] = "";
    if (kp_replay_read_sweep_json(sj, sw, err, sizeof(err)) != 0) {
        warn("%s: ignored: %s", sj, err);
        return;
    }
    ro->run = sw->run;
    if (ro->vp == NULL && sw->vp[0])
        ro->vp = sw->vp;
    if (sw->ts_source[0])
        ro->ts_source = sw->ts_source;
    if (sw->has_seed) {
        kp_key_from_seed(sw->seed, key);
        ro->key = key;
    }
}

/* Why reading r stopped, for the message: a corrupt stream names the
 * compressed byte. */
static void stop_reason(struct kp_reader *r, int rc, char *buf, size_t len)
{
    if (rc == -EINVAL)
        snprintf(buf, len, "%s data corrupt or cut short (at compressed byte %llu)",
                 kp_compression_name(kp_reader_compression(r)),
                 (unsigned long long)kp_reader_error_offset(r));
    else if (rc == -EIO && kp_reader_errno(r) != 0)
        snprintf(buf, len, "read error: %s", strerror(kp_reader_errno(r)));
    else
        snprintf(buf, len, "%s", strerror(-rc));
}

/* Read one input (a file, or standard input for "-") as a stream: the
 * compression and the kind are recognised from its first bytes, and records
 * are decided and written as they come (in chunks, see process_chunk).
 * Returns 0 when it was read to its end (bad records were reported one by
 * one), else a negative error (said on stderr; what was read before it is
 * decided and written). */
static int read_input(struct app *a, int fi)
{
    const char *path = a->files[fi];
    struct input_count *ic = &a->counts[fi];
    bool is_stdin = strcmp(path, "-") == 0;
    struct kp_reader *r;
    int rc = kp_reader_open(path, a->threads != 0 ? KP_READER_THREAD : 0, &r);
    if (rc != 0) {
        warn("%s: cannot read: %s", path, strerror(-rc));
        snprintf(ic->error, sizeof(ic->error), "cannot read: %s", strerror(-rc));
        ic->failed = true;
        return rc;
    }
    const char *head;
    size_t n;
    rc = kp_reader_peek(r, 65536, &head, &n);
    enum kp_compression comp = kp_reader_compression(r);
    ic->comp = comp;
    enum kp_input_kind k = a->force_kind;
    if (rc == 0 && k == KP_INPUT_UNKNOWN) {
        /* an empty file (a sweep that wrote no trace, an empty pipe) holds
         * no records of any kind: nothing to do, not an error */
        size_t i = 0;
        while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
            i++;
        if (i == n && n < 65536) {
            rc = kp_reader_peek(r, n + 1, &head, &n);
            if (rc == 0 && i == n) {
                if (!a->quiet)
                    warn("%s: empty input (no records)", path);
                kp_reader_close(r);
                return 0;
            }
        }
        k = kp_input_detect((const uint8_t *)head, n);
    }
    a->cur_file = fi;
    a->cur_kind = k;
    ic->kind = k;
    a->skip_notes = 0;
    if (rc != 0) {
        /* nothing could be read at all */
    } else if (k == KP_INPUT_PCAP || k == KP_INPUT_PCAPNG) {
        struct kp_replay_opts ro;
        struct kp_replay_sweep sw;
        struct kp_key key;
        replay_opts_for(a, is_stdin ? NULL : path, &ro, &sw, &key);
        char err[512] = "";
        int rrc;
        if (!is_stdin && comp == KP_COMP_NONE) {
            /* a plain capture file: replay reads it itself */
            kp_reader_close(r);
            r = NULL;
            rrc = kp_replay_file(path, &ro, replay_trace, a, NULL, err, sizeof(err));
        } else {
            FILE *f = kp_reader_fopen(r);
            rrc = f ? kp_replay_stream(f, path, &ro, replay_trace, a, NULL, err, sizeof(err))
                    : -errno;
            if (f != NULL)
                fclose(f);
        }
        if (rrc == 0 && err[0])
            warn("%s", err);
        int src = r != NULL ? kp_reader_status(r) : 0;
        if (src < 0) {
            rc = src; /* the decompression under the capture reader failed */
        } else if (rrc != 0 && !a->fatal) {
            warn("%s", err[0] ? err : strerror(-rrc));
            snprintf(ic->error, sizeof(ic->error), "%s", err[0] ? err : strerror(-rrc));
            ic->failed = true;
            kp_reader_close(r);
            return rrc;
        }
    } else {
        struct kp_input_sink sink = {sink_trace, sink_error, a};
        struct kp_input_skips skips = {skip_note, a, 0};
        struct kp_input_tally tally;
        memset(&tally, 0, sizeof(tally));
        switch (k) {
        case KP_INPUT_KPTRACE:
            rc = read_kptrace(a, r);
            break;
        case KP_INPUT_ATLAS:
            rc = kp_atlas_read_stream(r, a->par, &sink, &skips, &tally);
            break;
        case KP_INPUT_SCAMPER:
            rc = kp_scamper_read_stream(r, a->par, &sink, &skips, &tally);
            break;
        default:
            warn("%s: cannot tell what kind of input this is; use --input-format", path);
            snprintf(ic->error, sizeof(ic->error), "cannot tell what kind of input this is");
            ic->failed = true;
            kp_reader_close(r);
            return -EINVAL;
        }
        ic->records += tally.records;
        ic->quiet += tally.quiet;
    }
    if (a->fatal) {
        kp_reader_close(r);
        return a->fatal; /* process_chunk said why */
    }
    if (rc < 0) {
        /* Decide and write what was read before the damage, then say where
         * the input went wrong. */
        stop_reason(r, rc, ic->error, sizeof(ic->error));
        ic->failed = true;
        process_chunk(a);
        if (a->jout != NULL)
            fflush(a->jout);
        warn("%s: %s", path, ic->error);
    }
    kp_reader_close(r);
    return rc < 0 ? rc : 0;
}

static enum kp_hop_class class_of(enum kp_addr_class c)
{
    switch (c) {
    case KP_ACLASS_PUBLIC:
    case KP_ACLASS_DOCUMENTATION:
    case KP_ACLASS_BENCHMARKING:
        return KP_HCLASS_PUBLIC;
    case KP_ACLASS_PRIVATE:
        return KP_HCLASS_PRIVATE;
    case KP_ACLASS_SHARED:
        return KP_HCLASS_SHARED;
    default:
        return KP_HCLASS_RESERVED;
    }
}

static void annotate_addr(struct app *a, const struct kp_addr *ad, struct kp_hop_annot *o)
{
    kp_hop_annot_init(o);
    struct kp_asn_answer ans;
    if (kp_asmap_lookup(a->map, ad, &ans) != 0) {
        o->cls = KP_HCLASS_UNANNOUNCED;
        return;
    }
    o->cls = (uint8_t)class_of(ans.addr_class);
    snprintf(o->class_label, sizeof(o->class_label), "%s", kp_addr_class_name(ans.addr_class));
    o->ixp = ans.ixp;
    if (ans.ixp)
        snprintf(o->ixp_name, sizeof(o->ixp_name), "%s", ans.ixp_name);
    switch (ans.status) {
    case KP_ASN_FOUND:
        o->asn = ans.asns[0];
        for (unsigned i = 0; i < ans.n_asns && i < KP_ANNOT_MAX_ORIGINS; i++)
            o->origins[o->n_origins++] = ans.asns[i];
        snprintf(o->source, sizeof(o->source), "%.15s", ans.source);
        if (ans.as_name[0]) {
            snprintf(o->as_name, sizeof(o->as_name), "%s", ans.as_name);
        } else {
            const char *n = kp_asmap_as_name(a->map, o->asn, NULL);
            if (n)
                snprintf(o->as_name, sizeof(o->as_name), "%s", n);
        }
        break;
    case KP_ASN_UNANNOUNCED:
        if (o->cls == KP_HCLASS_PUBLIC) {
            o->cls = KP_HCLASS_UNANNOUNCED;
            o->class_label[0] = '\0';
        }
        break;
    case KP_ASN_SPECIAL:
        break;
    case KP_ASN_UNKNOWN:
    default:
        a->failed_lookups++;
        if (o->cls == KP_HCLASS_PUBLIC)
            o->cls = KP_HCLASS_UNANNOUNCED;
        break;
    }
    if (a->rdns) {
        const char *r = kp_asmap_rdns(a->map, ad);
        if (r)
            snprintf(o->rdns, sizeof(o->rdns), "%s", r);
    }
}

static int write_all(FILE *f, const char *s, size_t n)
{
    return fwrite(s, 1, n, f) == n ? 0 : -EIO;
}

/* Decide, write and aggregate the traces read so far (a->items), then free
 * them: DNS lookups for all their addresses at once (a no-op without DNS
 * sources), the verdict per trace, its annotated JSON line, and its share of
 * the summary and graph. Returns 0, or sets and returns a->fatal (-ENOMEM, or
 * -EIO when the output cannot be written; said on stderr). */
static int process_chunk(struct app *a)
{
    if (a->fatal)
        return a->fatal;
    if (a->cymru || a->rdns) {
        int rc = prefetch_chunk(a);
        if (rc != 0)
            return a->fatal = rc;
    }
    return decide_chunk(a);
}

/* DNS lookups for every address of the chunk at once (--cymru, --rdns). */
static int prefetch_chunk(struct app *a)
{
    size_t n_addrs = 0;
    for (size_t i = 0; i < a->n_items; i++)
        n_addrs += a->items[i].t.n_hops + 1;
    struct kp_addr *addrs = malloc((n_addrs ? n_addrs : 1) * sizeof(*addrs));
    if (addrs == NULL)
        return -ENOMEM;
    n_addrs = 0;
    for (size_t i = 0; i < a->n_items; i++) {
        const struct kp_trace *t = &a->items[i].t;
        for (size_t k = 0; k < t->n_hops; k++)
            addrs[n_addrs++] = t->hops[k].addr;
        if (kp_addr_is_set(&t->dst))
            addrs[n_addrs++] = t->dst;
    }
    int pf = kp_asmap_prefetch(a->map, addrs, n_addrs);
    free(addrs);
    if (pf > 0) {
        a->failed_lookups += (unsigned long)pf;
        if (!a->quiet)
            warn("%d address lookups failed over DNS; other sources were used for them", pf);
    }
    return 0;
}

/* The verdict of every trace of the chunk, its line, summary and graph. */
static int decide_chunk(struct app *a)
{
    /* Doubletree traces decide with the path below where they stopped
     * (verdict_stitch.h): learn this chunk's traces first. */
    for (size_t i = 0; i < a->n_items; i++) {
        kp_trace_sort(&a->items[i].t);
        if (kp_stitch_add(a->stitch, &a->items[i].t, (uint32_t)a->items[i].file) != 0)
            return a->fatal = -ENOMEM;
    }
    for (size_t i = 0; i < a->n_items && !a->fatal; i++) {
        struct item *it = &a->items[i];
        struct kp_trace *t = &it->t;
        struct kp_trace full;
        kp_trace_init(&full);
        size_t nb = 0;
        if ((a->cfg.disabled & KP_H_DT_PREFIX) == 0 &&
            kp_stitch_prefix(a->stitch, t, (uint32_t)it->file, &full, &nb) < 0) {
            a->fatal = -ENOMEM;
            break;
        }
        const struct kp_trace *dt = nb ? &full : t;
        struct kp_hop_annot *dann = calloc(dt->n_hops ? dt->n_hops : 1, sizeof(*dann));
        if (dann == NULL) {
            kp_trace_free(&full);
            a->fatal = -ENOMEM;
            break;
        }
        for (size_t k = 0; k < dt->n_hops; k++)
            annotate_addr(a, &dt->hops[k].addr, &dann[k]);
        struct kp_hop_annot *ann = dann + nb; /* t's own hops follow the borrowed ones */
        struct kp_hop_annot dst;
        kp_hop_annot_init(&dst);
        if (kp_addr_is_set(&t->dst))
            annotate_addr(a, &t->dst, &dst);
        struct kp_transit v;
        kp_verdict_decide(&a->cfg, dt, dann, dt->n_hops, &dst, &v);
        kp_verdict_unstitch(&v, nb);
        kp_trace_free(&full);
        a->per_status[v.status]++;
        a->n_done++;
        a->counts[it->file].decided++;
        if (kp_summary_add(a->sum, t, it->sweep, &v) != 0 ||
            (a->graph_acc && kp_graph_add(a->graph_acc, t, ann, &v) != 0))
            a->fatal = -ENOMEM;
        if (!a->fatal && a->jout != NULL) {
            struct kp_annot_origin org = {kp_input_kind_name(it->kind), file_name(a, it->file),
                                          it->line};
            char *line = NULL;
            size_t len = 0;
            int rc = kp_annot_trace_json(t, ann, &dst, &v, it->sweep, &org, &line, &len);
            if (rc == 0) {
                if (write_all(a->jout, line, len) != 0 || fputc('\n', a->jout) == EOF) {
                    warn("%s: write failed", a->output ? a->output : "stdout");
                    a->fatal = -EIO;
                }
            } else {
                warn("%s:%lu: cannot write this trace (%s)", file_name(a, it->file), it->line,
                     strerror(-rc));
                a->out_status = 1;
            }
            free(line);
        }
        free(dann);
    }
    for (size_t i = 0; i < a->n_items; i++)
        kp_trace_free(&a->items[i].t);
    a->n_items = 0;
    return a->fatal;
}

/* The reconciliation: per input, records read (bookkeeping apart) =
 * decided + bad + skipped. */
struct reconcile {
    unsigned long records, quiet, decided, bad, skipped;
    bool agree, failed;
};

static bool counts_agree(const struct input_count *ic)
{
    return ic->records >= ic->quiet &&
           ic->records - ic->quiet == ic->decided + ic->bad + ic->skipped;
}

static void reconcile(const struct app *a, struct reconcile *r)
{
    memset(r, 0, sizeof(*r));
    r->agree = true;
    for (size_t i = 0; i < a->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        r->records += ic->records - (ic->quiet <= ic->records ? ic->quiet : ic->records);
        r->quiet += ic->quiet;
        r->decided += ic->decided;
        r->bad += ic->bad;
        r->skipped += ic->skipped;
        r->agree = r->agree && counts_agree(ic);
        r->failed = r->failed || ic->failed;
    }
}

static int jset(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static json_t *jcounts(unsigned long records, unsigned long quiet, unsigned long decided,
                       unsigned long bad, unsigned long skipped)
{
    json_t *c = json_object();
    if (c == NULL || jset(c, "records", json_integer((json_int_t)records)) != 0 ||
        jset(c, "decided", json_integer((json_int_t)decided)) != 0 ||
        jset(c, "bad", json_integer((json_int_t)bad)) != 0 ||
        jset(c, "skipped", json_integer((json_int_t)skipped)) != 0 ||
        jset(c, "bookkeeping", json_integer((json_int_t)quiet)) != 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* --stats-json FILE: the run's counts, per input and in total, whether they
 * reconcile, and a status: complete (every input read to its end, counts
 * reconcile), incomplete (they do not: the counts that disagree are named),
 * error (an input could not be read to its end). */
static int write_stats_json(const struct app *a, const struct reconcile *rec, int exit_status)
{
    json_t *o = json_object();
    json_t *inputs = json_array();
    int rc = o && inputs ? 0 : -ENOMEM;
    const char *status = rec->failed ? "error" : !rec->agree ? "incomplete" : "complete";
    char why[512] = "";
    for (size_t i = 0; i < a->n_files && why[0] == '\0'; i++) {
        const struct input_count *ic = &a->counts[i];
        if (ic->failed)
            snprintf(why, sizeof(why), "%s: %s", file_name(a, (int)i), ic->error);
        else if (!counts_agree(ic))
            snprintf(
                why, sizeof(why), "%s: %lu records read, but %lu decided + %lu bad + %lu skipped",
                file_name(a, (int)i), ic->records - ic->quiet, ic->decided, ic->bad, ic->skipped);
    }
    rc = rc ? rc : jset(o, "v", json_integer(1));
    rc = rc ? rc : jset(o, "type", json_string("kpannotate-stats"));
    rc = rc ? rc : jset(o, "status", json_string(status));
    rc = rc ? rc : jset(o, "error", why[0] ? json_string(why) : json_null());
    rc = rc ? rc : jset(o, "reconciled", json_boolean(rec->agree));
    rc = rc ? rc : jset(o, "exit_status", json_integer(exit_status));
    json_t *c = jcounts(rec->records, rec->quiet, rec->decided, rec->bad, rec->skipped);
    rc = rc ? rc : jset(o, "counts", c);
    if (rc == 0) {
        static const enum kp_transit_status st[] = {KP_TRANSIT_REACHED, KP_TRANSIT_FILTERED,
                                                    KP_TRANSIT_INCOMPLETE, KP_TRANSIT_UNDETERMINED};
        for (size_t k = 0; k < sizeof(st) / sizeof(st[0]) && rc == 0; k++)
            rc = jset(c, kp_transit_status_name(st[k]),
                      json_integer((json_int_t)a->per_status[st[k]]));
        rc = rc ? rc : jset(c, "groups", json_integer((json_int_t)kp_summary_count(a->sum)));
        rc = rc ? rc
                : jset(c, "bad_source_lines", json_integer((json_int_t)a->source_notes.skipped));
        rc = rc ? rc : jset(c, "failed_lookups", json_integer((json_int_t)a->failed_lookups));
    }
    rc = rc ? rc : jset(o, "inputs", json_incref(inputs));
    for (size_t i = 0; rc == 0 && i < a->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        json_t *e = jcounts(ic->records - (ic->quiet <= ic->records ? ic->quiet : ic->records),
                            ic->quiet, ic->decided, ic->bad, ic->skipped);
        rc = e ? json_array_append_new(inputs, e) : -ENOMEM;
        rc = rc ? rc : jset(e, "file", json_string(file_name(a, (int)i)));
        rc = rc ? rc : jset(e, "kind", json_string(kp_input_kind_name(ic->kind)));
        rc = rc ? rc : jset(e, "compression", json_string(kp_compression_name(ic->comp)));
        rc = rc ? rc : jset(e, "reconciled", json_boolean(counts_agree(ic)));
        rc = rc ? rc
                : jset(e, "status",
                       json_string(ic->failed          ? "error"
                                   : !counts_agree(ic) ? "incomplete"
                                                       : "complete"));
        rc = rc ? rc : jset(e, "error", ic->failed ? json_string(ic->error) : json_null());
    }
    json_decref(inputs);
    if (rc == 0) {
        FILE *f = fopen(a->stats_json, "w");
        rc = f && json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0 &&
                     fputc('\n', f) != EOF
                 ? 0
                 : -EIO;
        if (f != NULL && fclose(f) != 0)
            rc = -EIO;
    }
    json_decref(o);
    return rc;
}

/* an AS number on the command line: asplain or asdot, optionally "AS"-prefixed;
 * AS 0 is reserved (RFC 7607) and never a target or transit */
static int parse_asn(const char *s, uint32_t *out)
{
    uint32_t v;
    if (kp_asn_parse(s, strlen(s), KP_ASN_PREFIX_OK | KP_ASN_ASDOT_OK, &v) != 0 || v == 0)
        return -EINVAL;
    *out = v;
    return 0;
}

static int add_transit(struct app *a, uint32_t asn, const char *name)
{
    for (size_t i = 0; i < a->cfg.n_known; i++)
        if (a->transits[i].asn == asn) {
            free(a->transit_names[i]);
            a->transit_names[i] = strdup(name);
            a->transits[i].name = a->transit_names[i];
            return a->transit_names[i] ? 0 : -ENOMEM;
        }
    if (a->cfg.n_known >= MAX_TRANSITS)
        return -E2BIG;
    size_t i = a->cfg.n_known++;
    a->transit_names[i] = strdup(name);
    a->transits[i].asn = asn;
    a->transits[i].name = a->transit_names[i];
    return a->transit_names[i] ? 0 : -ENOMEM;
}

enum {
    OPT_PEERINGDB = 256,
    OPT_CYMRU,
    OPT_DNS_SERVER,
    OPT_CYMRU_CACHE,
    OPT_DNS_TIMEOUT,
    OPT_RDNS,
    OPT_TRANSIT,
    OPT_NO_DEFAULT_TRANSITS,
    OPT_DISABLE,
    OPT_RTT_JUMP,
    OPT_VP,
    OPT_SWEEP,
    OPT_SUMMARY_FORMAT,
    OPT_MIN_PREFIX_LEN,
    OPT_KEEP_SPECIAL,
    OPT_STATS_JSON,
    OPT_THREADS,
};

struct source_opt {
    int kind; /* 'p', 'r', 'm', OPT_PEERINGDB, OPT_CYMRU (path NULL) */
    const char *path;
};

/* What a prefix2as or RIB file dropped, or whose origin lost a private or
 * reserved AS (docs/asmap.md): one line when there is anything to say. */
static void report_filter(const char *path, const struct kp_filter_stats *st,
                          const struct kp_route_filter *f, bool quiet)
{
    if (kp_filter_stats_dropped(st) == 0 && kp_filter_stats_origin_removed(st) == 0)
        return;
    if (quiet && st->used > 0)
        return; /* -q: only the warning that a table gave nothing */
    char buf[1024];
    warn("%s: %s%s", path, kp_filter_stats_str(st, f, buf, sizeof(buf)),
         st->used == 0 ? " (nothing used: a test network's table? see --keep-special)" : "");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kpannotate: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'kpannotate --help'.\n", stderr);
    va_end(ap);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pfx2as", required_argument, NULL, 'p'},
        {"rib", required_argument, NULL, 'r'},
        {"mmdb", required_argument, NULL, 'm'},
        {"peeringdb", required_argument, NULL, OPT_PEERINGDB},
        {"cymru", no_argument, NULL, OPT_CYMRU},
        {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
        {"cymru-cache", required_argument, NULL, OPT_CYMRU_CACHE},
        {"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
        {"rdns", no_argument, NULL, OPT_RDNS},
        {"min-prefix-len", required_argument, NULL, OPT_MIN_PREFIX_LEN},
        {"keep-special", required_argument, NULL, OPT_KEEP_SPECIAL},
        {"target", required_argument, NULL, 't'},
        {"transit", required_argument, NULL, OPT_TRANSIT},
        {"no-default-transits", no_argument, NULL, OPT_NO_DEFAULT_TRANSITS},
        {"disable", required_argument, NULL, OPT_DISABLE},
        {"rtt-jump", required_argument, NULL, OPT_RTT_JUMP},
        {"input-format", required_argument, NULL, 'f'},
        {"vp", required_argument, NULL, OPT_VP},
        {"sweep", required_argument, NULL, OPT_SWEEP},
        {"output", required_argument, NULL, 'o'},
        {"summary", no_argument, NULL, 's'},
        {"summary-format", required_argument, NULL, OPT_SUMMARY_FORMAT},
        {"graph", required_argument, NULL, 'g'},
        {"stats-json", required_argument, NULL, OPT_STATS_JSON},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    static struct app A;
    struct app *a = &A;
    a->threads = -1;
    kp_verdict_config_default(&a->cfg);
    /* our own copies, so that --transit and --target can change them */
    for (size_t i = 0; i < a->cfg.n_known; i++) {
        a->transits[i].asn = a->cfg.known[i].asn;
        a->transit_names[i] = strdup(a->cfg.known[i].name);
        a->transits[i].name = a->transit_names[i];
    }
    a->cfg.known = a->transits;
    size_t n_targets = 0;
    struct source_opt sources[64];
    size_t n_sources = 0;
    bool cymru = false;
    struct kp_cymru_opts copts;
    memset(&copts, 0, sizeof(copts));
    const char *dns_server = NULL;
    int dns_timeout = 0;
    struct kp_route_filter filter;
    kp_route_filter_default(&filter);

    int c;
    while ((c = getopt_long(argc, argv, "p:r:m:t:f:o:sg:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
        case 'r':
        case 'm':
        case OPT_PEERINGDB:
            if (n_sources == 64)
                return usage_error("%s", "too many sources");
            sources[n_sources].kind = c;
            sources[n_sources++].path = optarg;
            if (c == 'r')
                a->have_rib = true;
            break;
        case OPT_CYMRU:
            if (n_sources == 64)
                return usage_error("%s", "too many sources");
            if (!cymru) {
                sources[n_sources].kind = c;
                sources[n_sources++].path = NULL;
            }
            cymru = true;
            a->cymru = true;
            break;
        case OPT_DNS_SERVER:
            dns_server = optarg;
            break;
        case OPT_CYMRU_CACHE:
            copts.cache_path = optarg;
            break;
        case OPT_DNS_TIMEOUT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0 || v > 60000)
                return usage_error("--dns-timeout: '%s' is not 1..60000 ms", optarg);
            dns_timeout = (int)v;
            break;
        }
        case OPT_RDNS:
            a->rdns = true;
            break;
        case OPT_MIN_PREFIX_LEN:
            if (kp_route_filter_parse_min_len(optarg, &filter) != 0)
                return usage_error("--min-prefix-len: '%s' is not V4[,V6] (0..32, 0..128)", optarg);
            break;
        case OPT_KEEP_SPECIAL: {
            char bad[80];
            if (kp_route_filter_parse_keep(optarg, &filter.keep, bad, sizeof(bad)) != 0)
                return usage_error("--keep-special: no range or AS number class named '%s'", bad);
            break;
        }
        case 't': {
            char *s = strdup(optarg), *save = NULL;
            for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                uint32_t asn;
                if (parse_asn(tok, &asn) != 0 || n_targets == MAX_TARGETS) {
                    int r = usage_error("--target: '%s' is not an AS number", tok);
                    free(s);
                    return r;
                }
                a->targets[n_targets++] = asn;
            }
            free(s);
            break;
        }
        case OPT_TRANSIT: {
            const char *eq = strchr(optarg, '=');
            char num[16];
            uint32_t asn;
            if (eq == NULL || eq - optarg >= (ptrdiff_t)sizeof(num) || eq[1] == '\0')
                return usage_error("--transit: '%s' is not ASN=NAME", optarg);
            snprintf(num, sizeof(num), "%.*s", (int)(eq - optarg), optarg);
            if (parse_asn(num, &asn) != 0)
                return usage_error("--transit: '%s' is not ASN=NAME", optarg);
            if (add_transit(a, asn, eq + 1) != 0)
                return usage_error("--transit: cannot add '%s'", optarg);
            break;
        }
        case OPT_NO_DEFAULT_TRANSITS:
            for (size_t i = 0; i < a->cfg.n_known; i++)
                free(a->transit_names[i]);
            a->cfg.n_known = 0;
            break;
        case OPT_DISABLE: {
            char *s = strdup(optarg), *save = NULL;
            for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                unsigned bit = kp_heuristic_from_name(tok);
                if (bit == KP_H_FILTERED_INSIDE) {
                    /* a fact reported in the evidence, not a rule to switch off */
                    int r = usage_error("--disable: '%s' is evidence, not a heuristic", tok);
                    free(s);
                    return r;
                }
                if (bit == 0) {
                    int r = usage_error("--disable: no heuristic named '%s'", tok);
                    free(s);
                    return r;
                }
                a->cfg.disabled |= bit;
            }
            free(s);
            break;
        }
        case OPT_RTT_JUMP: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || v < 0)
                return usage_error("--rtt-jump: '%s' is not a number of ms", optarg);
            a->cfg.rtt_jump_ms = v;
            break;
        }
        case 'f':
            if (strcmp(optarg, "auto") == 0) {
                a->force_kind = KP_INPUT_UNKNOWN;
            } else {
                a->force_kind = kp_input_kind_from_name(optarg);
                if (a->force_kind == KP_INPUT_UNKNOWN)
                    return usage_error("--input-format: unknown kind '%s'", optarg);
            }
            break;
        case OPT_VP:
            a->vp = optarg;
            break;
        case OPT_SWEEP:
            if (strcmp(optarg, "input") == 0)
                a->sweep = SWEEP_INPUT;
            else if (strcmp(optarg, "hour") == 0)
                a->sweep = SWEEP_HOUR;
            else if (strcmp(optarg, "day") == 0)
                a->sweep = SWEEP_DAY;
            else if (strcmp(optarg, "none") == 0)
                a->sweep = SWEEP_NONE;
            else
                return usage_error("--sweep: '%s' is not input, hour, day or none", optarg);
            break;
        case 'o':
            a->output = optarg;
            break;
        case 's':
            a->summary = true;
            break;
        case OPT_SUMMARY_FORMAT:
            if (strcmp(optarg, "json") == 0)
                a->summary_json = true;
            else if (strcmp(optarg, "text") == 0)
                a->summary_json = false;
            else
                return usage_error("--summary-format: '%s' is not text or json", optarg);
            a->summary = true;
            break;
        case 'g':
            a->graph = optarg;
            break;
        case OPT_STATS_JSON:
            a->stats_json = optarg;
            break;
        case OPT_THREADS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 64)
                return usage_error("--threads: '%s' is not 0..64", optarg);
            a->threads = v;
            break;
        }
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("kpannotate %s\n", KP_VERSION);
            return 0;
        default:
            fputs("Try 'kpannotate --help'.\n", stderr);
            return 2;
        }
    }
    if (n_targets > 0) {
        a->cfg.targets = a->targets;
        a->cfg.n_targets = n_targets;
    }
    static const char *stdin_only[] = {"-"};
    if (optind < argc) {
        a->files = (const char **)(argv + optind);
        a->n_files = (size_t)(argc - optind);
    } else {
        a->files = stdin_only;
        a->n_files = 1;
    }
    a->counts = calloc(a->n_files, sizeof(*a->counts));
    if (a->counts == NULL) {
        warn("out of memory");
        return 3;
    }

    /* Sources, in the order given. */
    int status = 0;
    a->map = kp_asmap_new();
    if (a->map == NULL) {
        warn("out of memory");
        return 3;
    }
    char err[KP_ASN_ERR_MAX + 256];
    if (kp_asmap_set_targets(a->map, a->cfg.targets, a->cfg.n_targets) != 0) {
        warn("cannot set the target ASes");
        return 3;
    }
    a->source_notes = (struct kp_load_notes){source_line_note, a, 0};
    kp_asmap_set_load_notes(a->map, &a->source_notes);
    kp_asmap_set_filter(a->map, &filter);
    for (size_t i = 0; i < n_sources; i++) {
        int rc;
        err[0] = '\0';
        a->source_notes_here = 0;
        switch (sources[i].kind) {
        case 'p':
            rc = kp_asmap_add_pfx2as(a->map, sources[i].path, err, sizeof(err));
            break;
        case 'r':
            rc = kp_asmap_add_bgpdump(a->map, sources[i].path, err, sizeof(err));
            break;
        case 'm':
            rc = kp_asmap_add_mmdb(a->map, sources[i].path, err, sizeof(err));
            break;
        case OPT_CYMRU:
            copts.dns_server = dns_server;
            copts.timeout_ms = dns_timeout;
            rc = kp_asmap_enable_cymru(a->map, &copts, err, sizeof(err));
            break;
        default:
            rc = kp_asmap_add_peeringdb(a->map, sources[i].path, err, sizeof(err));
            break;
        }
        if (rc == 0 && (sources[i].kind == 'p' || sources[i].kind == 'r'))
            report_filter(sources[i].path, kp_asmap_load_stats(a->map), &filter, a->quiet);
        if (rc != 0) {
            warn("%s%s", sources[i].kind == OPT_CYMRU ? "--cymru: " : "",
                 err[0]            ? err
                 : sources[i].path ? sources[i].path
                                   : strerror(-rc));
            kp_asmap_free(a->map);
            return 3;
        }
    }
    if (a->rdns &&
        kp_asmap_enable_rdns(a->map, dns_server, dns_timeout, 0, err, sizeof(err)) != 0) {
        warn("--rdns: %s", err);
        kp_asmap_free(a->map);
        return 3;
    }

    /* Output, then the inputs: traces are decided chunk by chunk as they are
     * read (process_chunk). */
    if (a->output != NULL) {
        a->jout = strcmp(a->output, "-") == 0 ? stdout : fopen(a->output, "w");
        if (a->jout == NULL) {
            warn("%s: %s", a->output, strerror(errno));
            kp_asmap_free(a->map);
            return 3;
        }
    } else if (!a->summary) {
        a->jout = stdout;
    }
    json_object_seed(0); /* before any worker thread creates a JSON object */
    unsigned workers = a->threads < 0 ? kp_par_default_workers() : (unsigned)a->threads;
    if (kp_par_new(workers, &a->par) != 0 || kp_summary_new(&a->sum) != 0 ||
        kp_stitch_new(&a->stitch) != 0 || (a->graph && kp_graph_new(&a->graph_acc, &a->cfg) != 0)) {
        warn("out of memory");
        return 3;
    }
    for (size_t i = 0; i < a->n_files && !a->fatal; i++) {
        int rc = read_input(a, (int)i);
        if (rc != 0 && !a->fatal)
            status = 3;
    }
    if (!a->fatal)
        process_chunk(a);
    if (a->fatal) {
        if (a->fatal == -ENOMEM)
            warn("out of memory");
        return 3;
    }
    status = status ? status : a->out_status;
    FILE *jout = a->jout;
    struct kp_summary *sum = a->sum;
    struct kp_graph *graph = a->graph_acc;
    const unsigned long *per_status = a->per_status;
    if (jout != NULL && jout != stdout && fclose(jout) != 0) {
        warn("%s: %s", a->output, strerror(errno));
        status = 3;
    }
    kp_summary_finish(sum);
    if (a->have_rib) {
        for (size_t i = 0; i < kp_summary_count(sum); i++) {
            const struct kp_summary_group *g = kp_summary_group(sum, i);
            struct kp_prefix p;
            if (kp_prefix_make(&g->prefix, g->plen, &p) != 0)
                continue;
            int64_t at = g->first_ns ? g->first_ns / 1000000000 : INT64_MAX;
            uint32_t ups[KP_SUMMARY_MAX_UPSTREAMS];
            int n = kp_asmap_rib_upstreams(a->map, &p, at, ups, KP_SUMMARY_MAX_UPSTREAMS, NULL);
            if (n > 0)
                kp_summary_set_upstreams(
                    sum, i, ups,
                    (size_t)n < KP_SUMMARY_MAX_UPSTREAMS ? (size_t)n : KP_SUMMARY_MAX_UPSTREAMS);
        }
    }
    if (a->summary) {
        char row[1024];
        struct kp_summary_widths w;
        kp_summary_fit_widths(sum, &w);
        if (!a->summary_json) {
            kp_summary_format_header(&w, row, sizeof(row));
            puts(row);
        }
        for (size_t i = 0; i < kp_summary_count(sum); i++) {
            const struct kp_summary_group *g = kp_summary_group(sum, i);
            if (a->summary_json) {
                char *line = NULL;
                size_t len = 0;
                if (kp_annot_summary_json(g, &line, &len) != 0) {
                    warn("out of memory");
                    return 3;
                }
                puts(line);
                free(line);
            } else {
                kp_summary_format_row(g, &w, row, sizeof(row));
                puts(row);
            }
        }
    }
    if (graph != NULL) {
        char *dot = NULL;
        size_t len = 0;
        FILE *gf = fopen(a->graph, "w");
        if (gf == NULL || kp_graph_dot(graph, &dot, &len) != 0 || write_all(gf, dot, len) != 0) {
            warn("%s: cannot write the graph", a->graph);
            status = 3;
        }
        if (gf != NULL && fclose(gf) != 0)
            status = 3;
        free(dot);
    }
    if (fflush(stdout) != 0) {
        warn("stdout: write failed");
        status = 3;
    }

    /* Every record read is decided, bad or skipped: say so when not. */
    struct reconcile rec;
    reconcile(a, &rec);
    if (!a->quiet) {
        struct kp_asmap_dns_stats ds;
        kp_asmap_dns_stats(a->map, &ds);
        fprintf(stderr,
                "kpannotate: %lu records: %zu traces (%lu reached, %lu filtered, %lu incomplete, "
                "%lu undetermined), %zu groups, %lu bad records, %lu skipped records, "
                "%lu bad source lines, %lu failed lookups\n",
                rec.records, a->n_done, per_status[KP_TRANSIT_REACHED],
                per_status[KP_TRANSIT_FILTERED], per_status[KP_TRANSIT_INCOMPLETE],
                per_status[KP_TRANSIT_UNDETERMINED], kp_summary_count(sum), a->bad_records,
                a->skipped_records, a->source_notes.skipped, a->failed_lookups);
        if (cymru || a->rdns)
            fprintf(stderr,
                    "kpannotate: DNS: %lu queries, %lu answers, %lu cache hits, %lu timeouts, "
                    "%lu garbage, %lu servfail, %lu nxdomain%s\n",
                    ds.queries, ds.answers, ds.cache_hits, ds.timeouts, ds.garbage, ds.servfail,
                    ds.nxdomain, ds.down ? "; the server was declared down" : "");
    }
    for (size_t i = 0; i < a->n_files; i++) {
        const struct input_count *ic = &a->counts[i];
        if (!counts_agree(ic))
            warn("%s: counts do not reconcile: %lu records read, but %lu decided + %lu bad + %lu "
                 "skipped",
                 file_name(a, (int)i), ic->records - ic->quiet, ic->decided, ic->bad, ic->skipped);
    }
    if (status == 0 && (a->bad_records > 0 || a->failed_lookups > 0 || a->source_notes.skipped > 0))
        status = 1;
    if (!rec.agree)
        status = 4;
    if (a->stats_json != NULL && write_stats_json(a, &rec, status) != 0) {
        warn("%s: cannot write the statistics", a->stats_json);
        if (status < 3)
            status = 3;
    }

    kp_par_free(a->par);
    kp_summary_free(sum);
    kp_stitch_free(a->stitch);
    kp_graph_free(graph);
    for (size_t i = 0; i < a->n_items; i++)
        kp_trace_free(&a->items[i].t);
    free(a->items);
    for (size_t i = 0; i < a->cfg.n_known; i++)
        free(a->transit_names[i]);
    kp_asmap_free(a->map);
    free(a->counts);
    return status;
}
