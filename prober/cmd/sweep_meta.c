/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_meta.c — DIR/sweep.json. See sweep_meta.h and docs/format.md. */
#include "prober/cmd/sweep_meta.h"

#include "core/plan/backoff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/json_num.h"
#include "core/record/trace_json.h"

static json_t *time_json(int64_t ns)
{
    char b[40];
    return ns ? json_string(kp_rfc3339_ns(ns, b, sizeof(b))) : json_null();
}

/* {"addresses": N, "prefixes": [{"prefix", "reason", "list"}, ...]} */
static json_t *excluded_json(const struct kp_exclusions *x)
{
    json_t *arr = json_array();
    for (size_t i = 0; x != NULL && i < x->n; i++) {
        char p[KP_PREFIX_STRLEN];
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s}", "prefix",
                           kp_prefix_str(&x->v[i].prefix, p, sizeof(p)), "reason", x->v[i].reason,
                           "list", x->v[i].list == KP_BL_BLOCK ? "blocklist-file" : "default"));
    }
    return json_pack("{s:I, s:o}", "addresses", (json_int_t)(x ? x->addresses : 0), "prefixes",
                     arr);
}

/* reason: sweep.json written field by field, in the order of docs/format.md */
static json_t *meta_object(const struct kp_sweep_meta *m)
{
    const struct kp_options *o = m->opt;
    const struct kp_engine_stats *st = m->st;
    char a[KP_ADDR_STRLEN];
    json_t *j = json_object(), *opt = json_object(), *cnt = json_object(), *cap = json_object(),
           *tg = json_array(), *me = json_array(), *files = json_object();
    if (!j || !opt || !cnt || !cap || !tg || !me || !files) {
        json_decref(j);
        json_decref(opt);
        json_decref(cnt);
        json_decref(cap);
        json_decref(tg);
        json_decref(me);
        json_decref(files);
        return NULL;
    }
    for (size_t i = 0; i < o->n_targets; i++)
        json_array_append_new(tg, json_string(o->targets[i]));
    for (unsigned i = 0; i < o->n_methods; i++)
        json_array_append_new(me, json_string(kp_method_name(o->methods[i])));
    json_object_set_new(j, "v", json_integer(1));
    json_object_set_new(j, "type", json_string("sweep"));
    json_object_set_new(j, "tool", json_string("kptrace"));
    json_object_set_new(j, "version", json_string(KP_VERSION));
    json_object_set_new(j, "vp", json_string(o->vp));
    json_object_set_new(j, "status", json_string(m->status));
    json_object_set_new(j, "error", m->error ? json_string(m->error) : json_null());
    json_object_set_new(j, "start", time_json(m->start_ns));
    json_object_set_new(j, "end", time_json(m->end_ns));
    json_object_set_new(j, "next_trace_id", json_integer((json_int_t)m->next_id));
    json_object_set_new(j, "src", json_string(kp_addr_str(&m->src, a, sizeof(a))));
    json_object_set_new(j, "iface", json_string(m->iface ? m->iface : ""));
    json_object_set_new(j, "user", json_string(o->user ? o->user : ""));
    json_object_set_new(j, "targets", tg);
    json_object_set_new(j, "methods", me);

    json_object_set_new(opt, "pps", json_integer(o->pps));
    json_object_set_new(opt, "first_ttl", json_integer(o->first_ttl));
    json_object_set_new(opt, "max_ttl", json_integer(o->max_ttl));
    json_object_set_new(opt, "attempts", json_integer(o->attempts));
    json_object_set_new(opt, "wait_ms", json_integer(o->wait_ms));
    json_object_set_new(opt, "late_ms", json_integer(o->late_ms));
    /* "auto": --late not given, the end waits past the wait only as far as
     * replies came late (kp_engine_params.late_end_auto); "full": late_ms */
    json_object_set_new(opt, "late_end", json_string(o->late_set ? "full" : "auto"));
    json_object_set_new(opt, "fault_wait_s", json_integer(o->fault_wait_s));
    json_object_set_new(opt, "gap_limit", json_integer(o->gap_limit));
    json_object_set_new(opt, "window", json_integer(o->window));
    json_object_set_new(opt, "dport", o->dport ? json_integer(o->dport) : json_null());
    json_object_set_new(opt, "sport", o->sport ? json_integer(o->sport) : json_null());
    json_object_set_new(opt, "size", o->size ? json_integer(o->size) : json_null());
    json_object_set_new(opt, "doubletree", json_boolean(o->doubletree));
    json_object_set_new(opt, "seed", json_sprintf("%llu", (unsigned long long)m->seed));
    json_object_set_new(opt, "blocklist_file",
                        o->blocklist_file ? json_string(o->blocklist_file) : json_null());
    json_object_set_new(opt, "allowlist_file",
                        o->allowlist_file ? json_string(o->allowlist_file) : json_null());
    json_object_set_new(j, "options", opt);
    json_object_set_new(j, "excluded", excluded_json(m->excluded));

    json_object_set_new(cnt, "traces_planned",
                        json_integer((json_int_t)(m->planned_total ? m->planned_total : st->jobs)));
    json_object_set_new(cnt, "traces_started", json_integer((json_int_t)st->started));
    json_object_set_new(cnt, "traces", json_integer((json_int_t)m->traces_written));
    json_object_set_new(cnt, "hops", json_integer((json_int_t)m->hops_written));
    json_object_set_new(cnt, "write_errors", json_integer((json_int_t)m->write_errors));
    json_object_set_new(cnt, "probes_sent", json_integer((json_int_t)st->probes_sent));
    json_object_set_new(cnt, "send_errors", json_integer((json_int_t)st->send_errors));
    json_object_set_new(cnt, "probes_captured", json_integer((json_int_t)st->rx_probes));
    json_object_set_new(cnt, "replies", json_integer((json_int_t)st->rx_replies));
    json_object_set_new(cnt, "replies_late", json_integer((json_int_t)st->rx_late));
    json_object_set_new(cnt, "unmatched", json_integer((json_int_t)st->rx_unmatched));
    json_object_set_new(cnt, "rejected", json_integer((json_int_t)st->rx_rejected));
    json_object_set_new(cnt, "probes_saved", json_integer((json_int_t)st->probes_saved));
    json_object_set_new(cnt, "send_retries", json_integer((json_int_t)st->send_retries));
    json_t *by = json_object();
    for (int i = 0; i < KP_ENGINE_ERRNO_MAX; i++)
        if (st->send_errno[i] > 0) {
            char b[16];
            json_object_set_new(by, kp_errno_name(i, b, sizeof(b)),
                                json_integer((json_int_t)st->send_errno[i]));
        }
    json_object_set_new(cnt, "send_errors_by_errno", by);
    json_object_set_new(cnt, "send_faults", json_integer((json_int_t)st->send_faults));
    json_object_set_new(cnt, "probes_at_fault", json_integer((json_int_t)st->probes_at_fault));
    json_object_set_new(cnt, "send_fault_ms",
                        json_integer((json_int_t)(st->send_fault_ns / 1000000)));
    json_object_set_new(cnt, "probes_foreign", json_integer((json_int_t)st->rx_probes_foreign));
    json_object_set_new(cnt, "replies_captured", json_integer((json_int_t)st->rx_replies_in));
    json_object_set_new(cnt, "replies_ignored", json_integer((json_int_t)st->rx_replies_ignored));
    json_object_set_new(cnt, "skipped_not_started",
                        json_integer((json_int_t)st->skipped_not_started));
    json_object_set_new(cnt, "skipped_not_sent", json_integer((json_int_t)st->skipped_not_sent));
    json_object_set_new(cnt, "skipped_not_captured",
                        json_integer((json_int_t)st->skipped_not_captured));
    json_object_set_new(cnt, "skipped_not_written", json_integer((json_int_t)m->write_skipped));
    json_object_set_new(cnt, "records_unplanned", json_integer((json_int_t)st->records_unplanned));
    json_object_set_new(cnt, "traces_split", json_integer((json_int_t)st->rx_traces_split));
    json_object_set_new(cnt, "traces_forced", json_integer((json_int_t)st->rx_traces_forced));
    json_object_set_new(cnt, "traces_in_flight_max", json_integer((json_int_t)st->active_max));
    json_object_set_new(cnt, "late_wait_ms", json_integer((json_int_t)(st->late_end_ns / 1000000)));
    json_object_set_new(j, "counts", cnt);

    json_object_set_new(cap, "frames", json_integer((json_int_t)st->frames));
    json_object_set_new(cap, "received", json_integer((json_int_t)st->cap_recv));
    json_object_set_new(cap, "dropped", json_integer((json_int_t)st->cap_drop));
    json_object_set_new(cap, "if_dropped", json_integer((json_int_t)st->cap_ifdrop));
    json_object_set_new(cap, "ts_source", json_string(st->ts_source));
    json_object_set_new(cap, "errors", json_integer((json_int_t)st->cap_errors));
    json_object_set_new(cap, "reopened", json_integer((json_int_t)st->cap_reopens));
    json_object_set_new(cap, "gaps", json_integer((json_int_t)st->cap_gaps));
    json_object_set_new(cap, "gap_ms", json_integer((json_int_t)(st->cap_gap_ns / 1000000)));
    json_object_set_new(j, "capture", cap);
    json_object_set_new(j, "sender",
                        json_pack("{s:b,s:I,s:s,s:I,s:I}", "realtime", st->sender_realtime,
                                  "wake_early_us", (json_int_t)(st->wake_early_ns / 1000),
                                  "send_via", st->send_link ? "link" : "ip", "via_link",
                                  (json_int_t)st->via_link, "via_ip", (json_int_t)st->via_ip));

    json_t *chk = json_object();
    char summary[1200] = "";
    if (m->checks) {
        for (int i = 0; i < KP_RUN_CHECKS; i++)
            json_object_set_new(
                chk, m->checks[i].name,
                json_pack("{s:b,s:s}", "ok", m->checks[i].ok, "detail", m->checks[i].detail));
        kp_run_checks_summary(m->checks, summary, sizeof(summary));
    }
    json_object_set_new(j, "checks", m->checks ? chk : (json_decref(chk), json_null()));
    json_object_set_new(j, "incomplete", summary[0] ? json_string(summary) : json_null());

    json_object_set_new(files, "traces", json_string("traces.jsonl"));
    json_object_set_new(files, "capture", json_string("capture.pcap"));
    json_object_set_new(j, "files", files);

    return j;
}

