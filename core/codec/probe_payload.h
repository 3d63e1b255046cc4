/* SPDX-License-Identifier: BSD-2-Clause */
/* probe_payload.h — the marker every kptrace probe carries, so that a capture
 * shows which packets are kptrace's probes without knowing the run's key.
 *
 * 18 bytes (docs/probe-encoding.md), version 2 (what kptrace sends):
 *   0..3   "KPT2"
 *   4      method (enum kp_method)
 *   5      TTL the probe was sent with (bits 0-5) | attempt << 6
 *   6..7   slot, big-endian: the prober's slot of the trace; no other trace
 *          of the run holds it while this one sends (rx closes a trace when
 *          its slot is taken by the next one)
 *   8..11  trace id, big-endian (unique in the run: 32 bits)
 *   12..15 payload tag (keyed, see kp_id_encode), big-endian
 *   16..17 checksum adjustment word (udp, udp-paris, icmp-paris), 0 for tcp
 * Version 1 ("KPT1", older captures) has 5 TTL, 6 attempt, 7 flags (0) and
 * no slot; its trace ids are 15 bits and repeat within a run.
 * UDP and ICMP probes carry it at the start of their payload (zero padding
 * follows up to the probe size); tcp-syn carries it in a TCP option of kind
 * 254 (RFC 6994 experimental), length 20: kind, length, then the 18 bytes.
 * Routers do not quote it (it lies beyond the first 8 transport bytes), but
 * echo replies echo it and every sent probe has it in the capture.
 * Pure: no allocation, no globals.
 */
#ifndef KP_PROBE_PAYLOAD_H
#define KP_PROBE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/codec/decode.h"

#define KP_MARKER_MAGIC      "KPT2" /* version 2, written */
#define KP_MARKER_MAGIC_V1   "KPT1" /* version 1, read only */
#define KP_MARKER_LEN        18
#define KP_MARKER_ADJ_OFF    16 /* offset of the adjustment word */
#define KP_TCPOPT_MARKER     254
#define KP_TCPOPT_MARKER_LEN 20

struct kp_marker {
    uint8_t version; /* 2 (written by kp_marker_write), or 1 when parsed from a KPT1 marker */
    uint8_t method;  /* enum kp_method */
    uint8_t ttl, attempt;
    uint8_t flags; /* version 1 only */
    uint16_t slot; /* version 2 only */
    uint32_t trace_id;
    uint32_t tag;
    uint16_t adjust;
};

/* Write m as the 18 bytes of a version 2 marker into out (caller-owned, >=
 * KP_MARKER_LEN); m->ttl must be <= 63 and m->attempt <= 3 (the identity's
 * bit budget). m->version and m->flags are ignored. */
void kp_marker_write(uint8_t *out, const struct kp_marker *m);

/* Parse a marker (version 1 or 2) at the start of buf[0..len). 0, -ENOENT
 * (no magic) or -EMSGSIZE (magic present but fewer than KP_MARKER_LEN
 * bytes). */
int kp_marker_parse(const uint8_t *buf, size_t len, struct kp_marker *out);

/* Find the marker of a decoded kptrace probe (or of an echo reply to one):
 * in the UDP/ICMP payload, or in the TCP options. Same returns as
 * kp_marker_parse. */
int kp_marker_find(const struct kp_pkt *pkt, struct kp_marker *out);

#endif
