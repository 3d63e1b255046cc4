/* SPDX-License-Identifier: BSD-2-Clause */
/* input_par.c — parsing records in worker threads, results in input order;
 * see input_par.h.
 *
 * A ring of batches: the caller's thread fills the next free batch with
 * records (their bytes copied), marks it ready and, when the ring is full or
 * the input ends, waits for the oldest batch to be worked and runs the done
 * steps on it. Workers take ready batches in ring order. One mutex, two
 * condition variables.
 */
#include "annotator/inputs/input_par.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum bstate { B_FREE, B_READY, B_WORKING, B_DONE };

struct batch {
    enum bstate state;
    char *bytes; /* the records' bytes, each NUL-terminated */
    size_t nbytes, cap;
    struct kp_rec rec[KP_PAR_BATCH]; /* p = offset into bytes until worked */
    struct kp_par_out out[KP_PAR_BATCH];
    size_t n;
};

struct kp_par {
    unsigned workers;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t ready, done;
    struct batch *ring;
    size_t nring;
    size_t next_work; /* the next batch a worker takes */
    bool stop;
    const struct kp_par_ops *ops;
};

void kp_par_error(struct kp_par_out *out, unsigned long line, const char *field, const char *msg)
{
    if (out->n_ev == out->cap_ev) {
        size_t cap = out->cap_ev ? out->cap_ev * 2 : 2;
        struct kp_par_event *e = realloc(out->ev, cap * sizeof(*e));
        if (e == NULL)
            return; /* the record still counts as bad through rc */
        out->ev = e;
        out->cap_ev = cap;
    }
    struct kp_par_event *e = &out->ev[out->n_ev++];
    e->skip = false;
    e->line = line;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    snprintf(e->msg, sizeof(e->msg), "%s", msg ? msg : "");
}

void kp_par_skip(struct kp_par_out *out, unsigned long line, const char *what)
{
    size_t before = out->n_ev;
    kp_par_error(out, line, "", what);
    if (out->n_ev > before)
        out->ev[out->n_ev - 1].skip = true;
    out->skips++;
}

unsigned long kp_par_replay(const struct kp_par_out *out, const struct kp_input_sink *sink,
                            struct kp_input_skips *skips)
{
    unsigned long errors = 0;
    for (size_t i = 0; i < out->n_ev; i++) {
        const struct kp_par_event *e = &out->ev[i];
        if (e->skip) {
            if (skips != NULL && skips->note != NULL)
                skips->note(skips->ctx, e->line, e->msg);
        } else {
            errors++;
            if (sink != NULL && sink->error != NULL)
                sink->error(sink->ctx, e->line, e->field, e->msg);
        }
    }
    if (skips != NULL)
        skips->n += out->skips;
    return errors;
}

static void out_init(struct kp_par_out *o)
{
    kp_trace_init(&o->t);
    o->json = NULL;
    o->rc = 0;
    o->skips = 0;
    o->n_ev = 0;
    o->ann = NULL;
    o->ann_failed = 0;
    o->decided = false;
}

static void out_clean(struct kp_par_out *o)
{
    kp_trace_free(&o->t);
    if (o->json != NULL)
        json_decref(o->json);
    o->json = NULL;
    o->n_ev = 0;
    free(o->ann);
    o->ann = NULL;
}

static void work_batch(const struct kp_par_ops *ops, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->rec[i].p = b->bytes + (size_t)(uintptr_t)b->rec[i].p;
        out_init(&b->out[i]);
        ops->work(ops->work_ctx, &b->rec[i], &b->out[i]);
    }
}

static void *worker(void *arg)
{
    struct kp_par *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct batch *b = &p->ring[p->next_work];
        while (!p->stop && b->state != B_READY) {
            pthread_cond_wait(&p->ready, &p->mu);
            b = &p->ring[p->next_work];
        }
        if (p->stop)
            break;
        b->state = B_WORKING;
        p->next_work = (p->next_work + 1) % p->nring;
        const struct kp_par_ops *ops = p->ops;
        pthread_mutex_unlock(&p->mu);
        work_batch(ops, b);
        pthread_mutex_lock(&p->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

unsigned kp_par_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 4 ? 4 : (unsigned)n;
}

int kp_par_new(unsigned workers, struct kp_par **out)
{
    *out = NULL;
    struct kp_par *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->workers = workers;
    p->nring = workers ? (size_t)workers * KP_PAR_INFLIGHT + 2 : 1;
    p->ring = calloc(p->nring, sizeof(*p->ring));
    if (p->ring == NULL) {
        free(p);
        return -ENOMEM;
    }
    if (workers == 0) {
        *out = p;
        return 0;
    }
    p->th = calloc(workers, sizeof(*p->th));
    if (p->th == NULL || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->th);
        free(p->ring);
        free(p);
        return -ENOMEM;
    }
    pthread_cond_init(&p->ready, NULL);
    pthread_cond_init(&p->done, NULL);
    unsigned started = 0;
    for (; started < workers; started++)
        if (pthread_create(&p->th[started], NULL, worker, p) != 0)
            break;
    p->workers = started;
    *out = p;
    return 0;
}

