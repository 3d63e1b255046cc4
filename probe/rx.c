/* rx.c — the single receive path: probes and replies in, kp_trace out.
 * See rx.h for the rules. Layout of this file:
 *   - probe table: stored probes chained in a hash by (destination, protocol),
 *     which is what a reply's quote (or an echo / TCP reply's source) names;
 *   - trace table: open traces by (classifier, src, dst, trace_key), plus a
 *     list in order of last probe, which is the order they expire in;
 *   - matching of ICMP errors (by the quote), echo replies and TCP replies;
 *   - closing a trace: stop reason from the data, record, callback.
 */
#include "probe/rx.h"

#include <errno.h>
#include "probe/htab.h"
#include <stdlib.h>
#include <string.h>

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

struct rx_probe {
    struct rx_probe *cnext, **cpprev; /* chain in the probe hash */
    struct rx_probe *tnext;           /* list of the trace's probes */
    struct rx_trace *trace;
    struct kp_addr src, dst;
    uint8_t proto, ttl, icmp_type, tcp_flags;
    uint16_t attempt;
    uint16_t ip_id, sport, dport, udp_len, udp_sum, icmp_id, icmp_seq, icmp_sum;
    uint32_t tcp_seq, tcp_ack, flowlabel;
    uint32_t match_fields, nat_fields;
    bool has_run_seq, run_seq_strict;
    uint32_t run_seq; /* kp_rx_probe.run_seq */
    bool retrans;     /* the kernel sending an earlier SYN again (see retrans_of) */
    uint16_t probe_size;
    int64_t tx_ns, wait_ns, linger_ns;
    uint16_t n_replies;
    /* signature of the first reply, to recognise the same frame captured twice */
    struct kp_addr r_src;
    uint16_t r_ipid, r_len;
    int16_t r_type, r_code;
};

struct rx_trace {
    struct kp_trace rec;
    size_t cls;
    uint64_t key;
    bool cycles; /* kp_rx_probe.cycles of its first probe */
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
};

