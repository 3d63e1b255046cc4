/* SPDX-License-Identifier: BSD-2-Clause */
/* engine.c — the live event loop. See engine.h. */
#include "prober/engine/engine.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include "core/plan/admit.h"
#include "core/plan/backoff.h"
#include "prober/sys/capture.h"
#include "core/codec/identity.h"
#include "core/plan/jobs.h"
#include "core/methods/method.h"
#include "prober/sys/net_raw.h"
#include "core/plan/pacer.h"
#include "core/rx/rx.h"
#include "core/rx/rx_kptrace.h"
#include "core/plan/schedule.h"
#include "core/plan/stopset.h"
#include "core/record/trace_owner.h"
#include "core/plan/tracer.h"

#define TICK_NS     100000000LL /* rx tick and poll ceiling: 100 ms */
#define PROGRESS_NS 250000000LL
#define MAX_ACTIVE  65536u /* the marker's 16-bit slot */
#define BATCH       64u    /* probes per sendmmsg */
#define PKT_MAX     1600u
#define TPL_MAX     96u         /* probes up to this size keep a template (all default sizes) */
#define BACKOFF_MIN 1000000LL   /* 1 ms: first pause after a transient send error */
#define BACKOFF_MAX 100000000LL /* 100 ms: a fault's end is noticed within this */
#define CAPTURE_LAG (4LL * KP_CAPTURE_BLOCK_MS * 1000000LL) /* frames still in the ring */
#define FINAL_DRAIN 500000000LL /* at most this long for the capture to show our last probes */
#define WAKE_EARLY  20000LL     /* a sleep before a send ends this much before it */
#define AT_FAULT_NS 100000000LL /* probes sent this long before a fault may be lost with it */
#define SENT_RING   256u        /* recent batches: (time, probes sent so far) */

struct active {
    struct kp_trace_owner *own; /* ledger entry (id, dst, method, job) */
    uint32_t slot, handle, bucket;
    struct kp_addr dst;
    const struct kp_method_ops *m;
    uint8_t mi;
    bool pilot, released;
    uint8_t dst_ttl;      /* lowest TTL the destination answered, 0 none */
    uint8_t unreach_ttl;  /* lowest TTL of a stopping unreachable, 0 none */
    uint64_t router_mask; /* TTLs answered by routers */
    struct kp_tracer tr;
    int64_t fail_since; /* CLOCK_MONOTONIC of its first refused send since one went
                           through (0 none): beyond --fault-wait the trace stops */
    uint16_t tpl_len;   /* its first probe, patched for the next ones (0: none) */
    uint8_t tpl[TPL_MAX];
};

struct pending {
    struct active *a;
    struct kp_tracer_probe pr;
    uint32_t handle;
};

/* A matched reply, as the receive thread hands it to the sending one. */
struct reply_ev {
    uint64_t id;
    struct kp_addr dst, from;
    uint8_t ttl, attempt;
    bool from_dst;
    enum kp_rx_kind kind;
    enum kp_stop stop;
    int64_t rtt_ns; /* < 0 unknown */
};

/* What the receive thread passes on: replies and closed records, in the
 * order rx produced them, and its counters. */
struct handover {
    struct reply_ev *ev;
    size_t n_ev, cap_ev;
    struct kp_trace **rec;
    size_t n_rec, cap_rec;
};

