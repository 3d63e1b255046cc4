/* method.h — a traceroute method as a const table of pure functions
 * (in the spirit of zmap's probe modules and scamper's per-method files).
 *
 * Each method lives in its own file (probe/method_<name>.c) and exports one
 * `const struct kp_method_ops kp_method_<name>`. kp_method_find() looks them up
 * by name. No method function touches a socket, a clock or a global.
 */
#ifndef KP_METHOD_H
#define KP_METHOD_H

#include <stddef.h>
#include <stdint.h>

#include "probe/addr.h"
#include "probe/decode.h"
#include "probe/identity.h"
#include "probe/trace.h"

/* Everything needed to build one probe. Flow fields stay constant across a
 * Paris trace; ttl/attempt vary per probe. */
struct kp_probe_spec {
    struct kp_addr src, dst;
    uint16_t sport, dport;   /* UDP/TCP ports (classic udp: base dport) */
    uint16_t icmp_id;        /* ICMP echo identifier */
    uint8_t ttl;             /* 1..255 */
    uint8_t attempt;         /* 0..3 */
    uint32_t trace_id;       /* run-local trace number (fits KP_ID_TRACE_BITS) */
    uint16_t size;           /* total IP length wanted (>= method minimum), 0 default */
    const struct kp_key *key; /* keyed-hash secret for the identity */
};

/* What a reply tells once matched to a probe of this method. */
struct kp_match {
    uint32_t trace_id;
    uint8_t ttl, attempt;
    bool nat;                /* the quoted flow fields were rewritten */
    uint16_t nat_id;         /* Dublin-traceroute NAT id when nat */
    bool from_dst;           /* reply comes from the destination (reached) */
};

struct kp_method_ops {
    const char *name;        /* "icmp-paris", "udp-paris", "tcp-syn", "udp" */
    enum kp_method id;
    uint8_t proto;           /* IPPROTO_* of the probe */
    uint16_t min_size;       /* smallest IP length it can build */
    /* BPF filter text (pcap syntax) selecting this method's probes and replies
     * for source address src_text. */
    const char *bpf_replies; /* e.g. "icmp or (tcp and tcp[13] & 0x16 != 0)" */
    /* Build one probe (IP header included) into buf of *len bytes; on success
     * *len is the packet length. 0, -ENOSPC (buf too small) or -EINVAL. */
    int (*build)(const struct kp_probe_spec *spec, uint8_t *buf, size_t *len);
    /* Match a decoded reply against this method's identity encoding. `key`
     * validates it; `src` is our own address (replies must be for it).
     * 0 with *out filled, -ENOENT (not ours / not this method), -EBADMSG
     * (looks like ours but fails validation: spoofed or corrupted). */
    int (*match)(const struct kp_pkt *reply, const struct kp_addr *src,
                 const struct kp_key *key, struct kp_match *out);
};

/* Registry: the const tables, NULL-terminated, and lookups.
 * Returned pointers are to static const data. */
extern const struct kp_method_ops *const kp_methods[];
const struct kp_method_ops *kp_method_find(const char *name);
const struct kp_method_ops *kp_method_by_id(enum kp_method id);

#endif
