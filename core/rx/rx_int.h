/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_int.h — internal to core/rx, not for use outside it: the receive path's
 * state (stored probes, their destinations, open traces, struct kp_rx), the
 * small helpers and index keys its files share, and the functions one of
 * them calls in another:
 *   rx.c        creation and destruction, closing traces, the clock,
 *               kp_rx_packet;
 *   rx_store.c  the probe store and its indexes, the open-trace table;
 *   rx_probe.c  probes in: new traces, duplicates, repeats, handle_probe;
 *   rx_cell.c   kptrace's own probes in per-trace cells (TTL, attempt);
 *   rx_match.c  replies in: ICMP errors by their quote, echo replies, TCP
 *               replies, and recording a reply in its trace.
 * See rx.h for the rules. */
#ifndef KP_RX_INT_H
#define KP_RX_INT_H

#include "core/rx/rx.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/base/htab.h"
#include "core/base/proto.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Two captures of one packet (tcpdump -i any: on two interfaces) lie this
 * close in time at most; equal probes further apart were sent twice. */
#define DUP_CAPTURE_NS 10000000LL /* 10 ms */

struct rx_trace;
struct rx_dest;

/* The header fields that identify a probe (a stored probe's, or those of a
 * quote, seen as the probe it claims to be). */
struct rx_fields {
    uint8_t proto, icmp_type, tcp_flags;
    uint16_t ip_id, sport, dport, udp_len, udp_sum, icmp_id, icmp_seq, icmp_sum;
    uint32_t tcp_seq, tcp_ack, flowlabel;
};

/* A stored probe. Its source and destination are its trace's (a trace is
 * keyed by them). It is indexed by everything that can find it (see "probe
 * store" below), so no lookup walks the probes of a trace or a destination.
 * Kept small: a trace may hold thousands. */
struct rx_probe {
    struct kp_htab_node by_quote;     /* rx->by_quote: its strict fields */
    struct kp_htab_node by_trace;     /* rx->by_repeat if its trace cycles, else rx->by_slot */
    struct rx_reply_ix *rix;          /* in by_nat and by_answer, once its destination needs */
    struct rx_short_ix *six;          /* in by_short, once its destination needs */
    struct rx_probe *dnext, **dpprev; /* the destination's probes */
    struct rx_probe *tnext;           /* list of the trace's probes (free list when unused) */
    struct rx_trace *trace;
    struct rx_dest *dest;
    int64_t tx_ns;
    struct rx_fields f;
    uint32_t qmask, nmask; /* its match_fields and nat_fields that a full quote holds */
    uint32_t index;        /* its place among the trace's probes: 0, 1, ... */
    uint32_t wait_ms;      /* kp_rx_probe.wait_ms, 0: rx's wait_ns */
    uint32_t late_ms;      /* kp_rx_probe.late_ms, when has_late */
    uint32_t r_hop;        /* its first reply's hop in the trace's record */
    uint16_t r_ipid;       /* ... and that reply's IP ID (with the hop: the same frame twice?) */
    uint16_t attempt;
    uint16_t probe_size;
    uint16_t n_replies;
    uint8_t ttl;
    bool retrans;  /* the kernel sending an earlier SYN again (see retrans_of) */
    bool has_late; /* kp_rx_probe.has_late (see probe_linger) */
    bool cell;     /* in its trace's cells, not in by_quote nor by_slot (see rx_cell.c) */
};

/* A probe's entries in the indexes built only for destinations that need
 * them (see the probe store). */
struct rx_reply_ix {
    struct rx_probe *p;
    struct kp_htab_node by_nat, by_answer;
};
struct rx_short_ix {
    struct rx_probe *p;
    struct kp_htab_node by_short[4]; /* [2 * quote level + (0 strict, 1 NAT-tolerant)] */
};

/* The probes to one (destination, protocol): what a quote names. */
#define RX_DEST_MASKS 4
#define RX_IX_NAT     1u /* its probes are in by_nat */
#define RX_IX_ANSWER  2u /* ... in by_answer */
#define RX_IX_SHORT   4u /* ... in by_short */
struct rx_dest {
    struct kp_htab_node node; /* rx->dests */
    struct kp_addr dst;
    uint8_t proto;
    uint8_t indexed; /* RX_IX_*: the indexes built for its probes */
    bool scan;       /* more distinct masks than below: quotes walk `probes` */
    uint8_t n_qmask, n_nmask;
    uint32_t qmask[RX_DEST_MASKS], nmask[RX_DEST_MASKS]; /* distinct masks of its probes */
    size_t n_probes;
    size_t n_cell; /* ... of which in their trace's cells (in no probe index) */
    struct rx_probe *probes;
};

