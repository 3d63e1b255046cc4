/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_frame.c — captured frame -> kp_decode_frame -> kp_rx_packet.
 * Kept apart from rx.c so that rx's matching and records can be built and
 * tested on hand-made kp_pkt values without the decoder. See rx.h. */
#include "core/codec/decode.h"
#include "core/rx/rx.h"

int kp_rx_frame(struct kp_rx *rx, int dlt, int64_t ts_ns, const uint8_t *frame, size_t caplen)
{
    struct kp_pkt pkt;
    int st = kp_decode_frame(dlt, frame, caplen, &pkt);
    if (st != KP_DEC_OK) {
        kp_rx_count_decode(rx, st);
        return 0;
    }
    return kp_rx_packet(rx, ts_ns, &pkt);
}
