/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_decode.c — fuzz the frame decoder and every method's matcher.
 *
 * Input: one selector byte choosing the link type (index into LINKS below,
 * modulo its size), then the captured frame. The decoded packet is also fed
 * to every method's match (with a fixed key and our address 198.18.0.2) and
 * to the marker finder, so the whole receive-side codec sees fuzzed input.
 * Seeds: fuzz/corpus/decode/ (real frames of every link type, ICMP errors
 * with and without RFC 4884/4950 extensions, kptrace probes and replies).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec/decode.h"
#include "core/methods/method.h"
#include "core/codec/probe_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int LINKS[] = {KP_DLT_NULL,      KP_DLT_EN10MB,    KP_DLT_RAW,      KP_DLT_RAW_ALT,
                            KP_DLT_LOOP,      KP_DLT_LINUX_SLL, KP_LINKTYPE_RAW, KP_LINKTYPE_IPV4,
                            KP_LINKTYPE_IPV6, KP_DLT_LINUX_SLL2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dlt = LINKS[data[0] % (sizeof(LINKS) / sizeof(LINKS[0]))];
    /* exact-size copy so that sanitizers see any overread */
    size_t n = size - 1;
    uint8_t *frame = malloc(n ? n : 1);
    if (frame == NULL)
        return 0;
    memcpy(frame, data + 1, n);
    struct kp_pkt pkt;
    int st = kp_decode_frame(dlt, frame, n, &pkt);
    if (st == KP_DEC_OK) {
        static const struct kp_key key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
        struct kp_addr me = {.family = 4, .b = {198, 18, 0, 2}};
        struct kp_match m;
        for (size_t i = 0; kp_methods[i] != NULL; i++) {
            (void)kp_methods[i]->match(&pkt, &me, &key, &m);
            (void)kp_methods[i]->match(&pkt, NULL, &key, &m);
        }
        struct kp_marker mk;
        (void)kp_marker_find(&pkt, &mk);
    }
    (void)kp_decode_strerror(st);
    free(frame);
    return 0;
}
