/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for core/verdict/changes.c: what the detector sees of a decided
 * trace, the keys (vp, /24 or /48, method), the work per trace, and a move
 * of a /24 from one transit to another seen through the keyed set. Expected
 * values are worked out by hand from the inputs and the contract in
 * core/change/detect.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/verdict/changes.h"

#define S 1000000000LL /* ns */

static void mk(struct kp_trace *t, const char *vp, const char *src, const char *dst,
               enum kp_method m, int64_t start_s, int64_t end_s, enum kp_stop stop, uint64_t id)
{
    kp_trace_init(t);
    snprintf(t->vp, sizeof(t->vp), "%s", vp);
    cr_assert_eq(kp_addr_parse(src, &t->src), 0);
    cr_assert_eq(kp_addr_parse(dst, &t->dst), 0);
    t->method = m;
    t->start_ns = start_s * S;
    t->end_ns = end_s * S;
    t->stop_reason = stop;
    t->id = id;
}

static void add_hop(struct kp_trace *t, uint8_t ttl, const char *addr, uint32_t flags)
{
    struct kp_hop h;
    kp_hop_init(&h);
    h.ttl = ttl;
    cr_assert_eq(kp_addr_parse(addr, &h.addr), 0);
    h.flags = flags;
    cr_assert_eq(kp_trace_add_hop(t, &h), 0);
}

static struct kp_transit verdict(uint32_t asn, enum kp_transit_status st)
{
    struct kp_transit v;
    memset(&v, 0, sizeof(v));
    v.asn = asn;
    v.status = st;
    return v;
}

Test(changes, obs_of_outcome_transit_and_times)
{
    struct kp_trace t;
    struct kp_chg_obs o;
    struct kp_transit reached = verdict(4837, KP_TRANSIT_REACHED);
    struct kp_transit filtered = verdict(20485, KP_TRANSIT_FILTERED);
    struct kp_transit incomplete = verdict(4837, KP_TRANSIT_INCOMPLETE);
    struct kp_transit undetermined = verdict(4837, KP_TRANSIT_UNDETERMINED);

    /* completed: the destination answered */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_ICMP_PARIS, 100, 102, KP_STOP_COMPLETED,
       7);
    kp_changes_obs_of(&t, &reached, &o);
    cr_assert_eq(o.outcome, KP_CHG_OUT_DST);
    cr_assert_eq(o.transit, 4837);
    cr_assert_eq(o.start_ns, 100 * S);
    cr_assert_eq(o.end_ns, 102 * S);
    cr_assert_eq(o.trace_id, 7);
    kp_trace_free(&t);

    /* stopped otherwise, but a reply came from the destination (flag) */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_UDP_PARIS, 100, 101, KP_STOP_UNREACH_PROTO,
       8);
    add_hop(&t, 1, "198.18.1.1", 0);
    add_hop(&t, 5, "198.19.176.9", KP_HOP_FROM_DST);
    kp_changes_obs_of(&t, &reached, &o);
    cr_assert_eq(o.outcome, KP_CHG_OUT_DST);
    kp_trace_free(&t);

    /* ... or from the destination's address without the flag */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_UDP_PARIS, 100, 101, KP_STOP_GAPLIMIT, 9);
    add_hop(&t, 5, "198.19.176.9", 0);
    kp_changes_obs_of(&t, &reached, &o);
    cr_assert_eq(o.outcome, KP_CHG_OUT_DST);
    kp_trace_free(&t);

    /* admin-prohibited from a router: filtered, the filtering transit kept */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_TCP_SYN, 100, 101, KP_STOP_ADMIN_PROHIB,
       10);
    add_hop(&t, 3, "198.19.2.1", 0);
    kp_changes_obs_of(&t, &filtered, &o);
    cr_assert_eq(o.outcome, KP_CHG_OUT_FILTERED);
    cr_assert_eq(o.transit, 20485);
    kp_trace_free(&t);

    /* gap limit; an incomplete or undetermined verdict names no transit */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_ICMP_PARIS, 100, 101, KP_STOP_GAPLIMIT,
       11);
    add_hop(&t, 3, "198.19.2.1", 0);
    kp_changes_obs_of(&t, &incomplete, &o);
    cr_assert_eq(o.outcome, KP_CHG_OUT_STOPPED);
    cr_assert_eq(o.transit, 0);
    kp_changes_obs_of(&t, &undetermined, &o);
    cr_assert_eq(o.transit, 0);
    kp_trace_free(&t);

    /* an unknown end (0) is the start */
    mk(&t, "vp", "198.18.1.2", "198.19.176.9", KP_METHOD_ICMP_PARIS, 100, 0, KP_STOP_MAXTTL, 12);
    kp_changes_obs_of(&t, &incomplete, &o);
    cr_assert_eq(o.end_ns, 100 * S);
    cr_assert_eq(o.outcome, KP_CHG_OUT_STOPPED);
    kp_trace_free(&t);
}

