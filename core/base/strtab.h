/* SPDX-License-Identifier: BSD-2-Clause */
/* strtab.h — interned strings: each distinct string kept once, compared by
 * pointer.
 *
 * For what many records repeat (vantage point names, sweep labels, AS
 * names): a table holds one copy of each, and kp_strtab_intern returns the
 * same pointer for equal strings, so that callers store a pointer and compare
 * pointers. Built on the one hash table (core/base/htab.h). Pure: no I/O, no
 * globals. Strings live until kp_strtab_free.
 */
#ifndef KP_ANALYSIS_STRTAB_H
#define KP_ANALYSIS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct kp_strtab;

/* A new empty table in *out. 0 or -ENOMEM. */
int kp_strtab_new(struct kp_strtab **out);

/* Release the table and every string in it (NULL is fine). */
void kp_strtab_free(struct kp_strtab *t);

/* The table's NUL-terminated copy of s[0..len), added when new; NULL when
 * out of memory. */
const char *kp_strtab_intern(struct kp_strtab *t, const char *s, size_t len);

/* The hash of an interned string (from kp_strtab_intern), for callers that
 * hash keys holding it. */
uint64_t kp_strtab_hash(const char *interned);

/* Distinct strings held, and hash-table nodes visited so far (work
 * counting). */
size_t kp_strtab_count(const struct kp_strtab *t);
uint64_t kp_strtab_steps(const struct kp_strtab *t);

#endif
