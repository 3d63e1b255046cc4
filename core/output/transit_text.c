/* SPDX-License-Identifier: BSD-2-Clause */
/* transit_text.c — the transit verdict of one trace as a line for people,
 * printed under kptrace's table. See output.h. */
#include "core/output/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* " TTL 6 198.18.188.22", or " TTL 6" for a hop not among t's own. */
static void print_hop(FILE *f, const struct kp_trace *t, int hop, unsigned ttl)
{
    char a[KP_ADDR_STRLEN];
    fprintf(f, " TTL %u", ttl);
    if (hop >= 0 && (size_t)hop < t->n_hops)
        fprintf(f, " %s", kp_addr_str(&t->hops[hop].addr, a, sizeof(a)));
}

int kp_output_transit(const struct kp_trace *t, const struct kp_transit *v, char **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return -ENOMEM;
    const char *status = kp_transit_status_name(v->status);
    if (v->asn != 0)
        fprintf(f, "transit: AS%u%s%s, %s", v->asn, v->name[0] ? " " : "", v->name, status);
    else
        fprintf(f, "transit: %s", status);
    fprintf(f, " (confidence %.2f)", v->confidence);
    bool handoff = v->handoff_hop >= 0 || v->handoff_ttl > 0;
    if (handoff) {
        fputs("; handoff", f);
        print_hop(f, t, v->handoff_hop, v->handoff_ttl);
    }
    if (v->target_hop >= 0 || v->target_ttl > 0) {
        fputs(handoff ? " -> target" : "; target", f);
        print_hop(f, t, v->target_hop, v->target_ttl);
    }
    if (v->filtered_by != 0 && v->filtered_by != v->asn)
        fprintf(f, "; admin-prohibited from AS%u", v->filtered_by);
    const char *sep = "; heuristics: ";
    for (unsigned b = 0; b < KP_H_COUNT_BITS; b++) {
        const char *n = (v->heuristics & (1u << b)) ? kp_heuristic_name(1u << b) : NULL;
        if (n != NULL) {
            fprintf(f, "%s%s", sep, n);
            sep = ", ";
        }
    }
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}
