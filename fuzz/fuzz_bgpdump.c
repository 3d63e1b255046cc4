/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_bgpdump.c — bgpdump -m lines: each line is parsed; parsed lines feed
 * a RIB (target 131279 and 2, the default route filter), whose history and
 * upstreams are then queried for each parsed prefix. The cleaned path must
 * hold no removed AS and no repeat of one AS (route_filter.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap_int.h"
#include "core/asmap/route_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t targets[2] = {131279, 2};
    struct kp_rib *r = kp_rib_new(targets, 2);
    struct kp_bgpdump_line *l = malloc(sizeof(*l));
    if (r == NULL || l == NULL) {
        kp_rib_free(r);
        free(l);
        return 0;
    }
    const char *s = (const char *)data;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && s[i] != '\n')
            continue;
        const char *why;
        if (kp_bgpdump_parse_line(s + start, i - start, l, &why) == 0) {
            struct kp_asn_rec rec;
            kp_bgpdump_origin(l, &rec);
            struct kp_bgpdump_line *c = malloc(sizeof(*c));
            if (c == NULL)
                break;
            *c = *l;
            enum kp_asn_class tail;
            kp_bgpdump_clean_path(c, kp_rib_filter(r), &tail);
            for (size_t k = 0; k < c->path_len; k++) {
                if (kp_route_filter_removes_asn(kp_rib_filter(r), c->path[k]) ||
                    (k > 0 && c->path_set[k] == 0 && c->path_set[k - 1] == 0 &&
                     c->path[k] == c->path[k - 1]))
                    abort();
            }
            if (c->path_len > l->path_len)
                abort();
            free(c);
            if (kp_rib_add(r, l) != 0)
                break;
            const struct kp_rib_route *h;
            size_t n;
            kp_rib_history(r, &l->prefix, &h, &n);
            for (size_t k = 0; k < n; k++)
                if (h[k].prefix.addr.family != 4 && h[k].prefix.addr.family != 6)
                    abort();
            uint32_t ups[4];
            kp_rib_upstreams(r, &l->prefix, l->time, ups, 4, NULL);
            kp_rib_origin(r, &l->prefix.addr, NULL);
        }
        start = i + 1;
    }
    free(l);
    kp_rib_free(r);
    return 0;
}
