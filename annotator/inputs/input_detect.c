/* SPDX-License-Identifier: BSD-2-Clause */
/* input_detect.c — input kind detection and the JSON value splitter. Pure. */
#include "annotator/inputs/input.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "io/reader.h"

static const char *const kind_names[KP_INPUT_KIND_COUNT] = {
    [KP_INPUT_UNKNOWN] = "unknown", [KP_INPUT_KPTRACE] = "kptrace", [KP_INPUT_ATLAS] = "atlas",
    [KP_INPUT_SCAMPER] = "scamper", [KP_INPUT_PCAP] = "pcap",       [KP_INPUT_PCAPNG] = "pcapng",
};

const char *kp_input_kind_name(enum kp_input_kind k)
{
    if ((unsigned)k >= KP_INPUT_KIND_COUNT)
        return "unknown";
    return kind_names[k];
}

enum kp_input_kind kp_input_kind_from_name(const char *s)
{
    if (s == NULL)
        return KP_INPUT_UNKNOWN;
    for (int i = 1; i < KP_INPUT_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (enum kp_input_kind)i;
    return KP_INPUT_UNKNOWN;
}

/* Which kind does a parsed first object look like? */
static enum kp_input_kind kind_of_object(json_t *o)
{
    if (!json_is_object(o))
        return KP_INPUT_UNKNOWN;
    json_t *type = json_object_get(o, "type");
    /* kptrace lines carry "v" (format version) beside "type":"trace". */
    if (json_is_integer(json_object_get(o, "v")) && json_object_get(o, "hops"))
        return KP_INPUT_KPTRACE;
    /* Atlas results carry "type" too ("traceroute"): their own keys first. */
    if (json_object_get(o, "msm_id") || json_object_get(o, "prb_id") || json_object_get(o, "fw") ||
        json_object_get(o, "paris_id") || json_object_get(o, "dst_addr"))
        return KP_INPUT_ATLAS;
    if (json_is_string(type))
        return KP_INPUT_SCAMPER;
    if (json_object_get(o, "hops") || json_object_get(o, "vp") || json_object_get(o, "tool"))
        return KP_INPUT_KPTRACE;
    return KP_INPUT_UNKNOWN;
}

static int has(const uint8_t *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || len < n)
        return 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

enum kp_input_kind kp_input_detect(const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < 1)
        return KP_INPUT_UNKNOWN;
    if (len >= 4) {
        uint32_t be = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
                      (uint32_t)buf[3];
        if (be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || be == 0xa1b23c4du || be == 0x4d3cb2a1u)
            return KP_INPUT_PCAP;
        if (be == 0x0a0d0d0au)
            return KP_INPUT_PCAPNG;
    }
    /* the first JSON value, framed by the one reader */
    struct kp_reader *rd;
    if (kp_reader_open_mem(buf, len, 0, &rd) != 0)
        return KP_INPUT_UNKNOWN;
    struct kp_rec rec;
    int rc = kp_reader_json(rd, 0, &rec);
    enum kp_input_kind k = KP_INPUT_UNKNOWN;
    if (rc == 1 && rec.len > 0 && rec.p[0] == '[') {
        k = KP_INPUT_ATLAS; /* an array of results (whole, or cut short) */
    } else if (rc == 1 && rec.status == KP_REC_OK) {
        json_error_t err;
        json_t *o = json_loadb(rec.p, rec.len, 0, &err);
        k = kind_of_object(o);
        json_decref(o);
    }
    kp_reader_close(rd);
    if (k != KP_INPUT_UNKNOWN)
        return k;
    /* The first object is cut short (a small prefix of a big file) or odd:
     * fall back to the keys seen in the bytes we have. */
    if (len > 5 && memcmp(buf, "{\"v\":", 5) == 0)
        return KP_INPUT_KPTRACE;
    if (has(buf, len, "\"type\":\"trace\"") || has(buf, len, "\"type\":\"cycle-start\"") ||
        has(buf, len, "\"type\": \"trace\"") || has(buf, len, "\"type\": \"cycle-start\""))
        return KP_INPUT_SCAMPER;
    if (has(buf, len, "\"msm_id\"") || has(buf, len, "\"prb_id\"") ||
        has(buf, len, "\"dst_addr\"") || has(buf, len, "\"paris_id\"") || has(buf, len, "\"fw\""))
        return KP_INPUT_ATLAS;
    if (has(buf, len, "\"hops\"") && (has(buf, len, "\"vp\"") || has(buf, len, "\"tool\"")))
        return KP_INPUT_KPTRACE;
    return KP_INPUT_UNKNOWN;
}
