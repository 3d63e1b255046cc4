/* SPDX-License-Identifier: BSD-2-Clause */
/* classify.c — the list of foreign-probe classifiers (see classify.h). */
#include "core/codec/classify.h"

/* The list, most specific first (see classify.h). */
const struct kp_rx_classifier *const kp_foreign_classifiers[] = {
    &kp_classify_scamper_icmp_paris,
    &kp_classify_scamper_udp_paris,
    &kp_classify_scamper_udp,
    &kp_classify_scamper_tcp,
    &kp_classify_tcptraceroute,
    &kp_classify_traceroute_udp,
    &kp_classify_traceroute_icmp,
    &kp_classify_traceroute_tcp,
    &kp_classify_mtr_icmp,
    &kp_classify_mtr_udp,
    &kp_classify_mtr_tcp,
};
const size_t kp_n_foreign_classifiers =
    sizeof(kp_foreign_classifiers) / sizeof(kp_foreign_classifiers[0]);
