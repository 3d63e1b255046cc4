/* SPDX-License-Identifier: BSD-2-Clause */
/* options.h — command-line options shared by `kptrace trace` and `kptrace
 * sweep`, their defaults and their checks.
 *
 * kp_options_parse never prints and never exits: it fills *o or returns an
 * error with a message naming the option and the value that is wrong. The
 * defaults are documented in docs/kptrace.md and in --help (kp_options_usage).
 *
 * Ownership: *o owns the targets array and the strings in it, and the
 * blocklist and allowlist paths (kp_options_free releases them).
 */
#ifndef KP_OPTIONS_H
#define KP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/addr.h"
#include "core/record/trace.h"
#include "prober/cmd/trace_asn.h"

#define KP_DEFAULT_PPS     100u   /* polite default */
#define KP_CEILING_PPS     10000u /* hard ceiling without --unsafe-rate */
#define KP_UNSAFE_MAX_PPS  1000000u
#define KP_DEFAULT_TARGETS "175.45.176.0/22" /* AS131279, North Korea */
#define KP_DEFAULT_USER    "nobody"
#define KP_MAX_METHODS     4
/* addresses in one sweep (a /12): the plan costs ~20 bytes per trace */
#define KP_MAX_TARGET_ADDRS    (1u << 20)
#define KP_OPT_MAX_TTL         63     /* the probe identity carries 6 bits of TTL */
#define KP_OPT_MAX_ATTEMPTS    4      /* ... and 2 bits of attempt */
#define KP_DEFAULT_CAPTURE_KIB 32768u /* 32 MiB: ~300 000 frames */
#define KP_DEFAULT_FAULT_WAIT  300u   /* s: a network fault longer than this ends a run */

enum kp_cmd { KP_CMD_TRACE = 0, KP_CMD_SWEEP = 1 };
enum kp_format { KP_FMT_TEXT = 0, KP_FMT_JSON, KP_FMT_ATLAS };

struct kp_options {
    enum kp_cmd cmd;
    uint32_t pps;                           /* --pps, default 100 */
    bool unsafe_rate;                       /* --unsafe-rate: lift the 10000 pps ceiling */
    enum kp_method methods[KP_MAX_METHODS]; /* --methods */
    unsigned n_methods;
    uint8_t first_ttl, max_ttl, attempts, gap_limit, window;
    uint32_t wait_ms; /* --wait (ms) */
    uint32_t late_ms; /* --late (ms): a reply up to wait + late after its probe
                         counts (flagged late); default wait / 2 */
    bool late_set;
    uint32_t capture_kib;  /* --capture-buffer (KiB): the kernel's capture ring */
    uint32_t fault_wait_s; /* --fault-wait (s): how long sends may keep failing */
    uint16_t dport;        /* --dport, 0 = the method's default */
    uint16_t sport;        /* --sport, 0 = chosen per trace from the seed */
    uint16_t size;         /* --size: IP length of probes, 0 = method default */
    char vp[KP_VP_LEN];    /* --vp */
    const char *out;       /* --out DIR (sweep) or FILE (trace; NULL stdout) */
    enum kp_format format; /* --format; trace default text, sweep writes json */
    bool format_set;
    const char *user;   /* --user, default nobody */
    bool dry_run;       /* --dry-run */
    bool doubletree;    /* default on for sweeps, off for trace */
    const char *iface;  /* --iface, NULL = from the route to the first target */
    struct kp_addr src; /* --src, unset = from the route */
    uint64_t seed;      /* --seed */
    bool seed_set;
    const char *dns_server; /* --dns-server ADDR[:PORT], NULL = system */
    bool progress;          /* --no-progress clears */
    bool realtime;          /* --realtime: the sender may run SCHED_FIFO */
    bool send_link;         /* --send-via link: probes on a packet socket (net_link.h) */
    bool quiet;             /* -q */
    const char *pcap;       /* --pcap FILE (trace); sweeps write DIR/capture.pcap */
    char *blocklist_file;   /* --blocklist-file FILE: never probed, added to the default */
    char *allowlist_file;   /* --allowlist-file FILE: probed even where the default blocks */
    struct kp_asn_opts asn; /* trace: --pfx2as, --rib, --mmdb, --keep-special, --target-as */
    char **targets;         /* CIDRs, addresses or names (trace: positional) */
    size_t n_targets;
    bool help; /* -h/--help given: print usage, nothing else */
};

/* Set every option to its default for cmd. */
void kp_options_default(struct kp_options *o, enum kp_cmd cmd);

/* Parse argv (argv[0] is the subcommand name). Returns 0, or -EINVAL with a
 * message in err (e.g. "--pps: 0 is not in 1..10000"). Strings in *o point
 * into argv except targets and the list files, which are copies. */
int kp_options_parse(struct kp_options *o, enum kp_cmd cmd, int argc, char **argv, char *err,
                     size_t errlen);

/* Free what kp_options_parse allocated. */
void kp_options_free(struct kp_options *o);

/* Append the targets read from a file (one CIDR, address or name per line;
 * '#' comments and blank lines ignored) to o->targets. 0, -errno, or -EINVAL
 * with "FILE:LINE: ..." in err. */
int kp_options_read_targets_file(struct kp_options *o, const char *path, char *err, size_t errlen);

/* Parse "a.b.c.d/len" (or a bare address = /32) into base (host bits must be
 * zero) and len. 0 or -EINVAL. */
int kp_cidr_parse(const char *s, struct kp_addr *base, uint8_t *len);

/* `kptrace sweep --resume`: whether the option `flag` (its long name with
 * "--", e.g. "--pps"; "-q"/"--quiet", "--no-progress" are not asked about)
 * sets the same value in given as in stored, the options the sweep was run
 * with. 0 = the same; 1 = different, with "--pps: 500 given, the sweep was
 * run with 150" in msg; -1 = an option a resumed sweep cannot take at all
 * (--dry-run, --dns-server, unknown), with the reason in msg. Paths (--out,
 * --blocklist-file, --allowlist-file) are the same when they name the same
 * file. */
int kp_options_same(const struct kp_options *stored, const struct kp_options *given,
                    const char *flag, char *msg, size_t msglen);

/* Usage text for cmd (static string). */
const char *kp_options_usage(enum kp_cmd cmd);

#endif
