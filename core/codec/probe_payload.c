/* SPDX-License-Identifier: BSD-2-Clause */
/* probe_payload.c — the 18-byte marker of kptrace probes (see probe_payload.h
 * and docs/probe-encoding.md). Bounds-checked, pure. */
#include "core/codec/probe_payload.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/base/proto.h"

void kp_marker_write(uint8_t *out, const struct kp_marker *m)
{
    memcpy(out, KP_MARKER_MAGIC, 4);
    out[4] = m->method;
    out[5] = (uint8_t)((m->ttl & 0x3fu) | (unsigned)(m->attempt & 3u) << 6);
    out[6] = (uint8_t)(m->slot >> 8);
    out[7] = (uint8_t)m->slot;
    out[8] = (uint8_t)(m->trace_id >> 24);
    out[9] = (uint8_t)(m->trace_id >> 16);
    out[10] = (uint8_t)(m->trace_id >> 8);
    out[11] = (uint8_t)m->trace_id;
    out[12] = (uint8_t)(m->tag >> 24);
    out[13] = (uint8_t)(m->tag >> 16);
    out[14] = (uint8_t)(m->tag >> 8);
    out[15] = (uint8_t)m->tag;
    out[16] = (uint8_t)(m->adjust >> 8);
    out[17] = (uint8_t)m->adjust;
}

int kp_marker_parse(const uint8_t *buf, size_t len, struct kp_marker *out)
{
    if (buf == NULL || len < 4)
        return -ENOENT;
    bool v2 = memcmp(buf, KP_MARKER_MAGIC, 4) == 0;
    if (!v2 && memcmp(buf, KP_MARKER_MAGIC_V1, 4) != 0)
        return -ENOENT;
    if (len < KP_MARKER_LEN)
        return -EMSGSIZE;
    out->method = buf[4];
    if (v2) {
        out->version = 2;
        out->ttl = buf[5] & 0x3fu;
        out->attempt = buf[5] >> 6;
        out->flags = 0;
        out->slot = (uint16_t)(buf[6] << 8 | buf[7]);
    } else {
        out->version = 1;
        out->ttl = buf[5];
        out->attempt = buf[6];
        out->flags = buf[7];
        out->slot = 0;
    }
    out->trace_id =
        (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
    out->tag = (uint32_t)buf[12] << 24 | (uint32_t)buf[13] << 16 | (uint32_t)buf[14] << 8 | buf[15];
    out->adjust = (uint16_t)((uint16_t)buf[16] << 8 | buf[17]);
    return 0;
}

/* Walk TCP options looking for kind 254 carrying a marker. */
static int find_tcp_option(const uint8_t *o, size_t n, struct kp_marker *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = o[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            break;
        uint8_t olen = o[i + 1];
        if (olen < 2)
            break;
        if (kind == KP_TCPOPT_MARKER) {
            size_t avail = n - i < olen ? n - i : olen;
            int r = kp_marker_parse(o + i + 2, avail - 2, out);
            if (r != -ENOENT)
                return r;
        }
        i += olen;
    }
    return -ENOENT;
}

int kp_marker_find(const struct kp_pkt *pkt, struct kp_marker *out)
{
    const struct kp_l4 *l4 = &pkt->l4;
    switch (l4->proto) {
    case KP_PROTO_UDP:
    case KP_PROTO_ICMP:
        return kp_marker_parse(l4->payload, l4->payload_len, out);
    case KP_PROTO_TCP:
        if (l4->tcp_opts == NULL)
            return -ENOENT;
        return find_tcp_option(l4->tcp_opts, l4->tcp_opts_len, out);
    default:
        return -ENOENT;
    }
}
