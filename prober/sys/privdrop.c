/* SPDX-License-Identifier: BSD-2-Clause */
/* privdrop.c — drop root to an unprivileged user, and hand it the output
 * directory. See privdrop.h. */
#include "prober/sys/privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int kp_privdrop(const char *user, char *err, size_t errlen)
{
    if (getuid() != 0 && geteuid() != 0)
        return 1;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen, "--user %s: no such user", user);
        return -ENOENT;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "--user %s: has uid 0, that is not dropping root", user);
        return -EPERM;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        snprintf(err, errlen, "dropping root to %s: %s", user, strerror(errno));
        return -EPERM;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -EPERM;
    }
    uid_t r, e, s;
    gid_t gr, ge, gs;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&gr, &ge, &gs) != 0 || r == 0 || e == 0 || s == 0 ||
        gr == 0 || ge == 0 || gs == 0) {
        snprintf(err, errlen, "dropping root to %s: an id is still 0", user);
        return -EPERM;
    }
    if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
        snprintf(err, errlen, "dropping root to %s: root could be regained", user);
        return -EPERM;
    }
    return 0;
}

/* Whether the directory open as fd has no entry but . and .. (read through a
 * descriptor of its own: fd's offset is left alone). 1, 0, or -errno. */
static int dir_empty(int fd)
{
    int d2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d2 < 0)
        return -errno;
    DIR *dp = fdopendir(d2);
    if (dp == NULL) {
        int e = errno;
        close(d2);
        return -e;
    }
    int empty = 1;
    struct dirent *de;
    errno = 0;
    while (empty && (de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    int rc = empty && errno != 0 ? -errno : empty;
    closedir(dp);
    return rc;
}

int kp_outdir_open(struct kp_outdir *d, const char *path, const char *user, char *err,
                   size_t errlen)
{
    d->fd = -1;
    d->state = KP_OUTDIR_KEPT;
    d->taken = 0;
    bool via_link = false;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP) { /* the path ends in a symlink: used, never handed over */
        via_link = true;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%.400s: %s", path, strerror(e));
        return -e;
    }
    if (getuid() != 0 && geteuid() != 0) {
        d->fd = fd;
        d->state = KP_OUTDIR_OWN;
        return 0;
    }
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen, "--user %s: no such user", user);
        close(fd);
        return -ENOENT;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%.400s: %s", path, strerror(-rc));
    } else if (pw->pw_uid == 0) { /* kp_privdrop refuses it */
        d->state = KP_OUTDIR_OWN;
    } else if (st.st_uid == pw->pw_uid) {
        /* taken back while root opens files in it; given again before the drop */
        if (fchown(fd, geteuid(), getegid()) != 0) {
            rc = -errno;
            snprintf(err, errlen, "%.400s: taking it back from --user %s: %s", path, user,
                     strerror(-rc));
        }
        d->state = KP_OUTDIR_HAND_OVER;
        d->taken = 1;
    } else if (st.st_uid != geteuid()) {
        rc = -EPERM;
        snprintf(err, errlen,
                 "%.400s: belongs to uid %u, neither root nor --user %s: kptrace, as root, opens "
                 "files only where no other user can plant a link (chown it, or choose a new "
                 "--out)",
                 path, (unsigned)st.st_uid, user);
    } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
        rc = -EPERM;
        snprintf(err, errlen,
                 "%.400s: group- or world-writable without the sticky bit: kptrace, as root, "
                 "opens files only where no other user can plant a link (chmod go-w it, or "
                 "choose a new --out)",
                 path);
    } else if (!via_link && dir_empty(fd) == 1) {
        d->state = KP_OUTDIR_HAND_OVER;
    }
    if (rc != 0) {
        close(fd);
        return rc;
    }
    d->fd = fd;
    d->uid = pw->pw_uid;
    d->gid = pw->pw_gid;
    return 0;
}

int kp_outdir_check(const struct kp_outdir *d, const char *path, const char *name, char *err,
                    size_t errlen)
{
    if (d->state == KP_OUTDIR_OWN)
        return 0;
    struct stat st;
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        int e = errno;
        snprintf(err, errlen, "%.400s/%s: %s", path, name, strerror(e));
        return -e;
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
        snprintf(err, errlen, "%.400s/%s: %s: refused (kptrace, as root, opens only its own files)",
                 path, name,
                 S_ISLNK(st.st_mode)    ? "a symlink"
                 : !S_ISREG(st.st_mode) ? "not a regular file"
                                        : "a file with more than one link");
        return -EPERM;
    }
    return 0;
}

int kp_outdir_hand_over(struct kp_outdir *d, const char *path, char *err, size_t errlen)
{
    if (d->state != KP_OUTDIR_HAND_OVER)
        return 0;
    if (fchown(d->fd, d->uid, d->gid) != 0) {
        int e = errno;
        snprintf(err, errlen, "%.400s: giving it to --user: %s", path, strerror(e));
        return -e;
    }
    d->state = KP_OUTDIR_USERS;
    return 0;
}

void kp_outdir_close(struct kp_outdir *d)
{
    if (d->fd >= 0 && d->taken && d->state == KP_OUTDIR_HAND_OVER)
        (void)kp_outdir_hand_over(d, "", NULL, 0);
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}
