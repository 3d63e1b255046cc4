/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_files.c — the files of `kptrace watch` (docs/watch.md):
 *
 *   DIR/events.jsonl          one line per change: one write(2), then fsync
 *   DIR/state                 the checkpoint after every round: every key's
 *                             tracker line, the /24s' answering addresses,
 *                             the next trace id (written to state.tmp,
 *                             fsync'd, renamed over state, DIR fsync'd)
 *   DIR/status                per-key state for people (after every round)
 *   DIR/YYYYmmddTHHZ/         the hour's traces.jsonl, capture.pcap,
 *                             sweep.json (as a sweep's: replay, kpannotate)
 *
 * Each hour has its own seed, the identity key's (watch_hour): the files
 * that hold a seed still in use (state; the hour's sweep.json until the
 * hour is complete) are mode 0600, so that no one but the user watch runs
 * as learns the key while probes carry it; a complete hour's sweep.json
 * gets 0644 less the umask, as its key is used no more.
 *
 * Order of a round's writes: its traces (as they finish), fsync; its events
 * (each fsync'd); then the checkpoint that holds the trackers after them.
 * A crash anywhere leaves a checkpoint older than some traces and maybe
 * some events: the restart feeds the traces with ids at or beyond the
 * checkpoint's next id again (watch_replay_tail), which gives the same
 * events again, and drops those events.jsonl already holds (watch_seen). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/change/event_json.h"
#include "core/codec/seed.h"
#include "core/record/trace_json.h"
#include "prober/cmd/cmd_common.h"
#include "prober/cmd/sweep_resume.h"
#include "prober/cmd/watch.h"
#include "prober/sys/rtsched.h"
#include "prober/sys/privdrop.h"

static int wfail(struct watch *w, const char *what, int e)
{
    snprintf(w->err, sizeof(w->err), "%.300s/%.300s: %s", w->o.out, what, strerror(e));
    return -1;
}

/* The hour's capture.pcap as a restart finds it: a run killed in the middle
 * of a frame (kill -9 with frames in the stdio buffer, a full disk) leaves a
 * cut record at its end, and frames appended after it would make the rest of
 * the file unreadable. Cut it back to its last whole record, as
 * `sweep --resume` does (kp_resume_pcap_tail), or to nothing when not even
 * the file header is whole. 0, or -1 with w->err set. */
static int cut_fail(struct watch *w, int e)
{
    snprintf(w->err, sizeof(w->err), "%.400s: %s", w->pcap_path, strerror(e));
    return -1;
}

static int cut_capture(struct watch *w)
{
    int fd = open(w->pcap_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : cut_fail(w, errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno ? errno : EINVAL;
        close(fd);
        return cut_fail(w, e);
    }
    uint64_t good_end = 0, frames = 0, size = (uint64_t)st.st_size;
    if (size >= 24) {
        int rfd = dup(fd);
        FILE *f = rfd >= 0 ? fdopen(rfd, "rb") : NULL;
        if (f == NULL) {
            int e = errno;
            if (rfd >= 0)
                close(rfd);
            close(fd);
            return cut_fail(w, e);
        }
        char e2[256];
        int rc = kp_resume_pcap_tail(f, &good_end, &frames, &size, e2, sizeof(e2));
        fclose(f);
        if (rc != 0) {
            close(fd);
            snprintf(w->err, sizeof(w->err), "%.400s: %s", w->pcap_path, e2);
            return -1;
        }
    }
    if (good_end < size) {
        if (ftruncate(fd, (off_t)good_end) != 0) {
            int e = errno;
            close(fd);
            return cut_fail(w, e);
        }
        fprintf(stderr,
                "kptrace watch: %s: the last record was cut (%llu bytes after frame %llu): "
                "removed\n",
                w->pcap_path, (unsigned long long)(size - good_end), (unsigned long long)frames);
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? -errno : -EIO;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Cut an appended file back to its last complete line (a crash in the
 * middle of a write). Returns the size kept, or -1. */
static off_t cut_to_line(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    off_t end = st.st_size;
    char c;
    while (end > 0 && pread(fd, &c, 1, end - 1) == 1 && c != '\n')
        end--;
    if (end != st.st_size && ftruncate(fd, end) != 0)
        return -1;
    return end;
}

int watch_replace_file(int dirfd, const char *name, const char *text, size_t len, mode_t mode)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    /* created anew: one a crash left keeps its mode through O_TRUNC */
    if (unlinkat(dirfd, tmp, 0) != 0 && errno != ENOENT)
        return -errno;
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, text, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
        rc = -errno;
    if (rc == 0)
        fsync(dirfd);
    return rc;
}

/* The output directory and events.jsonl (locked: one watch per DIR).
 * --user must write DIR, as the checkpoint and the hourly directories are
 * created after the privileges are dropped: DIR is one --user owns already
 * (taken back while root reads the checkpoint and events.jsonl), one watch
 * creates, or an empty one of root's (privdrop.h), given to --user right
 * before the drop (start()). An earlier run's state and status, when a run
 * under another --user made them, are given to --user. Before the
 * privileges are dropped. */
int watch_open_dir(struct watch *w)
{
    static const char *const own[] = {"state", "status"};
    mode_t mask = umask(0); /* read (no thread runs yet) and put back */
    umask(mask);
    w->file_mode = WATCH_PUBLIC & ~mask;
    if (mkdir(w->o.out, 0755) != 0 && errno != EEXIST)
        return wfail(w, "", errno);
    struct kp_outdir *od = &w->outdir;
    if (kp_outdir_open(od, w->o.out, w->o.user, w->err, sizeof(w->err)) != 0)
        return -1;
    w->dirfd = od->fd;
    if (od->state == KP_OUTDIR_KEPT) {
        snprintf(w->err, sizeof(w->err),
                 "%.400s: --user %s cannot write it, and kptrace gives --user only a directory "
                 "it creates or an empty one (this one holds files or is a symlink): choose a "
                 "new --out, or chown it to %s",
                 w->o.out, w->o.user, w->o.user);
        return -1;
    }
    const char *names[] = {"events.jsonl", own[0], own[1]};
    for (int i = 0; i < 3; i++)
        if (kp_outdir_check(od, w->o.out, names[i], w->err, sizeof(w->err)) != 0)
            return -1;
    w->events_fd =
        openat(w->dirfd, "events.jsonl", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (w->events_fd < 0)
        return wfail(w, "events.jsonl", errno);
    if (flock(w->events_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(w->err, sizeof(w->err), "%.400s: another kptrace watch runs on this directory",
                 w->o.out);
        return -1;
    }
    if (cut_to_line(w->events_fd) < 0)
        return wfail(w, "events.jsonl", errno);
    if (od->state == KP_OUTDIR_HAND_OVER)
        for (int i = 0; i < 2; i++) /* checked above: absent or a regular file */
            if (fchownat(w->dirfd, own[i], od->uid, od->gid, AT_SYMLINK_NOFOLLOW) != 0 &&
                errno != ENOENT)
                return wfail(w, own[i], errno);
    return 0;
}

void watch_stats_add(struct kp_engine_stats *s, const struct kp_engine_stats *r)
{
    uint64_t *const sum[] = {&s->jobs,
                             &s->started,
                             &s->done,
                             &s->probes_sent,
                             &s->send_errors,
                             &s->send_retries,
                             &s->send_faults,
                             &s->probes_at_fault,
                             &s->probes_saved,
                             &s->traces_written,
                             &s->records_unplanned,
                             &s->skipped_not_started,
                             &s->skipped_not_sent,
                             &s->skipped_not_captured,
                             &s->capture_write_errors,
                             &s->rx_probes,
                             &s->rx_probes_foreign,
                             &s->rx_replies_in,
                             &s->rx_replies,
                             &s->rx_unmatched,
                             &s->rx_rejected,
                             &s->rx_late,
                             &s->rx_replies_ignored,
                             &s->rx_traces_split,
                             &s->rx_traces_forced,
                             &s->frames};
    const uint64_t *const add[] = {&r->jobs,
                                   &r->started,
                                   &r->done,
                                   &r->probes_sent,
                                   &r->send_errors,
                                   &r->send_retries,
                                   &r->send_faults,
                                   &r->probes_at_fault,
                                   &r->probes_saved,
                                   &r->traces_written,
                                   &r->records_unplanned,
                                   &r->skipped_not_started,
                                   &r->skipped_not_sent,
                                   &r->skipped_not_captured,
                                   &r->capture_write_errors,
                                   &r->rx_probes,
                                   &r->rx_probes_foreign,
                                   &r->rx_replies_in,
                                   &r->rx_replies,
                                   &r->rx_unmatched,
                                   &r->rx_rejected,
                                   &r->rx_late,
                                   &r->rx_replies_ignored,
                                   &r->rx_traces_split,
                                   &r->rx_traces_forced,
                                   &r->frames};
    for (size_t i = 0; i < sizeof(sum) / sizeof(sum[0]); i++)
        *sum[i] += *add[i];
    for (size_t i = 0; i < KP_ENGINE_ERRNO_MAX; i++)
        s->send_errno[i] += r->send_errno[i];
    s->send_fault_ns += r->send_fault_ns;
    if (r->send_fault_max_ns > s->send_fault_max_ns)
        s->send_fault_max_ns = r->send_fault_max_ns;
    if (r->active_max > s->active_max)
        s->active_max = r->active_max;
    if (r->late_end_ns > s->late_end_ns) /* the longest of the hour's rounds */
        s->late_end_ns = r->late_end_ns;
    /* cumulative over the capture's life: the latest */
    s->cap_errors = r->cap_errors;
    s->cap_reopens = r->cap_reopens;
    s->cap_gaps = r->cap_gaps;
    s->cap_gap_ns = r->cap_gap_ns;
    s->cap_recv = r->cap_recv;
    s->cap_drop = r->cap_drop;
    s->cap_ifdrop = r->cap_ifdrop;
    if (s->start_ns == 0)
        s->start_ns = r->start_ns;
    s->end_ns = r->end_ns;
    if (r->last_probe_ns)
        s->last_probe_ns = r->last_probe_ns;
    s->next_id = r->next_id;
    memcpy(s->ts_source, r->ts_source, sizeof(s->ts_source));
}

/* The hour's sweep.json (status "running" while the hour is written): mode
 * 0600 until the hour is complete (an interrupted hour's key is used again
 * by a restart within the hour). */
static int write_meta(struct watch *w, const char *status)
{
    struct kp_sweep_meta m = {
        .opt = &w->o,
        .st = &w->hour_st,
        .status = status,
        .src = w->src,
        .iface = w->iface,
        .seed = w->seed,
        .traces_written = w->hour_traces,
        .hops_written = w->hour_hops,
        .write_errors = w->hour_errors,
        .write_skipped = w->hour_errors,
        .start_ns = w->hour_start_ns,
        .end_ns = strcmp(status, "running") == 0 ? 0 : w->hour_st.end_ns,
        .next_id = w->next_id,
    };
    char *s;
    int rc = kp_sweep_meta_json(&m, &s);
    if (rc != 0)
        return rc;
    int dfd = open(w->hour_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    mode_t mode = strcmp(status, "complete") == 0 ? WATCH_PUBLIC : WATCH_PRIVATE;
    rc = dfd < 0 ? -errno : watch_replace_file(dfd, "sweep.json", s, strlen(s), mode);
    if (dfd >= 0)
        close(dfd);
    free(s);
    return rc;
}

void watch_hour_close(struct watch *w, const char *status)
{
    if (w->hour[0] == '\0')
        return;
    if (w->traces_fd >= 0) {
        fsync(w->traces_fd);
        close(w->traces_fd);
        w->traces_fd = -1;
    }
    if (write_meta(w, status) != 0)
        fprintf(stderr, "kptrace watch: %s/sweep.json: %s\n", w->hour_dir, strerror(errno));
    w->hour[0] = '\0';
}

/* The seed of hour h, a new one: random (with --seed, derived one-way from
 * it and h: kp_seed_derive), in the checkpoint before any probe carries its
 * key. The hour whose key it replaces is over: its sweep.json, left 0600
 * when a stop or a crash ended the hour, is made public. 0 or -1. */
static int new_hour_seed(struct watch *w, const char *h)
{
    char old[sizeof(w->seed_hour)], p[64];
    snprintf(old, sizeof(old), "%s", w->seed_hour);
    w->seed = w->o.seed_set ? kp_seed_derive(w->o.seed, h) : kp_cmd_seed(&w->o);
    snprintf(w->seed_hour, sizeof(w->seed_hour), "%s", h);
    if (watch_checkpoint(w) != 0)
        return -1;
    if (old[0] == '\0')
        return 0;
    snprintf(p, sizeof(p), "%s/sweep.json", old);
    int fd = openat(w->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if ((fd < 0 && errno != ENOENT) || (fd >= 0 && fchmod(fd, w->file_mode) != 0))
        fprintf(stderr, "kptrace watch: %s/%s: %s\n", w->o.out, p, strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

/* The hourly directory of now_ns: opened (created, or appended to after a
 * restart) when the hour changed since the last round, with the hour's seed
 * (a new one, or after a restart within the hour the checkpoint's) as the
 * engine's key. A round keys its probes with the hour it starts in, and its
 * capture goes to that hour's directory, however long it lasts. */
int watch_hour(struct watch *w, int64_t now_ns)
{
    char h[32];
    time_t t = (time_t)(now_ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(h, sizeof(h), "%Y%m%dT%HZ", &tm);
    if (strcmp(h, w->hour) == 0)
        return 0;
    watch_hour_close(w, "complete");
    if (strcmp(h, w->seed_hour) != 0 && new_hour_seed(w, h) != 0)
        return -1;
    if (kp_engine_rekey(w->e, w->seed) != 0) {
        snprintf(w->err, sizeof(w->err), "the engine runs: no new key");
        return -1;
    }
    snprintf(w->hour_dir, sizeof(w->hour_dir), "%.4000s/%s", w->o.out, h);
    if (mkdir(w->hour_dir, 0755) != 0 && errno != EEXIST)
        return wfail(w, h, errno);
    char p[4400];
    snprintf(p, sizeof(p), "%s/traces.jsonl", w->hour_dir);
    w->traces_fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (w->traces_fd < 0 || (w->traces_size = cut_to_line(w->traces_fd)) < 0)
        return wfail(w, h, errno);
    snprintf(w->pcap_path, sizeof(w->pcap_path), "%s/capture.pcap", w->hour_dir);
    if (cut_capture(w) != 0)
        return -1;
    if (kp_engine_set_pcap(w->e, w->pcap_path, true, w->err, sizeof(w->err)) != 0)
        return -1;
    snprintf(w->hour, sizeof(w->hour), "%s", h);
    memset(&w->hour_st, 0, sizeof(w->hour_st));
    w->hour_traces = w->hour_hops = w->hour_errors = 0;
    w->hour_start_ns = now_ns;
    if (write_meta(w, "running") != 0)
        return wfail(w, "sweep.json", errno);
    return 0;
}

/* One record as one line of the hour's traces.jsonl (a failed write is cut
 * back: the file holds whole lines only). */
int watch_append_trace(struct watch *w, const struct kp_trace *t)
{
    char *s = NULL;
    size_t len = 0;
    int rc = kp_trace_json_dump(t, &s, &len);
    if (rc == 0) {
        s[len] = '\n'; /* over the NUL: one write for the line */
        rc = write_all(w->traces_fd, s, len + 1);
        if (rc != 0 && ftruncate(w->traces_fd, w->traces_size) != 0)
            rc = -errno; /* the file may end in part of a line: counted as the hour's error */
        else if (rc == 0)
            w->traces_size += (off_t)(len + 1);
    }
    free(s);
    if (rc != 0) {
        w->hour_errors++;
        return rc;
    }
    w->hour_traces++;
    w->hour_hops += t->n_hops;
    w->total_traces++;
    return 0;
}

/* --on-change: CMD with the event line on stdin, in its own process group
 * (killed whole after the timeout). Never waits for it. */
static void spawn(struct watch *w, const char *line, size_t len)
{
    watch_children_reap(w, false);
    int slot = -1;
    for (int i = 0; i < WATCH_MAX_CHILDREN && slot < 0; i++)
        if (w->children[i].pid == 0)
            slot = i;
    if (slot < 0) {
        fprintf(stderr,
                "kptrace watch: --on-change: %d commands still running; not run for "
                "this event\n",
                WATCH_MAX_CHILDREN);
        return;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        (void)kp_rt_leave(); /* not the engine's real-time policy (rtsched.h) */
        setpgid(0, 0);
        dup2(p[0], 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", w->on_change, (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0) {
        setpgid(pid, pid);
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        (void)write_all(p[1], line, len); /* < the pipe's buffer: never blocks */
        w->children[slot] = (struct watch_child){pid, kp_clock_ns(CLOCK_MONOTONIC)};
    }
    close(p[1]);
}

/* Reap the --on-change commands that ended; kill those past the timeout
 * (all: wait for every one, killing them after the timeout). */
void watch_children_reap(struct watch *w, bool all)
{
    for (;;) {
        bool left = false;
        int64_t now = kp_clock_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < WATCH_MAX_CHILDREN; i++) {
            struct watch_child *c = &w->children[i];
            if (c->pid == 0)
                continue;
            if (waitpid(c->pid, NULL, WNOHANG) == c->pid) {
                c->pid = 0;
                continue;
            }
            if (now - c->started > (int64_t)w->on_change_timeout_s * 1000000000LL) {
                kill(-c->pid, SIGKILL);
                fprintf(stderr, "kptrace watch: --on-change: killed after %u s\n",
                        w->on_change_timeout_s);
                c->started = INT64_MAX / 2; /* reaped on the next call */
            }
            left = true;
        }
        if (!all || !left)
            return;
        usleep(50000);
    }
}

static bool seen_before(struct watch *w, size_t key, const struct kp_chg_event *ev)
{
    size_t nm = w->o.n_methods;
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i].net == w->nets[key / nm].net && w->seen[i].mi == key % nm &&
            ev->n_traces > 0 && w->seen[i].first_trace == ev->traces[0])
            return true;
    return false;
}

/* One event: its line appended with one write and fsync'd (unless a replay
 * after a crash finds it there already), then --on-change. */
int watch_event(struct watch *w, size_t key, const struct kp_chg_event *ev, int64_t now_ns)
{
    if (seen_before(w, key, ev))
        return 0;
    char pfx[32], *s;
    size_t len;
    const char *method = kp_method_name(w->o.methods[key % w->o.n_methods]);
    int rc = kp_chg_event_json(ev, w->o.vp, watch_prefix(w, key, pfx, sizeof(pfx)), method, now_ns,
                               &s, &len);
    if (rc != 0)
        return rc;
    char *line = realloc(s, len + 2);
    if (line == NULL) {
        free(s);
        return -ENOMEM;
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    rc = write_all(w->events_fd, line, len + 1);
    if (rc == 0 && fsync(w->events_fd) != 0)
        rc = -errno;
    if (rc == 0) {
        w->total_events++;
        w->keys[key].events++;
        if (!w->o.quiet)
            fprintf(stderr, "%skptrace watch: %s", w->prog.printed ? "\n" : "", line);
        if (w->on_change)
            spawn(w, line, len + 1);
    }
    free(line);
    return rc;
}
