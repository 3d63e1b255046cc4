/* SPDX-License-Identifier: BSD-2-Clause */
/* rtsched.c — SCHED_FIFO for the prober's threads. See rtsched.h. */
#include "prober/sys/rtsched.h"

#include <errno.h>
#include <sched.h>

int kp_rt_enter(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    /* pid 0: on Linux, the calling thread only */
    return sched_setscheduler(0, SCHED_FIFO, &sp) == 0 ? 0 : -errno;
}

int kp_rt_lower(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0 ? 0 : -errno;
}

int kp_rt_leave(void)
{
    struct sched_param sp = {.sched_priority = 0};
    return sched_setscheduler(0, SCHED_OTHER, &sp) == 0 ? 0 : -errno;
}
