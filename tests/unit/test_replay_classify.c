/* SPDX-License-Identifier: BSD-2-Clause */
/* test_replay_classify.c — the foreign-probe classifiers on real captures.
 *
 * For every frame of each committed capture, the classifiers of
 * kp_foreign_classifiers must say exactly what
 * tests/data/pcap/<name>.probes says (written by expect_probes.sh with tshark
 * filters from what make_fixtures.sh ran): the probes, their tool and method,
 * and nothing for every other frame (replies, ICMP errors, ARP, IPv6 noise). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/codec/classify.h"
#include "core/codec/decode.h"
#include "io/pcap_file.h"
#include "io/replay.h"
#include "core/rx/rx_kptrace.h"

#define DATA KP_TEST_DATA "/pcap/"

struct expect {
    char tool[24], method[24];
};

/* name: the .probes file; file: the capture (same frames) */
static void check(const char *name, const char *file)
{
    static struct expect exp[4096];
    memset(exp, 0, sizeof(exp));
    char path[512], line[128];
    snprintf(path, sizeof(path), DATA "%s.probes", name);
    FILE *pf = fopen(path, "r");
    cr_assert_not_null(pf, "%s", path);
    size_t nexp = 0;
    while (fgets(line, sizeof(line), pf)) {
        unsigned fno;
        char tool[24], method[24];
        cr_assert_eq(sscanf(line, "%u %23s %23s", &fno, tool, method), 3);
        cr_assert(fno >= 1 && fno < 4096);
        snprintf(exp[fno].tool, sizeof(exp[fno].tool), "%s", tool);
        snprintf(exp[fno].method, sizeof(exp[fno].method), "%s", method);
        nexp++;
    }
    fclose(pf);
    cr_assert_gt(nexp, 0);

    size_t ncl = kp_n_foreign_classifiers;
    const struct kp_rx_classifier *const *cl = kp_foreign_classifiers;
    char err[KP_PCAP_ERRLEN];
    struct kp_pcap_file *f;
    snprintf(path, sizeof(path), DATA "%s", file);
    cr_assert_eq(kp_pcap_file_open(path, &f, err, sizeof(err)), 0, "%s", err);
    int dlt = kp_pcap_file_linktype(f);
    struct kp_frame fr;
    size_t seen = 0;
    while (kp_pcap_file_next(f, &fr, err, sizeof(err)) == 1) {
        unsigned fno = (unsigned)fr.index + 1;
        struct kp_pkt pkt;
        memset(&pkt, 0, sizeof(pkt));
        int st = kp_decode_frame(dlt, fr.data, fr.caplen, &pkt);
        const char *tool = NULL;
        enum kp_method method = KP_METHOD_UNKNOWN;
        if (st == KP_DEC_OK) {
            for (size_t i = 0; i < ncl; i++) {
                struct kp_rx_probe o;
                memset(&o, 0, sizeof(o));
                if (cl[i]->classify(&pkt, &o)) {
                    tool = o.tool;
                    method = o.method;
                    cr_assert_eq(o.ttl, pkt.ip.ttl, "%s frame %u ttl", name, fno);
                    cr_assert_neq(o.match_fields, 0);
                    break;
                }
            }
        }
        if (exp[fno].tool[0]) {
            cr_assert_not_null(tool, "%s frame %u: a %s %s probe not recognised (decode %d)", name,
                               fno, exp[fno].tool, exp[fno].method, st);
            cr_assert_str_eq(tool, exp[fno].tool, "%s frame %u", name, fno);
            cr_assert_str_eq(kp_method_name(method), exp[fno].method, "%s frame %u", name, fno);
            seen++;
        } else {
            cr_assert_null(tool, "%s frame %u: taken for a %s probe", name, fno, tool ? tool : "");
        }
    }
    kp_pcap_file_close(f);
    cr_assert_eq(seen, nexp);
}

Test(replay_classify, traceroute_udp_icmp_tcp)
{
    check("tr_udp", "tr_udp.pcap");
    check("tr_icmp", "tr_icmp.pcap");
    check("tr_tcp", "tr_tcp.pcap");
}

Test(replay_classify, mtr_icmp_udp_tcp)
{
    check("mtr_icmp", "mtr_icmp.pcap");
    check("mtr_udp", "mtr_udp.pcap");
    check("mtr_tcp", "mtr_tcp.pcap");
}

Test(replay_classify, tcptraceroute)
{
    check("tcptr", "tcptr.pcap");
}

Test(replay_classify, scamper_four_methods)
{
    check("sc_icmp-paris", "sc_icmp-paris.pcap");
    check("sc_udp-paris", "sc_udp-paris.pcap");
    check("sc_udp", "sc_udp.pcap");
    check("sc_tcp", "sc_tcp.pcap");
}

Test(replay_classify, interleaved_tools)
{
    check("mixed", "mixed.pcap");
}

Test(replay_classify, every_link_type)
{
    check("lt_sll", "lt_sll.pcap");
    check("lt_sll2", "lt_sll2.pcap");
    check("lt_eth_ns", "lt_eth_ns.pcap");
    check("snap70", "snap70.pcap");
    /* made from lt_eth_ns.pcap: the same frames, so the same probes */
    check("lt_eth_ns", "lt_raw.pcap");
    check("lt_eth_ns", "lt_null.pcap");
    check("lt_eth_ns", "lt_eth.pcapng");
}

/* `kptrace replay` (and kpannotate on captures) use exactly kptrace's own
 * classifier followed by every foreign classifier, in the same order: a
 * classifier added to kp_foreign_classifiers must not be missed by replay. */
Test(replay_classify, replay_uses_every_foreign_classifier)
{
    size_t n = 0;
    const struct kp_rx_classifier *const *list = kp_replay_default_classifiers(&n);
    cr_assert_eq(n, 1 + kp_n_foreign_classifiers);
    cr_assert_eq(list[0], &kp_rx_classifier_kptrace);
    for (size_t i = 0; i < kp_n_foreign_classifiers; i++)
        cr_assert_eq(list[1 + i], kp_foreign_classifiers[i], "entry %zu (%s)", i + 1,
                     kp_foreign_classifiers[i]->name);
}
