/* SPDX-License-Identifier: BSD-2-Clause */
/* sweep_resume.c — see sweep_resume.h. */
#include "prober/cmd/sweep_resume.h"
#include "core/base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/record/trace_json.h"

#define ID_SPACE (1ull << 32) /* trace ids are 32 bits (probe_payload.h) */

/* The message into err; the status -EINVAL (core/base/util.h). */
#define err_set(err, errlen, ...) kp_err_set(err, errlen, -EINVAL, __VA_ARGS__)

int kp_resume_scan(const char *buf, size_t len, const char *name, const struct kp_jobs *jobs,
                   const enum kp_method *methods, uint64_t *done, struct kp_resume_scan *out,
                   void (*on_record)(void *ctx, const struct kp_trace *t, unsigned mi), void *ctx,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    size_t pos = 0;
    uint64_t lineno = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        lineno++;
        if (nl == NULL) { /* cut by a crash */
            out->cut_bytes = len - pos;
            out->cut_line = lineno;
            break;
        }
        size_t l = (size_t)(nl - (buf + pos));
        const char *line = buf + pos;
        pos += l + 1;
        size_t k = 0;
        while (k < l && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k == l) {
            out->valid_len = pos;
            continue;
        }
        struct kp_trace t;
        struct kp_json_error je;
        memset(&je, 0, sizeof(je));
        int rc = kp_trace_json_parse(line, l, &t, &je);
        if (rc == -ENOMEM)
            return -ENOMEM;
        if (rc != 0)
            return err_set(err, errlen, "%s:%llu: %s%s%s", name, (unsigned long long)lineno,
                           je.field[0] ? je.field : "", je.field[0] ? ": " : "", je.msg);
        unsigned mi = jobs->n_methods;
        for (unsigned i = 0; i < jobs->n_methods; i++)
            if (methods[i] == t.method)
                mi = i;
        int64_t job = -1;
        if (mi < jobs->n_methods && t.dst.family == 4)
            job = kp_jobs_index(jobs, kp_addr_v4_host(&t.dst), mi);
        if (job < 0) {
            char a[KP_ADDR_STRLEN];
            kp_addr_str(&t.dst, a, sizeof(a));
            rc = err_set(err, errlen, "%s:%llu: %s with %s is not a (target, method) of this sweep",
                         name, (unsigned long long)lineno, a, kp_method_name(t.method));
            kp_trace_free(&t);
            return rc;
        }
        if (kp_jobs_bit(done, (uint64_t)job))
            out->duplicates++;
        kp_jobs_bit_set(done, (uint64_t)job);
        out->lines++;
        out->hops += t.n_hops;
        if (t.id > out->max_id)
            out->max_id = t.id;
        if (on_record)
            on_record(ctx, &t, mi);
        kp_trace_free(&t);
        out->valid_len = pos;
    }
    return 0;
}

int kp_resume_drop_interrupted(const char *buf, size_t len, char **out, size_t *out_len,
                               uint64_t *dropped, uint64_t *max_id)
{
    *out = malloc(len ? len : 1);
    *out_len = 0;
    *dropped = 0;
    *max_id = 0;
    if (*out == NULL)
        return -ENOMEM;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        bool drop = false;
        if (nl != NULL) {
            struct kp_trace t;
            int rc = kp_trace_json_parse(buf + pos, l - 1, &t, NULL);
            if (rc == -ENOMEM) {
                free(*out);
                *out = NULL;
                return -ENOMEM;
            }
            if (rc == 0) {
                drop = t.stop_reason == KP_STOP_INTERRUPTED;
                if (drop && t.id > *max_id)
                    *max_id = t.id;
                kp_trace_free(&t);
            }
        }
        if (drop) {
            (*dropped)++;
        } else {
            memcpy(*out + *out_len, buf + pos, l);
            *out_len += l;
        }
        pos += l;
    }
    return 0;
}

uint32_t kp_resume_next_id(uint64_t max_id, uint64_t stored_next, bool crashed, uint32_t max_active)
{
    uint64_t used = max_id; /* the largest id that may have been used */
    if (stored_next > 0 && stored_next - 1 > used)
        used = stored_next - 1;
    uint64_t next = used + 1 + (crashed ? 2ull * max_active : 0);
    uint32_t id = (uint32_t)(next % ID_SPACE);
    return id == 0 ? 1 : id;
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (swap)
        v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    return v;
}

int kp_resume_pcap_tail(FILE *f, uint64_t *good_end, uint64_t *frames, uint64_t *size, char *err,
                        size_t errlen)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return err_set(err, errlen, "%s", strerror(errno)), -EIO;
    *size = (uint64_t)st.st_size;
    *frames = 0;
    *good_end = 0;
    uint8_t h[24];
    if (fseek(f, 0, SEEK_SET) != 0 || fread(h, 1, sizeof(h), f) != sizeof(h))
        return err_set(err, errlen, "pcap file header cut (%llu bytes)", (unsigned long long)*size);
    uint32_t magic = rd32(h, false);
    bool swap;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swap = false;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swap = true;
    else
        return err_set(err, errlen, "not a pcap file (magic 0x%08x)", magic);
    uint32_t snaplen = rd32(h + 16, swap);
    uint64_t off = 24;
    for (;;) {
        uint8_t rh[16];
        if (*size - off < sizeof(rh))
            break;
        if (fseek(f, (long)off, SEEK_SET) != 0 || fread(rh, 1, sizeof(rh), f) != sizeof(rh))
            return err_set(err, errlen, "read error at offset %llu", (unsigned long long)off), -EIO;
        uint32_t incl = rd32(rh + 8, swap);
        if (incl > 262144u || (snaplen >= 64 && incl > snaplen))
            break; /* garbage: treat the rest as cut */
        if (*size - off - sizeof(rh) < incl)
            break;
        off += sizeof(rh) + incl;
        (*frames)++;
    }
    *good_end = off;
    return 0;
}
