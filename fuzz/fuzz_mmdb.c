/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_mmdb.c — a MaxMind DB file from the input (through a memfd, since
 * libmaxminddb opens paths), then lookups through kp_mmdb_lookup: fuzzes
 * libmaxminddb's reader together with our field extraction (types, missing
 * fields, "AS..." strings, netmask arithmetic).
 * Note: libmaxminddb 1.7.1 (Debian 12) leaks inside MMDB_open on some
 * malformed metadata; run libFuzzer with -detect_leaks=0 for this target.
 * The committed corpus holds no such input, so the ASan replay stays clean. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/asmap/asmap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.mmdb", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[256];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int rc;
    struct kp_mmdb *m = kp_mmdb_open(path, err, sizeof(err), &rc);
    if (m != NULL) {
        static const char *const ips[] = {"175.45.178.1",    "198.18.0.200",    "0.0.0.0",
                                          "255.255.255.255", "2001:db8:100::1", "::"};
        /* the fixed addresses, 198.18.1.1 .. 198.18.15.1 (one record per
         * AS number type in tests/data/asmap/asn-number-types.mmdb) and the
         * IPv4 address of the input's last 4 bytes */
        for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]) + 16; i++) {
            struct kp_addr a;
            struct kp_asn_answer ans;
            if (i < sizeof(ips) / sizeof(ips[0]))
                kp_addr_parse(ips[i], &a);
            else if (i < sizeof(ips) / sizeof(ips[0]) + 15)
                a = kp_addr_v4(0xc6120001u +
                               (uint32_t)(i - sizeof(ips) / sizeof(ips[0]) + 1) * 256);
            else if (size >= 4)
                a = kp_addr_v4((uint32_t)data[size - 4] << 24 | (uint32_t)data[size - 3] << 16 |
                               (uint32_t)data[size - 2] << 8 | data[size - 1]);
            else
                continue;
            if (kp_mmdb_lookup(m, &a, &ans, err, sizeof(err)) == 0 &&
                (ans.n_asns != 1 || ans.prefix.len > (a.family == 4 ? 32 : 128)))
                abort();
        }
        kp_mmdb_close(m);
    }
    close(fd);
    return 0;
}