/* json_dumps with a trailing newline. 0 or -ENOMEM. */
static int dump(json_t *j, char **out)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    if (s == NULL)
        return -ENOMEM;
    size_t l = strlen(s);
    char *t = realloc(s, l + 2);
    if (t == NULL) {
        free(s);
        return -ENOMEM;
    }
    t[l] = '\n';
    t[l + 1] = '\0';
    *out = t;
    return 0;
}

void kp_sweep_meta_counts(const struct kp_sweep_meta *m, struct kp_run_counts *c)
{
    kp_run_counts_from_stats(m->st, m->write_skipped, c);
}

/* A stored counter through json_num: a non-negative integer; missing, null
 * or corrupt (negative, not an integer, out of range) counts as 0. */
static uint64_t get_count(json_t *obj, const char *key)
{
    int64_t x;
    return kp_json_i64(json_object_get(obj, key), 0, INT64_MAX, 0, &x) == 0 ? (uint64_t)x : 0;
}

int kp_sweep_meta_prior_counts(const char *prior, size_t len, struct kp_run_counts *sum)
{
    json_error_t je;
    json_t *j = json_loadb(prior, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return -EINVAL;
    }
    json_t *c = json_object_get(j, "counts"), *cap = json_object_get(j, "capture");
    sum->probes_sent += get_count(c, "probes_sent");
    sum->probes_captured += get_count(c, "probes_captured");
    sum->replies_captured += get_count(c, "replies_captured");
    sum->replies += get_count(c, "replies");
    sum->replies_ignored += get_count(c, "replies_ignored");
    sum->unmatched += get_count(c, "unmatched");
    sum->rejected += get_count(c, "rejected");
    sum->records_unplanned += get_count(c, "records_unplanned");
    sum->traces_split += get_count(c, "traces_split");
    sum->traces_forced += get_count(c, "traces_forced");
    sum->capture_dropped += get_count(cap, "dropped") + get_count(cap, "if_dropped");
    sum->probes_at_fault += get_count(c, "probes_at_fault");
    /* a sweep.json of an older kptrace has no replies_captured: its replies
     * were never counted as a whole, so take them as reconciled */
    if (json_object_get(c, "replies_captured") == NULL)
        sum->replies_captured +=
            get_count(c, "replies") + get_count(c, "unmatched") + get_count(c, "rejected");
    json_decref(j);
    return 0;
}

