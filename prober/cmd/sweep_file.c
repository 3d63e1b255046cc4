/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_file.c — DIR/sweep.json of `kptrace sweep`, written safely (see
 * sweep_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prober/cmd/sweep_file.h"

#define META_RESERVE (64 << 10)

/* Keep META_RESERVE bytes of disk for the file beyond its end (its size
 * unchanged), so that its next version can be written on a full disk. */
static void reserve(FILE *f)
{
    (void)fallocate(fileno(f), FALLOC_FL_KEEP_SIZE, 0, META_RESERVE);
}

/* Rewrite f with s: over the old bytes and its reserve (no block is freed
 * first), then cut to the new length. */
static int write_file(FILE *f, const char *s)
{
    rewind(f);
    size_t n = strlen(s);
    if (fwrite(s, 1, n, f) != n || fflush(f) != 0 || ftruncate(fileno(f), (off_t)n) != 0 ||
        fsync(fileno(f)) != 0)
        return -errno;
    reserve(f);
    return 0;
}

/* A file of the seed made private (0600, --user's). 0 or -1 (errno). */
static int seal(const struct meta_out *mo, int fd)
{
    if (fchmod(fd, 0600) != 0 || (mo->give && fchown(fd, mo->uid, mo->gid) != 0))
        return -1;
    return 0;
}

/* DIR/sweep.json.tmp, created or emptied, 0600; never through a symlink. */
static FILE *open_tmp(const struct meta_out *mo)
{
    int fd = open(mo->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && seal(mo, fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL && fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

static int write_text(struct meta_out *mo, const char *s)
{
    if (mo->tmp && write_file(mo->tmp, s) == 0) {
        mo->tmp_written = true;
        if (rename(mo->tmp_path, mo->path) == 0) {
            /* the tmp descriptor now names sweep.json: use it from now on,
             * and open the next tmp while we may (before privdrop) */
            fclose(mo->f);
            mo->f = mo->tmp;
            mo->tmp = mo->last ? NULL : open_tmp(mo);
            if (mo->tmp)
                reserve(mo->tmp);
            mo->tmp_written = false;
            return 0;
        }
    }
    return write_file(mo->f, s);
}

int write_meta(struct meta_out *mo, const struct kp_sweep_meta *m, const char *prior,
               size_t prior_len, uint64_t file_traces, uint64_t file_hops)
{
    char *s;
    int rc = prior ? kp_sweep_meta_merge(prior, prior_len, m, file_traces, file_hops, &s)
                   : kp_sweep_meta_json(m, &s);
    if (rc != 0)
        return rc;
    rc = write_text(mo, s);
    free(s);
    return rc;
}

/* A complete sweep's files get the mode the umask gives. */
void meta_publish(const struct meta_out *mo)
{
    if (mo->f)
        (void)fchmod(fileno(mo->f), mo->done_mode);
    if (mo->tmp && mo->tmp_written)
        (void)fchmod(fileno(mo->tmp), mo->done_mode);
}

/* sweep.json created (or, resumed, opened) and sweep.json.tmp, both 0600
 * and given to od's --user when root drops to it. */
int open_meta(struct meta_out *mo, const char *dir, bool create, const struct kp_outdir *od,
              char *err, size_t errlen)
{
    snprintf(mo->path, sizeof(mo->path), "%s/sweep.json", dir);
    snprintf(mo->tmp_path, sizeof(mo->tmp_path), "%s.tmp", mo->path);
    mode_t mask = umask(0); /* read (no thread runs yet) and put back */
    umask(mask);
    mo->done_mode = 0666 & ~mask;
    mo->give = od->state == KP_OUTDIR_HAND_OVER || od->state == KP_OUTDIR_KEPT;
    mo->uid = od->uid;
    mo->gid = od->gid;
    int fd = create ? open(mo->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                    : open(mo->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && seal(mo, fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    mo->f = fd >= 0 ? fdopen(fd, create ? "w" : "r+") : NULL;
    if (mo->f == NULL && fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    if (mo->f == NULL) {
        snprintf(err, errlen, "%.400s: %s%s", mo->path, strerror(errno),
                 errno == EEXIST ? " (this directory already holds a sweep; choose another --out)"
                                 : "");
        return -1;
    }
    mo->tmp = open_tmp(mo);
    if (mo->tmp == NULL) {
        snprintf(err, errlen, "%.400s: %s", mo->tmp_path, strerror(errno));
        return -1;
    }
    reserve(mo->f);
    reserve(mo->tmp);
    return 0;
}
