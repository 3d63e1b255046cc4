/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_soak.c — `kptrace watch`'s memory over a million traces, in minutes.
 *
 * The program runs watch's own code for every trace — the record appended to
 * the hour's traces.jsonl (watch_append_trace), annotated with
 * kp_annotate_trace, fed to its key's change detector in start order
 * (feed_round), events written to events.jsonl, the checkpoint and the status
 * file rewritten after every round, the engine replanned, the hourly
 * directories rotated — with the engine's probing replaced by a synthetic
 * world and the clock by a virtual one. To call the very functions watch
 * calls (on_trace, build_plan, feed_round, setup_targets, load_sources,
 * watch_free are private to cmd_watch.c) it compiles cmd_watch.c into itself;
 * kpprobe's copy of that file is then not linked. The engine is created as
 * watch creates it but never opened (nor replanned, nor run: the world stands
 * for its rounds): no socket, no packet sent, no privilege needed; its
 * capture handle is a dead one, so the hourly capture.pcap files are created
 * and rotated but hold no frames.
 *
 * The world (deterministic, from the trace id and the /24): the vantage
 * point's ISP (AS64501), two transits (AS4837 and AS20485 stand-ins), the
 * target AS (AS131279) holding every target /24. A /24 is carried by one
 * transit, or split by ECMP between both (by a hash of the address, the
 * method and the trace's Paris flow, kp_id_flow of its id, as the engine
 * sends it), or admin-prohibited at the target's border; some borders never
 * answer; 5 % of the hops and 5 % of the destination answers are lost. Every
 * two virtual hours one single-transit /24 moves to the other transit; every
 * six, one goes dark for an hour. Time runs at the pace a --pps budget
 * allows (the probes of each trace).
 *
 *   watch_soak --world FILE
 *       write the world's prefix2as table to FILE and exit
 *   watch_soak [--traces N] [--sample N] [--max-rss-growth F]
 *              [--max-heap-growth KIB] [--keep-hours] [--json FILE]
 *              [--world-log FILE] -- WATCH-OPTIONS...
 *       run: WATCH-OPTIONS are kptrace watch's (--targets, --methods, --pps,
 *       --pfx2as FILE, --out DIR, --allowlist-file, ...). Every --sample
 *       traces (at the end of the round that crosses it) VmRSS and VmHWM
 *       (/proc/self/status) and the heap in use (mallinfo2, or the
 *       sanitizer's count under ASan) are printed. Exit 1 when
 *       VmRSS(last)/VmRSS(first sample) - 1 > F (default 0.05; < 0: not
 *       checked) or the heap in use grew by more than KIB between the first
 *       and the last sample (default: not checked), or when an hour's
 *       traces.jsonl does not hold its traces; 2 on a usage error.
 *       A closed hour's directory is checked and removed (--keep-hours:
 *       kept): watch never deletes, its operator's collection does.
 *       --world-log: the world's changes, one line each ("TIME PREFIX
 *       to-ttc|to-unicom|dark|lit"), to compare with events.jsonl. */
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>

#include <pcap/pcap.h>

#include "core/codec/identity.h"
#include "prober/cmd/cmd_watch.c"
#include "prober/engine/engine_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_ASAN 1
#endif
#endif
#ifdef SOAK_ASAN
/* the sanitizer runtime's count of the bytes the program holds
 * (sanitizer/allocator_interface.h, not installed with every compiler) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define AS_ISP     64501u
#define AS_UNICOM  4837u
#define AS_TTC     20485u
#define AS_TARGET  131279u
#define HOUR_NS    (3600LL * 1000000000LL)
#define MOVE_EVERY (2 * HOUR_NS)
#define DARK_EVERY (6 * HOUR_NS)
#define DARK_FOR   HOUR_NS
/* 2026-01-01T00:00:00Z: virtual time starts here */
#define T0_NS (1767225600LL * 1000000000LL)

static const char world_pfx2as[] = "198.18.1.0\t24\t64501\n"
                                   "198.18.188.0\t24\t20485\n"
                                   "198.18.189.0\t24\t20485\n"
                                   "198.18.219.0\t24\t4837\n"
                                   "198.18.220.0\t24\t4837\n"
                                   "198.18.200.0\t24\t131279\n"
                                   "198.19.0.0\t16\t131279\n";

enum net_kind { NET_SINGLE = 0, NET_ECMP, NET_FILTERED };