struct kp_engine {
    struct kp_engine_config cfg;
    const struct kp_options *o;
    struct kp_engine_stats st;
    const struct kp_method_ops *methods[KP_MAX_METHODS];
    struct kp_key key;
    struct kp_admit *adm;
    struct kp_slots slots;
    struct active **act; /* indexed by slot */
    uint32_t n_active, max_active, next_id;
    bool admit_end;
    struct kp_stopset stopsets[KP_MAX_METHODS];
    struct kp_trace_owners owners; /* traces in flight: id -> what they trace */
    struct kp_schedule *sched;
    struct kp_pacer pacer;
    struct kp_rx *rx;
    struct kp_raw raw;
    struct kp_capture cap;
    bool opened;
    int64_t mono_now;
    int64_t end_by;       /* CLOCK_MONOTONIC: a reply to a finished trace may come until then */
    struct kp_backoff bo; /* the global pause while the network refuses sends */
    int64_t ring_t[SENT_RING];  /* CLOCK_MONOTONIC of recent batches that went out */
    uint64_t ring_n[SENT_RING]; /* probes sent before each of them */
    uint32_t ring_head;
    uint64_t at_fault_upto; /* probes_sent when probes_at_fault was last counted */
    int64_t late_ewma;      /* how late the sleeps before a send end, on average */
    bool spacing;           /* the pacer spaces its sends (pace_spacing) */
    uint8_t *pkts;          /* BATCH x PKT_MAX */
    struct kp_raw_pkt batch[BATCH];
    struct pending pend[BATCH];
    int fail_rc;
    char fail_msg[256];
    char err[256];
    /* The receive thread: the capture and rx are its own once it runs. It
     * stages replies and records (stage), moves them into `shared` under
     * `mu` and wakes the sending thread through `efd`; the sending thread
     * swaps `shared` with its own empty `mine` and works through it. */
    pthread_t rx_thread;
    bool rx_started;
    pthread_mutex_t mu;
    int efd;
    struct handover stage, shared, mine;
    struct kp_rx_stats rs_shared; /* rx's counters, as last handed over */
    uint64_t frames_shared, cap_recv_shared, cap_drop_shared, cap_ifdrop_shared;
    uint64_t frames;                 /* receive thread */
    int rx_err, cap_err;             /* set by the receive thread (under mu) */
    bool rx_done;                    /* under mu: the receive thread delivered everything */
    atomic_bool rx_end;              /* the sending thread asks it to finish */
    atomic_uint_fast64_t sent_total; /* probes handed to the kernel */
    int64_t rx_end_at;               /* CLOCK_MONOTONIC when rx_end was set */
    /* The capture's faults (receive thread): an error of the live capture
     * (the interface went away) opens a gap, which ends when the interface
     * is back (reopened when it is a new one); the sending thread sends
     * nothing meanwhile (cap_down), and a gap beyond --fault-wait ends the
     * run. */
    char filter[128];
    unsigned cap_ifindex;             /* the interface's index when opened */
    int64_t cap_gap_since, cap_tried; /* CLOCK_MONOTONIC, 0 none */
    uint64_t cap_errors, cap_reopens, cap_gaps;
    int64_t cap_gap_ns;
    char cap_msg[256];   /* the capture's last error */
    char cap_fatal[400]; /* under mu: why the capture gave up */
    atomic_bool cap_down;
    bool cap_down_seen; /* sending thread: it saw cap_down */
    uint64_t cap_errors_shared, cap_reopens_shared, cap_gaps_shared;
    int64_t cap_gap_ns_shared;
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

uint32_t kp_engine_max_active(uint32_t pps)
{
    uint64_t ma = pps;
    if (ma < 16)
        ma = 16;
    if (ma > MAX_ACTIVE)
        ma = MAX_ACTIVE;
    return (uint32_t)ma;
}

static int64_t wait_ns(const struct kp_options *o)
{
    return (int64_t)o->wait_ms * 1000000LL;
}

static int64_t linger_ns(const struct kp_options *o)
{
    return wait_ns(o) + (int64_t)o->late_ms * 1000000LL;
}

int kp_engine_create(const struct kp_engine_config *cfg, struct kp_engine **out, char *err,
                     size_t errlen)
{
    const struct kp_options *o = cfg->opt;
    *out = NULL;
    if (cfg->src.family != 4)
        return fail(err, errlen, -EINVAL, "no IPv4 source address");
    struct kp_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    e->cfg = *cfg;
    e->o = o;
    e->raw.fd = -1;
    e->cap.fd = -1;
    e->efd = -1;
    pthread_mutex_init(&e->mu, NULL);
    atomic_init(&e->rx_end, false);
    atomic_init(&e->sent_total, 0);
    atomic_init(&e->cap_down, false);
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
    kp_trace_owners_init(&e->owners);
    kp_key_from_seed(cfg->seed, &e->key);
    e->max_active = kp_engine_max_active(o->pps);
    struct kp_admit_config ac = {
        .ranges = cfg->ranges,
        .n_ranges = cfg->n_ranges,
        .n_methods = o->n_methods,
        .seed = cfg->seed,
        .done = cfg->done,
        .doubletree = o->doubletree,
        .max_queued = 4 * e->max_active,
    };
    int rc = kp_admit_create(&ac, &e->adm);
    if (rc) {
        kp_engine_destroy(e);
        return fail(err, errlen, rc, rc == -ENOMEM ? "out of memory" : "the targets overlap");
    }
    e->st.jobs = kp_admit_jobs(e->adm);
    if (e->st.jobs == 0) {
        kp_engine_destroy(e);
        return fail(err, errlen, -EINVAL, "no targets");
    }
    e->act = calloc(e->max_active, sizeof(*e->act));
    e->pkts = malloc((size_t)BATCH * PKT_MAX);
    if (e->act == NULL || e->pkts == NULL || kp_slots_init(&e->slots, e->max_active) != 0) {
        kp_engine_destroy(e);
        return -ENOMEM;
    }
    e->next_id = cfg->first_tid ? cfg->first_tid : 1;
    e->st.next_id = e->next_id;
    *out = e;
    return 0;
}

int kp_engine_learn(struct kp_engine *e, const struct kp_trace *t, unsigned mi)
{
    if (mi >= e->o->n_methods || t->dst.family != 4)
        return 0;
    kp_admit_known(e->adm, kp_addr_v4_host(&t->dst), mi);
    return kp_stopset_learn(&e->stopsets[mi], t);
}

void kp_engine_fail(struct kp_engine *e, int rc, const char *msg)
{
    if (e->fail_rc)
        return;
    e->fail_rc = rc ? rc : -EIO;
    snprintf(e->fail_msg, sizeof(e->fail_msg), "%s", msg);
}

/* ---- Doubletree learning ------------------------------------------------ */

/* The border TTL a finished (or released) trace found: the highest TTL a
 * router answered below the destination's (or the stopping unreachable's,
 * which counts as a router). 0 when none. */
static uint8_t border_of(const struct active *a)
{
    unsigned limit = a->dst_ttl ? a->dst_ttl : 64;
    for (unsigned ttl = limit - 1; ttl >= 1; ttl--)
        if (a->router_mask & (1ull << ttl))
            return (uint8_t)ttl;
    return 0;
}

static void release(struct kp_engine *e, struct active *a)
{
    if (!a->pilot || a->released)
        return;
    a->released = true;
    uint8_t b = border_of(a);
    if (b)
        kp_stopset_set_border(&e->stopsets[a->mi], &a->dst, b);
    kp_admit_release(e->adm, a->bucket);
}

/* ---- rx callbacks ------------------------------------------------------- */

/* Receive thread: rx closed a record: move it (its hops too) into the stage. */
static void on_trace(void *ctx, struct kp_trace *t)
{
    struct kp_engine *e = ctx;
    struct handover *h = &e->stage;
    struct kp_trace *c = malloc(sizeof(*c));
    if (h->n_rec == h->cap_rec) {
        size_t cap = h->cap_rec ? 2 * h->cap_rec : 256;
        struct kp_trace **n = realloc(h->rec, cap * sizeof(*n));
        if (n == NULL) {
            free(c);
            e->rx_err = -ENOMEM;
            return;
        }
        h->rec = n;
        h->cap_rec = cap;
    }
    if (c == NULL) {
        e->rx_err = -ENOMEM;
        return;
    }
    *c = *t; /* takes the hops (rx.h: the callee may) */
    t->hops = NULL;
    t->n_hops = t->cap_hops = 0;
    h->rec[h->n_rec++] = c;
}

/* Receive thread: a matched reply: staged for the sending thread. */
static void on_reply(void *ctx, const struct kp_rx_reply *r)
{
    struct kp_engine *e = ctx;
    struct handover *h = &e->stage;
    if (r->kind == KP_RX_OTHER)
        return;
    if (h->n_ev == h->cap_ev) {
        size_t cap = h->cap_ev ? 2 * h->cap_ev : 1024;
        struct reply_ev *n = realloc(h->ev, cap * sizeof(*n));
        if (n == NULL) {
            e->rx_err = -ENOMEM;
            return;
        }
        h->ev = n;
        h->cap_ev = cap;
    }
    const struct kp_hop *hop = r->hop;
    h->ev[h->n_ev++] = (struct reply_ev){
        .id = r->trace->id,
        .dst = r->trace->dst,
        .from = hop->addr,
        .ttl = hop->ttl,
        .attempt = hop->attempt,
        .from_dst = (hop->flags & KP_HOP_FROM_DST) || r->kind == KP_RX_REACHED,
        .kind = r->kind,
        .stop = r->stop,
        .rtt_ns = hop->rtt_ms >= 0 ? (int64_t)(hop->rtt_ms * 1e6) : -1,
    };
}

/* Sending thread: a record, checked against the plan, then the caller's. */
static void take_record(struct kp_engine *e, struct kp_trace *t)
{
    struct kp_trace_owner *own;
    if (kp_trace_owners_take(&e->owners, t, &own) == KP_OWNER_OK) {
        t->send_failed = own->send_failed; /* the capture cannot know them */
        if (own->running != NULL)
            ((struct active *)own->running)->own = NULL; /* closed early: counted by rx */
        kp_trace_owner_free(own);
        e->st.traces_written++;
    } else {
        e->st.records_unplanned++;
    }
    if (e->cfg.on_trace)
        e->cfg.on_trace(e->cfg.ctx, t);
}

/* Sending thread: a reply to one of the traces, for its tracer. */
static void take_reply(struct kp_engine *e, const struct reply_ev *r)
{
    struct kp_trace_owner *own = kp_trace_owners_find(&e->owners, r->id);
    if (own == NULL || own->running == NULL)
        return;
    struct active *a = own->running;
    if (!kp_addr_eq(&r->dst, &a->dst))
        return;
    enum kp_tracer_event ev = r->kind == KP_RX_REACHED   ? KP_TRACER_EV_REACHED
                              : r->kind == KP_RX_UNREACH ? KP_TRACER_EV_UNREACH
                                                         : KP_TRACER_EV_HOP;
    if (r->rtt_ns >= 0)
        kp_tracer_rtt(&a->tr, r->rtt_ns);
    /* the tracer checks the stop set before this reply joins it */
    kp_tracer_reply(&a->tr, r->ttl, r->attempt, ev, r->stop, &r->from);
    if (r->ttl <= KP_TRACER_MAX_TTL) {
        if (r->from_dst) {
            if (a->dst_ttl == 0 || r->ttl < a->dst_ttl)
                a->dst_ttl = r->ttl;
        } else {
            a->router_mask |= 1ull << r->ttl;
            if (kp_addr_is_set(&r->from))
                kp_stopset_add_iface(&e->stopsets[a->mi], &r->from);
            if (ev == KP_TRACER_EV_UNREACH && (a->unreach_ttl == 0 || r->ttl < a->unreach_ttl))
                a->unreach_ttl = r->ttl;
        }
    }
    if (a->pilot && !a->released && kp_tracer_forward_done(&a->tr))
        release(e, a);
    kp_schedule_arm(e->sched, a->handle, e->mono_now);
}

/* ---- opening ------------------------------------------------------------ */

int kp_engine_open(struct kp_engine *e, char *err, size_t errlen)
{
    int rc;
    char a[KP_ADDR_STRLEN];
    kp_addr_str(&e->cfg.src, a, sizeof(a));
    snprintf(e->filter, sizeof(e->filter), "ip host %s", a);
    /* Not bound to the interface (SO_BINDTODEVICE): a socket bound to a
     * device whose routes are gone sends on it anyway, as if every address
     * were on the link (the probes then die unanswered in ARP); unbound, a
     * missing route is ENETUNREACH, which the engine rides out. */
    if ((rc = kp_raw_open(&e->raw, NULL)))
        return fail(err, errlen, rc, "raw socket: %s (kptrace needs root or CAP_NET_RAW)",
                    strerror(-rc));
    if ((rc = kp_capture_open(&e->cap, e->cfg.iface, e->filter, (size_t)e->o->capture_kib << 10,
                              err, errlen)))
        return rc;
    e->cap_ifindex = if_nametoindex(e->cfg.iface);
    snprintf(e->st.ts_source, sizeof(e->st.ts_source), "%s", e->cap.ts_source);
    if (e->cfg.pcap_path &&
        (rc = e->cfg.pcap_append ? kp_capture_dump_append(&e->cap, e->cfg.pcap_path, err, errlen)
                                 : kp_capture_dump_open(&e->cap, e->cfg.pcap_path, err, errlen)))
        return rc;
    e->opened = true;
    return 0;
}

/* ---- running ------------------------------------------------------------ */

static void finish_active(struct kp_engine *e, struct active *a)
{
    e->st.done++;
    e->st.probes_saved += a->tr.probes_saved;
    int64_t until = kp_tracer_outstanding_until(&a->tr);
    if (until > e->end_by)
        e->end_by = until;
    uint8_t b = border_of(a);
    if (b)
        kp_stopset_set_border(&e->stopsets[a->mi], &a->dst, b);
    if (a->pilot) {
        a->released = true;
        kp_admit_pilot_done(e->adm, a->bucket);
    }
    if (a->own)
        a->own->running = NULL;
    kp_schedule_remove(e->sched, a->handle);
    kp_slots_put(&e->slots, a->slot);
    e->act[a->slot] = NULL;
    e->n_active--;
    free(a);
}

static int start_job(struct kp_engine *e, const struct kp_admit_start *s, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    int64_t slot = kp_slots_take(&e->slots);
    if (slot < 0)
        return fail(err, errlen, -EIO, "no free slot with %u traces running", e->n_active);
    struct active *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        kp_slots_put(&e->slots, (uint32_t)slot);
        return -ENOMEM;
    }
    uint32_t id = e->next_id++;
    if (e->next_id == 0)
        e->next_id = 1;
    e->st.next_id = e->next_id;
    a->slot = (uint32_t)slot;
    a->bucket = s->bucket;
    a->dst = kp_addr_v4(s->job.addr);
    a->mi = s->job.mi;
    a->m = e->methods[a->mi];
    a->pilot = s->pilot;
    struct kp_tracer_params p;
    kp_tracer_params_default(&p);
    p.first_ttl = o->first_ttl;
    p.max_ttl = o->max_ttl;
    p.attempts = o->attempts;
    p.gap_limit = o->gap_limit;
    p.window = o->window;
    p.wait_ns = wait_ns(o);
    p.linger_ns = linger_ns(o); /* as rx: replies until wait + late */
    if (s->pilot) {
        /* the pilot does not wait a whole wait on a silent router before the
         * next TTL (tracer.h: presume_ns), so that its followers, released
         * when it has its answer, start soon */
        p.presume_ns = p.wait_ns / 10;
        p.publish = s->hint;
    } else if (s->follower) {
        p.start_ttl = kp_stopset_border(&e->stopsets[a->mi], &a->dst);
        if (p.start_ttl > o->max_ttl)
            p.start_ttl = o->max_ttl;
        p.stopset = &e->stopsets[a->mi];
        p.hint = s->hint;
    }
    int rc = kp_tracer_init(&a->tr, &p);
    if (rc) {
        kp_slots_put(&e->slots, (uint32_t)slot);
        free(a);
        return fail(err, errlen, rc, "tracer parameters rejected");
    }
    a->own = kp_trace_owners_add(&e->owners, id, &a->dst, a->m->id, s->job.index);
    if (a->own == NULL || (rc = kp_schedule_add(e->sched, &a->dst, a, e->mono_now, &a->handle))) {
        if (a->own) {
            struct kp_trace fake;
            kp_trace_init(&fake);
            fake.id = id;
            fake.dst = a->dst;
            fake.method = a->m->id;
            struct kp_trace_owner *x;
            if (kp_trace_owners_take(&e->owners, &fake, &x) == KP_OWNER_OK)
                kp_trace_owner_free(x);
        }
        kp_slots_put(&e->slots, (uint32_t)slot);
        free(a);
        return -ENOMEM;
    }
    a->own->running = a;
    e->act[slot] = a;
    e->n_active++;
    if (e->n_active > e->st.active_max)
        e->st.active_max = e->n_active;
    e->st.started++;
    return 0;
}

