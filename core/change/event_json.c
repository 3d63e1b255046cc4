/* SPDX-License-Identifier: BSD-2-Clause */
/* event_json.c — a change event as one JSON line (event_json.h). */
#include "core/change/event_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/util.h"
#include "core/record/trace_json.h"

char *kp_rfc3339_ms(int64_t ns, int round_up, char *buf, size_t buflen)
{
    int64_t ms = ns / 1000000, rem = ns % 1000000;
    if (rem < 0) {
        rem += 1000000;
        ms -= 1;
    }
    if (round_up && rem != 0 && ms < INT64_MAX / 1000000)
        ms += 1;
    char full[48];
    kp_rfc3339_ns(ms * 1000000, full, sizeof(full)); /* "...SS.mmm000000Z" */
    char *dot = strchr(full, '.');
    if (dot != NULL && strlen(dot) >= 5)
        memcpy(dot + 4, "Z", 2);
    snprintf(buf, buflen, "%s", full);
    return buf;
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v == NULL || json_object_set_new(o, k, v) != 0 ? -ENOMEM : 0;
}

/* An array of integers; NULL when jansson cannot allocate. */
static json_t *int_array(const uint64_t *v, const uint32_t *v32, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a != NULL && i < n; i++) {
        json_int_t x = v != NULL ? (json_int_t)v[i] : (json_int_t)v32[i];
        if (json_array_append_new(a, json_integer(x)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

static json_t *state_json(const struct kp_chg_state *s)
{
    json_t *o = json_object();
    if (o == NULL || set(o, "transits", int_array(NULL, s->transits, s->n)) != 0 ||
        set(o, "status", json_string(kp_chg_status_name(s->status))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static bool state_ok(const struct kp_chg_state *s)
{
    return s->n <= KP_CHG_MAX_TRANSITS && (unsigned)s->status < KP_CHG_STATUS_COUNT;
}

static json_t *time_json(int64_t ns, int round_up)
{
    char b[48];
    return json_string(kp_rfc3339_ms(ns, round_up, b, sizeof(b)));
}

int kp_chg_event_json(const struct kp_chg_event *ev, const char *vp, const char *prefix,
                      const char *method, int64_t emitted_ns, char **out, size_t *len)
{
    if (out != NULL)
        *out = NULL;
    if (ev == NULL || prefix == NULL || out == NULL || len == NULL || !state_ok(&ev->before) ||
        !state_ok(&ev->after) || ev->n_traces > KP_CHG_MAX_TRACES)
        return -EINVAL;
    for (unsigned i = 0; i < ev->n_traces; i++)
        if (ev->traces[i] > (uint64_t)INT64_MAX)
            return -EINVAL;
    json_t *o = json_object();
    if (o == NULL)
        return -ENOMEM;
    int rc = set(o, "v", json_integer(1));
    rc = rc ? rc : set(o, "type", json_string("change"));
    rc = rc ? rc : set(o, "vp", kp_json_str_or_null(vp));
    rc = rc ? rc : set(o, "prefix", json_string(prefix));
    rc = rc ? rc : set(o, "method", kp_json_str_or_null(method));
    rc = rc ? rc : set(o, "before", state_json(&ev->before));
    rc = rc ? rc : set(o, "after", state_json(&ev->after));
    rc = rc ? rc : set(o, "last_before", time_json(ev->last_before_ns, 0));
    rc = rc ? rc : set(o, "first_after", time_json(ev->first_after_ns, 1));
    /* rounded up as first_after is: an event known at first_after (the
     * usual case when its last trace ended first) never reads as emitted
     * before it */
    rc = rc ? rc : set(o, "emitted", time_json(emitted_ns, 1));
    rc = rc ? rc : set(o, "traces", int_array(ev->traces, NULL, ev->n_traces));
    if (rc == 0) {
        *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = *out == NULL ? -ENOMEM : 0;
    }
    json_decref(o);
    if (rc == 0)
        *len = strlen(*out);
    return rc;
}
