/* SPDX-License-Identifier: BSD-2-Clause */
/* annotate.h — one trace's annotation from the IP-to-AS sources: every hop's
 * AS, address class, IXP, AS name (and reverse DNS when asked), and the
 * transit verdict (core/verdict). The one implementation both programs use:
 * kpannotate for its records, kptrace for `trace --pfx2as` and `watch`.
 *
 * The sources answer from memory (prefix2as, RIB, mmdb, PeeringDB) or from
 * the answers kp_asmap_prefetch() fetched before (Team Cymru, rDNS): these
 * calls do no I/O of their own beyond what kp_asmap_lookup does. */
#ifndef KP_SOURCES_ANNOTATE_H
#define KP_SOURCES_ANNOTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/asmap/asmap.h"
#include "core/base/addr.h"
#include "core/record/trace.h"
#include "core/verdict/verdict.h"

/* Annotate address a into *o (initialised first). with_rdns: also its reverse
 * DNS name when the map has one. Returns 1 when no source could answer for a
 * public address (a failed lookup, to be counted), else 0. */
int kp_annotate_addr(struct kp_asmap *m, const struct kp_addr *a, bool with_rdns,
                     struct kp_hop_annot *o);

/* Annotate every hop of t into ann[0 .. t->n_hops) and t's destination into
 * *dst (left initialised when t has none). Returns the number of failed
 * lookups (>= 0), or -EINVAL on NULL arguments. When
 * kp_asmap_concurrent_lookups(m) is true, several threads may call this at
 * once on the same map (kpannotate's parsing workers do). */
int kp_annotate_hops(struct kp_asmap *m, const struct kp_trace *t, bool with_rdns,
                     struct kp_hop_annot *ann, struct kp_hop_annot *dst);

/* kp_annotate_hops, then decide the transit into *v
 * with configuration cfg. Returns the number of failed lookups (>= 0), or
 * -EINVAL on NULL arguments. */
int kp_annotate_trace(struct kp_asmap *m, const struct kp_verdict_config *cfg,
                      const struct kp_trace *t, bool with_rdns, struct kp_hop_annot *ann,
                      struct kp_hop_annot *dst, struct kp_transit *v);

#endif