struct world_net {
    uint8_t kind;
    bool ttc;           /* single: carried by TTC (else Unicom) */
    bool silent_border; /* the target's border router never answers */
    int64_t dark_until; /* black-holed inside the target until then */
};

struct world {
    struct world_net *n;
    size_t n_nets;
    int64_t now; /* virtual clock, ns */
    int64_t next_move, next_dark;
    uint64_t moves, darks, k_move, k_dark;
    uint32_t pps;
    const struct watch *w;
    size_t lit_net; /* the black hole to note the end of */
    int64_t lit_at; /* ... then, 0 none */
    FILE *log;      /* --world-log: one line per change, NULL none */
};

static void world_note(const struct world *wd, size_t i, const char *what, int64_t at)
{
    if (wd->log == NULL)
        return;
    char pfx[32];
    time_t t = (time_t)(at / 1000000000LL);
    struct tm tm;
    char ts[32];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(wd->log, "%s %s %s\n", ts,
            watch_prefix(wd->w, i * wd->w->o.n_methods, pfx, sizeof(pfx)), what);
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void world_init(struct world *wd, const struct watch *w)
{
    wd->n_nets = w->n_nets;
    wd->n = calloc(w->n_nets, sizeof(*wd->n));
    for (size_t i = 0; wd->n && i < w->n_nets; i++) {
        uint64_t h = mix64(w->nets[i].net);
        unsigned r = (unsigned)(h % 100);
        wd->n[i].kind = r < 10 ? NET_ECMP : r < 15 ? NET_FILTERED : NET_SINGLE;
        wd->n[i].ttc = ((h >> 8) % 4) == 0;
        wd->n[i].silent_border = ((h >> 16) % 4) == 0;
    }
    wd->now = T0_NS;
    wd->next_move = T0_NS + MOVE_EVERY;
    wd->next_dark = T0_NS + DARK_EVERY;
    wd->pps = w->o.pps ? w->o.pps : 50;
    wd->w = w;
}

/* A single-transit /24 picked by k (the next one from a hashed start). */
static size_t world_pick(const struct world *wd, uint64_t k)
{
    size_t i = (size_t)(mix64(k) % wd->n_nets);
    for (size_t j = 0; j < wd->n_nets; j++, i = (i + 1) % wd->n_nets)
        if (wd->n[i].kind == NET_SINGLE && wd->n[i].dark_until <= wd->now)
            return i;
    return i;
}

/* The changes due by now. */
static void world_advance(struct world *wd)
{
    if (wd->lit_at && wd->now >= wd->lit_at) {
        world_note(wd, wd->lit_net, "lit", wd->lit_at);
        wd->lit_at = 0;
    }
    while (wd->now >= wd->next_move) {
        size_t i = world_pick(wd, 0x6d6f7665ULL + wd->k_move++);
        wd->n[i].ttc = !wd->n[i].ttc;
        world_note(wd, i, wd->n[i].ttc ? "to-ttc" : "to-unicom", wd->now);
        wd->moves++;
        wd->next_move += MOVE_EVERY;
    }
    while (wd->now >= wd->next_dark) {
        size_t i = world_pick(wd, 0x6461726bULL + wd->k_dark++);
        wd->n[i].dark_until = wd->next_dark + DARK_FOR;
        world_note(wd, i, "dark", wd->now);
        wd->lit_net = i;
        wd->lit_at = wd->n[i].dark_until;
        wd->darks++;
        wd->next_dark += DARK_EVERY;
    }
}

static int add_hop(struct kp_trace *t, uint8_t ttl, uint32_t addr, int64_t tx, double rtt, int type,
                   int code, uint32_t flags)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = ttl;
    h.attempt = 0;
    h.addr = kp_addr_v4(addr);
    h.rtt_ms = rtt;
    h.reply_ttl = (int16_t)(64 - ttl);
    h.quoted_ttl = flags & KP_HOP_FROM_DST ? -1 : 1;
    h.icmp_type = (int16_t)type;
    h.icmp_code = (int16_t)code;
    h.reply_size = 56;
    h.probe_size = 60;
    h.flags = flags;
    h.tx_ns = tx;
    h.rx_ns = tx + (int64_t)(rtt * 1e6);
    return kp_trace_add_hop(t, &h);
}