/* Feed one trace; returns kp_changes_feed's result. */
static int feed(struct kp_changes *c, const char *vp, const char *dst, enum kp_method m,
                int64_t start_s, uint32_t transit, uint64_t id, struct kp_chg_event *ev,
                struct kp_changes_key *key)
{
    struct kp_trace t;
    mk(&t, vp, "198.18.1.2", dst, m, start_s, start_s + 2, KP_STOP_COMPLETED, id);
    struct kp_transit v = verdict(transit, KP_TRANSIT_REACHED);
    struct kp_chg_obs o;
    kp_changes_obs_of(&t, &v, &o);
    int rc = kp_changes_feed(c, &t, &o, ev, key);
    kp_trace_free(&t);
    return rc;
}

static struct kp_changes *new_set(unsigned confirm)
{
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    p.confirm = confirm;
    if (p.min_seen > confirm)
        p.min_seen = confirm;
    struct kp_changes *c = NULL;
    cr_assert_eq(kp_changes_new(&p, &c), 0);
    return c;
}

Test(changes, keys_are_vp_prefix_method)
{
    struct kp_changes *c = new_set(4);
    struct kp_chg_event ev;
    struct kp_changes_key key;
    /* hosts of one /24: one key */
    for (int i = 0; i < 5; i++) {
        char dst[32];
        snprintf(dst, sizeof(dst), "198.19.176.%d", 10 + i);
        cr_assert_eq(
            feed(c, "vp-a", dst, KP_METHOD_ICMP_PARIS, i * 10, 4837, (uint64_t)i, &ev, &key), 0);
    }
    cr_assert_eq(kp_changes_keys(c), 1);
    /* another vp, method, /24, and an IPv6 /48 (two hosts in it): four more */
    feed(c, "vp-b", "198.19.176.10", KP_METHOD_ICMP_PARIS, 100, 4837, 9, &ev, &key);
    feed(c, "vp-a", "198.19.176.10", KP_METHOD_UDP_PARIS, 100, 4837, 9, &ev, &key);
    feed(c, "vp-a", "198.19.177.10", KP_METHOD_ICMP_PARIS, 100, 4837, 9, &ev, &key);
    feed(c, "vp-a", "2001:db8:1:5::1", KP_METHOD_ICMP_PARIS, 100, 4837, 9, &ev, &key);
    feed(c, "vp-a", "2001:db8:1:ffff::2", KP_METHOD_ICMP_PARIS, 110, 4837, 9, &ev, &key);
    cr_assert_eq(kp_changes_keys(c), 5);
    /* an empty vp is its source address, as in the summary */
    feed(c, "", "198.19.176.10", KP_METHOD_ICMP_PARIS, 100, 4837, 9, &ev, &key);
    cr_assert_eq(kp_changes_keys(c), 6);
    cr_assert_eq(kp_changes_events(c), 0);
    /* no destination address: refused */
    struct kp_trace t;
    kp_trace_init(&t);
    struct kp_chg_obs o = {0};
    cr_assert_eq(kp_changes_feed(c, &t, &o, &ev, &key), -EINVAL);
    kp_changes_free(c);
}

/* A /24 carried by AS4837 that moves to AS20485, with the default
 * parameters (confirm 8): 30 traces through AS4837 (8 of warm-up, 22 while
 * STABLE: its share p = 1, so k = 3 misses declare it gone), then 8 through
 * AS20485 make the confirmation window. By the contract: one event, before
 * {4837} reached, after {20485} reached, last_before = the start of the last
 * AS4837 trace (t=290), first_after = the end of the first AS20485 trace
 * (t=300 + 2), the window's 8 traces as evidence. */
