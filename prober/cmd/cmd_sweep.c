/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_sweep.c — `kptrace sweep`: every address of some prefixes with every
 * method; writes DIR/traces.jsonl, DIR/capture.pcap and DIR/sweep.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prober/cmd/cmd_common.h"
#include "prober/cmd/cmd_trace.h"
#include "prober/engine/engine.h"
#include "prober/cmd/options.h"
#include "core/plan/jobs.h"
#include "prober/sys/privdrop.h"
#include "core/record/run_checks.h"
#include "prober/cmd/sweep_meta.h"
#include "prober/cmd/sweep_resume.h"
#include "prober/cmd/sweep_file.h"
#include "core/record/trace_json.h"

struct sweep_ctx {
    int traces; /* DIR/traces.jsonl, O_APPEND */
    off_t size; /* its length after the last complete line */
    uint64_t written, hops, errors;
    struct kp_progress prog;
    struct kp_engine *e;
    const char *path; /* of traces.jsonl, for messages */
    char path_buf[4096];
};

static void print_probe(void *ctx, const uint8_t *pkt, size_t len)
{
    kp_cmd_print_probe((FILE *)ctx, pkt, len);
}

/* Write b[0..n) to fd, retrying short writes and EINTR; *done counts the
 * bytes written. 0, or -errno (-EIO when the file takes no more bytes). */
static int write_full(int fd, const char *b, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = write(fd, b + *done, n - *done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        *done += (size_t)w;
    }
    return 0;
}

/* Append one record as a whole line: a write that fails half-way (disk
 * full) is cut back, so traces.jsonl only ever holds complete lines. */
static int append_line(struct sweep_ctx *c, char *s, size_t len)
{
    s[len] = '\n'; /* over the NUL (restored below): one write for the line */
    size_t done;
    int rc = write_full(c->traces, s, len + 1, &done);
    s[len] = '\0';
    if (rc != 0) {
        struct stat st;
        if (done > 0 && ftruncate(c->traces, c->size) != 0 && fstat(c->traces, &st) == 0)
            c->size = st.st_size; /* could not cut it back: never cut before it */
        return rc;
    }
    c->size += (off_t)(len + 1);
    return 0;
}

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct sweep_ctx *c = ctx;
    char *s = NULL;
    if (t->tool[0] == '\0')
        snprintf(t->tool, sizeof(t->tool), "kptrace");
    size_t len = 0;
    int rc = kp_trace_json_dump(t, &s, &len);
    if (rc == 0)
        rc = append_line(c, s, len);
    if (rc != 0) {
        /* a full disk: records cannot be kept, so probing stops; the pairs
         * without a record are probed again by --resume */
        c->errors++;
        char m[600];
        snprintf(m, sizeof(m), "%.500s: %s", c->path, strerror(-rc));
        if (c->e)
            kp_engine_fail(c->e, rc, m);
    } else {
        c->written++;
        c->hops += t->n_hops;
    }
    free(s);
}

static void on_progress(void *ctx, const struct kp_engine_stats *st, int64_t now_ns)
{
    struct sweep_ctx *c = ctx;
    kp_progress_update(&c->prog, st, now_ns);
}

static int open_new(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (f < 0)
        snprintf(err, errlen, "%.400s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (this directory already holds a sweep; choose another --out)"
                                 : "");
    return f;
}

/* Read a whole file into a malloc'ed buffer (NUL-terminated). 0 or -errno
 * with "PATH: reason" in err. */
/* PATH opened for reading as a regular file, never through a symlink: a
 * resumed sweep's directory may have belonged to the user kptrace drops
 * to. NULL with "PATH: reason" in err and -errno in *rc. */
static FILE *open_regular(const char *path, int *rc, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)))
        e = EINVAL;
    FILE *f = e == 0 ? fdopen(fd, "rb") : NULL;
    if (f == NULL) {
        if (e == 0)
            e = errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "%.400s: %s", path,
                 e == ELOOP    ? "a symlink: not followed"
                 : e == EINVAL ? "not a regular file"
                               : strerror(e));
        *rc = -e;
    }
    return f;
}

