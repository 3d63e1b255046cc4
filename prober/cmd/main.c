/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c — `kptrace` and its subcommands. The only place that exits. */
#include <stdio.h>
#include <string.h>

#include <ares.h>
#include <jansson.h>
#include <pcap/pcap.h>

#include "prober/cmd/cmd_common.h"
#include "prober/cmd/cmd_replay.h"
#include "prober/cmd/cmd_trace.h"
#include "prober/cmd/cmd_watch.h"
#include "prober/cmd/watch.h"

static const char usage[] =
    "usage: kptrace COMMAND [options] ...\n"
    "\n"
    "Paced Paris traceroutes (ICMP, UDP, TCP) to many targets, with a full\n"
    "packet capture, to measure which transit carries traffic into a network.\n"
    "\n"
    "Commands:\n"
    "  trace [options] TARGET...    traceroute to addresses or names (root)\n"
    "  sweep --vp ID --out DIR ...  every address of prefixes x every method,\n"
    "                               writes traces.jsonl, capture.pcap, sweep.json (root)\n"
    "  watch --vp ID --targets CIDR --pfx2as FILE --out DIR ...\n"
    "                               trace prefixes continuously, write transit\n"
    "                               changes and outages to DIR/events.jsonl (root)\n"
    "  replay [options] FILE...     rebuild traces from a capture (no root)\n"
    "  version                      print the version and library versions\n"
    "  help [COMMAND]               this text, or a command's options\n"
    "\n"
    "kptrace needs root only to open its raw socket and capture; right after, it\n"
    "becomes --user (default nobody). Probe only networks you are allowed to.\n"
    "See kptrace COMMAND --help and docs/kptrace.md.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return KP_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "trace") == 0)
        return kp_cmd_trace(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return kp_cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return kp_cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "watch") == 0)
        return kp_cmd_watch(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("kptrace %s\n%s\nc-ares %s\njansson %s\n", KP_VERSION, pcap_lib_version(),
               ares_version(NULL), jansson_version_str());
        return KP_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "trace") == 0)
            fputs(kp_options_usage(KP_CMD_TRACE), stdout);
        else if (argc > 2 && strcmp(argv[2], "sweep") == 0)
            fputs(kp_options_usage(KP_CMD_SWEEP), stdout);
        else if (argc > 2 && strcmp(argv[2], "watch") == 0)
            fputs(watch_usage(), stdout);
        else if (argc > 2 && strcmp(argv[2], "replay") == 0) {
            char *av[] = {"replay", "--help", NULL};
            return kp_cmd_replay(2, av);
        } else
            fputs(usage, stdout);
        return KP_EXIT_OK;
    }
    fprintf(stderr, "kptrace: unknown command \"%s\"\n\n%s", cmd, usage);
    return KP_EXIT_USAGE;
}
