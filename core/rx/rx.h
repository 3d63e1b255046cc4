/* SPDX-License-Identifier: BSD-2-Clause */
/* rx.h — the single receive path: captured frames in, traceroute records out.
 *
 * Live capture (pcap handle) and replay (pcap/pcapng files) both hand every
 * captured frame to kp_rx_frame(); nothing else builds kp_trace records. So a
 * live run and a replay of its capture produce the same records: everything
 * in a record comes from the captured bytes, their capture timestamps, and the
 * run parameters carried in kptrace's probe payload — never from sender state,
 * user-space clocks or the identity key.
 *
 * What rx does with each frame (after kp_decode_frame):
 *
 *  1. OUTGOING PROBES. Every packet is offered to the configured classifiers
 *     in order (kptrace's own first, then the replay helper's recognisers for
 *     traceroute, mtr, tcptraceroute, scamper, ...). The first that recognises
 *     it says which tool sent it, the method, which trace it belongs to, its
 *     TTL and attempt, and which header fields identify it (see struct
 *     kp_rx_probe). rx stores the probe with its capture timestamp (tx_ns).
 *
 *  2. INCOMING REPLIES. ICMP errors (time exceeded, unreachable, ...) are
 *     matched by their QUOTED header: quoted destination and protocol select
 *     the stored probes to that destination, then the probe's match_fields
 *     (IP ID, ports, UDP length/checksum, ICMP id/seq/checksum, TCP seq, source)
 *     must equal the quote — only the fields the quote actually contains (a
 *     router quoting 8 transport bytes is enough). If that fails, the probe's
 *     looser nat_fields are tried (a NAT in front of the vantage point may
 *     rewrite the source port or a checksum): such a match sets KP_HOP_NAT and
 *     the Dublin-traceroute nat_id (quoted checksum − sent checksum, or quoted
 *     − sent source port for TCP). A match must be UNIQUE; ties are counted as
 *     ambiguous and dropped. Echo replies match on (source = probe destination,
 *     ICMP id, seq); TCP replies from the destination on (ports swapped, ack =
 *     probe seq + 1; for an ACK probe, an RST whose sequence number is the
 *     probe's acknowledgement number, RFC 9293 3.10.7.1). Never by timing — with one exception:
 * tools that send every TCP probe of a trace with the same ports and sequence number
 *     (tcptraceroute, scamper -P tcp, and their ACK probes) leave nothing in an RST to tell their
 *     probes apart; among the probes of that one trace sent before the RST,
 *     unanswered and above the last time-exceeded TTL, the RST goes to the
 *     last one sent (stats.tcp_order_ties counts these). A reply is accepted while
 *     rx_ts − tx_ts <= the probe's linger (see kp_rx_config); after the
 *     probe's wait it is flagged KP_HOP_LATE.
 *
 *  3. RECORDS. Each matched reply becomes a kp_hop of its probe's trace: TTL
 *     and attempt of the probe, reply address, rtt_ms = (rx_ts − tx_ts) / 1e6
 *     from the two capture timestamps, reply TTL, quoted TTL, ICMP type/code,
 *     TCP flags, reply/probe IP length, MPLS labels, NAT id, flags.
 *     stop_reason is decided from the data when the trace closes:
 *       - a reply that means "reached" (echo reply, TCP from the destination,
 *         port unreachable, protocol unreachable from the destination) at TTL R
 *         -> completed (stop_ttl R), unless an unreachable came at a lower TTL;
 *       - another destination unreachable at TTL U -> unreach-net / -host /
 *         admin-prohibited / unreach-proto / unreach-other (stop_ttl U);
 *       - else, with P the highest TTL probed and L the highest TTL that
 *         answered (first TTL probed − 1 if none): when gap_limit is known,
 *         gap_limit consecutive probed TTLs without any reply -> gaplimit
 *         (stop_ttl: the last of them), else P >= max_ttl -> maxttl, else
 *         interrupted; when gap_limit is unknown (foreign tools),
 *         P >= max_ttl -> maxttl, else P > L -> gaplimit, else interrupted.
 *       This mirrors tracer.h, so the record agrees with why the live
 *       sender stopped.
 *
 *  4. DELIVERY. A trace closes when capture time passes its last probe's
 *     time + max(idle_ns, linger) (no new probe and no reply can still come),
 *     as frames or kp_rx_tick() advance the clock, or at
 *     kp_rx_finish() (end of input / end of run). An exact trace (the
 *     prober's own, kp_rx_probe.exact) is never closed for being idle: it
 *     closes at its last probe's linger once the next trace in its slot has
 *     started, or at kp_rx_finish(). Closed traces are handed to
 *     on_trace, hops sorted by (ttl, attempt, rx time). Memory is bounded by
 *     the open traces (and max_open_traces caps them, max_held what they hold:
 *     beyond either, the trace idle longest is closed early and counted), not
 *     by the capture's size. The cost of a packet does not depend on how many
 *     probes its trace holds: stored probes are indexed by what matches them
 *     (core/rx/rx.c, "probe store"; kp_rx_probe_steps counts the work).
 *
 *  5. HOOK. on_reply is called for each matched reply as soon as it is seen,
 *     so the live engine's tracer learns about it immediately.
 *
 * Time: rx's clock is the capture time — the largest frame timestamp seen,
 * advanced further by kp_rx_tick(now_ns); traces close only up to clock −
 * lag_ns, so frames still queued in the capture buffer are not cut off. Acceptance of a reply is
 * decided by the timestamps alone, so the same capture gives the same records
 * whatever the tick pattern; only the ORDER in which traces are delivered may
 * differ between a live run and its replay (compare records by id).
 *
 * Pure: no sockets, no clocks, no globals. rx owns its memory
 * (kp_rx_create/kp_rx_destroy); frames and decoded packets are borrowed for
 * the duration of the call only.
 */
