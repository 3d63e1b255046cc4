/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist_file.h — reading the list files: --blocklist-file and
 * --allowlist-file, and (through kp_list_file_read) --targets-file.
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

/* Read the text file at path (plain, gzip or bzip2: io/reader.h) line by
 * line, handing each to line(ctx, text, len, why, whylen): 0 to go on, or a
 * negative errno to stop, with the reason in why (or why left empty). Returns
 * 0, or the negative errno with "PATH: reason" (the file cannot be opened or
 * read; *lineno is the last line read, 0 when none) or "PATH:LINE: reason"
 * in err. The one reading loop of the list files. */
int kp_list_file_read(const char *path,
                      int (*line)(void *ctx, const char *text, size_t len, char *why,
                                  size_t whylen),
                      void *ctx, unsigned long *lineno, char *err, size_t errlen);

/* Add every prefix of the file at path to list (KP_BL_BLOCK or KP_BL_ALLOW).
 * 0, or a negative errno with "PATH: reason" or "PATH:LINE: reason" in err
 * (a bad line stops the reading: nothing after it is added). */
int kp_blocklist_load(struct kp_blocklist *bl, enum kp_bl_list list, const char *path, char *err,
                      size_t errlen);

#endif
