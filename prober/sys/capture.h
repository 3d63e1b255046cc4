/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.h — libpcap live capture of every probe and reply, and the
 * capture file it is copied to.
 *
 * Opened as root before privdrop (the pcap handle and the dump file stay open
 * after it). The kernel fills a memory-mapped ring of `buffer` bytes
 * (TPACKET_V3: frames are handed over a block at a time, a block at the
 * latest KP_CAPTURE_BLOCK_MS after its first frame), non-blocking,
 * nanosecond timestamps when the platform supports them (the timestamp type
 * and precision used are recorded in ts_source, e.g. "pcap-host-ns": the
 * kernel's timestamp of the frame at the packet tap, for sent and received
 * frames alike). Every frame delivered is written to the dump file (through
 * a 1 MiB buffer) before the callback sees it; a write that fails (a full
 * disk) is counted and reported by kp_capture_flush. Functions return 0 or a
 * negative errno and write a message to err; they never print.
 */
#ifndef KP_CAPTURE_H
#define KP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define KP_CAPTURE_SNAPLEN  2048
#define KP_CAPTURE_BLOCK_MS 8 /* longest wait before a block of frames is handed over */

struct kp_capture {
    void *pcap;   /* pcap_t * */
    void *dumper; /* pcap_dumper_t *, NULL without a file */
    int dlt;      /* link type of the frames */
    int fd;       /* selectable descriptor */
    int nano;     /* 1 when timestamps are in ns */
    char ts_source[16];
    uint64_t frames; /* frames delivered to the callback */
    void *file;      /* FILE * of the dump (NULL without a file) */
    void *filebuf;   /* its buffer */
    int write_errno; /* first error writing the file, 0 none */
    /* the counters of the handles replaced by kp_capture_reopen */
    uint64_t base_recv, base_drop, base_ifdrop;
};

/* One captured frame as handed to the callback (valid during the call). */
typedef void (*kp_capture_cb)(void *ctx, int dlt, const uint8_t *frame, uint32_t caplen,
                              uint32_t len, int64_t ts_ns);

/* Open a live capture on iface ("any" allowed) with the BPF filter text
 * (pcap syntax, may be NULL) and a kernel buffer of buffer_bytes (0 = 32
 * MiB). 0, -EPERM (not root), -ENODEV, -EINVAL (bad filter) or -EIO; err says
 * what failed. */
int kp_capture_open(struct kp_capture *c, const char *iface, const char *filter,
                    size_t buffer_bytes, char *err, size_t errlen);

/* Replace the live capture with a new one on iface (same filter and buffer;
 * needs the privileges kp_capture_open needs), e.g. after the interface was
 * deleted and created again. The capture file and the frame count stay;
 * kp_capture_stats goes on from the old handle's counters. The link type
 * and timestamp precision must be the old ones (else -EINVAL, nothing
 * changed). 0 or a negative errno with err filled (the old handle stays). */
int kp_capture_reopen(struct kp_capture *c, const char *iface, const char *filter,
                      size_t buffer_bytes, char *err, size_t errlen);

/* Open the capture file every frame is written to (pcap format, ns
 * timestamps when the capture has them). Call before dropping privileges. */
int kp_capture_dump_open(struct kp_capture *c, const char *path, char *err, size_t errlen);

/* The same on a file the caller opened for writing (fd, taken over: closed
 * with the capture file, or at once on an error); name is for messages. */
int kp_capture_dump_fd(struct kp_capture *c, int fd, const char *name, char *err, size_t errlen);

/* Open an existing capture file (written by kp_capture_dump_open) to append
 * to, with libpcap's pcap_dump_open_append: its link type, snap length and
 * timestamp precision must be those of the live capture (else -EINVAL with
 * libpcap's message). Call before dropping privileges. */
int kp_capture_dump_append(struct kp_capture *c, const char *path, char *err, size_t errlen);

/* Flush and close the capture file (the live capture stays open): frames
 * are captured without a file until the next kp_capture_dump_open or
 * kp_capture_dump_append. 0, or -errno of the first write that failed. */
int kp_capture_dump_close(struct kp_capture *c);

/* Handle the frames that are ready (at most max, 0 = all), without blocking.
 * Returns the number handled (>= 0) or -EIO with err filled. */
int kp_capture_dispatch(struct kp_capture *c, int max, kp_capture_cb cb, void *ctx, char *err,
                        size_t errlen);

/* Flush the capture file. 0, or -errno of the first write that failed
 * (e.g. -ENOSPC: the disk is full); the error stays. */
int kp_capture_flush(struct kp_capture *c);

/* Kernel counters: frames received by the filter, dropped for lack of buffer
 * space, dropped by the interface. 0 or -EIO. */
int kp_capture_stats(struct kp_capture *c, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop);

/* Flush and close the file and the capture (idempotent). */
void kp_capture_close(struct kp_capture *c);

#endif