#ifndef KP_RX_H
#define KP_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/codec/decode.h"
#include "core/record/trace.h"

/* ---- Probe fields that identify a probe in a quote (struct kp_rx_probe) ---- */
#define KP_RX_F_SRC     0x0001u /* IP source address */
#define KP_RX_F_IPID    0x0002u /* IPv4 identification */
#define KP_RX_F_SPORT   0x0004u /* UDP/TCP source port */
#define KP_RX_F_DPORT   0x0008u /* UDP/TCP destination port */
#define KP_RX_F_UDPLEN  0x0010u /* UDP length */
#define KP_RX_F_UDPSUM  0x0020u /* UDP checksum */
#define KP_RX_F_ICMPID  0x0040u /* ICMP echo identifier */
#define KP_RX_F_ICMPSEQ 0x0080u /* ICMP echo sequence */
#define KP_RX_F_ICMPSUM 0x0100u /* ICMP checksum */
#define KP_RX_F_TCPSEQ  0x0200u /* TCP sequence number */
#define KP_RX_F_FLOWLBL 0x0400u /* IPv6 flow label */
/* The destination address and the protocol are always compared. */

#define KP_RX_ATTEMPT_AUTO 0xffffu /* rx numbers attempts per TTL in capture order */

/* What a classifier says about an outgoing probe. Zero-initialise, then fill. */
struct kp_rx_probe {
    const char *tool;      /* static string naming the sender, < KP_TOOL_LEN bytes:
                              "kptrace", "traceroute", "mtr", "tcptraceroute", "scamper" */
    enum kp_method method; /* KP_METHOD_* (classic ones for foreign tools) */
    /* Trace identity: probes with the same (classifier, src, dst, trace_key)
     * belong to one trace while it is open, unless a probe shows that the
     * tool started a new run towards the same destination (the user ran it
     * again): then the open trace is sealed and a new one starts (counted in
     * traces_split). A new run is (see core/rx/rx.c, new_run):
     *   - with a strict run_seq: a probe whose run_seq is not above the last
     *     probe's (the counter alone decides);
     *   - with a non-strict run_seq: one whose run_seq is below the last
     *     probe's, or else as without;
     *   - for tools that probe every TTL again each cycle (cycles below): a
     *     probe repeating an earlier probe's fields at the same TTL;
     *   - otherwise: a probe at a TTL below the last probe's that is at or
     *     below the trace's first TTL or was probed already (these tools
     *     send their TTLs in rising order and never go back).
     * Traces whose id is in the probe (has_trace_id) are never split. E.g.
     * kptrace: its trace id; traceroute: its source port / ICMP id;
     * scamper: sport or ICMP id. */
    uint64_t trace_key;
    bool cycles; /* the tool probes its TTLs again every cycle (mtr) */
    /* A number the tool counts up with the probes of one run and starts
     * again in a new run (scamper's IP ID 1, 2, ...; traceroute's UDP port
     * base + n). Strict: it grows with every probe (two probes with the same
     * run_seq belong to two runs); otherwise it never decreases within a
     * run but may stay the same (traceroute -U's fixed port). */
    bool has_run_seq, run_seq_strict;
    uint32_t run_seq;
    bool has_trace_id; /* trace_id is the record's id (kptrace payload) */
    uint32_t trace_id; /* otherwise rx numbers traces 1, 2, ... in order */
    /* Traces the prober planned (kptrace's marker version 2): the trace is
     * exactly (classifier, src, dst, trace_key), whatever the time between
     * its probes (a paused process, long waits): rx never splits it by time
     * and never closes it for being idle. While it sends it holds `slot`,
     * which no other trace of the run holds at the same time; the first
     * probe of another trace with the same (classifier, src, slot) shows
     * that it is finished: it is sealed and closes once its last probe's
     * linger has passed (or at kp_rx_finish). */
    bool exact;
    uint32_t slot;
    uint8_t ttl;                    /* TTL the tool meant (usually pkt->ip.ttl) */
    uint16_t attempt;               /* 0-based attempt at this TTL, or KP_RX_ATTEMPT_AUTO */
    uint32_t match_fields;          /* KP_RX_F_* a quote must equal (strict match) */
    uint32_t nat_fields;            /* looser KP_RX_F_* set accepted behind a NAT (0 = none);
                                       should include the fields that carry the identity */
    uint16_t sport, dport, icmp_id; /* flow fields for the record */
    /* Run parameters carried by the probe or known defaults of the tool;
     * 0 = unknown. Used for the record, the late flag, linger and the stop
     * reason. */
    uint8_t first_ttl, max_ttl, attempts, gap_limit;
    uint32_t wait_ms;
    /* How long after the wait a late reply still counts (kptrace --late):
     * with has_late the probe's linger is wait + late_ms, else
     * 2 x wait + 500 ms (see kp_rx_config.linger_ns). */
    bool has_late;
    uint32_t late_ms;
    /* Fill the run parameters left 0 above from kp_rx_config.run (kptrace's
     * classifier sets it: its marker does not carry them). */
    bool use_run_params;
};

