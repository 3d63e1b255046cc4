/* input_json.c — shared pieces of the JSON input parsers. See input_json.h. */
#include "analysis/input_json.h"

#include <errno.h>
#include <stdio.h>

#include "probe/json_num.h"

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

static bool is_lead(unsigned char c)
{
    /* white space, and the bytes of a UTF-8 byte order mark */
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF;
}

int kp_json_records_parse(const char *buf, size_t len, const struct kp_input_sink *sink,
                          struct kp_input_skips *skips, bool allow_array, const char *what,
                          kp_jconvert_fn convert, void *ctx)
{
    if (sink == NULL || sink->trace == NULL || convert == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    size_t pos = 0, s = 0, e = 0;
    unsigned long line = 1;
    int in_array = 0, any_bad = 0;
    if (allow_array) {
        while (pos < len && is_lead((unsigned char)buf[pos])) {
            if (buf[pos] == '\n')
                line++;
            pos++;
        }
        if (pos < len && buf[pos] == '[') {
            in_array = 1;
            pos++;
        }
    }
    for (;;) {
        unsigned long vline = line;
        int rc = kp_json_next_value(buf, len, &pos, &line, in_array, &s, &e, &vline);
        if (rc == 0)
            break;
        struct kp_jrec r = {sink, vline, skips};
        if (rc < 0) {
            char msg[96] = "expected a JSON object";
            if (what != NULL)
                snprintf(msg, sizeof(msg), "expected a JSON object (%s)", what);
            kp_jbad(&r, "", msg);
            any_bad = 1;
            if (pos >= len)
                break;
            continue;
        }
        json_error_t je;
        json_t *o = json_loadb(buf + s, e - s, 0, &je);
        if (o == NULL) {
            struct kp_jrec r2 = {sink, vline + (je.line > 0 ? (unsigned long)je.line - 1 : 0),
                                 skips};
            kp_jbad(&r2, "", je.text);
            any_bad = 1;
            continue;
        }
        struct kp_trace t;
        kp_trace_init(&t);
        rc = convert(ctx, &r, o, &t);
        json_decref(o);
        if (rc == -ENOMEM) {
            kp_trace_free(&t);
            return rc;
        }
        if (rc < 0) {
            any_bad = 1;
        } else if (rc > 0) {
            rc = sink->trace(sink->ctx, &t, vline);
            if (rc < 0) {
                kp_trace_free(&t);
                return rc;
            }
        }
        kp_trace_free(&t);
    }
    return any_bad ? -EINVAL : 0;
}
