/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_blocklist.c — the line syntax of --blocklist-file / --allowlist-file:
 * every line of the input goes through the parser; parsed prefixes go to the
 * block or allow list (by line parity), and the lists are checked against
 * what was added, then IPv4 targets around them are cut into runs that must
 * cover each target exactly, in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan/blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cover {
    uint64_t next, end;
    const struct kp_blocklist *bl;
};

static int on_run(void *ctx, uint32_t first, uint32_t last, const struct kp_bl_rule *why)
{
    struct cover *c = ctx;
    if (first != c->next || last < first || (uint64_t)last >= c->end)
        abort();
    /* the decision inside a run is the run's */
    struct kp_addr a = kp_addr_v4(first), b = kp_addr_v4(last);
    if (kp_blocklist_check(c->bl, &a) != why || kp_blocklist_check(c->bl, &b) != why)
        abort();
    c->next = (uint64_t)last + 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    if (bl == NULL)
        return 0;
    struct kp_prefix seen[16];
    size_t n_seen = 0;
    const char *s = (const char *)data;
    size_t start = 0;
    unsigned long line = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && s[i] != '\n')
            continue;
        line++;
        struct kp_prefix p;
        const char *comment;
        size_t clen;
        char why[200];
        int rc = kp_bl_parse_line(s + start, i - start, &p, &comment, &clen, why, sizeof(why));
        start = i + 1;
        if (rc < 0 && why[0] == '\0')
            abort(); /* an error always says why */
        if (rc != 1)
            continue;
        if (comment < (const char *)data || comment + clen > (const char *)data + size)
            abort();
        enum kp_bl_list l = line % 2 ? KP_BL_BLOCK : KP_BL_ALLOW;
        if (kp_blocklist_add(bl, l, &p, comment, clen, "fuzz", line) != 0)
            break;
        /* a blocked prefix is blocked at its first address */
        const struct kp_bl_rule *r = kp_blocklist_check(bl, &p.addr);
        if (l == KP_BL_BLOCK && (r == NULL || r->list != KP_BL_BLOCK))
            abort();
        if (p.addr.family == 4 && n_seen < sizeof(seen) / sizeof(seen[0]))
            seen[n_seen++] = p;
    }
    for (size_t i = 0; i < n_seen; i++) {
        /* the prefix itself and the /8 (or shorter) around it */
        for (int k = 0; k < 2; k++) {
            struct kp_prefix t;
            unsigned len = k == 0 ? seen[i].len : (seen[i].len < 8 ? seen[i].len : 8);
            if (kp_prefix_make(&seen[i].addr, len, &t) != 0)
                abort();
            if (t.len < 4)
                continue; /* keep each input quick */
            uint64_t first = kp_addr_v4_host(&t.addr);
            struct cover c = {first, first + (1ull << (32 - t.len)), bl};
            if (kp_blocklist_split(bl, &t, on_run, &c) != 0 || c.next != c.end)
                abort();
        }
    }
    kp_blocklist_free(bl);
    return 0;
}
