/* SPDX-License-Identifier: BSD-2-Clause */
/* test_blocklist.c — the target blocklist: every block of the IANA
 * special-purpose registries at its edges (expected values written out from
 * the registries, not computed), the allow and block lists, cutting targets
 * into runs (with a work count), CIDR decomposition, the file line syntax
 * and the file reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/plan/blocklist.h"
#include "prober/sys/blocklist_file.h"
#include "core/base/special_addr.h"

/* One registry block and its edges. first/last: the first and last address
 * inside, described by the block named in first_in/last_in (NULL: this
 * block itself; a block nested inside takes its own edge). below/above: the
 * addresses just outside (NULL when the address space ends there), described
 * by the block named in below_in/above_in (NULL: no block at all). */
struct row {
    const char *prefix, *name, *rfc;
    bool blocked;
    const char *first, *first_in, *last, *last_in;
    const char *below, *below_in, *above, *above_in;
};

#define F "ffff"
static const struct row rows[] = {
    /* IPv4 Special-Purpose Address Registry, multicast, reserved, broadcast */
    {"0.0.0.0/8", "this network", "RFC 791", true, "0.0.0.0", "0.0.0.0/32", "0.255.255.255", NULL,
     NULL, NULL, "1.0.0.0", NULL},
    {"0.0.0.0/32", "this host on this network", "RFC 1122", true, "0.0.0.0", NULL, "0.0.0.0", NULL,
     NULL, NULL, "0.0.0.1", "0.0.0.0/8"},
    {"10.0.0.0/8", "private-use", "RFC 1918", true, "10.0.0.0", NULL, "10.255.255.255", NULL,
     "9.255.255.255", NULL, "11.0.0.0", NULL},
    {"100.64.0.0/10", "shared address space", "RFC 6598", true, "100.64.0.0", NULL,
     "100.127.255.255", NULL, "100.63.255.255", NULL, "100.128.0.0", NULL},
    {"127.0.0.0/8", "loopback", "RFC 1122", true, "127.0.0.0", NULL, "127.255.255.255", NULL,
     "126.255.255.255", NULL, "128.0.0.0", NULL},
    {"169.254.0.0/16", "link-local", "RFC 3927", true, "169.254.0.0", NULL, "169.254.255.255", NULL,
     "169.253.255.255", NULL, "169.255.0.0", NULL},
    {"172.16.0.0/12", "private-use", "RFC 1918", true, "172.16.0.0", NULL, "172.31.255.255", NULL,
     "172.15.255.255", NULL, "172.32.0.0", NULL},
    {"192.0.0.0/24", "IETF protocol assignments", "RFC 6890", true, "192.0.0.0", "192.0.0.0/29",
     "192.0.0.255", NULL, "191.255.255.255", NULL, "192.0.1.0", NULL},
    {"192.0.0.0/29", "IPv4 service continuity prefix", "RFC 7335", true, "192.0.0.0", NULL,
     "192.0.0.7", NULL, "191.255.255.255", NULL, "192.0.0.8", "192.0.0.8/32"},
    {"192.0.0.8/32", "IPv4 dummy address", "RFC 7600", true, "192.0.0.8", NULL, "192.0.0.8", NULL,
     "192.0.0.7", "192.0.0.0/29", "192.0.0.9", "192.0.0.9/32"},
    {"192.0.0.9/32", "port control protocol anycast", "RFC 7723", false, "192.0.0.9", NULL,
     "192.0.0.9", NULL, "192.0.0.8", "192.0.0.8/32", "192.0.0.10", "192.0.0.10/32"},
    {"192.0.0.10/32", "traversal using relays around NAT anycast", "RFC 8155", false, "192.0.0.10",
     NULL, "192.0.0.10", NULL, "192.0.0.9", "192.0.0.9/32", "192.0.0.11", "192.0.0.0/24"},
    {"192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880", true, "192.0.0.170", NULL,
     "192.0.0.170", NULL, "192.0.0.169", "192.0.0.0/24", "192.0.0.171", "192.0.0.171/32"},
    {"192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880", true, "192.0.0.171", NULL,
     "192.0.0.171", NULL, "192.0.0.170", "192.0.0.170/32", "192.0.0.172", "192.0.0.0/24"},
    {"192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737", true, "192.0.2.0", NULL,
     "192.0.2.255", NULL, "192.0.1.255", NULL, "192.0.3.0", NULL},
    {"192.31.196.0/24", "AS112-v4", "RFC 7535", false, "192.31.196.0", NULL, "192.31.196.255", NULL,
     "192.31.195.255", NULL, "192.31.197.0", NULL},
    {"192.52.193.0/24", "AMT", "RFC 7450", false, "192.52.193.0", NULL, "192.52.193.255", NULL,
     "192.52.192.255", NULL, "192.52.194.0", NULL},
    {"192.88.99.0/24", "deprecated (6to4 relay anycast)", "RFC 7526", true, "192.88.99.0", NULL,
     "192.88.99.255", NULL, "192.88.98.255", NULL, "192.88.100.0", NULL},
    {"192.168.0.0/16", "private-use", "RFC 1918", true, "192.168.0.0", NULL, "192.168.255.255",
     NULL, "192.167.255.255", NULL, "192.169.0.0", NULL},
    {"192.175.48.0/24", "direct delegation AS112 service", "RFC 7534", false, "192.175.48.0", NULL,
     "192.175.48.255", NULL, "192.175.47.255", NULL, "192.175.49.0", NULL},
    {"198.18.0.0/15", "benchmarking", "RFC 2544", true, "198.18.0.0", NULL, "198.19.255.255", NULL,
     "198.17.255.255", NULL, "198.20.0.0", NULL},
    {"198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737", true, "198.51.100.0", NULL,
     "198.51.100.255", NULL, "198.51.99.255", NULL, "198.51.101.0", NULL},
    {"203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737", true, "203.0.113.0", NULL,
     "203.0.113.255", NULL, "203.0.112.255", NULL, "203.0.114.0", NULL},
    {"224.0.0.0/4", "multicast", "RFC 5771", true, "224.0.0.0", NULL, "239.255.255.255", NULL,
     "223.255.255.255", NULL, "240.0.0.0", "240.0.0.0/4"},
    {"240.0.0.0/4", "reserved", "RFC 1112", true, "240.0.0.0", NULL, "255.255.255.255",
     "255.255.255.255/32", "239.255.255.255", "224.0.0.0/4", NULL, NULL},
    {"255.255.255.255/32", "limited broadcast", "RFC 919", true, "255.255.255.255", NULL,
     "255.255.255.255", NULL, "255.255.255.254", "240.0.0.0/4", NULL, NULL},
    /* IPv6 Special-Purpose Address Registry and multicast */
    {"::/128", "unspecified address", "RFC 4291", true, "::", NULL, "::", NULL, NULL, NULL, "::1",
     "::1/128"},
    {"::1/128", "loopback address", "RFC 4291", true, "::1", NULL, "::1", NULL, "::", "::/128",
     "::2", NULL},
    {"::ffff:0.0.0.0/96", "IPv4-mapped address", "RFC 4291", true, "::ffff:0.0.0.0", NULL,
     "::ffff:255.255.255.255", NULL, "::fffe:" F ":" F, NULL, "::1:0:0:0", NULL},
    {"64:ff9b::/96", "IPv4-IPv6 translation", "RFC 6052", false, "64:ff9b::", NULL,
     "64:ff9b::" F ":" F, NULL, "64:ff9a:" F ":" F ":" F ":" F ":" F ":" F, NULL, "64:ff9b::1:0:0",
     NULL},
    {"64:ff9b:1::/48", "IPv4-IPv6 translation (local use)", "RFC 8215", true, "64:ff9b:1::", NULL,
     "64:ff9b:1:" F ":" F ":" F ":" F ":" F, NULL, "64:ff9b:0:" F ":" F ":" F ":" F ":" F, NULL,
     "64:ff9b:2::", NULL},
    {"100::/64", "discard-only address block", "RFC 6666", true, "100::", NULL,
     "100::" F ":" F ":" F ":" F, NULL, "ff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "100:0:0:1::", NULL},
    {"2001::/23", "IETF protocol assignments", "RFC 2928", true, "2001::", "2001::/32",
     "2001:1ff:" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "2000:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:200::", NULL},
    {"2001::/32", "TEREDO", "RFC 4380", false, "2001::", NULL,
     "2001:0:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2000:" F ":" F ":" F ":" F ":" F ":" F ":" F,
     NULL, "2001:1::", "2001::/23"},
    {"2001:1::1/128", "port control protocol anycast", "RFC 7723", false, "2001:1::1", NULL,
     "2001:1::1", NULL, "2001:1::", "2001::/23", "2001:1::2", "2001:1::2/128"},
    {"2001:1::2/128", "traversal using relays around NAT anycast", "RFC 8155", false, "2001:1::2",
     NULL, "2001:1::2", NULL, "2001:1::1", "2001:1::1/128", "2001:1::3", "2001:1::3/128"},
    {"2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665", false,
     "2001:1::3", NULL, "2001:1::3", NULL, "2001:1::2", "2001:1::2/128", "2001:1::4", "2001::/23"},
    {"2001:2::/48", "benchmarking", "RFC 5180", true, "2001:2::", NULL,
     "2001:2:0:" F ":" F ":" F ":" F ":" F, NULL, "2001:1:" F ":" F ":" F ":" F ":" F ":" F,
     "2001::/23", "2001:2:1::", "2001::/23"},
    {"2001:3::/32", "AMT", "RFC 7450", false, "2001:3::", NULL,
     "2001:3:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:2:" F ":" F ":" F ":" F ":" F ":" F,
     "2001::/23", "2001:4::", "2001::/23"},
    {"2001:4:112::/48", "AS112-v6", "RFC 7535", false, "2001:4:112::", NULL,
     "2001:4:112:" F ":" F ":" F ":" F ":" F, NULL, "2001:4:111:" F ":" F ":" F ":" F ":" F,
     "2001::/23", "2001:4:113::", "2001::/23"},
    {"2001:10::/28", "deprecated (previously ORCHID)", "RFC 4843", true, "2001:10::", NULL,
     "2001:1f:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:f:" F ":" F ":" F ":" F ":" F ":" F,
     "2001::/23", "2001:20::", "2001:20::/28"},
    {"2001:20::/28", "ORCHIDv2", "RFC 7343", false, "2001:20::", NULL,
     "2001:2f:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:1f:" F ":" F ":" F ":" F ":" F ":" F,
     "2001:10::/28", "2001:30::", "2001:30::/28"},
    {"2001:30::/28", "drone remote ID protocol entity tags", "RFC 9374", false, "2001:30::", NULL,
     "2001:3f:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:2f:" F ":" F ":" F ":" F ":" F ":" F,
     "2001:20::/28", "2001:40::", "2001::/23"},
    {"2001:db8::/32", "documentation", "RFC 3849", true, "2001:db8::", NULL,
     "2001:db8:" F ":" F ":" F ":" F ":" F ":" F, NULL, "2001:db7:" F ":" F ":" F ":" F ":" F ":" F,
     NULL, "2001:db9::", NULL},
    {"2002::/16", "6to4", "RFC 3056", false, "2002::", NULL,
     "2002:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "2001:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "2003::", NULL},
    {"2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534", false,
     "2620:4f:8000::", NULL, "2620:4f:8000:" F ":" F ":" F ":" F ":" F, NULL,
     "2620:4f:7fff:" F ":" F ":" F ":" F ":" F, NULL, "2620:4f:8001::", NULL},
    {"3fff::/20", "documentation", "RFC 9637", true, "3fff::", NULL,
     "3fff:fff:" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "3ffe:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "3fff:1000::", NULL},
    {"5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602", true, "5f00::", NULL,
     "5f00:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "5eff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "5f01::", NULL},
    {"fc00::/7", "unique-local", "RFC 4193", true, "fc00::", NULL,
     "fdff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "fbff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "fe00::", NULL},
    {"fe80::/10", "link-local unicast", "RFC 4291", true, "fe80::", NULL,
     "febf:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "fe7f:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, "fec0::", NULL},
    {"ff00::/8", "multicast", "RFC 4291", true, "ff00::", NULL,
     "ffff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL,
     "feff:" F ":" F ":" F ":" F ":" F ":" F ":" F, NULL, NULL, NULL},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static struct kp_prefix P(const char *s) {
    struct kp_prefix p;
    cr_assert_eq(kp_prefix_parse(s, false, &p), 0, "parse %s", s);
    return p;
}

static struct kp_addr
A(const char *s) {
    struct kp_addr a;
    cr_assert_eq(kp_addr_parse(s, &a), 0, "parse %s", s);
    return a;
}

static bool
same_prefix(const struct kp_prefix *a, const struct kp_prefix *b)
{
    return a->len == b->len && kp_addr_eq(&a->addr, &b->addr);
}

static const struct row *row_of(const char *prefix)
{
    struct kp_prefix p = P(prefix);
    for (size_t i = 0; i < N_ROWS; i++) {
        struct kp_prefix q = P(rows[i].prefix);
        if (same_prefix(&p, &q))
            return &rows[i];
    }
    cr_assert_fail("no row %s", prefix);
    return NULL;
}

Test(special_addr, the_table_is_the_registry)
{
    size_t n;
    const struct kp_special_block *b = kp_special_blocks(&n);
    cr_assert_eq(n, N_ROWS, "%zu blocks, %zu expected", n, N_ROWS);
    for (size_t i = 0; i < n; i++) {
        char s[KP_PREFIX_STRLEN];
        kp_prefix_str(&b[i].prefix, s, sizeof(s));
        const struct row *r = row_of(s);
        cr_assert_str_eq(b[i].name, r->name, "%s", s);
        cr_assert_str_eq(b[i].rfc, r->rfc, "%s", s);
        cr_assert_eq(b[i].global, !r->blocked, "%s", s);
        /* stored with zero host bits */
        struct kp_prefix again = P(s);
        cr_assert(same_prefix(&again, &b[i].prefix), "%s", s);
    }
}

/* Address s is described by block `in` (NULL: none), and the default list
 * blocks it exactly when that block is one that blocks, naming it. */
static void expect_at(struct kp_blocklist *bl, const char *s, const char *in, const char *ctx)
{
    struct kp_addr a = A(s);
    const struct kp_special_block *got = kp_special_lookup(&a);
    const struct kp_bl_rule *why = kp_blocklist_check(bl, &a);
    if (in == NULL) {
        cr_assert_null(got, "%s (%s): in %s, expected in no block", s, ctx, got ? got->name : "");
        cr_assert_null(why, "%s (%s): blocked, expected open", s, ctx);
        return;
    }
    const struct row *r = row_of(in);
    struct kp_prefix want = P(in);
    cr_assert_not_null(got, "%s (%s): in no block, expected %s", s, ctx, in);
    cr_assert(same_prefix(&got->prefix, &want), "%s (%s): wrong block, expected %s", s, ctx, in);
    cr_assert_str_eq(got->name, r->name);
    if (!r->blocked) {
        cr_assert_null(why, "%s (%s): blocked, but %s is globally reachable", s, ctx, in);
        return;
    }
    cr_assert_not_null(why, "%s (%s): open, expected blocked by %s", s, ctx, in);
    cr_assert(same_prefix(&why->prefix, &want), "%s (%s): blocked by the wrong entry", s, ctx);
    char reason[200], expect[200];
    snprintf(expect, sizeof(expect), "%s (%s)", r->name, r->rfc);
    cr_assert_str_eq(kp_bl_rule_reason(why, reason, sizeof(reason)), expect);
    cr_assert_eq(why->list, KP_BL_DEFAULT);
}

Test(special_addr, every_block_at_its_edges)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    cr_assert_not_null(bl);
    cr_assert_eq(kp_blocklist_count(bl, KP_BL_DEFAULT), N_ROWS);
    for (size_t i = 0; i < N_ROWS; i++) {
        const struct row *r = &rows[i];
        struct kp_prefix p = P(r->prefix);
        struct kp_addr first = A(r->first), last = A(r->last);
        cr_assert(kp_prefix_contains(&p, &first) && kp_prefix_contains(&p, &last), "%s", r->prefix);
        expect_at(bl, r->first, r->first_in ? r->first_in : r->prefix, "first");
        expect_at(bl, r->last, r->last_in ? r->last_in : r->prefix, "last");
        if (r->below) {
            struct kp_addr b = A(r->below);
            cr_assert_not(kp_prefix_contains(&p, &b), "%s below %s", r->below, r->prefix);
            expect_at(bl, r->below, r->below_in, "below");
        }
        if (r->above) {
            struct kp_addr b = A(r->above);
            cr_assert_not(kp_prefix_contains(&p, &b), "%s above %s", r->above, r->prefix);
            expect_at(bl, r->above, r->above_in, "above");
        }
    }
    kp_blocklist_free(bl);
}

Test(blocklist, the_five_targets_of_issue_17)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    char r[200];
    struct kp_addr a = A("224.0.0.1");
    cr_assert_str_eq(kp_bl_rule_reason(kp_blocklist_check(bl, &a), r, sizeof(r)),
                     "multicast (RFC 5771)");
    a = A("127.0.0.1");
    cr_assert_str_eq(kp_bl_rule_reason(kp_blocklist_check(bl, &a), r, sizeof(r)),
                     "loopback (RFC 1122)");
    a = A("0.0.0.3");
    cr_assert_str_eq(kp_bl_rule_reason(kp_blocklist_check(bl, &a), r, sizeof(r)),
                     "this network (RFC 791)");
    a = A("240.0.0.2");
    cr_assert_str_eq(kp_bl_rule_reason(kp_blocklist_check(bl, &a), r, sizeof(r)),
                     "reserved (RFC 1112)");
    a = A("255.255.255.255");
    cr_assert_str_eq(kp_bl_rule_reason(kp_blocklist_check(bl, &a), r, sizeof(r)),
                     "limited broadcast (RFC 919)");
    /* ordinary addresses, and the default sweep target */
    const char *open[] = {"175.45.176.0", "175.45.179.255",  "8.8.8.8",
                          "1.0.0.0",      "223.255.255.255", "2001:4860::8888"};
    for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
        a = A(open[i]);
        cr_assert_null(kp_blocklist_check(bl, &a), "%s", open[i]);
    }
    struct kp_addr unset;
    memset(&unset, 0, sizeof(unset));
    cr_assert_null(kp_blocklist_check(bl, &unset));
    kp_blocklist_free(bl);
}

