/* SPDX-License-Identifier: BSD-2-Clause */
/* reader.c — streaming reader of plain, gzip and bzip2 files, by line or by
 * JSON record; see reader.h.
 *
 * Three layers:
 *   - the source: raw bytes from a file descriptor or a memory buffer, and
 *     the decoder (decompress.h) behind it: produce() fills a buffer with
 *     content bytes;
 *   - with KP_READER_THREAD and a compressed input, a second thread runs
 *     produce() into a ring of RING_BLOCKS blocks of BLOCK bytes and the
 *     caller's thread takes them in order (one mutex, two condition
 *     variables); otherwise the caller's thread calls produce() itself;
 *   - the content buffer [lo, hi) that lines and JSON records are cut from;
 *     it grows only for a record longer than itself, up to the maximum.
 */
#include "io/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define IN_CAP      ((size_t)256 << 10) /* compressed bytes read at a time */
#define CONTENT_CAP ((size_t)1 << 20)   /* first size of the content buffer */
#define BLOCK       ((size_t)1 << 20)   /* one block of the ring */
#define RING_BLOCKS 4

struct block {
    uint8_t *data;
    size_t len, off; /* bytes in it, bytes taken by the consumer */
    int rc;          /* produce()'s status after these bytes: 0, 1 end, < 0 */
};

struct kp_reader {
    /* source */
    int fd; /* -1 for memory */
    bool own_fd;
    const uint8_t *mem;
    size_t mem_len, mem_pos;
    bool sniffed;
    enum kp_compression comp;
    struct kp_unz *unz;
    uint8_t *in; /* compressed bytes [in_lo, in_hi) */
    size_t in_lo, in_hi;
    bool in_eof;
    int src_rc; /* sticky status of the source: 0, 1 end, < 0 error */
    int read_errno;

    /* second thread */
    bool threaded, started, stop;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t can_fill, can_take;
    struct block ring[RING_BLOCKS];
    size_t r_head, r_count; /* oldest filled block, filled blocks */

    /* content */
    char *buf; /* cap + 1 bytes (one spare for a NUL) */
    size_t lo, hi, cap;
    uint64_t base;    /* content offset of buf[0] */
    int status;       /* 0, or the source's end/error once it is known */
    unsigned long nl; /* newlines consumed */
    size_t max_record;

    /* JSON scanner state (kept across refills) */
    bool in_array;
    bool in_value; /* scanning a value that starts at lo */
    bool skipping; /* the value is too long: its bytes are dropped as scanned */
    size_t scan;   /* bytes of the value scanned, from lo */
    int depth;
    bool in_str, esc;
    unsigned long v_nl; /* newlines inside the scanned part */
    unsigned long v_line;
    uint64_t v_off;
    size_t line_scan; /* kp_reader_line: bytes from lo known to hold no newline */
};

/* ---- source ---------------------------------------------------------------- */