/* Start traces while there is room. */
static int admit(struct kp_engine *e, char *err, size_t errlen)
{
    while (e->n_active < e->max_active && !e->admit_end) {
        struct kp_admit_start s;
        int rc = kp_admit_next(e->adm, &s);
        if (rc < 0)
            return fail(err, errlen, rc, "out of memory");
        if (rc == KP_ADMIT_END)
            e->admit_end = true;
        if (rc != KP_ADMIT_START)
            break;
        if ((rc = start_job(e, &s, err, errlen)))
            return rc;
    }
    return 0;
}

static void count_errno(struct kp_engine *e, int rc)
{
    int en = -rc;
    if (en < 0 || en >= KP_ENGINE_ERRNO_MAX)
        en = KP_ENGINE_ERRNO_MAX - 1;
    e->st.send_errno[en]++;
}

/* Probes sent in the `window` ns before now: a link that fails may drop
 * what is on its way out while the kernel reports it sent. */
static uint64_t sent_lately(struct kp_engine *e, int64_t now, int64_t window)
{
    uint64_t since = e->st.probes_sent;
    for (uint32_t k = 0; k < SENT_RING; k++) {
        uint32_t i = (e->ring_head + SENT_RING - 1 - k) % SENT_RING;
        if (e->ring_t[i] == 0 || now - e->ring_t[i] > window)
            break;
        since = e->ring_n[i];
    }
    /* not those counted at an earlier fault already */
    if (since < e->at_fault_upto)
        since = e->at_fault_upto;
    e->at_fault_upto = e->st.probes_sent;
    return e->st.probes_sent - since;
}

