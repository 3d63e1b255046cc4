/* SPDX-License-Identifier: BSD-2-Clause */
/* ixp_peeringdb.c — IXP peering LAN prefixes from PeeringDB JSON (jansson).
 *
 * Three shapes are read:
 *  - an API answer for /api/ixpfx: {"data": [{"ixlan_id": 1, "protocol":
 *    "IPv4", "prefix": "80.249.208.0/21", "status": "ok", ...}, ...]}
 *  - an API answer for /api/ixlan?depth=2: {"data": [{"id": 1, "ix_id": 26,
 *    "name": "", "ixpfx_set": [{"prefix": ..., "status": "ok"}, ...]}, ...]}
 *  - a full dump with "ix", "ixlan" and "ixpfx" objects, each {"data": [...]};
 *    then each prefix is named through ixlan.ix_id -> ix.name.
 * Entries whose status is present and not "ok", or without a valid prefix,
 * are skipped; an entry whose id is not an integer in 0..2^32-1 is reported
 * with its path ("data[3].ixlan_id: out of range") and skipped. Pure apart
 * from kp_peeringdb_load reading the file. */
#include "core/asmap/asmap_int.h"
#include "io/reader.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/json_num.h"

static json_t *data_array(json_t *obj)
{
    if (!json_is_object(obj))
        return NULL;
    json_t *d = json_object_get(obj, "data");
    return json_is_array(d) ? d : NULL;
}

static bool entry_ok(json_t *e)
{
    if (!json_is_object(e))
        return false;
    json_t *st = json_object_get(e, "status");
    return st == NULL || (json_is_string(st) && strcmp(json_string_value(st), "ok") == 0);
}

/* e[key] as an id (an integer in 0..UINT32_MAX): true with *out, false
 * when absent or anything else. For matching ids only. */
static bool get_u32(json_t *e, const char *key, uint32_t *out)
{
    int64_t x;
    if (kp_json_i64(json_object_get(e, key), 0, UINT32_MAX, 0, &x) != 0)
        return false;
    *out = (uint32_t)x;
    return true;
}

/* The optional id e[key] of an entry being added (absent or null: *out
 * untouched): 0, or -EINVAL with "WHEREkey: what is wrong" in why. */
static int entry_id(json_t *e, const char *key, const char *where, uint32_t *out, char *why,
                    size_t whylen)
{
    int64_t x;
    int rc = kp_json_i64(json_object_get(e, key), 0, UINT32_MAX, 0, &x);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0) {
        snprintf(why, whylen, "%s%s: %s", where, key, kp_num_strerror(rc));
        return -EINVAL;
    }
    *out = (uint32_t)x;
    return 0;
}

/* An entry with a bad number (why names it): noted and counted in notes
 * and skipped, or, without notes, the parse fails with why in err. 0 or
 * -EINVAL. */
static int bad_entry(const char *name, struct kp_load_notes *notes, const char *why, char *err,
                     size_t errlen)
{
    if (notes == NULL) {
        snprintf(err, errlen, "%s", why);
        return -EINVAL;
    }
    notes->skipped++;
    if (notes->note)
        notes->note(notes->ctx, name, 0, why);
    return 0;
}

/* Name of the IXP of ixlan id, from the dump's ixlan and ix arrays. */
static const char *ix_name(json_t *ixlans, json_t *ixs, uint32_t ixlan_id, uint32_t *ix_id)
{
    size_t i;
    json_t *e;
    *ix_id = 0;
    if (ixlans == NULL)
        return NULL;
    json_array_foreach(ixlans, i, e)
    {
        uint32_t id, ix;
        if (!json_is_object(e) || !get_u32(e, "id", &id) || id != ixlan_id ||
            !get_u32(e, "ix_id", &ix))
            continue;
        *ix_id = ix;
        size_t k;
        json_t *x;
        json_array_foreach(ixs, k, x)
        {
            uint32_t xid;
            if (json_is_object(x) && get_u32(x, "id", &xid) && xid == ix) {
                json_t *name = json_object_get(x, "name");
                return json_is_string(name) ? json_string_value(name) : NULL;
            }
        }
        return NULL;
    }
    return NULL;
}

#define BAD_NUMBER 2 /* add_entry: an id that is not one (why says which) */

/* Add one ixpfx entry e (where: its path, "data[3]."). lan (may be NULL) is
 * the ixlan it is nested in (its id, ix_id and name). 1 added, 0 left out
 * (status, prefix), BAD_NUMBER (why filled), or a negative error. */
static int add_entry(struct kp_trie *t, json_t *e, const struct kp_ixp_rec *lan, json_t *ixlans,
                     json_t *ixs, const char *where, char *why, size_t whylen)
{
    if (!entry_ok(e))
        return 0;
    json_t *p = json_object_get(e, "prefix");
    struct kp_prefix pfx;
    if (!json_is_string(p) || kp_prefix_parse(json_string_value(p), true, &pfx) != 0)
        return 0;
    struct kp_ixp_rec rec;
    memset(&rec, 0, sizeof(rec));
    if (lan != NULL)
        rec = *lan;
    else if (entry_id(e, "ixlan_id", where, &rec.ixlan_id, why, whylen) != 0)
        return BAD_NUMBER;
    uint32_t ix_id = 0;
    const char *name = ix_name(ixlans, ixs, rec.ixlan_id, &ix_id);
    if (ix_id != 0)
        rec.ix_id = ix_id;
    if (name != NULL && name[0] != '\0')
        snprintf(rec.name, sizeof(rec.name), "%s", name);
    else if (rec.name[0] == '\0')
        snprintf(rec.name, sizeof(rec.name), "ixlan %u", rec.ixlan_id);
    int rc = kp_trie_insert(t, &pfx, &rec);
    return rc != 0 ? rc : 1;
}

