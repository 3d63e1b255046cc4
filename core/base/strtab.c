/* SPDX-License-Identifier: BSD-2-Clause */
/* strtab.c — interned strings on the one hash table; see strtab.h. */
#include "core/base/strtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/htab.h"

struct istr {
    struct kp_htab_node node;
    size_t len;
    char s[];
};

struct kp_strtab {
    struct kp_htab t;
};

int kp_strtab_new(struct kp_strtab **out)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return -ENOMEM;
    kp_htab_init(&(*out)->t);
    return 0;
}

void kp_strtab_free(struct kp_strtab *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->t.nb; i++) {
        struct kp_htab_node *n = t->t.b[i];
        while (n != NULL) {
            struct kp_htab_node *next = n->next;
            free(KP_HTAB_ENTRY(n, struct istr, node));
            n = next;
        }
    }
    kp_htab_free(&t->t);
    free(t);
}

const char *kp_strtab_intern(struct kp_strtab *t, const char *s, size_t len)
{
    uint64_t h = kp_hash_bytes(0x6b70736d, s, len);
    for (struct kp_htab_node *n = kp_htab_first(&t->t, h); n; n = kp_htab_next(&t->t, n)) {
        struct istr *e = KP_HTAB_ENTRY(n, struct istr, node);
        if (e->len == len && memcmp(e->s, s, len) == 0)
            return e->s;
    }
    struct istr *e = malloc(sizeof(*e) + len + 1);
    if (e == NULL)
        return NULL;
    e->len = len;
    memcpy(e->s, s, len);
    e->s[len] = '\0';
    if (kp_htab_insert(&t->t, &e->node, h) != 0) {
        free(e);
        return NULL;
    }
    return e->s;
}

uint64_t kp_strtab_hash(const char *interned)
{
    const struct istr *e = (const struct istr *)(const void *)(interned - offsetof(struct istr, s));
    return e->node.hash;
}

size_t kp_strtab_count(const struct kp_strtab *t)
{
    return t->t.n;
}

uint64_t kp_strtab_steps(const struct kp_strtab *t)
{
    return t->t.steps;
}
