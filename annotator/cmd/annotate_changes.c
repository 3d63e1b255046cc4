/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate_changes.c — kpannotate --changes FILE: every decided trace is fed
 * to the change detector of its (vp, prefix, method) (core/verdict/changes.h)
 * and every change it confirms is written to FILE as one JSON line
 * (core/change/event_json.h), the same line `kptrace watch` writes.
 *
 * The detector wants each key's traces in start order. Inputs are read in
 * the order given and a kptrace sweep file holds its traces in completion
 * order: each chunk is fed in start order, so only a trace still running
 * while a later-started one ended in an earlier chunk comes late (by less
 * than its own duration). Inputs given out of time order are counted and
 * said (kp_changes_out_of_order). */
#include "annotator/cmd/annotate_app.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/change/event_json.h"
#include "core/verdict/changes.h"

int kp_annotate_changes_open(struct app *a)
{
    const struct kp_annotate_options *o = a->o;
    if (o->changes == NULL)
        return 0;
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    if (o->change_confirm != 0) {
        p.confirm = o->change_confirm;
        if (p.min_seen > p.confirm)
            p.min_seen = p.confirm;
    }
    int rc = kp_changes_new(&p, &a->chg);
    if (rc != 0) {
        kp_annotate_warn("--changes: %s", rc == -ENOMEM ? "out of memory" : "bad parameters");
        return 3;
    }
    a->chg_out = strcmp(o->changes, "-") == 0 ? stdout : fopen(o->changes, "w");
    if (a->chg_out == NULL) {
        kp_annotate_warn("%s: %s", o->changes, strerror(errno));
        return 3;
    }
    return 0;
}

int kp_annotate_changes_reserve(struct app *a, size_t n)
{
    if (a->chg == NULL || n <= a->cap_chg_obs)
        return 0;
    struct kp_chg_obs *p = realloc(a->chg_obs, n * sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    a->chg_obs = p;
    a->cap_chg_obs = n;
    return 0;
}

/* One item of the chunk in feeding order. */
struct fed {
    int64_t start_ns;
    size_t i;
};

static int by_start(const void *x, const void *y)
{
    const struct fed *a = x, *b = y;
    if (a->start_ns != b->start_ns)
        return a->start_ns < b->start_ns ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i; /* as read, on equal starts */
}

static int write_event(struct app *a, const struct kp_chg_event *ev,
                       const struct kp_changes_key *key, int64_t emitted_ns)
{
    char pfx[KP_CHANGES_PREFIX_LEN];
    char *line = NULL;
    size_t len = 0;
    int rc = kp_chg_event_json(ev, key->vp, kp_changes_prefix_str(key, pfx, sizeof(pfx)),
                               kp_method_name(key->method), emitted_ns, &line, &len);
    if (rc != 0) {
        free(line);
        return rc;
    }
    if (fwrite(line, 1, len, a->chg_out) != len || fputc('\n', a->chg_out) == EOF)
        rc = -EIO;
    free(line);
    return rc;
}

int kp_annotate_changes_chunk(struct app *a, size_t n)
{
    if (a->chg == NULL || n == 0 || a->fatal)
        return a->fatal;
    struct fed *order = malloc(n * sizeof(*order));
    if (order == NULL)
        return a->fatal = -ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = (struct fed){a->chg_obs[i].start_ns, i};
    qsort(order, n, sizeof(*order), by_start);
    for (size_t k = 0; k < n && !a->fatal; k++) {
        const struct item *it = &a->items[order[k].i];
        const struct kp_chg_obs *o = &a->chg_obs[order[k].i];
        struct kp_chg_event ev;
        struct kp_changes_key key;
        int rc = kp_changes_feed(a->chg, &it->t, o, &ev, &key);
        if (rc == 1)
            rc = write_event(a, &ev, &key, o->end_ns);
        if (rc == -ENOMEM) {
            a->fatal = -ENOMEM;
        } else if (rc == -EIO) {
            kp_annotate_warn("%s: write failed", a->o->changes);
            a->fatal = -EIO;
        } else if (rc < 0) { /* no address to key it by (never from the readers) */
            kp_annotate_warn("%s:%lu: trace not fed to the change detector (%s)",
                             kp_annotate_file_name(a, it->file), it->line, strerror(-rc));
        }
    }
    free(order);
    return a->fatal;
}

int kp_annotate_changes_close(struct app *a, int status)
{
    if (a->chg == NULL)
        return status;
    if (a->chg_out != NULL && a->chg_out != stdout && fclose(a->chg_out) != 0) {
        kp_annotate_warn("%s: %s", a->o->changes, strerror(errno));
        status = status < 3 ? 3 : status;
    } else if (a->chg_out == stdout && fflush(stdout) != 0) {
        kp_annotate_warn("stdout: write failed");
        status = status < 3 ? 3 : status;
    }
    a->chg_out = NULL;
    uint64_t late = kp_changes_out_of_order(a->chg);
    if (late > 0)
        kp_annotate_warn("--changes: %llu traces ended before an earlier-read trace of the same "
                         "(vp, prefix, method) started: give the inputs oldest first",
                         (unsigned long long)late);
    return status;
}

void kp_annotate_changes_free(struct app *a)
{
    if (a->chg_out != NULL && a->chg_out != stdout)
        fclose(a->chg_out);
    a->chg_out = NULL;
    kp_changes_free(a->chg);
    a->chg = NULL;
    free(a->chg_obs);
    a->chg_obs = NULL;
}
