/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_pick.h — which addresses of one /24 `kptrace watch` traces in a
 * round (docs/watch.md).
 *
 * A /24 knows which of its addresses may be probed (those the targets hold,
 * less what the blocklist refuses: kp_pick_allow) and remembers up to
 * KP_PICK_GOOD addresses that answered lately (kp_pick_learn: an address
 * whose trace reached it joins, one whose trace did not leaves). A round
 * asks for f distinct addresses (kp_pick):
 *   - f = 1 (a stable /24): an answering address, rotating through them,
 *     except every 4th time (and when none is known) a random one, so that
 *     new answering addresses and other ECMP paths are found;
 *   - f > 1 (a warm-up or a confirmation window): the answering addresses
 *     first, rotating where they start, then random ones;
 * never more than the /24 allows, never an address it does not allow.
 * Each trace gets its own Paris flow from its trace id (the engine), so a
 * single address traced round after round samples an ECMP split too.
 *
 * Pure: no I/O, no clock; randomness from the caller's state (splitmix64).
 */
#ifndef KP_WATCH_PICK_H
#define KP_WATCH_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KP_PICK_GOOD 16 /* answering addresses kept per /24 */

struct kp_pick_net {
    uint32_t net;        /* host order, low 8 bits zero */
    uint8_t allowed[32]; /* bit h: net | h may be probed */
    uint32_t good[KP_PICK_GOOD];
    unsigned n_good, next_good;
    unsigned picks; /* single-address rounds so far */
};

/* net's low 8 bits are ignored; nothing allowed yet. */
void kp_pick_init(struct kp_pick_net *n, uint32_t net);

/* Allow addr (ignored when outside the /24). */
void kp_pick_allow(struct kp_pick_net *n, uint32_t addr);
bool kp_pick_allowed(const struct kp_pick_net *n, uint32_t addr);
unsigned kp_pick_allowed_count(const struct kp_pick_net *n);

/* Up to f distinct allowed addresses into out[] (room for f); returns how
 * many (fewer only when the /24 allows fewer). *rng is the caller's state. */
size_t kp_pick(struct kp_pick_net *n, unsigned f, uint64_t *rng, uint32_t *out);

/* A trace to addr answered (from the destination) or not. */
void kp_pick_learn(struct kp_pick_net *n, uint32_t addr, bool answered, uint64_t *rng);

/* Put back an answering address from a checkpoint (ignored when not allowed
 * or when KP_PICK_GOOD are known). */
void kp_pick_restore_good(struct kp_pick_net *n, uint32_t addr);

/* splitmix64: the next 64 random bits of *state. */
uint64_t kp_pick_rand(uint64_t *state);

#endif
