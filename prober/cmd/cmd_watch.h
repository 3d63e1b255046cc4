/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_watch.h — `kptrace watch` (docs/watch.md). */
#ifndef KP_CMD_WATCH_H
#define KP_CMD_WATCH_H

/* argv[0] is "watch". Returns the exit status. */
int kp_cmd_watch(int argc, char **argv);

#endif