static void add(struct kp_blocklist *bl, enum kp_bl_list l, const char *pfx, const char *name,
                unsigned long line)
{
    struct kp_prefix p = P(pfx);
    cr_assert_eq(kp_blocklist_add(bl, l, &p, name, strlen(name), "lists.conf", line), 0);
}

static const char *reason_at(struct kp_blocklist *bl, const char *s, char *buf)
{
    struct kp_addr a = A(s);
    const struct kp_bl_rule *r = kp_blocklist_check(bl, &a);
    return r ? kp_bl_rule_reason(r, buf, 200) : "open";
}

Test(blocklist, allow_lifts_the_default_block_wins_over_both)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    char b[200];
    add(bl, KP_BL_ALLOW, "198.18.0.0/15", "", 1);
    add(bl, KP_BL_ALLOW, "10.1.0.0/16", "lab", 2);
    add(bl, KP_BL_BLOCK, "198.19.177.0/24", "opt-out", 7);
    add(bl, KP_BL_BLOCK, "8.8.8.0/24", "", 8);
    add(bl, KP_BL_ALLOW, "8.8.8.8/32", "", 3); /* block wins even when longer allow */
    cr_assert_eq(kp_blocklist_count(bl, KP_BL_ALLOW), 3);
    cr_assert_eq(kp_blocklist_count(bl, KP_BL_BLOCK), 2);
    cr_assert_str_eq(reason_at(bl, "198.18.0.0", b), "open");
    cr_assert_str_eq(reason_at(bl, "198.19.255.255", b), "open");
    cr_assert_str_eq(reason_at(bl, "198.20.0.0", b), "open");
    cr_assert_str_eq(reason_at(bl, "198.19.177.5", b), "lists.conf:7 (opt-out)");
    cr_assert_str_eq(reason_at(bl, "198.19.176.255", b), "open");
    cr_assert_str_eq(reason_at(bl, "198.19.178.0", b), "open");
    cr_assert_str_eq(reason_at(bl, "10.1.255.255", b), "open");
    cr_assert_str_eq(reason_at(bl, "10.2.0.0", b), "private-use (RFC 1918)");
    cr_assert_str_eq(reason_at(bl, "10.0.255.255", b), "private-use (RFC 1918)");
    cr_assert_str_eq(reason_at(bl, "8.8.8.8", b), "lists.conf:8");
    cr_assert_str_eq(reason_at(bl, "8.8.9.0", b), "open");
    /* the testbed's other ranges stay blocked without their own entries */
    cr_assert_str_eq(reason_at(bl, "203.0.113.1", b), "documentation (TEST-NET-3) (RFC 5737)");
    /* the first entry of a prefix stays */
    add(bl, KP_BL_BLOCK, "198.19.177.0/24", "again", 9);
    cr_assert_eq(kp_blocklist_count(bl, KP_BL_BLOCK), 2);
    cr_assert_str_eq(reason_at(bl, "198.19.177.5", b), "lists.conf:7 (opt-out)");
    /* IPv6 works the same way */
    add(bl, KP_BL_ALLOW, "2001:db8:1::/48", "", 4);
    cr_assert_str_eq(reason_at(bl, "2001:db8:1::1", b), "open");
    cr_assert_str_eq(reason_at(bl, "2001:db8:2::1", b), "documentation (RFC 3849)");
    struct kp_prefix p = P("10.0.0.0/8");
    cr_assert_eq(kp_blocklist_add(bl, KP_BL_DEFAULT, &p, "", 0, NULL, 0), -EINVAL);
    kp_blocklist_free(bl);

    /* without the default list only the block list blocks */
    bl = kp_blocklist_new(false);
    cr_assert_str_eq(reason_at(bl, "127.0.0.1", b), "open");
    add(bl, KP_BL_BLOCK, "127.0.0.0/8", "", 1);
    cr_assert_str_eq(reason_at(bl, "127.0.0.1", b), "lists.conf:1");
    kp_blocklist_free(bl);
}

