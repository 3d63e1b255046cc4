/* cmd_common.c — shared edges of `kptrace trace` and `kptrace sweep`. See
 * cmd_common.h. */
#include "probe/cmd_common.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "probe/decode.h"
#include "probe/net_raw.h"
#include "probe/resolve.h"

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

int kp_cmd_ranges_from_cidrs(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             char *err, size_t errlen)
{
    struct kp_target_range *r = calloc(o->n_targets ? o->n_targets : 1, sizeof(*r));
    uint64_t total = 0;
    if (r == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < o->n_targets; i++) {
        struct kp_addr b;
        uint8_t l;
        if (kp_cidr_parse(o->targets[i], &b, &l) != 0) {
            free(r);
            snprintf(err, errlen, "--targets: \"%s\" is not an IPv4 prefix", o->targets[i]);
            return -EINVAL;
        }
        r[i].base = kp_addr_v4_host(&b);
        r[i].count = l == 0 ? UINT32_MAX : (uint32_t)(1ull << (32 - l));
        total += r[i].count;
        for (size_t k = 0; k < i; k++) {
            uint64_t a0 = r[k].base, a1 = a0 + r[k].count, b0 = r[i].base, b1 = b0 + r[i].count;
            if (a0 < b1 && b0 < a1) {
                snprintf(err, errlen, "--targets: %s overlaps %s", o->targets[i], o->targets[k]);
                free(r);
                return -EINVAL;
            }
        }
    }
    if (total > KP_MAX_TARGET_ADDRS) {
        snprintf(err, errlen, "--targets: %" PRIu64 " addresses, more than the %u allowed", total,
                 KP_MAX_TARGET_ADDRS);
        free(r);
        return -EINVAL;
    }
    *out = r;
    *n = o->n_targets;
    return 0;
}

int kp_cmd_ranges_from_names(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             char *err, size_t errlen)
{
    struct kp_target_range *r = calloc(o->n_targets, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < o->n_targets; i++) {
        struct kp_addr a[8];
        size_t na;
        int rc = kp_resolve(o->targets[i], o->dns_server, a, 8, &na, err, errlen);
        if (rc) {
            free(r);
            return rc;
        }
        r[i].base = kp_addr_v4_host(&a[0]); /* the first address, like traceroute */
        r[i].count = 1;
        struct kp_addr lit;
        if (kp_addr_parse(o->targets[i], &lit) != 0)
            snprintf(r[i].name, sizeof(r[i].name), "%s", o->targets[i]);
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
    return -1;
}
