/* SPDX-License-Identifier: BSD-2-Clause */
/* resolve.h — name resolution for `kptrace trace NAME` with c-ares.
 *
 * Resolves IPv4 addresses only (kptrace probes IPv4). A literal address is
 * returned as is without a query. Blocking (it runs before probing starts).
 * Anything that is not a literal or a valid host name (kp_hostname_valid: a
 * prefix, a URL) is refused without a query.
 * Returns 0 with out[0..*n) filled (*n >= 1), -ENOENT (no IPv4 address),
 * -EINVAL (not a name, or a bad server), -ETIMEDOUT or -EIO, with a message in err naming the
 * name. server: "ADDR" or "ADDR:PORT" to ask instead of the system's
 * resolver (tests point it at their own dnsmasq), or NULL.
 */
#ifndef KP_RESOLVE_H
#define KP_RESOLVE_H

#include <stddef.h>

#include "core/base/addr.h"

int kp_resolve(const char *name, const char *server, struct kp_addr *out, size_t max, size_t *n,
               char *err, size_t errlen);

#endif
