/* SPDX-License-Identifier: BSD-2-Clause */
/* trace.h — the traceroute record every part of kptrace speaks.
 *
 * A kp_trace is what the prober writes (one JSON line per trace), what replay
 * rebuilds from a capture, and what the annotator reads (also from RIPE Atlas
 * and scamper JSON). Its JSON form is documented in docs/format.md and lives in
 * core/record/trace_json.c (jansson form, strict reader), trace_json_write.c
 * (the direct writer) and trace_json_scan.c (the fast reader).
 *
 * Ownership: a kp_trace owns its hops array (kp_trace_free releases it). Strings
 * are fixed-size arrays inside the record, so records can be copied with
 * kp_trace_copy. Pure: no I/O, no clocks, no globals.
 */
#ifndef KP_TRACE_H
#define KP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"

/* Traceroute methods. The first four are what kptrace sends; the others are
 * what replay recognises in other tools' captures or what imported JSON says. */
enum kp_method {
    KP_METHOD_UNKNOWN = 0,
    KP_METHOD_ICMP_PARIS, /* "icmp-paris": echo request, checksum constant */
    KP_METHOD_UDP_PARIS,  /* "udp-paris": ports constant, id in UDP checksum */
    KP_METHOD_TCP_SYN,    /* "tcp-syn": ports constant, id in sequence number */
    KP_METHOD_UDP,        /* "udp": classic, destination port grows per probe */
    KP_METHOD_ICMP,       /* "icmp": classic echo, sequence grows per probe */
    KP_METHOD_TCP,        /* "tcp": TCP probes with varying fields (e.g. -T) */
    KP_METHOD_TCP_ACK,    /* "tcp-ack": bare ACKs; the destination answers an RST
                             whose sequence is the probe's ack (replays only) */
    KP_METHOD_COUNT
};

/* Why a trace stopped. Names (kp_stop_name) follow scamper where they exist. */
enum kp_stop {
    KP_STOP_NONE = 0,      /* "none": still running / unknown */
    KP_STOP_COMPLETED,     /* "completed": the destination answered */
    KP_STOP_UNREACH_NET,   /* "unreach-net": ICMP net unreachable (!N) */
    KP_STOP_UNREACH_HOST,  /* "unreach-host": ICMP host unreachable (!H) */
    KP_STOP_ADMIN_PROHIB,  /* "admin-prohibited": ICMP 3/9,10,13 (!X) */
    KP_STOP_UNREACH_PROTO, /* "unreach-proto": protocol unreachable from a router (!P) */
    KP_STOP_UNREACH_OTHER, /* "unreach-other": any other unreachable code */
    KP_STOP_GAPLIMIT,      /* "gaplimit": N consecutive silent TTLs */
    KP_STOP_MAXTTL,        /* "maxttl": reached max TTL without an answer */
    KP_STOP_LOOP,          /* "loop": the same address at a larger TTL repeatedly */
    KP_STOP_INTERRUPTED,   /* "interrupted": the run was stopped */
    KP_STOP_ERROR,         /* "error": sending failed */
    KP_STOP_COUNT
};

#define KP_MAX_MPLS 8

struct kp_mpls {
    uint32_t label; /* 20 bits */
    uint8_t tc;     /* traffic class (exp), 3 bits */
    uint8_t s;      /* bottom of stack */
    uint8_t ttl;
};

/* Flags on a hop. */
#define KP_HOP_NAT      0x01u /* quoted header was rewritten (nat_id valid) */
#define KP_HOP_FROM_DST 0x02u /* the reply came from the destination itself */
#define KP_HOP_LATE     0x04u /* the reply came after the probe's wait ran out */
#define KP_HOP_DUP      0x08u /* a second reply to the same probe */

/* One reply to one probe. A silent probe is not a hop: TTLs with no reply
 * simply have no kp_hop (text output prints '*'). */
struct kp_hop {
    uint8_t ttl;     /* TTL the probe was sent with */
    uint8_t attempt; /* 0-based attempt at this TTL */
    struct kp_addr addr;
    double rtt_ms;       /* < 0 when unknown */
    int16_t reply_ttl;   /* IP TTL of the reply, -1 unknown */
    int16_t quoted_ttl;  /* TTL in the quoted probe header, -1 n/a */
    int16_t icmp_type;   /* -1 when the reply is not ICMP (e.g. TCP) */
    int16_t icmp_code;   /* -1 when the reply is not ICMP */
    uint8_t tcp_flags;   /* TCP flags when the reply is TCP, else 0 */
    uint16_t reply_size; /* IP length of the reply, 0 unknown */
    uint16_t probe_size; /* IP length of the probe, 0 unknown */
    uint16_t nat_id;     /* Dublin-traceroute NAT id, valid with KP_HOP_NAT */
    uint32_t flags;      /* KP_HOP_* */
    int64_t tx_ns;       /* send time, ns since the Unix epoch, 0 unknown */
    int64_t rx_ns;       /* receive time, ns since the Unix epoch, 0 unknown */
    uint8_t n_mpls;
    struct kp_mpls mpls[KP_MAX_MPLS];
};

