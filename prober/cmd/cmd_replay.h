/* SPDX-License-Identifier: BSD-2-Clause */
/* cmd_replay.h — the `kptrace replay` subcommand.
 *
 * `kptrace replay [--format text|json|atlas] [--vp ID] FILE...` rebuilds
 * traceroutes from capture files (pcap or pcapng) through the same receive
 * path as a live run (core/rx/), recognising kptrace's own probes and those
 * of traceroute, mtr, tcptraceroute and scamper. Needs no root.
 */
#ifndef KP_CMD_REPLAY_H
#define KP_CMD_REPLAY_H

/* Run the subcommand. argv[0] is "replay". Writes traces to stdout and the
 * counts (frames, probes, replies, unmatched, malformed, duplicates) to
 * stderr. Returns the process exit status: 0 on success, 1 when an input could
 * not be read, 2 on a usage error. Never calls exit(). */
int kp_cmd_replay(int argc, char **argv);

#endif
