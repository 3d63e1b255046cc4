/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_netlink.c — the rtnetlink replies --send-via link reads
 * (prober/sys/net_link.h): the input goes to the route and the neighbour
 * parsers; what they accept is checked for the bounds they promise, and the
 * input's bytes, read as prefixes, go through the block length. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prober/sys/net_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_nl_route r;
    int rc = kp_nl_route_parse(data, size, &r);
    if (rc > 0 || (rc == 0 && r.dst_len > 32) || (rc == 0 && r.oif < 0))
        abort();
    struct kp_nl_neigh n;
    rc = kp_nl_neigh_parse(data, size, &n);
    if (rc > 0 || (rc == 0 && n.halen > KP_LINK_ADDR_MAX))
        abort();
    /* bounds from the bytes: 5 each (address, length) */
    struct kp_link_bound b[64];
    size_t nb = 0;
    for (size_t i = 0; i + 5 <= size && nb < 64; i += 5, nb++) {
        memcpy(&b[nb].net, data + i, 4);
        b[nb].len = (uint8_t)(data[i + 4] % 34);
    }
    if (size >= 5) {
        uint32_t dst;
        memcpy(&dst, data, 4);
        unsigned len = data[4] % 33;
        unsigned got = kp_link_block_len(b, nb, dst, len);
        if (got < len || got > 32)
            abort();
        /* the block holds no bound more specific than the route, but one
         * that contains dst itself (then it is dst alone) */
        uint32_t m = got == 0 ? 0 : 0xffffffffu << (32 - got);
        for (size_t i = 0; i < nb && got < 32; i++) {
            if (b[i].len <= len || b[i].len > 32)
                continue;
            uint32_t bm = 0xffffffffu << (32 - b[i].len);
            if ((b[i].net & bm) == (dst & bm))
                abort(); /* dst inside it: the block is dst alone */
            if (b[i].len > got && (b[i].net & m) == (dst & m))
                abort(); /* inside the block */
        }
    }
    return 0;
}