/* add_entry, counting the entries that name a prefix and those added; an
 * entry with a bad number goes to bad_entry. 0 or a negative error (err
 * filled). */
static int count_entry(struct kp_trie *t, json_t *e, const struct kp_ixp_rec *lan, json_t *ixlans,
                       json_t *ixs, size_t *with_prefix, int *added, const char *where,
                       const char *name, struct kp_load_notes *notes, char *err, size_t errlen)
{
    if (json_object_get(e, "prefix") != NULL)
        (*with_prefix)++;
    char why[160];
    int rc = add_entry(t, e, lan, ixlans, ixs, where, why, sizeof(why));
    if (rc == BAD_NUMBER)
        return bad_entry(name, notes, why, err, errlen);
    if (rc < 0) {
        snprintf(err, errlen, "%s", strerror(-rc));
        return rc;
    }
    if (rc > 0 && *added < INT32_MAX)
        (*added)++;
    return 0;
}

int kp_peeringdb_parse(const char *buf, size_t len, const char *name, struct kp_trie *t,
                       struct kp_load_notes *notes, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return -EINVAL;
    }
    json_t *pfxs = NULL, *ixlans = NULL, *ixs = NULL;
    const char *top = "";
    if (json_is_object(root) && json_object_get(root, "ixpfx") != NULL) {
        top = "ixpfx.";
        pfxs = data_array(json_object_get(root, "ixpfx"));
        ixlans = data_array(json_object_get(root, "ixlan"));
        ixs = data_array(json_object_get(root, "ix"));
    } else {
        pfxs = data_array(root);
    }
    if (pfxs == NULL) {
        snprintf(err, errlen,
                 "no ixpfx data (expected {\"data\": [...]} or a dump with "
                 "\"ixpfx\")");
        json_decref(root);
        return -EINVAL;
    }
    int added = 0;
    size_t i, with_prefix = 0;
    json_t *e;
    json_array_foreach(pfxs, i, e)
    {
        char where[48];
        snprintf(where, sizeof(where), "%sdata[%zu].", top, i);
        /* /api/ixlan?depth=2: each ixlan carries its prefixes in ixpfx_set */
        json_t *set = json_object_get(e, "ixpfx_set");
        if (json_is_array(set) && json_object_get(e, "prefix") == NULL) {
            if (!entry_ok(e))
                continue;
            struct kp_ixp_rec lan;
            memset(&lan, 0, sizeof(lan));
            char why[160];
            size_t k;
            json_t *x;
            if (entry_id(e, "id", where, &lan.ixlan_id, why, sizeof(why)) != 0 ||
                entry_id(e, "ix_id", where, &lan.ix_id, why, sizeof(why)) != 0) {
                if (bad_entry(name, notes, why, err, errlen) < 0) {
                    json_decref(root);
                    return -EINVAL;
                }
                json_array_foreach(set, k, x) /* ixpfx entries, skipped with their lan */
                    if (json_object_get(x, "prefix") != NULL) with_prefix++;
                continue;
            }
            json_t *nm = json_object_get(e, "name");
            if (json_is_string(nm) && json_string_value(nm)[0] != '\0')
                snprintf(lan.name, sizeof(lan.name), "%s", json_string_value(nm));
            json_array_foreach(set, k, x)
            {
                char w2[80];
                snprintf(w2, sizeof(w2), "%sixpfx_set[%zu].", where, k);
                int rc = count_entry(t, x, &lan, ixlans, ixs, &with_prefix, &added, w2, name, notes,
                                     err, errlen);
                if (rc < 0) {
                    json_decref(root);
                    return rc;
                }
            }
            continue;
        }
        int rc = count_entry(t, e, NULL, ixlans, ixs, &with_prefix, &added, where, name, notes, err,
                             errlen);
        if (rc < 0) {
            json_decref(root);
            return rc;
        }
    }
    size_t total = json_array_size(pfxs);
    json_decref(root);
    if (total > 0 && with_prefix == 0) {
        /* another PeeringDB object type (net, ix, ixlan, ...) */
        snprintf(err, errlen,
                 "no ixpfx entries: none of the %zu \"data\" objects has a \"prefix\" "
                 "(download /api/ixpfx)",
                 total);
        return -EINVAL;
    }
    return added;
}

int kp_peeringdb_load(struct kp_trie *t, const char *path, struct kp_load_notes *notes, char *err,
                      size_t errlen)
{
    /* one JSON document: read whole (plain, gzip or bzip2) by the one reader */
    struct kp_reader *r;
    int rc = kp_reader_open(path, 0, &r);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    char *buf = NULL;
    size_t n = 0;
    rc = kp_reader_slurp(r, (size_t)1 << 31, &buf, &n);
    if (rc == -EINVAL)
        snprintf(err, errlen, "%s: %s data corrupt or cut short (at compressed byte %llu)", path,
                 kp_compression_name(kp_reader_compression(r)),
                 (unsigned long long)kp_reader_error_offset(r));
    else if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, rc == -EIO ? "read error" : strerror(-rc));
    kp_reader_close(r);
    if (rc != 0)
        return rc;
    char msg[200];
    rc = kp_peeringdb_parse(buf, n, path, t, notes, msg, sizeof(msg));
    free(buf);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, msg);
    return rc;
}
