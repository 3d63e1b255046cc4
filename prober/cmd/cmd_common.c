/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_common.c — shared edges of `kptrace trace` and `kptrace sweep`. See
 * cmd_common.h. */
#include "prober/cmd/cmd_common.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "prober/sys/blocklist_file.h"
#include "core/codec/decode.h"
#include "prober/sys/net_raw.h"
#include "prober/sys/resolve.h"

volatile sig_atomic_t kp_cmd_stop;

static void on_signal(int sig)
{
    kp_cmd_stop = sig;
    signal(sig, SIG_DFL); /* a second one kills */
}

void kp_cmd_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int kp_cmd_blocklist(const struct kp_options *o, struct kp_blocklist **out, char *err,
                     size_t errlen)
{
    char e2[600];
    struct kp_blocklist *bl = kp_blocklist_new(true);
    *out = NULL;
    if (bl == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (int k = 0; k < 2; k++) {
        const char *f = k ? o->allowlist_file : o->blocklist_file;
        int rc = f ? kp_blocklist_load(bl, k ? KP_BL_ALLOW : KP_BL_BLOCK, f, e2, sizeof(e2)) : 0;
        if (rc != 0) {
            snprintf(err, errlen, "%s %s", k ? "--allowlist-file" : "--blocklist-file", e2);
            kp_blocklist_free(bl);
            return rc;
        }
    }
    *out = bl;
    return 0;
}

/* Why a target is refused as a whole: its distinct reasons (a few), and
 * whether the allowlist could lift them. */
struct refusal {
    const struct kp_bl_rule *why[3];
    size_t n;
    bool more, by_file;
};

static void refusal_note(struct refusal *f, const struct kp_bl_rule *why)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->why[i] == why)
            return;
    f->by_file |= why->list == KP_BL_BLOCK;
    if (f->n < sizeof(f->why) / sizeof(f->why[0]))
        f->why[f->n++] = why;
    else
        f->more = true;
}

/* "WHAT: REASON[, REASON...] — refused; --allowlist-file to override" */
static void refusal_msg(const struct refusal *f, const char *what, char *err, size_t errlen)
{
    char rs[400] = "", b[200];
    size_t k = 0;
    for (size_t i = 0; i < f->n && k < sizeof(rs); i++)
        k += (size_t)snprintf(rs + k, sizeof(rs) - k, "%s%s", i ? ", " : "",
                              kp_bl_rule_reason(f->why[i], b, sizeof(b)));
    snprintf(err, errlen, "%s: %s%s — refused%s", what, rs, f->more ? ", ..." : "",
             f->by_file ? " (--blocklist-file)" : "; --allowlist-file to override");
}

struct expand {
    struct kp_target_range *r;
    size_t n, cap;
    uint64_t kept;
    struct kp_exclusions *ex;
    struct refusal refused;
};

static int add_range(void *ctx, uint32_t base, unsigned len)
{
    struct expand *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct kp_target_range *v = realloc(c->r, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        c->r = v;
        c->cap = cap;
    }
    memset(&c->r[c->n], 0, sizeof(c->r[c->n]));
    c->r[c->n].base = base;
    c->r[c->n].count = len == 0 ? UINT32_MAX : (uint32_t)(1ull << (32 - len));
    c->n++;
    c->kept += 1ull << (32 - len);
    return 0;
}

static int on_run(void *ctx, uint32_t first, uint32_t last, const struct kp_bl_rule *why)
{
    struct expand *c = ctx;
    if (why == NULL)
        return kp_range_cidrs(first, last, add_range, c); /* CIDR blocks: the engine's /24s */
    refusal_note(&c->refused, why);
    return kp_exclusions_add(c->ex, first, last, why);
}

