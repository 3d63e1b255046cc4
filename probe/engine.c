/* engine.c — the live event loop. See engine.h. */
#include "probe/engine.h"
#include "probe/prng.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/capture.h"
#include "probe/identity.h"
#include "probe/method.h"
#include "probe/net_raw.h"
#include "probe/pacer.h"
#include "probe/rx.h"
#include "probe/rx_kptrace.h"
#include "probe/schedule.h"
#include "probe/stopset.h"
#include "probe/trace_owner.h"
#include "probe/tracer.h"

#define NONE        UINT32_MAX
#define TICK_NS     100000000LL /* rx tick and poll ceiling: 100 ms */
#define PROGRESS_NS 250000000LL
#define MAX_SLOTS   KP_ID_MAX_TRACES
#define MAX_ACTIVE  (KP_ID_MAX_TRACES / 2)
#define LEARN_MAX   64

struct job {
    uint32_t range, off;
    uint8_t mi;      /* index into opt->methods */
    uint32_t bucket; /* Doubletree (group, method) bucket */
    uint32_t next;   /* deferred-list link */
};

struct bucket {
    uint8_t state; /* 0 nothing started, 1 pilot running, 2 pilot done */
    uint32_t head, tail;
};

struct active {
    uint32_t job;
    uint32_t tid;
    uint32_t handle;
    struct kp_addr dst;
    const struct kp_method_ops *m;
    uint8_t mi;
    bool pilot;
    struct kp_tracer tr;
    uint8_t n_learn;
    struct {
        uint8_t ttl;
        bool from_dst;
        struct kp_addr a;
    } learn[LEARN_MAX];
};

struct kp_engine {
    struct kp_engine_config cfg;
    const struct kp_options *o;
    struct kp_engine_stats st;
    const struct kp_method_ops *methods[KP_MAX_METHODS];
    struct kp_key key;
    /* jobs */
    struct job *jobs;
    uint32_t n_jobs, next_job;
    uint32_t *g24; /* sorted distinct /24s (address >> 8) of the targets */
    uint32_t n_g24;
    struct bucket *buckets;
    uint32_t n_buckets;
    uint32_t ready_head, ready_tail; /* jobs released by a finished pilot */
    /* active traces, indexed by trace id */
    struct active **slots;
    uint32_t next_tid, n_active, max_active;
    struct kp_stopset stopsets[KP_MAX_METHODS];
    struct kp_trace_owners owners; /* trace id -> (dst, method) of this run */
    struct kp_schedule *sched;
    struct kp_pacer pacer;
    struct kp_rx *rx;
    struct kp_raw raw;
    struct kp_capture cap;
    bool opened;
    int64_t mono_now;
    int64_t last_send; /* CLOCK_MONOTONIC of the last probe sent, 0 none */
    char err[256];
    int rx_err;
};

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

int64_t kp_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct kp_addr job_dst(const struct kp_engine *e, const struct job *j)
{
    return kp_addr_v4(e->cfg.ranges[j->range].base + j->off);
}