static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    int rc = 0;
    FILE *f = open_regular(path, &rc, err, errlen);
    *buf = NULL;
    *len = 0;
    if (f == NULL)
        return rc;
    size_t cap = 0;
    char *b = NULL;
    for (;;) {
        if (cap - *len < 65536) {
            char *n = realloc(b, cap ? cap * 2 : 65536 + 1);
            if (n == NULL) {
                free(b);
                fclose(f);
                snprintf(err, errlen, "%.400s: out of memory", path);
                return -ENOMEM;
            }
            b = n;
            cap = cap ? cap * 2 : 65536;
        }
        size_t r = fread(b + *len, 1, cap - *len, f);
        *len += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        snprintf(err, errlen, "%.400s: read error", path);
        return -EIO;
    }
    b[*len] = '\0';
    *buf = b;
    return 0;
}

/* ---- --resume ----------------------------------------------------------- */

struct resume {
    const char *dir;
    char *prior; /* the sweep.json text found */
    size_t prior_len;
    struct kp_sweep_stored stored;
    bool crashed;        /* status "running": the earlier part did not end */
    struct kp_jobs jobs; /* the sweep's jobs (their natural order) */
    bool has_jobs;
    uint64_t *done; /* bitmap over the jobs */
    uint64_t n_jobs, remaining;
    struct kp_resume_scan scan;
    char *kept;       /* traces.jsonl without the records cut by an interruption */
    size_t kept_len;  /* (scan.valid_len of it is what stays) */
    uint64_t dropped; /* those records: their pairs are probed again */
    uint32_t first_tid;
    uint64_t pcap_good_end, pcap_size, pcap_frames;
    char **extra; /* options given besides --resume, -q, --no-progress */
    int n_extra;
    struct kp_exclusions *ex; /* what the blocklist leaves out (the caller's) */
};

static void resume_free(struct resume *r)
{
    free(r->prior);
    free(r->kept);
    free(r->done);
    if (r->has_jobs)
        kp_jobs_free(&r->jobs);
    free(r->extra);
    kp_sweep_stored_free(&r->stored);
}