int kp_sweep_meta_json(const struct kp_sweep_meta *m, char **out)
{
    json_t *j = meta_object(m);
    if (j == NULL)
        return -ENOMEM;
    int rc = dump(j, out);
    json_decref(j);
    return rc;
}

/* ---- resume ------------------------------------------------------------- */

static int push(struct kp_sweep_stored *s, const char *a, const char *b)
{
    char **v = realloc(s->argv, (size_t)(s->argc + 3) * sizeof(char *));
    if (v == NULL)
        return -ENOMEM;
    s->argv = v;
    if ((v[s->argc] = strdup(a)) == NULL)
        return -ENOMEM;
    s->argc++;
    v[s->argc] = NULL;
    if (b != NULL) {
        if ((v[s->argc] = strdup(b)) == NULL)
            return -ENOMEM;
        s->argc++;
        v[s->argc] = NULL;
    }
    return 0;
}

void kp_sweep_stored_free(struct kp_sweep_stored *s)
{
    for (int i = 0; i < s->argc; i++)
        free(s->argv[i]);
    free(s->argv);
    s->argv = NULL;
    s->argc = 0;
    free(s->excluded);
    s->excluded = NULL;
}

/* Append "OPT VALUE" for options.KEY: an integer (null allowed when
 * nullable: then nothing is appended). 0, -EINVAL (field named in err), or
 * -ENOMEM. */
