/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap_file.c — streaming capture-file reader over libpcap's offline API.
 * See pcap_file.h. */
#include "io/pcap_file.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"

struct kp_pcap_file {
    pcap_t *p;
    FILE *fp; /* owned by p once pcap_fopen succeeded */
    char name[256];
    int linktype;
    int snaplen;
    struct kp_pcap_counts counts;
    int failed;
    char buf[1 << 16]; /* fp's buffer (stdio's default is 4 KB) */
};

int kp_pcap_file_fopen(FILE *fp, const char *name, struct kp_pcap_file **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    if (fp == NULL)
        return -EINVAL;
    struct kp_pcap_file *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        fclose(fp);
        return kp_err_set(err, errlen, -ENOMEM, "%s: out of memory", name);
    }
    snprintf(f->name, sizeof(f->name), "%s", name);
    /* A bigger buffer than stdio's 4 KB, and a seek to where the stream is:
     * glibc then keeps the file offset up to date as it reads, so the ftell
     * per frame below (the offset of each record, for messages) costs no
     * system call. Both fail harmlessly (on a pipe, or a stream already
     * read from). */
    if (fp != stdin) /* libpcap leaves stdin open: it must not keep our buffer */
        setvbuf(fp, f->buf, _IOFBF, sizeof(f->buf));
    (void)fseeko(fp, 0, SEEK_CUR);
    char perr[PCAP_ERRBUF_SIZE] = "";
    f->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (f->p == NULL) {
        /* libpcap leaves fp open on failure. */
        fclose(fp);
        kp_err_set(err, errlen, -EINVAL, "%s: not a pcap or pcapng capture (at offset 0: %s)",
                   f->name, perr[0] ? perr : "unknown file format");
        free(f);
        return -EINVAL;
    }
    f->fp = fp;
    f->linktype = pcap_datalink(f->p);
    f->snaplen = pcap_snapshot(f->p);
    *out = f;
    return 0;
}

int kp_pcap_file_open(const char *path, struct kp_pcap_file **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp;
    if (strcmp(path, "-") == 0)
        fp = stdin;
    else
        fp = fopen(path, "rb");
    if (fp == NULL) {
        int e = errno;
        return kp_err_set(err, errlen, -e, "%s: %s", path, strerror(e));
    }
    return kp_pcap_file_fopen(fp, path, out, err, errlen);
}

int kp_pcap_file_linktype(const struct kp_pcap_file *f)
{
    return f->linktype;
}

int kp_pcap_file_snaplen(const struct kp_pcap_file *f)
{
    return f->snaplen;
}

int kp_pcap_file_next(struct kp_pcap_file *f, struct kp_frame *fr, char *err, size_t errlen)
{
    if (f->failed)
        return -EIO;
    long off = ftell(f->fp);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(f->p, &h, &data);
    if (rc == 1) {
        /* pcapng stamps are 64-bit counts of if_tsresol units: seconds past
         * what int64 nanoseconds hold (year 2262, or before 1678) are corrupt */
        if (h->ts.tv_sec >= INT64_MAX / 1000000000 || h->ts.tv_sec <= -(INT64_MAX / 1000000000)) {
            f->failed = 1;
            return kp_err_set(
                err, errlen, -EIO,
                "%s: corrupt capture at offset %ld (frame %llu): timestamp %lld s out of range",
                f->name, off >= 0 ? off : 0L, (unsigned long long)f->counts.frames + 1,
                (long long)h->ts.tv_sec);
        }
        fr->data = data;
        fr->caplen = h->caplen;
        fr->len = h->len;
        fr->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
        fr->index = f->counts.frames;
        fr->offset = off >= 0 ? (uint64_t)off : 0;
        f->counts.frames++;
        f->counts.bytes += h->caplen;
        if (h->caplen < h->len)
            f->counts.truncated++;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK)
        return 0;
    f->failed = 1;
    if (off >= 0)
        kp_err_set(err, errlen, -EIO,
                   "%s: cut or corrupt capture at offset %ld (after frame %llu): %s", f->name, off,
                   (unsigned long long)f->counts.frames, pcap_geterr(f->p));
    else
        kp_err_set(err, errlen, -EIO, "%s: cut or corrupt capture after frame %llu: %s", f->name,
                   (unsigned long long)f->counts.frames, pcap_geterr(f->p));
    return -EIO;
}

struct kp_pcap_counts kp_pcap_file_counts(const struct kp_pcap_file *f)
{
    return f->counts;
}

void kp_pcap_file_close(struct kp_pcap_file *f)
{
    if (f == NULL)
        return;
    if (f->p != NULL)
        pcap_close(f->p); /* closes fp too */
    free(f);
}
