/* fuzz_decompress.c — whole-buffer decompression: what the first bytes
 * announce is decompressed with at most 1 MiB of output; the result must keep
 * the API's promises (NUL after the output, NULL on error, offsets inside the
 * input). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis/decompress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum kp_compression c = kp_compression_sniff(data, size);
    if (c == KP_COMP_NONE)
        return 0;
    const size_t max_out = (size_t)1 << 20;
    uint8_t *out = NULL;
    size_t len = 0, off = 0;
    int rc = kp_decompress(c, data, size, max_out, &out, &len, &off);
    if (rc == 0) {
        if (out == NULL || len > max_out || out[len] != 0)
            abort();
        free(out);
    } else {
        if (out != NULL || len != 0)
            abort();
        if (rc == -EINVAL && off > size)
            abort();
        if (rc != -EINVAL && rc != -EFBIG && rc != -ENOMEM)
            abort();
    }
    return 0;
}
