/* SPDX-License-Identifier: BSD-2-Clause */
/* options.c — option parsing for trace and sweep. See options.h. */
#include "prober/cmd/options.h"
#include "core/base/util.h"
#include "core/methods/method.h"
#include "prober/sys/blocklist_file.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The message into err; the status -EINVAL (core/base/util.h). */
#define err_set(err, errlen, ...) kp_err_set(err, errlen, -EINVAL, __VA_ARGS__)

void kp_options_default(struct kp_options *o, enum kp_cmd cmd)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->pps = KP_DEFAULT_PPS;
    o->methods[0] = KP_METHOD_ICMP_PARIS;
    o->n_methods = 1;
    o->first_ttl = 1;
    o->max_ttl = 30;
    o->attempts = 2;
    o->gap_limit = 5;
    o->window = 1;
    o->wait_ms = 1000;
    o->late_ms = o->wait_ms / 2;
    o->capture_kib = KP_DEFAULT_CAPTURE_KIB;
    o->fault_wait_s = KP_DEFAULT_FAULT_WAIT;
    o->format = cmd == KP_CMD_SWEEP ? KP_FMT_JSON : KP_FMT_TEXT;
    o->user = KP_DEFAULT_USER;
    o->doubletree = cmd == KP_CMD_SWEEP;
    o->progress = true;
}

void kp_options_free(struct kp_options *o)
{
    for (size_t i = 0; i < o->n_targets; i++)
        free(o->targets[i]);
    free(o->targets);
    o->targets = NULL;
    o->n_targets = 0;
    free(o->blocklist_file);
    free(o->allowlist_file);
    o->blocklist_file = o->allowlist_file = NULL;
}

static int add_target(struct kp_options *o, const char *s, size_t n)
{
    char **t = realloc(o->targets, (o->n_targets + 1) * sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    o->targets = t;
    t[o->n_targets] = strndup(s, n);
    if (t[o->n_targets] == NULL)
        return -ENOMEM;
    o->n_targets++;
    return 0;
}

/* Unsigned decimal in [lo, hi]. */
static int num(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
               unsigned long long *v, char *err, size_t errlen)
{
    char *end;
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return err_set(err, errlen, "%s: \"%s\" is not a number", opt, s ? s : "");
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return err_set(err, errlen, "%s: \"%s\" is not a number", opt, s);
    if (x < lo || x > hi)
        return err_set(err, errlen, "%s: %llu is not in %llu..%llu", opt, x, lo, hi);
    *v = x;
    return 0;
}

int kp_cidr_parse(const char *s, struct kp_addr *base, uint8_t *len)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (kp_addr_parse(buf, base) != 0 || base->family != 4)
        return -EINVAL;
    unsigned l = 32;
    if (slash) {
        char *end;
        if (!isdigit((unsigned char)slash[1]))
            return -EINVAL;
        unsigned long x = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || x > 32)
            return -EINVAL;
        l = (unsigned)x;
    }
    uint32_t a = kp_addr_v4_host(base);
    uint32_t mask = l == 0 ? 0 : (uint32_t)(0xFFFFFFFFu << (32 - l));
    if (a & ~mask)
        return -EINVAL;
    *len = (uint8_t)l;
    return 0;
}

/* Split a comma-separated list into targets. */
static int add_target_list(struct kp_options *o, const char *s, char *err, size_t errlen)
{
    while (*s) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (n == 0)
            return err_set(err, errlen, "--targets: empty item in \"%s\"", s);
        if (add_target(o, s, n))
            return -ENOMEM;
        s += n + (c ? 1 : 0);
    }
    return 0;
}

/* One line of a --targets-file: a target, or nothing (blank, '#' comment). */
static int target_line(void *ctx, const char *text, size_t len, char *why, size_t whylen)
{
    const char *p = text, *h;
    len = strnlen(text, len);
    if ((h = memchr(text, '#', len)) != NULL)
        len = (size_t)(h - text);
    while (len > 0 && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] == ' ' || p[i] == '\t' || p[i] == ',') {
            snprintf(why, whylen, "one target per line, got \"%.*s\"", (int)len, p);
            return -EINVAL;
        }
    return add_target(ctx, p, len);
}

int kp_options_read_targets_file(struct kp_options *o, const char *path, char *err, size_t errlen)
{
    unsigned long lineno;
    int rc = kp_list_file_read(path, target_line, o, &lineno, err, errlen);
    if (rc < 0 && lineno == 0) /* the file itself: named by its option */
        err_set(err, errlen, "--targets-file: %s: %s", path,
                rc == -EIO ? "read error" : strerror(-rc));
    return rc;
}