/* Raw bytes into dst: count, 0 at the end, or -errno. */
static ssize_t raw_read(struct kp_reader *r, uint8_t *dst, size_t cap)
{
    if (r->fd < 0) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > cap)
            n = cap;
        if (n > 0)
            memcpy(dst, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t n = read(r->fd, dst, cap);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

/* Read more compressed bytes after [in_lo, in_hi) (moved to the front). */
static int in_more(struct kp_reader *r)
{
    if (r->in_lo > 0) {
        memmove(r->in, r->in + r->in_lo, r->in_hi - r->in_lo);
        r->in_hi -= r->in_lo;
        r->in_lo = 0;
    }
    if (r->in_hi == IN_CAP)
        return 0;
    ssize_t n = raw_read(r, r->in + r->in_hi, IN_CAP - r->in_hi);
    if (n < 0) {
        r->read_errno = (int)-n;
        return -EIO;
    }
    if (n == 0)
        r->in_eof = true;
    r->in_hi += (size_t)n;
    return 0;
}

/* Recognise the compression from the first bytes (at least 4 unless the
 * input is shorter). */
static int sniff(struct kp_reader *r)
{
    while (r->in_hi - r->in_lo < 4 && !r->in_eof) {
        int rc = in_more(r);
        if (rc < 0)
            return rc;
    }
    r->comp = kp_compression_sniff(r->in + r->in_lo, r->in_hi - r->in_lo);
    r->sniffed = true;
    if (r->comp != KP_COMP_NONE)
        return kp_unz_new(r->comp, &r->unz);
    return 0;
}

/* Fill dst[0..cap) with content bytes: *got of them, then the status: 0 (more
 * may follow), 1 (end of the input), or an error (after the *got good
 * bytes). Runs in the second thread when there is one. */
static int produce(struct kp_reader *r, uint8_t *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (r->src_rc != 0)
        return r->src_rc;
    int rc = 0;
    if (!r->sniffed)
        rc = sniff(r);
    while (rc == 0 && *got < cap) {
        if (r->comp == KP_COMP_NONE) {
            size_t n = r->in_hi - r->in_lo;
            if (n > 0) {
                if (n > cap - *got)
                    n = cap - *got;
                memcpy(dst + *got, r->in + r->in_lo, n);
                r->in_lo += n;
                *got += n;
                continue;
            }
            ssize_t m = raw_read(r, dst + *got, cap - *got);
            if (m < 0) {
                r->read_errno = (int)-m;
                rc = -EIO;
            } else if (m == 0) {
                rc = 1;
            } else {
                *got += (size_t)m;
                if (r->fd >= 0)
                    break; /* hand over what one read() gave */
            }
            continue;
        }
        size_t used, made;
        rc = kp_unz_step(r->unz, r->in + r->in_lo, r->in_hi - r->in_lo, r->in_eof, dst + *got,
                         cap - *got, &used, &made);
        r->in_lo += used;
        *got += made;
        if (rc == 0 && used == 0 && made == 0)
            rc = in_more(r); /* the decoder wants more input */
    }
    if (rc != 0)
        r->src_rc = rc;
    return rc;
}

/* ---- the second thread ------------------------------------------------------- */

static void *producer(void *arg)
{
    struct kp_reader *r = arg;
    size_t tail = 0; /* next block to fill */
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->r_count == RING_BLOCKS && !r->stop)
            pthread_cond_wait(&r->can_fill, &r->mu);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return NULL;
        struct block *b = &r->ring[tail];
        b->off = 0;
        b->rc = produce(r, b->data, BLOCK, &b->len);
        pthread_mutex_lock(&r->mu);
        r->r_count++;
        pthread_cond_signal(&r->can_take);
        pthread_mutex_unlock(&r->mu);
        tail = (tail + 1) % RING_BLOCKS;
        if (b->rc != 0)
            return NULL;
    }
}