/* ---- split ----------------------------------------------------------------- */

struct runs {
    char text[4096];
    uint64_t next, covered;
    unsigned n;
};

static int on_run(void *ctx, uint32_t first, uint32_t last, const struct kp_bl_rule *why)
{
    struct runs *r = ctx;
    char a[KP_ADDR_STRLEN], b[KP_ADDR_STRLEN], reason[200];
    struct kp_addr fa = kp_addr_v4(first), la = kp_addr_v4(last);
    cr_assert_eq(first, r->next, "runs must follow each other");
    cr_assert_leq(first, last);
    r->next = (uint64_t)last + 1;
    r->covered += (uint64_t)last - first + 1;
    r->n++;
    size_t k = strlen(r->text);
    snprintf(r->text + k, sizeof(r->text) - k, "%s-%s %s|", kp_addr_str(&fa, a, sizeof(a)),
             kp_addr_str(&la, b, sizeof(b)), why ? kp_bl_rule_reason(why, reason, 200) : "probe");
    return 0;
}

static const char *split(struct kp_blocklist *bl, const char *target, struct runs *r)
{
    struct kp_prefix p = P(target);
    memset(r, 0, sizeof(*r));
    r->next = kp_addr_v4_host(&p.addr);
    cr_assert_eq(kp_blocklist_split(bl, &p, on_run, r), 0);
    cr_assert_eq(r->covered, 1ull << (32 - p.len), "runs cover %s", target);
    return r->text;
}

