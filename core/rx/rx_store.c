/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_store.c — the probe store of the receive path (see rx_int.h):
 *   - probe table: stored probes chained in a hash by (destination, protocol),
 *     which is what a reply's quote (or an echo / TCP reply's source) names,
 *     and the indexes built on it;
 *   - trace table: open traces by (classifier, src, dst, trace_key), plus a
 *     list in order of last probe, which is the order they expire in, and
 *     the slots of exact traces. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rx/rx_int.h"

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
 *   (cells)    kptrace's own probes are in none of by_quote, by_slot: in
 *              their trace's cells by (TTL, attempt) instead, the trace in
 *              by_flow by (destination, protocol, flow value) (rx_cell.c);
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

/* The KP_RX_F_* fields a quote of a probe of this family and protocol holds
 * when it carries 8 transport bytes or more (see quote_avail). */
uint32_t rx_full_quote(uint8_t family, uint8_t proto)
{
    uint32_t a = KP_RX_F_SRC | (family == 4 ? KP_RX_F_IPID : KP_RX_F_FLOWLBL);
    switch (proto) {
    case KP_PROTO_UDP:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_UDPLEN | KP_RX_F_UDPSUM;
    case KP_PROTO_TCP:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT | KP_RX_F_TCPSEQ;
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
        return a | KP_RX_F_ICMPSUM | KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    default:
        return a;
    }
}

/* What a quote of 0-3 (level 0) or 4-7 (level 1) transport bytes holds (see
 * quote_avail); level 2, 8 bytes or more, is rx_full_quote. */
