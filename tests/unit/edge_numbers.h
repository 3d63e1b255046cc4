/* SPDX-License-Identifier: BSD-2-Clause */
/* edge_numbers.h — number literals at the edges of what readers convert,
 * shared by the unit tests of core/base/json_num.c and of the readers. */
#ifndef KP_TEST_EDGE_NUMBERS_H
#define KP_TEST_EDGE_NUMBERS_H

#define TWO_63 "9223372036854775808"  /* 2^63: one past INT64_MAX */
#define TWO_64 "18446744073709551616" /* 2^64: one past UINT64_MAX */
/* a 100-digit integer literal */
#define D100                                                                                       \
    "1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901"  \
    "234567890"
/* the scamper finding's rtt: 103 digits before the point (4.4e102 ms) */
#define R103                                                                                       \
    "4444444444444444444444444444444444444444444444444444444444444444444444444444444444444444444"  \
    "444444444444.514"

#endif
