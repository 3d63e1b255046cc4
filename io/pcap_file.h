/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap_file.h — streaming reader of capture files (pcap and pcapng).
 *
 * A thin edge over libpcap's offline API: one frame at a time, nothing kept
 * between frames, so memory does not grow with the file. Timestamps are read
 * at nanosecond precision whatever the file holds (pcap µs, pcap ns, pcapng
 * with any if_tsresol). Errors name the file and the byte offset where reading
 * failed. Used by `kptrace replay` and by kpannotate through io/replay.h.
 * Not thread-safe per handle; separate handles are independent.
 */
#ifndef KP_PCAP_FILE_H
#define KP_PCAP_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KP_PCAP_ERRLEN 512

struct kp_pcap_file; /* opaque */

/* One frame, valid until the next kp_pcap_file_next() or close. */
struct kp_frame {
    const uint8_t *data; /* captured bytes, caplen of them (libpcap's buffer) */
    uint32_t caplen;     /* bytes captured */
    uint32_t len;        /* bytes on the wire (caplen < len: cut by snaplen) */
    int64_t ts_ns;       /* capture time, ns since the Unix epoch */
    uint64_t index;      /* 0-based frame number in the file */
    uint64_t offset;     /* byte offset of the frame's record in the file */
};

/* Counters kept by a handle. */
struct kp_pcap_counts {
    uint64_t frames;    /* frames returned */
    uint64_t truncated; /* frames with caplen < len */
    uint64_t bytes;     /* captured bytes returned */
};

/* Open `path` ("-" is standard input) for reading. On success *out is a new
 * handle owned by the caller (release with kp_pcap_file_close) and 0 is
 * returned. On failure returns -ENOENT/-EACCES/... (errno of open) or -EINVAL
 * when the file is not a pcap/pcapng capture, and writes a message naming the
 * file and offset into err (KP_PCAP_ERRLEN bytes is enough). */
int kp_pcap_file_open(const char *path, struct kp_pcap_file **out, char *err, size_t errlen);

/* Same over an already open stream (e.g. fmemopen for fuzzing). `name` is used
 * in messages. The handle takes ownership of fp (closed by kp_pcap_file_close,
 * also on failure). */
int kp_pcap_file_fopen(FILE *fp, const char *name, struct kp_pcap_file **out, char *err,
                       size_t errlen);

/* Link type of the file (LINKTYPE_* / DLT_* value as libpcap reports it, e.g.
 * 1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 12/101 raw IP, 0 null). */
int kp_pcap_file_linktype(const struct kp_pcap_file *f);

/* Snapshot length declared by the file. */
int kp_pcap_file_snaplen(const struct kp_pcap_file *f);

/* Read the next frame into *fr. Returns 1 (a frame), 0 (end of file) or
 * -EIO when the file is cut or corrupt at some record: err then names the
 * file and the record's offset; frames read before stay valid results and the
 * handle must not be read again. */
int kp_pcap_file_next(struct kp_pcap_file *f, struct kp_frame *fr, char *err, size_t errlen);

/* Counters so far. */
struct kp_pcap_counts kp_pcap_file_counts(const struct kp_pcap_file *f);

/* Close the handle and its stream. NULL is accepted. */
void kp_pcap_file_close(struct kp_pcap_file *f);

#endif
