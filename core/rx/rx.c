/* SPDX-License-Identifier: BSD-2-Clause */
/* rx.c — the single receive path: probes and replies in, kp_trace out.
 * See rx.h for the rules. Layout of this file:
 *   - probe table: stored probes chained in a hash by (destination, protocol),
 *     which is what a reply's quote (or an echo / TCP reply's source) names;
 *   - trace table: open traces by (classifier, src, dst, trace_key), plus a
 *     list in order of last probe, which is the order they expire in;
 *   - matching of ICMP errors (by the quote), echo replies and TCP replies;
 *   - closing a trace: stop reason from the data, record, callback.
 */
#include "core/rx/rx.h"

#include <errno.h>
#include "core/base/htab.h"
#include <stdlib.h>
#include <string.h>

#include "core/base/htab.h"

#define IPPROTO_ICMP_   1
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_ICMPV6_ 58

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
    struct rx_trace *hnext, **hpprev; /* open-trace hash (unsealed only) */
    struct rx_trace *lprev, *lnext;   /* expiry list, or the exact list (in_x) */
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
};

struct kp_rx {
    struct kp_rx_config cfg;
    char vp[KP_VP_LEN];
    char ts_source[KP_TS_LEN];
    int64_t clock_ns; /* largest capture time seen (frames or ticks) */
    bool have_clock;
    int64_t last_frame_ns;
    bool have_frame;
    /* probe store (see "probe store" below) */
    struct kp_htab dests, by_quote, by_slot, by_repeat, by_nat, by_answer, by_short;
    size_t n_probes, n_hops; /* held by open traces (see max_held) */
    uint64_t next_serial;
    uint64_t scan_steps;         /* probes visited outside the indexes (short quotes) */
    struct rx_probe *probe_free; /* unused probes, linked by tnext */
    void **probe_chunks;         /* where they were allocated, freed at destroy */
    size_t n_probe_chunks, cap_probe_chunks;
    struct rx_trace **tb; /* open-trace hash buckets */
    size_t n_tb, n_open;
    struct rx_trace *lhead, *ltail; /* closable by time, in order of last probe */
    struct rx_trace *xhead, *xtail; /* exact traces still sending: never closed by time */
    struct kp_htab slots;           /* exact unsealed traces by (cls, src, slot) */
    uint32_t next_id;
    struct kp_rx_stats st;
};

/* ------------------------------------------------------------------ */
/* small helpers */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t addr_hash(uint64_t h, const struct kp_addr *a)
{
    h = mix(h, a->family);
    for (int i = 0; i < (a->family == 4 ? 4 : 16); i += 4) {
        uint32_t w = (uint32_t)a->b[i] << 24 | (uint32_t)a->b[i + 1] << 16 |
                     (uint32_t)a->b[i + 2] << 8 | a->b[i + 3];
        h = mix(h, w);
    }
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ull;
    h ^= h >> 27;
    return h;
}

