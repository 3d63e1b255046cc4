/* SPDX-License-Identifier: BSD-2-Clause */
/* input_json.c — shared pieces of the JSON input parsers. See input_json.h. */
#include "annotator/inputs/input_json.h"

#include "annotator/inputs/input_par.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/json_num.h"

int kp_jbad(const struct kp_jrec *r, const char *field, const char *msg)
{
    if (r->sink->error)
        r->sink->error(r->sink->ctx, r->line, field, msg);
    return -EINVAL;
}

void kp_jskip(const struct kp_jrec *r, const char *what)
{
    if (r->skips == NULL)
        return;
    r->skips->n++;
    if (r->skips->note)
        r->skips->note(r->skips->ctx, r->line, what);
}

/* What kp_jget_int/real return for a json_num status: 0 absent or null, 1
 * present, -EINVAL reported with the field and what is wrong. */
static int jnum_status(const struct kp_jrec *r, const char *where, const char *key, int rc)
{
    if (rc == -ENOENT)
        return 0;
    if (rc < 0) {
        char field[160];
        snprintf(field, sizeof(field), "%s%s", where, key);
        return kp_jbad(r, field, kp_num_strerror(rc));
    }
    return 1;
}

int kp_jget_int(const struct kp_jrec *r, json_t *o, const char *key, const char *where,
                json_int_t lo, json_int_t hi, bool allow_real, json_int_t *out)
{
    int64_t x;
    int rc =
        jnum_status(r, where, key,
                    kp_json_i64(json_object_get(o, key), lo, hi, allow_real ? KP_NUM_REAL : 0, &x));
    if (rc == 1)
        *out = x;
    return rc;
}

int kp_jget_real(const struct kp_jrec *r, json_t *o, const char *key, const char *where, double lo,
                 double hi, double *out)
{
    return jnum_status(r, where, key, kp_json_double(json_object_get(o, key), lo, hi, out));
}

int kp_jget_addr(const struct kp_jrec *r, json_t *o, const char *key, const char *where,
                 struct kp_addr *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    char field[160];
    snprintf(field, sizeof(field), "%s%s", where, key);
    if (!json_is_string(v))
        return kp_jbad(r, field, "not a string");
    if (kp_addr_parse(json_string_value(v), out) != 0)
        return kp_jbad(r, field, "not an IP address");
    return 1;
}

int kp_jget_mpls(const struct kp_jrec *r, json_t *l, const char *where, const char *const keys[4],
                 bool allow_real, struct kp_hop *h)
{
    if (!json_is_object(l))
        return kp_jbad(r, where, "not an object");
    json_int_t label = 0, exp = 0, s = 0, ttl = 0;
    if (kp_jget_int(r, l, keys[0], where, 0, 0xFFFFF, allow_real, &label) < 0 ||
        kp_jget_int(r, l, keys[1], where, 0, 7, allow_real, &exp) < 0 ||
        kp_jget_int(r, l, keys[2], where, 0, 1, allow_real, &s) < 0 ||
        kp_jget_int(r, l, keys[3], where, 0, 255, allow_real, &ttl) < 0)
        return -EINVAL;
    if (h->n_mpls < KP_MAX_MPLS) {
        struct kp_mpls *m = &h->mpls[h->n_mpls++];
        m->label = (uint32_t)label;
        m->tc = (uint8_t)exp;
        m->s = (uint8_t)s;
        m->ttl = (uint8_t)ttl;
    }
    return 0;
}

/* The record loop's two steps (input_par.h): parse (and, for a converter
 * without state, convert) in a worker; count and deliver in order. */
struct jctx {
    kp_jconvert_fn convert;
    kp_jscan_fn scan;
    void *ctx;
    bool convert_in_worker;
    const char *what;
    const struct kp_input_sink *sink;
    struct kp_input_skips *skips;
    struct kp_input_tally *tally;
};

static void cap_error(void *ctx, unsigned long line, const char *field, const char *msg)
{
    kp_par_error(ctx, line, field, msg);
}

static void cap_note(void *ctx, unsigned long line, const char *what)
{
    kp_par_skip(ctx, line, what);
}