static int parse_methods(struct kp_options *o, const char *s, char *err, size_t errlen)
{
    o->n_methods = 0;
    char buf[256];
    if (strlen(s) >= sizeof(buf))
        return err_set(err, errlen, "--methods: too long");
    strcpy(buf, s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        enum kp_method m = kp_method_from_name(tok);
        if (m != KP_METHOD_ICMP_PARIS && m != KP_METHOD_UDP_PARIS && m != KP_METHOD_TCP_SYN &&
            m != KP_METHOD_UDP)
            return err_set(err, errlen,
                           "--methods: unknown method \"%s\" (use icmp-paris, udp-paris, "
                           "tcp-syn, udp)",
                           tok);
        for (unsigned i = 0; i < o->n_methods; i++)
            if (o->methods[i] == m)
                return err_set(err, errlen, "--methods: \"%s\" given twice", tok);
        o->methods[o->n_methods++] = m;
    }
    if (o->n_methods == 0)
        return err_set(err, errlen, "--methods: no method given");
    return 0;
}

enum {
    O_PPS = 256,
    O_UNSAFE,
    O_METHODS,
    O_FIRST,
    O_MAX,
    O_ATTEMPTS,
    O_WAIT,
    O_GAP,
    O_WINDOW,
    O_DPORT,
    O_SPORT,
    O_SIZE,
    O_VP,
    O_OUT,
    O_FORMAT,
    O_USER,
    O_DRY,
    O_NODT,
    O_DT,
    O_IFACE,
    O_SRC,
    O_SEED,
    O_DNS,
    O_NOPROG,
    O_RT,
    O_SENDVIA,
    O_LATE,
    O_CAPBUF,
    O_FAULTW,
    O_TARGETS,
    O_TFILE,
    O_PCAP,
    O_BLOCKF,
    O_ALLOWF,
    O_PFX2AS, /* trace's IP-to-AS options (trace_asn.h), O_PFX2AS..O_TARGETAS */
    O_RIB,
    O_MMDB,
    O_KEEPSP,
    O_TARGETAS,
};

