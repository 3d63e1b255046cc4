/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist_file.c — reading --blocklist-file and --allowlist-file into a
 * kp_blocklist (the edge: files; the syntax is kp_bl_parse_line). */
#include "prober/sys/blocklist_file.h"
#include "io/reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/asmap/asmap_int.h"

int kp_blocklist_load(struct kp_blocklist *bl, enum kp_bl_list list, const char *path, char *err,
                      size_t errlen)
{
    int rc = 0;
    if (errlen > 0)
        err[0] = '\0';
    struct kp_lines *r = kp_lines_open(path, &rc);
    if (r == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    const char *line;
    size_t len;
    while ((rc = kp_lines_next(r, &line, &len)) == 1) {
        struct kp_prefix p;
        const char *comment;
        size_t clen;
        char why[200];
        int k = kp_bl_parse_line(line, len, &p, &comment, &clen, why, sizeof(why));
        if (k < 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(r), why);
            rc = k;
            break;
        }
        if (k == 0)
            continue;
        if ((rc = kp_blocklist_add(bl, list, &p, comment, clen, path, kp_lines_lineno(r))) != 0) {
            snprintf(err, errlen, "%s:%lu: %s", path, kp_lines_lineno(r), strerror(-rc));
            break;
        }
    }
    if (rc < 0 && err[0] == '\0')
        snprintf(err, errlen, "%s: %s", path, rc == -EIO ? "read error" : strerror(-rc));
    kp_lines_close(r);
    return rc < 0 ? rc : 0;
}