static bool same_addr(const struct kp_addr *a, const struct kp_addr *b)
{
    if (a->family != b->family)
        return false;
    return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static bool bit_get(const uint8_t *bm, unsigned i)
{
    return (bm[i >> 3] >> (i & 7)) & 1u;
}

static void bit_set(uint8_t *bm, unsigned i)
{
    bm[i >> 3] = (uint8_t)(bm[i >> 3] | (1u << (i & 7)));
}

static bool is_icmp_proto(uint8_t p)
{
    return p == IPPROTO_ICMP_ || p == IPPROTO_ICMPV6_;
}

/* ------------------------------------------------------------------ */
/* creation */

int kp_rx_create(const struct kp_rx_config *cfg, struct kp_rx **out)
{
    if (cfg == NULL || out == NULL || (cfg->n_classifiers > 0 && cfg->classifiers == NULL))
        return -EINVAL;
    struct kp_rx *rx = calloc(1, sizeof(*rx));
    if (rx == NULL)
        return -ENOMEM;
    rx->cfg = *cfg;
    if (rx->cfg.wait_ns <= 0)
        rx->cfg.wait_ns = 5000000000LL;
    if (rx->cfg.linger_ns < 0)
        rx->cfg.linger_ns = 0; /* 0: per probe, see probe_linger() */
    if (rx->cfg.idle_ns <= 0)
        rx->cfg.idle_ns = 10000000000LL;
    if (rx->cfg.lag_ns <= 0)
        rx->cfg.lag_ns = 1000000000LL;
    if (rx->cfg.max_open_traces == 0)
        rx->cfg.max_open_traces = 1000000;
    if (rx->cfg.max_probes_per_trace == 0)
        rx->cfg.max_probes_per_trace = 4096;
    if (cfg->vp) {
        strncpy(rx->vp, cfg->vp, sizeof(rx->vp) - 1);
    }
    strncpy(rx->ts_source, cfg->ts_source ? cfg->ts_source : "pcap", sizeof(rx->ts_source) - 1);
    kp_htab_init(&rx->dests);
    kp_htab_init(&rx->by_quote);
    kp_htab_init(&rx->by_nat);
    kp_htab_init(&rx->by_answer);
    kp_htab_init(&rx->by_short);
    kp_htab_init(&rx->by_slot);
    kp_htab_init(&rx->by_repeat);
    rx->n_tb = 256;
    rx->tb = calloc(rx->n_tb, sizeof(*rx->tb));
    if (rx->tb == NULL) {
        free(rx);
        return -ENOMEM;
    }
    kp_htab_init(&rx->slots);
    rx->next_id = 1;
    *out = rx;
    return 0;
}

static void free_trace(struct kp_rx *rx, struct rx_trace *t);

void kp_rx_destroy(struct kp_rx *rx)
{
    if (rx == NULL)
        return;
    while (rx->lhead)
        free_trace(rx, rx->lhead);
    while (rx->xhead)
        free_trace(rx, rx->xhead);
    kp_htab_free(&rx->slots);
    kp_htab_free(&rx->dests);
    kp_htab_free(&rx->by_quote);
    kp_htab_free(&rx->by_nat);
    kp_htab_free(&rx->by_answer);
    kp_htab_free(&rx->by_short);
    kp_htab_free(&rx->by_slot);
    kp_htab_free(&rx->by_repeat);
    for (size_t i = 0; i < rx->n_probe_chunks; i++)
        free(rx->probe_chunks[i]);
    free(rx->probe_chunks);
    free(rx->tb);
    free(rx);
}

size_t kp_rx_open_traces(const struct kp_rx *rx)
{
    return rx->n_open;
}

const struct kp_rx_stats *kp_rx_stats(const struct kp_rx *rx)
{
    return &rx->st;
}

void kp_rx_count_decode(struct kp_rx *rx, int status)
{
    rx->st.frames++;
    switch (status) {
    case KP_DEC_TRUNCATED:
        rx->st.truncated++;
        break;
    case KP_DEC_MALFORMED:
        rx->st.malformed++;
        break;
    case KP_DEC_FRAGMENT:
        rx->st.fragments++;
        break;
    default:
        rx->st.unsupported++;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* probe store
 *
 * Every stored probe is indexed by what can name it. Each index is a kp_htab
 * keyed by a hash of the values a lookup compares; the probes found are then
 * checked field by field exactly as a walk over every probe would check
 * them, so the indexes change the cost, never the result:
 *   dests      (destination, protocol) -> rx_dest: whether a quote, echo or
 *              TCP answer names a destination we probe (rejected rather than
 *              unmatched), the distinct masks of its probes, and its probes
 *              in a list;
 *   by_quote   (destination, protocol, strict mask, the probe's values under
 *              it): a quote of 8 transport bytes or more looks up each
 *              distinct strict mask of its destination; the duplicate check
 *              uses it too;
 *   by_nat     the same with the NAT-tolerant mask, for quotes that match
 *              no probe strictly;
 *   by_answer  ICMP probes by (destination, type, id, seq), for echo
 *              replies; TCP probes by (destination, ports, the number their
 *              answer carries: the SYN's seq + 1 as its ack, or the ACK
 *              probe's ack as the RST's seq);
 *   by_short   the strict and NAT-tolerant masks cut to what a quote of 0-3
 *              and of 4-7 transport bytes holds (a capture's snaplen or a
 *              router that quotes too little), for such quotes;
 *   by_slot    (trace, TTL, attempt): whether that attempt was probed;
 *   by_repeat  instead of by_slot for traces of cycling tools (mtr): (trace,
 *              TTL, ports, ICMP id and seq), a probe repeating an earlier one
 *              (a new run, or the kernel retransmitting a SYN). Their tools
 *              number attempts in rx (KP_RX_ATTEMPT_AUTO), so by_slot is not
 *              needed; a probe of such a trace naming its attempt has its
 *              slot checked by walking the trace.
 * A probe or a reply therefore costs a few lookups whatever the number of
 * probes its trace or destination holds; a chain only holds probes carrying
 * the same values, which no reply could tell apart anyway. The lookups count
 * their steps (kp_rx_probe_steps) so that tests can check this.
 *
 * by_nat, by_answer and by_short are built per destination when a reply
 * first needs them (its probes are indexed then, and its later probes as
 * they come: one walk per destination, so the cost stays linear): a long
 * mtr capture, whose replies are all time exceeded matched strictly, needs
 * none of them and its probes stay small. A destination with more distinct
 * masks than an rx_dest holds, or an index that cannot be built for lack
 * of memory, has its probes walked instead. */

enum { H_DEST = 1, H_QUOTE, H_NAT, H_ECHO, H_TCP, H_SLOT, H_REPEAT, H_SHORT };

/* The KP_RX_F_* fields a quote of a probe of this family and protocol holds
 * when it carries 8 transport bytes or more (see quote_avail). */
static uint32_t full_quote(uint8_t family, uint8_t proto)
{
    uint32_t a = KP_RX_F_SRC | (family == 4 ? KP_RX_F_IPID : KP_RX_F_FLOWLBL);
    switch (proto) {
    case IPPROTO_UDP_:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN | KP_RX_F_UDPSUM;
    case IPPROTO_TCP_:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        return a | KP_RX_F_ICMPSUM | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    default:
        return a;
    }
}

/* What a quote of 0-3 (level 0) or 4-7 (level 1) transport bytes holds (see
 * quote_avail); level 2, 8 bytes or more, is full_quote. */
static uint32_t short_quote(uint8_t family, uint8_t proto, unsigned level)
{
    uint32_t a = KP_RX_F_SRC | (family == 4 ? KP_RX_F_IPID : KP_RX_F_FLOWLBL);
    if (level == 0)
        return a;
    switch (proto) {
    case IPPROTO_UDP_:
    case IPPROTO_TCP_:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        return a | KP_RX_F_ICMPSUM;
    default:
        return a;
    }
}

static uint64_t hash_fields(uint64_t h, const struct kp_addr *src, const struct rx_fields *f,
                            uint32_t mask)
{
    h = kp_hash_u64(h, mask);
    if (mask & KP_RX_F_SRC)
        h = kp_addr_hash(h, src);
    uint64_t w1 = 0, w2 = 0, w3 = 0;
    if (mask & KP_RX_F_IPID)
        w1 |= f->ip_id;
    if (mask & KP_RX_F_SPORT)
        w1 |= (uint64_t)f->sport << 16;
    if (mask & KP_RX_F_DPORT)
        w1 |= (uint64_t)f->dport << 32;
    if (mask & KP_RX_F_UDPLEN)
        w1 |= (uint64_t)f->udp_len << 48;
    if (mask & KP_RX_F_UDPSUM)
        w2 |= f->udp_sum;
    if (mask & KP_RX_F_ICMPID)
        w2 |= (uint64_t)f->icmp_id << 16;
    if (mask & KP_RX_F_ICMPSEQ)
        w2 |= (uint64_t)f->icmp_seq << 32;
    if (mask & KP_RX_F_ICMPSUM)
        w2 |= (uint64_t)f->icmp_sum << 48;
    if (mask & KP_RX_F_TCPSEQ)
        w3 |= f->tcp_seq;
    if (mask & KP_RX_F_FLOWLBL)
        w3 |= (uint64_t)f->flowlabel << 32;
    return kp_hash_u64(kp_hash_u64(kp_hash_u64(h, w1), w2), w3);
}

static uint64_t dest_hash(const struct kp_addr *dst, uint8_t proto)
{
    return kp_hash_u64(kp_addr_hash(H_DEST, dst), proto);
}

/* by_quote (seed H_QUOTE) and by_nat (H_NAT) */
static uint64_t fields_key(uint64_t seed, const struct kp_addr *dst, uint8_t proto,
                           const struct kp_addr *src, const struct rx_fields *f, uint32_t mask)
{
    return hash_fields(kp_hash_u64(kp_addr_hash(seed, dst), proto), src, f, mask);
}

static uint64_t echo_key(const struct kp_addr *dst, uint8_t proto, uint8_t type, uint16_t id,
                         uint16_t seq)
{
    return kp_hash_u64(kp_addr_hash(H_ECHO, dst),
                       (uint64_t)proto << 40 | (uint64_t)type << 32 | (uint32_t)id << 16 | seq);
}

/* A TCP answer from dst with source port sport to port dport carrying x
 * (ack for a SYN, seq of the RST for an ACK probe). */
static uint64_t tcp_key(const struct kp_addr *dst, bool ack_probe, uint16_t sport, uint16_t dport,
                        uint32_t x)
{
    uint64_t h = kp_addr_hash(H_TCP, dst);
    return kp_hash_u64(h, (uint64_t)ack_probe << 63 | (uint64_t)sport << 48 |
                              (uint64_t)dport << 32 | x);
}

static uint64_t slot_key(const struct rx_trace *t, uint8_t ttl, uint16_t attempt)
{
    return kp_hash_u64(kp_hash_u64(H_SLOT, t->serial), (uint32_t)ttl << 16 | attempt);
}

static uint64_t repeat_key(const struct rx_trace *t, uint8_t ttl, const struct rx_fields *f)
{
    uint64_t h = kp_hash_u64(kp_hash_u64(H_REPEAT, t->serial), ttl);
    return kp_hash_u64(h, (uint64_t)f->sport << 48 | (uint64_t)f->dport << 32 |
                              (uint32_t)f->icmp_id << 16 | f->icmp_seq);
}

static bool is_ack_probe(uint8_t tcp_flags)
{
    return (tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK;
}

static struct rx_dest *dest_find(struct kp_rx *rx, const struct kp_addr *dst, uint8_t proto)
{
    uint64_t h = dest_hash(dst, proto);
    for (struct kp_htab_node *n = kp_htab_first(&rx->dests, h); n;
         n = kp_htab_next(&rx->dests, n)) {
        struct rx_dest *d = KP_HTAB_ENTRY(n, struct rx_dest, node);
        if (d->proto == proto && same_addr(&d->dst, dst))
            return d;
    }
    return NULL;
}

static void add_mask(uint32_t *masks, uint8_t *n, uint32_t m, bool *scan)
{
    for (unsigned i = 0; i < *n; i++)
        if (masks[i] == m)
            return;
    if (*n < RX_DEST_MASKS)
        masks[(*n)++] = m;
    else
        *scan = true;
}

static void remove_node(struct kp_htab *t, struct kp_htab_node *n)
{
    if (n->pprev != NULL)
        kp_htab_remove(t, n);
}

static void unlink_nodes(struct kp_rx *rx, struct rx_probe *p)
{
    remove_node(&rx->by_quote, &p->by_quote);
    remove_node(p->trace->cycles ? &rx->by_repeat : &rx->by_slot, &p->by_trace);
    if (p->rix != NULL) {
        remove_node(&rx->by_nat, &p->rix->by_nat);
        remove_node(&rx->by_answer, &p->rix->by_answer);
        free(p->rix);
        p->rix = NULL;
    }
    if (p->six != NULL) {
        for (int i = 0; i < 4; i++)
            remove_node(&rx->by_short, &p->six->by_short[i]);
        free(p->six);
        p->six = NULL;
    }
}

static uint64_t answer_key(const struct rx_probe *p)
{
    const struct kp_addr *dst = &p->trace->rec.dst;
    const struct rx_fields *f = &p->f;
    if (is_icmp_proto(f->proto))
        return echo_key(dst, f->proto, f->icmp_type, f->icmp_id, f->icmp_seq);
    if (is_ack_probe(f->tcp_flags))
        return tcp_key(dst, true, f->dport, f->sport, f->tcp_ack);
    return tcp_key(dst, false, f->dport, f->sport, f->tcp_seq + 1u);
}

/* by_short for a quote of this level: seeds per (level, strict or not). */
static uint64_t short_key(const struct kp_addr *dst, uint8_t proto, const struct kp_addr *src,
                          const struct rx_fields *f, uint32_t mask, unsigned level, bool nat)
{
    return fields_key(H_SHORT + 2 * level + (nat ? 1u : 0u), dst, proto, src, f, mask);
}

/* Put p into the lazily built indexes `which` (RX_IX_*) it is not in yet.
 * 0 or -ENOMEM (what was inserted stays, and is skipped next time). */
static int index_lazy(struct kp_rx *rx, struct rx_probe *p, unsigned which)
{
    const struct kp_addr *dst = &p->trace->rec.dst, *src = &p->trace->rec.src;
    uint8_t proto = p->f.proto;
    if ((which & (RX_IX_NAT | RX_IX_ANSWER)) && p->rix == NULL) {
        if ((p->rix = calloc(1, sizeof(*p->rix))) == NULL)
            return -ENOMEM;
        p->rix->p = p;
    }
    if ((which & RX_IX_NAT) && (p->nmask & ~KP_RX_F_SRC) != 0 && p->rix->by_nat.pprev == NULL &&
        kp_htab_insert(&rx->by_nat, &p->rix->by_nat,
                       fields_key(H_NAT, dst, proto, src, &p->f, p->nmask)) < 0)
        return -ENOMEM;
    if ((which & RX_IX_ANSWER) && (is_icmp_proto(proto) || proto == IPPROTO_TCP_) &&
        p->rix->by_answer.pprev == NULL &&
        kp_htab_insert(&rx->by_answer, &p->rix->by_answer, answer_key(p)) < 0)
        return -ENOMEM;
    if (which & RX_IX_SHORT) {
        if (p->six == NULL) {
            if ((p->six = calloc(1, sizeof(*p->six))) == NULL)
                return -ENOMEM;
            p->six->p = p;
        }
        for (unsigned l = 0; l < 2; l++) {
            uint32_t avail = short_quote(dst->family, proto, l);
            for (unsigned k = 0; k < 2; k++) {
                uint32_t m = (k ? p->nmask : p->qmask) & avail;
                struct kp_htab_node *n = &p->six->by_short[2 * l + k];
                if ((m & ~KP_RX_F_SRC) != 0 && n->pprev == NULL &&
                    kp_htab_insert(&rx->by_short, n,
                                   short_key(dst, proto, src, &p->f, m, l, k != 0)) < 0)
                    return -ENOMEM;
            }
        }
    }
    return 0;
}

/* Build index `which` (one RX_IX_*) for destination d's probes, once. 0, or
 * -ENOMEM: the caller walks d's probes instead. */
static int dest_index(struct kp_rx *rx, struct rx_dest *d, unsigned which)
{
    if (d->indexed & which)
        return 0;
    for (struct rx_probe *p = d->probes; p; p = p->dnext) {
        rx->scan_steps++;
        if (index_lazy(rx, p, which) < 0)
            return -ENOMEM;
    }
    d->indexed |= (uint8_t)which;
    return 0;
}

/* A zeroed probe from the free list (refilled a chunk at a time), or NULL. */
static struct rx_probe *probe_alloc(struct kp_rx *rx)
{
    if (rx->probe_free == NULL) {
        enum { CHUNK = 1024 };
        if (rx->n_probe_chunks == rx->cap_probe_chunks) {
            size_t cap = rx->cap_probe_chunks ? 2 * rx->cap_probe_chunks : 16;
            void **c = realloc(rx->probe_chunks, cap * sizeof(*c));
            if (c == NULL)
                return NULL;
            rx->probe_chunks = c;
            rx->cap_probe_chunks = cap;
        }
        struct rx_probe *chunk = malloc(CHUNK * sizeof(*chunk));
        if (chunk == NULL)
            return NULL;
        rx->probe_chunks[rx->n_probe_chunks++] = chunk;
        for (size_t i = 0; i < CHUNK; i++) {
            chunk[i].tnext = rx->probe_free;
            rx->probe_free = &chunk[i];
        }
    }
    struct rx_probe *p = rx->probe_free;
    rx->probe_free = p->tnext;
    memset(p, 0, sizeof(*p));
    return p;
}

static void probe_release(struct kp_rx *rx, struct rx_probe *p)
{
    p->tnext = rx->probe_free;
    rx->probe_free = p;
}

/* Per-TTL counts of trace t up to TTL ttl exist. 0 or -ENOMEM. */
static int ttl_count_reserve(struct rx_trace *t, uint8_t ttl)
{
    if (ttl < t->n_ttl)
        return 0;
    uint16_t n = (uint16_t)((ttl + 32u) & ~31u);
    uint16_t(*c)[2] = realloc(t->ttl_count, n * sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    memset(c + t->n_ttl, 0, (size_t)(n - t->n_ttl) * sizeof(*c));
    t->ttl_count = c;
    t->n_ttl = n;
    return 0;
}

/* Index probe p of the classifier's match_fields and nat_fields (trace,
 * fields, ttl, attempt and retrans set; not yet in its trace's list). 0, or
 * -ENOMEM with nothing changed. */
static int probe_link(struct kp_rx *rx, struct rx_probe *p, uint32_t match_fields,
                      uint32_t nat_fields)
{
    struct rx_trace *t = p->trace;
    const struct kp_addr *dst = &t->rec.dst, *src = &t->rec.src;
    uint8_t proto = p->f.proto;
    if (ttl_count_reserve(t, p->ttl) < 0)
        return -ENOMEM;
    struct rx_dest *d = dest_find(rx, dst, proto);
    bool new_dest = d == NULL;
    if (new_dest) {
        d = calloc(1, sizeof(*d));
        if (d == NULL)
            return -ENOMEM;
        d->dst = *dst;
        d->proto = proto;
        if (kp_htab_insert(&rx->dests, &d->node, dest_hash(dst, proto)) < 0) {
            free(d);
            return -ENOMEM;
        }
    }
    uint32_t full = full_quote(dst->family, proto);
    p->qmask = match_fields & full;
    p->nmask = nat_fields & full;
    int rc = kp_htab_insert(&rx->by_quote, &p->by_quote,
                            fields_key(H_QUOTE, dst, proto, src, &p->f, p->qmask));
    if (rc == 0 && t->cycles)
        rc = kp_htab_insert(&rx->by_repeat, &p->by_trace, repeat_key(t, p->ttl, &p->f));
    else if (rc == 0)
        rc = kp_htab_insert(&rx->by_slot, &p->by_trace, slot_key(t, p->ttl, p->attempt));
    if (rc == 0 && d->indexed)
        rc = index_lazy(rx, p, d->indexed);
    if (rc < 0) {
        unlink_nodes(rx, p);
        if (new_dest) {
            kp_htab_remove(&rx->dests, &d->node);
            free(d);
        }
        return -ENOMEM;
    }
    add_mask(d->qmask, &d->n_qmask, p->qmask, &d->scan);
    if ((p->nmask & ~KP_RX_F_SRC) != 0)
        add_mask(d->nmask, &d->n_nmask, p->nmask, &d->scan);
    p->dest = d;
    p->dnext = d->probes;
    if (d->probes)
        d->probes->dpprev = &p->dnext;
    p->dpprev = &d->probes;
    d->probes = p;
    d->n_probes++;
    if (t->probes == NULL)
        t->qmask = p->qmask;
    else if (p->qmask != t->qmask)
        t->qmask_mixed = true;
    uint16_t *c = t->ttl_count[p->ttl];
    if (c[0] < UINT16_MAX)
        c[0]++;
    if (!p->retrans)
        c[1]++;
    p->index = (uint32_t)t->n_probes;
    rx->n_probes++;
    return 0;
}

static void probe_unlink(struct kp_rx *rx, struct rx_probe *p)
{
    unlink_nodes(rx, p);
    struct rx_dest *d = p->dest;
    *p->dpprev = p->dnext;
    if (p->dnext)
        p->dnext->dpprev = p->dpprev;
    if (--d->n_probes == 0) {
        kp_htab_remove(&rx->dests, &d->node);
        free(d);
    }
    rx->n_probes--;
}

uint64_t kp_rx_probe_steps(const struct kp_rx *rx)
{
    return rx->dests.steps + rx->by_quote.steps + rx->by_slot.steps + rx->by_repeat.steps +
           rx->by_nat.steps + rx->by_answer.steps + rx->by_short.steps + rx->scan_steps;
}

/* ------------------------------------------------------------------ */
/* open-trace hash and expiry list */

static size_t tb_index(const struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                       const struct kp_addr *dst, uint64_t key)
{
    uint64_t h = addr_hash(mix(cls, key), src);
    h = addr_hash(h, dst);
    return (size_t)h & (rx->n_tb - 1);
}

static void tb_link(struct kp_rx *rx, struct rx_trace *t)
{
    struct rx_trace **head = &rx->tb[tb_index(rx, t->cls, &t->rec.src, &t->rec.dst, t->key)];
    t->hnext = *head;
    if (*head)
        (*head)->hpprev = &t->hnext;
    t->hpprev = head;
    *head = t;
}

static void tb_unlink(struct rx_trace *t)
{
    if (t->hpprev == NULL)
        return;
    *t->hpprev = t->hnext;
    if (t->hnext)
        t->hnext->hpprev = t->hpprev;
    t->hpprev = NULL;
    t->hnext = NULL;
}

static void tb_grow(struct kp_rx *rx)
{
    size_t nn = rx->n_tb * 2;
    struct rx_trace **nb = calloc(nn, sizeof(*nb));
    if (nb == NULL)
        return;
    struct rx_trace **old = rx->tb;
    size_t on = rx->n_tb;
    rx->tb = nb;
    rx->n_tb = nn;
    for (size_t i = 0; i < on; i++) {
        struct rx_trace *t = old[i];
        while (t) {
            struct rx_trace *next = t->hnext;
            tb_link(rx, t);
            t = next;
        }
    }
    free(old);
}

static struct rx_trace *tb_find(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                                const struct kp_addr *dst, uint64_t key)
{
    for (struct rx_trace *t = rx->tb[tb_index(rx, cls, src, dst, key)]; t; t = t->hnext) {
        if (t->cls == cls && t->key == key && same_addr(&t->rec.src, src) &&
            same_addr(&t->rec.dst, dst))
            return t;
    }
    return NULL;
}

/* t is on the expiry list (lhead) or, for an exact trace still sending, on
 * the exact list (xhead); in_x says which. */
static void l_unlink(struct kp_rx *rx, struct rx_trace *t)
{
    struct rx_trace **head = t->in_x ? &rx->xhead : &rx->lhead;
    struct rx_trace **tail = t->in_x ? &rx->xtail : &rx->ltail;
    if (t->lprev)
        t->lprev->lnext = t->lnext;
    else
        *head = t->lnext;
    if (t->lnext)
        t->lnext->lprev = t->lprev;
    else
        *tail = t->lprev;
    t->lprev = t->lnext = NULL;
}

static void l_append(struct kp_rx *rx, struct rx_trace *t)
{
    struct rx_trace **head = t->in_x ? &rx->xhead : &rx->lhead;
    struct rx_trace **tail = t->in_x ? &rx->xtail : &rx->ltail;
    t->lprev = *tail;
    t->lnext = NULL;
    if (*tail)
        (*tail)->lnext = t;
    else
        *head = t;
    *tail = t;
}

/* ---- slots of exact traces (kp_rx_probe.exact) ---- */

static uint64_t slot_hash(size_t cls, const struct kp_addr *src, uint32_t slot)
{
    return kp_hash_u64(kp_addr_hash(kp_hash_u64(0, cls), src), slot);
}

static struct rx_trace *slot_holder(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                                    uint32_t slot)
{
    uint64_t h = slot_hash(cls, src, slot);
    for (struct kp_htab_node *n = kp_htab_first(&rx->slots, h); n;
         n = kp_htab_next(&rx->slots, n)) {
        struct rx_trace *t = KP_HTAB_ENTRY(n, struct rx_trace, snode);
        if (t->cls == cls && t->slot == slot && same_addr(&t->rec.src, src))
            return t;
    }
    return NULL;
}

static void slot_release(struct kp_rx *rx, struct rx_trace *t)
{
    if (t->in_slot) {
        kp_htab_remove(&rx->slots, &t->snode);
        t->in_slot = false;
    }
}

static void free_trace(struct kp_rx *rx, struct rx_trace *t)
{
    tb_unlink(t);
    slot_release(rx, t);
    l_unlink(rx, t);
    struct rx_probe *p = t->probes;
    while (p) {
        struct rx_probe *next = p->tnext;
        probe_unlink(rx, p);
        probe_release(rx, p);
        p = next;
    }
    free(t->ttl_count);
    rx->n_hops -= t->n_hops;
    kp_trace_free(&t->rec);
    free(t);
    rx->n_open--;
}

/* ------------------------------------------------------------------ */
/* closing: stop reason from the data */

static void decide_stop(const struct rx_trace *t, enum kp_stop *reason, uint8_t *stop_ttl)
{
    if (t->unreach_ttl != 0 && (t->reach_ttl == 0 || t->unreach_ttl < t->reach_ttl)) {
        *reason = t->unreach_stop;
        *stop_ttl = (uint8_t)t->unreach_ttl;
        return;
    }
    if (t->reach_ttl != 0) {
        *reason = KP_STOP_COMPLETED;
        *stop_ttl = (uint8_t)t->reach_ttl;
        return;
    }
    unsigned P = t->max_ttl_probed;
    unsigned L = t->min_ttl > 0 ? t->min_ttl - 1u : 0;
    for (unsigned ttl = t->min_ttl; ttl <= P; ttl++) {
        if (bit_get(t->answered, ttl))
            L = ttl;
    }
    if (t->p_gap > 0) {
        unsigned run = 0;
        for (unsigned ttl = t->min_ttl; ttl <= P; ttl++) {
            if (bit_get(t->probed, ttl) && !bit_get(t->answered, ttl)) {
                if (++run >= t->p_gap) {
                    *reason = KP_STOP_GAPLIMIT;
                    *stop_ttl = (uint8_t)ttl;
                    return;
                }
            } else {
                run = 0;
            }
        }
        if (t->p_max > 0 && P >= t->p_max) {
            *reason = KP_STOP_MAXTTL;
            *stop_ttl = (uint8_t)P;
            return;
        }
    } else {
        if (t->p_max > 0 && P >= t->p_max) {
            *reason = KP_STOP_MAXTTL;
            *stop_ttl = (uint8_t)P;
            return;
        }
        if (P > L) {
            *reason = KP_STOP_GAPLIMIT;
            *stop_ttl = (uint8_t)P;
            return;
        }
    }
    *reason = KP_STOP_INTERRUPTED;
    *stop_ttl = (uint8_t)P;
}

static void close_trace(struct kp_rx *rx, struct rx_trace *t)
{
    struct kp_trace *r = &t->rec;
    decide_stop(t, &r->stop_reason, &r->stop_ttl);
    r->probes_sent = (uint32_t)t->n_probes;
    r->start_ns = t->first_tx_ns;
    r->end_ns = t->last_rx_ns > t->last_tx_ns ? t->last_rx_ns : t->last_tx_ns;
    r->first_ttl = t->p_first ? t->p_first : t->min_ttl;
    r->max_ttl = t->p_max ? t->p_max : t->max_ttl_probed;
    r->attempts = t->p_attempts ? t->p_attempts : (uint8_t)(t->max_attempt + 1u);
    r->gap_limit = t->p_gap;
    r->wait_ms = t->p_wait_ms;
    kp_trace_sort(r);
    rx->st.traces_closed++;
    if (rx->cfg.on_trace)
        rx->cfg.on_trace(rx->cfg.ctx, r);
    free_trace(rx, t);
}

/* No later probe joins t. An exact trace gives up its slot and moves to the
 * expiry list: it closes once its last probe's linger has passed (a trace
 * appended out of order only closes later than it could, never earlier:
 * replies are accepted by their own probe's linger, not by closing). */
static void seal(struct kp_rx *rx, struct rx_trace *t)
{
    t->sealed = true;
    tb_unlink(t);
    slot_release(rx, t);
    if (t->in_x) {
        l_unlink(rx, t);
        t->in_x = false;
        l_append(rx, t);
    }
}

/* Close every trace whose last probe is older than its span at the expiry
 * point (clock - lag). */
static void expire(struct kp_rx *rx)
{
    if (!rx->have_clock)
        return;
    int64_t point = rx->clock_ns - rx->cfg.lag_ns;
    struct rx_trace *t = rx->lhead;
    while (t) {
        struct rx_trace *next = t->lnext;
        if (t->last_tx_ns + t->span_ns < point)
            close_trace(rx, t);
        else
            break; /* the list is in order of last probe; later ones wait */
        t = next;
    }
}

static void advance_clock(struct kp_rx *rx, int64_t ts)
{
    if (!rx->have_clock || ts > rx->clock_ns) {
        rx->clock_ns = ts;
        rx->have_clock = true;
    }
}

/* Keep the probes and hops held within max_held: close the traces idle
 * longest (the expiry list's head) early, then exact traces still sending
 * (as new_trace does at max_open_traces). */
static void held_limit(struct kp_rx *rx)
{
    while (rx->cfg.max_held > 0 && rx->n_probes + rx->n_hops > rx->cfg.max_held &&
           (rx->lhead || rx->xhead)) {
        rx->st.traces_forced++;
        close_trace(rx, rx->lhead ? rx->lhead : rx->xhead);
    }
    if (rx->n_probes + rx->n_hops > rx->st.held_max)
        rx->st.held_max = rx->n_probes + rx->n_hops;
}

int kp_rx_tick(struct kp_rx *rx, int64_t now_ns)
{
    advance_clock(rx, now_ns);
    expire(rx);
    return 0;
}

int kp_rx_finish(struct kp_rx *rx)
{
    while (rx->lhead)
        close_trace(rx, rx->lhead);
    while (rx->xhead)
        close_trace(rx, rx->xhead);
    return 0;
}

/* ------------------------------------------------------------------ */
/* probes */

static struct rx_trace *new_trace(struct kp_rx *rx, size_t cls, const struct kp_pkt *pkt,
                                  const struct kp_rx_probe *c)
{
    if (rx->n_open >= rx->cfg.max_open_traces && (rx->lhead || rx->xhead)) {
        rx->st.traces_forced++;
        close_trace(rx, rx->lhead ? rx->lhead : rx->xhead);
    }
    struct rx_trace *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    kp_trace_init(&t->rec);
    struct kp_trace *r = &t->rec;
    memcpy(r->vp, rx->vp, sizeof(r->vp));
    strncpy(r->tool, c->tool, sizeof(r->tool) - 1);
    memcpy(r->ts_source, rx->ts_source, sizeof(r->ts_source));
    r->src = pkt->ip.src;
    r->dst = pkt->ip.dst;
    r->method = c->method;
    r->sport = c->sport;
    r->dport = c->dport;
    r->icmp_id = c->icmp_id;
    r->id = c->has_trace_id ? c->trace_id : rx->next_id++;
    t->cls = cls;
    t->key = c->trace_key;
    t->serial = rx->next_serial++;
    t->cycles = c->cycles;
    t->p_first = c->first_ttl;
    t->p_max = c->max_ttl;
    t->p_attempts = c->attempts;
    t->p_gap = c->gap_limit;
    t->p_wait_ms = c->wait_ms;
    /* an exact trace closes at its last probe's linger once sealed */
    t->span_ns = c->exact ? 0 : rx->cfg.idle_ns;
    if (rx->n_open + 1 > rx->n_tb)
        tb_grow(rx);
    tb_link(rx, t);
    if (c->exact) {
        t->exact = true;
        t->in_x = true;
        t->slot = c->slot;
        if (kp_htab_insert(&rx->slots, &t->snode, slot_hash(cls, &r->src, c->slot)) == 0)
            t->in_slot = true;
    }
    l_append(rx, t);
    rx->n_open++;
    rx->st.traces_opened++;
    if (rx->n_open > rx->st.open_traces_max)
        rx->st.open_traces_max = rx->n_open;
    return t;
}

static void fill_fields(struct rx_fields *f, const struct kp_ip *ip, const struct kp_l4 *l4)
{
    f->proto = ip->proto;
    f->ip_id = ip->ip_id;
    f->flowlabel = ip->flowlabel;
    f->sport = l4->sport;
    f->dport = l4->dport;
    f->udp_len = l4->udp_len;
    f->udp_sum = l4->udp_sum;
    f->icmp_type = l4->icmp_type;
    f->icmp_id = l4->icmp_id;
    f->icmp_seq = l4->icmp_seq;
    f->icmp_sum = l4->icmp_sum;
    f->tcp_seq = l4->tcp_seq;
    f->tcp_ack = l4->tcp_ack;
    f->tcp_flags = l4->tcp_flags;
}

/* Whether probe p's fields in `mask` equal q's (the fields of a packet from
 * src, or of a quote of a probe from src). */
static bool fields_equal(const struct rx_probe *p, const struct kp_addr *src,
                         const struct rx_fields *q, uint32_t mask)
{
    const struct rx_fields *f = &p->f;
    if ((mask & KP_RX_F_SRC) && !same_addr(&p->trace->rec.src, src))
        return false;
    if ((mask & KP_RX_F_IPID) && f->ip_id != q->ip_id)
        return false;
    if ((mask & KP_RX_F_FLOWLBL) && f->flowlabel != q->flowlabel)
        return false;
    if ((mask & KP_RX_F_SPORT) && f->sport != q->sport)
        return false;
    if ((mask & KP_RX_F_DPORT) && f->dport != q->dport)
        return false;
    if ((mask & KP_RX_F_UDPLEN) && f->udp_len != q->udp_len)
        return false;
    if ((mask & KP_RX_F_UDPSUM) && f->udp_sum != q->udp_sum)
        return false;
    if ((mask & KP_RX_F_ICMPID) && f->icmp_id != q->icmp_id)
        return false;
    if ((mask & KP_RX_F_ICMPSEQ) && f->icmp_seq != q->icmp_seq)
        return false;
    if ((mask & KP_RX_F_ICMPSUM) && f->icmp_sum != q->icmp_sum)
        return false;
    if ((mask & KP_RX_F_TCPSEQ) && f->tcp_seq != q->tcp_seq)
        return false;
    return true;
}

/* The same probe captured twice (e.g. tcpdump -i any)? The copies are
 * captured together; an equal probe sent later is a new one (scamper run
 * again with the same -s sends the same bytes). A copy is a probe of trace t
 * at the same TTL with the same fields in dupmask, IP ID and size, captured
 * within DUP_CAPTURE_NS. Such a copy has the same strict fields as q, so it
 * is in q's by_quote chain when the trace's probes all have one strict mask
 * and dupmask covers it; otherwise the trace's probes are walked. */
static bool find_dup(struct kp_rx *rx, const struct rx_trace *t, const struct rx_fields *q,
                     uint8_t ttl, uint32_t dupmask, uint16_t size, int64_t ts)
{
    const struct kp_addr *src = &t->rec.src;
#define IS_DUP(p)                                                                                  \
    ((p)->trace == t && (p)->ttl == ttl && (p)->f.proto == q->proto &&                             \
     fields_equal((p), src, q, dupmask) && (p)->f.ip_id == q->ip_id && (p)->probe_size == size &&  \
     ts - (p)->tx_ns <= DUP_CAPTURE_NS && (p)->tx_ns - ts <= DUP_CAPTURE_NS)
    if (t->probes == NULL)
        return false;
    if (t->qmask_mixed || (t->qmask & ~dupmask) != 0) {
        for (const struct rx_probe *p = t->probes; p; p = p->tnext) {
            rx->scan_steps++;
            if (IS_DUP(p))
                return true;
        }
        return false;
    }
    uint64_t h = fields_key(H_QUOTE, &t->rec.dst, q->proto, src, q, t->qmask);
    for (struct kp_htab_node *n = kp_htab_first(&rx->by_quote, h); n;
         n = kp_htab_next(&rx->by_quote, n)) {
        const struct rx_probe *p = KP_HTAB_ENTRY(n, struct rx_probe, by_quote);
        if (IS_DUP(p))
            return true;
    }
    return false;
#undef IS_DUP
}

static bool has_probe_slot(struct kp_rx *rx, const struct rx_trace *t, uint8_t ttl,
                           uint16_t attempt)
{
    if (t->cycles) { /* not in by_slot (see the probe store) */
        for (const struct rx_probe *p = t->probes; p; p = p->tnext) {
            rx->scan_steps++;
            if (p->ttl == ttl && p->attempt == attempt)
                return true;
        }
        return false;
    }
    uint64_t h = slot_key(t, ttl, attempt);
    for (struct kp_htab_node *n = kp_htab_first(&rx->by_slot, h); n;
         n = kp_htab_next(&rx->by_slot, n)) {
        const struct rx_probe *p = KP_HTAB_ENTRY(n, struct rx_probe, by_trace);
        if (p->trace == t && p->ttl == ttl && p->attempt == attempt)
            return true;
    }
    return false;
}

/* Whether TTL ttl of trace t has as many probes as the TTL below it that
 * has the most: traceroute and tcptraceroute send the same number (-q) at
 * every TTL, so one more at ttl comes from another run. */
static bool ttl_full(const struct rx_trace *t, uint8_t ttl)
{
    uint16_t q = 0;
    for (unsigned i = t->min_ttl; i < ttl && i < t->n_ttl; i++)
        if (t->ttl_count[i][0] > q)
            q = t->ttl_count[i][0];
    return q > 0 && ttl < t->n_ttl && t->ttl_count[ttl][0] >= q;
}

/* The probes of cycling trace t at TTL ttl with q's ports and ICMP id and
 * seq are in one by_repeat chain: for each such probe p, fn(p, q) decides. */
static const struct rx_probe *
repeat_find(struct kp_rx *rx, const struct rx_trace *t, const struct rx_fields *q, uint8_t ttl,
            bool (*fn)(const struct rx_probe *p, const struct rx_fields *q))
{
    const struct rx_probe *best = NULL;
    uint64_t h = repeat_key(t, ttl, q);
    for (struct kp_htab_node *n = kp_htab_first(&rx->by_repeat, h); n;
         n = kp_htab_next(&rx->by_repeat, n)) {
        const struct rx_probe *p = KP_HTAB_ENTRY(n, struct rx_probe, by_trace);
        if (p->trace == t && p->ttl == ttl && p->f.sport == q->sport && p->f.dport == q->dport &&
            p->f.icmp_id == q->icmp_id && p->f.icmp_seq == q->icmp_seq && fn(p, q) &&
            (best == NULL || p->index < best->index))
            best = p; /* the first one captured */
    }
    return best;
}

/* a repeat that starts a new run: not the same TCP sequence number */
static bool repeats_run(const struct rx_probe *p, const struct rx_fields *q)
{
    return q->proto != IPPROTO_TCP_ || p->f.tcp_seq != q->tcp_seq;
}

/* the SYN that q (a SYN) retransmits */
static bool retransmits(const struct rx_probe *p, const struct rx_fields *q)
{
    return !p->retrans && p->f.tcp_seq == q->tcp_seq &&
           (p->f.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

/* Whether probe q (fields of the packet, TTL ttl, captured at ts) starts a
 * new run of its tool towards the trace's destination while the trace is
 * still open (the user ran the same traceroute twice within the idle time):
 * the trace key alone cannot tell, as traceroute -T, -U and scamper -s keep
 * the same key. The evidence, strongest first:
 *  - a counter the tool keeps per run, strictly growing (kp_rx_probe.run_seq,
 *    run_seq_strict): scamper numbers a trace's probes 1, 2, ... in the IP ID,
 *    so a probe whose number is not above the last one's is a new run, and
 *    one whose number is above it is not, whatever its TTL.
 *  - tools with kp_rx_probe.cycles (mtr) repeat their TTLs every cycle;
 *    mtr's sequence (ICMP seq, UDP port, TCP source port) counts on from
 *    33000 over all cycles; a new process counts from 33000 again. So a
 *    probe repeating the ports and ICMP id/seq of an earlier probe at the
 *    same TTL is a new run, unless it is the kernel retransmitting that SYN
 *    (the same TCP sequence number).
 *  - every other tool (traceroute, tcptraceroute) sends its TTLs in rising
 *    order, one after the other, and never goes back. A probe that goes
 *    back to a TTL at or below the trace's first TTL, or to one it probed
 *    already (a new run with a higher first TTL, e.g. traceroute -f 3 after
 *    a plain traceroute), is a new run: when its TTL is below the last
 *    probe's, or equal to it while a non-strict run counter went back
 *    (traceroute's UDP port base + n: -f 3 -m 3 run twice). A lower TTL not
 *    probed yet and above the first (another run interleaving with this one,
 *    which nothing tells apart) does not cut the trace into fragments.
 *    A probe at the last probe's TTL when that TTL has as many probes
 *    already as any TTL below it (-q reached: the run that stopped at TTL 3
 *    with an unreachable, then the same tool with -f 3) is a new run too.
 *    A probe that skips TTLs (above the last probe's TTL + 1) more than
 *    DUP_CAPTURE_NS after the last probe is a new run with a higher first
 *    TTL (e.g. traceroute -f 5 after traceroute -f 3 -m 3); the time guard
 *    keeps a probe the capture dropped from a burst from splitting a trace.
 * Traces that carry their id in the probe (kptrace) are never split here. */
static bool new_run(struct kp_rx *rx, const struct rx_trace *t, const struct rx_fields *q,
                    bool has_run_seq, bool run_seq_strict, uint32_t run_seq, uint8_t ttl,
                    int64_t ts)
{
    const struct rx_probe *last = t->probes_tail;
    if (last == NULL)
        return false;
    if (has_run_seq && t->last_has_run_seq && run_seq_strict)
        return run_seq <= t->last_run_seq;
    if (t->cycles)
        return repeat_find(rx, t, q, ttl, repeats_run) != NULL;
    bool revisit = ttl <= t->min_ttl || bit_get(t->probed, ttl);
    if (revisit && ttl < last->ttl)
        return true;
    if (revisit && ttl == last->ttl && has_run_seq && t->last_has_run_seq &&
        run_seq < t->last_run_seq)
        return true;
    if (ttl == last->ttl && ttl > t->min_ttl && ttl_full(t, ttl))
        return true;
    return ttl > last->ttl + 1u && ts - t->last_tx_ns > DUP_CAPTURE_NS;
}

/* The probe that TCP probe q repeats when the kernel retransmits a SYN of a
 * cycling tool (mtr -T connects: a SYN that got no answer is sent again 1 s
 * later, then after doubling delays, with the same ports and sequence
 * number), or NULL. The retransmission is stored (routers may answer it) but
 * gets the attempt of the SYN it repeats, so attempts are mtr's probes. */
static const struct rx_probe *retrans_of(struct kp_rx *rx, const struct rx_trace *t,
                                         const struct rx_fields *q, uint8_t ttl)
{
    if (!t->cycles || q->proto != IPPROTO_TCP_ || (q->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return NULL;
    return repeat_find(rx, t, q, ttl, retransmits);
}

/* The probe's wait: its own, or rx's when the classifier gave none. */
static int64_t probe_wait_ns(const struct kp_rx *rx, const struct rx_probe *p)
{
    return p->wait_ms ? (int64_t)p->wait_ms * 1000000 : rx->cfg.wait_ns;
}

/* How long after it left a reply to probe p is still taken: rx's linger,
 * or wait + late when the probe's late is known (kptrace --late), else
 * 2 * wait + 500 ms. */
static int64_t probe_linger(const struct kp_rx *rx, const struct rx_probe *p)
{
    if (rx->cfg.linger_ns > 0)
        return rx->cfg.linger_ns;
    int64_t wait_ns = probe_wait_ns(rx, p);
    if (p->has_late)
        return wait_ns + (int64_t)p->late_ms * 1000000LL;
    return 2 * wait_ns + 500000000LL;
}

static int handle_probe(struct kp_rx *rx, size_t cls, int64_t ts, const struct kp_pkt *pkt,
                        const struct kp_rx_probe *cin)
{
    if (cin->ttl == 0 || cin->tool == NULL) {
        rx->st.other++; /* a classifier that names no TTL or tool: not a probe */
        return 0;
    }
    struct kp_rx_probe cc = *cin;
    const struct kp_rx_probe *c = &cc;
    if (cc.use_run_params) {
        if (cc.first_ttl == 0)
            cc.first_ttl = rx->cfg.run.first_ttl;
        if (cc.max_ttl == 0)
            cc.max_ttl = rx->cfg.run.max_ttl;
        if (cc.attempts == 0)
            cc.attempts = rx->cfg.run.attempts;
        if (cc.gap_limit == 0)
            cc.gap_limit = rx->cfg.run.gap_limit;
        if (cc.wait_ms == 0)
            cc.wait_ms = rx->cfg.run.wait_ms;
        if (!cc.has_late && rx->cfg.run.has_late) {
            cc.has_late = true;
            cc.late_ms = rx->cfg.run.late_ms;
        }
    }
    struct rx_fields f;
    fill_fields(&f, &pkt->ip, &pkt->l4);
    if (c->exact) {
        /* The prober gives a slot to one trace at a time: another trace in
         * this slot means that its holder sends nothing more. */
        struct rx_trace *h = slot_holder(rx, cls, &pkt->ip.src, c->slot);
        if (h != NULL && (h->key != c->trace_key || !same_addr(&h->rec.dst, &pkt->ip.dst))) {
            rx->st.traces_slot_sealed++;
            seal(rx, h);
        }
    }
    struct rx_trace *t = tb_find(rx, cls, &pkt->ip.src, &pkt->ip.dst, c->trace_key);
    /* A probe more than linger after the trace's last one starts a new trace
     * (decided by timestamps, so live and replay agree); never for an exact
     * trace, which is the one the prober planned however long it paused. */
    if (t && !t->exact && ts - t->last_tx_ns > t->span_ns) {
        seal(rx, t);
        t = NULL;
    }
    if (t) {
        uint32_t dupmask = c->match_fields | KP_RX_F_IPID | KP_RX_F_SRC;
        if (find_dup(rx, t, &f, c->ttl, dupmask, pkt->ip.tot_len, ts)) {
            rx->st.probes_dup++;
            return 0;
        }
        bool split = t->n_probes >= rx->cfg.max_probes_per_trace;
        if (!split && c->attempt != KP_RX_ATTEMPT_AUTO)
            split = has_probe_slot(rx, t, c->ttl, c->attempt);
        if (!split && !c->has_trace_id)
            split = new_run(rx, t, &f, c->has_run_seq, c->run_seq_strict, c->run_seq, c->ttl, ts);
        if (split) {
            rx->st.traces_split++;
            seal(rx, t);
            t = NULL;
        }
    }
    if (t == NULL) {
        t = new_trace(rx, cls, pkt, c);
        if (t == NULL)
            return -ENOMEM;
    }
    struct rx_probe *p = probe_alloc(rx);
    if (p == NULL)
        return -ENOMEM;
    p->f = f;
    p->trace = t;
    p->ttl = c->ttl;
    const struct rx_probe *orig = retrans_of(rx, t, &f, c->ttl);
    if (orig != NULL) {
        p->retrans = true;
        p->attempt = orig->attempt;
    } else if (c->attempt == KP_RX_ATTEMPT_AUTO) {
        /* the probes at this TTL that are not retransmissions, as a
         * uint16_t count (it wraps like the attempt numbers) */
        p->attempt = c->ttl < t->n_ttl ? t->ttl_count[c->ttl][1] : 0;
    } else {
        p->attempt = c->attempt;
    }
    p->probe_size = pkt->ip.tot_len;
    p->tx_ns = ts;
    p->wait_ms = c->wait_ms;
    p->has_late = c->has_late;
    p->late_ms = c->late_ms;
    if (probe_link(rx, p, c->match_fields, c->nat_fields) < 0) {
        probe_release(rx, p);
        return -ENOMEM;
    }
    int64_t linger = probe_linger(rx, p);
    if (linger > t->span_ns)
        t->span_ns = linger;
    t->last_has_run_seq = c->has_run_seq;
    t->last_run_seq = c->run_seq;
    p->tnext = NULL;
    if (t->probes_tail)
        t->probes_tail->tnext = p;
    else
        t->probes = p;
    t->probes_tail = p;
    if (t->n_probes == 0 || ts < t->first_tx_ns)
        t->first_tx_ns = ts;
    if (t->n_probes == 0 || ts > t->last_tx_ns)
        t->last_tx_ns = ts;
    if (t->n_probes == 0 || c->ttl < t->min_ttl)
        t->min_ttl = c->ttl;
    if (c->ttl > t->max_ttl_probed)
        t->max_ttl_probed = c->ttl;
    if (p->attempt > t->max_attempt)
        t->max_attempt = p->attempt > 255 ? 255 : (uint8_t)p->attempt;
    bit_set(t->probed, c->ttl);
    t->n_probes++;
    /* Keep the expiry list in order of last probe (the exact list has no
     * order). */
    if (!t->in_x) {
        l_unlink(rx, t);
        l_append(rx, t);
    }
    rx->st.probes++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* replies */

enum kp_rx_kind kp_rx_icmp_kind(uint8_t ip_version, uint8_t type, uint8_t code, bool from_dst,
                                enum kp_stop *stop)
{
    enum kp_stop s = KP_STOP_NONE;
    enum kp_rx_kind k = KP_RX_OTHER;
    if (ip_version == 6) {
        if (type == 3) {
            k = KP_RX_HOP;
        } else if (type == 129) {
            k = KP_RX_REACHED;
        } else if (type == 1) {
            switch (code) {
            case 4: /* port unreachable */
                k = KP_RX_REACHED;
                break;
            case 0:
                k = KP_RX_UNREACH;
                s = KP_STOP_UNREACH_NET;
                break;
            case 1: /* administratively prohibited */
            case 5: /* source address failed ingress/egress policy */
            case 6: /* reject route */
                k = KP_RX_UNREACH;
                s = KP_STOP_ADMIN_PROHIB;
                break;
            case 3:
                k = KP_RX_UNREACH;
                s = KP_STOP_UNREACH_HOST;
                break;
            default:
                k = KP_RX_UNREACH;
                s = KP_STOP_UNREACH_OTHER;
                break;
            }
        } else if (type == 4 && code == 1 && from_dst) {
            k = KP_RX_REACHED; /* unrecognised next header: like protocol unreachable */
        }
    } else {
        if (type == 11) {
            k = KP_RX_HOP;
        } else if (type == 0) {
            k = KP_RX_REACHED;
        } else if (type == 3) {
            if (code == 3 || (code == 2 && from_dst)) {
                k = KP_RX_REACHED;
            } else {
                k = KP_RX_UNREACH;
                s = kp_stop_from_unreach_code(code);
            }
        }
    }
    if (stop)
        *stop = s;
    return k;
}

static uint32_t quote_avail(const struct kp_pkt *pkt)
{
    uint32_t a = KP_RX_F_SRC;
    if (pkt->q_ip.version == 4)
        a |= KP_RX_F_IPID;
    else
        a |= KP_RX_F_FLOWLBL;
    unsigned len = pkt->q_l4.len;
    switch (pkt->q_ip.proto) {
    case IPPROTO_UDP_:
        if (len >= 4)
            a |= KP_RX_F_SPORT | KP_RX_F_DPORT;
        if (len >= 8)
            a |= KP_RX_F_UDPLEN | KP_RX_F_UDPSUM;
        break;
    case IPPROTO_TCP_:
        if (len >= 4)
            a |= KP_RX_F_SPORT | KP_RX_F_DPORT;
        if (len >= 8)
            a |= KP_RX_F_TCPSEQ;
        break;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        if (len >= 4)
            a |= KP_RX_F_ICMPSUM;
        if (len >= 8)
            a |= KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
        break;
    default:
        break;
    }
    return a;
}

static void record_reply(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt, struct rx_probe *p,
                         bool nat, bool error)
{
    struct rx_trace *t = p->trace;
    int16_t type = is_icmp_proto(pkt->ip.proto) ? pkt->l4.icmp_type : -1;
    int16_t code = is_icmp_proto(pkt->ip.proto) ? pkt->l4.icmp_code : -1;
    int64_t wait_ns = probe_wait_ns(rx, p);
    if (ts - p->tx_ns > probe_linger(rx, p)) {
        rx->st.expired++;
        return;
    }
    if (rx->cfg.validate != NULL) {
        struct kp_rx_probe_ref ref = {
            .tool = t->rec.tool,
            .method = t->rec.method,
            .trace_id = t->rec.id,
            .ttl = p->ttl,
            .attempt = p->attempt,
            .src = &t->rec.src,
        };
        if (rx->cfg.validate(rx->cfg.validate_ctx, pkt, &ref) != 0) {
            rx->st.rejected++;
            rx->st.key_rejected++;
            return;
        }
    }
    /* The same frame captured twice (tcpdump -i any) has the first reply's
     * source, IP ID, length, type and code (the first reply is hop r_hop of
     * the record, which is only appended to while the trace is open). */
    bool dup = false;
    if (p->n_replies > 0) {
        const struct kp_hop *r = &t->rec.hops[p->r_hop];
        if (same_addr(&r->addr, &pkt->ip.src) && p->r_ipid == pkt->ip.ip_id &&
            r->reply_size == pkt->ip.tot_len && r->icmp_type == type && r->icmp_code == code) {
            rx->st.dup_frames++;
            return;
        }
        dup = true;
    }

    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = p->ttl;
    h.attempt = p->attempt > 255 ? 255 : (uint8_t)p->attempt;
    h.addr = pkt->ip.src;
    h.tx_ns = p->tx_ns;
    h.rx_ns = ts;
    if (ts >= p->tx_ns)
        h.rtt_ms = (double)(ts - p->tx_ns) / 1e6;
    h.reply_ttl = pkt->ip.ttl;
    if (error && pkt->has_quote)
        h.quoted_ttl = pkt->q_ip.ttl;
    h.icmp_type = type;
    h.icmp_code = code;
    if (pkt->ip.proto == IPPROTO_TCP_)
        h.tcp_flags = pkt->l4.tcp_flags;
    h.reply_size = pkt->ip.tot_len;
    h.probe_size = p->probe_size;
    bool from_dst = same_addr(&pkt->ip.src, &t->rec.dst);
    if (from_dst)
        h.flags |= KP_HOP_FROM_DST;
    if (ts - p->tx_ns > wait_ns)
        h.flags |= KP_HOP_LATE;
    if (dup)
        h.flags |= KP_HOP_DUP;
    if (nat) {
        h.flags |= KP_HOP_NAT;
        if (p->f.proto == IPPROTO_UDP_)
            h.nat_id = (uint16_t)(pkt->q_l4.udp_sum - p->f.udp_sum);
        else if (is_icmp_proto(p->f.proto))
            h.nat_id = (uint16_t)(pkt->q_l4.icmp_sum - p->f.icmp_sum);
        else
            h.nat_id = (uint16_t)(pkt->q_l4.sport - p->f.sport);
    }
    h.n_mpls = pkt->n_mpls > KP_MAX_MPLS ? KP_MAX_MPLS : pkt->n_mpls;
    memcpy(h.mpls, pkt->mpls, h.n_mpls * sizeof(h.mpls[0]));

    enum kp_stop stop = KP_STOP_NONE;
    enum kp_rx_kind kind;
    if (pkt->ip.proto == IPPROTO_TCP_)
        kind = KP_RX_REACHED;
    else
        kind = kp_rx_icmp_kind(pkt->ip.version, (uint8_t)type, (uint8_t)code, from_dst, &stop);

    if (kp_trace_add_hop(&t->rec, &h) < 0) {
        rx->st.replies_lost++; /* out of memory: counted, not recorded */
        return;
    }
    if (p->n_replies == 0) {
        p->r_hop = (uint32_t)(t->rec.n_hops - 1);
        p->r_ipid = pkt->ip.ip_id;
        if (type == 11 && p->ttl > t->te_ttl)
            t->te_ttl = p->ttl; /* for tie_break */
    }
    if (p->n_replies < UINT16_MAX)
        p->n_replies++;
    rx->st.replies++;
    t->n_hops++;
    rx->n_hops++;
    if (h.flags & KP_HOP_LATE)
        rx->st.replies_late++;
    if (dup)
        rx->st.replies_dup++;
    if (nat)
        rx->st.replies_nat++;
    bit_set(t->answered, p->ttl);
    if (ts > t->last_rx_ns)
        t->last_rx_ns = ts;
    if (kind == KP_RX_REACHED && (t->reach_ttl == 0 || p->ttl < t->reach_ttl))
        t->reach_ttl = p->ttl;
    if (kind == KP_RX_UNREACH && (t->unreach_ttl == 0 || p->ttl < t->unreach_ttl)) {
        t->unreach_ttl = p->ttl;
        t->unreach_stop = stop;
    }
    if (rx->cfg.on_reply) {
        struct kp_rx_reply r;
        memset(&r, 0, sizeof(r));
        r.trace = &t->rec;
        r.hop = &t->rec.hops[t->rec.n_hops - 1];
        r.tool = t->rec.tool;
        r.trace_key = t->key;
        r.kind = kind;
        r.stop = stop;
        rx->cfg.on_reply(rx->cfg.ctx, &r);
    }
}

/* Strict and NAT-tolerant matches of a quote (see match_quote). */
struct quote_hits {
    struct rx_probe *strict, *strict_open, *loose;
    unsigned n_strict, n_strict_open, n_loose;
};

/* Whether p can be the probe of a quote of an ICMP type q->icmp_type. */
static bool quote_type_ok(const struct rx_probe *p, const struct rx_fields *q, bool icmp_known)
{
    return !is_icmp_proto(p->f.proto) || !icmp_known || p->f.icmp_type == q->icmp_type;
}

/* Count p if its strict fields that the quote holds (avail) equal the
 * quote's; returns whether they do. */
static bool strict_try(struct quote_hits *m, struct rx_probe *p, const struct kp_addr *qsrc,
                       const struct rx_fields *q, uint32_t avail)
{
    uint32_t s = p->qmask & avail; /* = match_fields & avail: avail is within full_quote */
    if ((s & ~KP_RX_F_SRC) == 0 || !fields_equal(p, qsrc, q, s))
        return false;
    m->strict = p;
    m->n_strict++;
    if (!p->trace->sealed) {
        m->strict_open = p;
        m->n_strict_open++;
    }
    return true;
}

/* The same with the NAT-tolerant fields. */
static void loose_try(struct quote_hits *m, struct rx_probe *p, const struct kp_addr *qsrc,
                      const struct rx_fields *q, uint32_t avail)
{
    uint32_t n = p->nmask & avail;
    if ((n & ~KP_RX_F_SRC) != 0 && fields_equal(p, qsrc, q, n)) {
        m->loose = p;
        m->n_loose++;
    }
}

/* The lookups of a quote of this level (2: 8 transport bytes or more, else
 * see short_quote) in by_quote or by_nat (nat), or by_short (see
 * match_quote): for each distinct strict (NAT-tolerant) mask of the
 * destination cut to what the quote holds, the probes whose values under it
 * equal the quote's. */
static void quote_lookup(struct kp_rx *rx, const struct rx_dest *d, unsigned level, bool nat,
                         uint32_t avail, struct quote_hits *m, const struct kp_addr *qsrc,
                         const struct rx_fields *q, bool icmp_known)
{
    const uint32_t *masks = nat ? d->nmask : d->qmask;
    unsigned n_masks = nat ? d->n_nmask : d->n_qmask;
    unsigned k = 2 * level + (nat ? 1 : 0); /* by_short's node */
    struct kp_htab *tab = level < 2 ? &rx->by_short : nat ? &rx->by_nat : &rx->by_quote;
    uint64_t seed = level < 2 ? H_SHORT + k : nat ? H_NAT : H_QUOTE;
    uint32_t done[RX_DEST_MASKS];
    unsigned n_done = 0;
    for (unsigned i = 0; i < n_masks; i++) {
        uint32_t mask = masks[i] & avail;
        bool seen = false;
        for (unsigned j = 0; j < n_done; j++)
            seen = seen || done[j] == mask;
        if (seen || (mask & ~KP_RX_F_SRC) == 0)
            continue; /* looked up already, or such probes never match */
        done[n_done++] = mask;
        uint64_t h = fields_key(seed, &d->dst, d->proto, qsrc, q, mask);
        for (struct kp_htab_node *n = kp_htab_first(tab, h); n; n = kp_htab_next(tab, n)) {
            struct rx_probe *p;
            if (level < 2) /* n is by_short[k] of an rx_short_ix */
                p = KP_HTAB_ENTRY(n - k, struct rx_short_ix, by_short)->p;
            else if (nat)
                p = KP_HTAB_ENTRY(n, struct rx_reply_ix, by_nat)->p;
            else
                p = KP_HTAB_ENTRY(n, struct rx_probe, by_quote);
            if (p->dest != d || ((nat ? p->nmask : p->qmask) & avail) != mask ||
                !quote_type_ok(p, q, icmp_known))
                continue;
            if (nat)
                loose_try(m, p, qsrc, q, avail);
            else
                strict_try(m, p, qsrc, q, avail);
        }
    }
}

/* A reply whose fields fit probes of several traces, exactly one of them
 * still open, goes to the open one: the others were sealed because a later
 * trace with the same key started (a new run of the tool, see new_run(), or
 * their probes are older than their linger). A tool run twice with the same
 * ports (scamper -s, tcptraceroute -p) sends byte-identical probes, and its
 * first run was over when the second began.
 *
 * The candidates are the probes to the quoted destination and protocol. A
 * probe matches strictly only if its values under its strict mask cut to
 * what the quote holds equal the quote's, so each distinct such mask of the
 * destination is one lookup: by_quote for a quote of 8 transport bytes or
 * more, by_short for shorter ones. Likewise by_nat (by_short) for the
 * NAT-tolerant match, needed only when nothing matched strictly. */
static void match_quote(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    if (!pkt->has_quote) {
        rx->st.unmatched++;
        return;
    }
    struct rx_fields q;
    memset(&q, 0, sizeof(q));
    fill_fields(&q, &pkt->q_ip, &pkt->q_l4);
    const struct kp_addr *qsrc = &pkt->q_ip.src, *qdst = &pkt->q_ip.dst;
    uint32_t avail = quote_avail(pkt);
    bool icmp_known = pkt->q_l4.len >= 1;
    struct rx_dest *d = dest_find(rx, qdst, q.proto);
    if (d == NULL) {
        rx->st.unmatched++;
        return;
    }
    struct quote_hits m;
    memset(&m, 0, sizeof(m));
    int level = avail == full_quote(qdst->family, q.proto)       ? 2
                : avail == short_quote(qdst->family, q.proto, 1) ? 1
                : avail == short_quote(qdst->family, q.proto, 0) ? 0
                                                                 : -1;
    bool walk = d->scan || level < 0 || (level < 2 && dest_index(rx, d, RX_IX_SHORT) < 0);
    if (!walk) {
        quote_lookup(rx, d, (unsigned)level, false, avail, &m, qsrc, &q, icmp_known);
        if (m.n_strict == 0 && level == 2 && dest_index(rx, d, RX_IX_NAT) < 0)
            walk = true;
        else if (m.n_strict == 0)
            quote_lookup(rx, d, (unsigned)level, true, avail, &m, qsrc, &q, icmp_known);
    }
    if (walk) {
        memset(&m, 0, sizeof(m));
        for (struct rx_probe *p = d->probes; p; p = p->dnext) {
            rx->scan_steps++;
            if (quote_type_ok(p, &q, icmp_known) && !strict_try(&m, p, qsrc, &q, avail))
                loose_try(&m, p, qsrc, &q, avail);
        }
    }
    if (m.n_strict > 1 && m.n_strict_open == 1) {
        m.strict = m.strict_open;
        m.n_strict = 1;
    }
    if (m.n_strict == 1) {
        record_reply(rx, ts, pkt, m.strict, false, true);
    } else if (m.n_strict > 1 || (m.n_strict == 0 && m.n_loose > 1)) {
        rx->st.ambiguous++;
    } else if (m.n_loose == 1) {
        record_reply(rx, ts, pkt, m.loose, true, true);
    } else {
        rx->st.rejected++; /* d holds at least one probe */
    }
}

static void match_echo(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    uint8_t req = pkt->ip.version == 6 ? 128 : 8;
    struct rx_dest *d = dest_find(rx, &pkt->ip.src, pkt->ip.proto);
    if (d == NULL) {
        rx->st.unmatched++;
        return;
    }
    struct rx_probe *hit = NULL, *hit_open = NULL;
    unsigned n_hit = 0, n_open = 0;
    bool walk = dest_index(rx, d, RX_IX_ANSWER) < 0;
    uint64_t h = echo_key(&pkt->ip.src, pkt->ip.proto, req, pkt->l4.icmp_id, pkt->l4.icmp_seq);
    struct kp_htab_node *n = walk ? NULL : kp_htab_first(&rx->by_answer, h);
    struct rx_probe *p = walk ? d->probes : NULL;
    for (;;) {
        if (walk) {
            if (p == NULL)
                break;
            rx->scan_steps++;
        } else {
            if (n == NULL)
                break;
            p = KP_HTAB_ENTRY(n, struct rx_reply_ix, by_answer)->p;
        }
        if (p->dest == d && p->f.icmp_type == req && p->f.icmp_id == pkt->l4.icmp_id &&
            p->f.icmp_seq == pkt->l4.icmp_seq) {
            hit = p;
            n_hit++;
            if (!p->trace->sealed) {
                hit_open = p;
                n_open++;
            }
        }
        if (walk)
            p = p->dnext;
        else
            n = kp_htab_next(&rx->by_answer, n);
    }
    if (n_hit > 1 && n_open == 1) {
        hit = hit_open;
        n_hit = 1;
    }
    if (n_hit == 1)
        record_reply(rx, ts, pkt, hit, false, false);
    else if (n_hit > 1)
        rx->st.ambiguous++;
    else
        rx->st.rejected++; /* d holds at least one probe */
}

/* Whether TCP segment pkt from a probe's destination answers probe p: the
 * ports swapped, and for a SYN (or any probe without ACK) an ACK of its
 * sequence number + 1 (SYN-ACK or RST-ACK); for an ACK probe (tcptraceroute
 * -A, scamper -P tcp-ack) an RST whose sequence number is the probe's
 * acknowledgement number — RFC 9293 3.10.7.1: "If the incoming segment has
 * the ACK bit set, the reset takes its sequence number from the ACK field of
 * the segment". */
static bool tcp_answers(const struct rx_probe *p, const struct kp_pkt *pkt)
{
    if (p->f.dport != pkt->l4.sport || p->f.sport != pkt->l4.dport)
        return false;
    if (is_ack_probe(p->f.tcp_flags))
        return (pkt->l4.tcp_flags & TCP_RST) != 0 && pkt->l4.tcp_seq == p->f.tcp_ack;
    return (pkt->l4.tcp_flags & TCP_ACK) != 0 && pkt->l4.tcp_ack == p->f.tcp_seq + 1u;
}

/* The probes a TCP segment from destination d can answer: those in the
 * by_answer chains of the numbers it carries (its seq for ACK probes when
 * it is an RST, its ack for the others when it acknowledges), or, when that
 * index could not be built, d's probes walked. */
struct tcp_cands {
    struct kp_rx *rx;
    const struct rx_dest *d;
    const struct kp_pkt *pkt;
    uint64_t h[2];
    unsigned nh, i;
    bool walk;
    struct kp_htab_node *n;
    struct rx_probe *p;
};

static void tcp_cands_start(struct tcp_cands *c, struct kp_rx *rx, struct rx_dest *d,
                            const struct kp_pkt *pkt)
{
    memset(c, 0, sizeof(c[0]));
    c->rx = rx;
    c->d = d;
    c->pkt = pkt;
    c->walk = dest_index(rx, d, RX_IX_ANSWER) < 0;
    c->p = c->walk ? d->probes : NULL;
    const struct kp_addr *src = &pkt->ip.src;
    if (pkt->l4.tcp_flags & TCP_RST)
        c->h[c->nh++] = tcp_key(src, true, pkt->l4.sport, pkt->l4.dport, pkt->l4.tcp_seq);
    if (pkt->l4.tcp_flags & TCP_ACK) {
        uint64_t h = tcp_key(src, false, pkt->l4.sport, pkt->l4.dport, pkt->l4.tcp_ack);
        if (c->nh == 0 || c->h[0] != h)
            c->h[c->nh++] = h;
    }
}

/* The next probe that pkt answers, or NULL at the end. */
static struct rx_probe *tcp_cands_next(struct tcp_cands *c)
{
    struct kp_htab *t = &c->rx->by_answer;
    for (;;) {
        struct rx_probe *p;
        if (c->walk) {
            if ((p = c->p) == NULL)
                return NULL;
            c->p = p->dnext;
            c->rx->scan_steps++;
        } else {
            if (c->n != NULL)
                c->n = kp_htab_next(t, c->n);
            while (c->n == NULL && c->i < c->nh)
                c->n = kp_htab_first(t, c->h[c->i++]);
            if (c->n == NULL)
                return NULL;
            p = KP_HTAB_ENTRY(c->n, struct rx_reply_ix, by_answer)->p;
        }
        if (p->dest == c->d && tcp_answers(p, c->pkt))
            return p;
    }
}

/* Several probes of ONE trace fit a TCP answer from the destination (tools
 * like tcptraceroute repeat ports and sequence number; the RST quotes
 * nothing): keep those sent before the answer and not answered yet; when
 * exactly one is left, it is the probe (causality, not timing: an answer
 * cannot precede its probe, and the others already have theirs). */
static struct rx_probe *tie_break(struct kp_rx *rx, struct rx_dest *d, int64_t ts,
                                  const struct kp_pkt *pkt, unsigned *n_hit)
{
    struct rx_probe *one = NULL, *p;
    struct rx_trace *tr = NULL;
    unsigned n = 0;
    bool open_fits = false;
    struct tcp_cands c;
    tcp_cands_start(&c, rx, d, pkt);
    while ((p = tcp_cands_next(&c)) != NULL)
        if (!p->trace->sealed)
            open_fits = true;
    tcp_cands_start(&c, rx, d, pkt);
    while ((p = tcp_cands_next(&c)) != NULL) {
        if (open_fits && p->trace->sealed)
            continue; /* superseded by the open trace (see match_quote) */
        if (tr == NULL)
            tr = p->trace;
        else if (tr != p->trace)
            return NULL; /* fits probes of several traces: stays ambiguous */
        if (p->tx_ns <= ts && p->n_replies == 0) {
            one = p;
            n++;
        }
    }
    if (n <= 1 || tr == NULL) {
        if (n == 1)
            *n_hit = 1;
        return one;
    }
    /* still several: a probe whose TTL a router answered with time exceeded
     * (or lower) did not reach the destination (te_ttl: the highest TTL
     * whose probe's first reply was a time exceeded) */
    uint8_t te = tr->te_ttl;
    /* Of those left, the answer belongs to the one sent last: the tools that
     * repeat every field (tcptraceroute, scamper -P tcp, both with SYN or ACK
     * probes) send one probe at a
     * time and move on only when it was answered or timed out, so the probes
     * sent earlier and still unanswered met silent routers (e.g. TTLs 5 and
     * 6 before the destination at 7). The order of sending is the only
     * evidence such probes leave; nothing else in the packet differs. Of
     * probes captured at the same time, the first captured. */
    one = NULL;
    n = 0;
    tcp_cands_start(&c, rx, d, pkt);
    while ((p = tcp_cands_next(&c)) != NULL)
        if (p->trace == tr && p->tx_ns <= ts && p->n_replies == 0 && p->ttl > te) {
            if (one == NULL || p->tx_ns > one->tx_ns ||
                (p->tx_ns == one->tx_ns && p->index < one->index))
                one = p;
            n++;
        }
    if (n >= 1) {
        *n_hit = 1;
        if (n > 1)
            rx->st.tcp_order_ties++;
    }
    return one;
}

static void match_tcp(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    struct rx_dest *d = dest_find(rx, &pkt->ip.src, IPPROTO_TCP_);
    if (d == NULL) {
        rx->st.unmatched++;
        return;
    }
    struct rx_probe *hit = NULL, *p;
    unsigned n_hit = 0;
    struct tcp_cands c;
    tcp_cands_start(&c, rx, d, pkt);
    while ((p = tcp_cands_next(&c)) != NULL) {
        hit = p;
        n_hit++;
    }
    if (n_hit > 1)
        hit = tie_break(rx, d, ts, pkt, &n_hit);
    if (n_hit == 1)
        record_reply(rx, ts, pkt, hit, false, false);
    else if (n_hit > 1)
        rx->st.ambiguous++;
    else
        rx->st.rejected++; /* d holds at least one probe */
}

int kp_rx_packet(struct kp_rx *rx, int64_t ts_ns, const struct kp_pkt *pkt)
{
    rx->st.frames++;
    if (rx->have_frame && ts_ns < rx->last_frame_ns)
        rx->st.ts_backwards++;
    rx->last_frame_ns = ts_ns;
    rx->have_frame = true;
    advance_clock(rx, ts_ns);
    if (pkt->cap_len < pkt->wire_len)
        rx->st.snapped++;
    int rc = 0;
    uint8_t proto = pkt->ip.proto;
    if (is_icmp_proto(proto) && pkt->is_icmp_error) {
        rx->st.replies_in++;
        match_quote(rx, ts_ns, pkt);
    } else if (is_icmp_proto(proto) && pkt->l4.len >= 8 &&
               pkt->l4.icmp_type == (pkt->ip.version == 6 ? 129 : 0)) {
        rx->st.replies_in++;
        match_echo(rx, ts_ns, pkt);
    } else if (proto == IPPROTO_TCP_ && pkt->l4.tcp_full &&
               ((pkt->l4.tcp_flags & TCP_RST) ||
                (pkt->l4.tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))) {
        rx->st.replies_in++;
        match_tcp(rx, ts_ns, pkt);
    } else {
        bool taken = false;
        for (size_t i = 0; i < rx->cfg.n_classifiers; i++) {
            const struct kp_rx_classifier *c = rx->cfg.classifiers[i];
            if (c == NULL || c->classify == NULL)
                continue;
            struct kp_rx_probe out;
            memset(&out, 0, sizeof(out));
            if (c->classify(pkt, &out) == 1) {
                if (rx->cfg.validate_probe != NULL &&
                    rx->cfg.validate_probe(rx->cfg.validate_ctx, pkt, &out) != 0)
                    rx->st.probes_foreign++;
                else
                    rc = handle_probe(rx, i, ts_ns, pkt, &out);
                taken = true;
                break;
            }
        }
        if (!taken)
            rx->st.other++;
    }
    expire(rx);
    held_limit(rx);
    return rc;
}
