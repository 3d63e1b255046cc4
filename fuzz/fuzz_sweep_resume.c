/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_sweep_resume.c — fuzz target for what `kptrace sweep --resume` reads
 * of an earlier part (prober/cmd/sweep_resume.c, prober/cmd/sweep_meta.c): the first
 * byte picks the reader, the rest is its input.
 *   'j' traces.jsonl scan: valid_len + cut_bytes must cover the input, the
 *       text before valid_len must end in a newline, the error must be
 *       NUL-terminated; then the same text without interrupted records: no
 *       longer than the input, ending like it, and scanned again;
 *   'p' the pcap tail walk (through a temporary file): good_end within the
 *       file, at least the header;
 *   's' sweep.json read back into options (argv must be NULL-terminated),
 *       and merged as the prior sweep.json of a resumed sweep (the result
 *       must be JSON whose summed counts are non-negative integers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/plan/jobs.h"
#include "prober/cmd/options.h"
#include "prober/cmd/sweep_meta.h"
#include "prober/cmd/sweep_resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sweep.json of a resumed sweep from the text as the prior one: when it
 * is made, it is JSON whose summed counts are non-negative integers (or
 * objects of them: the send errors by errno). */
static void merge(const char *text, size_t len)
{
    struct kp_options o;
    kp_options_default(&o, KP_CMD_SWEEP);
    struct kp_engine_stats st;
    memset(&st, 0, sizeof(st));
    st.jobs = 10;
    st.probes_sent = 100;
    struct kp_sweep_meta m;
    memset(&m, 0, sizeof(m));
    m.opt = &o;
    m.st = &st;
    m.status = "complete";
    m.src = kp_addr_v4(0xc6120102u);
    m.traces_written = 10;
    m.planned_total = 20;
    char *out = NULL;
    if (kp_sweep_meta_merge(text, len, &m, 5, 7, &out) == 0) {
        json_error_t je;
        json_t *j = json_loads(out, 0, &je);
        json_t *cnt = json_object_get(j, "counts");
        const char *k;
        json_t *v;
        if (!json_is_object(cnt))
            abort();
        json_object_foreach(cnt, k, v)
        {
            if (json_is_object(v)) { /* counts by errno: {"ENETUNREACH": 3, ...} */
                const char *k2;
                json_t *v2;
                json_object_foreach(v, k2, v2)
                {
                    if (!json_is_integer(v2) || json_integer_value(v2) < 0)
                        abort();
                }
            } else if (!json_is_integer(v) || json_integer_value(v) < 0) {
                abort();
            }
        }
        json_decref(j);
        free(out);
    }
    kp_options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct kp_target_range r[] = {
        {.base = 0xc613b000u, .count = 256, .name = ""},
        {.base = 0xc613b100u, .count = 128, .name = ""},
    };
    static const enum kp_method m[] = {KP_METHOD_ICMP_PARIS, KP_METHOD_UDP_PARIS, KP_METHOD_TCP_SYN,
                                       KP_METHOD_UDP};
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[256];
    memset(err, 'x', sizeof(err));
    if (data[0] == 'j') {
        static uint64_t done[(384 * 4 + 63) / 64];
        memset(done, 0, sizeof(done));
        struct kp_jobs jobs;
        if (kp_jobs_init(&jobs, r, 2, 4, 1, NULL) != 0)
            abort();
        struct kp_resume_scan s;
        int rc = kp_resume_scan(text, len, "traces.jsonl", &jobs, m, done, &s, NULL, NULL, err,
                                sizeof(err));
        if (rc == 0) {
            if (s.valid_len + s.cut_bytes > len || s.lines > len)
                abort();
            if (s.valid_len > 0 && text[s.valid_len - 1] != '\n')
                abort();
        } else if (memchr(err, '\0', sizeof(err)) == NULL) {
            abort();
        }
        char *kept = NULL;
        size_t kept_len = 0;
        uint64_t dropped = 0, max_id = 0;
        if (kp_resume_drop_interrupted(text, len, &kept, &kept_len, &dropped, &max_id) == 0) {
            if (kept_len > len || (dropped == 0 && (kept_len != len || memcmp(kept, text, len))))
                abort();
            if (dropped > 0 && kept_len == len)
                abort();
            memset(done, 0, sizeof(done));
            (void)kp_resume_scan(kept, kept_len, "traces.jsonl", &jobs, m, done, &s, NULL, NULL,
                                 err, sizeof(err));
            free(kept);
        }
        kp_jobs_free(&jobs);
    } else if (data[0] == 'p') {
        FILE *f = tmpfile();
        if (f == NULL)
            return 0;
        if (fwrite(text, 1, len, f) == len && fflush(f) == 0) {
            uint64_t end, frames, fsize;
            if (kp_resume_pcap_tail(f, &end, &frames, &fsize, err, sizeof(err)) == 0) {
                if (end < 24 || end > fsize || fsize != len || frames > len / 16)
                    abort();
            } else if (memchr(err, '\0', sizeof(err)) == NULL) {
                abort();
            }
        }
        fclose(f);
    } else if (data[0] == 's') {
        struct kp_sweep_stored st;
        if (kp_sweep_stored_parse(text, len, "sweep.json", "d", &st, err, sizeof(err)) == 0) {
            if (st.argc < 1 || st.argv[st.argc] != NULL)
                abort();
            kp_sweep_stored_free(&st);
        } else if (memchr(err, '\0', sizeof(err)) == NULL) {
            abort();
        }
        merge(text, len);
    }
    return 0;
}
