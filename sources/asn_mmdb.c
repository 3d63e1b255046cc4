/* SPDX-License-Identifier: BSD-2-Clause */
/* asn_mmdb.c — MaxMind DB files through libmaxminddb.
 *
 * Layouts understood (the first that has an ASN field wins):
 *   GeoLite2-ASN: autonomous_system_number (uint32),
 *                 autonomous_system_organization (string)
 *   IPinfo ASN:   asn ("AS4837" string), name, domain
 *   IPinfo lite:  asn, as_name, as_domain
 * The AS number may be stored as any mmdb integer or floating type; one
 * that is not an integer in 0..2^32-1 fails the lookup (-EIO, err names
 * the field). A record without any ASN field reads as "not found". */
#include "core/asmap/asmap_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/json_num.h"

struct kp_mmdb {
    MMDB_s db;
};

struct kp_mmdb *kp_mmdb_open(const char *path, char *err, size_t errlen, int *rc)
{
    struct kp_mmdb *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        *rc = -ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    int s = MMDB_open(path, MMDB_MODE_MMAP, &m->db);
    if (s != MMDB_SUCCESS) {
        if (s == MMDB_FILE_OPEN_ERROR || s == MMDB_IO_ERROR)
            *rc = errno ? -errno : -EIO;
        else if (s == MMDB_OUT_OF_MEMORY_ERROR)
            *rc = -ENOMEM;
        else
            *rc = -EINVAL;
        snprintf(err, errlen, "%s: %s", path, MMDB_strerror(s));
        free(m);
        return NULL;
    }
    *rc = 0;
    return m;
}

void kp_mmdb_close(struct kp_mmdb *m)
{
    if (m == NULL)
        return;
    MMDB_close(&m->db);
    free(m);
}

/* Copy a utf8 string field at path (NULL-terminated list) into out. */
static bool get_string(MMDB_entry_s *e, const char *const *path, char *out, size_t outlen)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    size_t n = d.data_size < outlen - 1 ? d.data_size : outlen - 1;
    memcpy(out, d.utf8_string, n);
    out[n] = '\0';
    return true;
}

/* A number of any mmdb integer or floating type as an AS number
 * (0..2^32-1): 0, -ENOENT (not a number type: a string, map, ...), or the
 * json_num status of a number that is not one (-ERANGE, -EDOM, -EINVAL). */
static int asn_of(const MMDB_entry_data_s *d, uint32_t *out)
{
    int64_t x;
    int rc;
    switch (d->type) {
    case MMDB_DATA_TYPE_UINT16:
        *out = d->uint16;
        return 0;
    case MMDB_DATA_TYPE_UINT32:
        *out = d->uint32;
        return 0;
    case MMDB_DATA_TYPE_INT32:
        rc = kp_num_double_to_i64((double)d->int32, 0, UINT32_MAX, &x);
        break;
    case MMDB_DATA_TYPE_UINT64:
        if (d->uint64 > UINT32_MAX)
            return -ERANGE;
        *out = (uint32_t)d->uint64;
        return 0;
    case MMDB_DATA_TYPE_DOUBLE:
        rc = kp_num_double_to_i64(d->double_value, 0, UINT32_MAX, &x);
        break;
    case MMDB_DATA_TYPE_FLOAT:
        rc = kp_num_double_to_i64((double)d->float_value, 0, UINT32_MAX, &x);
        break;
    default:
        return -ENOENT;
    }
    if (rc == 0)
        *out = (uint32_t)x;
    return rc;
}

int kp_mmdb_lookup(struct kp_mmdb *m, const struct kp_addr *a, struct kp_asn_answer *out, char *err,
                   size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (a->family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, a->b, 4);
    } else if (a->family == 6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, a->b, 16);
    } else {
        return -EINVAL;
    }
    int mmerr = MMDB_SUCCESS;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&m->db, (struct sockaddr *)&ss, &mmerr);
    if (mmerr != MMDB_SUCCESS) {
        /* an IPv6 address in an IPv4-only database is simply not there */
        if (mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
            return -ENOENT;
        snprintf(err, errlen, "%s", MMDB_strerror(mmerr));
        return -EIO;
    }
    if (!r.found_entry)
        return -ENOENT;

    uint32_t asn = 0;
    bool have = false;
    MMDB_entry_data_s d;
    static const char *const p_geo_asn[] = {"autonomous_system_number", NULL};
    static const char *const p_geo_org[] = {"autonomous_system_organization", NULL};
    static const char *const p_info_asn[] = {"asn", NULL};
    static const char *const p_info_name[] = {"name", NULL};
    static const char *const p_info_as_name[] = {"as_name", NULL};
    static const char *const p_info_domain[] = {"domain", NULL};
    static const char *const p_info_as_domain[] = {"as_domain", NULL};
    out->as_name[0] = '\0';
    out->as_domain[0] = '\0';
    int nrc;
    if (MMDB_aget_value(&r.entry, &d, p_geo_asn) == MMDB_SUCCESS && d.has_data) {
        if ((nrc = asn_of(&d, &asn)) != 0 && nrc != -ENOENT) {
            snprintf(err, errlen, "%s: %s", p_geo_asn[0], kp_num_strerror(nrc));
            return -EIO;
        }
        have = nrc == 0;
        if (have)
            get_string(&r.entry, p_geo_org, out->as_name, sizeof(out->as_name));
    }
    if (!have && MMDB_aget_value(&r.entry, &d, p_info_asn) == MMDB_SUCCESS && d.has_data) {
        if (d.type == MMDB_DATA_TYPE_UTF8_STRING) {
            have = kp_asn_parse(d.utf8_string, d.data_size, KP_ASN_PREFIX_OK, &asn) == 0;
        } else if ((nrc = asn_of(&d, &asn)) != 0 && nrc != -ENOENT) {
            snprintf(err, errlen, "%s: %s", p_info_asn[0], kp_num_strerror(nrc));
            return -EIO;
        } else {
            have = nrc == 0;
        }
        if (have) {
            if (!get_string(&r.entry, p_info_name, out->as_name, sizeof(out->as_name)))
                get_string(&r.entry, p_info_as_name, out->as_name, sizeof(out->as_name));
            if (!get_string(&r.entry, p_info_domain, out->as_domain, sizeof(out->as_domain)))
                get_string(&r.entry, p_info_as_domain, out->as_domain, sizeof(out->as_domain));
        }
    }
    if (!have)
        return -ENOENT;
    out->asns[0] = asn;
    out->n_asns = 1;
    out->flags = 0;
    /* libmaxminddb gives IPv6-tree prefix lengths for IPv4 lookups in an
     * IPv6 database (96 + len) */
    unsigned plen = r.netmask;
    if (a->family == 4 && m->db.metadata.ip_version == 6)
        plen = plen >= 96 ? plen - 96 : 0;
    if (a->family == 4 && plen > 32)
        plen = 32;
    kp_prefix_make(a, plen, &out->prefix);
    return 0;
}
