/* SPDX-License-Identifier: BSD-2-Clause */
/* rx_kptrace.h — rx's recogniser of kptrace's own probes.
 *
 * A kptrace probe carries the marker (core/codec/probe_payload.h: "KPT2", or
 * "KPT1" in older captures) with its method, TTL, attempt, trace id and (v2)
 * slot. This classifier turns it into a kp_rx_probe: tool "kptrace",
 * trace_key = method << 32 | trace id, the record's id = the trace id, for
 * version 2 `exact` with the slot (the trace is the one the prober planned:
 * never split by time, closed when its slot is taken), and, per method, the
 * header fields that identify the probe in a quote (identity.c's encoding):
 *
 *   method      match_fields (strict)             nat_fields (NAT-invariant)
 *   udp-paris   SRC IPID SPORT DPORT UDPSUM        IPID DPORT
 *   udp         SRC IPID SPORT DPORT UDPSUM        IPID DPORT
 *   icmp-paris  SRC IPID ICMPID ICMPSEQ ICMPSUM    IPID ICMPSEQ
 *   tcp-syn     SRC IPID SPORT DPORT TCPSEQ        DPORT TCPSEQ
 *
 * The run parameters (first/max TTL, attempts, gap limit, wait) are not in
 * the marker; the classifier asks rx to take them from kp_rx_config.run.
 * Put it FIRST in the classifier table. Pure, stateless.
 */
#ifndef KP_RX_KPTRACE_H
#define KP_RX_KPTRACE_H

#include "core/rx/rx.h"

extern const struct kp_rx_classifier kp_rx_classifier_kptrace;

/* A kp_rx_config.validate for kptrace's probes: vctx is a `const struct
 * kp_key *` (the run's identity key, owned by the caller and outliving rx).
 * For a reply matched to a kptrace probe it runs the method's keyed matcher
 * (method.h: match) and accepts only when the keyed check passes and the
 * identity it recovers (TTL, attempt and, when known, the trace id) is the
 * matched probe's; -EBADMSG otherwise. Replies to other tools' probes are
 * accepted (0): their tools have no key. Pure. */
int kp_rx_kptrace_validate(void *vctx, const struct kp_pkt *reply,
                           const struct kp_rx_probe_ref *probe);

/* A kp_rx_config.validate_probe for kptrace's probes: vctx is the run's
 * `const struct kp_key *`. Accepts (0) a kptrace probe only when its marker's
 * keyed tag is the one this key gives for its method, destination, port,
 * flow, TTL and attempt: the probes of another kptrace run on the same
 * address (another key) are refused (-EBADMSG) and so never join this run's
 * traces. Other tools' probes are accepted. Pure. */
int kp_rx_kptrace_validate_probe(void *vctx, const struct kp_pkt *pkt,
                                 const struct kp_rx_probe *probe);

#endif