/* The largest rtt_ms readers accept from a file (1e9 ms, 11.6 days): larger
 * values are corrupt, and their nanoseconds would not fit an int64_t. */
#define KP_RTT_MS_MAX 1e9

#define KP_VP_LEN   64
#define KP_NAME_LEN 256
#define KP_TOOL_LEN 24
#define KP_TS_LEN   16

struct kp_trace {
    char vp[KP_VP_LEN];     /* vantage point id ("" unknown) */
    char tool[KP_TOOL_LEN]; /* who sent the probes: "kptrace", "traceroute", "mtr",
                               "tcptraceroute", "scamper", "atlas", ... */
    struct kp_addr src, dst;
    char dst_name[KP_NAME_LEN]; /* name given by the user, "" if none */
    enum kp_method method;
    uint16_t sport, dport; /* UDP/TCP flow ports (first probe's for classic) */
    uint16_t icmp_id;      /* ICMP echo identifier */
    uint8_t first_ttl, max_ttl, attempts, gap_limit;
    uint32_t wait_ms; /* per-probe wait */
    uint32_t probes_sent;
    uint32_t send_failed;     /* probes of it the network refused for a moment and
                                 that went again later (kptrace sweep/trace) */
    int64_t start_ns, end_ns; /* ns since the Unix epoch */
    enum kp_stop stop_reason;
    uint8_t stop_ttl;                  /* TTL at which it stopped, 0 n/a */
    char ts_source[KP_TS_LEN];         /* "kernel", "pcap", "user", "import" */
    uint64_t id;                       /* run-local trace number */
    uint32_t meta_msm_id, meta_prb_id; /* RIPE Atlas ids when imported, else 0 */
    /* The TTLs probed (bit ttl of probed[ttl / 8]), as the receive path saw
     * the probes in the capture; probed_known false when the record does not
     * say (read from a file): every TTL up to the stop is then taken as
     * probed. A TTL not probed (Doubletree started above it or skipped it)
     * is not silent: the text table says so instead of '*'. Not written to
     * JSON. */
    uint8_t probed[32];
    bool probed_known;
    size_t n_hops, cap_hops;
    struct kp_hop *hops; /* owned; sorted by (ttl, attempt) when finished */
};

/* Initialise an empty trace (all unknowns set to their 'unknown' values). */
void kp_trace_init(struct kp_trace *t);

/* Release the hops array; the record is left empty and reusable. */
void kp_trace_free(struct kp_trace *t);

/* Deep-copy src into *dst (dst must be initialised or freed). 0 or -ENOMEM. */
int kp_trace_copy(struct kp_trace *dst, const struct kp_trace *src);

/* Room for n hops in all (readers that know how many are coming allocate
 * once). 0 or -ENOMEM. */
int kp_trace_reserve(struct kp_trace *t, size_t n);

/* Append a copy of *h. 0 or -ENOMEM. */
int kp_trace_add_hop(struct kp_trace *t, const struct kp_hop *h);

/* Whether TTL ttl was probed: its bit of probed[], or true for any TTL when
 * the record does not say (probed_known false). */
bool kp_trace_probed(const struct kp_trace *t, unsigned ttl);

/* Sort hops by (ttl, attempt, rx time). */
void kp_trace_sort(struct kp_trace *t);

/* Initialise a hop with every field 'unknown'. */
void kp_hop_init(struct kp_hop *h);

/* Names <-> enums. Names are the JSON strings; lookups return -1 (or UNKNOWN /
 * NONE) for an unknown name. */
const char *kp_method_name(enum kp_method m);
enum kp_method kp_method_from_name(const char *s);
const char *kp_stop_name(enum kp_stop s);
enum kp_stop kp_stop_from_name(const char *s);

/* The stop reason an ICMP destination-unreachable code means when it comes
 * from a router (not the destination): 0,6,11 net; 1,7,12 host; 9,10,13
 * admin-prohibited; 2 protocol; others KP_STOP_UNREACH_OTHER. */
enum kp_stop kp_stop_from_unreach_code(int code);

/* Traceroute-style annotation for a hop's reply ("!X", "!N", "!H", "!P", ...),
 * "" for time-exceeded and ordinary destination replies. */
const char *kp_hop_bang(const struct kp_hop *h);

#endif