/* Parameters of the kptrace run whose capture is received: live, the
 * prober's options; replay, the same options (from sweep.json or the command
 * line; kptrace's defaults when unknown). 0 = unknown. */
struct kp_rx_run {
    uint8_t first_ttl, max_ttl, attempts, gap_limit;
    uint32_t wait_ms;
    bool has_late; /* late_ms is known (kptrace --late; sweep.json options.late_ms) */
    uint32_t late_ms;
};

/* A foreign (or kptrace's own) probe recogniser: a const table, one per tool,
 * each in its own file (core/rx/rx_kptrace.c, and the replay helper's
 * core/codec/classify_<tool>.c). Rules for classify():
 *   - pure and stateless: decide from the packet alone (the payload is at
 *     pkt->l4.payload, pkt->l4.payload_len; it lives only during the call);
 *   - return 1 and fill *out (zeroed by rx beforehand) when the packet is an
 *     outgoing probe of this tool, 0 when it is not; never fail otherwise;
 *   - be specific: classifiers run in table order and the first 1 wins, and an
 *     ICMP error or a reply must never be taken for a probe;
 *   - pick match_fields that (a) differ between any two probes of a trace
 *     that can be in flight together and (b) are within the first 8 bytes of
 *     the transport header, so quotes of 8 bytes suffice.
 * Example (Linux traceroute default UDP): proto UDP, dport in 33434..33434+
 * max probes, TTL <= 64 -> tool "traceroute", method KP_METHOD_UDP, trace_key
 * sport, ttl = ip.ttl, attempt AUTO, match_fields SRC|IPID|SPORT|DPORT|UDPLEN,
 * nat_fields DPORT|IPID, max_ttl 30. */
