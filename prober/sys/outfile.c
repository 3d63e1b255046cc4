/* SPDX-License-Identifier: BSD-2-Clause */
/* outfile.c — open a command-line output file without following a link
 * planted in its place. See outfile.h. */
#include "prober/sys/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KP_OUTFILE_HOW "kptrace writes only a new file or a regular file of its own"

static int refuse(char *err, size_t errlen, const char *path, const char *why, int rc)
{
    snprintf(err, errlen,
             "%.400s: %s: refused (" KP_OUTFILE_HOW "; remove it or choose another name)", path,
             why);
    return rc;
}

/* The checks on what an existing name turned out to be (lstat before the
 * open, fstat after it). 0, or the refusal. */
static int check(const struct stat *st, const char *path, char *err, size_t errlen)
{
    char why[96];
    if (S_ISLNK(st->st_mode))
        return refuse(err, errlen, path, "a symlink", -ELOOP);
    if (!S_ISREG(st->st_mode))
        return refuse(err, errlen, path, "not a regular file", -EPERM);
    if (st->st_nlink != 1)
        return refuse(err, errlen, path, "a file with more than one link", -EPERM);
    if (st->st_uid != getuid()) {
        snprintf(why, sizeof(why), "belongs to uid %u, not to uid %u who runs kptrace",
                 (unsigned)st->st_uid, (unsigned)getuid());
        return refuse(err, errlen, path, why, -EPERM);
    }
    return 0;
}

int kp_outfile_open(const char *path, char *err, size_t errlen)
{
    /* A name removed or created between two steps: start again (a few times;
     * a path that keeps changing is an error). */
    for (int tries = 0;; tries++) {
        if (tries == 8) {
            snprintf(err, errlen, "%.400s: created and removed again while kptrace opened it",
                     path);
            return -EAGAIN;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            break;
        struct stat st;
        if (lstat(path, &st) != 0) {
            if (errno == ENOENT)
                continue;
            break;
        }
        int rc = check(&st, path, err, errlen);
        if (rc != 0)
            return rc;
        fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;
            if (errno == ELOOP)
                return refuse(err, errlen, path, "a symlink", -ELOOP);
            if (errno == ENXIO) /* a FIFO with no reader, swapped in since the lstat */
                return refuse(err, errlen, path, "not a regular file", -EPERM);
            break;
        }
        /* what was opened decides, not what the name was a moment ago */
        if (fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            snprintf(err, errlen, "%.400s: %s", path, strerror(e));
            return -e;
        }
        if ((rc = check(&st, path, err, errlen)) != 0) {
            close(fd);
            return rc;
        }
        int fl = fcntl(fd, F_GETFL);
        if (ftruncate(fd, 0) != 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
            int e = errno;
            close(fd);
            snprintf(err, errlen, "%.400s: %s", path, strerror(e));
            return -e;
        }
        return fd;
    }
    int e = errno;
    snprintf(err, errlen, "%.400s: %s", path, strerror(e));
    return -e;
}