uint32_t rx_short_quote(uint8_t family, uint8_t proto, unsigned level)
{
    uint32_t a = KP_RX_F_SRC | (family == 4 ? KP_RX_F_IPID : KP_RX_F_FLOWLBL);
    if (level == 0)
        return a;
    switch (proto) {
    case KP_PROTO_UDP:
    case KP_PROTO_TCP:
        return a | KP_RX_F_SPORT | KP_RX_F_DPORT;
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
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
uint64_t rx_fields_key(uint64_t seed, const struct kp_addr *dst, uint8_t proto,
                       const struct kp_addr *src, const struct rx_fields *f, uint32_t mask)
{
    return hash_fields(kp_hash_u64(kp_addr_hash(seed, dst), proto), src, f, mask);
}

uint64_t rx_echo_key(const struct kp_addr *dst, uint8_t proto, uint8_t type, uint16_t id,
                     uint16_t seq)
{
    return kp_hash_u64(kp_addr_hash(H_ECHO, dst),
                       (uint64_t)proto << 40 | (uint64_t)type << 32 | (uint32_t)id << 16 | seq);
}

/* A TCP answer from dst with source port sport to port dport carrying x
 * (ack for a SYN, seq of the RST for an ACK probe). */
uint64_t rx_tcp_key(const struct kp_addr *dst, bool ack_probe, uint16_t sport, uint16_t dport,
                    uint32_t x)
{
    uint64_t h = kp_addr_hash(H_TCP, dst);
    return kp_hash_u64(h, (uint64_t)ack_probe << 63 | (uint64_t)sport << 48 |
                              (uint64_t)dport << 32 | x);
}

uint64_t rx_slot_key(const struct rx_trace *t, uint8_t ttl, uint16_t attempt)
{
    return kp_hash_u64(kp_hash_u64(H_SLOT, t->serial), (uint32_t)ttl << 16 | attempt);
}

uint64_t rx_repeat_key(const struct rx_trace *t, uint8_t ttl, const struct rx_fields *f)
{
    uint64_t h = kp_hash_u64(kp_hash_u64(H_REPEAT, t->serial), ttl);
    return kp_hash_u64(h, (uint64_t)f->sport << 48 | (uint64_t)f->dport << 32 |
                              (uint32_t)f->icmp_id << 16 | f->icmp_seq);
}

bool rx_is_ack_probe(uint8_t tcp_flags)
{
    return (tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK;
}

struct rx_dest *rx_dest_find(struct kp_rx *rx, const struct kp_addr *dst, uint8_t proto)
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
        return rx_echo_key(dst, f->proto, f->icmp_type, f->icmp_id, f->icmp_seq);
    if (rx_is_ack_probe(f->tcp_flags))
        return rx_tcp_key(dst, true, f->dport, f->sport, f->tcp_ack);
    return rx_tcp_key(dst, false, f->dport, f->sport, f->tcp_seq + 1u);
}

/* by_short for a quote of this level: seeds per (level, strict or not). */
static uint64_t short_key(const struct kp_addr *dst, uint8_t proto, const struct kp_addr *src,
                          const struct rx_fields *f, uint32_t mask, unsigned level, bool nat)
{
    return rx_fields_key(H_SHORT + 2 * level + (nat ? 1u : 0u), dst, proto, src, f, mask);
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
                       rx_fields_key(H_NAT, dst, proto, src, &p->f, p->nmask)) < 0)
        return -ENOMEM;
    if ((which & RX_IX_ANSWER) && (is_icmp_proto(proto) || proto == KP_PROTO_TCP) &&
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
            uint32_t avail = rx_short_quote(dst->family, proto, l);
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
int rx_dest_index(struct kp_rx *rx, struct rx_dest *d, unsigned which)
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
struct rx_probe *rx_probe_alloc(struct kp_rx *rx)
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

void rx_probe_release(struct kp_rx *rx, struct rx_probe *p)
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
int rx_probe_link(struct kp_rx *rx, struct rx_probe *p, uint32_t match_fields, uint32_t nat_fields,
                  bool exact)
{
    struct rx_trace *t = p->trace;
    const struct kp_addr *dst = &t->rec.dst, *src = &t->rec.src;
    uint8_t proto = p->f.proto;
    if (ttl_count_reserve(t, p->ttl) < 0)
        return -ENOMEM;
    /* a trace holding cells knows its destination (alive while it does) */
    struct rx_dest *d =
        t->n_cell > 0 && t->cdest->proto == proto ? t->cdest : rx_dest_find(rx, dst, proto);
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
    uint32_t full = rx_full_quote(dst->family, proto);
    p->qmask = match_fields & full;
    p->nmask = nat_fields & full;
    int rc;
    if (exact && rx_cell_fits(t, p, d))
        rc = rx_cell_put(rx, p, d);
    else
        rc = kp_htab_insert(&rx->by_quote, &p->by_quote,
                            rx_fields_key(H_QUOTE, dst, proto, src, &p->f, p->qmask));
    if (rc == 0 && !p->cell && t->cycles)
        rc = kp_htab_insert(&rx->by_repeat, &p->by_trace, rx_repeat_key(t, p->ttl, &p->f));
    else if (rc == 0 && !p->cell)
        rc = kp_htab_insert(&rx->by_slot, &p->by_trace, rx_slot_key(t, p->ttl, p->attempt));
    if (rc == 0 && d->indexed)
        rc = index_lazy(rx, p, d->indexed);
    if (rc < 0) {
        if (p->cell)
            rx_cell_take(rx, p, d);
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
    if (p->cell)
        d->n_cell--;
    if (--d->n_probes == 0) {
        kp_htab_remove(&rx->dests, &d->node);
        free(d);
    }
    rx->n_probes--;
}

uint64_t kp_rx_probe_steps(const struct kp_rx *rx)
{
    return rx->dests.steps + rx->by_quote.steps + rx->by_slot.steps + rx->by_repeat.steps +
           rx->by_nat.steps + rx->by_answer.steps + rx->by_short.steps + rx->scan_steps +
           rx->by_flow.steps + rx->cell_steps;
}

/* ------------------------------------------------------------------ */
/* open-trace index and expiry list */

uint64_t kp_rx_trace_steps(const struct kp_rx *rx)
{
    return rx->open.steps;
}

static uint64_t open_hash(size_t cls, const struct kp_addr *src, const struct kp_addr *dst,
                          uint64_t key)
{
    uint64_t h = kp_hash_u64(kp_hash_u64(H_OPEN, cls), key);
    return kp_addr_hash(kp_addr_hash(h, src), dst);
}

int rx_open_link(struct kp_rx *rx, struct rx_trace *t)
{
    int rc =
        kp_htab_insert(&rx->open, &t->onode, open_hash(t->cls, &t->rec.src, &t->rec.dst, t->key));
    t->in_open = rc == 0;
    return rc;
}

void rx_open_unlink(struct kp_rx *rx, struct rx_trace *t)
{
    if (!t->in_open)
        return;
    kp_htab_remove(&rx->open, &t->onode);
    t->in_open = false;
}

struct rx_trace *rx_open_find(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                              const struct kp_addr *dst, uint64_t key)
{
    uint64_t h = open_hash(cls, src, dst, key);
    for (struct kp_htab_node *n = kp_htab_first(&rx->open, h); n; n = kp_htab_next(&rx->open, n)) {
        struct rx_trace *t = KP_HTAB_ENTRY(n, struct rx_trace, onode);
        if (t->cls == cls && t->key == key && same_addr(&t->rec.src, src) &&
            same_addr(&t->rec.dst, dst))
            return t;
    }
    return NULL;
}

/* t is on the expiry list (lhead) or, for an exact trace still sending, on
 * the exact list (xhead); in_x says which. */
void rx_l_unlink(struct kp_rx *rx, struct rx_trace *t)
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

void rx_l_append(struct kp_rx *rx, struct rx_trace *t)
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

uint64_t rx_slot_hash(size_t cls, const struct kp_addr *src, uint32_t slot)
{
    return kp_hash_u64(kp_addr_hash(kp_hash_u64(0, cls), src), slot);
}

struct rx_trace *rx_slot_holder(struct kp_rx *rx, size_t cls, const struct kp_addr *src,
                                uint32_t slot)
{
    uint64_t h = rx_slot_hash(cls, src, slot);
    for (struct kp_htab_node *n = kp_htab_first(&rx->slots, h); n;
         n = kp_htab_next(&rx->slots, n)) {
        struct rx_trace *t = KP_HTAB_ENTRY(n, struct rx_trace, snode);
        if (t->cls == cls && t->slot == slot && same_addr(&t->rec.src, src))
            return t;
    }
    return NULL;
}

void rx_slot_release(struct kp_rx *rx, struct rx_trace *t)
{
    if (t->in_slot) {
        kp_htab_remove(&rx->slots, &t->snode);
        t->in_slot = false;
    }
}

void rx_free_trace(struct kp_rx *rx, struct rx_trace *t)
{
    rx_open_unlink(rx, t);
    rx_slot_release(rx, t);
    rx_l_unlink(rx, t);
    rx_cell_drop(rx, t);
    struct rx_probe *p = t->probes;
    while (p) {
        struct rx_probe *next = p->tnext;
        probe_unlink(rx, p);
        rx_probe_release(rx, p);
        p = next;
    }
    free(t->ttl_count);
    rx->n_hops -= t->n_hops;
    kp_trace_free(&t->rec);
    free(t);
    rx->n_open--;
}
