/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_state.c — the checkpoint of `kptrace watch` (DIR/state), the
 * restart from it, and the status file (DIR/status). See watch_files.c for
 * the order of the writes and docs/watch.md for the guarantees.
 *
 * DIR/state, text:
 *   kptrace-watch-state 1
 *   seed N               the identity key's seed of the hour below (kept: a
 *                        restart within that hour goes on with it, as one
 *                        hour's capture is checked with one key)
 *   next_id N            the first trace id not used by a checkpointed round
 *   round N
 *   hour YYYYmmddTHHZ    the hour of the seed (the hourly directory of the
 *                        last round, or of the next one once its seed is
 *                        drawn), - none yet
 *   net A.B.C.0 PICKS GOOD1,GOOD2,...   (GOOD: answering addresses, or -)
 *   key A.B.C.0/24 METHOD TRACES EVENTS TRACKER   (kp_chg_track_save: the
 *                        rest of the line)
 *   end
 * A key or /24 the targets no longer hold is ignored; a new one starts in
 * warm-up. A state without its "end" line is refused (never happens: it
 * is renamed into place whole). The file is mode 0600: it holds the key in
 * use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/record/trace_json.h"
#include "io/reader.h"
#include "prober/cmd/watch.h"

#define STATE_MAGIC "kptrace-watch-state 1"

struct buf {
    char *s;
    size_t n, cap;
    bool oom;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = b->oom ? 0 : vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (b->oom)
            return;
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)k + 256;
        char *x = realloc(b->s, cap);
        if (x == NULL) {
            b->oom = true;
            return;
        }
        b->s = x;
        b->cap = cap;
    }
}

