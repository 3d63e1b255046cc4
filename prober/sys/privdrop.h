/* SPDX-License-Identifier: BSD-2-Clause */
/* privdrop.h — give up root for good once the raw socket, the capture handle
 * and every output file are open.
 *
 * kp_privdrop(user): setgroups to the user's primary group only, setgid,
 * setuid (real, effective and saved ids all change), PR_SET_NO_NEW_PRIVS, and
 * then checks that root cannot be regained (setuid(0) and setgid(0) must
 * fail, no id may be 0). Open descriptors stay usable. Returns 0, -ENOENT
 * (no such user), -EPERM (a step failed or root could be regained: the caller
 * must stop), with a message in err. When not running as root it does
 * nothing and returns 1.
 *
 * The output directory (struct kp_outdir): after the drop, kptrace still
 * creates and renames files in it (sweep.json.tmp over sweep.json, watch's
 * checkpoint and hourly directories), so the user it drops to must be able
 * to write it; and before the drop, root opens files in it, so nobody but
 * root may change it then. kp_outdir_open() opens the directory and
 * decides, before any file is opened in it:
 *   - not root, or --user is root: nothing changes (KP_OUTDIR_OWN);
 *   - it belongs to --user (a resumed sweep's, a restarted watch's): root
 *     takes it back at once (fchown to root), so that --user cannot swap a
 *     file for a link while root opens them; it is given again before the
 *     drop (KP_OUTDIR_HAND_OVER);
 *   - it belongs to root, no one else may write it, and it is empty and not
 *     reached through a symlink (a directory kptrace just created, or an
 *     empty one made for it): it is given to --user (its uid and primary
 *     gid) by kp_outdir_hand_over(), called once the files are open, right
 *     before kp_privdrop() (KP_OUTDIR_HAND_OVER);
 *   - it belongs to root, no one else may write it, and it holds files or
 *     is named through a symlink: its owner is never changed
 *     (KP_OUTDIR_KEPT); the caller copes without writing it after the drop;
 *   - it belongs to another user, or root's is group- or world-writable
 *     without the sticky bit: refused (-EPERM), as root must not open files
 *     where someone else can plant links (in a sticky one, /tmp-like, the
 *     kernel's fs.protected_symlinks and protected_hardlinks stop links
 *     planted by others from being followed).
 * Ownership is decided on the open descriptor (fstat, its entries read
 * through it) and changed with fchown on it: a path swapped between the
 * check and the change cannot redirect it. kp_outdir_check() then refuses
 * a name in it that is not a regular file with one link (a planted symlink
 * or hard link); with root alone able to change the directory, what it
 * checked stays so while root opens the files by name.
 */
#ifndef KP_PRIVDROP_H
#define KP_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

int kp_privdrop(const char *user, char *err, size_t errlen);

enum kp_outdir_state {
    KP_OUTDIR_OWN,       /* no privilege drop: the running user's rights apply */
    KP_OUTDIR_HAND_OVER, /* root's now, given to --user before the drop */
    KP_OUTDIR_USERS,     /* given to --user (after kp_outdir_hand_over) */
    KP_OUTDIR_KEPT,      /* root's, not ours to give: --user cannot write it */
};

struct kp_outdir {
    int fd; /* the directory (O_DIRECTORY, close-on-exec); -1 when not open */
    enum kp_outdir_state state;
    uid_t uid; /* --user's, for KP_OUTDIR_HAND_OVER */
    gid_t gid;
    int taken; /* taken back from --user (given back by kp_outdir_close if not yet given) */
};

/* Open PATH (a directory that exists) and decide as above. 0, or -errno
 * with "PATH: reason" or "--user NAME: no such user" in err; d->fd is
 * open on success only. */
int kp_outdir_open(struct kp_outdir *d, const char *path, const char *user, char *err,
                   size_t errlen);

/* For KP_OUTDIR_HAND_OVER: fchown the directory to --user (state becomes
 * KP_OUTDIR_USERS); otherwise nothing. 0, or -errno with a message. */
int kp_outdir_hand_over(struct kp_outdir *d, const char *path, char *err, size_t errlen);

/* NAME in the directory is absent or a regular file with one link (not
 * checked for KP_OUTDIR_OWN). 0, or -EPERM/-errno with "PATH/NAME: ..." in
 * err. */
int kp_outdir_check(const struct kp_outdir *d, const char *path, const char *name, char *err,
                    size_t errlen);

/* Close the directory; one taken back from --user and not given again (an
 * error came first) is given back first, as it was. */
void kp_outdir_close(struct kp_outdir *d);

#endif
