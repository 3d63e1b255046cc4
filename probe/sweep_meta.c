/* sweep_meta.c — DIR/sweep.json. See sweep_meta.h and docs/format.md. */
#include "probe/sweep_meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "probe/trace_json.h"

static json_t *time_json(int64_t ns)
{
    char b[40];
    return ns ? json_string(kp_rfc3339_ns(ns, b, sizeof(b))) : json_null();
}

int kp_sweep_meta_json(const struct kp_sweep_meta *m, char **out)
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
        return -ENOMEM;
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
    json_object_set_new(opt, "gap_limit", json_integer(o->gap_limit));
    json_object_set_new(opt, "window", json_integer(o->window));
    json_object_set_new(opt, "dport", o->dport ? json_integer(o->dport) : json_null());
    json_object_set_new(opt, "sport", o->sport ? json_integer(o->sport) : json_null());
    json_object_set_new(opt, "size", o->size ? json_integer(o->size) : json_null());
    json_object_set_new(opt, "doubletree", json_boolean(o->doubletree));
    json_object_set_new(opt, "seed", json_sprintf("%llu", (unsigned long long)m->seed));
    json_object_set_new(j, "options", opt);

    json_object_set_new(cnt, "traces_planned", json_integer((json_int_t)st->jobs));
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
    json_object_set_new(j, "counts", cnt);

    json_object_set_new(cap, "frames", json_integer((json_int_t)st->frames));
    json_object_set_new(cap, "received", json_integer((json_int_t)st->cap_recv));
    json_object_set_new(cap, "dropped", json_integer((json_int_t)st->cap_drop));
    json_object_set_new(cap, "if_dropped", json_integer((json_int_t)st->cap_ifdrop));
    json_object_set_new(cap, "ts_source", json_string(st->ts_source));
    json_object_set_new(j, "capture", cap);

    json_object_set_new(files, "traces", json_string("traces.jsonl"));
    json_object_set_new(files, "capture", json_string("capture.pcap"));
    json_object_set_new(j, "files", files);

    char *s = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
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