static int opt_int(struct kp_sweep_stored *s, json_t *opt, const char *key, const char *flag,
                   bool nullable, const char *name, char *err, size_t errlen)
{
    json_t *v = json_object_get(opt, key);
    if (nullable && (v == NULL || json_is_null(v)))
        return 0; /* null, or a field older sweeps do not have */
    int64_t x;
    int rc = kp_json_i64(v, 0, UINT32_MAX, 0, &x);
    if (rc == -ERANGE) {
        snprintf(err, errlen, "%s: options.%s: out of range (0..%u)", name, key, UINT32_MAX);
        return -EINVAL;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: options.%s: expected a non-negative integer%s", name, key,
                 nullable ? " or null" : "");
        return -EINVAL;
    }
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)x);
    return push(s, flag, b);
}

static int str_field(json_t *j, const char *key, const char **out, const char *name, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: %s: expected a string", name, key);
        return -EINVAL;
    }
    *out = json_string_value(v);
    return 0;
}

/* out->excluded from excluded.prefixes[].prefix ("" when absent). */
static int stored_excluded(json_t *j, struct kp_sweep_stored *out, const char *name, char *err,
                           size_t errlen)
{
    json_t *x = json_object_get(j, "excluded"), *arr = json_object_get(x, "prefixes"), *v;
    size_t i, cap = 1;
    if (x != NULL && !json_is_array(arr)) {
        snprintf(err, errlen, "%s: excluded.prefixes: expected an array", name);
        return -EINVAL;
    }
    json_array_foreach(arr, i, v)
    {
        json_t *p = json_object_get(v, "prefix");
        if (!json_is_string(p)) {
            snprintf(err, errlen, "%s: excluded.prefixes[%zu].prefix: expected a string", name, i);
            return -EINVAL;
        }
        cap += json_string_length(p) + 1;
    }
    if ((out->excluded = calloc(1, cap)) == NULL)
        return -ENOMEM;
    json_array_foreach(arr, i, v)
    {
        if (i)
            strcat(out->excluded, ",");
        strcat(out->excluded, json_string_value(json_object_get(v, "prefix")));
    }
    return 0;
}

