/* SPDX-License-Identifier: BSD-2-Clause */
/* input_atlas_scan.h — RIPE Atlas traceroute results: the one-pass scanner
 * (input_atlas_scan.c) and what it shares with the jansson reader
 * (input_atlas.c): the rules that turn a packet into a hop and the walk
 * over a result's hops into the trace's TTL range and stop reason. One
 * implementation of each rule, used by both readers.
 *
 * Pure: no I/O, no globals. Internal to annotator/inputs/input_atlas*.c and
 * their tests.
 */
#ifndef KP_INPUT_ATLAS_SCAN_H
#define KP_INPUT_ATLAS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record/trace.h"

/* Read one Atlas traceroute result text[0..len) (a JSON object) into *t in
 * one pass, without JSON values. It takes the common form of a result —
 * current key names, a destination, proto ICMP/UDP/TCP, hops with
 * packets {from, rtt, ttl, size, err, late, dup, ittl, mtu, flags,
 * icmpext} or {"x":"*"} or {"error":...} — and declines everything else
 * (escapes, bytes >= 0x80, exponents, firmware 4400 key names, a repeated
 * key it reads, hops that failed, every result the jansson reader would
 * report, skip or read differently); the caller then reads the text with
 * jansson. What it accepts it reads exactly as the jansson reader
 * (kp_atlas_read_dom) does: tests/unit/test_input_atlas_scan.c and
 * fuzz/fuzz_atlas.c check it. *t is initialised here. 0 (*t filled),
 * -EAGAIN (declined) or -ENOMEM; on failure *t holds no allocation. */
int kp_atlas_scan(const char *text, size_t len, struct kp_trace *t);

struct kp_input_sink;
struct kp_input_skips;

/* kp_atlas_read (input.h) with jansson only, the scanner left out: what
 * every record read by the scanner must equal. */
int kp_atlas_read_dom(const char *buf, size_t len, const struct kp_input_sink *sink,
                      struct kp_input_skips *skips);

/* Atlas proto and paris_id -> method (KP_METHOD_UNKNOWN: not ICMP, UDP or
 * TCP). */
enum kp_method kp_atlas_method(const char *proto, size_t n, int64_t paris_id);

/* The ICMP codes of Atlas "err" letter s[0..n) (N, H, A, P, p, h) for IPv4
 * and IPv6 destination unreachable: 0, or -EINVAL (not a letter). */
int kp_atlas_err_letter(const char *s, size_t n, int *c4, int *c6);

/* What a packet said besides its address and numbers. */
struct kp_atlas_pkt {
    bool has_err;      /* "err" present, its codes in err4/err6 */
    int err4, err6;    /* ICMP unreachable codes for af 4 / 6 */
    int64_t ittl;      /* TTL of the quoted probe (Atlas omits it when 1) */
    int64_t mtu;       /* a packet-too-big's next-hop MTU, 0 none */
    const char *flags; /* TCP flags ("SA"), or NULL */
    size_t n_flags;
};

/* Fill h's ICMP type and code, TCP flags, from-destination flag and quoted
 * TTL from what the packet said, the trace's method and destination and the
 * address family af. */
void kp_atlas_pkt_finish(struct kp_hop *h, int af, const struct kp_trace *t,
                         const struct kp_atlas_pkt *p);

/* What the walk over a result's hops has seen so far. */
struct kp_atlas_walk {
    int af;
    uint16_t probe_size;
    int max_hop, min_hop, seq_max, last_answered, late_dst_hop;
    int64_t last_err_code;
    bool last_from_dst, late_from_dst, any_error;
    size_t answered;
    uint8_t max_attempts;
};

/* A fresh walk for address family af and probe size. */
void kp_atlas_walk_init(struct kp_atlas_walk *w, int af, uint16_t probe_size);

/* Hop number n (1..255) was met. */
void kp_atlas_walk_hop(struct kp_atlas_walk *w, int n);

/* Packet h (of hop n, made by kp_atlas_pkt_finish; has_err: it had "err")
 * answered: add it to t and count it. *attempt is the hop's attempt count
 * so far (advanced unless h is a dup or a late reply). 0 or -ENOMEM. */
int kp_atlas_walk_packet(struct kp_atlas_walk *w, struct kp_trace *t, struct kp_hop *h, int n,
                         bool has_err, uint8_t *attempt);

/* A hop's packets are done: attempt of them were made. */
void kp_atlas_walk_attempts(struct kp_atlas_walk *w, uint8_t attempt);

/* The TTL range, attempts and why the trace stopped, from the walk. */
void kp_atlas_walk_stop(struct kp_trace *t, struct kp_atlas_walk *w);

#endif