/* The blocks of target t left out (ex->v[from..]), on stderr. */
static void print_exclusions(const char *t, uint64_t size, const struct kp_exclusions *ex,
                             size_t from, uint64_t addrs)
{
    char p[KP_PREFIX_STRLEN];
    fprintf(stderr, "kptrace sweep: %s: %llu of %llu addresses left out (blocklist):\n", t,
            (unsigned long long)addrs, (unsigned long long)size);
    for (size_t i = from; i < ex->n; i++) {
        if (i - from == 10) {
            fprintf(stderr, "kptrace sweep:     ... and %zu more blocks (sweep.json lists them)\n",
                    ex->n - i);
            break;
        }
        fprintf(stderr, "kptrace sweep:     %s: %s\n",
                kp_prefix_str(&ex->v[i].prefix, p, sizeof(p)), ex->v[i].reason);
    }
}

int kp_cmd_ranges_from_cidrs(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             struct kp_exclusions *ex, char *err, size_t errlen)
{
    struct kp_exclusions local;
    memset(&local, 0, sizeof(local));
    struct expand c;
    memset(&c, 0, sizeof(c));
    c.ex = ex ? ex : &local;
    uint64_t(*span)[2] = calloc(o->n_targets ? o->n_targets : 1, sizeof(*span));
    struct kp_blocklist *bl = NULL;
    int rc = span ? kp_cmd_blocklist(o, &bl, err, errlen) : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < o->n_targets; i++) {
        struct kp_prefix p;
        if (kp_prefix_parse(o->targets[i], false, &p) != 0 || p.addr.family != 4) {
            snprintf(err, errlen, "--targets: \"%s\" is not an IPv4 prefix", o->targets[i]);
            rc = -EINVAL;
            break;
        }
        uint64_t size = 1ull << (32 - p.len);
        span[i][0] = kp_addr_v4_host(&p.addr);
        span[i][1] = span[i][0] + size;
        for (size_t k = 0; k < i; k++)
            if (span[k][0] < span[i][1] && span[i][0] < span[k][1]) {
                snprintf(err, errlen, "--targets: %s overlaps %s", o->targets[i], o->targets[k]);
                rc = -EINVAL;
            }
        if (rc != 0)
            break;
        size_t ex0 = c.ex->n;
        uint64_t kept0 = c.kept, excl0 = c.ex->addresses;
        memset(&c.refused, 0, sizeof(c.refused));
        if ((rc = kp_blocklist_split(bl, &p, on_run, &c)) != 0) {
            snprintf(err, errlen, "--targets %s: %s", o->targets[i], strerror(-rc));
            break;
        }
        if (c.kept == kept0) {
            refusal_msg(&c.refused, o->targets[i], err, errlen);
            rc = -EINVAL;
            break;
        }
        if (c.ex->n > ex0 && (!o->quiet || o->dry_run))
            print_exclusions(o->targets[i], size, c.ex, ex0, c.ex->addresses - excl0);
    }
    if (rc == 0 && c.kept > KP_MAX_TARGET_ADDRS) {
        snprintf(err, errlen, "--targets: %" PRIu64 " addresses, more than the %u allowed", c.kept,
                 KP_MAX_TARGET_ADDRS);
        rc = -EINVAL;
    }
    if (rc == -ENOMEM && err[0] == '\0')
        snprintf(err, errlen, "out of memory");
    kp_blocklist_free(bl);
    free(span);
    kp_exclusions_free(&local);
    if (rc != 0) {
        free(c.r);
        return rc;
    }
    *out = c.r;
    *n = c.n;
    return 0;
}

