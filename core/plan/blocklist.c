/* SPDX-License-Identifier: BSD-2-Clause */
/* blocklist.c — the default, block and allow lists and their decision. See
 * blocklist.h. */
#include "core/plan/blocklist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/special_addr.h"

struct kp_blocklist {
    struct kp_trie *t[KP_BL_LISTS]; /* value: uint32_t index into rules */
    struct kp_bl_rule *rules;
    size_t n_rules, cap_rules;
    size_t count[KP_BL_LISTS];
    char **owned; /* names and file paths the rules point to */
    size_t n_owned, cap_owned;
    const char *last_file; /* the path of the last file entry added */
    uint64_t steps;
};

static int own(struct kp_blocklist *bl, char *s)
{
    if (s == NULL)
        return -ENOMEM;
    if (bl->n_owned == bl->cap_owned) {
        size_t cap = bl->cap_owned ? bl->cap_owned * 2 : 16;
        char **v = realloc(bl->owned, cap * sizeof(*v));
        if (v == NULL) {
            free(s);
            return -ENOMEM;
        }
        bl->owned = v;
        bl->cap_owned = cap;
    }
    bl->owned[bl->n_owned++] = s;
    return 0;
}

/* Append rule r to its list unless that list has its prefix already. */
static int add_rule(struct kp_blocklist *bl, const struct kp_bl_rule *r)
{
    struct kp_trie *t = bl->t[r->list];
    if (kp_trie_get(t, &r->prefix) != NULL)
        return 0;
    if (bl->n_rules == bl->cap_rules) {
        size_t cap = bl->cap_rules ? bl->cap_rules * 2 : 64;
        struct kp_bl_rule *v = realloc(bl->rules, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        bl->rules = v;
        bl->cap_rules = cap;
    }
    if (bl->n_rules >= UINT32_MAX)
        return -ENOMEM;
    uint32_t idx = (uint32_t)bl->n_rules;
    int rc = kp_trie_insert(t, &r->prefix, &idx);
    if (rc != 0)
        return rc;
    bl->rules[bl->n_rules++] = *r;
    bl->count[r->list]++;
    return 0;
}

struct kp_blocklist *kp_blocklist_new(bool with_default)
{
    struct kp_blocklist *bl = calloc(1, sizeof(*bl));
    if (bl == NULL)
        return NULL;
    for (int l = 0; l < KP_BL_LISTS; l++)
        if ((bl->t[l] = kp_trie_new(sizeof(uint32_t))) == NULL) {
            kp_blocklist_free(bl);
            return NULL;
        }
    size_t n = 0;
    const struct kp_special_block *sb = with_default ? kp_special_blocks(&n) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct kp_bl_rule r = {
            .prefix = sb[i].prefix,
            .list = KP_BL_DEFAULT,
            .blocks = !sb[i].global,
            .name = sb[i].name,
            .rfc = sb[i].rfc,
        };
        if (add_rule(bl, &r) != 0) {
            kp_blocklist_free(bl);
            return NULL;
        }
    }
    return bl;
}

void kp_blocklist_free(struct kp_blocklist *bl)
{
    if (bl == NULL)
        return;
    for (int l = 0; l < KP_BL_LISTS; l++)
        kp_trie_free(bl->t[l]);
    for (size_t i = 0; i < bl->n_owned; i++)
        free(bl->owned[i]);
    free(bl->owned);
    free(bl->rules);
    free(bl);
}

int kp_blocklist_add(struct kp_blocklist *bl, enum kp_bl_list list, const struct kp_prefix *p,
                     const char *name, size_t name_len, const char *file, unsigned long line)
{
    if (bl == NULL || p == NULL || (list != KP_BL_BLOCK && list != KP_BL_ALLOW))
        return -EINVAL;
    if (p->addr.family != 4 && p->addr.family != 6)
        return -EINVAL;
    if (kp_trie_get(bl->t[list], p) != NULL)
        return 0; /* the first entry of a prefix stays */
    struct kp_bl_rule r = {
        .prefix = *p,
        .list = list,
        .blocks = list == KP_BL_BLOCK,
        .name = "",
        .line = line,
    };
    int rc;
    if (name != NULL && name_len > 0) {
        if ((rc = own(bl, strndup(name, name_len))) != 0)
            return rc;
        r.name = bl->owned[bl->n_owned - 1];
    }
    if (file != NULL) {
        /* the entries of one file share one copy of its path */
        if (bl->last_file == NULL || strcmp(bl->last_file, file) != 0) {
            if ((rc = own(bl, strdup(file))) != 0)
                return rc;
            bl->last_file = bl->owned[bl->n_owned - 1];
        }
        r.file = bl->last_file;
    }
    return add_rule(bl, &r);
}

