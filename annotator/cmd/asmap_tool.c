/* SPDX-License-Identifier: BSD-2-Clause */
/* asmap_tool.c — `kp-asmap`: look addresses up with the IP-to-AS sources and
 * print one tab-separated line per address, with provenance. A small
 * companion of kpannotate for checking sources by hand and for the
 * integration tests.
 *
 *   kp-asmap [--pfx2as F]... [--bgpdump F]... [--mmdb F]... [--peeringdb F]
 *            [--min-prefix-len V4[,V6]] [--keep-special LIST]
 *            [--cymru] [--dns-server S] [--cache F] [--timeout-ms N]
 *            [--tries N] [--rate N] [--max-failures N] [--rdns]
 *            [--no-prefetch] [--addr-file F] ADDR...
 *
 * Sources are asked in the order given on the command line; the route filter
 * options (as kpannotate's) apply to every prefix2as and bgpdump file, and
 * what each file dropped goes to stderr ("FILE: N used; dropped ..."). The
 * addresses are the ADDR arguments, then one per line of --addr-file ("-":
 * standard input). Output columns: addr, status, asns (comma-separated),
 * prefix, source, as_name, class, ixp, rdns, error. The DNS statistics go to
 * stderr as one "dns:" line.
 * Exit status: 0 when every address was looked up (whatever the answers),
 * 1 on a bad argument or a source that cannot be loaded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asmap/asmap.h"
#include "core/asmap/route_filter.h"

static const char *status_name(enum kp_asn_status s)
{
    switch (s) {
    case KP_ASN_FOUND:
        return "found";
    case KP_ASN_UNANNOUNCED:
        return "unannounced";
    case KP_ASN_SPECIAL:
        return "special";
    case KP_ASN_UNKNOWN:
        return "unknown";
    }
    return "?";
}

/* Append the addresses of path ("-": stdin), one per line, to *addrs. */
static int read_addrs(const char *path, struct kp_addr **addrs, size_t *n, size_t *cap)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "kp-asmap: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    unsigned long no = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            struct kp_addr *na = realloc(*addrs, nc * sizeof(*na));
            if (na == NULL) {
                fprintf(stderr, "kp-asmap: out of memory\n");
                rc = -1;
                break;
            }
            *addrs = na;
            *cap = nc;
        }
        if (kp_addr_parse(line, &(*addrs)[*n]) != 0) {
            fprintf(stderr, "kp-asmap: %s:%lu: not an address: %s\n", path, no, line);
            rc = -1;
            break;
        }
        (*n)++;
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kp-asmap [--pfx2as F]... [--bgpdump F]... [--mmdb F]... [--peeringdb F]\n"
               "                [--min-prefix-len V4[,V6]] [--keep-special LIST]\n"
               "                [--cymru] [--dns-server S] [--cache F] [--timeout-ms N]\n"
               "                [--tries N] [--rate N] [--max-failures N] [--rdns]\n"
               "                [--no-prefetch] [--addr-file F] ADDR...\n");
}

/* reason: kp-asmap is a debugging tool whose whole run is its getopt loop over sixteen options,
 * then the lookups: one straight sequence */
/* A whole decimal number of lo..hi for option name, or a message and 1. */
static int int_opt(const char *name, const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*end || end == v || errno || x < lo || x > hi) {
        fprintf(stderr, "kp-asmap: %s: '%s' is not %ld..%ld\n", name, v, lo, hi);
        return 1;
    }
    *out = (int)x;
    return 0;
}

/* The options that configure the DNS sources and the route filter (the
 * first of main's two passes). 0, or 1 after a message. */
static int first_pass(int argc, char **argv, struct kp_cymru_opts *co, const char **addr_file,
                      struct kp_route_filter *filter)
{
    int bad_num = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--dns-server") == 0 && v)
            co->dns_server = v;
        else if (strcmp(a, "--cache") == 0 && v)
            co->cache_path = v;
        else if (strcmp(a, "--timeout-ms") == 0 && v)
            bad_num |= int_opt(a, v, 1, 60000, &co->timeout_ms);
        else if (strcmp(a, "--tries") == 0 && v)
            bad_num |= int_opt(a, v, 1, 10, &co->tries);
        else if (strcmp(a, "--rate") == 0 && v) {
            char *end;
            double r = strtod(v, &end);
            if (*end || end == v || !(r > 0 && r <= 100000)) {
                fprintf(stderr, "kp-asmap: --rate: '%s' is not a rate of 0..100000 a second\n", v);
                bad_num = 1;
            }
            co->rate_per_s = r;
        } else if (strcmp(a, "--max-failures") == 0 && v)
            bad_num |= int_opt(a, v, 0, 1000000, &co->max_failures);
        else if (strcmp(a, "--addr-file") == 0 && v)
            *addr_file = v;
        else if (strcmp(a, "--min-prefix-len") == 0 && v) {
            if (kp_route_filter_parse_min_len(v, filter) != 0) {
                fprintf(stderr, "kp-asmap: --min-prefix-len: '%s' is not V4[,V6]\n", v);
                return 1;
            }
        } else if (strcmp(a, "--keep-special") == 0 && v) {
            char bad[80];
            if (kp_route_filter_parse_keep(v, &filter->keep, bad, sizeof(bad)) != 0) {
                fprintf(stderr, "kp-asmap: --keep-special: unknown '%s'\n", bad);
                return 1;
            }
        } else
            continue;
        i++;
    }
    return bad_num;
}