Test(blocklist, split_targets_into_runs)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    struct runs r;
    cr_assert_str_eq(split(bl, "175.45.176.0/22", &r), "175.45.176.0-175.45.179.255 probe|");
    cr_assert_str_eq(split(bl, "224.0.0.0/30", &r), "224.0.0.0-224.0.0.3 multicast (RFC 5771)|");
    cr_assert_str_eq(split(bl, "0.0.0.0/30", &r),
                     "0.0.0.0-0.0.0.0 this host on this network (RFC 1122)|"
                     "0.0.0.1-0.0.0.3 this network (RFC 791)|");
    cr_assert_str_eq(split(bl, "240.0.0.0/30", &r), "240.0.0.0-240.0.0.3 reserved (RFC 1112)|");
    cr_assert_str_eq(split(bl, "127.0.0.1/32", &r), "127.0.0.1-127.0.0.1 loopback (RFC 1122)|");
    /* nested blocks, globally reachable ones open */
    cr_assert_str_eq(split(bl, "192.0.0.0/24", &r),
                     "192.0.0.0-192.0.0.7 IPv4 service continuity prefix (RFC 7335)|"
                     "192.0.0.8-192.0.0.8 IPv4 dummy address (RFC 7600)|"
                     "192.0.0.9-192.0.0.10 probe|"
                     "192.0.0.11-192.0.0.169 IETF protocol assignments (RFC 6890)|"
                     "192.0.0.170-192.0.0.170 NAT64/DNS64 discovery (RFC 8880)|"
                     "192.0.0.171-192.0.0.171 NAT64/DNS64 discovery (RFC 8880)|"
                     "192.0.0.172-192.0.0.255 IETF protocol assignments (RFC 6890)|");
    /* a target around a block */
    cr_assert_str_eq(split(bl, "100.0.0.0/8", &r),
                     "100.0.0.0-100.63.255.255 probe|"
                     "100.64.0.0-100.127.255.255 shared address space (RFC 6598)|"
                     "100.128.0.0-100.255.255.255 probe|");
    cr_assert_str_eq(split(bl, "240.0.0.0/4", &r),
                     "240.0.0.0-255.255.255.254 reserved (RFC 1112)|"
                     "255.255.255.255-255.255.255.255 limited broadcast (RFC 919)|");
    /* allow and block lists */
    add(bl, KP_BL_ALLOW, "198.18.0.0/24", "", 1);
    add(bl, KP_BL_BLOCK, "198.18.0.128/25", "opt-out", 2);
    add(bl, KP_BL_BLOCK, "198.18.1.10/32", "", 3);
    cr_assert_str_eq(split(bl, "198.18.0.0/23", &r),
                     "198.18.0.0-198.18.0.127 probe|"
                     "198.18.0.128-198.18.0.255 lists.conf:2 (opt-out)|"
                     "198.18.1.0-198.18.1.9 benchmarking (RFC 2544)|"
                     "198.18.1.10-198.18.1.10 lists.conf:3|"
                     "198.18.1.11-198.18.1.255 benchmarking (RFC 2544)|");
    cr_assert_str_eq(split(bl, "198.18.0.0/25", &r), "198.18.0.0-198.18.0.127 probe|");
    cr_assert_str_eq(split(bl, "198.18.1.10/32", &r), "198.18.1.10-198.18.1.10 lists.conf:3|");
    /* the whole space: every run in order, nothing missing */
    split(bl, "0.0.0.0/0", &r);
    cr_assert_gt(r.n, 20);
    struct kp_prefix v6 = P("2001:db8::/32");
    cr_assert_eq(kp_blocklist_split(bl, &v6, on_run, &r), -EAFNOSUPPORT);
    kp_blocklist_free(bl);
}