int kp_cmd_ranges_from_names(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             char *err, size_t errlen)
{
    struct kp_blocklist *bl = NULL;
    int rc = kp_cmd_blocklist(o, &bl, err, errlen);
    if (rc != 0)
        return rc;
    struct kp_target_range *r = calloc(o->n_targets ? o->n_targets : 1, sizeof(*r));
    if (r == NULL) {
        kp_blocklist_free(bl);
        return -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < o->n_targets; i++) {
        struct kp_addr a[8], lit;
        size_t na;
        char s[KP_ADDR_STRLEN], what[300];
        if ((rc = kp_resolve(o->targets[i], o->dns_server, a, 8, &na, err, errlen)) != 0)
            break;
        bool named = kp_addr_parse(o->targets[i], &lit) != 0;
        /* the first address the blocklist allows, like traceroute's first */
        size_t pick = 0;
        while (pick < na && kp_blocklist_check(bl, &a[pick]) != NULL)
            pick++;
        if (pick == na) {
            struct refusal f;
            memset(&f, 0, sizeof(f));
            for (size_t k = 0; k < na; k++)
                refusal_note(&f, kp_blocklist_check(bl, &a[k]));
            /* a name: with every address it resolved to */
            size_t k = (size_t)snprintf(what, sizeof(what), "%s", o->targets[i]);
            for (size_t j = 0; named && j < na && k < sizeof(what); j++)
                k += (size_t)snprintf(what + k, sizeof(what) - k, "%s%s%s", j ? ", " : " (",
                                      kp_addr_str(&a[j], s, sizeof(s)), j + 1 == na ? ")" : "");
            refusal_msg(&f, what, err, errlen);
            rc = -EINVAL;
            break;
        }
        for (size_t k = 0; k < pick && !o->quiet; k++) {
            char why[300];
            fprintf(stderr, "kptrace trace: %s: %s skipped: %s\n", o->targets[i],
                    kp_addr_str(&a[k], s, sizeof(s)),
                    kp_bl_rule_reason(kp_blocklist_check(bl, &a[k]), why, sizeof(why)));
        }
        r[i].base = kp_addr_v4_host(&a[pick]);
        r[i].count = 1;
        if (named)
            snprintf(r[i].name, sizeof(r[i].name), "%s", o->targets[i]);
    }
    kp_blocklist_free(bl);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    *n = o->n_targets;
    return 0;
}

int kp_cmd_source(const struct kp_options *o, const struct kp_target_range *r, struct kp_addr *src,
                  char *iface, char *err, size_t errlen)
{
    char buf[KP_ADDR_STRLEN];
    int rc;
    if (kp_addr_is_set(&o->src)) {
        *src = o->src;
    } else {
        struct kp_addr dst = kp_addr_v4(r->base);
        if ((rc = kp_route_src(&dst, src))) {
            snprintf(err, errlen, "no route to %s: %s", kp_addr_str(&dst, buf, sizeof(buf)),
                     strerror(-rc));
            return rc;
        }
    }
    if (o->iface) {
        snprintf(iface, 16, "%s", o->iface);
        return 0;
    }
    if ((rc = kp_iface_of_addr(src, iface, 16))) {
        snprintf(err, errlen, "no interface holds %s (give --iface)",
                 kp_addr_str(src, buf, sizeof(buf)));
        return rc;
    }
    return 0;
}

void kp_cmd_engine_params(const struct kp_options *o, struct kp_engine_params *p)
{
    _Static_assert(KP_MAX_METHODS <= KP_ENGINE_MAX_METHODS, "--methods holds more than the engine");
    memset(p, 0, sizeof(*p));
    memcpy(p->methods, o->methods, o->n_methods * sizeof(o->methods[0]));
    p->n_methods = o->n_methods;
    p->pps = o->pps;
    p->pps_ceiling = o->unsafe_rate ? KP_UNSAFE_MAX_PPS : KP_CEILING_PPS;
    p->doubletree = o->doubletree;
    p->first_ttl = o->first_ttl;
    p->max_ttl = o->max_ttl;
    p->attempts = o->attempts;
    p->gap_limit = o->gap_limit;
    p->window = o->window;
    p->wait_ms = o->wait_ms;
    p->late_ms = o->late_ms;
    p->late_end_auto = !o->late_set;
    p->capture_kib = o->capture_kib;
    p->realtime = o->realtime;
    p->send_link = o->send_link;
    p->fault_wait_s = o->fault_wait_s;
    p->dport = o->dport;
    p->sport = o->sport;
    p->size = o->size;
    _Static_assert(sizeof(p->vp) == sizeof(o->vp), "the vantage point's length");
    memcpy(p->vp, o->vp, sizeof(p->vp));
}

