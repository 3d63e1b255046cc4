/* fuzz_peeringdb.c — PeeringDB ixpfx JSON into an IXP trie. */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/asmap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kp_trie *t = kp_trie_new(sizeof(struct kp_ixp_rec));
    if (t == NULL)
        return 0;
    char err[200];
    int n = kp_peeringdb_parse((const char *)data, size, t, err, sizeof(err));
    if (n >= 0 && (size_t)n < kp_trie_count(t))
        abort(); /* more prefixes stored than added */
    kp_trie_free(t);
    return 0;
}
