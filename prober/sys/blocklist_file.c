/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist_file.c — reading --blocklist-file and --allowlist-file into a
 * kp_blocklist (the edge: files; the syntax is kp_bl_parse_line). */
#include "prober/sys/blocklist_file.h"
#include "io/reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/asmap/asmap_int.h"

int kp_list_file_read(const char *path,
                      int (*line)(void *ctx, const char *text, size_t len, char *why,
                                  size_t whylen),
                      void *ctx, unsigned long *lineno, char *err, size_t errlen)
{
    int rc = 0;
    if (errlen > 0)
        err[0] = '\0';
    *lineno = 0;
    struct kp_lines *r = kp_lines_open(path, &rc);
    if (r == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    const char *text;
    size_t len;
    while ((rc = kp_lines_next(r, &text, &len)) == 1) {
        char why[200] = "";
        *lineno = kp_lines_lineno(r);
        if ((rc = line(ctx, text, len, why, sizeof(why))) < 0) {
            if (why[0] != '\0')
                snprintf(err, errlen, "%s:%lu: %s", path, *lineno, why);
            break;
        }
    }
    if (rc < 0 && err[0] == '\0')
        snprintf(err, errlen, "%s: %s", path, rc == -EIO ? "read error" : strerror(-rc));
    kp_lines_close(r);
    return rc < 0 ? rc : 0;
}

struct load {
    struct kp_blocklist *bl;
    enum kp_bl_list list;
    const char *path;
    unsigned long lineno;
};

/* One line of a blocklist or allowlist file. */
static int load_line(void *ctx, const char *text, size_t len, char *why, size_t whylen)
{
    struct load *l = ctx;
    struct kp_prefix p;
    const char *comment;
    size_t clen;
    int k = kp_bl_parse_line(text, len, &p, &comment, &clen, why, whylen);
    if (k <= 0)
        return k;
    int rc = kp_blocklist_add(l->bl, l->list, &p, comment, clen, l->path, l->lineno);
    if (rc != 0)
        snprintf(why, whylen, "%s", strerror(-rc));
    return rc;
}

int kp_blocklist_load(struct kp_blocklist *bl, enum kp_bl_list list, const char *path, char *err,
                      size_t errlen)
{
    struct load l = {bl, list, path, 0};
    return kp_list_file_read(path, load_line, &l, &l.lineno, err, errlen);
}
