/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_cell.c — kptrace's own probes in per-trace cells (see rx_int.h).
 *
 * A probe of a trace the prober planned (kp_rx_probe.exact) is named by its
 * trace and its (TTL, attempt), and its identity (core/codec/identity.h)
 * puts these in the header fields a quote holds: the flow value (UDP/TCP
 * source port, ICMP id) is constant for the trace, and the IP ID (UDP over
 * IPv4), the UDP checksum (UDP over IPv6), the ICMP sequence or the TCP
 * sequence number carry the TTL and the attempt. Such a probe is not put in
 * the global probe indexes (by_quote, by_slot) but in its trace's array of
 * cells, one per (TTL, attempt); its trace is in by_flow once, by
 * (destination, protocol, flow value). A probe goes into a cell only when
 *   - its strict mask holds the fields the decoding reads (so a quote that
 *     matches it strictly has the same flow, TTL and attempt: it is found
 *     in that cell of a trace in that by_flow chain),
 *   - the TTL and attempt its fields decode to are the ones it was stored
 *     with (the marker's), and its flow is its trace's,
 *   - that cell is empty;
 * any other probe takes the general path (rx_store.c), and lookups ask both.
 * A cell probe is still on its destination's list (d->probes), so the
 * indexes built per destination when a reply first needs them (NAT, short
 * quotes, echo and TCP answers) and the walks hold it as before: the records
 * are those the general path gives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/identity.h"
#include "core/rx/rx_int.h"

/* The KP_RX_F_* fields rx_cell_decode reads for this family and protocol
 * (0: none can be decoded). */
static uint32_t cell_fields(uint8_t family, uint8_t proto)
{
    switch (proto) {
    case KP_PROTO_UDP:
        return KP_RX_F_SPORT | (family == 4 ? KP_RX_F_IPID : KP_RX_F_UDPSUM);
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
        return KP_RX_F_ICMPID | KP_RX_F_ICMPSEQ;
    case KP_PROTO_TCP:
        return KP_RX_F_SPORT | KP_RX_F_TCPSEQ;
    default:
        return 0;
    }
}

/* The flow value, TTL and attempt that the fields f (a probe's, or a
 * quote's) of this family carry in kptrace's identity encoding. false when
 * the protocol has none or the TTL is 0. */
bool rx_cell_decode(uint8_t family, const struct rx_fields *f, struct rx_cell_id *id)
{
    uint16_t word;
    switch (f->proto) {
    case KP_PROTO_UDP:
        id->flow = f->sport;
        word = family == 4 ? f->ip_id : f->udp_sum;
        break;
    case KP_PROTO_ICMP:
    case KP_PROTO_ICMPV6:
        id->flow = f->icmp_id;
        word = f->icmp_seq;
        break;
    case KP_PROTO_TCP:
        id->flow = f->sport;
        id->ttl = (uint8_t)(f->tcp_seq >> 26);
        id->attempt = (uint8_t)((f->tcp_seq >> 24) & 3u);
        return id->ttl != 0;
    default:
        return false;
    }
    id->ttl = kp_id_word_ttl(word);
    id->attempt = kp_id_word_attempt(word);
    return id->ttl != 0;
}

/* The probe in trace t's cell (ttl, attempt), or NULL. */
struct rx_probe *rx_cell_get(struct kp_rx *rx, const struct rx_trace *t, uint8_t ttl,
                             uint16_t attempt)
{
    if (t->cells == NULL || ttl >= t->n_cell_ttl || attempt >= RX_CELL_ATTEMPTS)
        return NULL;
    rx->cell_steps++;
    return t->cells[(size_t)ttl * RX_CELL_ATTEMPTS + attempt];
}

/* Whether probe p (trace, fields, TTL, attempt and qmask set) of an exact
 * trace goes into a cell of its trace, stored under destination d. */
bool rx_cell_fits(const struct rx_trace *t, const struct rx_probe *p, const struct rx_dest *d)
{
    uint8_t family = t->rec.dst.family;
    uint32_t need = cell_fields(family, p->f.proto);
    struct rx_cell_id id;
    if (!t->exact || t->cycles || p->retrans || need == 0 || (p->qmask & need) != need ||
        !rx_cell_decode(family, &p->f, &id) || id.ttl != p->ttl || id.attempt != p->attempt)
        return false;
    if (t->n_cell > 0 && (t->flow != id.flow || t->cdest != d))
        return false;
    if (t->cells != NULL && p->ttl < t->n_cell_ttl &&
        t->cells[(size_t)p->ttl * RX_CELL_ATTEMPTS + p->attempt] != NULL)
        return false;
    return true;
}

static uint64_t flow_hash(const struct kp_addr *dst, uint8_t proto, uint16_t flow)
{
    return kp_hash_u64(kp_addr_hash(H_FLOW, dst), (uint32_t)proto << 16 | flow);
}

/* Put p (rx_cell_fits) into its cell under destination d. 0 or -ENOMEM with
 * nothing changed. */
int rx_cell_put(struct kp_rx *rx, struct rx_probe *p, struct rx_dest *d)
{
    struct rx_trace *t = p->trace;
    if (p->ttl >= t->n_cell_ttl) {
        unsigned rows = p->ttl + 1u;
        if (t->p_max >= rows && t->p_max < 64)
            rows = t->p_max + 1u;
        struct rx_probe **c = realloc(t->cells, rows * RX_CELL_ATTEMPTS * sizeof(*c));
        if (c == NULL)
            return -ENOMEM;
        memset(c + (size_t)t->n_cell_ttl * RX_CELL_ATTEMPTS, 0,
               (rows - t->n_cell_ttl) * RX_CELL_ATTEMPTS * sizeof(*c));
        t->cells = c;
        t->n_cell_ttl = (uint16_t)rows;
    }
    if (!t->in_flow) { /* its first cell probe (n_cell is 0) */
        struct rx_cell_id id;
        rx_cell_decode(t->rec.dst.family, &p->f, &id);
        if (kp_htab_insert(&rx->by_flow, &t->fnode, flow_hash(&d->dst, d->proto, id.flow)) < 0)
            return -ENOMEM;
        t->in_flow = true;
        t->flow = id.flow;
        t->cdest = d;
    }
    t->cells[(size_t)p->ttl * RX_CELL_ATTEMPTS + p->attempt] = p;
    t->n_cell++;
    d->n_cell++;
    p->cell = true;
    return 0;
}

/* Undo rx_cell_put of p under d (-ENOMEM later in rx_probe_link). */
void rx_cell_take(struct kp_rx *rx, struct rx_probe *p, struct rx_dest *d)
{
    struct rx_trace *t = p->trace;
    t->cells[(size_t)p->ttl * RX_CELL_ATTEMPTS + p->attempt] = NULL;
    t->n_cell--;
    d->n_cell--;
    p->cell = false;
    if (t->n_cell == 0 && t->in_flow) {
        kp_htab_remove(&rx->by_flow, &t->fnode);
        t->in_flow = false;
        t->cdest = NULL;
    }
}

/* Trace t is freed: out of by_flow, its cells freed (its probes are
 * unlinked by the caller). */
void rx_cell_drop(struct kp_rx *rx, struct rx_trace *t)
{
    if (t->in_flow)
        kp_htab_remove(&rx->by_flow, &t->fnode);
    t->in_flow = false;
    free(t->cells);
    t->cells = NULL;
    t->n_cell_ttl = 0;
}

/* The first entry of the by_flow chain of (destination d, flow value): the
 * caller walks it with kp_htab_next and keeps the traces whose cdest is d
 * and flow is flow. */
struct kp_htab_node *rx_cell_flow_first(struct kp_rx *rx, const struct rx_dest *d, uint16_t flow)
{
    return kp_htab_first(&rx->by_flow, flow_hash(&d->dst, d->proto, flow));
}
