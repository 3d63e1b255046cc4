/* SPDX-License-Identifier: BSD-2-Clause */
/* decompress.h — gzip and bzip2 decompression as a stream, and as a whole
 * buffer.
 *
 * Pure: no I/O, no globals. The stream decoder (kp_unz) takes compressed
 * bytes piece by piece and gives decompressed bytes into the caller's buffer,
 * so that a reader (io/reader.h) holds a constant working set whatever
 * the size of the file. kp_decompress() decompresses a whole buffer with it.
 * RIPE Atlas daily dumps come as .bz2, scamper JSON and prefix tables often
 * as .gz.
 */
#ifndef KP_ANALYSIS_DECOMPRESS_H
#define KP_ANALYSIS_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kp_compression { KP_COMP_NONE, KP_COMP_GZIP, KP_COMP_BZIP2 };

/* What compression the first bytes of buf[0..n) announce: gzip (1f 8b,
 * RFC 1952) or bzip2 ("BZh" then a block size digit '1'..'9'). Buffers too
 * short to hold the magic, and anything else, are KP_COMP_NONE. */
enum kp_compression kp_compression_sniff(const uint8_t *buf, size_t n);

/* "gzip", "bzip2" or "none" (also for values outside the enum). Static. */
const char *kp_compression_name(enum kp_compression c);

/* ---- stream decoder ----------------------------------------------------- */

struct kp_unz;

/* A decoder for c (KP_COMP_GZIP or KP_COMP_BZIP2) in *out. 0, -EINVAL (c is
 * not a compression) or -ENOMEM. */
int kp_unz_new(enum kp_compression c, struct kp_unz **out);

/* Release u (NULL is fine). */
void kp_unz_free(struct kp_unz *u);

/* Decode: in[0..n) are the next compressed bytes (final: no more follow),
 * out[0..cap) room for decompressed ones. *used receives how many input
 * bytes were consumed (the caller passes the rest again, with more, in the
 * next call), *made how many output bytes were written. Concatenated gzip
 * members and bzip2 streams are decoded one after the other; zero bytes after
 * the last one (block padding) are ignored, as gzip(1) does; any other byte
 * there is an error. Returns
 *    1        done: final was set and the input ended exactly after a
 *             member/stream (or its zero padding)
 *    0        call again: with more input when *used == n and !final, with
 *             more room when *made == cap (either may be 0)
 *   -EINVAL   corrupt or cut short; kp_unz_error_offset() says where (the
 *             decoder stays failed)
 *   -ENOMEM
 * Everything written to out before an error is good data. */
int kp_unz_step(struct kp_unz *u, const uint8_t *in, size_t n, bool final, uint8_t *out, size_t cap,
                size_t *used, size_t *made);

/* Compressed bytes consumed so far. */
uint64_t kp_unz_consumed(const struct kp_unz *u);

/* After -EINVAL: the offset in the compressed input where the error was found
 * (best effort: at or after the bad byte; the input's length when it ends
 * too early; the start of the CRC32 or ISIZE field of a gzip trailer that
 * does not match; the first byte after the last member that is not one). */
uint64_t kp_unz_error_offset(const struct kp_unz *u);

/* ---- whole buffer ------------------------------------------------------- */

/* Decompress all of in[0..n), compressed as c (KP_COMP_GZIP or KP_COMP_BZIP2),
 * into a new malloc'd buffer *out of *out_len bytes, followed by one spare NUL
 * byte that *out_len does not count. The caller frees *out. At most max_out
 * bytes of output are produced. Members, streams and padding as kp_unz_step.
 *
 * Returns 0, or:
 *   -EINVAL corrupt or truncated data, c not a compression, or in NULL with
 *           n > 0; *err_off (when err_off is not NULL) is then the offset in
 *           the compressed input where the error was found (as
 *           kp_unz_error_offset)
 *   -EFBIG  the output would exceed max_out bytes
 *   -ENOMEM out of memory
 * On error *out is NULL and *out_len 0. */
int kp_decompress(enum kp_compression c, const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
                  size_t *out_len, size_t *err_off);

#endif