/* A send of trace a was refused for a moment at now: the global pause
 * (backoff.h); a fault beyond --fault-wait ends the run, a trace whose own
 * sends were refused that long (its destination alone unreachable while
 * others go through) stops with "error". */
static void send_refused(struct kp_engine *e, struct active *a, int rc)
{
    int64_t now = e->mono_now, limit = (int64_t)e->o->fault_wait_s * 1000000000LL;
    e->st.send_retries++;
    e->st.fault_errno = -rc;
    if (a->own)
        a->own->send_failed++;
    if (a->fail_since == 0)
        a->fail_since = now;
    if (!e->bo.faulty)
        e->st.probes_at_fault += sent_lately(e, now, AT_FAULT_NS);
    if (kp_backoff_fail(&e->bo, now)) {
        char m[256];
        snprintf(m, sizeof(m),
                 "sends refused for %lld s (%s), beyond --fault-wait %u s: the traces not "
                 "finished are recorded as interrupted; --resume probes them",
                 (long long)(kp_backoff_fault_ns(&e->bo, now) / 1000000000LL), strerror(-rc),
                 e->o->fault_wait_s);
        kp_engine_fail(e, rc, m);
    } else if (now - a->fail_since > limit) {
        e->st.send_errors++;
        if (!e->err[0])
            snprintf(e->err, sizeof(e->err), "sending to trace %llu: %s for %u s",
                     a->own ? (unsigned long long)a->own->id : 0ull, strerror(-rc),
                     e->o->fault_wait_s);
        kp_tracer_abort(&a->tr, KP_STOP_ERROR);
    }
}

/* Send the batch collected: probes that left are counted; on a transient
 * error (backoff.h: no route, the link down, the buffer full, a firewall)
 * the probe and those after it are unsent (their tracers send them again:
 * the attempt is not used up) and sending pauses for everyone; on another
 * error the trace of that probe stops ("error") and the rest of the batch is
 * tried again. The first send that goes through after a fault ends it and
 * the pacer starts again from then, with nothing saved up. */
static void flush_batch(struct kp_engine *e, unsigned n)
{
    unsigned off = 0;
    while (off < n) {
        unsigned sent = 0;
        int rc = kp_raw_send_batch(&e->raw, e->batch + off, n - off, &sent);
        /* the waits count from when the probes left (after the kernel's
         * capture timestamps of them) */
        int64_t left = kp_clock_ns(CLOCK_MONOTONIC);
        for (unsigned i = off; i < off + sent; i++) {
            struct active *a = e->pend[i].a;
            kp_tracer_sent(&a->tr, &e->pend[i].pr, left);
            a->fail_since = 0;
            e->st.probes_sent++;
            if (a->own)
                a->own->probes_sent++;
        }
        if (sent > 0) {
            e->ring_t[e->ring_head] = left;
            e->ring_n[e->ring_head] = e->st.probes_sent - sent;
            e->ring_head = (e->ring_head + 1) % SENT_RING;
            e->st.last_probe_ns = kp_clock_ns(CLOCK_REALTIME);
            if (kp_backoff_ok(&e->bo, left)) {
                kp_pacer_restart(&e->pacer, left);
                e->st.send_faults = e->bo.faults;
                e->st.send_fault_ns = e->bo.faulted_ns;
                e->st.send_fault_max_ns = e->bo.longest_ns;
            }
        }
        off += sent;
        if (rc == 0)
            break;
        count_errno(e, rc);
        if (kp_send_error_transient(rc)) {
            send_refused(e, e->pend[off].a, rc);
            for (unsigned i = n; i-- > off;) {
                kp_tracer_unsend(&e->pend[i].a->tr, &e->pend[i].pr, e->mono_now);
                kp_schedule_arm(e->sched, e->pend[i].handle, e->mono_now);
            }
            return;
        }
        struct active *a = e->pend[off].a;
        e->st.send_errors++;
        if (!e->err[0])
            snprintf(e->err, sizeof(e->err), "sending to trace %llu: %s",
                     a->own ? (unsigned long long)a->own->id : 0ull, strerror(-rc));
        kp_tracer_abort(&a->tr, KP_STOP_ERROR);
        off++;
    }
}