/* The cost of a split follows the entries inside the target, not its
 * addresses: counted, not timed. */
Test(blocklist, split_work_is_linear_in_entries)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    struct runs r;
    uint64_t s0 = kp_blocklist_steps(bl);
    split(bl, "44.0.0.0/8", &r); /* 16M addresses, no entry inside */
    cr_assert_eq(r.n, 1);
    cr_assert_leq(kp_blocklist_steps(bl) - s0, 4);
    s0 = kp_blocklist_steps(bl);
    split(bl, "10.0.0.0/8", &r); /* one entry covering it all */
    cr_assert_eq(r.n, 1);
    cr_assert_leq(kp_blocklist_steps(bl) - s0, 4);
    /* 1000 single addresses blocked inside an allowed /8 */
    add(bl, KP_BL_ALLOW, "10.0.0.0/8", "", 1);
    for (unsigned i = 0; i < 1000; i++) {
        char s[32];
        snprintf(s, sizeof(s), "10.%u.%u.%u", 1 + i % 7, (i * 37) % 256, i % 256);
        struct kp_prefix p = P(s);
        cr_assert_eq(kp_blocklist_add(bl, KP_BL_BLOCK, &p, "", 0, "b", i + 2), 0);
    }
    size_t n = kp_blocklist_count(bl, KP_BL_BLOCK);
    s0 = kp_blocklist_steps(bl);
    split(bl, "10.0.0.0/8", &r);
    uint64_t steps = kp_blocklist_steps(bl) - s0;
    cr_assert_eq(r.n, 2 * n + 1, "%u runs for %zu blocked addresses", r.n, n);
    cr_assert_leq(steps, 6 * n + 8, "%llu steps for %zu entries", (unsigned long long)steps, n);
    kp_blocklist_free(bl);
}