static void jwork(const void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    const struct jctx *j = ctx;
    if (rec->status != KP_REC_OK) {
        char msg[128] = "expected a JSON object";
        if (rec->status == KP_REC_TOO_LONG)
            snprintf(msg, sizeof(msg), "record longer than %zu bytes",
                     (size_t)KP_READER_MAX_RECORD);
        else if (rec->status == KP_REC_CUT)
            snprintf(msg, sizeof(msg), "cut short: the input ends inside this record");
        else if (j->what != NULL)
            snprintf(msg, sizeof(msg), "expected a JSON object (%s)", j->what);
        kp_par_error(out, rec->line, "", msg);
        out->rc = -EINVAL;
        return;
    }
    if (j->scan != NULL) {
        int rc = j->scan(rec->p, rec->len, &out->t);
        if (rc != -EAGAIN) {
            out->rc = rc == 0 ? 1 : rc; /* read, or out of memory */
            return;
        }
    }
    json_error_t je;
    json_t *o = json_loadb(rec->p, rec->len, 0, &je);
    if (o == NULL) {
        kp_par_error(out, rec->line + (je.line > 0 ? (unsigned long)je.line - 1 : 0), "", je.text);
        out->rc = -EINVAL;
        return;
    }
    if (!j->convert_in_worker) {
        out->json = o; /* converted in order by jdone */
        return;
    }
    struct kp_input_sink cap = {NULL, cap_error, out};
    struct kp_input_skips cap_skips = {cap_note, out, 0};
    struct kp_jrec r = {&cap, rec->line, &cap_skips};
    out->rc = j->convert(j->ctx, &r, o, &out->t);
    json_decref(o);
}

static int jdone(void *ctx, const struct kp_rec *rec, struct kp_par_out *out)
{
    struct jctx *j = ctx;
    j->tally->records++;
    unsigned long skipped_before = j->skips->n;
    if (out->json != NULL) {
        struct kp_jrec r = {j->sink, rec->line, j->skips};
        out->rc = j->convert(j->ctx, &r, out->json, &out->t);
        json_decref(out->json);
        out->json = NULL;
    } else {
        kp_par_replay(out, j->sink, j->skips);
    }
    if (out->rc == -ENOMEM)
        return -ENOMEM;
    if (out->rc < 0) {
        j->tally->bad++;
    } else if (out->rc > 0) {
        j->tally->traces++;
        int rc = j->sink->trace(j->sink->ctx, &out->t, rec->line);
        if (rc < 0)
            return rc;
    } else if (j->skips->n != skipped_before) {
        j->tally->skipped++;
    } else {
        j->tally->quiet++;
    }
    return 0;
}

int kp_json_records_read(struct kp_reader *rd, struct kp_par *par, const struct kp_input_sink *sink,
                         struct kp_input_skips *skips, struct kp_input_tally *tally,
                         bool allow_array, const char *what, kp_jconvert_fn convert,
                         kp_jscan_fn scan, void *ctx, bool stateless)
{
    struct kp_input_tally scratch;
    if (tally == NULL)
        tally = &scratch;
    memset(tally, 0, sizeof(*tally));
    if (rd == NULL || sink == NULL || sink->trace == NULL || convert == NULL)
        return -EINVAL;
    struct kp_input_skips no_skips = {NULL, NULL, 0};
    struct jctx j = {convert, scan, ctx, stateless, what, sink, skips ? skips : &no_skips, tally};
    struct kp_par_ops ops = {false, allow_array ? KP_JSON_ARRAYS : 0, jwork, jdone, &j, &j};
    return kp_par_run(par, rd, &ops);
}

int kp_json_records_parse(const char *buf, size_t len, const struct kp_input_sink *sink,
                          struct kp_input_skips *skips, bool allow_array, const char *what,
                          kp_jconvert_fn convert, kp_jscan_fn scan, void *ctx)
{
    if (sink == NULL || sink->trace == NULL || convert == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    struct kp_reader *rd;
    int rc = kp_reader_open_mem(buf, len, 0, &rd);
    if (rc != 0)
        return rc;
    struct kp_input_tally tally;
    rc = kp_json_records_read(rd, NULL, sink, skips, &tally, allow_array, what, convert, scan, ctx,
                              false);
    kp_reader_close(rd);
    if (rc == 0 && tally.bad > 0)
        rc = -EINVAL;
    return rc;
}