/* Collect ready probes while the pacer has tokens (up to BATCH), build
 * them and send them in one batch; repeat while there is work. */
static int send_some(struct kp_engine *e, char *err, size_t errlen)
{
    const struct kp_options *o = e->o;
    if (atomic_load(&e->cap_down)) {
        if (!e->cap_down_seen) /* the interface went away with what it was sending */
            /* (noticed up to a tick of the receive thread late) */
            e->st.probes_at_fault += sent_lately(e, e->mono_now, AT_FAULT_NS + TICK_NS);
        e->cap_down_seen = true;
        return 0; /* a probe the capture cannot see would be lost to the record */
    }
    e->cap_down_seen = false;
    for (int round = 0; round < 64; round++) {
        unsigned n = 0;
        while (n < BATCH) {
            int64_t now = e->mono_now;
            /* while the network refuses sends, one probe at a time tries */
            if (kp_backoff_paused(&e->bo, now) || (e->bo.faulty && n > 0) ||
                kp_pacer_next(&e->pacer, now) > 0)
                break;
            void *item;
            uint32_t h;
            if (kp_schedule_pick(e->sched, now, &item, &h) != 0)
                break;
            struct active *a = item;
            struct kp_tracer_probe pr;
            int64_t wake = INT64_MAX;
            enum kp_tracer_status s =
                kp_tracer_next(&a->tr, now, kp_schedule_rand(e->sched), &pr, &wake);
            if (s == KP_TRACER_DONE) {
                /* not while its probes wait in the batch */
                bool queued = false;
                for (unsigned i = 0; i < n; i++)
                    queued |= e->pend[i].a == a;
                if (queued) {
                    kp_schedule_arm(e->sched, h, now);
                    break;
                }
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
            spec.trace_id = a->own ? (uint32_t)a->own->id : 0;
            spec.slot = (uint16_t)a->slot;
            spec.size = o->size;
            spec.key = &e->key;
            uint8_t *pkt = e->pkts + (size_t)n * PKT_MAX;
            size_t len = PKT_MAX;
            int rc = -EINVAL;
            if (a->tpl_len > 0) {
                /* the trace's first probe, rewritten for this TTL and attempt */
                memcpy(pkt, a->tpl, a->tpl_len);
                len = a->tpl_len;
                rc = a->m->patch(&spec, pkt, len);
            }
            if (rc != 0) {
                len = PKT_MAX;
                rc = a->m->build(&spec, pkt, &len);
                if (rc == 0 && len <= TPL_MAX && a->m->patch(&spec, pkt, len) == 0) {
                    memcpy(a->tpl, pkt, len);
                    a->tpl_len = (uint16_t)len;
                }
            }
            kp_schedule_arm(e->sched, h, now);
            if (rc) {
                e->st.send_errors++;
                snprintf(e->err, sizeof(e->err), "building a %s probe: %s", a->m->name,
                         strerror(-rc));
                kp_tracer_abort(&a->tr, KP_STOP_ERROR);
                continue;
            }
            e->batch[n] = (struct kp_raw_pkt){.data = pkt, .len = len, .dst = a->dst};
            e->pend[n] = (struct pending){.a = a, .pr = pr, .handle = h};
            n++;
        }
        if (n == 0)
            return 0;
        flush_batch(e, n);
        if (n < BATCH || e->bo.faulty || e->fail_rc)
            return 0;
    }
    return 0;
}

/* ---- the receive thread ------------------------------------------------- */

static void on_frame(void *ctx, int dlt, const uint8_t *frame, uint32_t caplen, uint32_t len,
                     int64_t ts_ns)
{
    struct kp_engine *e = ctx;
    (void)len;
    e->frames++;
    if (kp_rx_frame(e->rx, dlt, ts_ns, frame, caplen) != 0)
        e->rx_err = -ENOMEM;
}

/* Append the n_src elements of src to the array *dst (n, cap grown as
 * needed); *n_src becomes 0. 0 or -ENOMEM (then nothing moved). */
static int append(void *dst, size_t *n, size_t *cap, const void *src, size_t *n_src, size_t elem)
{
    void **arr = dst;
    if (*n + *n_src > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *n + *n_src)
            c *= 2;
        void *x = realloc(*arr, c * elem);
        if (x == NULL)
            return -ENOMEM;
        *arr = x;
        *cap = c;
    }
    memcpy((char *)*arr + *n * elem, src, *n_src * elem);
    *n += *n_src;
    *n_src = 0;
    return 0;
}

/* Receive thread: hand what was staged (and the counters) over. */
static void publish(struct kp_engine *e, bool done)
{
    pthread_mutex_lock(&e->mu);
    struct handover *s = &e->stage, *d = &e->shared;
    bool any = s->n_ev > 0 || s->n_rec > 0 || done;
    if (d->n_ev == 0 && d->n_rec == 0) {
        struct handover t = *d; /* swap: no copy */
        *d = *s;
        *s = t;
    } else {
        /* the sending thread has not taken the last batch yet: append */
        if (append(&d->ev, &d->n_ev, &d->cap_ev, s->ev, &s->n_ev, sizeof(*s->ev)) ||
            append(&d->rec, &d->n_rec, &d->cap_rec, s->rec, &s->n_rec, sizeof(*s->rec)))
            e->rx_err = -ENOMEM;
    }
    e->rs_shared = *kp_rx_stats(e->rx);
    e->frames_shared = e->frames;
    kp_capture_stats(&e->cap, &e->cap_recv_shared, &e->cap_drop_shared, &e->cap_ifdrop_shared);
    e->cap_errors_shared = e->cap_errors;
    e->cap_reopens_shared = e->cap_reopens;
    e->cap_gaps_shared = e->cap_gaps;
    e->cap_gap_ns_shared = e->cap_gap_ns;
    if (done)
        e->rx_done = true;
    pthread_mutex_unlock(&e->mu);
    if (any) {
        uint64_t one = 1;
        ssize_t w = write(e->efd, &one, sizeof(one));
        (void)w;
    }
}