/* reason: sweep.json read back field by field, each with its own error naming the field */
int kp_sweep_stored_parse(const char *text, size_t len, const char *name, const char *dir,
                          struct kp_sweep_stored *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (j == NULL) {
        snprintf(err, errlen, "%s:%d: %s", name, je.line, je.text);
        return -EINVAL;
    }
    int rc = -EINVAL;
    const char *type, *status, *vp, *src, *iface, *user;
    uint64_t seed;
    json_t *opt = json_object_get(j, "options"), *tg = json_object_get(j, "targets"),
           *me = json_object_get(j, "methods");
    if (!json_is_object(j) || str_field(j, "type", &type, name, err, errlen) != 0 ||
        strcmp(type, "sweep") != 0) {
        snprintf(err, errlen, "%s: not a kptrace sweep.json (\"type\": \"sweep\" wanted)", name);
        goto out;
    }
    if (str_field(j, "status", &status, name, err, errlen) ||
        str_field(j, "vp", &vp, name, err, errlen) ||
        str_field(j, "src", &src, name, err, errlen) ||
        str_field(j, "iface", &iface, name, err, errlen) ||
        str_field(j, "user", &user, name, err, errlen))
        goto out;
    snprintf(out->status, sizeof(out->status), "%s", status);
    int64_t nid;
    out->next_id = kp_json_i64(json_object_get(j, "next_trace_id"), 0, INT64_MAX, 0, &nid) == 0
                       ? (uint64_t)nid
                       : 0;
    if (!json_is_object(opt)) {
        snprintf(err, errlen, "%s: options: expected an object", name);
        goto out;
    }
    if (!json_is_array(tg) || json_array_size(tg) == 0 || !json_is_array(me) ||
        json_array_size(me) == 0) {
        snprintf(err, errlen, "%s: %s: expected a non-empty array of strings", name,
                 json_is_array(tg) && json_array_size(tg) ? "methods" : "targets");
        goto out;
    }
    int nrc = kp_json_u64(json_object_get(opt, "seed"), UINT64_MAX, KP_NUM_STRING, &seed);
    if (nrc != 0) {
        snprintf(err, errlen, "%s: options.seed: %s (0..%llu)", name,
                 nrc == -ERANGE ? "out of range" : "expected a decimal number in a string",
                 (unsigned long long)UINT64_MAX);
        goto out;
    }
    char seed_s[24];
    snprintf(seed_s, sizeof(seed_s), "%llu", (unsigned long long)seed);
    rc = -ENOMEM;
    if (push(out, "sweep", NULL) || push(out, "--vp", vp) || push(out, "--out", dir) ||
        push(out, "--seed", seed_s) || push(out, "--no-progress", NULL))
        goto out;
    if (src[0] && push(out, "--src", src))
        goto out;
    if (iface[0] && push(out, "--iface", iface))
        goto out;
    if (user[0] && push(out, "--user", user))
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        json_t *arr = pass ? me : tg;
        size_t cap = 1, i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            if (!json_is_string(v)) {
                snprintf(err, errlen, "%s: %s[%zu]: expected a string", name,
                         pass ? "methods" : "targets", i);
                rc = -EINVAL;
                goto out;
            }
            cap += strlen(json_string_value(v)) + 1;
        }
        char *list = calloc(1, cap);
        if (list == NULL)
            goto out;
        json_array_foreach(arr, i, v)
        {
            if (i)
                strcat(list, ",");
            strcat(list, json_string_value(v));
        }
        int r2 = push(out, pass ? "--methods" : "--targets", list);
        free(list);
        if (r2)
            goto out;
    }
    static const struct {
        const char *key, *flag;
        bool nullable;
    } ints[] = {
        {"pps", "--pps", false},         {"first_ttl", "--first-ttl", false},
        {"max_ttl", "--max-ttl", false}, {"attempts", "--attempts", false},
        {"wait_ms", "--wait", false},    {"gap_limit", "--gap-limit", false},
        {"late_ms", "--late", true},     {"window", "--window", false},
        {"dport", "--dport", true},      {"sport", "--sport", true},
        {"size", "--size", true},        {"fault_wait_s", "--fault-wait", true},
    };
    /* --late was not given (its default follows --wait): give it again only
     * when it was (a sweep.json without late_end: as given) */
    const char *le = json_string_value(json_object_get(opt, "late_end"));
    bool late_auto = le != NULL && strcmp(le, "auto") == 0;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (!(late_auto && strcmp(ints[i].key, "late_ms") == 0) &&
            (rc =
                 opt_int(out, opt, ints[i].key, ints[i].flag, ints[i].nullable, name, err, errlen)))
            goto out;
    rc = -ENOMEM;
    json_t *pps = json_object_get(opt, "pps");
    if (json_integer_value(pps) > 10000 && push(out, "--unsafe-rate", NULL))
        goto out;
    json_t *dt = json_object_get(opt, "doubletree");
    if (!json_is_boolean(dt)) {
        snprintf(err, errlen, "%s: options.doubletree: expected true or false", name);
        rc = -EINVAL;
        goto out;
    }
    if (!json_is_true(dt) && push(out, "--no-doubletree", NULL))
        goto out;
    /* the lists (absent in a sweep.json older than them: none) */
    static const char *const lists[2][2] = {{"blocklist_file", "--blocklist-file"},
                                            {"allowlist_file", "--allowlist-file"}};
    for (int k = 0; k < 2; k++) {
        json_t *f = json_object_get(opt, lists[k][0]);
        if (f != NULL && !json_is_null(f) && !json_is_string(f)) {
            snprintf(err, errlen, "%s: options.%s: expected a path or null", name, lists[k][0]);
            rc = -EINVAL;
            goto out;
        }
        if (json_is_string(f) && push(out, lists[k][1], json_string_value(f)))
            goto out;
    }
    if ((rc = stored_excluded(j, out, name, err, errlen)) != 0)
        goto out;
    rc = 0;
