/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_probe.c — probes in (see rx_int.h): a sent probe opens or extends its
 * trace; duplicate captures, repeated probes of cycling tools and kernel
 * retransmissions are told apart; rx_handle_probe stores the probe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rx/rx_int.h"

/* ------------------------------------------------------------------ */
/* probes */

static struct rx_trace *new_trace(struct kp_rx *rx, size_t cls, const struct kp_pkt *pkt,
                                  const struct kp_rx_probe *c)
{
    if (rx->n_open >= rx->cfg.max_open_traces && (rx->lhead || rx->xhead)) {
        rx->st.traces_forced++;
        rx_close_trace(rx, rx->lhead ? rx->lhead : rx->xhead);
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
    t->cls = cls;
    t->key = c->trace_key;
    if (rx_open_link(rx, t) != 0) { /* as when the trace could not be allocated */
        kp_trace_free(r);
        free(t);
        return NULL;
    }
    r->method = c->method;
    r->sport = c->sport;
    r->dport = c->dport;
    r->icmp_id = c->icmp_id;
    r->id = c->has_trace_id ? c->trace_id : rx->next_id++;
    t->serial = rx->next_serial++;
    t->cycles = c->cycles;
    t->p_first = c->first_ttl;
    t->p_max = c->max_ttl;
    t->p_attempts = c->attempts;
    t->p_gap = c->gap_limit;
    t->p_wait_ms = c->wait_ms;
    /* an exact trace closes at its last probe's linger once sealed */
    t->span_ns = c->exact ? 0 : rx->cfg.idle_ns;
    if (c->exact) {
        t->exact = true;
        t->in_x = true;
        t->slot = c->slot;
        if (kp_htab_insert(&rx->slots, &t->snode, rx_slot_hash(cls, &r->src, c->slot)) == 0)
            t->in_slot = true;
    }
    rx_l_append(rx, t);
    rx->n_open++;
    rx->st.traces_opened++;
    if (rx->n_open > rx->st.open_traces_max)
        rx->st.open_traces_max = rx->n_open;
    return t;
}

void rx_fill_fields(struct rx_fields *f, const struct kp_ip *ip, const struct kp_l4 *l4)
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
bool rx_fields_equal(const struct rx_probe *p, const struct kp_addr *src, const struct rx_fields *q,
                     uint32_t mask)
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
 * is in q's by_quote chain, or in the cell those fields decode to (a cell
 * probe's strict fields hold what names its cell), when the trace's probes
 * all have one strict mask and dupmask covers it; otherwise the trace's
 * probes are walked. */
static bool find_dup(struct kp_rx *rx, const struct rx_trace *t, const struct rx_fields *q,
                     uint8_t ttl, uint32_t dupmask, uint16_t size, int64_t ts)
{
    const struct kp_addr *src = &t->rec.src;
#define IS_DUP(p)                                                                                  \
    ((p)->trace == t && (p)->ttl == ttl && (p)->f.proto == q->proto &&                             \
     rx_fields_equal((p), src, q, dupmask) && (p)->f.ip_id == q->ip_id &&                          \
     (p)->probe_size == size && ts - (p)->tx_ns <= DUP_CAPTURE_NS &&                               \
     (p)->tx_ns - ts <= DUP_CAPTURE_NS)
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
    struct rx_cell_id id;
    if (t->n_cell > 0 && rx_cell_decode(t->rec.dst.family, q, &id) && id.flow == t->flow) {
        const struct rx_probe *p = rx_cell_get(rx, t, id.ttl, id.attempt);
        if (p != NULL && IS_DUP(p))
            return true;
    }
    if (t->n_cell == t->n_probes)
        return false; /* none in by_quote */
    uint64_t h = rx_fields_key(H_QUOTE, &t->rec.dst, q->proto, src, q, t->qmask);
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
    if (rx_cell_get(rx, t, ttl, attempt) != NULL)
        return true;
    if (t->n_cell == t->n_probes)
        return false; /* none in by_slot */
    uint64_t h = rx_slot_key(t, ttl, attempt);
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
    uint64_t h = rx_repeat_key(t, ttl, q);
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
    return q->proto != KP_PROTO_TCP || p->f.tcp_seq != q->tcp_seq;
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
    if (!t->cycles || q->proto != KP_PROTO_TCP || (q->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return NULL;
    return repeat_find(rx, t, q, ttl, retransmits);
}

/* The probe's wait: its own, or rx's when the classifier gave none. */
int64_t rx_probe_wait_ns(const struct kp_rx *rx, const struct rx_probe *p)
{
    return p->wait_ms ? (int64_t)p->wait_ms * 1000000 : rx->cfg.wait_ns;
}

/* How long after it left a reply to probe p is still taken: rx's linger,
 * or wait + late when the probe's late is known (kptrace --late), else
 * 2 * wait + 500 ms. */
int64_t rx_probe_linger(const struct kp_rx *rx, const struct rx_probe *p)
{
    if (rx->cfg.linger_ns > 0)
        return rx->cfg.linger_ns;
    int64_t wait_ns = rx_probe_wait_ns(rx, p);
    if (p->has_late)
        return wait_ns + (int64_t)p->late_ms * 1000000LL;
    return 2 * wait_ns + 500000000LL;
}

/* reason: the one place a probe joins a trace (defaults, the trace found or opened, the probe
 * linked and the trace's bounds moved): steps that share a dozen locals */
int rx_handle_probe(struct kp_rx *rx, size_t cls, int64_t ts, const struct kp_pkt *pkt,
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
    rx_fill_fields(&f, &pkt->ip, &pkt->l4);
    struct rx_trace *t = NULL;
    if (c->exact) {
        /* The prober gives a slot to one trace at a time: another trace in
         * this slot means that its holder sends nothing more. The holder
         * with this key and destination is the open trace (a holder is
         * unsealed, so open, and open traces differ in (cls, src, dst,
         * key)): found once. */
        struct rx_trace *h = rx_slot_holder(rx, cls, &pkt->ip.src, c->slot);
        if (h != NULL && (h->key != c->trace_key || !same_addr(&h->rec.dst, &pkt->ip.dst))) {
            rx->st.traces_slot_sealed++;
            rx_seal(rx, h);
        } else if (h != NULL) {
            t = h;
        }
    }
    if (t == NULL)
        t = rx_open_find(rx, cls, &pkt->ip.src, &pkt->ip.dst, c->trace_key);
    /* A probe more than linger after the trace's last one starts a new trace
     * (decided by timestamps, so live and replay agree); never for an exact
     * trace, which is the one the prober planned however long it paused. */
    if (t && !t->exact && ts - t->last_tx_ns > t->span_ns) {
        rx_seal(rx, t);
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
            rx_seal(rx, t);
            t = NULL;
        }
    }
    if (t == NULL) {
        t = new_trace(rx, cls, pkt, c);
        if (t == NULL)
            return -ENOMEM;
    }
    struct rx_probe *p = rx_probe_alloc(rx);
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
    if (rx_probe_link(rx, p, c->match_fields, c->nat_fields, c->exact) < 0) {
        rx_probe_release(rx, p);
        return -ENOMEM;
    }
    int64_t linger = rx_probe_linger(rx, p);
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
        rx_l_unlink(rx, t);
        rx_l_append(rx, t);
    }
    rx->st.probes++;
    return 0;
}