static const struct option long_opts[] = {
    {"pps", required_argument, NULL, O_PPS},
    {"unsafe-rate", no_argument, NULL, O_UNSAFE},
    {"methods", required_argument, NULL, O_METHODS},
    {"method", required_argument, NULL, O_METHODS},
    {"first-ttl", required_argument, NULL, O_FIRST},
    {"max-ttl", required_argument, NULL, O_MAX},
    {"attempts", required_argument, NULL, O_ATTEMPTS},
    {"wait", required_argument, NULL, O_WAIT},
    {"late", required_argument, NULL, O_LATE},
    {"capture-buffer", required_argument, NULL, O_CAPBUF},
    {"fault-wait", required_argument, NULL, O_FAULTW},
    {"gap-limit", required_argument, NULL, O_GAP},
    {"window", required_argument, NULL, O_WINDOW},
    {"dport", required_argument, NULL, O_DPORT},
    {"sport", required_argument, NULL, O_SPORT},
    {"size", required_argument, NULL, O_SIZE},
    {"vp", required_argument, NULL, O_VP},
    {"out", required_argument, NULL, O_OUT},
    {"format", required_argument, NULL, O_FORMAT},
    {"user", required_argument, NULL, O_USER},
    {"dry-run", no_argument, NULL, O_DRY},
    {"no-doubletree", no_argument, NULL, O_NODT},
    {"doubletree", no_argument, NULL, O_DT},
    {"iface", required_argument, NULL, O_IFACE},
    {"src", required_argument, NULL, O_SRC},
    {"seed", required_argument, NULL, O_SEED},
    {"dns-server", required_argument, NULL, O_DNS},
    {"no-progress", no_argument, NULL, O_NOPROG},
    {"realtime", no_argument, NULL, O_RT},
    {"send-via", required_argument, NULL, O_SENDVIA},
    {"targets", required_argument, NULL, O_TARGETS},
    /* an exact name, so that it is not an abbreviation of both --targets
     * and --target-as (getopt_long prefers an exact match) */
    {"target", required_argument, NULL, O_TARGETS},
    {"targets-file", required_argument, NULL, O_TFILE},
    {"pcap", required_argument, NULL, O_PCAP},
    {"blocklist-file", required_argument, NULL, O_BLOCKF},
    {"allowlist-file", required_argument, NULL, O_ALLOWF},
    {"pfx2as", required_argument, NULL, O_PFX2AS},
    {"rib", required_argument, NULL, O_RIB},
    {"mmdb", required_argument, NULL, O_MMDB},
    {"keep-special", required_argument, NULL, O_KEEPSP},
    {"target-as", required_argument, NULL, O_TARGETAS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The name of the long option with value val, for messages. */
static const char *opt_name(int val)
{
    for (const struct option *p = long_opts; p->name; p++)
        if (p->val == val)
            return p->name;
    return "?";
}

/* An option getopt_long did not take: unknown, or an abbreviation of
 * several options (getopt_long says only '?'), then named with them. */
static int unknown_opt(const char *arg, enum kp_cmd cmd, char *err, size_t errlen)
{
    const char *cmdname = cmd == KP_CMD_SWEEP ? "sweep" : "trace";
    size_t n = strncmp(arg, "--", 2) == 0 ? strcspn(arg + 2, "=") : 0;
    char list[512] = "";
    size_t k = 0, hits = 0;
    for (const struct option *p = long_opts; n > 0 && p->name; p++)
        if (strncmp(p->name, arg + 2, n) == 0 && k < sizeof(list)) {
            k += (size_t)snprintf(list + k, sizeof(list) - k, "%s--%s", hits ? ", " : "", p->name);
            hits++;
        }
    if (hits > 1)
        return err_set(err, errlen,
                       "ambiguous option \"--%.*s\": it could be %s (give the whole name)",
                       (int)(n < 64 ? n : 64), arg + 2, list);
    return err_set(err, errlen, "unknown option \"%s\" (see kptrace %s --help)", arg, cmdname);
}

/* The numeric options: their bounds and the field each one sets. */
struct num_opt {
    int val;
    unsigned long long lo, hi;
    size_t off, size;
};

#define NUM_OPT(val, lo, hi, field)                                                                \
    {                                                                                              \
        val, lo, hi, offsetof(struct kp_options, field), sizeof(((struct kp_options *)0)->field)   \
    }

static const struct num_opt num_opts[] = {
    NUM_OPT(O_PPS, 1, KP_UNSAFE_MAX_PPS, pps),
    NUM_OPT(O_FIRST, 1, KP_OPT_MAX_TTL, first_ttl),
    NUM_OPT(O_MAX, 1, KP_OPT_MAX_TTL, max_ttl),
    NUM_OPT(O_ATTEMPTS, 1, KP_OPT_MAX_ATTEMPTS, attempts),
    NUM_OPT(O_WAIT, 1, 60000, wait_ms),
    NUM_OPT(O_LATE, 0, 60000, late_ms),
    NUM_OPT(O_CAPBUF, 64, 4194304, capture_kib),
    NUM_OPT(O_FAULTW, 1, 86400, fault_wait_s),
    NUM_OPT(O_GAP, 0, 255, gap_limit),
    NUM_OPT(O_WINDOW, 1, 32, window),
    NUM_OPT(O_DPORT, 1, 65535, dport),
    /* 32768..65535 is the identity's own encoding (0x8000 | trace id): a
     * fixed port there would name the wrong trace. */
    NUM_OPT(O_SPORT, 1, 32767, sport),
    NUM_OPT(O_SIZE, 20, 1500, size),
    NUM_OPT(O_SEED, 0, UINT64_MAX, seed),
};

/* A numeric option c: its value checked and stored. Returns false when c
 * is not one (*rc untouched). */
static bool parse_num_opt(struct kp_options *o, int c, const char *name, int *rc, char *err,
                          size_t errlen)
{
    const struct num_opt *n = NULL;
    for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
        if (num_opts[i].val == c)
            n = &num_opts[i];
    if (n == NULL)
        return false;
    unsigned long long v = 0;
    *rc = num(name, optarg, n->lo, n->hi, &v, err, errlen);
    void *f = (char *)o + n->off;
    switch (n->size) {
    case 1:
        *(uint8_t *)f = (uint8_t)v;
        break;
    case 2:
        *(uint16_t *)f = (uint16_t)v;
        break;
    case 4:
        *(uint32_t *)f = (uint32_t)v;
        break;
    default:
        *(uint64_t *)f = (uint64_t)v;
        break;
    }
    if (c == O_LATE)
        o->late_set = true;
    if (c == O_SEED)
        o->seed_set = true;
    return true;
}

/* --blocklist-file, --allowlist-file: one each, kept. */
static int parse_list_file(struct kp_options *o, int c, const char *name, char *err, size_t errlen)
{
    char **f = c == O_BLOCKF ? &o->blocklist_file : &o->allowlist_file;
    if (*f != NULL)
        return err_set(err, errlen, "%s given twice (put the prefixes in one file)", name);
    if (optarg[0] == '\0')
        return err_set(err, errlen, "%s needs a file name", name);
    if ((*f = strdup(optarg)) == NULL)
        return -ENOMEM;
    return 0;
}

/* Every option but the numeric ones: 0 or an error (err says which). */
static int parse_opt(struct kp_options *o, enum kp_cmd cmd, int c, const char *name, char **argv,
                     const char **tfile, char *err, size_t errlen)
{
    int rc = 0;
    switch (c) {
    case O_UNSAFE:
        o->unsafe_rate = true;
        break;
    case O_METHODS:
        rc = parse_methods(o, optarg, err, errlen);
        break;
    case O_VP:
        if (optarg[0] == '\0' || strlen(optarg) >= sizeof(o->vp))
            rc = err_set(err, errlen, "--vp: must be 1..%zu characters", sizeof(o->vp) - 1);
        else if (strpbrk(optarg, " \t\r\n\"\\/"))
            rc = err_set(err, errlen, "--vp: \"%s\" contains a space, quote or slash", optarg);
        else
            strcpy(o->vp, optarg);
        break;
    case O_OUT:
        o->out = optarg;
        break;
    case O_FORMAT:
        o->format_set = true;
        if (strcmp(optarg, "text") == 0)
            o->format = KP_FMT_TEXT;
        else if (strcmp(optarg, "json") == 0)
            o->format = KP_FMT_JSON;
        else if (strcmp(optarg, "atlas") == 0)
            o->format = KP_FMT_ATLAS;
        else
            rc = err_set(err, errlen, "--format: \"%s\" is not text, json or atlas", optarg);
        break;
    case O_USER:
        if (optarg[0] == '\0')
            rc = err_set(err, errlen, "--user: empty user name");
        o->user = optarg;
        break;
    case O_DRY:
        o->dry_run = true;
        break;
    case O_NODT:
        o->doubletree = false;
        break;
    case O_DT:
        o->doubletree = true;
        break;
    case O_IFACE:
        if (optarg[0] == '\0' || strlen(optarg) >= 16)
            rc = err_set(err, errlen, "--iface: \"%s\" is not an interface name", optarg);
        o->iface = optarg;
        break;
    case O_SRC:
        if (kp_addr_parse(optarg, &o->src) != 0 || o->src.family != 4)
            rc = err_set(err, errlen, "--src: \"%s\" is not an IPv4 address", optarg);
        break;
    case O_DNS:
        o->dns_server = optarg;
        break;
    case O_NOPROG:
        o->progress = false;
        break;
    case O_RT:
        o->realtime = true;
        break;
    case O_SENDVIA:
        if (strcmp(optarg, "ip") == 0 || strcmp(optarg, "link") == 0)
            o->send_link = optarg[0] == 'l';
        else
            rc = err_set(err, errlen, "--send-via: \"%s\": expected ip or link", optarg);
        break;
    case O_TARGETS:
        rc = add_target_list(o, optarg, err, errlen);
        break;
    case O_TFILE:
        *tfile = optarg;
        break;
    case O_PCAP:
        if (cmd == KP_CMD_SWEEP)
            rc = err_set(err, errlen, "--pcap: a sweep always writes DIR/capture.pcap");
        o->pcap = optarg;
        break;
    case O_BLOCKF:
    case O_ALLOWF:
        rc = parse_list_file(o, c, name, err, errlen);
        break;
    case O_PFX2AS:
    case O_RIB:
    case O_MMDB:
    case O_KEEPSP:
    case O_TARGETAS:
        if (cmd == KP_CMD_SWEEP)
            rc = err_set(err, errlen, "%s: a sweep writes records; kpannotate gives their ASes",
                         name);
        else
            rc = kp_asn_opts_parse(&o->asn, name, optarg, err, errlen);
        break;
    case 'q':
        o->quiet = true;
        o->progress = false;
        break;
    case 'h':
        o->help = true;
        break;
    case ':':
        rc = err_set(err, errlen, "%s needs a value", argv[optind - 1]);
        break;
    default:
        rc = unknown_opt(argv[optind - 1], cmd, err, errlen);
        break;
    }
    return rc;
}

/* What a sweep needs besides: --out, --vp, JSON, prefixes as targets. */
static int check_sweep(struct kp_options *o, char *err, size_t errlen)
{
    if (o->out == NULL && !o->dry_run)
        return err_set(err, errlen, "--out DIR is required for a sweep");
    if (o->vp[0] == '\0')
        return err_set(err, errlen, "--vp ID is required for a sweep");
    if (o->format_set && o->format != KP_FMT_JSON)
        return err_set(err, errlen,
                       "--format: a sweep writes JSON lines; use --format on trace or "
                       "replay");
    if (o->n_targets == 0 && add_target_list(o, KP_DEFAULT_TARGETS, err, errlen))
        return -ENOMEM;
    for (size_t i = 0; i < o->n_targets; i++) {
        struct kp_addr b;
        uint8_t l;
        if (kp_cidr_parse(o->targets[i], &b, &l) != 0)
            return err_set(err, errlen,
                           "--targets: \"%s\" is not an IPv4 prefix a.b.c.d/len with "
                           "zero host bits",
                           o->targets[i]);
    }
    return 0;
}

/* After the options: the arguments (trace's targets), --targets-file, and
 * the checks that take several options together. */
static int check_parsed(struct kp_options *o, enum kp_cmd cmd, int argc, char **argv,
                        const char *tfile, char *err, size_t errlen)
{
    int rc;
    for (int i = optind; i < argc; i++) {
        if (cmd == KP_CMD_SWEEP)
            return err_set(err, errlen, "unexpected argument \"%s\" (targets go in --targets)",
                           argv[i]);
        if ((rc = add_target(o, argv[i], strlen(argv[i]))))
            return rc;
    }
    if (tfile && (rc = kp_options_read_targets_file(o, tfile, err, errlen)))
        return rc;
    if (o->max_ttl < o->first_ttl)
        return err_set(err, errlen, "--max-ttl %u is below --first-ttl %u", o->max_ttl,
                       o->first_ttl);
    if (!o->late_set)
        o->late_ms = o->wait_ms / 2;
    for (unsigned i = 0; o->size != 0 && i < o->n_methods; i++) {
        const struct kp_method_ops *ops = kp_method_by_id(o->methods[i]);
        uint16_t min = ops ? kp_method_min_size(ops, 4) : 0;
        if (o->size < min)
            return err_set(err, errlen, "--size %u: %s probes need at least %u bytes", o->size,
                           kp_method_name(o->methods[i]), min);
    }
    uint32_t ceiling = o->unsafe_rate ? KP_UNSAFE_MAX_PPS : KP_CEILING_PPS;
    if (o->pps > ceiling)
        return err_set(err, errlen,
                       "--pps: %u is above the ceiling of %u probes/s (--unsafe-rate lifts it "
                       "to %u)",
                       o->pps, ceiling, KP_UNSAFE_MAX_PPS);
    if (cmd == KP_CMD_TRACE && o->n_targets == 0)
        return err_set(err, errlen, "no target given (kptrace trace [options] TARGET...)");
    if (cmd == KP_CMD_SWEEP)
        return check_sweep(o, err, errlen);
    return 0;
}

int kp_options_parse(struct kp_options *o, enum kp_cmd cmd, int argc, char **argv, char *err,
                     size_t errlen)
{
    kp_options_default(o, cmd);
    err[0] = '\0';
    optind = 0; /* full reset (GNU): parse may be called more than once */
    opterr = 0;
    int c, rc = 0, idx;
    const char *tfile = NULL;
    char name[32];
    while (rc == 0 && (c = getopt_long(argc, argv, ":qh", long_opts, &idx)) != -1) {
        snprintf(name, sizeof(name), "--%s", c >= 256 ? opt_name(c) : "");
        if (!parse_num_opt(o, c, name, &rc, err, errlen))
            rc = parse_opt(o, cmd, c, name, argv, &tfile, err, errlen);
    }
    if (rc)
        return rc;
    if (o->help)
        return 0;
    return check_parsed(o, cmd, argc, argv, tfile, err, errlen);
}

static bool same_path(const char *a, const char *b)
{
    struct stat sa, sb;
    if (a == NULL || b == NULL)
        return a == b;
    if (strcmp(a, b) == 0)
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static void list_str(char *buf, size_t len, char *const *v, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && k + 1 < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "", v[i]);
}

/* reason: one comparison per option a resumed sweep can be given, as a table of cases */
int kp_options_same(const struct kp_options *a, const struct kp_options *b, const char *flag,
                    char *msg, size_t msglen)
{
    char x[256], y[256];
    const char *f = flag;
    size_t fl = strcspn(flag, "=");
#define IS(name) (fl == strlen(name) && strncmp(f, name, fl) == 0)
#define NUM(name, field)                                                                           \
    if (IS(name)) {                                                                                \
        snprintf(x, sizeof(x), "%llu", (unsigned long long)a->field);                              \
        snprintf(y, sizeof(y), "%llu", (unsigned long long)b->field);                              \
        goto cmp;                                                                                  \
    }
    NUM("--pps", pps)
    NUM("--first-ttl", first_ttl)
    NUM("--max-ttl", max_ttl)
    NUM("--attempts", attempts)
    NUM("--wait", wait_ms)
    NUM("--late", late_ms)
    NUM("--gap-limit", gap_limit)
    NUM("--window", window)
    NUM("--dport", dport)
    NUM("--sport", sport)
    NUM("--size", size)
    NUM("--seed", seed)
#undef NUM
    if (IS("--methods") || IS("--method")) {
        x[0] = y[0] = '\0';
        for (unsigned i = 0; i < a->n_methods; i++)
            snprintf(x + strlen(x), sizeof(x) - strlen(x), "%s%s", i ? "," : "",
                     kp_method_name(a->methods[i]));
        for (unsigned i = 0; i < b->n_methods; i++)
            snprintf(y + strlen(y), sizeof(y) - strlen(y), "%s%s", i ? "," : "",
                     kp_method_name(b->methods[i]));
        goto cmp;
    }
    if (IS("--targets") || IS("--target") || IS("--targets-file")) {
        bool same = a->n_targets == b->n_targets;
        for (size_t i = 0; same && i < a->n_targets; i++)
            same = strcmp(a->targets[i], b->targets[i]) == 0;
        list_str(x, sizeof(x), a->targets, a->n_targets);
        list_str(y, sizeof(y), b->targets, b->n_targets);
        if (same)
            return 0;
        goto differ;
    }
    if (IS("--vp")) {
        snprintf(x, sizeof(x), "%s", a->vp);
        snprintf(y, sizeof(y), "%s", b->vp);
        goto cmp;
    }
    if (IS("--user")) {
        snprintf(x, sizeof(x), "%s", a->user ? a->user : KP_DEFAULT_USER);
        snprintf(y, sizeof(y), "%s", b->user ? b->user : KP_DEFAULT_USER);
        goto cmp;
    }
    if (IS("--iface")) {
        snprintf(x, sizeof(x), "%s", a->iface ? a->iface : "");
        snprintf(y, sizeof(y), "%s", b->iface ? b->iface : "");
        goto cmp;
    }
    if (IS("--src")) {
        kp_addr_str(&a->src, x, sizeof(x));
        kp_addr_str(&b->src, y, sizeof(y));
        goto cmp;
    }
    if (IS("--out")) {
        snprintf(x, sizeof(x), "%s", a->out ? a->out : "");
        snprintf(y, sizeof(y), "%s", b->out ? b->out : "");
        if (same_path(a->out, b->out))
            return 0;
        goto differ;
    }
    if (IS("--blocklist-file") || IS("--allowlist-file")) {
        const char *pa = IS("--blocklist-file") ? a->blocklist_file : a->allowlist_file;
        const char *pb = IS("--blocklist-file") ? b->blocklist_file : b->allowlist_file;
        snprintf(x, sizeof(x), "%s", pa ? pa : "none");
        snprintf(y, sizeof(y), "%s", pb ? pb : "none");
        if (same_path(pa, pb))
            return 0;
        goto differ;
    }
    if (IS("--no-doubletree") || IS("--doubletree")) {
        snprintf(x, sizeof(x), "Doubletree %s", a->doubletree ? "on" : "off");
        snprintf(y, sizeof(y), "Doubletree %s", b->doubletree ? "on" : "off");
        goto cmp;
    }
    if (IS("--format") && b->format == KP_FMT_JSON)
        return 0;
    if (IS("--unsafe-rate"))
        return 0; /* lifts a ceiling; the rate itself is --pps */
    if (IS("--capture-buffer") || IS("--fault-wait") || IS("--realtime") || IS("--send-via"))
        return 0; /* the capture's buffer, how long to ride out a fault, the sender's
                     scheduling and socket: not the measurement */
    snprintf(msg, msglen, "%.*s cannot be used with --resume", (int)(fl < 64 ? fl : 64), flag);
    return -1;
cmp:
    if (strcmp(x, y) == 0)
        return 0;
differ:
    snprintf(msg, msglen, "%.*s: %.100s given, the sweep was run with %.100s",
             (int)(fl < 64 ? fl : 64), flag, y, x);
    return 1;
#undef IS
}

/* What both --help texts say of the default blocklist. */
#define KP_BLOCKLIST_HELP                                                                          \
    "Targets in special-purpose address space (IANA registries, RFC 6890: this\n"                  \
    "network, private-use, shared, loopback, link-local, multicast, reserved,\n"                   \
    "limited broadcast, documentation, benchmarking, ...) are refused: a target\n"                 \
    "wholly inside is an error naming the block, one partly inside is probed\n"                    \
    "without it (the addresses left out are counted). --allowlist-file lifts that\n"               \
    "for its prefixes; --blocklist-file prefixes are never probed. Files: one\n"                   \
    "prefix per line, '#' comments. The list: kptrace(1), TARGET BLOCKLIST.\n"

/* reason: the --help texts: string literals */
const char *kp_options_usage(enum kp_cmd cmd)
{
    if (cmd == KP_CMD_SWEEP)
        return "usage: kptrace sweep --vp ID --out DIR [--targets CIDR[,CIDR...] | "
               "--targets-file FILE]\n"
               "                     [--methods M[,M...]] [options]\n"
               "       kptrace sweep --resume DIR [-q] [--no-progress]\n"
               "\n"
               "Traceroute every address of the given IPv4 prefixes with every method, paced\n"
               "and in random order, capturing every probe and reply. Writes DIR/traces.jsonl\n"
               "(one JSON object per trace), DIR/capture.pcap and DIR/sweep.json.\n"
               "Default targets: " KP_DEFAULT_TARGETS " (AS131279, North Korea).\n"
               "Run as root: kptrace opens its raw socket and capture, then becomes --user.\n"
               "\n"
               "Example (inside a test namespace, whose benchmarking addresses the default\n"
               "blocklist refuses unless allowed):\n"
               "  kptrace sweep --vp vp1 --targets 198.19.176.0/22 \\\n"
               "      --allowlist-file tests/testbed/allowlist.conf \\\n"
               "      --methods icmp-paris,udp-paris,tcp-syn --pps 500 --out /tmp/run1\n"
               "  kptrace sweep --resume /tmp/run1     # after a Ctrl-C, reboot or crash\n"
               "\n"
               "Options (defaults in brackets):\n"
               "  --targets CIDR,...    prefixes to sweep [" KP_DEFAULT_TARGETS "]\n"
               "  --targets-file FILE   one prefix per line, '#' comments\n"
               "  --methods M,...       icmp-paris, udp-paris, tcp-syn, udp [icmp-paris]\n"
               "  --vp ID               vantage point name, written in every trace (required)\n"
               "  --out DIR             output directory, created if missing (required)\n"
               "  --no-doubletree       probe every TTL of every trace (Doubletree is on)\n"
               "  --allowlist-file FILE probe these prefixes even where the default blocklist\n"
               "                        refuses (see below)\n"
               "  --blocklist-file FILE never probe these prefixes (added to the default)\n"
               "  --resume DIR          continue the sweep in DIR (interrupted, crashed, stopped\n"
               "                        on an error or incomplete) with its stored\n"
               "                        options and seed: only (target, method) pairs without\n"
               "                        a whole record in DIR/traces.jsonl are probed (traces\n"
               "                        the interruption cut short are redone); traces.jsonl\n"
               "                        and capture.pcap are appended to. Other options must\n"
               "                        equal the stored ones.\n"
               "  --no-progress         no progress line (shown only on a terminal anyway)\n"
               "Common options:\n"
               "  --pps N               probes per second, smooth [100]; ceiling 10000\n"
               "  --unsafe-rate         allow --pps up to 1000000 (do you own the path?)\n"
               "  --realtime            send and capture at real-time priority (SCHED_FIFO)\n"
               "                        when probes are >= 50 us apart: smoother pace [off]\n"
               "  --send-via WAY        ip (raw IP socket) or link (packet socket to the next\n"
               "                        hop, faster, no output firewall) [ip]\n"
               "  --first-ttl N         first TTL probed, 1..63 [1]\n"
               "  --max-ttl N           last TTL probed, 1..63 [30]\n"
               "  --attempts N          probes per TTL until one answers, 1..4 [2]\n"
               "  --wait MS             wait per probe for its reply, ms [1000]\n"
               "  --late MS             replies up to wait + late after the probe still\n"
               "                        count, flagged late; given, the run waits that\n"
               "                        long for its last unanswered probes; not given,\n"
               "                        only as far as its replies came late [wait / 2]\n"
               "  --capture-buffer KIB  kernel buffer of the capture (its drops are counted\n"
               "                        and make the run incomplete) [32768]\n"
               "  --fault-wait S        how long sends may keep failing (link down, no\n"
               "                        route, firewall) before the run ends with an\n"
               "                        error; shorter faults are ridden out [300]\n"
               "  --gap-limit N         stop after N silent TTLs in a row, 0 = never [5]\n"
               "  --window N            unanswered TTLs in flight per trace, 1..32 [1]\n"
               "  --dport N             destination port: tcp-syn [80], udp-paris [33435],\n"
               "                        udp base port [33434] (+4 per TTL, +1 per attempt)\n"
               "  --sport N             fixed source port, 1..32767 [0x8000 | trace id]\n"
               "  --size N              IP length of each probe [method minimum]\n"
               "  --src ADDR            source address [from the route to the first target]\n"
               "  --iface NAME          interface to capture on [the one holding --src]\n"
               "  --user NAME           drop root to this user after opening sockets [nobody]\n"
               "  --seed N              seed for order, ports and the identity key [random]\n"
               "  --dry-run             print the probes that would be sent; no root needed\n"
               "  -q, --quiet           no summary on stderr\n"
               "  -h, --help            this text\n"
               "\n" KP_BLOCKLIST_HELP;
    return "usage: kptrace trace [options] TARGET...\n"
           "\n"
           "Traceroute to each TARGET (an IPv4 address or a name, resolved with c-ares)\n"
           "with each method, all at once, paced. Prints a traceroute-like table, JSON\n"
           "lines or RIPE Atlas results. Run as root (drops to --user right after opening\n"
           "its sockets); --dry-run needs no root.\n"
           "\n"
           "Examples (inside a test namespace; A=tests/testbed/allowlist.conf lifts the\n"
           "default blocklist for the testbed's benchmarking addresses):\n"
           "  kptrace trace --allowlist-file $A 198.19.177.1\n"
           "  kptrace trace --allowlist-file $A --methods udp-paris,tcp-syn --format json \\\n"
           "      198.19.176.7\n"
           "  kptrace trace --allowlist-file $A --dry-run --methods tcp-syn --dport 443 \\\n"
           "      198.19.178.1\n"
           "  kptrace trace --allowlist-file $A \\\n"
           "      --pfx2as tests/testbed/topologies/nk.pfx2as \\\n"
           "      --keep-special benchmarking,documentation-asn 198.19.177.1\n"
           "    prints each address with its AS, as traceroute -A does, and under the\n"
           "    table (one line) the AS that hands the traffic to the target AS, as\n"
           "    kpannotate decides it:\n"
           "     5  198.18.188.22 [AS20485]  182.621 ms\n"
           "     6  * *\n"
           "     7  * *\n"
           "     8  198.19.177.1 [AS131279]  194.526 ms\n"
           "    transit: AS20485 TransTeleCom, reached (confidence 0.90); handoff TTL 5\n"
           "    198.18.188.22 -> target TTL 8 198.19.177.1; heuristics: silent-gap\n"
           "\n"
           "Options (defaults in brackets):\n"
           "  --methods M,...       icmp-paris, udp-paris, tcp-syn, udp [icmp-paris]\n"
           "  --format F            text, json or atlas [text]\n"
           "  --out FILE            write the traces there [standard output]\n"
           "  --pcap FILE           also save every probe and reply there [not saved]\n"
           "  --vp ID               vantage point name written in JSON [\"\"]\n"
           "  --doubletree          use Doubletree between targets of one /24 [off]\n"
           "  --dns-server A[:P]    resolve names with this server [system resolver]\n"
           "  --allowlist-file FILE probe these prefixes even where the default blocklist\n"
           "                        refuses (see below)\n"
           "  --blocklist-file FILE never probe these prefixes (added to the default)\n"
           "  --pps N               probes per second, smooth [100]; ceiling 10000\n"
           "  --unsafe-rate         allow --pps up to 1000000\n"
           "  --realtime            send and capture at real-time priority (SCHED_FIFO)\n"
           "                        when probes are >= 50 us apart: smoother pace [off]\n"
           "  --send-via WAY        ip (raw IP socket) or link (packet socket to the next\n"
           "                        hop, faster, no output firewall) [ip]\n"
           "  --first-ttl N         first TTL probed, 1..63 [1]\n"
           "  --max-ttl N           last TTL probed, 1..63 [30]\n"
           "  --attempts N          probes per TTL until one answers, 1..4 [2]\n"
           "  --wait MS             wait per probe for its reply, ms [1000]\n"
           "  --late MS             replies up to wait + late after the probe still\n"
           "                        count, flagged late [wait / 2]\n"
           "  --capture-buffer KIB  kernel buffer of the capture [32768]\n"
           "  --fault-wait S        how long sends may keep failing before an error [300]\n"
           "  --gap-limit N         stop after N silent TTLs in a row, 0 = never [5]\n"
           "  --window N            unanswered TTLs in flight per trace, 1..32 [1]\n"
           "  --dport N             destination port: tcp-syn [80], udp-paris [33435],\n"
           "                        udp base port [33434] (+4 per TTL, +1 per attempt)\n"
           "  --sport N             fixed source port, 1..32767 [0x8000 | trace id]\n"
           "  --size N              IP length of each probe [method minimum]\n"
           "  --src ADDR            source address [from the route to the first target]\n"
           "  --iface NAME          interface to capture on [the one holding --src]\n"
           "  --user NAME           drop root to this user after opening sockets [nobody]\n"
           "  --seed N              seed for order, ports and the identity key [random]\n"
           "  --dry-run             print the probes that would be sent; no root needed\n"
           "  -q, --quiet           no summary on stderr\n"
           "  --no-progress         no progress line (shown only on a terminal anyway)\n"
           "  -h, --help            this text\n"
           "\n"
           "IP-to-AS sources, for the text table (repeatable; asked in the order given,\n"
           "the first that knows an address wins; read before anything is sent):\n"
           "  --pfx2as FILE         CAIDA prefix2as table (plain or .gz)\n"
           "  --rib FILE            `bgpdump -m` RIB text (plain or .gz)\n"
           "  --mmdb FILE           MaxMind GeoLite2-ASN or IPinfo ASN database\n"
           "  --keep-special LIST   use these special-purpose ranges and AS numbers from\n"
           "                        prefix2as and RIB files instead of dropping them\n"
           "                        (test networks), as kpannotate --keep-special [none]\n"
           "  --target-as ASN,...   the target AS set of the verdict [131279]\n"
           "\n" KP_BLOCKLIST_HELP;
}