void kp_par_free(struct kp_par *p)
{
    if (p == NULL)
        return;
    if (p->th != NULL) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->ready);
        pthread_mutex_unlock(&p->mu);
        for (unsigned i = 0; i < p->workers; i++)
            pthread_join(p->th[i], NULL);
        pthread_cond_destroy(&p->ready);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->mu);
        free(p->th);
    }
    for (size_t i = 0; i < p->nring; i++) {
        for (size_t k = 0; k < KP_PAR_BATCH; k++)
            free(p->ring[i].out[k].ev);
        free(p->ring[i].bytes);
    }
    free(p->ring);
    free(p);
}

/* Copy rec into batch b. 0 or -ENOMEM. */
static int batch_add(struct batch *b, const struct kp_rec *rec)
{
    size_t need = b->nbytes + rec->len + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < need)
            cap *= 2;
        char *nb = realloc(b->bytes, cap);
        if (nb == NULL)
            return -ENOMEM;
        b->bytes = nb;
        b->cap = cap;
    }
    struct kp_rec *r = &b->rec[b->n++];
    *r = *rec;
    r->p = (const char *)(uintptr_t)b->nbytes; /* an offset until the batch is worked */
    if (rec->len > 0)
        memcpy(b->bytes + b->nbytes, rec->p, rec->len);
    b->bytes[b->nbytes + rec->len] = '\0';
    b->nbytes += rec->len + 1;
    return 0;
}

/* Done steps of a worked batch, in order; the batch is then free. */
static int finish_batch(const struct kp_par_ops *ops, struct batch *b, int rc)
{
    for (size_t i = 0; i < b->n; i++) {
        if (rc == 0) {
            int d = ops->done(ops->done_ctx, &b->rec[i], &b->out[i]);
            if (d < 0)
                rc = d;
        }
        out_clean(&b->out[i]);
    }
    b->n = 0;
    b->nbytes = 0;
    b->state = B_FREE;
    return rc;
}

static int next_rec(struct kp_reader *rd, const struct kp_par_ops *ops, struct kp_rec *rec)
{
    return ops->lines ? kp_reader_line(rd, rec) : kp_reader_json(rd, ops->json_flags, rec);
}

int kp_par_run(struct kp_par *p, struct kp_reader *rd, const struct kp_par_ops *ops)
{
    struct kp_rec rec;
    int rc;
    if (p == NULL || p->workers == 0) {
        /* everything here, record by record */
        struct kp_par_out out;
        memset(&out, 0, sizeof(out));
        while ((rc = next_rec(rd, ops, &rec)) == 1) {
            out_init(&out);
            ops->work(ops->work_ctx, &rec, &out);
            int d = ops->done(ops->done_ctx, &rec, &out);
            out_clean(&out);
            if (d < 0) {
                rc = d;
                break;
            }
        }
        free(out.ev);
        return rc;
    }
    pthread_mutex_lock(&p->mu);
    p->ops = ops;
    pthread_mutex_unlock(&p->mu);
    size_t fill = p->next_work, oldest = p->next_work, inflight = 0;
    int stop = 0; /* the first done error, or -ENOMEM */
    bool more = true;
    int read_rc = 0;
    while (more || inflight > 0) {
        if (more && inflight < p->nring) {
            struct batch *b = &p->ring[fill];
            while (b->n < KP_PAR_BATCH && (read_rc = next_rec(rd, ops, &rec)) == 1) {
                if (batch_add(b, &rec) != 0) {
                    read_rc = -ENOMEM;
                    break;
                }
            }
            if (read_rc != 1)
                more = false;
            if (b->n > 0) {
                pthread_mutex_lock(&p->mu);
                b->state = B_READY;
                pthread_cond_broadcast(&p->ready);
                pthread_mutex_unlock(&p->mu);
                fill = (fill + 1) % p->nring;
                inflight++;
            }
            if (more && inflight < p->nring)
                continue;
        }
        if (inflight == 0)
            break;
        struct batch *b = &p->ring[oldest];
        pthread_mutex_lock(&p->mu);
        while (b->state != B_DONE)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
        stop = finish_batch(ops, b, stop);
        oldest = (oldest + 1) % p->nring;
        inflight--;
        if (stop < 0)
            more = false; /* finish what is in flight, read no more */
    }
    if (stop < 0)
        return stop;
    return read_rc == 1 ? 0 : read_rc;
}
