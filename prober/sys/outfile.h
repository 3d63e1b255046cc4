/* SPDX-License-Identifier: BSD-2-Clause */
/* outfile.h — open an output file named on the command line (`kptrace trace
 * --pcap FILE`, `--out FILE`) for writing, as root, before the privilege
 * drop, without letting whoever controls the path make root write another
 * file.
 *
 * The rules are those of a sweep's files in its directory (privdrop.h,
 * kp_outdir_check), decided on the open descriptor so that a path swapped
 * between a check and the open cannot redirect it:
 *   - the final name is never followed if it is a symlink (O_NOFOLLOW);
 *   - a name that does not exist is created with O_CREAT|O_EXCL (a link
 *     planted after the check makes the create fail, it is not followed);
 *   - an existing name is opened (O_NONBLOCK: a FIFO or a device cannot hang
 *     it) and used only when, by fstat on that descriptor, it is a regular
 *     file, with one link (not a hard link to another file), belonging to the
 *     user who runs kptrace (the real uid: root when run as root); only then
 *     is it truncated, with ftruncate on the descriptor.
 * Anything else is refused with "PATH: why: refused (...)" in err. The
 * descriptor is written after the drop: the file keeps its owner (the
 * user who ran kptrace), as a sweep's files do. Directories on the way are
 * followed as given: they are the path the user named.
 *
 * Returns the descriptor (O_WRONLY, close-on-exec, blocking) or a negative
 * errno: -ELOOP (a symlink), -EPERM (not a regular file, more than one link,
 * another user's), or the open's own error.
 */
#ifndef KP_OUTFILE_H
#define KP_OUTFILE_H

#include <stddef.h>

int kp_outfile_open(const char *path, char *err, size_t errlen);

#endif
