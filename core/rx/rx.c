/* SPDX-License-Identifier: BSD-2-Clause */
/* rx.c — the single receive path: probes and replies in, kp_trace out.
 * See rx.h for the rules, rx_int.h for how core/rx is laid out. This file
 * holds creation and destruction, closing a trace (stop reason from the
 * data, record, callback), expiry and the clock, and kp_rx_packet, which
 * sends each packet to rx_handle_probe (rx_probe.c) or to the matching of
 * replies (rx_match.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rx/rx_int.h"

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
        rx->cfg.linger_ns = 0; /* 0: per probe, see rx_probe_linger() */
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
    kp_htab_init(&rx->by_flow);
    kp_htab_init(&rx->open);
    kp_htab_init(&rx->slots);
    rx->next_id = 1;
    *out = rx;
    return 0;
}

void kp_rx_destroy(struct kp_rx *rx)
{
    if (rx == NULL)
        return;
    while (rx->lhead)
        rx_free_trace(rx, rx->lhead);
    while (rx->xhead)
        rx_free_trace(rx, rx->xhead);
    kp_htab_free(&rx->slots);
    kp_htab_free(&rx->open);
    kp_htab_free(&rx->dests);
    kp_htab_free(&rx->by_quote);
    kp_htab_free(&rx->by_nat);
    kp_htab_free(&rx->by_answer);
    kp_htab_free(&rx->by_short);
    kp_htab_free(&rx->by_slot);
    kp_htab_free(&rx->by_repeat);
    kp_htab_free(&rx->by_flow);
    for (size_t i = 0; i < rx->n_probe_chunks; i++)
        free(rx->probe_chunks[i]);
    free(rx->probe_chunks);
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

void rx_close_trace(struct kp_rx *rx, struct rx_trace *t)
{
    struct kp_trace *r = &t->rec;
    decide_stop(t, &r->stop_reason, &r->stop_ttl);
    r->probes_sent = (uint32_t)t->n_probes;
    memcpy(r->probed, t->probed, sizeof(r->probed));
    r->probed_known = true;
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
    rx_free_trace(rx, t);
}

/* No later probe joins t. An exact trace gives up its slot and moves to the
 * expiry list: it closes once its last probe's linger has passed (a trace
 * appended out of order only closes later than it could, never earlier:
 * replies are accepted by their own probe's linger, not by closing). */
void rx_seal(struct kp_rx *rx, struct rx_trace *t)
{
    t->sealed = true;
    rx_open_unlink(rx, t);
    rx_slot_release(rx, t);
    if (t->in_x) {
        rx_l_unlink(rx, t);
        t->in_x = false;
        rx_l_append(rx, t);
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
            rx_close_trace(rx, t);
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
        rx_close_trace(rx, rx->lhead ? rx->lhead : rx->xhead);
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
        rx_close_trace(rx, rx->lhead);
    while (rx->xhead)
        rx_close_trace(rx, rx->xhead);
    return 0;
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
        rx_match_quote(rx, ts_ns, pkt);
    } else if (is_icmp_proto(proto) && pkt->l4.len >= 8 &&
               pkt->l4.icmp_type == (pkt->ip.version == 6 ? 129 : 0)) {
        rx->st.replies_in++;
        rx_match_echo(rx, ts_ns, pkt);
    } else if (proto == KP_PROTO_TCP && pkt->l4.tcp_full &&
               ((pkt->l4.tcp_flags & TCP_RST) ||
                (pkt->l4.tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))) {
        rx->st.replies_in++;
        rx_match_tcp(rx, ts_ns, pkt);
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
                    rc = rx_handle_probe(rx, i, ts_ns, pkt, &out);
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