/* One trace to dst with method m, as the engine would have recorded it. */
static int world_trace(struct world *wd, const struct watch *w, size_t ni, uint32_t dst,
                       enum kp_method m, uint32_t id, struct kp_trace *t)
{
    const struct world_net *n = &wd->n[ni];
    uint64_t rng = mix64((uint64_t)id << 32 ^ dst);
    kp_trace_init(t);
    snprintf(t->vp, sizeof(t->vp), "%s", w->o.vp);
    snprintf(t->tool, sizeof(t->tool), "kptrace");
    snprintf(t->ts_source, sizeof(t->ts_source), "pcap");
    t->src = w->src;
    t->dst = kp_addr_v4(dst);
    t->method = m;
    uint16_t flow = kp_id_flow(id); /* the engine's Paris flow of the trace */
    t->sport = m == KP_METHOD_ICMP_PARIS ? 0 : flow;
    t->dport = m == KP_METHOD_UDP_PARIS ? 33434 : m == KP_METHOD_TCP_SYN ? 80 : 0;
    t->icmp_id = m == KP_METHOD_ICMP_PARIS ? flow : 0;
    t->first_ttl = 1;
    t->max_ttl = 32;
    t->attempts = 2;
    t->gap_limit = 5;
    t->wait_ms = 1000;
    t->id = id;
    t->start_ns = wd->now;
    bool ttc = n->ttc;
    if (n->kind == NET_ECMP) /* the routers hash the flow: address, method, ports */
        ttc = (mix64(((uint64_t)dst << 24) ^ ((uint64_t)m << 16) ^ flow) & 1) != 0;
    uint32_t tr = ttc ? 0xc612bc00u : 0xc612db00u; /* 198.18.188 / 198.18.219 */
    uint32_t hops[5] = {0xc6120101u, 0xc6120102u, tr + 1 + (uint32_t)((dst >> 8) & 3),
                        tr + 0x100u + 1 + (uint32_t)((dst >> 9) & 3), 0xc612c801u};
    bool dark = n->dark_until > wd->now;
    int last = dark ? 4 : 5; /* the TTLs that may answer before the end */
    double rtt = 0;
    int64_t tx = wd->now;
    int rc = 0;
    for (int i = 0; i < last && rc == 0; i++) {
        rtt = 2.0 + 40.0 * i + (double)(mix64(rng + (uint64_t)i) % 1000) / 100.0;
        tx = wd->now + (int64_t)i * 20000000LL;
        bool lost = mix64(rng ^ (0x100u + (uint64_t)i)) % 100 < 5;
        if (i == 4 && n->silent_border)
            lost = true;
        if (!lost)
            rc = add_hop(t, (uint8_t)(i + 1), hops[i], tx, rtt, 11, 0, 0);
    }
    bool dst_lost = mix64(rng ^ 0xd57u) % 100 < 5;
    unsigned probes = (unsigned)last + 1;
    if (rc == 0 && !dark && n->kind == NET_FILTERED) {
        rc = add_hop(t, 6, 0xc612c802u, tx + 20000000LL, rtt + 5, 3, 13, 0);
        t->stop_reason = KP_STOP_ADMIN_PROHIB;
        t->stop_ttl = 6;
    } else if (rc == 0 && !dark && !dst_lost) {
        bool icmp = m == KP_METHOD_ICMP_PARIS;
        rc = add_hop(t, 6, dst, tx + 20000000LL, rtt + 5, icmp ? 0 : 3, icmp ? 0 : 3,
                     KP_HOP_FROM_DST);
        t->stop_reason = KP_STOP_COMPLETED;
        t->stop_ttl = 6;
    } else {
        t->stop_reason = KP_STOP_GAPLIMIT;
        t->stop_ttl = (uint8_t)(last + t->gap_limit);
        probes = (unsigned)(last + t->gap_limit) * t->attempts;
    }
    t->probes_sent = probes;
    t->end_ns = tx + 20000000LL + (t->stop_reason == KP_STOP_GAPLIMIT ? 1000000000LL : 60000000LL);
    /* the pace: this trace's probes at --pps */
    wd->now += (int64_t)probes * 1000000000LL / wd->pps;
    return rc;
}

