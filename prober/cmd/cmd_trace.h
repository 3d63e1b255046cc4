/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_trace.h — the `kptrace trace` and `kptrace sweep` subcommands.
 * Each takes argv with argv[0] the subcommand name and returns the process
 * exit status (KP_EXIT_* in cmd_common.h); they never call exit(). */
#ifndef KP_CMD_TRACE_H
#define KP_CMD_TRACE_H

int kp_cmd_trace(int argc, char **argv);
int kp_cmd_sweep(int argc, char **argv);

#endif