size_t kp_blocklist_count(const struct kp_blocklist *bl, enum kp_bl_list list)
{
    return bl != NULL && list < KP_BL_LISTS ? bl->count[list] : 0;
}

static const struct kp_bl_rule *rule_of(const struct kp_blocklist *bl, const void *v)
{
    return v ? &bl->rules[*(const uint32_t *)v] : NULL;
}

const struct kp_bl_rule *kp_blocklist_check(const struct kp_blocklist *bl, const struct kp_addr *a)
{
    if (bl == NULL || a == NULL || (a->family != 4 && a->family != 6))
        return NULL;
    const struct kp_bl_rule *r = rule_of(bl, kp_trie_lookup(bl->t[KP_BL_BLOCK], a, NULL));
    if (r != NULL)
        return r;
    if (kp_trie_lookup(bl->t[KP_BL_ALLOW], a, NULL) != NULL)
        return NULL;
    r = rule_of(bl, kp_trie_lookup(bl->t[KP_BL_DEFAULT], a, NULL));
    return r != NULL && r->blocks ? r : NULL;
}

uint64_t kp_blocklist_steps(const struct kp_blocklist *bl)
{
    return bl ? bl->steps : 0;
}

/* ---- split ---------------------------------------------------------------- */

/* Boundaries (an address where the set of entries holding it changes) of
 * one list inside the target, in order. Prefixes come from the trie walk in
 * address order, a prefix before those inside it; since prefixes nest or are
 * disjoint, the ends still open form a stack whose top ends first. */
struct bounds {
    uint64_t *v;
    size_t n, cap;
    uint64_t stack[130]; /* one per prefix length: nested prefixes are strictly longer */
    unsigned depth;
    uint64_t *steps;
};

static int push_bound(struct bounds *b, uint64_t x)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        uint64_t *v = realloc(b->v, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = x;
    (*b->steps)++;
    return 0;
}

static uint64_t v4_of(const struct kp_addr *a)
{
    return kp_addr_v4_host(a);
}

static int on_inner(const struct kp_prefix *q, const void *value, void *ctx)
{
    struct bounds *b = ctx;
    uint64_t s = v4_of(&q->addr), e = s + (1ull << (32 - q->len));
    while (b->depth > 0 && b->stack[b->depth - 1] <= s)
        if (push_bound(b, b->stack[--b->depth]) != 0)
            return -ENOMEM;
    if (push_bound(b, s) != 0)
        return -ENOMEM;
    b->stack[b->depth++] = e;
    return 0;
}

static int list_bounds(const struct kp_trie *t, const struct kp_prefix *target, struct bounds *b)
{
    b->depth = 0;
    int rc = kp_trie_walk_within(t, target, on_inner, b);
    while (rc == 0 && b->depth > 0)
        rc = push_bound(b, b->stack[--b->depth]);
    return rc;
}

int kp_blocklist_split(struct kp_blocklist *bl, const struct kp_prefix *target,
                       int (*fn)(void *ctx, uint32_t first, uint32_t last,
                                 const struct kp_bl_rule *why),
                       void *ctx)
{
    if (bl == NULL || target == NULL || fn == NULL)
        return -EINVAL;
    if (target->addr.family == 6)
        return -EAFNOSUPPORT;
    if (target->addr.family != 4 || target->len > 32)
        return -EINVAL;
    uint64_t first = v4_of(&target->addr) & ~((1ull << (32 - target->len)) - 1);
    uint64_t end = first + (1ull << (32 - target->len)); /* one past the last */
    struct bounds b[KP_BL_LISTS];
    memset(b, 0, sizeof(b));
    int rc = 0;
    for (int l = 0; l < KP_BL_LISTS && rc == 0; l++) {
        b[l].steps = &bl->steps;
        rc = list_bounds(bl->t[l], target, &b[l]);
    }
    /* Merge the three ordered lists; between two boundaries the entries
     * holding an address are the same, so one check decides the run. */
    size_t at[KP_BL_LISTS] = {0};
    uint64_t pos = first;
    uint64_t run_first = first;
    const struct kp_bl_rule *run_why = NULL;
    bool have_run = false;
    while (rc == 0 && pos < end) {
        uint64_t next = end;
        for (int l = 0; l < KP_BL_LISTS; l++) {
            while (at[l] < b[l].n && b[l].v[at[l]] <= pos)
                at[l]++;
            if (at[l] < b[l].n && b[l].v[at[l]] < next)
                next = b[l].v[at[l]];
        }
        struct kp_addr a = kp_addr_v4((uint32_t)pos);
        const struct kp_bl_rule *why = kp_blocklist_check(bl, &a);
        bl->steps++;
        if (have_run && why != run_why) {
            rc = fn(ctx, (uint32_t)run_first, (uint32_t)(pos - 1), run_why);
            run_first = pos;
        }
        run_why = why;
        have_run = true;
        pos = next;
    }
    if (rc == 0 && have_run)
        rc = fn(ctx, (uint32_t)run_first, (uint32_t)(end - 1), run_why);
    for (int l = 0; l < KP_BL_LISTS; l++)
        free(b[l].v);
    return rc;
}

