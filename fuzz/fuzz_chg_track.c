/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_chg_track.c — the change tracker's checkpoint line
 * (kp_chg_track_load, core/change/detect_save.c). The input's first line is
 * the checkpoint; the bytes after it, 6 at a time, are traces fed to what
 * loaded. Aborts when: a failed load leaves anything but a new tracker; an
 * accepted line is not the line save writes for it (the form is canonical);
 * a fed tracker does not survive save and load unchanged; feed returns
 * other than 0 or 1, or an event breaks its promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/change/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct kp_chg_track *t)
{
    static char line[8192], again[8192];
    int n = kp_chg_track_save(t, line, sizeof(line));
    if (n <= 0 || (size_t)n >= sizeof(line))
        abort();
    struct kp_chg_track r;
    if (kp_chg_track_load(&r, line, (size_t)n) != 0)
        abort();
    int n2 = kp_chg_track_save(&r, again, sizeof(again));
    if (n2 != n || memcmp(line, again, (size_t)n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl != NULL ? (size_t)(nl - data) : size;
    struct kp_chg_track t, fresh;
    kp_chg_track_init(&fresh);
    if (kp_chg_track_load(&t, (const char *)data, len) != 0) {
        if (memcmp(&t, &fresh, sizeof(t)) != 0)
            abort();
        return 0;
    }
    static char line[8192];
    int n = kp_chg_track_save(&t, line, sizeof(line));
    if (n < 0 || (size_t)n != len || memcmp(line, data, len) != 0)
        abort();
    struct kp_chg_params p;
    kp_chg_params_default(&p);
    size_t pos = nl != NULL ? len + 1 : size;
    int64_t now = t.last_named_start_ns;
    static const uint32_t asns[8] = {0, 4837, 20485, 3356, 131279, 1, 4294967295u, 174};
    for (unsigned k = 0; pos + 6 <= size && k < 4096; k++, pos += 6) {
        const uint8_t *b = data + pos;
        struct kp_chg_obs o;
        o.transit = asns[b[0] & 7];
        o.outcome = (enum kp_chg_outcome)(b[1] % KP_CHG_OUT_COUNT);
        int64_t step = (int64_t)(b[2] | b[3] << 8) * 1000000 - 5000000000LL; /* -5..60 s */
        if ((step > 0 && now > INT64_MAX - step) || (step < 0 && now < INT64_MIN - step))
            step = 0;
        now += step;
        o.start_ns = now;
        o.end_ns = now + (int64_t)(b[4] | b[5] << 8) * 1000000;
        o.trace_id = k;
        if (b[0] & 0x80) /* a parameter set of its own, bounded */
            p.confirm = 1 + b[5] % KP_CHG_MAX_CONFIRM, p.min_seen = 1 + b[4] % p.confirm;
        struct kp_chg_event ev;
        int rc = kp_chg_feed(&t, &p, &o, &ev);
        if (rc != 0 && rc != 1)
            abort();
        if (rc == 1 && (ev.n_traces > KP_CHG_MAX_TRACES || ev.before.n > KP_CHG_MAX_TRANSITS ||
                        ev.after.n > KP_CHG_MAX_TRANSITS ||
                        ev.last_before_ns >= ev.first_after_ns ||
                        kp_chg_state_eq(&ev.before, &ev.after)))
            abort();
        round_trip(&t);
    }
    return 0;
}