static int start_thread(struct kp_reader *r)
{
    for (int i = 0; i < RING_BLOCKS; i++) {
        r->ring[i].data = malloc(BLOCK);
        if (r->ring[i].data == NULL)
            return -ENOMEM;
    }
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return -ENOMEM;
    if (pthread_cond_init(&r->can_fill, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        return -ENOMEM;
    }
    if (pthread_cond_init(&r->can_take, NULL) != 0) {
        pthread_cond_destroy(&r->can_fill);
        pthread_mutex_destroy(&r->mu);
        return -ENOMEM;
    }
    if (pthread_create(&r->th, NULL, producer, r) != 0) {
        pthread_cond_destroy(&r->can_take);
        pthread_cond_destroy(&r->can_fill);
        pthread_mutex_destroy(&r->mu);
        return -EAGAIN;
    }
    r->started = true;
    return 0;
}

/* Up to cap content bytes from the ring into dst: *got, then the status as
 * produce(). */
static int take(struct kp_reader *r, uint8_t *dst, size_t cap, size_t *got)
{
    *got = 0;
    pthread_mutex_lock(&r->mu);
    while (r->r_count == 0)
        pthread_cond_wait(&r->can_take, &r->mu);
    pthread_mutex_unlock(&r->mu);
    struct block *b = &r->ring[r->r_head];
    size_t n = b->len - b->off;
    if (n > cap)
        n = cap;
    memcpy(dst, b->data + b->off, n);
    b->off += n;
    *got = n;
    if (b->off < b->len)
        return 0;
    int rc = b->rc;
    if (rc == 0) {
        pthread_mutex_lock(&r->mu);
        r->r_head = (r->r_head + 1) % RING_BLOCKS;
        r->r_count--;
        pthread_cond_signal(&r->can_fill);
        pthread_mutex_unlock(&r->mu);
    }
    return rc; /* the last block stays: its status is sticky */
}

/* ---- content buffer ------------------------------------------------------------ */

/* Append more content after hi. Returns 0 (some bytes were added), 1 (end of
 * input, nothing added), or an error (nothing added). */
static int fill(struct kp_reader *r)
{
    if (r->status != 0)
        return r->status;
    if (r->lo > 0 && (r->lo == r->hi || r->cap - r->hi < r->cap / 4)) {
        memmove(r->buf, r->buf + r->lo, r->hi - r->lo);
        r->base += r->lo;
        r->hi -= r->lo;
        r->lo = 0;
    }
    if (r->hi == r->cap) {
        size_t ncap = r->cap * 2;
        char *nb = realloc(r->buf, ncap + 1);
        if (nb == NULL)
            return -ENOMEM;
        r->buf = nb;
        r->cap = ncap;
    }
    int rc = 0;
    if (r->threaded && !r->started) {
        if (!r->sniffed)
            rc = sniff(r);
        if (rc == 0 && r->comp != KP_COMP_NONE)
            rc = start_thread(r);
        if (rc == 0 && r->comp == KP_COMP_NONE)
            r->threaded = false; /* plain input: nothing to overlap */
        if (rc != 0) {
            r->status = rc;
            return rc;
        }
    }
    for (;;) {
        size_t got;
        if (r->started)
            rc = take(r, (uint8_t *)r->buf + r->hi, r->cap - r->hi, &got);
        else
            rc = produce(r, (uint8_t *)r->buf + r->hi, r->cap - r->hi, &got);
        r->hi += got;
        if (rc != 0)
            r->status = rc;
        if (got > 0)
            return 0;
        if (rc != 0)
            return rc;
    }
}

/* Drop the content [lo, lo + n) (consumed). */
static void consume(struct kp_reader *r, size_t n)
{
    r->lo += n;
    if (r->lo == r->hi) {
        r->base += r->lo;
        r->lo = r->hi = 0;
    }
}

/* ---- open / close ------------------------------------------------------------------ */

static int new_reader(unsigned flags, struct kp_reader **out)
{
    *out = NULL;
    struct kp_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    r->fd = -1;
    r->threaded = (flags & KP_READER_THREAD) != 0;
    r->max_record = KP_READER_MAX_RECORD;
    r->cap = CONTENT_CAP;
    r->in = malloc(IN_CAP);
    r->buf = malloc(r->cap + 1);
    if (r->in == NULL || r->buf == NULL) {
        free(r->in);
        free(r->buf);
        free(r);
        return -ENOMEM;
    }
    *out = r;
    return 0;
}

int kp_reader_open_fd(int fd, const char *name, unsigned flags, struct kp_reader **out)
{
    (void)name;
    if (fd < 0 || out == NULL)
        return -EINVAL;
    int rc = new_reader(flags, out);
    if (rc == 0)
        (*out)->fd = fd;
    return rc;
}

int kp_reader_open(const char *path, unsigned flags, struct kp_reader **out)
{
    if (path == NULL || out == NULL)
        return -EINVAL;
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return kp_reader_open_fd(STDIN_FILENO, "-", flags, out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = kp_reader_open_fd(fd, path, flags, out);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    (*out)->own_fd = true;
    return 0;
}

int kp_reader_open_mem(const void *buf, size_t len, unsigned flags, struct kp_reader **out)
{
    if ((buf == NULL && len > 0) || out == NULL)
        return -EINVAL;
    int rc = new_reader(flags, out);
    if (rc == 0) {
        (*out)->mem = buf;
        (*out)->mem_len = len;
    }
    return rc;
}

void kp_reader_close(struct kp_reader *r)
{
    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_signal(&r->can_fill);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
        pthread_cond_destroy(&r->can_take);
        pthread_cond_destroy(&r->can_fill);
        pthread_mutex_destroy(&r->mu);
    }
    for (int i = 0; i < RING_BLOCKS; i++)
        free(r->ring[i].data);
    if (r->own_fd)
        close(r->fd);
    kp_unz_free(r->unz);
    free(r->in);
    free(r->buf);
    free(r);
}

void kp_reader_set_max_record(struct kp_reader *r, size_t max)
{
    r->max_record = max < 16 ? 16 : max;
}

enum kp_compression kp_reader_compression(struct kp_reader *r)
{
    if (!r->sniffed && !r->started && r->status == 0 && r->hi == 0) {
        int rc = sniff(r);
        if (rc != 0) {
            r->src_rc = rc;
            r->status = rc;
        }
    }
    return r->comp;
}

uint64_t kp_reader_offset(const struct kp_reader *r)
{
    return r->base + r->lo;
}

unsigned long kp_reader_lineno(const struct kp_reader *r)
{
    return r->nl;
}

uint64_t kp_reader_error_offset(const struct kp_reader *r)
{
    return r->unz ? kp_unz_error_offset(r->unz) : 0;
}

int kp_reader_status(const struct kp_reader *r)
{
    return r->status;
}

int kp_reader_errno(const struct kp_reader *r)
{
    return r->read_errno;
}

/* ---- records ------------------------------------------------------------------------ */

int kp_reader_peek(struct kp_reader *r, size_t want, const char **p, size_t *n)
{
    while (r->hi - r->lo < want) {
        int rc = fill(r);
        if (rc == 1)
            break;
        if (rc < 0) {
            if (r->hi > r->lo)
                break; /* the error comes back on the next read */
            return rc;
        }
    }
    *p = r->buf + r->lo;
    *n = r->hi - r->lo < want ? r->hi - r->lo : want;
    return 0;
}

static void set_rec(struct kp_rec *rec, const char *p, size_t len, unsigned long line, uint64_t off,
                    enum kp_rec_status st)
{
    rec->p = p;
    rec->len = len;
    rec->line = line;
    rec->offset = off;
    rec->status = st;
}

int kp_reader_line(struct kp_reader *r, struct kp_rec *rec)
{
    bool too_long = false;
    unsigned long line = r->nl + 1;
    uint64_t off = r->base + r->lo;
    for (;;) {
        size_t avail = r->hi - r->lo;
        char *s = r->buf + r->lo;
        char *e =
            r->line_scan < avail ? memchr(s + r->line_scan, '\n', avail - r->line_scan) : NULL;
        if (e != NULL) {
            size_t len = (size_t)(e - s);
            *e = '\0';
            r->nl++;
            r->line_scan = 0;
            if (too_long || len > r->max_record) {
                consume(r, len + 1);
                set_rec(rec, "", 0, line, off, KP_REC_TOO_LONG);
            } else {
                set_rec(rec, s, len, line, off, KP_REC_OK);
                consume(r, len + 1);
            }
            return 1;
        }
        r->line_scan = avail;
        if (avail > r->max_record) {
            too_long = true; /* drop what was seen; keep looking for its end */
            consume(r, avail);
            r->line_scan = 0;
        }
        int rc = fill(r);
        if (rc == 0)
            continue;
        if (rc < 0)
            return rc;
        /* the end: a last line without newline */
        avail = r->hi - r->lo;
        r->line_scan = 0;
        if (avail == 0 && !too_long)
            return 0;
        s = r->buf + r->lo;
        s[avail] = '\0';
        if (too_long || avail > r->max_record)
            set_rec(rec, "", 0, line, off, KP_REC_TOO_LONG);
        else
            set_rec(rec, s, avail, line, off, KP_REC_OK);
        consume(r, avail);
        return 1;
    }
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Make at least n bytes available at lo, unless the input ends first.
 * Returns 0 (enough), 1 (the input ended), or an error. */
static int need(struct kp_reader *r, size_t n)
{
    while (r->hi - r->lo < n) {
        int rc = fill(r);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* reason: a byte-level state machine over one buffer (between values, in a string, in nesting):
 * its states share the buffer's indices */
int kp_reader_json(struct kp_reader *r, unsigned flags, struct kp_rec *rec)
{
    for (;;) {
        if (!r->in_value) {
            /* between values */
            int rc = need(r, 1);
            if (rc == 1)
                return 0;
            if (rc < 0)
                return rc;
            unsigned char c = (unsigned char)r->buf[r->lo];
            if (is_ws((char)c) || (r->in_array && c == ',')) {
                if (c == '\n')
                    r->nl++;
                consume(r, 1);
                continue;
            }
            if (c == 0xEF) {
                rc = need(r, 3);
                if (rc < 0)
                    return rc;
                if (rc == 0 && (unsigned char)r->buf[r->lo + 1] == 0xBB &&
                    (unsigned char)r->buf[r->lo + 2] == 0xBF) {
                    consume(r, 3);
                    continue;
                }
            }
            if (r->in_array && c == ']') {
                r->in_array = false;
                consume(r, 1);
                continue;
            }
            if (!r->in_array && c == '[' && (flags & KP_JSON_ARRAYS)) {
                r->in_array = true;
                consume(r, 1);
                continue;
            }
            r->v_line = r->nl + 1;
            r->v_off = r->base + r->lo;
            if (c != '{' && c != '[') {
                /* not a record: skip the rest of its line, so that reading
                 * resumes on the next one */
                for (;;) {
                    char *s = r->buf + r->lo;
                    char *e = memchr(s, '\n', r->hi - r->lo);
                    if (e != NULL) {
                        consume(r, (size_t)(e - s));
                        break;
                    }
                    consume(r, r->hi - r->lo);
                    rc = fill(r);
                    if (rc == 1)
                        break;
                    if (rc < 0)
                        return rc;
                }
                set_rec(rec, "", 0, r->v_line, r->v_off, KP_REC_NOT_RECORD);
                return 1;
            }
            r->in_value = true;
            r->skipping = false;
            r->scan = 0;
            r->depth = 0;
            r->in_str = r->esc = false;
            r->v_nl = 0;
        }
        /* inside a value that starts at lo (unless skipping) */
        size_t avail = r->hi - r->lo;
        const char *s = r->buf + r->lo;
        size_t i = r->scan;
        int depth = r->depth;
        bool in_str = r->in_str, esc = r->esc;
        unsigned long vnl = r->v_nl;
        bool done = false;
        for (; i < avail; i++) {
            char c = s[i];
            if (in_str) {
                if (esc) {
                    esc = false;
                    if (c == '\n')
                        vnl++;
                } else if (c == '\\') {
                    esc = true;
                } else if (c == '"') {
                    in_str = false;
                } else if (c == '\n') {
                    vnl++;
                } else {
                    /* skip to the next byte that matters inside a string */
                    size_t j = i + 1;
                    while (j < avail && s[j] != '"' && s[j] != '\\' && s[j] != '\n')
                        j++;
                    i = j - 1;
                }
                continue;
            }
            if (c == '"') {
                in_str = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    i++;
                    done = true;
                    break;
                }
            } else if (c == '\n') {
                vnl++;
            }
        }
        r->scan = i;
        r->depth = depth;
        r->in_str = in_str;
        r->esc = esc;
        r->v_nl = vnl;
        if (done) {
            r->in_value = false;
            r->nl += vnl;
            if (r->skipping || i > r->max_record) {
                consume(r, i);
                set_rec(rec, "", 0, r->v_line, r->v_off, KP_REC_TOO_LONG);
            } else {
                set_rec(rec, s, i, r->v_line, r->v_off, KP_REC_OK);
                consume(r, i);
            }
            return 1;
        }
        if (r->skipping || i > r->max_record) {
            r->skipping = true; /* drop the bytes scanned; keep the state */
            consume(r, i);
            r->scan = 0;
        }
        int rc = fill(r);
        if (rc == 0)
            continue;
        if (rc < 0)
            return rc;
        /* the input ends inside the value */
        r->in_value = false;
        r->nl += r->v_nl;
        avail = r->hi - r->lo;
        s = r->buf + r->lo;
        ((char *)s)[avail] = '\0';
        set_rec(rec, r->skipping ? "" : s, r->skipping ? 0 : avail, r->v_line, r->v_off,
                r->skipping ? KP_REC_TOO_LONG : KP_REC_CUT);
        consume(r, avail);
        return 1;
    }
}

int kp_reader_slurp(struct kp_reader *r, size_t max, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    for (;;) {
        if (r->hi - r->lo > max)
            return -EFBIG;
        int rc = fill(r);
        if (rc == 1)
            break;
        if (rc < 0)
            return rc;
    }
    size_t n = r->hi - r->lo;
    char *b = malloc(n + 1);
    if (b == NULL)
        return -ENOMEM;
    memcpy(b, r->buf + r->lo, n);
    b[n] = '\0';
    consume(r, n);
    *buf = b;
    *len = n;
    return 0;
}

/* ---- stdio ------------------------------------------------------------------------------ */

static ssize_t cookie_read(void *c, char *dst, size_t n)
{
    struct kp_reader *r = c;
    if (r->hi == r->lo) {
        int rc = fill(r);
        if (rc == 1)
            return 0;
        if (rc < 0) {
            errno = rc == -EIO && r->read_errno ? r->read_errno : EIO;
            return -1;
        }
    }
    size_t k = r->hi - r->lo;
    if (k > n)
        k = n;
    memcpy(dst, r->buf + r->lo, k);
    consume(r, k);
    return (ssize_t)k;
}

static int cookie_seek(void *c, off64_t *off, int whence)
{
    struct kp_reader *r = c;
    if (whence != SEEK_CUR || *off != 0) {
        errno = ESPIPE;
        return -1;
    }
    *off = (off64_t)(r->base + r->lo); /* ftell only */
    return 0;
}

FILE *kp_reader_fopen(struct kp_reader *r)
{
    cookie_io_functions_t io = {cookie_read, NULL, cookie_seek, NULL};
    return fopencookie(r, "rb", io);
}

/* ---- lines ---- */

struct kp_lines {
    struct kp_reader *r;
    unsigned long lineno;
};

struct kp_lines *kp_lines_open(const char *path, int *rc)
{
    struct kp_lines *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    /* compressed tables are decoded in a second thread while lines are parsed */
    *rc = kp_reader_open(path, KP_READER_THREAD, &l->r);
    if (*rc != 0) {
        free(l);
        return NULL;
    }
    return l;
}

int kp_lines_next(struct kp_lines *l, const char **line, size_t *len)
{
    struct kp_rec rec;
    int rc = kp_reader_line(l->r, &rec);
    if (rc == 1) {
        size_t n = rec.len;
        if (n > 0 && rec.p[n - 1] == '\r')
            ((char *)rec.p)[--n] = '\0';
        l->lineno = rec.line;
        *line = rec.p;
        *len = n;
        return 1;
    }
    return rc == -EINVAL ? -EIO : rc; /* corrupt compressed data: a read error */
}

unsigned long kp_lines_lineno(const struct kp_lines *l)
{
    return l->lineno;
}

struct kp_reader *kp_lines_reader(struct kp_lines *l)
{
    return l->r;
}

void kp_lines_close(struct kp_lines *l)
{
    if (l == NULL)
        return;
    kp_reader_close(l->r);
    free(l);
}
