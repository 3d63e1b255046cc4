/* SPDX-License-Identifier: BSD-2-Clause */
/* event_json.h — one change event as the line of DIR/events.jsonl (kptrace
 * watch) and OUTDIR/changes.jsonl (kp-report):
 *   {"v":1,"type":"change","vp":..,"prefix":"a.b.c.0/24","method":..,
 *    "before":{"transits":[asn,...],"status":..},"after":{...},
 *    "last_before":RFC3339,"first_after":RFC3339,"emitted":RFC3339,
 *    "traces":[ids...]}
 * Times are RFC 3339 UTC with milliseconds ("2017-10-01T17:38:10.123Z").
 * last_before is rounded down and first_after up to the millisecond, so the
 * written interval contains the detector's (the onset lies in it);
 * emitted is rounded down. Pure: no I/O, no clock (emitted is passed in). */
#ifndef KP_CHANGE_EVENT_JSON_H
#define KP_CHANGE_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/change/detect.h"

/* Format ns since the Unix epoch as RFC 3339 UTC with milliseconds into buf
 * (at least 32 bytes), rounding down (up when round_up and ns is not a whole
 * millisecond, unless that passes the int64 range). Returns buf. */
char *kp_rfc3339_ms(int64_t ns, int round_up, char *buf, size_t buflen);

/* The event's line without a newline, malloc'd into *out (its length in
 * *len). vp and method may be NULL or "" (written as null); prefix is the
 * key's prefix as text. 0, -EINVAL (NULL ev/out/len/prefix, a state out of
 * range, a trace id above INT64_MAX) or -ENOMEM; on failure *out is NULL. */
int kp_chg_event_json(const struct kp_chg_event *ev, const char *vp, const char *prefix,
                      const char *method, int64_t emitted_ns, char **out, size_t *len);

#endif