struct kp_rx_classifier {
    const char *name; /* e.g. "kptrace", "linux-traceroute-udp" */
    int (*classify)(const struct kp_pkt *pkt, struct kp_rx_probe *out);
};

/* What a matched reply means for its trace. */
enum kp_rx_kind {
    KP_RX_HOP = 0, /* time exceeded: a router on the path */
    KP_RX_REACHED, /* the destination answered */
    KP_RX_UNREACH, /* destination unreachable that stops the trace (stop set) */
    KP_RX_OTHER,   /* other ICMP (parameter problem, ...): recorded, no effect */
};

/* Passed to on_reply; valid only during the call. */
struct kp_rx_reply {
    const struct kp_trace *trace; /* the open trace record so far (id, dst, hops) */
    const struct kp_hop *hop;     /* the hop just recorded */
    const char *tool;             /* the probe's classifier tool string */
    uint64_t trace_key;
    enum kp_rx_kind kind;
    enum kp_stop stop; /* for KP_RX_UNREACH: the stop reason */
};

struct kp_rx_stats {
    uint64_t frames;         /* frames given to rx */
    uint64_t truncated;      /* decode: KP_DEC_TRUNCATED */
    uint64_t malformed;      /* decode: KP_DEC_MALFORMED */
    uint64_t unsupported;    /* decode: link type / protocol not handled (unrelated) */
    uint64_t fragments;      /* decode: non-first fragments */
    uint64_t snapped;        /* decoded, but cut by the snaplen (cap_len < wire_len) */
    uint64_t ts_backwards;   /* frame timestamp smaller than an earlier frame's */
    uint64_t probes;         /* outgoing probes recognised */
    uint64_t probes_dup;     /* the same probe captured twice within 10 ms (ignored;
                                later identical bytes are a new probe or run) */
    uint64_t probes_foreign; /* probes a classifier claimed that validate_probe refused
                                (another run's: not stored, not in records) */
    uint64_t replies_in;     /* frames handled as replies (ICMP errors, echo replies,
                                TCP answers): each ends in exactly one of replies,
                                expired, dup_frames, ambiguous, rejected, unmatched,
                                replies_lost */
    uint64_t replies;        /* replies matched and recorded (incl. late, dup) */
    uint64_t replies_late;   /* ... of which after the probe's wait */
    uint64_t replies_nat;    /* ... of which matched through nat_fields */
    uint64_t replies_dup;    /* ... of which a 2nd different reply to a probe (KP_HOP_DUP) */
    uint64_t replies_lost;   /* matched, but could not be recorded (out of memory) */
    uint64_t dup_frames;     /* the same reply captured twice (ignored) */
    uint64_t expired;        /* matched a probe but after linger_ns (ignored) */
    uint64_t ambiguous;      /* quote matched several probes (ignored) */
    uint64_t tcp_order_ties; /* TCP answers from the destination that fitted several
                                unanswered probes of one trace (tools repeating every
                                field); given to the last one sent before it */
    uint64_t rejected;       /* reply to a destination/protocol we probe whose quote
                                matches none of the probes: spoofed, forged or
                                corrupted (kept in the capture, not in records) */
    uint64_t key_rejected;   /* ... of which matched a probe's fields but failed validate */
    uint64_t unmatched;      /* replies (ICMP errors, echo replies, TCP) for nothing we know */
    uint64_t other;          /* decoded packets that are neither probe nor reply */
    uint64_t traces_opened;
    uint64_t traces_closed;
    uint64_t traces_forced;      /* closed early because max_open_traces or max_held was
                                    reached */
    uint64_t traces_split;       /* a new run of a tool (see trace_key) or a repeated
                                    (ttl, attempt): new trace started */
    uint64_t traces_slot_sealed; /* exact traces sealed because their slot was taken */
    uint64_t open_traces_max;    /* high-water mark of open traces */
    uint64_t held_max; /* high-water mark of probes + hops held after a packet (max_held) */
};

