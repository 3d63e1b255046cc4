/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist_file.h — reading a --blocklist-file or --allowlist-file.
 *
 * The file (plain text, or gzip) holds one prefix per line in the syntax of
 * kp_bl_parse_line (blocklist.h): "a.b.c.d/len", "x:x::/len" or an address,
 * '#' comments (a comment on a prefix's line becomes the entry's name, shown
 * in refusals), blank lines. An edge of the program: it reads a file.
 */
#ifndef KP_BLOCKLIST_FILE_H
#define KP_BLOCKLIST_FILE_H

#include <stddef.h>

#include "core/plan/blocklist.h"

/* Add every prefix of the file at path to list (KP_BL_BLOCK or KP_BL_ALLOW).
 * 0, or a negative errno with "PATH: reason" or "PATH:LINE: reason" in err
 * (a bad line stops the reading: nothing after it is added). */
int kp_blocklist_load(struct kp_blocklist *bl, enum kp_bl_list list, const char *path, char *err,
                      size_t errlen);

#endif