char *kp_bl_rule_reason(const struct kp_bl_rule *r, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (r == NULL)
        buf[0] = '\0';
    else if (r->file == NULL)
        snprintf(buf, len, "%s (%s)", r->name, r->rfc ? r->rfc : "");
    else if (r->name[0])
        snprintf(buf, len, "%s:%lu (%s)", r->file, r->line, r->name);
    else
        snprintf(buf, len, "%s:%lu", r->file, r->line);
    return buf;
}

int kp_range_cidrs(uint32_t first, uint32_t last, int (*fn)(void *ctx, uint32_t base, unsigned len),
                   void *ctx)
{
    uint64_t a = first, end = (uint64_t)last + 1;
    while (a < end) {
        unsigned len = 32;
        /* the largest aligned block at a that ends by end */
        while (len > 0) {
            uint64_t size = 1ull << (32 - (len - 1));
            if ((a & (size - 1)) != 0 || a + size > end)
                break;
            len--;
        }
        int rc = fn(ctx, (uint32_t)a, len);
        if (rc != 0)
            return rc;
        a += 1ull << (32 - len);
    }
    return 0;
}

/* ---- exclusions ------------------------------------------------------------ */

struct excl_add {
    struct kp_exclusions *x;
    const struct kp_bl_rule *why;
};

static int excl_block(void *ctx, uint32_t base, unsigned len)
{
    struct excl_add *c = ctx;
    struct kp_exclusions *x = c->x;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct kp_excluded *v = realloc(x->v, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        x->v = v;
        x->cap = cap;
    }
    char buf[512];
    struct kp_excluded *e = &x->v[x->n];
    struct kp_addr a = kp_addr_v4(base);
    if (kp_prefix_make(&a, len, &e->prefix) != 0)
        return -EINVAL;
    if ((e->reason = strdup(kp_bl_rule_reason(c->why, buf, sizeof(buf)))) == NULL)
        return -ENOMEM;
    e->list = c->why ? c->why->list : KP_BL_DEFAULT;
    x->n++;
    x->addresses += 1ull << (32 - len);
    return 0;
}

int kp_exclusions_add(struct kp_exclusions *x, uint32_t first, uint32_t last,
                      const struct kp_bl_rule *why)
{
    struct excl_add c = {x, why};
    return kp_range_cidrs(first, last, excl_block, &c);
}

char *kp_exclusions_list(const struct kp_exclusions *x)
{
    size_t cap = 1 + x->n * KP_PREFIX_STRLEN, k = 0;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < x->n; i++) {
        char p[KP_PREFIX_STRLEN];
        k += (size_t)snprintf(s + k, cap - k, "%s%s", i ? "," : "",
                              kp_prefix_str(&x->v[i].prefix, p, sizeof(p)));
    }
    return s;
}

bool kp_exclusions_match(const struct kp_exclusions *x, const char *stored, char *msg,
                         size_t msglen)
{
    char *now = kp_exclusions_list(x);
    if (stored == NULL)
        stored = "";
    bool same = now != NULL && strcmp(now, stored) == 0;
    if (!same)
        snprintf(msg, msglen,
                 "the blocklist now leaves out %.100s%s, the sweep left out %.100s%s: a resumed "
                 "sweep must probe the same addresses (restore the list files as they were, or "
                 "start a new sweep)",
                 now && now[0] ? now : "nothing", now && strlen(now) > 100 ? "..." : "",
                 stored[0] ? stored : "nothing", strlen(stored) > 100 ? "..." : "");
    free(now);
    return same;
}

void kp_exclusions_free(struct kp_exclusions *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i].reason);
    free(x->v);
    memset(x, 0, sizeof(*x));
}