/* The probe a reply was matched to, for kp_rx_config.validate. */
struct kp_rx_probe_ref {
    const char *tool; /* the classifier's tool string */
    enum kp_method method;
    uint64_t trace_id; /* the record's id */
    uint8_t ttl;
    uint16_t attempt;
    const struct kp_addr *src; /* the probe's source address */
};

struct kp_rx_config {
    /* Optional second check of every match, before it is recorded: return 0
     * to accept the reply, non-zero to reject it (counted in
     * stats.rejected and stats.key_rejected, kept out of the records). The
     * prober uses it to verify kptrace's keyed identity (rx_kptrace.h:
     * kp_rx_kptrace_validate); a replay given the run's key does the same, so
     * both give the same records. NULL: accept what the quote matched. */
    int (*validate)(void *vctx, const struct kp_pkt *reply, const struct kp_rx_probe_ref *probe);
    /* Optional check of every probe a classifier claimed, before it is
     * stored: non-zero = not a probe of this run (counted in
     * stats.probes_foreign, left out). The prober checks the keyed tag of
     * kptrace's marker (kp_rx_kptrace_validate_probe), so that the probes of
     * another kptrace on the same address never join its traces. Gets
     * validate_ctx. NULL: every claimed probe is stored. */
    int (*validate_probe)(void *vctx, const struct kp_pkt *pkt, const struct kp_rx_probe *probe);
    void *validate_ctx;
    /* Classifiers, tried in order (NULL/0: none — rx then recognises nothing). */
    const struct kp_rx_classifier *const *classifiers;
    size_t n_classifiers;
    const char *vp;              /* copied into every record ("" if NULL) */
    const char *ts_source;       /* copied into every record, e.g. "pcap"; NULL = "pcap" */
    struct kp_rx_run run;        /* see struct kp_rx_run */
    int64_t wait_ns;             /* late threshold when a probe carries no wait_ms; 0 = 5 s */
    int64_t linger_ns;           /* how long after a probe its replies are accepted;
                                    0 = per probe: wait + late when the probe's late is
                                    known (kp_rx_probe.has_late), else 2 * wait + 500 ms
                                    (wait = the probe's wait_ms, else wait_ns). Live and
                                    replay of one capture must agree on it: leave it 0
                                    in both. */
    int64_t idle_ns;             /* a trace closes (and a later probe with its key
                                    starts a new one) once its last probe is older
                                    than max(idle_ns, its probes' linger); 0 = 10 s.
                                    Exact traces (kp_rx_probe.exact) never close for
                                    being idle. */
    int64_t lag_ns;              /* closing runs up to (capture clock - lag_ns); 0 = 1 s */
    size_t max_open_traces;      /* 0 = 1,000,000 */
    size_t max_probes_per_trace; /* beyond it a new trace starts; 0 = 4096 */
    /* Probes stored plus hops recorded, in all open traces together: beyond
     * it the trace idle longest is closed early (traces_forced), so memory
     * stays within about max_held * 350 bytes however many probes the open
     * traces hold (a long mtr capture keeps every trace open). 0 = no limit
     * (the prober: its traces close as they finish). */
    size_t max_held;
    /* Called with each closed trace. The record is valid during the call;
     * the callee may take the hops array (set t->hops = NULL, t->n_hops = 0,
     * t->cap_hops = 0) or copy with kp_trace_copy; rx frees what remains. */
    void (*on_trace)(void *ctx, struct kp_trace *t);
    /* Called with each matched reply (may be NULL). */
    void (*on_reply)(void *ctx, const struct kp_rx_reply *r);
    void *ctx;
};