Test(changes, a_move_is_one_event_with_its_key)
{
    struct kp_changes *c = new_set(8);
    struct kp_chg_event ev;
    struct kp_changes_key key;
    int events = 0;
    for (int i = 0; i < 30; i++)
        events += feed(c, "vp-a", "198.19.177.9", KP_METHOD_UDP_PARIS, i * 10, 4837,
                       (uint64_t)(100 + i), &ev, &key);
    cr_assert_eq(events, 0);
    int last = 0;
    for (int i = 30; i < 38; i++) {
        last = feed(c, "vp-a", "198.19.177.9", KP_METHOD_UDP_PARIS, i * 10, 20485,
                    (uint64_t)(100 + i), &ev, &key);
        if (i < 37)
            cr_assert_eq(last, 0, "no event before the window's end (trace %d)", i);
    }
    cr_assert_eq(last, 1);
    cr_assert_eq(kp_changes_events(c), 1);
    cr_assert_str_eq(key.vp, "vp-a");
    cr_assert_eq(key.method, KP_METHOD_UDP_PARIS);
    char pfx[KP_CHANGES_PREFIX_LEN];
    cr_assert_str_eq(kp_changes_prefix_str(&key, pfx, sizeof(pfx)), "198.19.177.0/24");
    cr_assert_eq(ev.before.n, 1);
    cr_assert_eq(ev.before.transits[0], 4837);
    cr_assert_eq(ev.before.status, KP_CHG_REACHED);
    cr_assert_eq(ev.after.n, 1);
    cr_assert_eq(ev.after.transits[0], 20485);
    cr_assert_eq(ev.after.status, KP_CHG_REACHED);
    cr_assert_eq(ev.last_before_ns, 290 * S);
    cr_assert_eq(ev.first_after_ns, 302 * S);
    cr_assert_eq(ev.n_traces, 8);
    for (unsigned i = 0; i < 8; i++)
        cr_assert_eq(ev.traces[i], 130 + i);
    cr_assert_eq(kp_changes_out_of_order(c), 0);
    kp_changes_free(c);
}

/* A trace that ended before the last one fed for its key started cannot come
 * from one run in completion order: counted. Overlapping ones are not. */
Test(changes, out_of_order_inputs_are_counted)
{
    struct kp_changes *c = new_set(4);
    struct kp_chg_event ev;
    struct kp_changes_key key;
    feed(c, "vp-a", "198.19.176.9", KP_METHOD_ICMP_PARIS, 1000, 4837, 1, &ev, &key);
    feed(c, "vp-a", "198.19.176.9", KP_METHOD_ICMP_PARIS, 999, 4837, 2, &ev, &key); /* overlaps */
    cr_assert_eq(kp_changes_out_of_order(c), 0);
    feed(c, "vp-a", "198.19.176.9", KP_METHOD_ICMP_PARIS, 10, 4837, 3, &ev, &key); /* earlier */
    cr_assert_eq(kp_changes_out_of_order(c), 1);
    feed(c, "vp-b", "198.19.176.9", KP_METHOD_ICMP_PARIS, 10, 4837, 4, &ev, &key); /* other key */
    cr_assert_eq(kp_changes_out_of_order(c), 1);
    kp_changes_free(c);
}

/* The work per trace does not grow with the keys: N traces over N/4 keys
 * visit at most a few hash-table nodes each. */
Test(changes, work_is_linear_in_traces)
{
    struct kp_changes *c = new_set(8);
    struct kp_chg_event ev;
    struct kp_changes_key key;
    const size_t n = 200000;
    for (size_t i = 0; i < n; i++) {
        char dst[32];
        size_t k = i % (n / 4);
        snprintf(dst, sizeof(dst), "10.%zu.%zu.1", (k >> 8) & 255, k & 255);
        feed(c, k & 1 ? "vp-a" : "vp-b", dst, k >> 16 ? KP_METHOD_UDP_PARIS : KP_METHOD_ICMP_PARIS,
             (int64_t)i, 4837, i, &ev, &key);
    }
    cr_assert_eq(kp_changes_keys(c), n / 4);
    uint64_t steps = kp_changes_steps(c);
    cr_assert_leq(steps, 8 * n, "%llu hash nodes visited for %zu traces in %zu keys",
                  (unsigned long long)steps, n, kp_changes_keys(c));
    kp_changes_free(c);
}

Test(changes, bad_parameters)
{
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    p.confirm = 0;
    struct kp_changes *c = (struct kp_changes *)1;
    cr_assert_eq(kp_changes_new(&p, &c), -EINVAL);
    cr_assert_null(c);
    cr_assert_eq(kp_changes_new(NULL, &c), -EINVAL);
}