/* Receive thread: the live capture failed (the interface went away): a
 * gap opens; the sending thread stops sending until it closes. */
static void capture_failed(struct kp_engine *e, const char *msg)
{
    e->cap_errors++;
    snprintf(e->cap_msg, sizeof(e->cap_msg), "%s", msg);
    if (e->cap_gap_since == 0) {
        e->cap_gap_since = kp_clock_ns(CLOCK_MONOTONIC);
        e->cap_tried = e->cap_gap_since;
        atomic_store(&e->cap_down, true);
    }
}

/* Receive thread, in a gap, at most every TICK_NS: is the interface back?
 * The same one (its index unchanged: it was down) is captured again as it
 * is; a new one of that name is reopened (needs the privileges of the
 * start: after --user drops them it cannot be). A gap beyond --fault-wait
 * ends the run. Returns true when the capture works again. */
static bool capture_retry(struct kp_engine *e)
{
    int64_t now = kp_clock_ns(CLOCK_MONOTONIC);
    if (now - e->cap_tried < TICK_NS)
        return false;
    e->cap_tried = now;
    unsigned idx = if_nametoindex(e->cfg.iface);
    if (idx != 0 && idx != e->cap_ifindex) {
        char err[256];
        int rc = kp_capture_reopen(&e->cap, e->cfg.iface, e->filter,
                                   (size_t)e->o->capture_kib << 10, err, sizeof(err));
        if (rc == 0) {
            e->cap_reopens++;
            e->cap_ifindex = idx;
        } else {
            snprintf(e->cap_msg, sizeof(e->cap_msg), "reopening: %.200s", err);
            idx = 0;
        }
    }
    if (idx == 0) {
        if (now - e->cap_gap_since > (int64_t)e->o->fault_wait_s * 1000000000LL) {
            pthread_mutex_lock(&e->mu);
            if (e->cap_err == 0) {
                e->cap_err = -ENODEV;
                snprintf(e->cap_fatal, sizeof(e->cap_fatal),
                         "capture on %.16s: %.180s; no capture for %u s (--fault-wait): the "
                         "traces not finished are recorded as interrupted; --resume probes them",
                         e->cfg.iface, e->cap_msg, e->o->fault_wait_s);
            }
            pthread_mutex_unlock(&e->mu);
        }
        return false;
    }
    e->cap_gaps++;
    e->cap_gap_ns += now - e->cap_gap_since;
    e->cap_gap_since = 0;
    atomic_store(&e->cap_down, false);
    return true;
}

static void drain_capture(struct kp_engine *e)
{
    char err[256];
    int n;
    if (e->cap_gap_since != 0 && !capture_retry(e))
        return;
    do {
        n = kp_capture_dispatch(&e->cap, 0, on_frame, e, err, sizeof(err));
        if (n < 0) {
            capture_failed(e, strncmp(err, "capture: ", 9) == 0 ? err + 9 : err);
            return;
        }
    } while (n > 0);
}

/* Capture, rx, the capture file: everything received, in its own thread so
 * that the sending thread never handles a frame. */
static void *rx_main(void *arg)
{
    struct kp_engine *e = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the sending thread's */
    int64_t last_tick = 0, last_flush = kp_clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        drain_capture(e);
        int64_t now = kp_clock_ns(CLOCK_MONOTONIC);
        if (now - last_tick >= TICK_NS) {
            kp_rx_tick(e->rx, kp_clock_ns(CLOCK_REALTIME));
            last_tick = now;
        }
        if (now - last_flush >= 1000000000LL) {
            int rc = kp_capture_flush(&e->cap);
            if (rc)
                e->cap_err = rc;
            last_flush = now;
        }
        publish(e, false);
        if (atomic_load(&e->rx_end)) {
            /* The capture hands frames over a block at a time: take what
             * the kernel still holds, until it shows every probe sent (or
             * a bound). */
            uint64_t sent = atomic_load(&e->sent_total);
            if ((kp_rx_stats(e->rx)->probes >= sent && now - e->rx_end_at >= CAPTURE_LAG) ||
                now - e->rx_end_at >= FINAL_DRAIN)
                break;
        }
        /* in a gap the descriptor may stay readable (an error): a tick */
        struct pollfd pfd = {.fd = e->cap_gap_since ? -1 : e->cap.fd, .events = POLLIN};
        poll(&pfd, 1, atomic_load(&e->rx_end) ? KP_CAPTURE_BLOCK_MS : (int)(TICK_NS / 1000000));
    }
    drain_capture(e);
    kp_rx_finish(e->rx);
    int rc = kp_capture_flush(&e->cap);
    if (rc)
        e->cap_err = rc;
    publish(e, true);
    return NULL;
}

static void copy_stats(struct kp_engine *e)
{
    pthread_mutex_lock(&e->mu);
    const struct kp_rx_stats *rs = &e->rs_shared;
    e->st.rx_probes = rs->probes;
    e->st.rx_probes_foreign = rs->probes_foreign;
    e->st.rx_replies_in = rs->replies_in;
    e->st.rx_replies = rs->replies;
    e->st.rx_unmatched = rs->unmatched;
    e->st.rx_rejected = rs->rejected;
    e->st.rx_late = rs->replies_late;
    e->st.rx_replies_ignored = rs->dup_frames + rs->expired + rs->ambiguous + rs->replies_lost;
    e->st.rx_traces_split = rs->traces_split;
    e->st.rx_traces_forced = rs->traces_forced;
    e->st.frames = e->frames_shared;
    e->st.cap_recv = e->cap_recv_shared;
    e->st.cap_drop = e->cap_drop_shared;
    e->st.cap_ifdrop = e->cap_ifdrop_shared;
    e->st.cap_errors = e->cap_errors_shared;
    e->st.cap_reopens = e->cap_reopens_shared;
    e->st.cap_gaps = e->cap_gaps_shared;
    e->st.cap_gap_ns = e->cap_gap_ns_shared;
    pthread_mutex_unlock(&e->mu);
}

/* Sending thread: take what the receive thread handed over: replies for the
 * tracers, records for the plan and the caller. Returns true when the
 * receive thread is done (it delivered everything). */
