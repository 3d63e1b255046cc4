/* SPDX-License-Identifier: BSD-2-Clause */
/* The one table of known ASes and what reads it: built-in AS names, the
 * verdict's default target and transits. Expected names from docs/asmap.md. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/asmap/asmap.h"
#include "core/asmap/known_as.h"
#include "core/verdict/verdict.h"

Test(known_as, names_as_documented)
{
    cr_assert_str_eq(kp_asn_builtin_name(4837), "China Unicom (CHINA169-BACKBONE)");
    cr_assert_str_eq(kp_asn_builtin_name(20485), "TransTeleCom (TRANSTELECOM)");
    cr_assert_str_eq(kp_asn_builtin_name(22351), "Intelsat (INTELSAT-1)");
    cr_assert_str_eq(kp_asn_builtin_name(131279), "Star JV (STAR-KP)");
    cr_assert_null(kp_asn_builtin_name(0));
    cr_assert_null(kp_asn_builtin_name(3356));
    cr_assert_null(kp_known_as_find(64512));
    cr_assert_eq(kp_known_as_count(), 4);
    cr_assert_null(kp_known_as_at(4));
}

Test(known_as, transits_first_then_the_target)
{
    static const uint32_t want[] = {4837, 20485, 22351, 131279};
    for (size_t i = 0; i < 4; i++) {
        const struct kp_known_as *k = kp_known_as_at(i);
        cr_assert_not_null(k);
        cr_assert_eq(k->asn, want[i]);
        cr_assert_eq(k->transit, i < 3);
        cr_assert_eq(kp_known_as_find(want[i]), k);
        cr_assert_eq(k->colour == NULL, i == 3);
    }
    cr_assert_eq(KP_ASN_TARGET_DEFAULT, 131279u);
}

Test(known_as, verdict_defaults_read_the_table)
{
    struct kp_verdict_config c;
    kp_verdict_config_default(&c);
    cr_assert_eq(c.n_targets, 1);
    cr_assert_eq(c.targets[0], 131279u);
    cr_assert_eq(c.n_known, 3);
    cr_assert_str_eq(kp_verdict_known_name(&c, 4837), "China Unicom");
    cr_assert_str_eq(kp_verdict_known_name(&c, 20485), "TransTeleCom");
    cr_assert_str_eq(kp_verdict_known_name(&c, 22351), "Intelsat");
    cr_assert_null(kp_verdict_known_name(&c, 131279));
    cr_assert_eq(c.known[0].asn, 4837u);
    cr_assert_eq(c.known[1].asn, 20485u);
    cr_assert_eq(c.known[2].asn, 22351u);
}
