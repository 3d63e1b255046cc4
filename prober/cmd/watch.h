/* SPDX-License-Identifier: BSD-2-Clause */
/* watch.h — `kptrace watch`: what its files share (cmd_watch.c: the keys,
 * the rounds and the detector; watch_opts.c: the command line; watch_files.c:
 * the hourly directories, events.jsonl, the checkpoint, --on-change, the
 * status file). Edges of the program: they print and write files, and return
 * 0 / -1 with a message in w->err, never exit. See docs/watch.md. */
#ifndef KP_WATCH_H
#define KP_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/asmap/asmap.h"
#include "core/asmap/route_filter.h"
#include "core/change/detect.h"
#include "core/plan/watch_pick.h"
#include "core/verdict/verdict.h"
#include "prober/cmd/options.h"
#include "prober/sys/privdrop.h"
#include "prober/cmd/sweep_meta.h"
#include "prober/engine/engine.h"
#include "prober/sys/progress.h"

#define WATCH_MAX_SOURCES   16
#define WATCH_MAX_TARGET_AS 8
#define WATCH_MAX_CHILDREN  8 /* --on-change commands running at once */
#define WATCH_MAX_NETS      (1u << 16)

enum watch_source_kind { WATCH_SRC_PFX2AS = 0, WATCH_SRC_RIB, WATCH_SRC_MMDB };

struct watch_source {
    enum watch_source_kind kind;
    const char *path;
};

/* One key (/24, method) and its tracker. */
struct watch_key {
    struct kp_chg_track tr;
    uint64_t traces; /* fed in all */
    uint64_t events; /* emitted in all */
};

/* One finished trace of the round, waiting to be fed (in start order). */
struct watch_obs {
    struct kp_chg_obs o;
    size_t key;
    uint32_t addr;
};

struct watch_child {
    pid_t pid;
    int64_t started; /* CLOCK_MONOTONIC */
};

/* An event already in events.jsonl that a replay after a crash may emit
 * again: (prefix, method, first trace id). */
struct watch_seen {
    uint32_t net;
    uint8_t mi;
    uint64_t first_trace;
};

struct watch {
    struct kp_options o; /* the options kptrace sweep shares */
    char err[1024];
    struct watch_source sources[WATCH_MAX_SOURCES];
    size_t n_sources;
    const char *on_change;
    uint32_t on_change_timeout_s;
    struct kp_route_filter filter;
    uint32_t target_as[WATCH_MAX_TARGET_AS];
    size_t n_target_as;
    struct kp_chg_params cp;
    /* the targets */
    struct kp_pick_net *nets; /* the /24s, ascending: what may be probed, what answered */
    size_t n_nets;
    struct watch_key *keys; /* [net * n_methods + method index] */
    size_t n_keys;
    /* the annotation */
    struct kp_asmap *map;
    struct kp_verdict_config vcfg;
    struct kp_hop_annot *ann;
    size_t cap_ann;
    /* the round */
    struct kp_target_range *plan;
    size_t n_plan;
    uint32_t *pick; /* one /24's addresses (KP_CHG_MAX_CONFIRM) */
    struct watch_obs *obs;
    size_t n_obs, cap_obs;
    uint64_t rng, seed, round;
    unsigned idle_flows; /* flows per stable /24 a round (1..--confirm), from the budget */
    uint32_t next_id;
    struct kp_engine *e;
    struct kp_addr src;
    char iface[16];
    struct kp_progress prog;
    /* files */
    int dirfd;
    struct kp_outdir outdir; /* DIR (its fd is dirfd), given to --user right before the drop */
    int events_fd;
    char hour[32]; /* "YYYYmmddTHHZ" of the files open, "" none */
    char hour_dir[4200];
    char pcap_path[4300];
    int traces_fd;
    off_t traces_size;
    uint64_t hour_traces, hour_hops, hour_errors;
    struct kp_engine_stats hour_st;
    int64_t hour_start_ns;
    uint64_t total_traces, total_events;
    struct watch_seen *seen;
    size_t n_seen;
    struct watch_child children[WATCH_MAX_CHILDREN];
    uint32_t restored_next_id; /* from the checkpoint, 0 none */
    bool seed_restored;        /* the seed came from the checkpoint */
    /* The hour whose key w->seed is ("YYYYmmddTHHZ", "" none yet): each hour
     * gets its own seed (watch_hour), kept in the checkpoint so that a
     * restart within the hour goes on with the hour's key. */
    char seed_hour[32];
    mode_t file_mode; /* what a public file gets: 0644 less the umask */
};

/* watch_opts.c */
/* Parse argv into w (w->o via kp_options_parse, the watch options here).
 * -1: run; else the exit status (usage printed). */
int watch_options(struct watch *w, int argc, char **argv);
const char *watch_usage(void);

/* watch_files.c */
/* Replace dirfd/name with text[0..len) whole: name.tmp created anew with
 * mode (less the umask; WATCH_PRIVATE for a file that holds the seed in
 * use), written, fsync'd, renamed over name, the directory fsync'd. 0 or
 * -errno. */
#define WATCH_PRIVATE 0600
#define WATCH_PUBLIC  0644
int watch_replace_file(int dirfd, const char *name, const char *text, size_t len, mode_t mode);
int watch_open_dir(struct watch *w);
int watch_hour(struct watch *w, int64_t now_ns);
void watch_hour_close(struct watch *w, const char *status);
int watch_append_trace(struct watch *w, const struct kp_trace *t);
int watch_event(struct watch *w, size_t key, const struct kp_chg_event *ev, int64_t now_ns);
int watch_checkpoint(struct watch *w);
int watch_restore(struct watch *w);
int watch_replay_tail(struct watch *w, int (*feed)(struct watch *w, struct kp_trace *t));
void watch_children_reap(struct watch *w, bool all);
void watch_status(struct watch *w, bool to_stderr);
void watch_stats_add(struct kp_engine_stats *sum, const struct kp_engine_stats *r);

/* cmd_watch.c */
const char *watch_prefix(const struct watch *w, size_t key, char *buf, size_t len);

#endif