out:
    json_decref(j);
    if (rc)
        kp_sweep_stored_free(out);
    return rc;
}

/* A counter of a stored sweep.json: a non-negative integer; null, missing or
 * a corrupt value (negative, not an integer) counts as 0. */
static int64_t count_of(json_t *v)
{
    int64_t x;
    return kp_json_i64(v, 0, INT64_MAX, 0, &x) == 0 ? x : 0;
}

/* a + b for counters (see count_of; a sum stops at INT64_MAX). */
static void add_counts(json_t *sum, json_t *part)
{
    const char *k;
    json_t *v;
    json_object_foreach(part, k, v)
    {
        if (json_is_object(v)) { /* counts by errno: summed key by key */
            json_t *s = json_object_get(sum, k);
            if (!json_is_object(s)) {
                s = json_object();
                json_object_set_new(sum, k, s);
            }
            add_counts(s, v);
            continue;
        }
        if (!json_is_integer(v) && !json_is_null(v))
            continue;
        int64_t ab;
        if (kp_num_add_i64(count_of(json_object_get(sum, k)), count_of(v), &ab) != 0)
            ab = INT64_MAX;
        json_object_set_new(sum, k, json_integer(ab));
    }
}

static json_t *part_of(json_t *obj)
{
    json_t *p = json_object();
    static const char *const keys[] = {"start", "end", "status", "counts", "capture"};
    for (size_t i = 0; i < 5; i++) {
        json_t *v = json_object_get(obj, keys[i]);
        json_object_set_new(p, keys[i], v ? json_deep_copy(v) : json_null());
    }
    return p;
}

