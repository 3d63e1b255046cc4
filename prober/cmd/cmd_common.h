/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_common.h — what `kptrace trace` and `kptrace sweep` share: target
 * ranges, source/interface choice, the seed, signal handling, the output
 * writers for records, the dry-run printer and the progress line.
 *
 * These are edges of the program (they may print, read the clock and install
 * signal handlers) but still never exit: they return 0 / negative errno with
 * a message.
 */
#ifndef KP_CMD_COMMON_H
#define KP_CMD_COMMON_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "core/plan/blocklist.h"
#include "prober/engine/engine.h"
#include "prober/cmd/options.h"
#include "prober/sys/progress.h"

/* Exit statuses of kptrace (docs/kptrace.md). */
#define KP_EXIT_OK          0
#define KP_EXIT_ERROR       1 /* could not run or finish (socket, capture, files, ...) */
#define KP_EXIT_USAGE       2 /* bad command line */
#define KP_EXIT_INTERRUPTED 3 /* SIGINT/SIGTERM: partial results written */
#define KP_EXIT_INCOMPLETE  4 /* the run's counts do not reconcile (run_checks.h) */

/* Set by the SIGINT/SIGTERM handler installed by kp_cmd_signals. */
extern volatile sig_atomic_t kp_cmd_stop;

/* Install SIGINT/SIGTERM handlers that set kp_cmd_stop (a second signal
 * kills the process the default way); ignore SIGPIPE. */
void kp_cmd_signals(void);

/* The target blocklist of the options: the default list (special-purpose
 * addresses), --blocklist-file and --allowlist-file. 0 or -errno with err
 * ("--allowlist-file FILE:LINE: ..."). Free with kp_blocklist_free. */
int kp_cmd_blocklist(const struct kp_options *o, struct kp_blocklist **out, char *err,
                     size_t errlen);

/* Sweep targets (CIDRs in o->targets) into ranges (malloc'ed, caller frees),
 * without what the blocklist refuses: a target wholly refused is an error
 * ("224.0.0.0/30: multicast (RFC 5771) — refused; --allowlist-file to
 * override"); the parts left out of the others go into *ex (when not NULL;
 * free with kp_exclusions_free) and are printed on stderr (unless -q; always
 * with --dry-run). Ranges are CIDR blocks. 0 or -EINVAL/-ENOMEM with err. */
int kp_cmd_ranges_from_cidrs(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             struct kp_exclusions *ex, char *err, size_t errlen);

/* Trace targets (addresses or names, resolved with c-ares via o->dns_server)
 * into one-address ranges carrying the name given. A name's first address
 * the blocklist allows is traced; a target with none is an error with the
 * reason. */
int kp_cmd_ranges_from_names(const struct kp_options *o, struct kp_target_range **out, size_t *n,
                             char *err, size_t errlen);

/* Choose the source address (--src or the route to the first target) and the
 * interface (--iface or the one holding the source). iface must hold 16 bytes. */
int kp_cmd_source(const struct kp_options *o, const struct kp_target_range *r, struct kp_addr *src,
                  char *iface, char *err, size_t errlen);

/* Parse the options of `kptrace NAME` (cmd) into *o. Returns -1 when the
 * command should run; otherwise the exit status, after printing the error
 * (KP_EXIT_USAGE) or the --help text (KP_EXIT_OK) and freeing *o. */
int kp_cmd_options(struct kp_options *o, enum kp_cmd cmd, const char *name, int argc, char **argv);

/* The engine's parameters from the options (what a run measures and how). */
void kp_cmd_engine_params(const struct kp_options *o, struct kp_engine_params *p);

/* --seed or 64 random bits from getrandom. */
uint64_t kp_cmd_seed(const struct kp_options *o);

/* Print one probe as a tcpdump-like line (decoded with kp_decode_ip). */
void kp_cmd_print_probe(FILE *f, const uint8_t *pkt, size_t len);

#endif
