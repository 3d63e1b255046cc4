/* SPDX-License-Identifier: BSD-2-Clause */
/* rtsched.h — real-time scheduling for the pacer's sending thread.
 *
 * A paced sender sleeps between probes. Under the default policy a thread
 * woken by its timer waits for whatever else the CPU is running (a capture,
 * the testbed's delay lines, other users' work), and at 10000 probes/s,
 * 100 us apart, those waits are as long as the gaps themselves. A thread of
 * policy SCHED_FIFO runs as soon as it wakes. The engine asks for it only
 * when its sender sleeps most of each interval, so it never holds a CPU, and
 * the kernel's real-time throttling (sched_rt_runtime_us) bounds it anyway.
 *
 *   kp_rt_enter(prio)  the calling thread only: SCHED_FIFO at prio; threads
 *                      and processes it creates start at the default policy
 *                      (SCHED_RESET_ON_FORK). Needs CAP_SYS_NICE or
 *                      RLIMIT_RTPRIO: call it before dropping root; the
 *                      policy stays after the drop.
 *   kp_rt_leave()      the calling thread back to the default policy
 *                      (allowed without privileges).
 *
 * Both return 0 or a negative errno (-EPERM without the capability or the
 * limit); the caller goes on without real-time scheduling then.
 */
#ifndef KP_RTSCHED_H
#define KP_RTSCHED_H

int kp_rt_enter(int prio);
int kp_rt_leave(void);

#endif
