/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_cymru_txt.c — Team Cymru TXT strings: the input goes to both the
 * origin and the AS-name validators; accepted answers must be well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/asn_cymru.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *why;
    struct kp_cymru_origin o;
    if (kp_cymru_parse_origin(s, size, &o, &why) == 0) {
        if (o.n_asns == 0 || o.n_asns > KP_ASN_MAX)
            abort();
        if (o.prefix.addr.family != 4 && o.prefix.addr.family != 6)
            abort();
        kp_cymru_origin_matches(&o, &o.prefix.addr);
    } else if (why == NULL) {
        abort();
    }
    struct kp_cymru_asname n;
    if (kp_cymru_parse_asname(s, size, &n, &why) == 0) {
        if (strlen(n.name) == 0 || strlen(n.name) >= sizeof(n.name))
            abort();
    }
    return 0;
}
