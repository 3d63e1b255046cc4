/* SPDX-License-Identifier: BSD-2-Clause */
/* privdrop.c — drop root to an unprivileged user. See privdrop.h. */
#include "prober/sys/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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