int main(int argc, char **argv)
{
    struct kp_asmap *m = kp_asmap_new();
    struct kp_cymru_opts co;
    memset(&co, 0, sizeof(co));
    bool cymru = false, rdns = false, prefetch = true;
    char err[512] = "";
    size_t cap = (size_t)argc;
    struct kp_addr *addrs = calloc(cap, sizeof(*addrs));
    size_t n = 0;
    const char *addr_file = NULL;
    struct kp_route_filter filter;
    kp_route_filter_default(&filter);
    if (m == NULL || addrs == NULL) {
        fprintf(stderr, "kp-asmap: out of memory\n");
        return 1;
    }
    /* First pass: options that configure the DNS sources. */
    if (first_pass(argc, argv, &co, &addr_file, &filter) != 0)
        return 1;
    kp_asmap_set_filter(m, &filter);
    /* Second pass: sources in command-line order, then addresses. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((strcmp(a, "--pfx2as") == 0 || strcmp(a, "--bgpdump") == 0) && v) {
            rc = a[2] == 'p' ? kp_asmap_add_pfx2as(m, v, err, sizeof(err))
                             : kp_asmap_add_bgpdump(m, v, err, sizeof(err));
            if (rc == 0) {
                char st[1024];
                fprintf(stderr, "%s: %s\n", v,
                        kp_filter_stats_str(kp_asmap_load_stats(m), &filter, st, sizeof(st)));
            }
            i++;
        } else if (strcmp(a, "--mmdb") == 0 && v) {
            rc = kp_asmap_add_mmdb(m, v, err, sizeof(err));
            i++;
        } else if (strcmp(a, "--peeringdb") == 0 && v) {
            rc = kp_asmap_add_peeringdb(m, v, err, sizeof(err));
            i++;
        } else if (strcmp(a, "--cymru") == 0) {
            rc = kp_asmap_enable_cymru(m, &co, err, sizeof(err));
            cymru = true;
        } else if (strcmp(a, "--rdns") == 0) {
            rdns = true;
        } else if (strcmp(a, "--no-prefetch") == 0) {
            prefetch = false;
        } else if (strcmp(a, "--dns-server") == 0 || strcmp(a, "--cache") == 0 ||
                   strcmp(a, "--timeout-ms") == 0 || strcmp(a, "--tries") == 0 ||
                   strcmp(a, "--rate") == 0 || strcmp(a, "--max-failures") == 0 ||
                   strcmp(a, "--addr-file") == 0 || strcmp(a, "--min-prefix-len") == 0 ||
                   strcmp(a, "--keep-special") == 0) {
            if (v == NULL) {
                fprintf(stderr, "kp-asmap: %s needs a value\n", a);
                return 1;
            }
            i++;
        } else if (a[0] == '-') {
            fprintf(stderr, "kp-asmap: unknown option %s\n", a);
            usage(stderr);
            return 1;
        } else if (kp_addr_parse(a, &addrs[n]) == 0) {
            n++;
        } else {
            fprintf(stderr, "kp-asmap: not an address: %s\n", a);
            return 1;
        }
        if (rc != 0) {
            fprintf(stderr, "kp-asmap: %s\n", err);
            return 1;
        }
    }
    if (addr_file != NULL && read_addrs(addr_file, &addrs, &n, &cap) != 0)
        return 1;
    if (rdns &&
        kp_asmap_enable_rdns(m, co.dns_server, co.timeout_ms, co.tries, err, sizeof(err)) != 0) {
        fprintf(stderr, "kp-asmap: %s\n", err);
        return 1;
    }
    if (prefetch) {
        int f = kp_asmap_prefetch(m, addrs, n);
        if (f > 0)
            fprintf(stderr, "kp-asmap: %d address(es) failed in DNS lookups\n", f);
    }
    for (size_t i = 0; i < n; i++) {
        struct kp_asn_answer ans;
        char ip[KP_ADDR_STRLEN], pfx[KP_PREFIX_STRLEN] = "";
        kp_asmap_lookup(m, &addrs[i], &ans);
        kp_addr_str(&addrs[i], ip, sizeof(ip));
        if (ans.prefix.addr.family)
            kp_prefix_str(&ans.prefix, pfx, sizeof(pfx));
        printf("%s\t%s\t", ip, status_name(ans.status));
        for (unsigned k = 0; k < ans.n_asns; k++)
            printf("%s%u", k ? "," : "", ans.asns[k]);
        const char *r = rdns ? kp_asmap_rdns(m, &addrs[i]) : NULL;
        printf("\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pfx, ans.source, ans.as_name,
               kp_addr_class_name(ans.addr_class), ans.ixp ? ans.ixp_name : "", r ? r : "",
               ans.error);
    }
    if (cymru) {
        struct kp_asmap_dns_stats st;
        kp_asmap_dns_stats(m, &st);
        fprintf(stderr,
                "dns: queries=%lu answers=%lu cache_hits=%lu nxdomain=%lu timeouts=%lu "
                "garbage=%lu servfail=%lu down=%d\n",
                st.queries, st.answers, st.cache_hits, st.nxdomain, st.timeouts, st.garbage,
                st.servfail, st.down ? 1 : 0);
    }
    fflush(stdout);
    kp_asmap_free(m);
    free(addrs);
    return 0;
}
