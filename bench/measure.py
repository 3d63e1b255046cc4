#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""measure.py — run a command a few times and report wall time, CPU time and
peak memory (ru_maxrss of the child, via wait4), as one JSON object.

    measure.py [--runs N] [--stdout FILE] [--ok CODE]... -- CMD ARGS...

The median of N runs is reported for times; the maximum for memory. Used by
bench/run to compare kptrace with a peer tool in the same run. A run that
exits other than 0 (or a CODE given with --ok, e.g. kptrace's 4, incomplete)
stops the measure; "exit" holds the last run's status.
"""
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd, stdout, ok):
    t0 = time.monotonic()
    e0 = time.time()
    with open(stdout, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and code not in ok:
        sys.exit(f"measure: {' '.join(cmd)} exited {code}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, e0, time.time(), code


def main(argv):
    runs, stdout, ok = 3, os.devnull, set()
    while argv and argv[0] != "--":
        if argv[0] == "--runs":
            runs = int(argv[1])
            argv = argv[2:]
        elif argv[0] == "--ok":
            ok.add(int(argv[1]))
            argv = argv[2:]
        elif argv[0] == "--stdout":
            stdout = argv[1]
            argv = argv[2:]
        else:
            sys.exit(f"measure: unknown option {argv[0]}")
    cmd = argv[1:]
    if not cmd:
        sys.exit("usage: measure.py [--runs N] [--stdout FILE] [--ok CODE]... -- CMD ARGS...")
    res = [run_once(cmd, stdout, ok) for _ in range(runs)]
    print(json.dumps({
        "cmd": cmd[0],
        "runs": runs,
        "wall_s": statistics.median(r[0] for r in res),
        "cpu_s": statistics.median(r[1] for r in res),
        "maxrss_kib": max(r[2] for r in res),
        # the last run's start and end, seconds since the epoch (to place it
        # among the capture's timestamps)
        "start_epoch": res[-1][3],
        "end_epoch": res[-1][4],
        "exit": res[-1][5],
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
