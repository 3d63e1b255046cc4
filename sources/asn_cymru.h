/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_cymru.h — Team Cymru's IP-to-ASN DNS interface.
 *
 * Two layers:
 *  - core/asmap/cymru_parse.{c,h} (pure, fuzzed): query names and strict validation of the
 *    TXT answers. Anything that is not exactly the documented shape (an SPF
 *    string, HTML, a truncated record) is rejected with a reason.
 *      origin:  "3561 | 216.88.0.0/14 | US | arin | 1998-09-25"
 *               (several origins: "701 1239 | ..."; CC/registry/date may be empty)
 *      AS name: "23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US"
 *  - asn_cymru.c (I/O, c-ares): many queries in flight, timeouts, retries, a
 *    rate limit, and a cache (trie of answered prefixes, per-address negative
 *    entries, AS names) persisted to a text file with expiry. Used by asmap.c;
 *    most programs should use the kp_asmap_* façade instead.
 */
#ifndef KP_ASN_CYMRU_H
#define KP_ASN_CYMRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/asmap/asmap.h"

#include "core/asmap/cymru_parse.h"

/* ---- I/O: the resolver with its cache (asn_cymru.c) --------------------- */

struct kp_cymru;

/* Create the resolver (c-ares channel, cache loaded from opts->cache_path if
 * it exists). *rc receives 0 or a negative errno; err says why on failure.
 * Returns NULL on failure. */
struct kp_cymru *kp_cymru_new(const struct kp_cymru_opts *opts, char *err, size_t errlen, int *rc);

/* Free; does NOT save the cache (kp_cymru_save does). NULL is fine. */
void kp_cymru_free(struct kp_cymru *c);

/* Resolve the origins of addrs[] that the cache lacks (and, unless no_names,
 * the names of the origin ASes found), concurrently, blocking until done.
 * Returns the number of addresses that failed (timeout, SERVFAIL, garbage),
 * or -ENOMEM. */
int kp_cymru_resolve(struct kp_cymru *c, const struct kp_addr *addrs, size_t n);

/* Cached origin of a. Returns 0 (found, *out filled), -ENOENT (the server
 * said no such name: unannounced), -EAGAIN (not resolved yet), -EIO (the
 * last query failed; err receives "cymru: <why>"). */
int kp_cymru_lookup(struct kp_cymru *c, const struct kp_addr *a, struct kp_cymru_origin *out,
                    char *err, size_t errlen);

/* Cached AS name, or NULL. */
const char *kp_cymru_name(struct kp_cymru *c, uint32_t asn);

/* Write the cache file (temp file + rename). Returns 0, -EINVAL (no file
 * configured), -errno. */
int kp_cymru_save(struct kp_cymru *c, char *err, size_t errlen);

/* Counters; see struct kp_asmap_dns_stats. */
void kp_cymru_stats(const struct kp_cymru *c, struct kp_asmap_dns_stats *out);

#endif
