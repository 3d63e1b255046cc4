/* rx_kptrace.h — rx's recogniser of kptrace's own probes.
 *
 * A kptrace probe carries the "KPT1" marker (probe/probe_payload.h) with its
 * method, TTL, attempt and trace id. This classifier turns it into a
 * kp_rx_probe: tool "kptrace", trace_key = method << 32 | trace id, the
 * record's id = the trace id, and, per method, the header fields that
 * identify the probe in a quote (identity.c's encoding):
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

#include "probe/rx.h"

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

#endif