/* ---- planning ----------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Index of addr's /24 in the sorted g24 array (it is always there). */
static uint32_t group_of(const struct kp_engine *e, uint32_t addr)
{
    uint32_t key = addr >> 8, lo = 0, hi = e->n_g24;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e->g24[mid] <= key)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int kp_engine_create(const struct kp_engine_config *cfg, struct kp_engine **out, char *err,
                     size_t errlen)
{
    const struct kp_options *o = cfg->opt;
    *out = NULL;
    if (cfg->src.family != 4)
        return fail(err, errlen, -EINVAL, "no IPv4 source address");
    uint64_t n = 0, groups = 0, n_all;
    for (size_t i = 0; i < cfg->n_ranges; i++) {
        n += cfg->ranges[i].count;
        groups += cfg->ranges[i].count >= 256 ? cfg->ranges[i].count / 256 : 1;
    }
    n *= o->n_methods;
    n_all = n;
    if (cfg->done)
        for (uint64_t i = 0; i < n_all; i++)
            n -= cfg->done[i] != 0;
    if (n == 0)
        return fail(err, errlen, -EINVAL, "no targets");
    if (n > (uint64_t)KP_MAX_TARGET_ADDRS * KP_MAX_METHODS)
        return fail(err, errlen, -EINVAL, "%llu traces planned: more than %u",
                    (unsigned long long)n, KP_MAX_TARGET_ADDRS * KP_MAX_METHODS);
    struct kp_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    e->cfg = *cfg;
    e->o = o;
    e->raw.fd = -1;
    e->cap.fd = -1;
    strncpy(e->st.ts_source, "pcap", sizeof(e->st.ts_source) - 1);
    for (unsigned i = 0; i < o->n_methods; i++) {
        e->methods[i] = kp_method_by_id(o->methods[i]);
        if (e->methods[i] == NULL) {
            kp_engine_destroy(e);
            return fail(err, errlen, -EINVAL, "method %s is not available",
                        kp_method_name(o->methods[i]));
        }
    }
    for (unsigned i = 0; i < KP_MAX_METHODS; i++)
        kp_stopset_init(&e->stopsets[i]);
    kp_key_from_seed(cfg->seed, &e->key);
    e->n_jobs = (uint32_t)n;
    e->jobs = malloc(n_all * sizeof(*e->jobs));
    e->g24 = malloc(groups * sizeof(uint32_t));
    e->slots = calloc(MAX_SLOTS, sizeof(*e->slots));
    if (!e->jobs || !e->g24 || !e->slots || kp_trace_owners_init(&e->owners, MAX_SLOTS) != 0) {
        kp_engine_destroy(e);
        return -ENOMEM;
    }
    e->ready_head = e->ready_tail = NONE;
    /* Doubletree groups: the distinct /24s of all targets (targets given
     * one by one still share their /24's group). */
    uint32_t k = 0;
    for (size_t r = 0; r < cfg->n_ranges; r++)
        for (uint32_t a = cfg->ranges[r].base >> 8;
             a <= (cfg->ranges[r].base + (cfg->ranges[r].count - 1)) >> 8; a++)
            e->g24[k++] = a;
    qsort(e->g24, k, sizeof(uint32_t), cmp_u32);
    e->n_g24 = 0;
    for (uint32_t i = 0; i < k; i++)
        if (e->n_g24 == 0 || e->g24[e->n_g24 - 1] != e->g24[i])
            e->g24[e->n_g24++] = e->g24[i];
    e->n_buckets = e->n_g24 * o->n_methods;
    e->buckets = calloc(e->n_buckets, sizeof(*e->buckets));
    if (e->buckets == NULL) {
        kp_engine_destroy(e);
        return -ENOMEM;
    }
    for (uint32_t b = 0; b < e->n_buckets; b++)
        e->buckets[b].head = e->buckets[b].tail = NONE;
    k = 0;
    for (size_t r = 0; r < cfg->n_ranges; r++) {
        for (uint32_t off = 0; off < cfg->ranges[r].count; off++)
            for (unsigned mi = 0; mi < o->n_methods; mi++) {
                struct job *j = &e->jobs[k++];
                j->range = (uint32_t)r;
                j->off = off;
                j->mi = (uint8_t)mi;
                j->bucket = group_of(e, cfg->ranges[r].base + off) * o->n_methods + mi;
                j->next = NONE;
            }
    }
    /* Random order (Fisher-Yates with the run's seed, over every job of the
     * sweep so that a resumed part keeps the order of the jobs it has left). */
    uint64_t rs = cfg->seed ^ 0x6b70747261636521ULL;
    for (uint32_t i = (uint32_t)n_all - 1; i > 0; i--) {
        uint32_t x = (uint32_t)(kp_splitmix64(&rs) % (i + 1));
        struct job t = e->jobs[i];
        e->jobs[i] = e->jobs[x];
        e->jobs[x] = t;
    }
    if (cfg->done) {
        uint64_t *first = malloc(cfg->n_ranges * sizeof(uint64_t)), acc = 0;
        if (first == NULL) {
            kp_engine_destroy(e);
            return -ENOMEM;
        }
        for (size_t r = 0; r < cfg->n_ranges; r++) {
            first[r] = acc;
            acc += cfg->ranges[r].count;
        }
        uint32_t w = 0;
        for (uint32_t i = 0; i < (uint32_t)n_all; i++) {
            const struct job *j = &e->jobs[i];
            if (!cfg->done[(first[j->range] + j->off) * o->n_methods + j->mi])
                e->jobs[w++] = *j;
        }
        free(first);
    }
    /* A trace's next probe waits for its turn among the active traces: with
     * at most pps of them, a full round takes about a second, well within
     * rx's idle time (a trace silent longer than that is closed). */
    e->max_active = kp_engine_max_active(o->pps);
    e->next_tid = cfg->first_tid % MAX_SLOTS ? cfg->first_tid % MAX_SLOTS : 1;
    e->st.jobs = e->n_jobs;
    *out = e;
    return 0;
}

