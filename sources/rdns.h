/* SPDX-License-Identifier: BSD-2-Clause */
/* rdns.h — reverse DNS (PTR) names through c-ares, cached in memory.
 *
 * I/O edge. Queries many addresses concurrently (kp_rdns_resolve) and keeps
 * every answer, including "no name" and failures, for the life of the
 * object, so each address is asked at most once per run. Most programs use
 * it through kp_asmap_enable_rdns / kp_asmap_rdns.
 */
#ifndef KP_RDNS_H
#define KP_RDNS_H

#include <stddef.h>

#include "core/base/addr.h"

struct kp_rdns;

/* Create a resolver. dns_server: "ip", "ip:port" or "[v6]:port", NULL = the
 * system's resolver. timeout_ms/tries: 0 = defaults (1500 ms, 2). *rc gets 0
 * or a negative errno (err says why). Returns NULL on failure. */
struct kp_rdns *kp_rdns_new(const char *dns_server, int timeout_ms, int tries, char *err,
                            size_t errlen, int *rc);

/* Free. NULL is fine. */
void kp_rdns_free(struct kp_rdns *r);

/* Resolve the PTR names of addrs[] not cached yet, at most max_inflight at
 * once (0 = 32), blocking until all are answered or failed. Returns the
 * number of failures (timeouts, SERVFAIL), or -ENOMEM. */
int kp_rdns_resolve(struct kp_rdns *r, const struct kp_addr *addrs, size_t n, int max_inflight);

/* Cached name of a: returns the name (owned by r, valid until kp_rdns_free),
 * or NULL (no name, failure, or not resolved; *state if not NULL receives 0
 * = name, -ENOENT = no PTR, -EIO = failed, -EAGAIN = not resolved). */
const char *kp_rdns_name(struct kp_rdns *r, const struct kp_addr *a, int *state);

/* ---- shared c-ares plumbing (used by rdns.c and asn_cymru.c) ----------- */

struct ares_channeldata;

/* Create a c-ares channel with the given per-try timeout and tries, and,
 * when server is not NULL, that server only ("ip", "ip:port", "v6",
 * "[v6]:port"; the port defaults to 53). Never consults the search list.
 * Returns 0, -EINVAL (bad server string; err says so) or -EIO (c-ares init
 * failed). Destroy with ares_destroy. */
int kp_dns_channel_new(const char *server, int timeout_ms, int tries, struct ares_channeldata **out,
                       char *err, size_t errlen);

/* Wait for c-ares sockets to become ready (at most max_wait_ms, or less when
 * a c-ares timer is due) and let c-ares process them and its timeouts. */
void kp_dns_wait(struct ares_channeldata *ch, int max_wait_ms);

#endif
