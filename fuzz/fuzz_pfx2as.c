/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_pfx2as.c — prefix2as lines: every line of the input goes through the
 * parser and the route filter (route_filter.h, the defaults); parsed
 * prefixes go into a trie and are looked up again. What the filter lets
 * through must obey its rules: no default route, nothing shorter than the
 * minimum, no special-purpose space, no special-purpose origin AS. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap_int.h"
#include "core/asmap/route_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_asn_rec));
    if (t == NULL)
        return 0;
    const char *s = (const char *)data;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && s[i] != '\n')
            continue;
        struct kp_prefix p;
        struct kp_asn_rec r;
        const char *why;
        if (kp_pfx2as_parse_line(s + start, i - start, &p, &r, &why) == 0) {
            struct kp_asn_rec c = r;
            enum kp_asn_class removed;
            if (kp_route_filter_prefix(NULL, &p) < 0 &&
                kp_route_filter_origins(NULL, &c, &removed) == 0) {
                if (p.len < (p.addr.family == 4 ? KP_MIN_PREFIX_LEN4 : KP_MIN_PREFIX_LEN6) ||
                    kp_prefix_class(&p) != KP_ACLASS_PUBLIC || c.n == 0 || c.n > r.n)
                    abort();
                for (unsigned k = 0; k < c.n; k++)
                    if (kp_asn_class_of(c.asns[k]) != KP_ASCLASS_PUBLIC)
                        abort();
            }
            kp_trie_insert(t, &p, &r);
            /* the exact prefix holds what was just stored; a lookup of its
             * address finds a prefix at least as long */
            const struct kp_asn_rec *got = kp_trie_get(t, &p);
            struct kp_prefix m;
            if (got == NULL || got->n != r.n || kp_trie_lookup(t, &p.addr, &m) == NULL ||
                m.len < p.len)
                abort();
        }
        start = i + 1;
    }
    kp_trie_free(t);
    return 0;
}
