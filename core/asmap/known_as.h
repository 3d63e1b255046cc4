/* SPDX-License-Identifier: BSD-2-Clause */
/* known_as.h — the one table of the ASes this project is about: the target
 * (North Korea's Star JV) and the transits that carry traffic to it. Read by
 * the annotator (built-in AS names), the verdict (default target and transits
 * of interest) and the graph output (transit colours). Pure, constants only.
 */
#ifndef KP_KNOWN_AS_H
#define KP_KNOWN_AS_H

#include <stddef.h>
#include <stdint.h>

/* The default target AS: Star JV (STAR-KP), 175.45.176.0/22. */
#define KP_ASN_TARGET_DEFAULT 131279u

/* The table, as X(asn, short name, whois handle, graph colour, is a transit).
 * Short names are what verdicts print; "short name (whois handle)" is the
 * built-in AS name (docs/asmap.md); the colour fills the AS in graphs (NULL:
 * target colour or one drawn from the number). Transits come first, in the
 * order verdicts list them. Expand it only through the functions below or,
 * where a constant array of another type is needed, with KP_KNOWN_AS_TABLE
 * or KP_KNOWN_TRANSIT_TABLE (the transits alone). */
#define KP_KNOWN_TRANSIT_TABLE(X)                                                                  \
    X(4837u, "China Unicom", "CHINA169-BACKBONE", "#ff9896", 1)                                    \
    X(20485u, "TransTeleCom", "TRANSTELECOM", "#aec7e8", 1)                                        \
    X(22351u, "Intelsat", "INTELSAT-1", "#ffbb78", 1)
#define KP_KNOWN_AS_TABLE(X)                                                                       \
    KP_KNOWN_TRANSIT_TABLE(X)                                                                      \
    X(KP_ASN_TARGET_DEFAULT, "Star JV", "STAR-KP", NULL, 0)

struct kp_known_as {
    uint32_t asn;
    const char *name;   /* "China Unicom" */
    const char *full;   /* "China Unicom (CHINA169-BACKBONE)" */
    const char *colour; /* "#ff9896", or NULL */
    int transit;        /* 1: a default transit of interest */
};

/* The entry of asn, or NULL when it is not in the table. */
const struct kp_known_as *kp_known_as_find(uint32_t asn);

/* Entry i (0 <= i < kp_known_as_count()), transits first. */
const struct kp_known_as *kp_known_as_at(size_t i);
size_t kp_known_as_count(void);

#endif