static const char *ip4(uint32_t a, char *b, size_t n)
{
    snprintf(b, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return b;
}

static int write_whole(int dirfd, const char *name, const struct buf *b, mode_t mode)
{
    return watch_replace_file(dirfd, name, b->s, b->n, mode);
}

int watch_checkpoint(struct watch *w)
{
    struct buf b = {0};
    char a[20], line[8192];
    bprintf(&b, "%s\nseed %llu\nnext_id %u\nround %llu\nhour %s\n", STATE_MAGIC,
            (unsigned long long)w->seed, w->next_id, (unsigned long long)w->round,
            w->seed_hour[0] ? w->seed_hour : "-");
    for (size_t i = 0; i < w->n_nets; i++) {
        const struct kp_pick_net *n = &w->nets[i];
        bprintf(&b, "net %s %u ", ip4(n->net, a, sizeof(a)), n->picks);
        for (unsigned g = 0; g < n->n_good; g++)
            bprintf(&b, "%s%s", g ? "," : "", ip4(n->good[g], a, sizeof(a)));
        bprintf(&b, "%s\n", n->n_good ? "" : "-");
    }
    for (size_t k = 0; k < w->n_keys; k++) {
        int len = kp_chg_track_save(&w->keys[k].tr, line, sizeof(line));
        if (len < 0 || (size_t)len >= sizeof(line)) {
            free(b.s);
            snprintf(w->err, sizeof(w->err), "a tracker's checkpoint line is too long");
            return -1;
        }
        char pfx[32];
        bprintf(&b, "key %s %s %llu %llu %s\n", watch_prefix(w, k, pfx, sizeof(pfx)),
                kp_method_name(w->o.methods[k % w->o.n_methods]),
                (unsigned long long)w->keys[k].traces, (unsigned long long)w->keys[k].events, line);
    }
    bprintf(&b, "end\n");
    int rc = b.oom ? -ENOMEM : write_whole(w->dirfd, "state", &b, WATCH_PRIVATE);
    free(b.s);
    if (rc != 0) {
        snprintf(w->err, sizeof(w->err), "%.400s/state: %s", w->o.out, strerror(-rc));
        return -1;
    }
    return 0;
}

static struct kp_pick_net *find_net(struct watch *w, uint32_t net)
{
    size_t lo = 0, hi = w->n_nets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->nets[mid].net == net)
            return &w->nets[mid];
        if (w->nets[mid].net < net)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int method_index(const struct watch *w, const char *name)
{
    for (unsigned i = 0; i < w->o.n_methods; i++)
        if (strcmp(kp_method_name(w->o.methods[i]), name) == 0)
            return (int)i;
    return -1;
}

static uint32_t parse_ip(const char *s)
{
    unsigned a, b, c, d;
    if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
        return 0;
    return a << 24 | b << 16 | c << 8 | d;
}

static void restore_net(struct watch *w, char *rest)
{
    char ip[32], good[1024];
    unsigned picks;
    if (sscanf(rest, "%31s %u %1023s", ip, &picks, good) != 3)
        return;
    struct kp_pick_net *n = find_net(w, parse_ip(ip));
    if (n == NULL)
        return;
    n->picks = picks;
    n->n_good = n->next_good = 0;
    char *save = NULL;
    for (char *t = strtok_r(good, ",", &save); t; t = strtok_r(NULL, ",", &save))
        kp_pick_restore_good(n, parse_ip(t));
}

static int restore_key(struct watch *w, char *rest)
{
    char pfx[40], meth[32];
    unsigned long long traces, events;
    int off = -1, rc = 0;
    /* the tracker's line is the rest of the line (it may hold spaces) */
    if (sscanf(rest, "%39s %31s %llu %llu %n", pfx, meth, &traces, &events, &off) == 4 && off > 0) {
        const char *tracker = rest + off;
        char *slash = strchr(pfx, '/');
        if (slash)
            *slash = '\0';
        struct kp_pick_net *n = find_net(w, parse_ip(pfx));
        int mi = method_index(w, meth);
        if (n != NULL && mi >= 0) {
            size_t k = (size_t)(n - w->nets) * w->o.n_methods + (size_t)mi;
            if (kp_chg_track_load(&w->keys[k].tr, tracker, strlen(tracker)) != 0)
                rc = -EBADMSG;
            w->keys[k].traces = traces;
            w->keys[k].events = events;
        }
    } else {
        rc = -EBADMSG;
    }
    return rc;
}

/* The events already written: those a replay may emit again. */
static void load_seen(struct watch *w)
{
    int rc;
    char p[4200];
    snprintf(p, sizeof(p), "%s/events.jsonl", w->o.out);
    struct kp_lines *r = kp_lines_open(p, &rc);
    if (r == NULL)
        return;
    const char *line;
    size_t len;
    while (kp_lines_next(r, &line, &len) > 0) {
        json_t *j = json_loadb(line, len, 0, NULL);
        const char *pfx = json_string_value(json_object_get(j, "prefix"));
        const char *meth = json_string_value(json_object_get(j, "method"));
        json_t *tr = json_array_get(json_object_get(j, "traces"), 0);
        struct kp_pick_net *n = pfx ? find_net(w, parse_ip(pfx)) : NULL;
        int mi = meth ? method_index(w, meth) : -1;
        if (n && mi >= 0 && json_is_integer(tr)) {
            struct watch_seen *x = realloc(w->seen, (w->n_seen + 1) * sizeof(*x));
            if (x != NULL) {
                w->seen = x;
                w->seen[w->n_seen++] =
                    (struct watch_seen){n->net, (uint8_t)mi, (uint64_t)json_integer_value(tr)};
            }
        }
        json_decref(j);
    }
    kp_lines_close(r);
}

/* DIR/state, when there is one. 0, or -1 with w->err. */
int watch_restore(struct watch *w)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/state", w->o.out);
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return errno == ENOENT
                   ? 0
                   : (snprintf(w->err, sizeof(w->err), "%.400s: %s", p, strerror(errno)), -1);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    bool magic = false, end = false;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        unsigned long long v;
        char h[32];
        if (lineno == 1)
            magic = strcmp(line, STATE_MAGIC) == 0;
        else if (sscanf(line, "seed %llu", &v) == 1)
            w->seed = v, w->seed_restored = true;
        else if (sscanf(line, "next_id %llu", &v) == 1)
            w->restored_next_id = (uint32_t)v;
        else if (sscanf(line, "round %llu", &v) == 1)
            w->round = v;
        else if (sscanf(line, "hour %31s", h) == 1) /* the seed's; "-" none */
            snprintf(w->seed_hour, sizeof(w->seed_hour), "%s", strcmp(h, "-") ? h : "");
        else if (strncmp(line, "net ", 4) == 0)
            restore_net(w, line + 4);
        else if (strncmp(line, "key ", 4) == 0)
            rc = restore_key(w, line + 4);
        else if (strcmp(line, "end") == 0)
            end = true;
        if (!magic)
            break;
    }
    free(line);
    fclose(f);
    if (!magic || !end || rc != 0) {
        snprintf(w->err, sizeof(w->err), "%.400s:%lu: not a kptrace watch checkpoint%s", p, lineno,
                 rc ? " (a tracker line is damaged)" : "");
        return -1;
    }
    load_seen(w);
    return 0;
}