uint32_t kp_engine_max_active(uint32_t pps)
{
    uint64_t ma = pps;
    if (ma < 16)
        ma = 16;
    if (ma > MAX_ACTIVE)
        ma = MAX_ACTIVE;
    return (uint32_t)ma;
}

int kp_engine_learn(struct kp_engine *e, const struct kp_trace *t, unsigned mi)
{
    if (mi >= e->o->n_methods || t->dst.family != 4)
        return 0;
    uint32_t a = kp_addr_v4_host(&t->dst);
    uint32_t key = a >> 8;
    uint32_t g = group_of(e, a);
    if (e->n_g24 == 0 || e->g24[g] != key)
        return 0;
    e->buckets[g * e->o->n_methods + mi].state = 2;
    return kp_stopset_learn(&e->stopsets[mi], t);
}

/* ---- rx callbacks ------------------------------------------------------- */

static void on_trace(void *ctx, struct kp_trace *t)
{
    struct kp_engine *e = ctx;
    if (!kp_trace_owners_match(&e->owners, t)) {
        e->st.foreign_traces++; /* another prober's probes on our address */
        return;
    }
    e->st.traces_written++;
    if (e->cfg.on_trace)
        e->cfg.on_trace(e->cfg.ctx, t);
}

static void on_reply(void *ctx, const struct kp_rx_reply *r)
{
    struct kp_engine *e = ctx;
    uint64_t id = r->trace->id;
    if (id >= MAX_SLOTS || e->slots[id] == NULL)
        return;
    struct active *a = e->slots[id];
    if (!kp_addr_eq(&a->dst, &r->trace->dst) || r->trace->method != a->m->id)
        return;
    enum kp_tracer_event ev;
    switch (r->kind) {
    case KP_RX_HOP:
        ev = KP_TRACER_EV_HOP;
        break;
    case KP_RX_REACHED:
        ev = KP_TRACER_EV_REACHED;
        break;
    case KP_RX_UNREACH:
        ev = KP_TRACER_EV_UNREACH;
        break;
    default:
        return;
    }
    const struct kp_hop *h = r->hop;
    kp_tracer_reply(&a->tr, h->ttl, h->attempt, ev, r->stop, &h->addr);
    if (a->n_learn < LEARN_MAX && !(h->flags & KP_HOP_DUP)) {
        a->learn[a->n_learn].ttl = h->ttl;
        a->learn[a->n_learn].a = h->addr;
        a->learn[a->n_learn].from_dst =
            (h->flags & KP_HOP_FROM_DST) || kp_addr_eq(&h->addr, &a->dst);
        a->n_learn++;
    }
    kp_schedule_arm(e->sched, a->handle, e->mono_now); /* may send now */
}

/* ---- opening ------------------------------------------------------------ */

int kp_engine_open(struct kp_engine *e, char *err, size_t errlen)
{
    char src[KP_ADDR_STRLEN], filter[96];
    int rc = kp_raw_open(&e->raw, e->cfg.iface);
    if (rc)
        return fail(err, errlen, rc, "raw socket: %s%s", strerror(-rc),
                    rc == -EPERM ? " (kptrace must start as root; see --dry-run)" : "");
    kp_addr_str(&e->cfg.src, src, sizeof(src));
    snprintf(filter, sizeof(filter), "ip host %s", src);
    if ((rc = kp_capture_open(&e->cap, e->cfg.iface, filter, err, errlen)))
        return rc;
    snprintf(e->st.ts_source, sizeof(e->st.ts_source), "%s", e->cap.ts_source);
    if (e->cfg.pcap_path &&
        (rc = e->cfg.pcap_append ? kp_capture_dump_append(&e->cap, e->cfg.pcap_path, err, errlen)
                                 : kp_capture_dump_open(&e->cap, e->cfg.pcap_path, err, errlen)))
        return rc;
    e->opened = true;
    return 0;
}

