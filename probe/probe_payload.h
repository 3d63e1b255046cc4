/* probe_payload.h — the marker every kptrace probe carries, so that a capture
 * shows which packets are kptrace's probes without knowing the run's key.
 *
 * 18 bytes (docs/probe-encoding.md):
 *   0..3   "KPT1"
 *   4      method (enum kp_method)
 *   5      TTL the probe was sent with
 *   6      attempt
 *   7      flags (0)
 *   8..11  trace id, big-endian
 *   12..15 payload tag (keyed, see kp_id_encode), big-endian
 *   16..17 checksum adjustment word (udp, udp-paris, icmp-paris), 0 for tcp
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

#include "probe/decode.h"

#define KP_MARKER_MAGIC      "KPT1"
#define KP_MARKER_LEN        18
#define KP_MARKER_ADJ_OFF    16 /* offset of the adjustment word */
#define KP_TCPOPT_MARKER     254
#define KP_TCPOPT_MARKER_LEN 20

struct kp_marker {
    uint8_t method; /* enum kp_method */
    uint8_t ttl, attempt, flags;
    uint32_t trace_id;
    uint32_t tag;
    uint16_t adjust;
};

/* Write m as the 18 marker bytes into out (caller-owned, >= KP_MARKER_LEN). */
void kp_marker_write(uint8_t *out, const struct kp_marker *m);

/* Parse a marker at the start of buf[0..len). 0, -ENOENT (no magic) or
 * -EMSGSIZE (magic present but fewer than KP_MARKER_LEN bytes). */
int kp_marker_parse(const uint8_t *buf, size_t len, struct kp_marker *out);

/* Find the marker of a decoded kptrace probe (or of an echo reply to one):
 * in the UDP/ICMP payload, or in the TCP options. Same returns as
 * kp_marker_parse. */
int kp_marker_find(const struct kp_pkt *pkt, struct kp_marker *out);

#endif
