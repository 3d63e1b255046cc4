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
 */
#ifndef KP_PRIVDROP_H
#define KP_PRIVDROP_H

#include <stddef.h>

int kp_privdrop(const char *user, char *err, size_t errlen);

#endif
