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
 * are skipped. Pure apart from kp_peeringdb_load reading the file. */
#include "analysis/asmap_int.h"
#include "analysis/reader.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static bool get_u32(json_t *e, const char *key, uint32_t *out)
{
    json_t *v = json_object_get(e, key);
    if (!json_is_integer(v))
        return false;
    json_int_t i = json_integer_value(v);
    if (i < 0 || i > (json_int_t)UINT32_MAX)
        return false;
    *out = (uint32_t)i;
    return true;
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

/* Add one ixpfx entry e. lan (may be NULL) is the ixlan it is nested in
 * (its id, ix_id and name). 1 added, 0 left out (status, prefix), or a
 * negative error. */
static int add_entry(struct kp_trie *t, json_t *e, const struct kp_ixp_rec *lan, json_t *ixlans,
                     json_t *ixs)
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
    else
        get_u32(e, "ixlan_id", &rec.ixlan_id);
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

/* add_entry, counting the entries that name a prefix and those added. */
static int count_entry(struct kp_trie *t, json_t *e, const struct kp_ixp_rec *lan, json_t *ixlans,
                       json_t *ixs, size_t *with_prefix, int *added)
{
    if (json_object_get(e, "prefix") != NULL)
        (*with_prefix)++;
    int rc = add_entry(t, e, lan, ixlans, ixs);
    if (rc > 0 && *added < INT32_MAX)
        (*added)++;
    return rc;
}

int kp_peeringdb_parse(const char *buf, size_t len, struct kp_trie *t, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return -EINVAL;
    }
    json_t *pfxs = NULL, *ixlans = NULL, *ixs = NULL;
    if (json_is_object(root) && json_object_get(root, "ixpfx") != NULL) {
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
        /* /api/ixlan?depth=2: each ixlan carries its prefixes in ixpfx_set */
        json_t *set = json_object_get(e, "ixpfx_set");
        if (json_is_array(set) && json_object_get(e, "prefix") == NULL) {
            if (!entry_ok(e))
                continue;
            struct kp_ixp_rec lan;
            memset(&lan, 0, sizeof(lan));
            get_u32(e, "id", &lan.ixlan_id);
            get_u32(e, "ix_id", &lan.ix_id);
            json_t *nm = json_object_get(e, "name");
            if (json_is_string(nm) && json_string_value(nm)[0] != '\0')
                snprintf(lan.name, sizeof(lan.name), "%s", json_string_value(nm));
            size_t k;
            json_t *x;
            json_array_foreach(set, k, x)
            {
                int rc = count_entry(t, x, &lan, ixlans, ixs, &with_prefix, &added);
                if (rc < 0) {
                    json_decref(root);
                    snprintf(err, errlen, "%s", strerror(-rc));
                    return rc;
                }
            }
            continue;
        }
        int rc = count_entry(t, e, NULL, ixlans, ixs, &with_prefix, &added);
        if (rc < 0) {
            json_decref(root);
            snprintf(err, errlen, "%s", strerror(-rc));
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

int kp_peeringdb_load(struct kp_trie *t, const char *path, char *err, size_t errlen)
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
    rc = kp_peeringdb_parse(buf, n, t, msg, sizeof(msg));
    free(buf);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, msg);
    return rc;
}