uint64_t kp_cmd_seed(const struct kp_options *o)
{
    uint64_t s = 0;
    if (o->seed_set)
        return o->seed;
    if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
        s = (uint64_t)(uintptr_t)&s ^ (uint64_t)getpid() << 32;
    return s;
}

static const char *tcp_flags(uint8_t f, char *b)
{
    static const char n[] = "FSRP.UEW";
    int k = 0;
    for (int i = 0; i < 8; i++)
        if (f & (1u << i))
            b[k++] = n[i];
    b[k] = '\0';
    return b;
}

void kp_cmd_print_probe(FILE *f, const uint8_t *pkt, size_t len)
{
    struct kp_pkt p;
    char s[KP_ADDR_STRLEN], d[KP_ADDR_STRLEN], fl[9];
    int rc = kp_decode_ip(pkt, len, &p);
    if (rc != KP_DEC_OK) {
        fprintf(f, "undecodable probe (%s), %zu bytes\n", kp_decode_strerror(rc), len);
        return;
    }
    kp_addr_str(&p.ip.src, s, sizeof(s));
    kp_addr_str(&p.ip.dst, d, sizeof(d));
    switch (p.ip.proto) {
    case IPPROTO_ICMP:
        fprintf(f, "IP %s > %s: ICMP echo request, id %u, seq %u, length %u", s, d, p.l4.icmp_id,
                p.l4.icmp_seq, (unsigned)(p.ip.tot_len - p.ip.hdr_len));
        fprintf(f, " (ttl %u, id %u, icmp cksum 0x%04x)\n", p.ip.ttl, p.ip.ip_id, p.l4.icmp_sum);
        break;
    case IPPROTO_UDP:
        fprintf(f, "IP %s.%u > %s.%u: UDP, length %u", s, p.l4.sport, d, p.l4.dport,
                (unsigned)(p.l4.udp_len >= 8 ? p.l4.udp_len - 8 : 0));
        fprintf(f, " (ttl %u, id %u, udp cksum 0x%04x)\n", p.ip.ttl, p.ip.ip_id, p.l4.udp_sum);
        break;
    case IPPROTO_TCP:
        fprintf(f, "IP %s.%u > %s.%u: Flags [%s], seq %u, win %u, length %zu", s, p.l4.sport, d,
                p.l4.dport, tcp_flags(p.l4.tcp_flags, fl), p.l4.tcp_seq, p.l4.tcp_win,
                p.l4.payload_len);
        fprintf(f, " (ttl %u, id %u, %zu option bytes)\n", p.ip.ttl, p.ip.ip_id, p.l4.tcp_opts_len);
        break;
    default:
        fprintf(f, "IP %s > %s: proto %u, length %u (ttl %u)\n", s, d, p.ip.proto, p.ip.tot_len,
                p.ip.ttl);
    }
}

int kp_cmd_options(struct kp_options *o, enum kp_cmd cmd, const char *name, int argc, char **argv)
{
    char err[512] = "";
    if (kp_options_parse(o, cmd, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "kptrace %s: %s\n(kptrace %s --help shows every option)\n", name, err,
                name);
        kp_options_free(o);
        return KP_EXIT_USAGE;
    }
    if (o->help) {
        fputs(kp_options_usage(cmd), stdout);
        kp_options_free(o);
        return KP_EXIT_OK;
    }
    /* the list files by absolute path: sweep.json keeps them for --resume,
     * which may run from another directory */
    char **files[2] = {&o->blocklist_file, &o->allowlist_file};
    for (int k = 0; k < 2; k++) {
        char *abs = *files[k] ? realpath(*files[k], NULL) : NULL;
        if (abs != NULL) {
            free(*files[k]);
            *files[k] = abs;
        }
    }
    return -1;
}
