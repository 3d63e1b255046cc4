/* SPDX-License-Identifier: BSD-2-Clause */
/* watch_pick.c — the addresses of a /24 for a round of `kptrace watch`. See
 * watch_pick.h. */
#include "core/plan/watch_pick.h"

#include <string.h>

uint64_t kp_pick_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void kp_pick_init(struct kp_pick_net *n, uint32_t net)
{
    memset(n, 0, sizeof(*n));
    n->net = net & 0xffffff00u;
}

void kp_pick_allow(struct kp_pick_net *n, uint32_t addr)
{
    if ((addr & 0xffffff00u) == n->net)
        n->allowed[(addr & 255) >> 3] |= (uint8_t)(1u << (addr & 7));
}

bool kp_pick_allowed(const struct kp_pick_net *n, uint32_t addr)
{
    return (addr & 0xffffff00u) == n->net && ((n->allowed[(addr & 255) >> 3] >> (addr & 7)) & 1);
}

unsigned kp_pick_allowed_count(const struct kp_pick_net *n)
{
    unsigned c = 0;
    for (int b = 0; b < 32; b++)
        c += (unsigned)__builtin_popcount(n->allowed[b]);
    return c;
}

static bool in(const uint32_t *a, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == x)
            return true;
    return false;
}

/* A random allowed address not in out[0..k); 0 when none is left. Random
 * draws first (network and broadcast addresses avoided), then a scan from a
 * random host. */
static uint32_t random_addr(const struct kp_pick_net *n, uint64_t *rng, const uint32_t *out,
                            size_t k)
{
    for (int t = 0; t < 64; t++) {
        uint32_t h = (uint32_t)(kp_pick_rand(rng) & 255);
        uint32_t a = n->net | h;
        if (h != 0 && h != 255 && kp_pick_allowed(n, a) && !in(out, k, a))
            return a;
    }
    uint32_t start = (uint32_t)(kp_pick_rand(rng) & 255);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t a = n->net | ((start + i) & 255);
        if (kp_pick_allowed(n, a) && !in(out, k, a))
            return a;
    }
    return 0;
}

size_t kp_pick(struct kp_pick_net *n, unsigned f, uint64_t *rng, uint32_t *out)
{
    unsigned avail = kp_pick_allowed_count(n);
    if (f > avail)
        f = avail;
    size_t k = 0;
    if (f == 0)
        return 0;
    if (f == 1) {
        n->picks++;
        uint32_t a = n->n_good > 0 && n->picks % 4 != 0 ? n->good[n->next_good++ % n->n_good]
                                                        : random_addr(n, rng, out, 0);
        if (n->n_good)
            n->next_good %= n->n_good;
        if (a != 0)
            out[k++] = a;
        return k;
    }
    for (unsigned i = 0; i < n->n_good && k < f; i++) {
        uint32_t a = n->good[(n->next_good + i) % n->n_good];
        if (!in(out, k, a))
            out[k++] = a;
    }
    if (n->n_good)
        n->next_good = (n->next_good + 1) % n->n_good;
    while (k < f) {
        uint32_t a = random_addr(n, rng, out, k);
        if (a == 0)
            break;
        out[k++] = a;
    }
    return k;
}

void kp_pick_learn(struct kp_pick_net *n, uint32_t addr, bool answered, uint64_t *rng)
{
    unsigned i;
    for (i = 0; i < n->n_good && n->good[i] != addr; i++)
        ;
    if (answered && i == n->n_good && kp_pick_allowed(n, addr)) {
        if (n->n_good < KP_PICK_GOOD)
            n->good[n->n_good++] = addr;
        else
            n->good[kp_pick_rand(rng) % KP_PICK_GOOD] = addr;
    } else if (!answered && i < n->n_good) {
        n->good[i] = n->good[--n->n_good];
        if (n->next_good >= n->n_good)
            n->next_good = 0;
    }
}

void kp_pick_restore_good(struct kp_pick_net *n, uint32_t addr)
{
    if (n->n_good < KP_PICK_GOOD && kp_pick_allowed(n, addr) && !in(n->good, n->n_good, addr))
        n->good[n->n_good++] = addr;
}
