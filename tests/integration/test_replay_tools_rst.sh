#!/usr/bin/env bash
# test_replay_tools_rst — test_replay_tools.sh for the two tools whose
# destination answers (TCP RSTs) cannot be told apart by their content:
# tcptraceroute and scamper -P tcp send every probe of a trace with the same
# ports and sequence number. rx breaks such ties (rx.c: tie_break(): among the
# probes of one trace that fit, keep those sent before the reply, not yet
# answered and past the last time-exceeded TTL). Owner: replay.
KP_REPLAY_SPECS='^(tcptraceroute:|scamper:tcp-syn:)' exec bash "$(dirname "$0")/test_replay_tools.sh"
