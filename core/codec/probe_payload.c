/* SPDX-License-Identifier: BSD-2-Clause */
/* probe_payload.c — the 18-byte marker of kptrace probes (see probe_payload.h
 * and docs/probe-encoding.md). Pure; reads through the bounds-checked cursor
 * (core/base/cursor.h). */
#include "core/codec/probe_payload.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/base/cursor.h"
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
    struct kp_cur c, f;
    const uint8_t *magic;
    uint8_t b5, b6, b7;
    kp_cur_init(&c, buf, len);
    if (kp_cur_bytes(&c, 4, &magic) != 0)
        return -ENOENT;
    bool v2 = memcmp(magic, KP_MARKER_MAGIC, 4) == 0;
    if (!v2 && memcmp(magic, KP_MARKER_MAGIC_V1, 4) != 0)
        return -ENOENT;
    if (kp_cur_sub(&c, KP_MARKER_LEN - 4, &f) != 0)
        return -EMSGSIZE;
    /* f holds the 14 bytes after the magic: these reads cannot fail */
    if (kp_cur_u8(&f, &out->method) != 0 || kp_cur_u8(&f, &b5) != 0 || kp_cur_u8(&f, &b6) != 0 ||
        kp_cur_u8(&f, &b7) != 0 || kp_cur_u32be(&f, &out->trace_id) != 0 ||
        kp_cur_u32be(&f, &out->tag) != 0 || kp_cur_u16be(&f, &out->adjust) != 0)
        return -EMSGSIZE;
    if (v2) {
        out->version = 2;
        out->ttl = b5 & 0x3fu;
        out->attempt = b5 >> 6;
        out->flags = 0;
        out->slot = (uint16_t)(b6 << 8 | b7);
    } else {
        out->version = 1;
        out->ttl = b5;
        out->attempt = b6;
        out->flags = b7;
        out->slot = 0;
    }
    return 0;
}

/* Walk TCP options (all that remains of o) looking for kind 254 carrying a
 * marker. */
static int find_tcp_option(struct kp_cur o, struct kp_marker *out)
{
    uint8_t kind, olen;
    while (kp_cur_u8(&o, &kind) == 0) {
        if (kind == 0)
            break;
        if (kind == 1)
            continue;
        if (kp_cur_u8(&o, &olen) != 0 || olen < 2)
            break;
        /* the option's body, as far as it was captured */
        struct kp_cur body;
        kp_cur_sub_upto(&o, (size_t)olen - 2, &body);
        if (kind == KP_TCPOPT_MARKER) {
            const uint8_t *b;
            size_t n = kp_cur_rest(&body, &b);
            int r = kp_marker_parse(b, n, out);
            if (r != -ENOENT)
                return r;
        }
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
    case KP_PROTO_TCP: {
        struct kp_cur o;
        if (l4->tcp_opts == NULL)
            return -ENOENT;
        kp_cur_init(&o, l4->tcp_opts, l4->tcp_opts_len);
        return find_tcp_option(o, out);
    }
    default:
        return -ENOENT;
    }
}