/* ---- running ------------------------------------------------------------ */

static void release_bucket(struct kp_engine *e, uint32_t b)
{
    struct bucket *bk = &e->buckets[b];
    bk->state = 2;
    if (bk->head == NONE)
        return;
    if (e->ready_tail == NONE)
        e->ready_head = bk->head;
    else
        e->jobs[e->ready_tail].next = bk->head;
    e->ready_tail = bk->tail;
    bk->head = bk->tail = NONE;
}

static void finish_active(struct kp_engine *e, struct active *a)
{
    const struct job *j = &e->jobs[a->job];
    e->st.done++;
    e->st.probes_saved += a->tr.probes_saved;
    /* Doubletree learning from the replies seen live. */
    struct kp_trace t;
    kp_trace_init(&t);
    t.dst = a->dst;
    for (unsigned i = 0; i < a->n_learn; i++) {
        struct kp_hop h;
        kp_hop_init(&h);
        h.ttl = a->learn[i].ttl;
        h.addr = a->learn[i].a;
        h.flags = a->learn[i].from_dst ? KP_HOP_FROM_DST : 0;
        kp_trace_add_hop(&t, &h);
    }
    kp_trace_sort(&t);
    kp_stopset_learn(&e->stopsets[a->mi], &t);
    kp_trace_free(&t);
    if (a->pilot)
        release_bucket(e, j->bucket);
    kp_schedule_remove(e->sched, a->handle);
    e->slots[a->tid] = NULL;
    e->n_active--;
    free(a);
}

static int start_job(struct kp_engine *e, uint32_t ji, bool pilot, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    const struct job *j = &e->jobs[ji];
    uint32_t tid = e->next_tid;
    while (e->slots[tid] != NULL)
        tid = (tid + 1) % MAX_SLOTS;
    e->next_tid = (tid + 1) % MAX_SLOTS;
    struct active *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -ENOMEM;
    a->job = ji;
    a->tid = tid;
    a->dst = job_dst(e, j);
    a->m = e->methods[j->mi];
    a->mi = j->mi;
    a->pilot = pilot;
    struct kp_tracer_params p;
    kp_tracer_params_default(&p);
    p.first_ttl = o->first_ttl;
    p.max_ttl = o->max_ttl;
    p.attempts = o->attempts;
    p.gap_limit = o->gap_limit;
    p.window = o->window;
    p.wait_ns = (int64_t)o->wait_ms * 1000000LL;
    /* rx accepts (late) replies until its default linger, 2 x wait + 500 ms
     * after the probe; the tracer lets them lift a gap-limit stop until then. */
    p.linger_ns = 2 * p.wait_ns + 500000000LL;
    if (o->doubletree && e->buckets[j->bucket].state == 2) {
        p.start_ttl = kp_stopset_border(&e->stopsets[j->mi], &a->dst);
        if (p.start_ttl > o->max_ttl)
            p.start_ttl = o->max_ttl;
        p.stopset = &e->stopsets[j->mi];
    }
    int rc = kp_tracer_init(&a->tr, &p);
    if (rc) {
        free(a);
        return fail(err, errlen, rc, "tracer parameters rejected");
    }
    rc = kp_schedule_add(e->sched, &a->dst, a, e->mono_now, &a->handle);
    if (rc) {
        free(a);
        return rc;
    }
    e->slots[tid] = a;
    kp_trace_owners_set(&e->owners, tid, &a->dst, a->m->id);
    e->n_active++;
    e->st.started++;
    return 0;
}

