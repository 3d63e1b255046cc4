/* SPDX-License-Identifier: BSD-2-Clause */
/* rtsched.h — real-time scheduling for the prober's two threads.
 *
 * A paced sender sleeps between probes. Under the default policy a thread
 * woken by its timer waits for whatever else the CPU is running (a capture,
 * the testbed's delay lines, other users' work), and at 10000 probes/s,
 * 100 us apart, those waits are as long as the gaps themselves. A thread of
 * policy SCHED_FIFO runs as soon as it wakes. The receive thread then needs
 * it too: at the default policy it would get only what the real-time sender
 * and every other busy process leave of the CPUs, and the capture ring
 * would overflow. The engine asks for it only when its sender sleeps most
 * of each interval, and the kernel's real-time throttling
 * (sched_rt_runtime_us) bounds both threads anyway.
 *
 *   kp_rt_enter(prio)  the calling thread: SCHED_FIFO at prio. Needs
 *                      CAP_SYS_NICE or RLIMIT_RTPRIO: call it before dropping
 *                      root; the policy stays after the drop, and threads
 *                      and processes the thread creates inherit it (which is
 *                      how the receive thread, created after the drop, gets
 *                      it).
 *   kp_rt_lower(prio)  a thread that inherited the policy: down to prio (not
 *                      above its own), and its own children start at the
 *                      default policy (SCHED_RESET_ON_FORK). Allowed without
 *                      privileges.
 *   kp_rt_leave()      the calling thread back to the default policy
 *                      (allowed without privileges; e.g. a child before it
 *                      runs another program).
 *
 * All return 0 or a negative errno (-EPERM without the capability or the
 * limit); the caller goes on without real-time scheduling then.
 */
#ifndef KP_RTSCHED_H
#define KP_RTSCHED_H

int kp_rt_enter(int prio);
int kp_rt_lower(int prio);
int kp_rt_leave(void);

#endif