/* The traces written after the checkpoint (ids >= its next_id, in the two
 * newest hourly directories): fed again, in the order they started. */
int watch_replay_tail(struct watch *w, int (*feed)(struct watch *w, struct kp_trace *t))
{
    if (w->restored_next_id == 0)
        return 0;
    char last[2][32] = {"", ""};
    DIR *d = opendir(w->o.out);
    if (d == NULL)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strlen(de->d_name) != 12 || de->d_name[8] != 'T' || de->d_name[11] != 'Z')
            continue;
        if (strcmp(de->d_name, last[0]) > 0) {
            memcpy(last[1], last[0], sizeof(last[1]));
            snprintf(last[0], sizeof(last[0]), "%s", de->d_name);
        } else if (strcmp(de->d_name, last[1]) > 0) {
            snprintf(last[1], sizeof(last[1]), "%s", de->d_name);
        }
    }
    closedir(d);
    for (int i = 1; i >= 0; i--) {
        if (last[i][0] == '\0')
            continue;
        char p[4300];
        snprintf(p, sizeof(p), "%s/%s/traces.jsonl", w->o.out, last[i]);
        int rc;
        struct kp_lines *r = kp_lines_open(p, &rc);
        if (r == NULL)
            continue;
        const char *line;
        size_t len;
        while (kp_lines_next(r, &line, &len) > 0) {
            struct kp_trace t;
            if (kp_trace_json_parse(line, len, &t, NULL) != 0)
                continue;
            if (t.id >= w->restored_next_id && t.id < UINT32_MAX)
                rc = feed(w, &t);
            kp_trace_free(&t);
            if (rc < 0) {
                kp_lines_close(r);
                return -1;
            }
        }
        kp_lines_close(r);
    }
    return 0;
}

/* DIR/status (and stderr when asked): one line per key. */
void watch_status(struct watch *w, bool to_stderr)
{
    struct buf b = {0};
    char pfx[32];
    bprintf(&b, "# round %llu, %llu traces, %llu events\n", (unsigned long long)w->round,
            (unsigned long long)w->total_traces, (unsigned long long)w->total_events);
    bprintf(&b, "# prefix method phase transits status traces events wanted\n");
    for (size_t k = 0; k < w->n_keys; k++) {
        const struct kp_chg_track *t = &w->keys[k].tr;
        const struct kp_chg_state *s = kp_chg_current(t);
        bprintf(&b, "%s %s %s ", watch_prefix(w, k, pfx, sizeof(pfx)),
                kp_method_name(w->o.methods[k % w->o.n_methods]),
                kp_chg_phase_name(kp_chg_phase(t)));
        if (s == NULL || s->n == 0)
            bprintf(&b, "-");
        for (unsigned i = 0; s && i < s->n; i++)
            bprintf(&b, "%s%u", i ? "," : "", s->transits[i]);
        bprintf(&b, " %s %llu %llu %u\n", s ? kp_chg_status_name(s->status) : "-",
                (unsigned long long)w->keys[k].traces, (unsigned long long)w->keys[k].events,
                kp_chg_wanted(t, &w->cp));
    }
    if (!b.oom) {
        (void)write_whole(w->dirfd, "status", &b, WATCH_PUBLIC);
        if (to_stderr)
            fwrite(b.s, 1, b.n, stderr);
    }
    free(b.s);
}