/* Start traces while there is room. */
static int admit(struct kp_engine *e, char *err, size_t errlen)
{
    while (e->n_active < e->max_active) {
        uint32_t ji;
        bool pilot = false;
        if (e->ready_head != NONE) {
            ji = e->ready_head;
            e->ready_head = e->jobs[ji].next;
            if (e->ready_head == NONE)
                e->ready_tail = NONE;
        } else if (e->next_job < e->n_jobs) {
            ji = e->next_job++;
            if (e->o->doubletree) {
                struct bucket *b = &e->buckets[e->jobs[ji].bucket];
                if (b->state == 1) { /* wait for the pilot */
                    e->jobs[ji].next = NONE;
                    if (b->tail == NONE)
                        b->head = ji;
                    else
                        e->jobs[b->tail].next = ji;
                    b->tail = ji;
                    continue;
                }
                if (b->state == 0) {
                    b->state = 1;
                    pilot = true;
                }
            }
        } else {
            break;
        }
        int rc = start_job(e, ji, pilot, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static bool send_error_is_fatal(int rc)
{
    return rc != -ENOBUFS && rc != -EAGAIN && rc != -EINTR && rc != -ENOMEM;
}

/* Send while the pacer has tokens and some trace is ready. */
static int send_some(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    uint8_t pkt[1600];
    for (int guard = 0; guard < 100000; guard++) {
        int64_t now = e->mono_now;
        if (kp_pacer_next(&e->pacer, now) > 0)
            return 0;
        void *item;
        uint32_t h;
        if (kp_schedule_pick(e->sched, now, &item, &h) != 0)
            return 0;
        struct active *a = item;
        struct kp_tracer_probe pr;
        int64_t wake = INT64_MAX;
        enum kp_tracer_status s =
            kp_tracer_next(&a->tr, now, kp_schedule_rand(e->sched), &pr, &wake);
        if (s == KP_TRACER_DONE) {
            finish_active(e, a);
            int rc = admit(e, err, errlen);
            if (rc)
                return rc;
            continue;
        }
        if (s == KP_TRACER_WAIT) {
            kp_schedule_arm(e->sched, h, wake > now ? wake : now + 1000000);
            continue;
        }
        kp_pacer_take(&e->pacer, now);
        struct kp_probe_spec spec;
        memset(&spec, 0, sizeof(spec));
        spec.src = e->cfg.src;
        spec.dst = a->dst;
        spec.sport = o->sport;
        spec.dport = o->dport;
        spec.ttl = pr.ttl;
        spec.attempt = pr.attempt;
        spec.trace_id = a->tid;
        spec.size = o->size;
        spec.key = &e->key;
        size_t len = sizeof(pkt);
        int rc = a->m->build(&spec, pkt, &len);
        if (rc == 0)
            rc = kp_raw_send(&e->raw, pkt, len, &a->dst);
        if (rc == 0) {
            e->st.probes_sent++;
            e->last_send = now;
        } else {
            e->st.send_errors++;
            if (send_error_is_fatal(rc)) {
                snprintf(e->err, sizeof(e->err), "sending to trace %u: %s", a->tid, strerror(-rc));
                kp_tracer_abort(&a->tr, KP_STOP_ERROR);
            }
        }
        kp_schedule_arm(e->sched, h, now);
    }
    return 0;
}

struct frame_ctx {
    struct kp_engine *e;
};

static void on_frame(void *ctx, int dlt, const uint8_t *frame, uint32_t caplen, uint32_t len,
                     int64_t ts_ns)
{
    struct kp_engine *e = ctx;
    e->st.frames++;
    if (kp_rx_frame(e->rx, dlt, ts_ns, frame, caplen) != 0)
        e->rx_err = -ENOMEM;
}

static void copy_stats(struct kp_engine *e)
{
    const struct kp_rx_stats *rs = kp_rx_stats(e->rx);
    e->st.rx_probes = rs->probes;
    e->st.rx_replies = rs->replies;
    e->st.rx_unmatched = rs->unmatched;
    e->st.rx_rejected = rs->rejected;
    e->st.rx_late = rs->replies_late;
    kp_capture_stats(&e->cap, &e->st.cap_recv, &e->st.cap_drop, &e->st.cap_ifdrop);
}

static int drain(struct kp_engine *e, char *err, size_t errlen)
{
    int n;
    do {
        n = kp_capture_dispatch(&e->cap, 0, on_frame, e, err, errlen);
        if (n < 0)
            return n;
        if (e->rx_err)
            return fail(err, errlen, e->rx_err, "receive path: out of memory");
    } while (n > 0);
    return 0;
}

int kp_engine_run(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    if (!e->opened)
        return fail(err, errlen, -EINVAL, "engine not opened");
    struct kp_schedule_config sc = {.seed = e->cfg.seed, .group_v4 = 24, .group_v6 = 48};
    int rc = kp_schedule_create(&sc, &e->sched);
    if (rc)
        return fail(err, errlen, rc, "schedule: %s", strerror(-rc));
    uint32_t burst = o->pps / 1000;
    if (burst < 1)
        burst = 1;
    if (burst > KP_PACER_MAX_BURST)
        burst = KP_PACER_MAX_BURST;
    rc = kp_pacer_init(&e->pacer, o->pps, burst,
                       o->unsafe_rate ? KP_UNSAFE_MAX_PPS : KP_CEILING_PPS);
    if (rc < 0)
        return fail(err, errlen, rc, "pacer: %s", strerror(-rc));
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace};
    int64_t wait_ns = (int64_t)o->wait_ms * 1000000LL;
    int64_t linger_ns = 2 * wait_ns + 500000000LL; /* rx's default linger */
    struct kp_rx_config rc_cfg = {
        .validate = kp_rx_kptrace_validate, /* keyed check of every reply */
        .validate_ctx = &e->key,
        .classifiers = cls,
        .n_classifiers = 1,
        .vp = o->vp,
        .ts_source = e->st.ts_source,
        .run = {.first_ttl = o->first_ttl,
                .max_ttl = o->max_ttl,
                .attempts = o->attempts,
                .gap_limit = o->gap_limit,
                .wait_ms = o->wait_ms},
        .wait_ns = wait_ns,
        .linger_ns = 0, /* rx's per-probe rule, the same as replay's */
        .idle_ns = 0,   /* rx's default (10 s), the same as replay's */
        .lag_ns = 200000000LL,
        .on_trace = on_trace,
        .on_reply = on_reply,
        .ctx = e,
    };
    if ((rc = kp_rx_create(&rc_cfg, &e->rx)))
        return fail(err, errlen, rc, "receive path: %s", strerror(-rc));

    e->st.start_ns = kp_clock_ns(CLOCK_REALTIME);
    e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
    int64_t last_tick = 0, last_progress = 0, last_flush = e->mono_now, end_by = 0;
    if ((rc = admit(e, err, errlen)))
        return rc;
    for (;;) {
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        if ((rc = drain(e, err, errlen)))
            return rc;
        bool stopping = e->cfg.stop && *e->cfg.stop;
        if (stopping && !e->st.interrupted) {
            e->st.interrupted = true;
            for (uint32_t i = 0; i < MAX_SLOTS; i++)
                if (e->slots[i]) {
                    kp_tracer_abort(&e->slots[i]->tr, KP_STOP_INTERRUPTED);
                    finish_active(e, e->slots[i]);
                }
            e->next_job = e->n_jobs;
            e->ready_head = e->ready_tail = NONE;
            end_by = e->mono_now + 300000000LL; /* let queued frames in */
        }
        if (!e->st.interrupted) {
            if ((rc = send_some(e, err, errlen)))
                return rc;
            if ((rc = admit(e, err, errlen)))
                return rc;
        }
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        if (e->mono_now - last_tick >= TICK_NS) {
            if ((rc = kp_rx_tick(e->rx, kp_clock_ns(CLOCK_REALTIME))))
                return fail(err, errlen, rc, "receive path: out of memory");
            last_tick = e->mono_now;
        }
        if (e->mono_now - last_flush >= 1000000000LL) {
            kp_capture_flush(&e->cap);
            last_flush = e->mono_now;
        }
        if (e->cfg.on_progress && e->mono_now - last_progress >= PROGRESS_NS) {
            copy_stats(e);
            e->cfg.on_progress(e->cfg.ctx, &e->st, e->mono_now);
            last_progress = e->mono_now;
        }
        bool all_sent = e->n_active == 0 && e->next_job >= e->n_jobs && e->ready_head == NONE;
        /* No reply counts after the last probe's linger (the tracers may
         * already have waited for it, see tracer.h). */
        if (all_sent && !e->st.interrupted && end_by == 0)
            end_by = (e->last_send > 0 ? e->last_send : e->mono_now) + linger_ns + rc_cfg.lag_ns +
                     2 * TICK_NS;
        if (all_sent && (kp_rx_open_traces(e->rx) == 0 || e->mono_now >= end_by))
            break;
        /* Sleep until the next send, wake, tick or frame. */
        int64_t timeout = TICK_NS;
        int64_t wake = kp_schedule_next_wake(e->sched);
        if (!e->st.interrupted && wake != INT64_MAX) {
            int64_t d = wake - e->mono_now;
            int64_t pn = kp_pacer_next(&e->pacer, e->mono_now);
            if (pn > d)
                d = pn;
            if (d < timeout)
                timeout = d;
        }
        if (timeout < 0)
            timeout = 0;
        struct pollfd pfd = {.fd = e->cap.fd, .events = POLLIN};
        struct timespec ts = {.tv_sec = timeout / 1000000000LL, .tv_nsec = timeout % 1000000000LL};
        if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
            return fail(err, errlen, -errno, "poll: %s", strerror(errno));
    }
    if ((rc = drain(e, err, errlen)))
        return rc;
    kp_rx_finish(e->rx);
    copy_stats(e);
    kp_capture_flush(&e->cap);
    e->st.end_ns = kp_clock_ns(CLOCK_REALTIME);
    if (e->err[0] && e->st.probes_sent == 0)
        return fail(err, errlen, -EIO, "%s", e->err);
    if (e->st.probes_sent > 0 && e->st.rx_probes == 0)
        return fail(err, errlen, -EIO,
                    "the capture on %s saw none of the %llu probes sent (wrong --iface?)",
                    e->cfg.iface, (unsigned long long)e->st.probes_sent);
    return 0;
}

const struct kp_engine_stats *kp_engine_stats(const struct kp_engine *e)
{
    return &e->st;
}

int kp_engine_dry_run(struct kp_engine *e, void (*cb)(void *ctx, const uint8_t *pkt, size_t len),
                      void *ctx, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    uint8_t pkt[1600];
    for (uint32_t ji = 0; ji < e->n_jobs; ji++) {
        const struct job *j = &e->jobs[ji];
        for (unsigned ttl = o->first_ttl; ttl <= o->max_ttl; ttl++) {
            struct kp_probe_spec spec;
            memset(&spec, 0, sizeof(spec));
            spec.src = e->cfg.src;
            spec.dst = job_dst(e, j);
            spec.sport = o->sport;
            spec.dport = o->dport;
            spec.ttl = (uint8_t)ttl;
            spec.trace_id = (ji + 1) % MAX_SLOTS;
            spec.size = o->size;
            spec.key = &e->key;
            size_t len = sizeof(pkt);
            int rc = e->methods[j->mi]->build(&spec, pkt, &len);
            if (rc)
                return fail(err, errlen, rc, "building a %s probe: %s", e->methods[j->mi]->name,
                            strerror(-rc));
            cb(ctx, pkt, len);
        }
    }
    return 0;
}

void kp_engine_destroy(struct kp_engine *e)
{
    if (e == NULL)
        return;
    if (e->slots) {
        for (uint32_t i = 0; i < MAX_SLOTS; i++)
            free(e->slots[i]);
        free(e->slots);
    }
    kp_rx_destroy(e->rx);
    kp_schedule_destroy(e->sched);
    for (unsigned i = 0; i < KP_MAX_METHODS; i++)
        kp_stopset_free(&e->stopsets[i]);
    kp_trace_owners_free(&e->owners);
    kp_capture_close(&e->cap);
    kp_raw_close(&e->raw);
    free(e->jobs);
    free(e->g24);
    free(e->buckets);
    free(e);
}