struct rx_trace {
    struct kp_trace rec;
    size_t cls;
    uint64_t key;
    uint64_t serial; /* unique among rx's traces (index keys) */
    bool cycles;     /* kp_rx_probe.cycles of its first probe */
    bool sealed;
    bool exact;                /* kp_rx_probe.exact of its first probe */
    bool in_x;                 /* on the list of exact unsealed traces, not the expiry list */
    bool in_slot;              /* in rx->slots (exact, unsealed) */
    uint32_t slot;             /* kp_rx_probe.slot (exact) */
    struct kp_htab_node snode; /* rx->slots: (cls, src, slot) -> holder */
    bool in_open;              /* in rx->open (unsealed only) */
    struct kp_htab_node onode; /* rx->open: (cls, src, dst, key) -> trace */

    struct rx_trace *lprev, *lnext; /* expiry list, or the exact list (in_x) */
    struct rx_probe *probes, *probes_tail;
    size_t n_probes;
    int64_t first_tx_ns, last_tx_ns, last_rx_ns;
    int64_t span_ns; /* close once the last probe is this old */
    uint8_t min_ttl, max_ttl_probed, max_attempt;
    uint8_t p_first, p_max, p_attempts, p_gap;
    uint32_t p_wait_ms;
    /* per TTL: probed, answered; earliest reached/unreach */
    uint8_t probed[32], answered[32];
    uint16_t reach_ttl, unreach_ttl;
    enum kp_stop unreach_stop;
    /* probe store: the strict mask of its probes (qmask_mixed: not all
     * the same), the highest TTL whose probe's first reply was a time
     * exceeded, per TTL up to n_ttl - 1 the probes stored (saturating)
     * and those that are not retransmissions (wrapping, as attempts do),
     * and the last probe's kp_rx_probe.run_seq */
    uint32_t qmask;
    bool qmask_mixed;
    uint8_t te_ttl;
    uint16_t n_ttl;
    uint16_t (*ttl_count)[2];
    size_t n_hops; /* recorded (the record's own count may be taken by on_trace) */
    bool last_has_run_seq;
    uint32_t last_run_seq;
    /* kptrace's own probes (see rx_cell.c): per (TTL, attempt) the probe,
     * cells[ttl * RX_CELL_ATTEMPTS + attempt] for TTLs below n_cell_ttl; the
     * flow value (source port or ICMP id) they all carry, and the
     * destination they are stored under; fnode in rx->by_flow */
    struct rx_probe **cells;
    uint16_t n_cell_ttl;
    uint16_t flow;
    bool in_flow;
    size_t n_cell;
    struct rx_dest *cdest;
    struct kp_htab_node fnode;
};

struct kp_rx {
    struct kp_rx_config cfg;
    char vp[KP_VP_LEN];
    char ts_source[KP_TS_LEN];
    int64_t clock_ns; /* largest capture time seen (frames or ticks) */
    bool have_clock;
    int64_t last_frame_ns;
    bool have_frame;
    /* probe store (see rx_store.c) */
    struct kp_htab dests, by_quote, by_slot, by_repeat, by_nat, by_answer, by_short;
    struct kp_htab by_flow;  /* traces holding cells by (destination, flow) */
    uint64_t cell_steps;     /* cells visited (see rx_cell.c) */
    size_t n_probes, n_hops; /* held by open traces (see max_held) */
    uint64_t next_serial;
    uint64_t scan_steps;         /* probes visited outside the indexes (short quotes) */
    struct rx_probe *probe_free; /* unused probes, linked by tnext */
    void **probe_chunks;         /* where they were allocated, freed at destroy */
    size_t n_probe_chunks, cap_probe_chunks;
    struct kp_htab open; /* unsealed traces by (cls, src, dst, key) */
    size_t n_open;
    struct rx_trace *lhead, *ltail; /* closable by time, in order of last probe */
    struct rx_trace *xhead, *xtail; /* exact traces still sending: never closed by time */
    struct kp_htab slots;           /* exact unsealed traces by (cls, src, slot) */
    uint32_t next_id;
    struct kp_rx_stats st;
};

/* ------------------------------------------------------------------ */
/* small helpers */

static inline bool same_addr(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != b->family)
        return false;
    return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static inline bool bit_get(const uint8_t *bm, unsigned i)
{
    return (bm[i >> 3] >> (i & 7)) & 1u;
}

static inline void bit_set(uint8_t *bm, unsigned i)
{
    bm[i >> 3] = (uint8_t)(bm[i >> 3] | (1u << (i & 7)));
}

static inline bool is_icmp_proto(uint8_t p)
{
    return p == KP_PROTO_ICMP || p == KP_PROTO_ICMPV6;
}