/* ---- memory ------------------------------------------------------------------ */

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static size_t heap_in_use(void)
{
#ifdef SOAK_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

struct sample {
    uint64_t traces, rounds, events;
    unsigned hours;
    long rss, hwm;
    size_t heap;
    double cpu_s, wall_s;
};

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the closed hours: checked, removed ---------------------------------------- */

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char buf[65536];
    size_t k;
    long n = 0;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        for (size_t i = 0; i < k; i++)
            n += buf[i] == '\n';
    fclose(f);
    return n;
}

/* The hour in dir was closed: its traces.jsonl holds the traces written in
 * it, its sweep.json says "complete". 0, or -1 with a message. */
static int hour_check(const char *dir, uint64_t traces, bool keep)
{
    char p[4400], meta[8192];
    snprintf(p, sizeof(p), "%s/traces.jsonl", dir);
    long n = count_lines(p);
    if (n < 0 || (uint64_t)n != traces) {
        fprintf(stderr, "watch_soak: %s: %ld lines, %llu traces written in the hour\n", p, n,
                (unsigned long long)traces);
        return -1;
    }
    snprintf(p, sizeof(p), "%s/sweep.json", dir);
    FILE *f = fopen(p, "r");
    size_t k = f ? fread(meta, 1, sizeof(meta) - 1, f) : 0;
    if (f)
        fclose(f);
    meta[k] = '\0';
    if (strstr(meta, "\"complete\"") == NULL) {
        fprintf(stderr, "watch_soak: %s: not \"complete\"\n", p);
        return -1;
    }
    if (keep)
        return 0;
    static const char *const files[] = {"traces.jsonl", "capture.pcap", "sweep.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    return rmdir(dir) == 0 ? 0 : -1;
}

/* ---- the run ---------------------------------------------------------------------- */

struct soak {
    uint64_t traces, sample;
    double max_rss_growth;
    long max_heap_growth_kib; /* < 0: not checked */
    bool keep_hours;
    const char *json, *world_log;
};

static int usage(void)
{
    fputs("usage: watch_soak --world FILE\n"
          "       watch_soak [--traces N] [--sample N] [--max-rss-growth F]\n"
          "                  [--max-heap-growth KIB] [--keep-hours] [--json FILE]\n"
          "                  [--world-log FILE] -- KPTRACE-WATCH-OPTIONS...\n",
          stderr);
    return 2;
}

static int write_world(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(world_pfx2as, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* kptrace watch's start() without the sockets: the engine created (never
 * opened), whatever a checkpoint missed fed again, the first checkpoint. */
static int soak_start(struct watch *w)
{
    w->src = kp_addr_v4(0xc6120164u); /* 198.18.1.100 */
    snprintf(w->iface, sizeof(w->iface), "soak0");
    if (create_engine(w) != 0)
        return -1;
    /* kp_engine_open's capture handle, on no interface: the hourly
     * capture.pcap files are created and rotated (their frames are the rx
     * thread's, which does not run here) */
    w->e->cap.pcap =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    if (w->e->cap.pcap == NULL)
        return -ENOMEM;
    w->e->cap.dlt = DLT_EN10MB;
    if (watch_replay_tail(w, replay_feed) != 0 || feed_round(w) != 0)
        return -1;
    return watch_checkpoint(w);
}

static void print_sample(const struct sample *s)
{
    printf("%10llu %7llu %6u %7llu %10ld %10ld %10zu %8.1f %8.1f\n", (unsigned long long)s->traces,
           (unsigned long long)s->rounds, s->hours, (unsigned long long)s->events, s->rss, s->hwm,
           s->heap / 1024, s->cpu_s, s->wall_s);
    fflush(stdout);
}

/* One round as one_round() runs it, the engine's run replaced by the world. */
static int soak_round(struct watch *w, struct world *wd, uint64_t *hour_traces, unsigned *hours,
                      bool keep)
{
    char prev[sizeof(w->hour_dir)];
    snprintf(prev, sizeof(prev), "%s", w->hour[0] ? w->hour_dir : "");
    uint64_t before = w->hour_traces;
    if (watch_hour(w, wd->now) != 0)
        return -1;
    if (prev[0] && strcmp(prev, w->hour_dir) != 0) {
        (*hours)++;
        if (hour_check(prev, before, keep) != 0)
            return -1;
    }
    build_plan(w);
    if (w->n_plan == 0) {
        snprintf(w->err, sizeof(w->err), "no address left to probe");
        return -1;
    }
    /* (kp_engine_replan and kp_engine_run need an opened engine: the world
     * stands for both) */
    size_t k = 0; /* build_plan lists the /24s in order */
    for (size_t i = 0; i < w->n_plan; i++) {
        uint32_t dst = w->plan[i].base;
        while (k < w->n_nets && w->nets[k].net != (dst & 0xffffff00u))
            k++;
        if (k == w->n_nets) {
            snprintf(w->err, sizeof(w->err), "the plan is not in the order of the /24s");
            return -1;
        }
        for (unsigned mi = 0; mi < w->o.n_methods; mi++) {
            world_advance(wd);
            struct kp_trace t;
            if (world_trace(wd, w, k, dst, w->o.methods[mi], w->next_id, &t) != 0) {
                kp_trace_free(&t);
                snprintf(w->err, sizeof(w->err), "out of memory");
                return -1;
            }
            if (t.id >= w->next_id)
                w->next_id = (uint32_t)t.id + 1;
            uint64_t errors = w->hour_errors;
            on_trace(w, &t); /* as the engine calls it */
            kp_trace_free(&t);
            if (w->hour_errors != errors) {
                snprintf(w->err, sizeof(w->err), "%.400s/traces.jsonl: a write failed",
                         w->hour_dir);
                return -1;
            }
        }
    }
    *hour_traces = w->hour_traces;
    wd->now += 2500000000LL; /* the last probe's linger */
    if (fsync(w->traces_fd) != 0) {
        snprintf(w->err, sizeof(w->err), "%.400s/traces.jsonl: %s", w->hour_dir, strerror(errno));
        return -1;
    }
    if (feed_round(w) != 0)
        return -1;
    w->round++;
    if (watch_checkpoint(w) != 0)
        return -1;
    watch_status(w, false);
    return 0;
}

int main(int argc, char **argv)
{
    struct soak s = {
        .traces = 1000000, .sample = 100000, .max_rss_growth = 0.05, .max_heap_growth_kib = -1};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--world") == 0 && v) {
            return write_world(v);
        } else if (strcmp(a, "--traces") == 0 && v) {
            s.traces = strtoull(v, NULL, 10), i++;
        } else if (strcmp(a, "--sample") == 0 && v) {
            s.sample = strtoull(v, NULL, 10), i++;
        } else if (strcmp(a, "--max-rss-growth") == 0 && v) {
            s.max_rss_growth = strtod(v, NULL), i++;
        } else if (strcmp(a, "--max-heap-growth") == 0 && v) {
            s.max_heap_growth_kib = strtol(v, NULL, 10), i++;
        } else if (strcmp(a, "--keep-hours") == 0) {
            s.keep_hours = true;
        } else if (strcmp(a, "--json") == 0 && v) {
            s.json = v, i++;
        } else if (strcmp(a, "--world-log") == 0 && v) {
            s.world_log = v, i++;
        } else {
            return usage();
        }
    }
    if (i >= argc || s.sample == 0 || s.traces < s.sample)
        return usage();
    /* watch's own command line: argv[i-1] stands for "watch" */
    int wargc = argc - i + 1;
    char **wargv = argv + i - 1;
    struct watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return 1;
    w->events_fd = w->dirfd = w->traces_fd = -1;
    int st = watch_options(w, wargc, wargv);
    if (st >= 0) {
        free(w);
        return st == 0 ? 0 : 2;
    }
    int rc = 1;
    struct world wd = {0};
    struct sample first = {0}, last = {0};
    uint64_t next_sample = s.sample, hour_traces = 0;
    unsigned hours = 0, n_samples = 0;
    bool fail = false;
    if (setup_targets(w) != 0 || load_sources(w) != 0 || watch_open_dir(w) != 0 ||
        watch_restore(w) != 0)
        goto out;
    if (!w->seed_restored)
        w->seed = kp_cmd_seed(&w->o);
    w->rng = w->seed;
    w->next_id = w->restored_next_id ? w->restored_next_id : 1;
    build_plan(w);
    if (soak_start(w) != 0)
        goto out;
    world_init(&wd, w);
    if (wd.n == NULL)
        goto out;
    if (s.world_log && (wd.log = fopen(s.world_log, "w")) == NULL) {
        snprintf(w->err, sizeof(w->err), "%.400s: %s", s.world_log, strerror(errno));
        goto out;
    }
    printf("# kptrace watch soak: %zu /24s x %u methods = %zu keys, %llu traces, --pps %u\n",
           w->n_nets, w->o.n_methods, w->n_keys, (unsigned long long)s.traces, wd.pps);
    printf("%10s %7s %6s %7s %10s %10s %10s %8s %8s\n", "traces", "rounds", "hours", "events",
           "rss_kib", "hwm_kib", "heap_kib", "cpu_s", "wall_s");
    int64_t t_start = kp_clock_ns(CLOCK_MONOTONIC);
    while (w->total_traces < s.traces) {
        if (soak_round(w, &wd, &hour_traces, &hours, s.keep_hours) != 0)
            goto out;
        if (w->total_traces >= next_sample) {
            struct sample x = {w->total_traces,
                               w->round,
                               w->total_events,
                               hours,
                               status_kib("VmRSS"),
                               status_kib("VmHWM"),
                               heap_in_use(),
                               cpu_s(),
                               (double)(kp_clock_ns(CLOCK_MONOTONIC) - t_start) / 1e9};
            print_sample(&x);
            if (n_samples++ == 0)
                first = x;
            last = x;
            while (next_sample <= w->total_traces)
                next_sample += s.sample;
        }
    }
    double growth = first.rss > 0 ? (double)last.rss / (double)first.rss - 1.0 : 0.0;
    long heap_growth = ((long)last.heap - (long)first.heap) / 1024;
    printf("# world: %llu moves, %llu black holes (each a change of every method's key; a "
           "black hole two)\n",
           (unsigned long long)wd.moves, (unsigned long long)wd.darks);
    printf("# rss(%llu)/rss(%llu) = %.4f (limit ", (unsigned long long)last.traces,
           (unsigned long long)first.traces, 1.0 + growth);
    if (s.max_rss_growth >= 0)
        printf("%.4f)", 1.0 + s.max_rss_growth);
    else
        printf("none)");
    printf(", heap in use %+ld KiB (limit ", heap_growth);
    if (s.max_heap_growth_kib >= 0)
        printf("%ld KiB)\n", s.max_heap_growth_kib);
    else
        printf("none)\n");
    printf("# %llu events written, %u hours closed and checked\n",
           (unsigned long long)w->total_events, hours);
    fflush(stdout);
    if (s.max_rss_growth >= 0 && growth > s.max_rss_growth) {
        fprintf(stderr, "watch_soak: resident memory grew %.2f %% (limit %.2f %%)\n", 100 * growth,
                100 * s.max_rss_growth);
        fail = true;
    }
    if (s.max_heap_growth_kib >= 0 && heap_growth > s.max_heap_growth_kib) {
        fprintf(stderr, "watch_soak: the heap in use grew %ld KiB (limit %ld KiB)\n", heap_growth,
                s.max_heap_growth_kib);
        fail = true;
    }
    if (w->total_events == 0) {
        fprintf(stderr, "watch_soak: no event written: the world's changes were not seen\n");
        fail = true;
    }
    if (s.json) {
        FILE *f = fopen(s.json, "w");
        if (f) {
            fprintf(f,
                    "{\"keys\":%zu,\"traces\":%llu,\"rounds\":%llu,\"hours\":%u,\"events\":%llu,"
                    "\"moves\":%llu,\"black_holes\":%llu,\"first\":{\"traces\":%llu,"
                    "\"rss_kib\":%ld,\"heap_kib\":%zu},\"last\":{\"traces\":%llu,\"rss_kib\":%ld,"
                    "\"hwm_kib\":%ld,\"heap_kib\":%zu},\"rss_ratio\":%.4f,\"cpu_s\":%.2f,\"wall_"
                    "s\":%.2f}\n",
                    w->n_keys, (unsigned long long)w->total_traces, (unsigned long long)w->round,
                    hours, (unsigned long long)w->total_events, (unsigned long long)wd.moves,
                    (unsigned long long)wd.darks, (unsigned long long)first.traces, first.rss,
                    first.heap / 1024, (unsigned long long)last.traces, last.rss, last.hwm,
                    last.heap / 1024, 1.0 + growth, last.cpu_s, last.wall_s);
            fclose(f);
        }
    }
    rc = fail ? 1 : 0;
out:
    if (w->err[0])
        fprintf(stderr, "watch_soak: %s\n", w->err);
    if (w->hour[0])
        watch_hour_close(w, "interrupted");
    free(wd.n);
    if (wd.log)
        fclose(wd.log);
    watch_free(w);
    return rc;
}