static bool take_over(struct kp_engine *e)
{
    uint64_t x;
    ssize_t r = read(e->efd, &x, sizeof(x)); /* clear the wake-up */
    (void)r;
    pthread_mutex_lock(&e->mu);
    struct handover t = e->shared;
    e->shared = e->mine;
    e->mine = t;
    bool done = e->rx_done;
    int rx_err = e->rx_err, cap_err = e->cap_err;
    char fatal[sizeof(e->cap_fatal)];
    memcpy(fatal, e->cap_fatal, sizeof(fatal));
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; i < e->mine.n_ev; i++)
        take_reply(e, &e->mine.ev[i]);
    for (size_t i = 0; i < e->mine.n_rec; i++) {
        take_record(e, e->mine.rec[i]);
        kp_trace_free(e->mine.rec[i]);
        free(e->mine.rec[i]);
    }
    e->mine.n_ev = e->mine.n_rec = 0;
    if (rx_err && !e->fail_rc)
        kp_engine_fail(e, rx_err, "receive path: out of memory");
    if (cap_err && !e->fail_rc && fatal[0]) {
        kp_engine_fail(e, cap_err, fatal);
    } else if (cap_err && !e->fail_rc) {
        char m[256];
        snprintf(m, sizeof(m), "%s: %s", e->cfg.pcap_path ? e->cfg.pcap_path : "capture file",
                 strerror(-cap_err));
        kp_engine_fail(e, cap_err, m);
    }
    return done;
}

static void handover_free(struct handover *h)
{
    for (size_t i = 0; i < h->n_rec; i++) {
        kp_trace_free(h->rec[i]);
        free(h->rec[i]);
    }
    free(h->rec);
    free(h->ev);
    memset(h, 0, sizeof(*h));
}

/* How late the sleeps before a send end (their average, over the last few)
 * decides the spacing: while they end on time the pacer spreads a catch-up
 * (60% of the interval at least between two probes); when the scheduler
 * wakes the sender later than a third of the interval, spacing would cost
 * the rate itself (each probe waiting for a late wake-up), so the tokens
 * saved go out together, as few as the lateness calls for. */
static void pace_spacing(struct kp_engine *e, int64_t over)
{
    if (over < 0)
        over = 0;
    e->late_ewma = (7 * e->late_ewma + over) / 8;
    bool want = e->late_ewma * 3 < e->pacer.interval_ns;
    if (want != e->spacing) {
        kp_pacer_set_spacing(&e->pacer, want ? 60 : 0);
        e->spacing = want;
    }
}

static void stop_all(struct kp_engine *e)
{
    for (uint32_t i = 0; i < e->max_active; i++)
        if (e->act[i]) {
            kp_tracer_abort(&e->act[i]->tr, KP_STOP_INTERRUPTED);
            finish_active(e, e->act[i]);
        }
    e->admit_end = true;
}

static void count_unrecorded(void *ctx, const struct kp_trace_owner *own)
{
    struct kp_engine *e = ctx;
    if (own->probes_sent == 0)
        e->st.skipped_not_sent++;
    else
        e->st.skipped_not_captured++;
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
    /* The pacer forgives 10 ms of lateness (a sender woken late spends the
     * tokens it saved, so the rate is the one asked for), and while the
     * sleeps end on time it never sends two probes closer than 60% of the
     * interval: a late wake-up is then caught up at most 1.67 times the rate,
     * not in a burst (pace_spacing). */
    uint32_t burst = o->pps / 100;
    if (burst < 2)
        burst = 2;
    if (burst > KP_PACER_MAX_BURST)
        burst = KP_PACER_MAX_BURST;
    rc = kp_pacer_init(&e->pacer, o->pps, burst,
                       o->unsafe_rate ? KP_UNSAFE_MAX_PPS : KP_CEILING_PPS);
    if (rc < 0)
        return fail(err, errlen, rc, "pacer: %s", strerror(-rc));
    kp_pacer_set_spacing(&e->pacer, 60);
    e->spacing = true;
    static const struct kp_rx_classifier *const cls[] = {&kp_rx_classifier_kptrace};
    struct kp_rx_config rc_cfg = {
        .validate = kp_rx_kptrace_validate,             /* keyed check of every reply */
        .validate_probe = kp_rx_kptrace_validate_probe, /* and of every probe: ours only */
        .validate_ctx = &e->key,
        .classifiers = cls,
        .n_classifiers = 1,
        .vp = o->vp,
        .ts_source = e->st.ts_source,
        .run = {.first_ttl = o->first_ttl,
                .max_ttl = o->max_ttl,
                .attempts = o->attempts,
                .gap_limit = o->gap_limit,
                .wait_ms = o->wait_ms,
                .has_late = true,
                .late_ms = o->late_ms},
        .wait_ns = wait_ns(o),
        .linger_ns = 0, /* rx's per-probe rule (wait + late), the same as replay's */
        .idle_ns = 0,   /* rx's default, the same as replay's (own traces never idle out) */
        .lag_ns = CAPTURE_LAG + TICK_NS,
        .on_trace = on_trace,
        .on_reply = on_reply,
        .ctx = e,
    };
    if ((rc = kp_rx_create(&rc_cfg, &e->rx)))
        return fail(err, errlen, rc, "receive path: %s", strerror(-rc));
    e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->efd < 0)
        return fail(err, errlen, -errno, "eventfd: %s", strerror(errno));
    /* sleeps end when asked, not up to 50 us later (the default timer
     * slack): the pacer's gaps are 100 us at 10000 pps */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    kp_backoff_init(&e->bo, BACKOFF_MIN, BACKOFF_MAX, (int64_t)o->fault_wait_s * 1000000000LL);
    e->st.start_ns = kp_clock_ns(CLOCK_REALTIME);
    e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
    if ((rc = pthread_create(&e->rx_thread, NULL, rx_main, e)) != 0)
        return fail(err, errlen, -rc, "receive thread: %s", strerror(rc));
    e->rx_started = true;
    int64_t last_progress = 0, stop_at = 0;
    if ((rc = admit(e, err, errlen)))
        goto stop_rx;
    for (;;) {
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        take_over(e);
        bool stopping = (e->cfg.stop && *e->cfg.stop) || e->fail_rc;
        if (stopping && stop_at == 0) {
            e->st.interrupted = e->fail_rc == 0;
            stop_all(e);
            stop_at = e->mono_now;
        }
        if (stop_at == 0) {
            if ((rc = send_some(e, err, errlen)))
                goto stop_rx;
            if ((rc = admit(e, err, errlen)))
                goto stop_rx;
        }
        e->mono_now = kp_clock_ns(CLOCK_MONOTONIC);
        e->st.fault_now_ns = kp_backoff_fault_ns(&e->bo, e->mono_now);
        if (e->cfg.on_progress && e->mono_now - last_progress >= PROGRESS_NS) {
            copy_stats(e);
            e->cfg.on_progress(e->cfg.ctx, &e->st, e->mono_now);
            last_progress = e->mono_now;
        }
        /* The end: every trace done and no unanswered probe can still be
         * answered (wait + late after it); after a stop, at once. */
        bool all_done = e->n_active == 0 && e->admit_end;
        if (stop_at != 0 || (all_done && e->mono_now >= e->end_by))
            break;
        int64_t timeout = TICK_NS;
        if (all_done) {
            timeout = e->end_by - e->mono_now;
        } else {
            int64_t wake = kp_schedule_next_wake(e->sched);
            if (wake != INT64_MAX) {
                int64_t d = wake - e->mono_now;
                int64_t pn = kp_pacer_next(&e->pacer, e->mono_now);
                if (pn > d)
                    d = pn;
                if (e->bo.faulty && e->bo.until_ns - e->mono_now > d)
                    d = e->bo.until_ns - e->mono_now;
                if (d < timeout)
                    timeout = d;
            }
        }
        if (timeout > TICK_NS)
            timeout = TICK_NS;
        /* a sleep before a send ends WAKE_EARLY before it (the rest is
         * waited for awake) */
        bool for_send = !all_done && timeout < TICK_NS;
        if (for_send)
            timeout -= WAKE_EARLY;
        if (timeout < 0)
            timeout = 0;
        struct pollfd pfd = {.fd = e->efd, .events = POLLIN};
        struct timespec ts = {.tv_sec = timeout / 1000000000LL, .tv_nsec = timeout % 1000000000LL};
        int64_t slept_from = kp_clock_ns(CLOCK_MONOTONIC);
        int pr = ppoll(&pfd, 1, &ts, NULL);
        if (pr < 0 && errno != EINTR) {
            rc = fail(err, errlen, -errno, "poll: %s", strerror(errno));
            goto stop_rx;
        }
        if (pr == 0 && for_send && timeout > 0)
            pace_spacing(e, kp_clock_ns(CLOCK_MONOTONIC) - slept_from - timeout);
    }