/* The value of --resume in argv, or NULL. */
static const char *resume_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--resume") == 0)
            return i + 1 < argc ? argv[i + 1] : "";
        if (strncmp(argv[i], "--resume=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

static void learn_record(void *ctx, const struct kp_trace *t, unsigned mi)
{
    kp_engine_learn(ctx, t, mi);
}

/* Options given with --resume must set what the sweep was run with. */
static int check_extra(struct resume *r, const struct kp_options *stored, char *err, size_t errlen)
{
    static const char *const no_arg[] = {"--unsafe-rate", "--dry-run",  "--no-doubletree",
                                         "--doubletree",  "--realtime", NULL};
    char **v = r->extra;
    int n = r->n_extra;
    bool has_vp = false, has_out = false;
    for (int i = 1; i < n; i++) {
        has_vp |= strncmp(v[i], "--vp", 4) == 0 && (v[i][4] == '\0' || v[i][4] == '=');
        has_out |= strncmp(v[i], "--out", 5) == 0 && (v[i][5] == '\0' || v[i][5] == '=');
    }
    /* --vp and --out are required by the parser: the stored ones unless given */
    if (!has_vp) {
        v[n++] = "--vp";
        v[n++] = (char *)stored->vp;
    }
    if (!has_out) {
        v[n++] = "--out";
        v[n++] = (char *)r->dir;
    }
    v[n] = NULL;
    struct kp_options given;
    char e2[400];
    if (kp_options_parse(&given, KP_CMD_SWEEP, n, v, e2, sizeof(e2)) != 0) {
        snprintf(err, errlen, "%s", e2);
        kp_options_free(&given);
        return -1;
    }
    int rc = 0;
    for (int i = 1; i < r->n_extra && rc == 0; i++) {
        const char *a = v[i];
        if (a[0] != '-')
            continue;
        int k = kp_options_same(stored, &given, a, e2, sizeof(e2));
        if (k != 0) {
            snprintf(err, errlen,
                     "%s (a resumed sweep keeps the options stored in %.300s/sweep.json)", e2,
                     r->dir);
            rc = -1;
        }
        bool takes_arg = strchr(a, '=') == NULL;
        for (int j = 0; no_arg[j]; j++)
            if (strcmp(a, no_arg[j]) == 0)
                takes_arg = false;
        if (takes_arg)
            i++; /* its value */
    }
    kp_options_free(&given);
    return rc;
}

/* Everything --resume checks before touching a file: the command line, the
 * stored options (into *o), traces.jsonl (which pairs remain) and the
 * capture's tail. Returns -1 to go on, else an exit status (message in err,
 * or printed help). */
/* reason: the checks --resume makes before touching a file, in the order their errors must be
 * reported */
static int resume_prepare(struct resume *r, int argc, char **argv, struct kp_options *o,
                          struct kp_target_range **ranges, size_t *n_ranges, char *err,
                          size_t errlen)
{
    bool quiet = false, noprog = false;
    /* The other options: collected here, checked against the stored ones
     * once those are read. */
    char **extra = calloc((size_t)argc + 6, sizeof(char *));
    int n_extra = 0;
    if (extra == NULL) {
        snprintf(err, errlen, "out of memory");
        return KP_EXIT_ERROR;
    }
    r->extra = extra;
    extra[n_extra++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--resume") == 0) {
            i++;
        } else if (strncmp(a, "--resume=", 9) == 0) {
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--no-progress") == 0) {
            noprog = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(kp_options_usage(KP_CMD_SWEEP), stdout);
            return KP_EXIT_OK;
        } else {
            extra[n_extra++] = argv[i];
        }
    }
    r->n_extra = n_extra;
    if (r->dir[0] == '\0') {
        snprintf(err, errlen, "--resume needs a value (the directory of the sweep)");
        return KP_EXIT_USAGE;
    }
    char path[4096], e2[400];
    snprintf(path, sizeof(path), "%s/sweep.json", r->dir);
    if (slurp(path, &r->prior, &r->prior_len, err, errlen) != 0)
        return KP_EXIT_ERROR;
    if (kp_sweep_stored_parse(r->prior, r->prior_len, path, r->dir, &r->stored, err, errlen) != 0) {
        /* a crash while sweep.json was rewritten in place: the copy */
        char tpath[4112];
        snprintf(tpath, sizeof(tpath), "%s.tmp", path);
        char *tb;
        size_t tl;
        if (slurp(tpath, &tb, &tl, e2, sizeof(e2)) != 0)
            return KP_EXIT_ERROR;
        if (kp_sweep_stored_parse(tb, tl, tpath, r->dir, &r->stored, e2, sizeof(e2)) != 0) {
            free(tb);
            return KP_EXIT_ERROR;
        }
        fprintf(stderr, "kptrace sweep: %s; using its complete copy %s\n", err, tpath);
        free(r->prior);
        r->prior = tb;
        r->prior_len = tl;
    }
    if (strcmp(r->stored.status, "complete") == 0) {
        snprintf(err, errlen, "%.400s: this sweep is complete: nothing to resume", path);
        return KP_EXIT_ERROR;
    }
    /* interrupted, left running by a crash, stopped by an error (a full
     * disk) or incomplete: the pairs without a record are probed again */
    r->crashed = strcmp(r->stored.status, "running") == 0;
    if (kp_options_parse(o, KP_CMD_SWEEP, r->stored.argc, r->stored.argv, e2, sizeof(e2)) != 0) {
        snprintf(err, errlen, "%.400s: the stored options are refused: %s", path, e2);
        return KP_EXIT_ERROR;
    }
    if (quiet) {
        o->quiet = true;
        o->progress = false;
    }
    o->progress = !noprog && !o->quiet;
    if (n_extra > 1 && check_extra(r, o, err, errlen) != 0)
        return KP_EXIT_USAGE;
    if (kp_cmd_ranges_from_cidrs(o, ranges, n_ranges, r->ex, e2, sizeof(e2)) != 0) {
        snprintf(err, errlen, "%.400s: %s", path, e2);
        return KP_EXIT_ERROR;
    }
    /* the same addresses as the earlier parts: the lists may have changed */
    if (!kp_exclusions_match(r->ex, r->stored.excluded, e2, sizeof(e2))) {
        snprintf(err, errlen, "%.400s: %s", path, e2);
        return KP_EXIT_ERROR;
    }
    if (kp_jobs_init(&r->jobs, *ranges, *n_ranges, o->n_methods, 0, NULL) != 0) {
        snprintf(err, errlen, "%.400s: the stored targets overlap", path);
        return KP_EXIT_ERROR;
    }
    r->has_jobs = true;
    r->n_jobs = r->jobs.n;
    r->done = calloc(kp_jobs_bitmap_words(r->n_jobs) + 1, sizeof(uint64_t));
    if (r->done == NULL) {
        snprintf(err, errlen, "out of memory");
        return KP_EXIT_ERROR;
    }
    /* traces.jsonl: which pairs have a record */
    char *tb;
    size_t tl;
    snprintf(path, sizeof(path), "%s/traces.jsonl", r->dir);
    if (slurp(path, &tb, &tl, err, errlen) != 0)
        return KP_EXIT_ERROR;
    /* traces the interruption cut short are probed again: their records go */
    uint64_t dropped_max_id = 0;
    int rc =
        kp_resume_drop_interrupted(tb, tl, &r->kept, &r->kept_len, &r->dropped, &dropped_max_id);
    free(tb);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return KP_EXIT_ERROR;
    }
    rc = kp_resume_scan(r->kept, r->kept_len, path, &r->jobs, o->methods, r->done, &r->scan, NULL,
                        NULL, err, errlen);
    if (rc != 0)
        return KP_EXIT_ERROR;
    r->remaining = r->n_jobs - (r->scan.lines - r->scan.duplicates);
    /* ids continue above every record written, the dropped ones too */
    r->first_tid = kp_resume_next_id(
        r->scan.max_id > dropped_max_id ? r->scan.max_id : dropped_max_id, r->stored.next_id,
        r->crashed, kp_engine_max_active(o->pps, o->wait_ms, o->late_ms));
    /* capture.pcap: where its last complete record ends */
    snprintf(path, sizeof(path), "%s/capture.pcap", r->dir);
    FILE *pf = open_regular(path, &rc, err, errlen);
    if (pf == NULL)
        return KP_EXIT_ERROR;
    rc = kp_resume_pcap_tail(pf, &r->pcap_good_end, &r->pcap_frames, &r->pcap_size, e2, sizeof(e2));
    fclose(pf);
    if (rc != 0) {
        snprintf(err, errlen, "%.400s: %s", path, e2);
        return KP_EXIT_ERROR;
    }
    return -1;
}

