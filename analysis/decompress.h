/* decompress.h — whole-buffer decompression of gzip and bzip2 input files.
 *
 * Pure: no I/O, no globals. kpannotate reads a file into memory, asks
 * kp_compression_sniff() what its first bytes announce and, when they announce
 * a compression, replaces the buffer by kp_decompress()'s output. RIPE Atlas
 * daily dumps come as .bz2, scamper JSON and prefix tables often as .gz.
 */
#ifndef KP_ANALYSIS_DECOMPRESS_H
#define KP_ANALYSIS_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum kp_compression { KP_COMP_NONE, KP_COMP_GZIP, KP_COMP_BZIP2 };

/* What compression the first bytes of buf[0..n) announce: gzip (1f 8b,
 * RFC 1952) or bzip2 ("BZh" then a block size digit '1'..'9'). Buffers too
 * short to hold the magic, and anything else, are KP_COMP_NONE. */
enum kp_compression kp_compression_sniff(const uint8_t *buf, size_t n);

/* "gzip", "bzip2" or "none" (also for values outside the enum). Static. */
const char *kp_compression_name(enum kp_compression c);

/* Decompress all of in[0..n), compressed as c (KP_COMP_GZIP or KP_COMP_BZIP2),
 * into a new malloc'd buffer *out of *out_len bytes, followed by one spare NUL
 * byte that *out_len does not count. The caller frees *out. At most max_out
 * bytes of output are produced.
 *
 * Concatenated gzip members (gzip -c a >f; gzip -c b >>f) and concatenated
 * bzip2 streams (bzip2 -c a >f; bzip2 -c b >>f; pbzip2) are all decompressed,
 * one after the other. Zero bytes after the last member/stream (block padding)
 * are ignored, as gzip(1) does; any other trailing byte is an error.
 *
 * Returns 0, or:
 *   -EINVAL corrupt or truncated data, c not a compression, or in NULL with
 *           n > 0; *err_off (when err_off is not NULL) is then the offset in
 *           the compressed input where the error was found (best effort: at
 *           or after the bad byte; n when the input ends too early; the start
 *           of the CRC32 or ISIZE field of a gzip trailer that does not match)
 *   -EFBIG  the output would exceed max_out bytes
 *   -ENOMEM out of memory
 * On error *out is NULL and *out_len 0. */
int kp_decompress(enum kp_compression c, const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
                  size_t *out_len, size_t *err_off);

#endif