struct kp_rx;

/* Create a receive path. cfg is copied (the classifier table and the strings
 * it points to must outlive rx). 0 or -ENOMEM / -EINVAL. */
int kp_rx_create(const struct kp_rx_config *cfg, struct kp_rx **out);

/* Free rx and every open trace WITHOUT delivering them (call kp_rx_finish
 * first to deliver). NULL is a no-op. */
void kp_rx_destroy(struct kp_rx *rx);

/* Feed one captured frame of link type dlt (KP_DLT_* / LINKTYPE_*), captured
 * at ts_ns (ns since the Unix epoch, the capture's own timestamp), caplen
 * bytes. Returns 0 when the frame was used or counted (undecodable frames are
 * counted, not errors), or -ENOMEM. Defined in core/rx/rx_frame.c. */
int kp_rx_frame(struct kp_rx *rx, int dlt, int64_t ts_ns, const uint8_t *frame, size_t caplen);

/* Same for an already decoded packet (kp_rx_frame calls it; tests and callers
 * that decode themselves may too). The packet is borrowed for the call.
 * 0 or -ENOMEM. */
int kp_rx_packet(struct kp_rx *rx, int64_t ts_ns, const struct kp_pkt *pkt);

/* Count a frame that failed to decode with KP_DEC_* status (for callers that
 * decode themselves; kp_rx_frame does it). */
void kp_rx_count_decode(struct kp_rx *rx, int status);

/* Advance rx's clock to now_ns (never backwards) and deliver every trace
 * whose last probe is older than its closing span at (clock − lag_ns). Live: call it from the
 * event loop, e.g. every 100 ms with the capture's clock (CLOCK_REALTIME).
 * Replay may call it with the frame timestamps, or not at all. 0 or -ENOMEM. */
int kp_rx_tick(struct kp_rx *rx, int64_t now_ns);

/* End of input: deliver every open trace now (stop reasons still from the
 * data; a trace with nothing else to say is "interrupted"). 0. */
int kp_rx_finish(struct kp_rx *rx);

/* Number of open traces. */
size_t kp_rx_open_traces(const struct kp_rx *rx);

/* Work counter: stored probes (and index entries) visited to classify probes
 * and match replies since creation. Each probe and reply costs a bounded
 * number of steps whatever the number of probes a trace holds; tests assert
 * that by counting, not timing. */
uint64_t kp_rx_probe_steps(const struct kp_rx *rx);

/* Work counter: open traces visited to find the trace each probe belongs
 * to since creation (one lookup per probe, O(1) on average however many
 * traces are open; tests assert it by counting). */
uint64_t kp_rx_trace_steps(const struct kp_rx *rx);

/* Counters since creation (pointer valid while rx lives). */
const struct kp_rx_stats *kp_rx_stats(const struct kp_rx *rx);

/* Classify an ICMP/ICMPv6 error or reply by type and code, as rx does:
 * returns the kind and sets *stop for KP_RX_UNREACH. `from_dst` says whether
 * the reply's source is the probe's destination. Exposed for tests and for
 * the output code. */
enum kp_rx_kind kp_rx_icmp_kind(uint8_t ip_version, uint8_t type, uint8_t code, bool from_dst,
                                enum kp_stop *stop);

#endif