stop_rx:
    /* The receive thread drains the capture until it shows every probe
     * sent, closes every trace and hands the last records over. */
    atomic_store(&e->sent_total, e->st.probes_sent);
    e->rx_end_at = kp_clock_ns(CLOCK_MONOTONIC);
    atomic_store(&e->rx_end, true);
    for (;;) {
        if (take_over(e))
            break;
        struct pollfd pfd = {.fd = e->efd, .events = POLLIN};
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
        ppoll(&pfd, 1, &ts, NULL);
    }
    pthread_join(e->rx_thread, NULL);
    e->rx_started = false;
    take_over(e); /* nothing left: the thread was done */
    if (rc)
        return rc;
    copy_stats(e);
    /* planned traces without a record */
    e->st.skipped_not_started = e->st.jobs - e->st.started;
    kp_trace_owners_drain(&e->owners, count_unrecorded, e);
    e->st.end_ns = kp_clock_ns(CLOCK_REALTIME);
    /* a fault still going on at the end counts, to the end */
    e->st.fault_now_ns = kp_backoff_fault_ns(&e->bo, kp_clock_ns(CLOCK_MONOTONIC));
    e->st.send_faults = e->bo.faults + (e->bo.faulty ? 1 : 0);
    e->st.send_fault_ns = e->bo.faulted_ns + e->st.fault_now_ns;
    if (e->st.fault_now_ns > e->bo.longest_ns)
        e->st.send_fault_max_ns = e->st.fault_now_ns;
    if (e->fail_rc)
        return fail(err, errlen, e->fail_rc, "%s", e->fail_msg);
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
    uint8_t pkt[PKT_MAX];
    struct kp_jobs jobs;
    int rc =
        kp_jobs_init(&jobs, e->cfg.ranges, e->cfg.n_ranges, o->n_methods, e->cfg.seed, e->cfg.done);
    if (rc)
        return fail(err, errlen, rc, "planning: %s", strerror(-rc));
    struct kp_job j;
    uint32_t id = e->next_id;
    while (kp_jobs_next(&jobs, &j)) {
        for (unsigned ttl = o->first_ttl; ttl <= o->max_ttl; ttl++) {
            struct kp_probe_spec spec;
            memset(&spec, 0, sizeof(spec));
            spec.src = e->cfg.src;
            spec.dst = kp_addr_v4(j.addr);
            spec.sport = o->sport;
            spec.dport = o->dport;
            spec.ttl = (uint8_t)ttl;
            spec.trace_id = id;
            spec.size = o->size;
            spec.key = &e->key;
            size_t len = sizeof(pkt);
            rc = e->methods[j.mi]->build(&spec, pkt, &len);
            if (rc) {
                kp_jobs_free(&jobs);
                return fail(err, errlen, rc, "building a %s probe: %s", e->methods[j.mi]->name,
                            strerror(-rc));
            }
            cb(ctx, pkt, len);
        }
        id++;
    }
    kp_jobs_free(&jobs);
    return 0;
}

void kp_engine_destroy(struct kp_engine *e)
{
    if (e == NULL)
        return;
    if (e->rx_started) {
        atomic_store(&e->rx_end, true);
        pthread_join(e->rx_thread, NULL);
    }
    handover_free(&e->stage);
    handover_free(&e->shared);
    handover_free(&e->mine);
    if (e->efd >= 0)
        close(e->efd);
    pthread_mutex_destroy(&e->mu);
    if (e->act) {
        for (uint32_t i = 0; i < e->max_active; i++)
            free(e->act[i]);
        free(e->act);
    }
    kp_rx_destroy(e->rx);
    kp_schedule_destroy(e->sched);
    for (unsigned i = 0; i < KP_MAX_METHODS; i++)
        kp_stopset_free(&e->stopsets[i]);
    kp_trace_owners_free(&e->owners);
    kp_admit_destroy(e->adm);
    kp_slots_free(&e->slots);
    kp_capture_close(&e->cap);
    kp_raw_close(&e->raw);
    free(e->pkts);
    free(e);
}
