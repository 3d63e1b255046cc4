#!/usr/bin/env bash
# wip_replay_tools_rst — test_replay_tools.sh for the two tools whose
# destination answers (TCP RSTs) cannot be told apart by their content:
# tcptraceroute and scamper -P tcp send every probe of a trace with the same
# ports and sequence number. Fails until rx breaks such ties (e.g. among the
# probes that fit, keep those sent before the reply and not yet answered, and
# take the one left). Rename to test_replay_tools_rst.sh then. Owner: replay.
KP_REPLAY_SPECS='^(tcptraceroute:|scamper:tcp-syn:)' exec bash "$(dirname "$0")/test_replay_tools.sh"