/* Replace traces.jsonl by r->kept (up to the last complete line): written to
 * a new file that is locked before it is renamed into place, so the sweep
 * stays locked throughout; *lock_fd becomes the new file's lock. */
static int resume_rewrite(struct resume *r, int *lock_fd, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/traces.jsonl", r->dir);
    snprintf(tmp, sizeof(tmp), "%s.resume-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t done;
    int rc = write_full(fd, r->kept, r->scan.valid_len, &done);
    if (rc != 0) {
        snprintf(err, errlen, "%.400s: %s", tmp, strerror(-rc));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (fsync(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (*lock_fd >= 0)
        close(*lock_fd);
    *lock_fd = fd;
    return 0;
}

/* Cut what a crash left half-written, and the records of traces the
 * interruption cut short (as root, before appending). */
static int resume_cut(struct resume *r, int *lock_fd, bool quiet, char *err, size_t errlen)
{
    char path[4096];
    if (r->pcap_good_end < r->pcap_size) {
        snprintf(path, sizeof(path), "%s/capture.pcap", r->dir);
        if (truncate(path, (off_t)r->pcap_good_end) != 0) {
            snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
            return -1;
        }
        fprintf(stderr,
                "kptrace sweep: %s: the last record was cut (%llu bytes after frame %llu, at "
                "offset %llu): removed\n",
                path, (unsigned long long)(r->pcap_size - r->pcap_good_end),
                (unsigned long long)r->pcap_frames, (unsigned long long)r->pcap_good_end);
    }
    snprintf(path, sizeof(path), "%s/traces.jsonl", r->dir);
    if (r->dropped > 0) {
        if (resume_rewrite(r, lock_fd, err, errlen) != 0)
            return -1;
        fprintf(stderr,
                "kptrace sweep: %s: %llu records of traces the interruption cut short removed; "
                "they are probed again\n",
                path, (unsigned long long)r->dropped);
    } else if (r->scan.cut_bytes > 0 && truncate(path, (off_t)r->scan.valid_len) != 0) {
        snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
        return -1;
    }
    if (r->scan.cut_bytes > 0) /* every dropped line came before it */
        fprintf(stderr,
                "kptrace sweep: %s:%llu: line cut by a crash (%zu bytes): removed; its trace is "
                "probed again\n",
                path, (unsigned long long)(r->scan.cut_line + r->dropped), r->scan.cut_bytes);
    if (!quiet)
        fprintf(stderr,
                "kptrace sweep: resuming %s (%s): %llu of %llu traces already written, %llu to "
                "go, trace ids from %u\n",
                r->dir, r->stored.status, (unsigned long long)(r->scan.lines - r->scan.duplicates),
                (unsigned long long)r->n_jobs, (unsigned long long)r->remaining, r->first_tid);
    return 0;
}

/* One sweep's state, from its options to the last file closed. */
struct sweep {
    struct kp_options o;
    char err[1024], iface[16], pcap_path[4096];
    struct kp_addr src;
    struct kp_target_range *ranges;
    size_t n_ranges;
    struct kp_engine *e;
    struct meta_out mo;
    struct kp_outdir od; /* DIR, handed to --user before the drop */
    int status;
    struct sweep_ctx c;
    struct kp_sweep_meta m;
    struct resume rs;
    struct kp_exclusions ex;
    struct kp_engine_stats zero_st; /* a resumed sweep with nothing left runs no engine */
    bool resume;
    int lock_fd, pcap_fd;
    bool fix_pcap;
    uint64_t seed;
    const char *prior; /* the sweep.json text of the earlier parts */
    uint64_t file_traces, file_hops;
};

static void sweep_init(struct sweep *s)
{
    memset(s, 0, sizeof(*s));
    s->status = KP_EXIT_ERROR;
    s->c.traces = -1;
    s->rs.ex = &s->ex;
    snprintf(s->zero_st.ts_source, sizeof(s->zero_st.ts_source), "pcap");
    s->lock_fd = s->pcap_fd = -1;
    s->od.fd = -1;
}

/* The source, the engine and (on --resume) what the earlier parts taught
 * Doubletree. 0 or -1 (s->err says why). */
static int sweep_engine(struct sweep *s)
{
    struct kp_options *o = &s->o;
    struct resume *rs = &s->rs;
    if (kp_cmd_source(o, s->ranges, &s->src, s->iface, s->err, sizeof(s->err)) != 0)
        return -1;
    s->seed = kp_cmd_seed(o);
    snprintf(s->pcap_path, sizeof(s->pcap_path), "%s/capture.pcap", o->out ? o->out : ".");
    struct kp_engine_config cfg = {
        .ranges = s->ranges,
        .n_ranges = s->n_ranges,
        .src = s->src,
        .iface = s->iface,
        .pcap_path = s->pcap_path,
        .seed = s->seed,
        .on_trace = on_trace,
        .on_progress = on_progress,
        .ctx = &s->c,
        .stop = &kp_cmd_stop,
        .done = s->resume ? rs->done : NULL,
        .first_tid = s->resume ? rs->first_tid : 1,
        .pcap_append = s->resume,
    };
    kp_cmd_engine_params(o, &cfg.params);
    bool nothing_left = s->resume && rs->remaining == 0;
    if (!nothing_left && kp_engine_create(&cfg, &s->e, s->err, sizeof(s->err)) != 0)
        return -1;
    if (s->resume && !nothing_left) {
        /* Doubletree: what the earlier parts learned */
        char path[4096], *tb;
        size_t tl;
        struct kp_resume_scan again;
        uint64_t *scratch = calloc(kp_jobs_bitmap_words(rs->n_jobs) + 1, sizeof(uint64_t));
        snprintf(path, sizeof(path), "%s/traces.jsonl", rs->dir);
        if (scratch == NULL || slurp(path, &tb, &tl, s->err, sizeof(s->err)) != 0) {
            free(scratch);
            return -1;
        }
        int rc = kp_resume_scan(tb, tl, path, &rs->jobs, o->methods, scratch, &again, learn_record,
                                s->e, s->err, sizeof(s->err));
        free(tb);
        free(scratch);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* DIR opened, and whether it can be handed to --user (privdrop.h): said
 * when it cannot, as sweep.json.tmp then stays. The sweep's names in it
 * must be absent or regular files with one link. 0 or -1. */
static int sweep_outdir(struct sweep *s)
{
    static const char *const names[] = {"traces.jsonl", "sweep.json", "sweep.json.tmp",
                                        "capture.pcap", "traces.jsonl.resume-tmp"};
    if (kp_outdir_open(&s->od, s->o.out, s->o.user, s->err, sizeof(s->err)) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (kp_outdir_check(&s->od, s->o.out, names[i], s->err, sizeof(s->err)) != 0)
            return -1;
    if (s->od.state == KP_OUTDIR_KEPT && !s->o.quiet)
        fprintf(stderr,
                "kptrace sweep: %s: not given to --user %s (it already holds files, is not "
                "root's, or is a symlink), which cannot write it: sweep.json is rewritten in "
                "place at the end and its copy sweep.json.tmp stays\n",
                s->o.out, s->o.user);
    return 0;
}

/* The output directory: a new sweep refuses one that holds a sweep; a
 * resumed one takes its lock and cuts what an interruption left. 0 or -1. */
static int sweep_claim_dir(struct sweep *s)
{
    const char *out = s->o.out;
    if (!s->resume) {
        if (mkdir(out, 0755) != 0 && errno != EEXIST) {
            snprintf(s->err, sizeof(s->err), "--out %s: %s", out, strerror(errno));
            return -1;
        }
        /* Refuse a directory that holds a sweep before creating anything;
         * then the sockets (a failure there, e.g. not root, leaves no file
         * behind), then the files. Every file is opened before root is
         * dropped. */
        for (int k = 0; k < 3; k++) {
            static const char *const names[] = {"traces.jsonl", "sweep.json", "capture.pcap"};
            char p[4096];
            snprintf(p, sizeof(p), "%s/%s", out, names[k]);
            if (access(p, F_OK) == 0) {
                snprintf(s->err, sizeof(s->err),
                         "%.400s exists (this directory already holds a sweep; choose another "
                         "--out or --resume it)",
                         p);
                return -1;
            }
        }
        return sweep_outdir(s);
    }
    if (sweep_outdir(s) != 0)
        return -1;
    /* A sweep still running holds this lock on its traces.jsonl: two
     * processes must not append to one sweep. */
    char p[4096];
    snprintf(p, sizeof(p), "%s/traces.jsonl", out);
    if ((s->lock_fd = open(p, O_RDONLY | O_CLOEXEC)) < 0 ||
        flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(s->err, sizeof(s->err), "%.400s: %s", p,
                 errno == EWOULDBLOCK ? "locked: a kptrace is still running this sweep"
                                      : strerror(errno));
        return -1;
    }
    return resume_cut(&s->rs, &s->lock_fd, s->o.quiet, s->err, sizeof(s->err)) != 0 ? -1 : 0;
}

/* The sockets, then the files (all before root is dropped), sweep.json
 * with status "running", then the privileges dropped. 0 or -1. */
static int sweep_open(struct sweep *s)
{
    struct kp_options *o = &s->o;
    struct sweep_ctx *c = &s->c;
    struct kp_sweep_meta *m = &s->m;
    if (s->e && kp_engine_open(s->e, s->err, sizeof(s->err)) != 0)
        return -1;
    /* kept open (as root) to cut the capture back to its last whole frame
     * after a failed write (a full disk) */
    s->pcap_fd = open(s->pcap_path, O_RDWR | O_CLOEXEC);
    if (s->resume) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/traces.jsonl", o->out);
        if ((c->traces = open(p, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
            snprintf(s->err, sizeof(s->err), "%.400s: %s", p, strerror(errno));
            return -1;
        }
        if (open_meta(&s->mo, o->out, false, &s->od, s->err, sizeof(s->err)) != 0)
            return -1;
    } else if ((c->traces = open_new(o->out, "traces.jsonl", s->err, sizeof(s->err))) < 0 ||
               open_meta(&s->mo, o->out, true, &s->od, s->err, sizeof(s->err)) != 0) {
        return -1;
    }
    if (!s->resume)
        flock(c->traces, LOCK_EX | LOCK_NB); /* for a later --resume to see */
    c->e = s->e;
    snprintf(c->path_buf, sizeof(c->path_buf), "%.4000s/traces.jsonl", o->out);
    c->path = c->path_buf;
    struct stat tst;
    c->size = fstat(c->traces, &tst) == 0 ? tst.st_size : 0;
    s->prior = s->resume ? s->rs.prior : NULL;
    s->file_traces = s->rs.scan.lines;
    s->file_hops = s->rs.scan.hops;
    m->opt = o;
    m->st = s->e ? kp_engine_stats(s->e) : &s->zero_st;
    m->status = "running";
    m->src = s->src;
    m->iface = s->iface;
    m->seed = s->seed;
    m->planned_total = s->resume ? s->rs.n_jobs : 0;
    m->next_id = s->e ? kp_engine_stats(s->e)->next_id : s->rs.first_tid;
    m->excluded = &s->ex;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (write_meta(&s->mo, m, s->prior, s->rs.prior_len, s->file_traces, s->file_hops) != 0) {
        snprintf(s->err, sizeof(s->err), "%.400s: %s", s->mo.path, strerror(errno));
        return -1;
    }
    if (kp_outdir_hand_over(&s->od, o->out, s->err, sizeof(s->err)) != 0 ||
        kp_privdrop(o->user, s->err, sizeof(s->err)) < 0)
        return -1;
    return 0;
}

/* What the sweep tells on stderr at its end. */
static void sweep_report(const struct sweep *s, const struct kp_engine_stats *st,
                         const struct kp_run_check *checks, int failed)
{
    if (st->rx_probes_foreign > 0)
        fprintf(stderr,
                "kptrace sweep: %llu probes of another kptrace on the same address were seen "
                "and left out of this sweep's traces\n",
                (unsigned long long)st->rx_probes_foreign);
    if (failed > 0) {
        char sum[1200];
        kp_run_checks_summary(checks, sum, sizeof(sum));
        fprintf(stderr, "kptrace sweep: incomplete: %s\n", sum);
    }
    if (!s->o.quiet)
        fprintf(stderr,
                "kptrace sweep: %s: %llu traces, %llu probes sent, %llu saved by Doubletree, "
                "%llu replies, %llu capture drops -> %s\n",
                s->m.status, (unsigned long long)s->c.written, (unsigned long long)st->probes_sent,
                (unsigned long long)st->probes_saved, (unsigned long long)st->rx_replies,
                (unsigned long long)(st->cap_drop + st->cap_ifdrop), s->o.out);
    if (!s->o.quiet && (st->send_retries > 0 || st->cap_errors > 0))
        fprintf(stderr,
                "kptrace sweep: the network refused %llu sends (counts.send_errors_by_errno): "
                "%llu faults, %.1f s without sending; the capture failed %llu times (%llu gaps, "
                "reopened %llu times)\n",
                (unsigned long long)st->send_retries, (unsigned long long)st->send_faults,
                (double)st->send_fault_ns / 1e9, (unsigned long long)st->cap_errors,
                (unsigned long long)st->cap_gaps, (unsigned long long)st->cap_reopens);
}

/* After the run (rc its result): the counts checked over the whole sweep,
 * the status, the last sweep.json, the report. */
static void sweep_finish(struct sweep *s, int rc)
{
    struct kp_sweep_meta *m = &s->m;
    struct resume *rs = &s->rs;
    const struct kp_engine_stats *st = s->e ? kp_engine_stats(s->e) : &s->zero_st;
    if (fsync(s->c.traces) != 0)
        s->c.errors++;
    m->start_ns = st->start_ns ? st->start_ns : m->start_ns;
    m->end_ns = st->end_ns ? st->end_ns : kp_clock_ns(CLOCK_REALTIME);
    m->traces_written = s->c.written;
    m->hops_written = s->c.hops;
    m->write_errors = s->c.errors;
    m->write_skipped = s->c.errors;
    if (s->e)
        m->next_id = st->next_id;
    if (rc == 0 && s->c.errors) {
        snprintf(s->err, sizeof(s->err), "%llu traces could not be written to traces.jsonl",
                 (unsigned long long)s->c.errors);
        rc = -EIO;
    }
    s->fix_pcap = rc != 0;
    /* The counts that must reconcile, over the whole sweep (run_checks.h). */
    struct kp_run_counts whole;
    kp_sweep_meta_counts(m, &whole);
    whole.interrupted = st->interrupted || rc != 0;
    if (s->resume) {
        whole.planned = rs->n_jobs;
        whole.recorded += rs->scan.lines - rs->scan.duplicates;
        whole.records_unplanned += rs->scan.duplicates;
        if (rs->prior)
            kp_sweep_meta_prior_counts(rs->prior, rs->prior_len, &whole);
    }
    struct kp_run_check checks[KP_RUN_CHECKS];
    int failed = kp_run_checks(&whole, checks);
    m->checks = checks;
    m->status = kp_run_status(rc != 0, failed, st->interrupted);
    if (rc != 0)
        m->error = s->err;
    s->status = rc != 0           ? KP_EXIT_ERROR
                : failed > 0      ? KP_EXIT_INCOMPLETE
                : st->interrupted ? KP_EXIT_INTERRUPTED
                                  : KP_EXIT_OK;
    s->mo.last = true;
    if (write_meta(&s->mo, m, s->prior, rs->prior_len, s->file_traces, s->file_hops) != 0) {
        snprintf(s->err, sizeof(s->err), "%.400s: %s", s->mo.path, strerror(errno));
        s->status = KP_EXIT_ERROR;
    } else if (strcmp(m->status, "complete") == 0) {
        meta_publish(&s->mo);
    }
    sweep_report(s, st, checks, failed);
}

/* Everything closed and freed; a capture a failed write may have cut is
 * cut back to its last whole frame. */
static void sweep_close(struct sweep *s)
{
    if (s->status == KP_EXIT_ERROR && s->err[0])
        fprintf(stderr, "kptrace sweep: %s\n", s->err);
    if (s->c.traces >= 0)
        close(s->c.traces);
    if (s->mo.f)
        fclose(s->mo.f);
    if (s->mo.tmp) {
        fclose(s->mo.tmp);
        if (!s->mo.tmp_written)
            unlink(s->mo.tmp_path); /* in a directory kept from --user, fails harmlessly
                                     * once root is dropped */
    }
    kp_engine_destroy(s->e); /* closes the capture file */
    if (s->fix_pcap && s->pcap_fd >= 0) {
        /* a failed write (a full disk) may have cut the last frame */
        FILE *pf = fdopen(dup(s->pcap_fd), "rb");
        uint64_t good, frames, size;
        char e2[200];
        if (pf && kp_resume_pcap_tail(pf, &good, &frames, &size, e2, sizeof(e2)) == 0 &&
            good < size && ftruncate(s->pcap_fd, (off_t)good) == 0)
            fprintf(stderr,
                    "kptrace sweep: %s: cut back to its last whole frame (%llu frames kept, %llu "
                    "bytes removed)\n",
                    s->pcap_path, (unsigned long long)frames, (unsigned long long)(size - good));
        if (pf)
            fclose(pf);
    }
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    kp_outdir_close(&s->od);
    if (s->pcap_fd >= 0)
        close(s->pcap_fd);
    resume_free(&s->rs);
    kp_exclusions_free(&s->ex);
    free(s->ranges);
    kp_options_free(&s->o);
}

int kp_cmd_sweep(int argc, char **argv)
{
    struct sweep sw, *s = &sw;
    sweep_init(s);
    if ((s->rs.dir = resume_arg(argc, argv)) != NULL) {
        s->resume = true;
        int rc = resume_prepare(&s->rs, argc, argv, &s->o, &s->ranges, &s->n_ranges, s->err,
                                sizeof(s->err));
        if (rc >= 0) {
            s->status = rc;
            if (s->status != KP_EXIT_OK)
                fprintf(stderr, "kptrace sweep: %s\n", s->err);
            s->err[0] = '\0';
            goto out;
        }
    } else {
        int rc_opt = kp_cmd_options(&s->o, KP_CMD_SWEEP, "sweep", argc, argv);
        if (rc_opt >= 0)
            return rc_opt;
        if (kp_cmd_ranges_from_cidrs(&s->o, &s->ranges, &s->n_ranges, &s->ex, s->err,
                                     sizeof(s->err)) != 0)
            goto out;
    }
    /* from here a SIGINT/SIGTERM interrupts the sweep cleanly (before the
     * first probe it leaves an interrupted sweep with nothing probed) */
    kp_cmd_signals();
    if (sweep_engine(s) != 0)
        goto out;
    if (s->o.dry_run) {
        if (kp_engine_dry_run(s->e, print_probe, stdout, s->err, sizeof(s->err)) == 0)
            s->status = KP_EXIT_OK;
        goto out;
    }
    if (sweep_claim_dir(s) != 0 || sweep_open(s) != 0)
        goto out;
    kp_progress_init(&s->c.prog, s->o.progress && !s->o.quiet, kp_clock_ns(CLOCK_MONOTONIC));
    int rc = s->e ? kp_engine_run(s->e, s->err, sizeof(s->err)) : 0;
    if (s->e) /* the line ends with the run's final counts */
        kp_progress_update(&s->c.prog, kp_engine_stats(s->e), kp_clock_ns(CLOCK_MONOTONIC));
    kp_progress_end(&s->c.prog);
    sweep_finish(s, rc);
out:
    sweep_close(s);
    return s->status;
}
