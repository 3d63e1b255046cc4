/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_peeringdb.c — PeeringDB ixpfx JSON into an IXP trie, with entries
 * that carry bad ids noted and skipped; an input with such entries is read
 * again without notes, which must fail. */
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a skipped entry: its note is read to its end */
static void note(void *ctx, const char *path, unsigned long line, const char *why)
{
    unsigned long *sum = ctx;
    while (*why)
        *sum += (unsigned char)*why++;
    *sum += line + (path[0] != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    if (t == NULL)
        return 0;
    char err[200];
    unsigned long sum = 0;
    struct kp_load_notes notes = {note, &sum, 0};
    int n = kp_peeringdb_parse((const char *)data, size, "fuzz", t, &notes, err, sizeof(err));
    if (n >= 0 && (size_t)n < kp_trie_count(t))
        abort(); /* more prefixes stored than added */
    kp_trie_free(t);
    if (n >= 0 && notes.skipped > 0) {
        /* without notes, the first skipped entry fails the parse */
        t = kp_trie_new(sizeof(struct kp_ixp_rec));
        if (t == NULL)
            return 0;
        if (kp_peeringdb_parse((const char *)data, size, "fuzz", t, NULL, err, sizeof(err)) !=
                -EINVAL ||
            memchr(err, '\0', sizeof(err)) == NULL)
            abort();
        kp_trie_free(t);
    }
    return 0;
}
