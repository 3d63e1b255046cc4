/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_match.c — replies in (see rx_int.h): matching ICMP errors to probes by
 * their quote, echo replies and TCP replies, and recording a matched reply
 * as a hop of its trace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rx/rx_int.h"

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
    case KP_PROTO_UDP:
        if (len >= 4)
            a |= KP_RX_F_SPORT | KP_RX_F_DPORT;
        if (len >= 8)
            a |= KP_RX_F_UDPLEN | KP_RX_F_UDPSUM;
        break;
    case KP_PROTO_TCP:
        if (len >= 4)
            a |= KP_RX_F_SPORT | KP_RX_F_DPORT;
        if (len >= 8)
            a |= KP_RX_F_TCPSEQ;
        break;
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
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

/* reason: the one place a matched reply becomes a hop and moves the counters; the order of its
 * checks (expired, rejected, duplicate, late) is the order rx_stats counts them in, read in one
 * place */
static void record_reply(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt, struct rx_probe *p,
                         bool nat, bool error)
{
    struct rx_trace *t = p->trace;
    int16_t type = is_icmp_proto(pkt->ip.proto) ? pkt->l4.icmp_type : -1;
    int16_t code = is_icmp_proto(pkt->ip.proto) ? pkt->l4.icmp_code : -1;
    int64_t wait_ns = rx_probe_wait_ns(rx, p);
    if (ts - p->tx_ns > rx_probe_linger(rx, p)) {
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
    if (pkt->ip.proto == KP_PROTO_TCP)
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
        if (p->f.proto == KP_PROTO_UDP)
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
    if (pkt->ip.proto == KP_PROTO_TCP)
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

/* Strict and NAT-tolerant matches of a quote (see rx_match_quote). */
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
    uint32_t s = p->qmask & avail; /* = match_fields & avail: avail is within rx_full_quote */
    if ((s & ~KP_RX_F_SRC) == 0 || !rx_fields_equal(p, qsrc, q, s))
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
    if ((n & ~KP_RX_F_SRC) != 0 && rx_fields_equal(p, qsrc, q, n)) {
        m->loose = p;
        m->n_loose++;
    }
}

/* The lookups of a quote of this level (2: 8 transport bytes or more, else
 * see rx_short_quote) in by_quote or by_nat (nat), or by_short (see
 * rx_match_quote): for each distinct strict (NAT-tolerant) mask of the
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
        uint64_t h = rx_fields_key(seed, &d->dst, d->proto, qsrc, q, mask);
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

/* The strict matches of a quote of 8 transport bytes or more among the
 * probes in cells (rx_cell.c): the one cell its fields decode to, in each
 * trace of destination d holding cells with its flow value. */
static void cell_lookup(struct kp_rx *rx, const struct rx_dest *d, uint32_t avail,
                        struct quote_hits *m, const struct kp_addr *qsrc, const struct rx_fields *q,
                        bool icmp_known)
{
    struct rx_cell_id id;
    if (!rx_cell_decode(d->dst.family, q, &id))
        return;
    for (struct kp_htab_node *n = rx_cell_flow_first(rx, d, id.flow); n;
         n = kp_htab_next(&rx->by_flow, n)) {
        const struct rx_trace *t = KP_HTAB_ENTRY(n, struct rx_trace, fnode);
        if (t->cdest != d || t->flow != id.flow)
            continue;
        struct rx_probe *p = rx_cell_get(rx, t, id.ttl, id.attempt);
        if (p != NULL && quote_type_ok(p, q, icmp_known))
            strict_try(m, p, qsrc, q, avail);
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
 * more, by_short for shorter ones; kptrace's own probes are in no index but
 * in their trace's cells, which the quote's fields name (cell_lookup; a
 * cell probe's strict mask holds those fields). Likewise by_nat (by_short,
 * both holding cell probes too) for the NAT-tolerant match, needed only when
 * nothing matched strictly. */
void rx_match_quote(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    if (!pkt->has_quote) {
        rx->st.unmatched++;
        return;
    }
    struct rx_fields q;
    memset(&q, 0, sizeof(q));
    rx_fill_fields(&q, &pkt->q_ip, &pkt->q_l4);
    const struct kp_addr *qsrc = &pkt->q_ip.src, *qdst = &pkt->q_ip.dst;
    uint32_t avail = quote_avail(pkt);
    bool icmp_known = pkt->q_l4.len >= 1;
    struct rx_dest *d = rx_dest_find(rx, qdst, q.proto);
    if (d == NULL) {
        rx->st.unmatched++;
        return;
    }
    struct quote_hits m;
    memset(&m, 0, sizeof(m));
    int level = avail == rx_full_quote(qdst->family, q.proto)       ? 2
                : avail == rx_short_quote(qdst->family, q.proto, 1) ? 1
                : avail == rx_short_quote(qdst->family, q.proto, 0) ? 0
                                                                    : -1;
    bool walk = d->scan || level < 0 || (level < 2 && rx_dest_index(rx, d, RX_IX_SHORT) < 0);
    if (!walk) {
        if (level == 2 && d->n_cell > 0)
            cell_lookup(rx, d, avail, &m, qsrc, &q, icmp_known);
        if (level < 2 || d->n_cell < d->n_probes)
            quote_lookup(rx, d, (unsigned)level, false, avail, &m, qsrc, &q, icmp_known);
        if (m.n_strict == 0 && level == 2 && rx_dest_index(rx, d, RX_IX_NAT) < 0)
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

void rx_match_echo(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    uint8_t req = pkt->ip.version == 6 ? 128 : 8;
    struct rx_dest *d = rx_dest_find(rx, &pkt->ip.src, pkt->ip.proto);
    if (d == NULL) {
        rx->st.unmatched++;
        return;
    }
    struct rx_probe *hit = NULL, *hit_open = NULL;
    unsigned n_hit = 0, n_open = 0;
    bool walk = rx_dest_index(rx, d, RX_IX_ANSWER) < 0;
    uint64_t h = rx_echo_key(&pkt->ip.src, pkt->ip.proto, req, pkt->l4.icmp_id, pkt->l4.icmp_seq);
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
    if (rx_is_ack_probe(p->f.tcp_flags))
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
    c->walk = rx_dest_index(rx, d, RX_IX_ANSWER) < 0;
    c->p = c->walk ? d->probes : NULL;
    const struct kp_addr *src = &pkt->ip.src;
    if (pkt->l4.tcp_flags & TCP_RST)
        c->h[c->nh++] = rx_tcp_key(src, true, pkt->l4.sport, pkt->l4.dport, pkt->l4.tcp_seq);
    if (pkt->l4.tcp_flags & TCP_ACK) {
        uint64_t h = rx_tcp_key(src, false, pkt->l4.sport, pkt->l4.dport, pkt->l4.tcp_ack);
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
            continue; /* superseded by the open trace (see rx_match_quote) */
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

void rx_match_tcp(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    struct rx_dest *d = rx_dest_find(rx, &pkt->ip.src, KP_PROTO_TCP);
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