/* ---- CIDR blocks ------------------------------------------------------------ */

static int on_cidr(void *ctx, uint32_t base, unsigned len)
{
    char *text = ctx, a[KP_ADDR_STRLEN];
    struct kp_addr x = kp_addr_v4(base);
    size_t k = strlen(text);
    snprintf(text + k, 1024 - k, "%s/%u ", kp_addr_str(&x, a, sizeof(a)), len);
    return 0;
}

static const char *cidrs(const char *first, const char *last, char *text)
{
    struct kp_addr a = A(first), b = A(last);
    text[0] = '\0';
    cr_assert_eq(kp_range_cidrs(kp_addr_v4_host(&a), kp_addr_v4_host(&b), on_cidr, text), 0);
    return text;
}

Test(blocklist, range_to_cidr_blocks)
{
    char t[1024];
    cr_assert_str_eq(cidrs("10.0.0.1", "10.0.0.6", t),
                     "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32 ");
    cr_assert_str_eq(cidrs("10.0.0.0", "10.0.0.255", t), "10.0.0.0/24 ");
    cr_assert_str_eq(cidrs("198.18.0.0", "198.19.255.255", t), "198.18.0.0/15 ");
    cr_assert_str_eq(cidrs("0.0.0.0", "255.255.255.255", t), "0.0.0.0/0 ");
    cr_assert_str_eq(cidrs("255.255.255.255", "255.255.255.255", t), "255.255.255.255/32 ");
    cr_assert_str_eq(cidrs("192.0.0.11", "192.0.0.169", t),
                     "192.0.0.11/32 192.0.0.12/30 192.0.0.16/28 192.0.0.32/27 192.0.0.64/26 "
                     "192.0.0.128/27 192.0.0.160/29 192.0.0.168/31 ");
}

