/* SPDX-License-Identifier: BSD-2-Clause */
/* reader.h — the one reader of input files: plain, gzip or bzip2 (recognised
 * by their magic, concatenated members and streams too), read as a stream,
 * one line or one JSON record at a time, with line numbers and byte offsets.
 *
 * Every file reader uses it: kpannotate's inputs (kptrace JSONL, RIPE Atlas
 * and scamper JSON, captures through kp_reader_fopen), the prefix2as, RIB and
 * PeeringDB tables. Memory is a constant working set (the buffers below plus
 * the longest record), never the size of the file. Compressed input may be
 * decompressed by a second thread (KP_READER_THREAD) while the caller works
 * on the records already decoded: the bytes delivered, their order and the
 * place of an error are the same either way.
 *
 * A corrupt or cut compressed stream ends the reading with -EINVAL after
 * every complete line or record before the damage has been delivered;
 * kp_reader_error_offset() names the compressed byte where it went wrong.
 *
 * I/O edge: reads file descriptors; kp_reader_open_mem reads a buffer (tests,
 * fuzzing). Not thread-safe: one reader, one caller thread.
 */
#ifndef KP_ANALYSIS_READER_H
#define KP_ANALYSIS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/decompress.h"

struct kp_reader;

/* Flags for the open calls. */
#define KP_READER_THREAD 0x1u /* decompress in a second thread (compressed input only) */

/* Longest line or JSON record (bytes) kept whole by default; a longer one is
 * reported (KP_REC_TOO_LONG) and skipped without being held in memory. */
#define KP_READER_MAX_RECORD ((size_t)256 << 20)

/* Open path ("-": standard input, which is not closed). 0, or -errno (the
 * file cannot be opened), -ENOMEM. The compression is recognised from the
 * first bytes when they are read. */
int kp_reader_open(const char *path, unsigned flags, struct kp_reader **out);

/* Read from fd (not closed by kp_reader_close) under the name given (for the
 * caller's messages). */
int kp_reader_open_fd(int fd, const char *name, unsigned flags, struct kp_reader **out);

/* Read the buffer buf[0..len) (not copied: it must outlive the reader). */
int kp_reader_open_mem(const void *buf, size_t len, unsigned flags, struct kp_reader **out);

/* Stop reading and release everything (NULL is fine). */
void kp_reader_close(struct kp_reader *r);

/* Set the longest record kept whole (default KP_READER_MAX_RECORD; at least
 * 16 bytes). */
void kp_reader_set_max_record(struct kp_reader *r, size_t max);

/* The compression of the input: known after the first read or peek. */
enum kp_compression kp_reader_compression(struct kp_reader *r);

/* The first up to `want` bytes of the (decompressed) content, without
 * consuming them: *p and *n (n < want only at the end of the input). Valid
 * until the next call on r. 0 or a negative error as kp_reader_line. */
int kp_reader_peek(struct kp_reader *r, size_t want, const char **p, size_t *n);

/* What a record is. */
enum kp_rec_status {
    KP_REC_OK = 0,
    KP_REC_TOO_LONG,   /* longer than the maximum: p/len empty, skipped */
    KP_REC_NOT_RECORD, /* JSON: a top-level value that is neither object nor
                          array; the rest of its line was skipped */
    KP_REC_CUT,        /* JSON: the input ends inside this value (p/len hold it) */
};

struct kp_rec {
    const char *p; /* the bytes, NUL-terminated at p[len]; valid until the next call */
    size_t len;
    unsigned long line; /* 1-based line where it starts */
    uint64_t offset;    /* byte offset in the decompressed content where it starts */
    enum kp_rec_status status;
};

/* The next line, without its "\n" (a "\r" before it is kept). Returns 1 (a
 * line in *rec; the last line may lack its newline), 0 (end of input), or
 *   -EINVAL  corrupt or cut compressed data (kp_reader_error_offset)
 *   -EIO     a read error (errno in kp_reader_errno)
 *   -ENOMEM
 * Errors are sticky. */
int kp_reader_line(struct kp_reader *r, struct kp_rec *rec);

/* Flags for kp_reader_json. */
#define KP_JSON_ARRAYS                                                                             \
    0x1u /* a top-level array's elements are records (a                                            \
            RIPE Atlas dump: [ {...}, {...} ]) */

/* The next JSON record: each top-level value, white space, UTF-8 byte order
 * marks and (inside a top-level array, with KP_JSON_ARRAYS) the commas and
 * brackets between them skipped. Strings and escapes are honoured; the
 * record is not parsed. Returns as kp_reader_line; a record with a status
 * other than KP_REC_OK is a bad one the caller reports (line and offset
 * set). */
int kp_reader_json(struct kp_reader *r, unsigned flags, struct kp_rec *rec);

/* Everything left, at most max bytes, into a new malloc'd NUL-terminated
 * buffer. 0, -EFBIG (longer than max), or an error as kp_reader_line. */
int kp_reader_slurp(struct kp_reader *r, size_t max, char **buf, size_t *len);

/* A stdio stream over the content (for readers that want a FILE *, e.g.
 * capture files): reads consume r, which must outlive it; fclose() does not
 * close r. A decode error reads as an error (ferror). NULL on failure. */
FILE *kp_reader_fopen(struct kp_reader *r);

/* Decompressed bytes consumed by the caller so far (the offset of the next
 * byte), and lines finished so far. */
uint64_t kp_reader_offset(const struct kp_reader *r);
unsigned long kp_reader_lineno(const struct kp_reader *r);

/* The source's state: 0 (more may come), 1 (all of the input has been
 * decoded) or the error it ended with (which the caller sees once it has
 * taken the content before it). */
int kp_reader_status(const struct kp_reader *r);

/* After -EINVAL: the compressed byte offset where the data went wrong. */
uint64_t kp_reader_error_offset(const struct kp_reader *r);

/* After -EIO: the errno of the failed read. */
int kp_reader_errno(const struct kp_reader *r);

/* ---- lines: text files line by line (the tables, blocklist files) ---- */

struct kp_lines;

/* Open path for reading lines; gzip and bzip2 are recognised by their magic,
 * anything else is read as plain text. Returns NULL with *rc = -errno on
 * failure. */
struct kp_lines *kp_lines_open(const char *path, int *rc);

/* Next line without its "\n" (and "\r\n"), NUL-terminated; *line points into
 * the reader (valid until the next call), *len its length. Returns 1 (a
 * line), 0 (end), -EIO (read error, or corrupt compressed data), -ENOMEM.
 * Lines up to KP_READER_MAX_RECORD bytes are returned whole; a longer one
 * comes back empty. */
int kp_lines_next(struct kp_lines *r, const char **line, size_t *len);

/* 1-based number of the line last returned. */
unsigned long kp_lines_lineno(const struct kp_lines *r);

/* The reader under it (its compression, and where corrupt data is). */
struct kp_reader *kp_lines_reader(struct kp_lines *r);

void kp_lines_close(struct kp_lines *r);

#endif
