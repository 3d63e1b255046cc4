/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.c — libpcap live capture. See capture.h. */
#include "prober/sys/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kp_capture_open(struct kp_capture *c, const char *iface, const char *filter,
                    size_t buffer_bytes, char *err, size_t errlen)
{
    char eb[PCAP_ERRBUF_SIZE] = "";
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    pcap_t *p = pcap_create(iface, eb);
    if (p == NULL) {
        snprintf(err, errlen, "capture on %s: %s", iface, eb);
        return -ENODEV;
    }
    pcap_set_snaplen(p, KP_CAPTURE_SNAPLEN);
    pcap_set_promisc(p, 0);
    /* Not immediate: libpcap then uses TPACKET_V3, whose blocks of frames
     * cost one wake-up each; a block is handed over at the latest
     * KP_CAPTURE_BLOCK_MS after its first frame. */
    pcap_set_immediate_mode(p, 0);
    pcap_set_timeout(p, KP_CAPTURE_BLOCK_MS);
    if (buffer_bytes == 0)
        buffer_bytes = 32u << 20;
    pcap_set_buffer_size(p, buffer_bytes > INT32_MAX ? INT32_MAX : (int)buffer_bytes);
    c->nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    /* Prefer the host (kernel) timestamp explicitly; other types are adapter
     * clocks that may not be the system clock. */
    int type = PCAP_TSTAMP_HOST;
    if (pcap_set_tstamp_type(p, PCAP_TSTAMP_HOST) != 0)
        type = -1;
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(err, errlen, "capture on %s: %s", iface, pcap_geterr(p));
        pcap_close(p);
        return rc == PCAP_ERROR_PERM_DENIED      ? -EPERM
               : rc == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV
                                                 : -EIO;
    }
    c->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    snprintf(c->ts_source, sizeof(c->ts_source), "pcap-%s-%s",
             type == PCAP_TSTAMP_HOST ? "host" : "default", c->nano ? "ns" : "us");
    if (filter) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "capture filter \"%s\": %s", filter, pcap_geterr(p));
            pcap_close(p);
            return -EINVAL;
        }
        rc = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, errlen, "capture filter: %s", pcap_geterr(p));
            pcap_close(p);
            return -EIO;
        }
    }
    if (pcap_setnonblock(p, 1, eb) != 0) {
        snprintf(err, errlen, "capture: %s", eb);
        pcap_close(p);
        return -EIO;
    }
    c->pcap = p;
    c->dlt = pcap_datalink(p);
    c->fd = pcap_get_selectable_fd(p);
    return 0;
}

int kp_capture_reopen(struct kp_capture *c, const char *iface, const char *filter,
                      size_t buffer_bytes, char *err, size_t errlen)
{
    struct kp_capture n;
    int rc = kp_capture_open(&n, iface, filter, buffer_bytes, err, errlen);
    if (rc)
        return rc;
    if (n.dlt != c->dlt || n.nano != c->nano) {
        snprintf(err, errlen, "capture on %s: link type %d (was %d) or timestamp precision changed",
                 iface, n.dlt, c->dlt);
        kp_capture_close(&n);
        return -EINVAL;
    }
    uint64_t r, d, i;
    if (c->pcap && kp_capture_stats(c, &r, &d, &i) == 0) {
        c->base_recv = r;
        c->base_drop = d;
        c->base_ifdrop = i;
    }
    if (c->pcap)
        pcap_close((pcap_t *)c->pcap);
    c->pcap = n.pcap;
    c->fd = n.fd;
    return 0;
}

#define FILE_BUF (1u << 20)

int kp_capture_dump_open(struct kp_capture *c, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    return kp_capture_dump_fd(c, fd, path, err, errlen);
}