Test(blocklist, exclusions_as_blocks)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    struct kp_exclusions x;
    memset(&x, 0, sizeof(x));
    struct kp_addr a = A("192.0.0.11");
    const struct kp_bl_rule *why = kp_blocklist_check(bl, &a);
    cr_assert_eq(kp_exclusions_add(&x, kp_addr_v4_host(&a), kp_addr_v4_host(&a) + 4, why), 0);
    cr_assert_eq(x.n, 2);
    cr_assert_eq(x.addresses, 5);
    cr_assert_str_eq(x.v[0].reason, "IETF protocol assignments (RFC 6890)");
    cr_assert_eq(x.v[1].list, KP_BL_DEFAULT);
    char *s = kp_exclusions_list(&x), msg[400];
    cr_assert_str_eq(s, "192.0.0.11/32,192.0.0.12/30");
    free(s);
    cr_assert(kp_exclusions_match(&x, "192.0.0.11/32,192.0.0.12/30", msg, sizeof(msg)));
    cr_assert_not(kp_exclusions_match(&x, NULL, msg, sizeof(msg)));
    cr_assert_str_eq(msg, "the blocklist now leaves out 192.0.0.11/32,192.0.0.12/30, the sweep "
                          "left out nothing: a resumed sweep must probe the same addresses "
                          "(restore the list files as they were, or start a new sweep)");
    kp_exclusions_free(&x);
    s = kp_exclusions_list(&x);
    cr_assert_str_eq(s, "");
    free(s);
    cr_assert(kp_exclusions_match(&x, "", msg, sizeof(msg)));
    cr_assert(kp_exclusions_match(&x, NULL, msg, sizeof(msg)));
    cr_assert_not(kp_exclusions_match(&x, "10.0.0.0/8", msg, sizeof(msg)));
    kp_blocklist_free(bl);
}

/* ---- file syntax ------------------------------------------------------------ */

static int line(const char *s, char *out, char *comment)
{
    struct kp_prefix p;
    const char *c;
    size_t cl;
    char why[200];
    int rc = kp_bl_parse_line(s, strlen(s), &p, &c, &cl, why, sizeof(why));
    if (rc == 1)
        kp_prefix_str(&p, out, KP_PREFIX_STRLEN);
    else
        snprintf(out, 200, "%s", why);
    if (comment != NULL)
        snprintf(comment, 200, "%.*s", (int)cl, c);
    return rc;
}