struct kp_rx {
    struct kp_rx_config cfg;
    char vp[KP_VP_LEN];
    char ts_source[KP_TS_LEN];
    int64_t clock_ns; /* largest capture time seen (frames or ticks) */
    bool have_clock;
    int64_t last_frame_ns;
    bool have_frame;
    struct rx_probe **pb; /* probe hash buckets */
    size_t n_pb, n_probes;
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
    rx->n_pb = 1024;
    rx->pb = calloc(rx->n_pb, sizeof(*rx->pb));
    rx->n_tb = 256;
    rx->tb = calloc(rx->n_tb, sizeof(*rx->tb));
    if (rx->pb == NULL || rx->tb == NULL) {
        free(rx->pb);
        free(rx->tb);
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
    free(rx->pb);
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
/* probe hash by (dst, proto) */

static size_t pb_index(const struct kp_rx *rx, const struct kp_addr *dst, uint8_t proto)
{
    return (size_t)addr_hash(proto, dst) & (rx->n_pb - 1);
}

static void pb_link(struct kp_rx *rx, struct rx_probe *p)
{
    struct rx_probe **head = &rx->pb[pb_index(rx, &p->dst, p->proto)];
    p->cnext = *head;
    if (*head)
        (*head)->cpprev = &p->cnext;
    p->cpprev = head;
    *head = p;
}

static void pb_unlink(struct rx_probe *p)
{
    *p->cpprev = p->cnext;
    if (p->cnext)
        p->cnext->cpprev = p->cpprev;
}

static void pb_grow(struct kp_rx *rx)
{
    size_t nn = rx->n_pb * 2;
    struct rx_probe **nb = calloc(nn, sizeof(*nb));
    if (nb == NULL)
        return; /* keep the old table: slower chains, still correct */
    struct rx_probe **old = rx->pb;
    size_t on = rx->n_pb;
    rx->pb = nb;
    rx->n_pb = nn;
    for (size_t i = 0; i < on; i++) {
        struct rx_probe *p = old[i];
        while (p) {
            struct rx_probe *next = p->cnext;
            pb_link(rx, p);
            p = next;
        }
    }
    free(old);
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
        pb_unlink(p);
        free(p);
        rx->n_probes--;
        p = next;
    }
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

static void fill_fields(struct rx_probe *p, const struct kp_ip *ip, const struct kp_l4 *l4)
{
    p->src = ip->src;
    p->dst = ip->dst;
    p->proto = ip->proto;
    p->ip_id = ip->ip_id;
    p->flowlabel = ip->flowlabel;
    p->sport = l4->sport;
    p->dport = l4->dport;
    p->udp_len = l4->udp_len;
    p->udp_sum = l4->udp_sum;
    p->icmp_type = l4->icmp_type;
    p->icmp_id = l4->icmp_id;
    p->icmp_seq = l4->icmp_seq;
    p->icmp_sum = l4->icmp_sum;
    p->tcp_seq = l4->tcp_seq;
    p->tcp_ack = l4->tcp_ack;
    p->tcp_flags = l4->tcp_flags;
}

/* Whether the quoted/probe fields in `mask` are equal. q is a probe-shaped
 * view of the quote. */
static bool fields_equal(const struct rx_probe *p, const struct rx_probe *q, uint32_t mask)
{
    if ((mask & KP_RX_F_SRC) && !same_addr(&p->src, &q->src))
        return false;
    if ((mask & KP_RX_F_IPID) && p->ip_id != q->ip_id)
        return false;
    if ((mask & KP_RX_F_FLOWLBL) && p->flowlabel != q->flowlabel)
        return false;
    if ((mask & KP_RX_F_SPORT) && p->sport != q->sport)
        return false;
    if ((mask & KP_RX_F_DPORT) && p->dport != q->dport)
        return false;
    if ((mask & KP_RX_F_UDPLEN) && p->udp_len != q->udp_len)
        return false;
    if ((mask & KP_RX_F_UDPSUM) && p->udp_sum != q->udp_sum)
        return false;
    if ((mask & KP_RX_F_ICMPID) && p->icmp_id != q->icmp_id)
        return false;
    if ((mask & KP_RX_F_ICMPSEQ) && p->icmp_seq != q->icmp_seq)
        return false;
    if ((mask & KP_RX_F_ICMPSUM) && p->icmp_sum != q->icmp_sum)
        return false;
    if ((mask & KP_RX_F_TCPSEQ) && p->tcp_seq != q->tcp_seq)
        return false;
    return true;
}

static bool has_probe_slot(const struct rx_trace *t, uint8_t ttl, uint16_t attempt)
{
    for (const struct rx_probe *p = t->probes; p; p = p->tnext) {
        if (p->ttl == ttl && p->attempt == attempt)
            return true;
    }
    return false;
}

/* Whether TTL ttl of trace t has as many probes as the TTL below it that
 * has the most: traceroute and tcptraceroute send the same number (-q) at
 * every TTL, so one more at ttl comes from another run. */
static bool ttl_full(const struct rx_trace *t, uint8_t ttl)
{
    uint16_t n[256];
    memset(n, 0, sizeof(n));
    for (const struct rx_probe *p = t->probes; p; p = p->tnext)
        if (p->ttl <= ttl && n[p->ttl] < UINT16_MAX)
            n[p->ttl]++;
    uint16_t q = 0;
    for (unsigned i = t->min_ttl; i < ttl; i++)
        if (n[i] > q)
            q = n[i];
    return q > 0 && n[ttl] >= q;
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
static bool new_run(const struct rx_trace *t, const struct rx_probe *q, uint8_t ttl, int64_t ts)
{
    const struct rx_probe *last = t->probes_tail;
    if (last == NULL)
        return false;
    if (q->has_run_seq && last->has_run_seq && q->run_seq_strict)
        return q->run_seq <= last->run_seq;
    if (t->cycles) {
        for (const struct rx_probe *p = t->probes; p; p = p->tnext) {
            if (p->ttl == ttl && p->sport == q->sport && p->dport == q->dport &&
                p->icmp_id == q->icmp_id && p->icmp_seq == q->icmp_seq &&
                (q->proto != IPPROTO_TCP_ || p->tcp_seq != q->tcp_seq))
                return true;
        }
        return false;
    }
    bool revisit = ttl <= t->min_ttl || bit_get(t->probed, ttl);
    if (revisit && ttl < last->ttl)
        return true;
    if (revisit && ttl == last->ttl && q->has_run_seq && last->has_run_seq &&
        q->run_seq < last->run_seq)
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
static const struct rx_probe *retrans_of(const struct rx_trace *t, const struct rx_probe *q,
                                         uint8_t ttl)
{
    if (!t->cycles || q->proto != IPPROTO_TCP_ || (q->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return NULL;
    for (const struct rx_probe *p = t->probes; p; p = p->tnext)
        if (!p->retrans && p->ttl == ttl && p->sport == q->sport && p->dport == q->dport &&
            p->tcp_seq == q->tcp_seq && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
            return p;
    return NULL;
}

static int64_t probe_linger(const struct kp_rx *rx, const struct kp_rx_probe *c, int64_t wait_ns)
{
    if (rx->cfg.linger_ns > 0)
        return rx->cfg.linger_ns;
    if (c->has_late)
        return wait_ns + (int64_t)c->late_ms * 1000000LL;
    return 2 * wait_ns + 500000000LL;
}

static int handle_probe(struct kp_rx *rx, size_t cls, int64_t ts, const struct kp_pkt *pkt,
                        const struct kp_rx_probe *cin)
{
    if (cin->ttl == 0 || cin->tool == NULL)
        return 0;
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
    struct rx_probe tmp;
    memset(&tmp, 0, sizeof(tmp));
    fill_fields(&tmp, &pkt->ip, &pkt->l4);
    tmp.has_run_seq = c->has_run_seq;
    tmp.run_seq_strict = c->run_seq_strict;
    tmp.run_seq = c->run_seq;
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
        /* The same probe captured twice (e.g. tcpdump -i any)? The copies
         * are captured together; an equal probe sent later is a new one
         * (scamper run again with the same -s sends the same bytes). */
        uint32_t dupmask = c->match_fields | KP_RX_F_IPID | KP_RX_F_SRC;
        for (const struct rx_probe *p = t->probes; p; p = p->tnext) {
            if (p->ttl == c->ttl && p->proto == tmp.proto && fields_equal(p, &tmp, dupmask) &&
                p->ip_id == tmp.ip_id && p->probe_size == pkt->ip.tot_len &&
                ts - p->tx_ns <= DUP_CAPTURE_NS && p->tx_ns - ts <= DUP_CAPTURE_NS) {
                rx->st.probes_dup++;
                return 0;
            }
        }
        bool split = t->n_probes >= rx->cfg.max_probes_per_trace;
        if (!split && c->attempt != KP_RX_ATTEMPT_AUTO)
            split = has_probe_slot(t, c->ttl, c->attempt);
        if (!split && !c->has_trace_id)
            split = new_run(t, &tmp, c->ttl, ts);
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
    struct rx_probe *p = malloc(sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    *p = tmp;
    p->trace = t;
    p->ttl = c->ttl;
    const struct rx_probe *orig = retrans_of(t, p, c->ttl);
    if (orig != NULL) {
        p->retrans = true;
        p->attempt = orig->attempt;
    } else if (c->attempt == KP_RX_ATTEMPT_AUTO) {
        uint16_t n = 0;
        for (const struct rx_probe *q = t->probes; q; q = q->tnext) {
            if (q->ttl == c->ttl && !q->retrans)
                n++;
        }
        p->attempt = n;
    } else {
        p->attempt = c->attempt;
    }
    p->match_fields = c->match_fields;
    p->nat_fields = c->nat_fields;
    p->probe_size = pkt->ip.tot_len;
    p->tx_ns = ts;
    p->wait_ns = c->wait_ms ? (int64_t)c->wait_ms * 1000000 : rx->cfg.wait_ns;
    p->linger_ns = probe_linger(rx, c, p->wait_ns);
    if (p->linger_ns > t->span_ns)
        t->span_ns = p->linger_ns;
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
    if (rx->n_probes + 1 > rx->n_pb * 2)
        pb_grow(rx);
    pb_link(rx, p);
    rx->n_probes++;
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
    if (ts - p->tx_ns > p->linger_ns) {
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
            .src = &p->src,
        };
        if (rx->cfg.validate(rx->cfg.validate_ctx, pkt, &ref) != 0) {
            rx->st.rejected++;
            rx->st.key_rejected++;
            return;
        }
    }
    bool dup = false;
    if (p->n_replies > 0) {
        if (same_addr(&p->r_src, &pkt->ip.src) && p->r_ipid == pkt->ip.ip_id &&
            p->r_len == pkt->ip.tot_len && p->r_type == type && p->r_code == code) {
            rx->st.dup_frames++;
            return;
        }
        dup = true;
    } else {
        p->r_src = pkt->ip.src;
        p->r_ipid = pkt->ip.ip_id;
        p->r_len = pkt->ip.tot_len;
        p->r_type = type;
        p->r_code = code;
    }
    p->n_replies++;

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
    bool from_dst = same_addr(&pkt->ip.src, &p->dst);
    if (from_dst)
        h.flags |= KP_HOP_FROM_DST;
    if (ts - p->tx_ns > p->wait_ns) {
        h.flags |= KP_HOP_LATE;
        rx->st.replies_late++;
    }
    if (dup) {
        h.flags |= KP_HOP_DUP;
        rx->st.replies_dup++;
    }
    if (nat) {
        h.flags |= KP_HOP_NAT;
        rx->st.replies_nat++;
        if (p->proto == IPPROTO_UDP_)
            h.nat_id = (uint16_t)(pkt->q_l4.udp_sum - p->udp_sum);
        else if (is_icmp_proto(p->proto))
            h.nat_id = (uint16_t)(pkt->q_l4.icmp_sum - p->icmp_sum);
        else
            h.nat_id = (uint16_t)(pkt->q_l4.sport - p->sport);
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
        rx->st.replies_nomem++; /* the reply is lost, and counted */
        return;
    }
    rx->st.replies++;
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

/* A reply whose fields fit probes of several traces, exactly one of them
 * still open, goes to the open one: the others were sealed because a later
 * trace with the same key started (a new run of the tool, see new_run(), or
 * their probes are older than their linger). A tool run twice with the same
 * ports (scamper -s, tcptraceroute -p) sends byte-identical probes, and its
 * first run was over when the second began. */
static void match_quote(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    if (!pkt->has_quote) {
        rx->st.unmatched++;
        return;
    }
    struct rx_probe q;
    memset(&q, 0, sizeof(q));
    fill_fields(&q, &pkt->q_ip, &pkt->q_l4);
    uint32_t avail = quote_avail(pkt);
    bool icmp_known = pkt->q_l4.len >= 1;
    struct rx_probe *strict = NULL, *loose = NULL;
    unsigned n_strict = 0, n_loose = 0, n_cand = 0;
    /* strict matches in traces still open (see superseded()) */
    struct rx_probe *strict_open = NULL;
    unsigned n_strict_open = 0;
    for (struct rx_probe *p = rx->pb[pb_index(rx, &q.dst, q.proto)]; p; p = p->cnext) {
        if (p->proto != q.proto || !same_addr(&p->dst, &q.dst))
            continue;
        n_cand++;
        if (is_icmp_proto(p->proto) && icmp_known && p->icmp_type != q.icmp_type)
            continue;
        uint32_t m = p->match_fields & avail;
        if ((m & ~KP_RX_F_SRC) != 0 && fields_equal(p, &q, m)) {
            strict = p;
            n_strict++;
            if (!p->trace->sealed) {
                strict_open = p;
                n_strict_open++;
            }
            continue;
        }
        uint32_t n = p->nat_fields & avail;
        if ((n & ~KP_RX_F_SRC) != 0 && fields_equal(p, &q, n)) {
            loose = p;
            n_loose++;
        }
    }
    if (n_strict > 1 && n_strict_open == 1) {
        strict = strict_open;
        n_strict = 1;
    }
    if (n_strict == 1) {
        record_reply(rx, ts, pkt, strict, false, true);
    } else if (n_strict > 1 || (n_strict == 0 && n_loose > 1)) {
        rx->st.ambiguous++;
    } else if (n_loose == 1) {
        record_reply(rx, ts, pkt, loose, true, true);
    } else if (n_cand > 0) {
        rx->st.rejected++;
    } else {
        rx->st.unmatched++;
    }
}

static void match_echo(struct kp_rx *rx, int64_t ts, const struct kp_pkt *pkt)
{
    uint8_t req = pkt->ip.version == 6 ? 128 : 8;
    struct rx_probe *hit = NULL, *hit_open = NULL;
    unsigned n_hit = 0, n_cand = 0, n_open = 0;
    for (struct rx_probe *p = rx->pb[pb_index(rx, &pkt->ip.src, pkt->ip.proto)]; p; p = p->cnext) {
        if (p->proto != pkt->ip.proto || !same_addr(&p->dst, &pkt->ip.src))
            continue;
        n_cand++;
        if (p->icmp_type == req && p->icmp_id == pkt->l4.icmp_id &&
            p->icmp_seq == pkt->l4.icmp_seq) {
            hit = p;
            n_hit++;
            if (!p->trace->sealed) {
                hit_open = p;
                n_open++;
            }
        }
    }
    if (n_hit > 1 && n_open == 1) {
        hit = hit_open;
        n_hit = 1;
    }
    if (n_hit == 1)
        record_reply(rx, ts, pkt, hit, false, false);
    else if (n_hit > 1)
        rx->st.ambiguous++;
    else if (n_cand > 0)
        rx->st.rejected++;
    else
        rx->st.unmatched++;
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
    if (p->dport != pkt->l4.sport || p->sport != pkt->l4.dport)
        return false;
    if ((p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK)
        return (pkt->l4.tcp_flags & TCP_RST) != 0 && pkt->l4.tcp_seq == p->tcp_ack;
    return (pkt->l4.tcp_flags & TCP_ACK) != 0 && pkt->l4.tcp_ack == p->tcp_seq + 1u;
}

/* Several probes of ONE trace fit a TCP answer from the destination (tools
 * like tcptraceroute repeat ports and sequence number; the RST quotes
 * nothing): keep those sent before the answer and not answered yet; when
 * exactly one is left, it is the probe (causality, not timing: an answer
 * cannot precede its probe, and the others already have theirs). */
static struct rx_probe *tie_break(struct kp_rx *rx, const struct kp_addr *dst, uint8_t proto,
                                  int64_t ts, const struct kp_pkt *pkt, unsigned *n_hit)
{
    struct rx_probe *one = NULL;
    struct rx_trace *tr = NULL;
    unsigned n = 0;
    bool open_fits = false;
    for (struct rx_probe *p = rx->pb[pb_index(rx, dst, proto)]; p; p = p->cnext)
        if (p->proto == proto && same_addr(&p->dst, dst) && !p->trace->sealed &&
            tcp_answers(p, pkt))
            open_fits = true;
    for (struct rx_probe *p = rx->pb[pb_index(rx, dst, proto)]; p; p = p->cnext) {
        if (p->proto != proto || !same_addr(&p->dst, dst))
            continue;
        if (!tcp_answers(p, pkt))
            continue;
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
     * (or lower) did not reach the destination */
    uint8_t te = 0;
    for (struct rx_probe *p = tr->probes; p; p = p->tnext)
        if (p->n_replies > 0 && p->r_type == 11 && p->ttl > te)
            te = p->ttl;
    /* Of those left, the answer belongs to the one sent last: the tools that
     * repeat every field (tcptraceroute, scamper -P tcp, both with SYN or ACK
     * probes) send one probe at a
     * time and move on only when it was answered or timed out, so the probes
     * sent earlier and still unanswered met silent routers (e.g. TTLs 5 and
     * 6 before the destination at 7). The order of sending is the only
     * evidence such probes leave; nothing else in the packet differs. */
    one = NULL;
    n = 0;
    for (struct rx_probe *p = tr->probes; p; p = p->tnext)
        if (tcp_answers(p, pkt) && p->tx_ns <= ts && p->n_replies == 0 && p->ttl > te) {
            if (one == NULL || p->tx_ns > one->tx_ns)
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
    struct rx_probe *hit = NULL;
    unsigned n_hit = 0, n_cand = 0;
    for (struct rx_probe *p = rx->pb[pb_index(rx, &pkt->ip.src, IPPROTO_TCP_)]; p; p = p->cnext) {
        if (p->proto != IPPROTO_TCP_ || !same_addr(&p->dst, &pkt->ip.src))
            continue;
        n_cand++;
        if (tcp_answers(p, pkt)) {
            hit = p;
            n_hit++;
        }
    }
    if (n_hit > 1)
        hit = tie_break(rx, &pkt->ip.src, IPPROTO_TCP_, ts, pkt, &n_hit);
    if (n_hit == 1)
        record_reply(rx, ts, pkt, hit, false, false);
    else if (n_hit > 1)
        rx->st.ambiguous++;
    else if (n_cand > 0)
        rx->st.rejected++;
    else
        rx->st.unmatched++;
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
    return rc;
}