int kp_capture_dump_fd(struct kp_capture *c, int fd, const char *name, char *err, size_t errlen)
{
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "%s: %s", name, strerror(e));
        return -e;
    }
    /* a large buffer: one write(2) per MiB of frames, not per frame */
    c->filebuf = malloc(FILE_BUF);
    if (c->filebuf)
        setvbuf(f, c->filebuf, _IOFBF, FILE_BUF);
    pcap_dumper_t *d = pcap_dump_fopen((pcap_t *)c->pcap, f);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", name, pcap_geterr((pcap_t *)c->pcap));
        fclose(f);
        return -EIO;
    }
    c->dumper = d;
    c->file = f;
    return 0;
}

int kp_capture_dump_append(struct kp_capture *c, const char *path, char *err, size_t errlen)
{
    pcap_dumper_t *d = pcap_dump_open_append((pcap_t *)c->pcap, path);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", path, pcap_geterr((pcap_t *)c->pcap));
        return -EINVAL;
    }
    c->dumper = d;
    c->file = pcap_dump_file(d);
    return 0;
}

struct disp {
    struct kp_capture *c;
    kp_capture_cb cb;
    void *ctx;
};

/* One record of the dump file, as pcap_dump writes it (the classic format's
 * record header: seconds, micro- or nanoseconds as the file's magic says,
 * captured and wire lengths, in the host's order like the file header that
 * pcap_dump_fopen wrote), without its three locked stdio calls a frame: the
 * FILE is only ever used by one thread at a time (the receive thread while
 * capturing, then the one that closes it). */
static void dump_record(struct kp_capture *c, const struct pcap_pkthdr *h, const u_char *bytes)
{
    FILE *f = c->file;
    if (ferror_unlocked(f))
        return; /* kp_capture_flush reports it */
    uint32_t rec[4] = {(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len};
    if (fwrite_unlocked(rec, sizeof(rec), 1, f) == 1)
        (void)fwrite_unlocked(bytes, h->caplen, 1, f);
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct disp *d = (struct disp *)user;
    if (d->c->dumper)
        dump_record(d->c, h, bytes);
    int64_t ns =
        (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * (d->c->nano ? 1 : 1000);
    d->c->frames++;
    d->cb(d->ctx, d->c->dlt, bytes, h->caplen, h->len, ns);
}

int kp_capture_dispatch(struct kp_capture *c, int max, kp_capture_cb cb, void *ctx, char *err,
                        size_t errlen)
{
    struct disp d = {c, cb, ctx};
    int n = pcap_dispatch((pcap_t *)c->pcap, max > 0 ? max : -1, on_frame, (u_char *)&d);
    if (n == PCAP_ERROR) {
        snprintf(err, errlen, "capture: %s", pcap_geterr((pcap_t *)c->pcap));
        return -EIO;
    }
    return n < 0 ? 0 : n;
}

int kp_capture_flush(struct kp_capture *c)
{
    errno = 0;
    if (c->dumper && c->write_errno == 0 &&
        (pcap_dump_flush((pcap_dumper_t *)c->dumper) != 0 || ferror((FILE *)c->file)))
        c->write_errno = errno ? errno : EIO;
    return -c->write_errno;
}

int kp_capture_stats(struct kp_capture *c, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop)
{
    struct pcap_stat st;
    if (c->pcap == NULL || pcap_stats((pcap_t *)c->pcap, &st) != 0)
        return -EIO;
    *recv = c->base_recv + st.ps_recv;
    *drop = c->base_drop + st.ps_drop;
    *ifdrop = c->base_ifdrop + st.ps_ifdrop;
    return 0;
}

int kp_capture_dump_close(struct kp_capture *c)
{
    int rc = 0;
    if (c->dumper) {
        rc = kp_capture_flush(c);
        pcap_dump_close((pcap_dumper_t *)c->dumper); /* closes the FILE too */
        c->dumper = NULL;
        c->file = NULL;
    }
    free(c->filebuf);
    c->filebuf = NULL;
    c->write_errno = 0;
    return rc;
}

void kp_capture_close(struct kp_capture *c)
{
    kp_capture_dump_close(c);
    if (c->pcap)
        pcap_close((pcap_t *)c->pcap);
    c->pcap = NULL;
    c->fd = -1;
}