/* Kinds of index key (see the probe store in rx_store.c; H_SHORT to
 * H_SHORT + 5 are the short-quote indexes' levels; H_OPEN the open traces). */
enum {
    H_DEST = 1,
    H_QUOTE,
    H_NAT,
    H_ECHO,
    H_TCP,
    H_SLOT,
    H_REPEAT,
    H_SHORT,
    H_OPEN = H_SHORT + 6,
    H_FLOW
};

/* rx_store.c: the probe store and its indexes, the open-trace table */
uint32_t rx_full_quote(uint8_t family, uint8_t proto);
uint32_t rx_short_quote(uint8_t family, uint8_t proto, unsigned level);
uint64_t rx_fields_key(uint64_t seed, const struct kp_addr *dst, uint8_t proto,
                       const struct kp_addr *src, const struct rx_fields *f, uint32_t mask);
uint64_t rx_echo_key(const struct kp_addr *dst, uint8_t proto, uint8_t type, uint16_t id,
                     uint16_t seq);
uint64_t rx_tcp_key(const struct kp_addr *dst, bool ack_probe, uint16_t sport, uint16_t dport,
                    uint32_t x);
uint64_t rx_slot_key(const struct rx_trace *t, uint8_t ttl, uint16_t attempt);
uint64_t rx_repeat_key(const struct rx_trace *t, uint8_t ttl, const struct rx_fields *f);
bool rx_is_ack_probe(uint8_t tcp_flags);
struct rx_dest *rx_dest_find(struct kp_rx *rx, const struct kp_addr *dst, uint8_t proto);
int rx_dest_index(struct kp_rx *rx, struct rx_dest *d, unsigned which);
struct rx_probe *rx_probe_alloc(struct kp_rx *rx);
void rx_probe_release(struct kp_rx *rx, struct rx_probe *p);
int rx_probe_link(struct kp_rx *rx, struct rx_probe *p, uint32_t match_fields, uint32_t nat_fields,
                  bool exact);
int rx_open_link(struct kp_rx *rx, struct rx_trace *t);
void rx_open_unlink(struct kp_rx *rx, struct rx_trace *t);
struct rx_trace *rx_open_find(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                              const struct kp_addr *dst, uint64_t key);
void rx_l_unlink(struct kp_rx *rx, struct rx_trace *t);
void rx_l_append(struct kp_rx *rx, struct rx_trace *t);
uint64_t rx_slot_hash(size_t cls, const struct kp_addr *src, uint32_t slot);
struct rx_trace *rx_slot_holder(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                                uint32_t slot);
void rx_slot_release(struct kp_rx *rx, struct rx_trace *t);
void rx_free_trace(struct kp_rx *rx, struct rx_trace *t);

/* rx_cell.c: kptrace's own probes in per-trace cells */
#define RX_CELL_ATTEMPTS 4 /* attempts 0..3 (the identity's 2 bits) */
struct rx_cell_id {
    uint16_t flow;
    uint8_t ttl, attempt;
};
bool rx_cell_decode(uint8_t family, const struct rx_fields *f, struct rx_cell_id *id);
struct rx_probe *rx_cell_get(struct kp_rx *rx, const struct rx_trace *t, uint8_t ttl,
                             uint16_t attempt);
bool rx_cell_fits(const struct rx_trace *t, const struct rx_probe *p, const struct rx_dest *d);
int rx_cell_put(struct kp_rx *rx, struct rx_probe *p, struct rx_dest *d);
void rx_cell_take(struct kp_rx *rx, struct rx_probe *p, struct rx_dest *d);
void rx_cell_drop(struct kp_rx *rx, struct rx_trace *t);
struct kp_htab_node *rx_cell_flow_first(struct kp_rx *rx, const struct rx_dest *d, uint16_t flow);

/* rx_probe.c: probes in */
void rx_fill_fields(struct rx_fields *f, const struct kp_ip *ip, const struct kp_l4 *l4);
bool rx_fields_equal(const struct rx_probe *p, const struct kp_addr *src, const struct rx_fields *q,
                     uint32_t mask);
int64_t rx_probe_wait_ns(const struct kp_rx *rx, const struct rx_probe *p);
int64_t rx_probe_linger(const struct kp_rx *rx, const struct rx_probe *p);
int rx_handle_probe(struct kp_rx *rx, size_t cls, int64_t ts, const struct kp_pkt *pkt,
                    const struct kp_rx_probe *cin);

/* rx_match.c: replies in */
void rx_match_quote(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt);
void rx_match_echo(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt);
void rx_match_tcp(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt);

/* rx.c: closing traces */
void rx_close_trace(struct kp_rx *rx, struct rx_trace *t);
void rx_seal(struct kp_rx *rx, struct rx_trace *t);

#endif