int kp_sweep_meta_merge(const char *prior, size_t prior_len, const struct kp_sweep_meta *cur,
                        uint64_t file_traces, uint64_t file_hops, char **out)
{
    json_error_t je;
    json_t *pj = json_loadb(prior, prior_len, 0, &je);
    if (!json_is_object(pj)) {
        json_decref(pj);
        return -EINVAL;
    }
    json_t *cj = meta_object(cur);
    if (cj == NULL) {
        json_decref(pj);
        return -ENOMEM;
    }
    json_t *parts = json_object_get(pj, "parts");
    parts = json_is_array(parts) && json_array_size(parts) > 0 ? json_deep_copy(parts)
                                                               : json_pack("[o]", part_of(pj));
    int rc = -ENOMEM;
    if (parts == NULL)
        goto out;
    /* The last prior part: a crash leaves it "running"; its lines are those
     * of the file beyond the earlier parts. */
    size_t n = json_array_size(parts);
    json_t *last = json_array_get(parts, n - 1);
    json_t *ls = json_object_get(last, "status");
    if (json_is_string(ls) && strcmp(json_string_value(ls), "running") == 0)
        json_object_set_new(last, "status", json_string("crashed"));
    uint64_t before_t = 0, before_h = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *c = json_object_get(json_array_get(parts, i), "counts");
        json_t *t = json_object_get(c, "traces"), *h = json_object_get(c, "hops");
        uint64_t ct = (uint64_t)count_of(t), ch = (uint64_t)count_of(h);
        before_t = before_t > UINT64_MAX - ct ? UINT64_MAX : before_t + ct;
        before_h = before_h > UINT64_MAX - ch ? UINT64_MAX : before_h + ch;
    }
    json_t *lc = json_object_get(last, "counts");
    if (!json_is_object(lc)) {
        lc = json_object();
        json_object_set_new(last, "counts", lc);
    }
    json_object_set_new(
        lc, "traces",
        json_integer((json_int_t)(file_traces > before_t ? file_traces - before_t : 0)));
    json_object_set_new(
        lc, "hops", json_integer((json_int_t)(file_hops > before_h ? file_hops - before_h : 0)));
    /* This part. */
    json_t *mine = part_of(cj);
    json_object_set_new(json_object_get(mine, "counts"), "traces_planned",
                        json_integer((json_int_t)cur->st->jobs));
    json_array_append_new(parts, mine);
    /* Sums. */
    json_t *cnt = json_object(), *cap = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        json_t *c = json_object_get(p, "counts"), *k = json_object_get(p, "capture");
        if (json_is_object(c))
            add_counts(cnt, c);
        if (json_is_object(k))
            add_counts(cap, k);
    }
    json_object_set_new(cnt, "traces_planned", json_integer((json_int_t)cur->planned_total));
    json_t *ts = json_object_get(json_object_get(cj, "capture"), "ts_source");
    json_object_set_new(cap, "ts_source", ts ? json_deep_copy(ts) : json_null());
    json_object_set_new(cj, "counts", cnt);
    json_object_set_new(cj, "capture", cap);
    json_t *first_start = json_object_get(json_array_get(parts, 0), "start");
    json_object_set_new(cj, "start", first_start ? json_deep_copy(first_start) : json_null());
    json_object_set_new(cj, "parts", parts);
    rc = dump(cj, out);
out:
    json_decref(pj);
    json_decref(cj);
    return rc;
}