Test(blocklist, file_line_syntax)
{
    char o[200], c[200];
    cr_assert_eq(line("10.0.0.0/8", o, c), 1);
    cr_assert_str_eq(o, "10.0.0.0/8");
    cr_assert_str_eq(c, "");
    cr_assert_eq(line("  198.18.0.0/15\t# benchmarking (RFC 2544): the testbed  \r", o, c), 1);
    cr_assert_str_eq(o, "198.18.0.0/15");
    cr_assert_str_eq(c, "benchmarking (RFC 2544): the testbed");
    cr_assert_eq(line("192.0.2.7", o, NULL), 1);
    cr_assert_str_eq(o, "192.0.2.7/32");
    cr_assert_eq(line("2001:db8::/32 ## doc", o, c), 1);
    cr_assert_str_eq(o, "2001:db8::/32");
    cr_assert_str_eq(c, "doc");
    cr_assert_eq(line("::1", o, NULL), 1);
    cr_assert_str_eq(o, "::1/128");
    cr_assert_eq(line("", o, NULL), 0);
    cr_assert_eq(line("   \t ", o, NULL), 0);
    cr_assert_eq(line("# 10.0.0.0/8", o, c), 0);
    cr_assert_str_eq(c, "10.0.0.0/8");
    cr_assert_eq(line("\r", o, NULL), 0);
    cr_assert_eq(line("10.0.0.0/8 11.0.0.0/8", o, NULL), -EINVAL);
    cr_assert_str_eq(o, "\"10.0.0.0/8 11.0.0.0/8\": one prefix per line");
    cr_assert_eq(line("10.0.0.0/8,11.0.0.0/8", o, NULL), -EINVAL);
    cr_assert_str_eq(o, "\"10.0.0.0/8,11.0.0.0/8\": one prefix per line");
    cr_assert_eq(line("10.1.0.0/8", o, NULL), -EINVAL);
    cr_assert_str_eq(o, "\"10.1.0.0/8\": host bits set beyond /8 (10.0.0.0/8?)");
    cr_assert_eq(line("10.0.0.0/33", o, NULL), -EINVAL);
    cr_assert_str_eq(o, "\"10.0.0.0/33\": not a prefix (a.b.c.d/len, x:x::/len or an address)");
    cr_assert_eq(line("blocklist.example", o, NULL), -EINVAL);
    cr_assert_eq(line("10.0.0.0-10.0.0.9", o, NULL), -EINVAL);
    cr_assert_eq(line("10.0.0.0/", o, NULL), -EINVAL);
    cr_assert_eq(line("/8", o, NULL), -EINVAL);
    /* bytes that are not text are shown as '?' */
    cr_assert_eq(line("10.0.0.\x01/8", o, NULL), -EINVAL);
    cr_assert_str_eq(o, "\"10.0.0.?/8\": not a prefix (a.b.c.d/len, x:x::/len or an address)");
    struct kp_prefix p;
    const char *cm;
    size_t cl;
    char why[200];
    const char nul[] = "10.0.0.0\0/8";
    cr_assert_eq(kp_bl_parse_line(nul, sizeof(nul) - 1, &p, &cm, &cl, why, sizeof(why)), -EINVAL);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/kp-blocklist-test.XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(blocklist, files_name_file_and_line)
{
    struct kp_blocklist *bl = kp_blocklist_new(true);
    char err[400], b[200], want[400];
    char *ok = write_tmp("# testbed\n198.18.0.0/15  # benchmarking space\n\n203.0.113.0/24\n");
    cr_assert_eq(kp_blocklist_load(bl, KP_BL_ALLOW, ok, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kp_blocklist_count(bl, KP_BL_ALLOW), 2);
    cr_assert_str_eq(reason_at(bl, "198.19.0.1", b), "open");
    char *bad = write_tmp("8.8.8.0/24 # opt-out\n\n10.1.0.0/8\n9.9.9.0/24\n");
    cr_assert_eq(kp_blocklist_load(bl, KP_BL_BLOCK, bad, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:3: \"10.1.0.0/8\": host bits set beyond /8 (10.0.0.0/8?)",
             bad);
    cr_assert_str_eq(err, want);
    /* what came before the bad line is in, with its file, line and comment */
    snprintf(want, sizeof(want), "%s:1 (opt-out)", bad);
    cr_assert_str_eq(reason_at(bl, "8.8.8.8", b), want);
    cr_assert_str_eq(reason_at(bl, "9.9.9.9", b), "open");
    cr_assert_eq(kp_blocklist_load(bl, KP_BL_BLOCK, "/nonexistent/block.conf", err, sizeof(err)),
                 -ENOENT);
    cr_assert_str_eq(err, "/nonexistent/block.conf: No such file or directory");
    unlink(ok);
    unlink(bad);
    free(ok);
    free(bad);
    kp_blocklist_free(bl);
}
