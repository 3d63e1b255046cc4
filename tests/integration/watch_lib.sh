# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# watch_lib.sh — run-time changes of the `watch` testbed
# (tests/testbed/topologies/watch.topo; the nodes isp-asia, uni-bj, uni-dd,
# ttc-khv, ttc-vvo, star-gw and star-core have the same names in nk.topo, so
# the functions work there too). Source it after lib.sh, once the testbed is
# up:
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/watch_lib.sh"
#   tb_up watch
#   wb_move_to_ttc 198.19.176.0/24     # now carried by TTC, both ways
#   echo "$WB_T_BEFORE $WB_T_AFTER"    # the change happened in between
#   wb_blackhole 198.19.177.0/24       # now dropped silently inside STAR-KP
#
# Each change is ONE `ip` command in one namespace (the decisive one); the
# wall clock (`date +%s.%N`, the clock kptrace stamps probes with) is read
# right before and right after it: WB_T_BEFORE and WB_T_AFTER, also appended
# to "$TB_STATE/watch-changes.log" as "ACTION PREFIX T_BEFORE T_AFTER". The
# true moment of the change lies in [WB_T_BEFORE, WB_T_AFTER] (a few ms).
#
# Functions:
#   wb_move_to_ttc PREFIX     forward: isp-asia routes PREFIX via ttc-khv (a
#                             multipath route is replaced); replies: star-gw
#                             sends what comes from PREFIX to 198.18.0.0/15 via
#                             ttc-vvo (policy rule, priority 900). The reply
#                             path is switched first; the moment is the
#                             forward switch (what a traceroute sees).
#   wb_move_to_unicom PREFIX  the same towards uni-bj / uni-dd.
#   wb_blackhole PREFIX       star-core: `ip route add blackhole PREFIX` —
#                             packets for PREFIX vanish inside STAR-KP, nothing
#                             answers (star-gw and star-core are silent).
#   wb_unblackhole PREFIX     removes it.
#   wb_pfx2as FILE            writes the topology's prefix2as table to FILE
#                             (kptb fixtures --pfx2as of the running topology).
#   wb_log                    path of the change log.

WB_T_BEFORE=""
WB_T_AFTER=""
WB_RULE_PRIO=900
WB_TABLE_TTC=250
WB_TABLE_UNICOM=251

wb_log() { echo "$TB_STATE/watch-changes.log"; }

# _wb_peer_addr NODE PEER — NODE's address on its link to PEER (the next hop
# PEER uses towards NODE).
_wb_peer_addr() {
    tb_query "[i['addr'] for i in t['nodes']['$1']['interfaces'] if i['peer'] == '$2'][0]"
}

# _wb_note ACTION PREFIX — log the bracket of the last change.
_wb_note() {
    echo "$1 $2 $WB_T_BEFORE $WB_T_AFTER" >>"$(wb_log)"
    tb_log "$1 $2 between $WB_T_BEFORE and $WB_T_AFTER"
}

# _wb_reply_table TABLE NEXT DEV — star-gw's table TABLE: 198.18.0.0/15 via
# NEXT on DEV (idempotent).
_wb_reply_table() {
    ip -n "$(tb_ns star-gw)" route replace 198.18.0.0/15 via "$2" dev "$3" table "$1" ||
        die "watch_lib: star-gw table $1"
}

# _wb_move PREFIX TRANSIT-ENTRY BORDER TABLE ACTION
_wb_move() {
    local p=$1 entry=$2 border=$3 table=$4 action=$5 gw isp
    gw=$(tb_ns star-gw) || return 1
    isp=$(tb_ns isp-asia) || return 1
    _wb_reply_table "$table" "$(_wb_peer_addr "$border" star-gw)" "$(tb_iface star-gw "$border")"
    ip -n "$gw" rule del from "$p" priority "$WB_RULE_PRIO" 2>/dev/null
    ip -n "$gw" rule add from "$p" lookup "$table" priority "$WB_RULE_PRIO" ||
        die "watch_lib: star-gw rule from $p"
    local nh dev
    nh=$(_wb_peer_addr "$entry" isp-asia)
    dev=$(tb_iface isp-asia "$entry")
    WB_T_BEFORE=$(date +%s.%N)
    ip -n "$isp" route replace "$p" via "$nh" dev "$dev" || die "watch_lib: isp-asia route $p via $entry"
    WB_T_AFTER=$(date +%s.%N)
    _wb_note "$action" "$p"
}

# wb_move_to_ttc PREFIX — PREFIX from vp-asia is carried by TTC, both ways.
wb_move_to_ttc() { _wb_move "$1" ttc-khv ttc-vvo "$WB_TABLE_TTC" move_to_ttc; }

# wb_move_to_unicom PREFIX — PREFIX from vp-asia is carried by Unicom, both ways.
wb_move_to_unicom() { _wb_move "$1" uni-bj uni-dd "$WB_TABLE_UNICOM" move_to_unicom; }

# _wb_blackhole_route add|del PREFIX ACTION — star-core's blackhole route, bracketed.
_wb_blackhole_route() {
    local core
    core=$(tb_ns star-core) || return 1
    WB_T_BEFORE=$(date +%s.%N)
    ip -n "$core" route "$1" blackhole "$2" || die "watch_lib: $3 $2"
    WB_T_AFTER=$(date +%s.%N)
    _wb_note "$3" "$2"
}

# wb_blackhole PREFIX — star-core drops PREFIX silently.
wb_blackhole() { _wb_blackhole_route add "$1" blackhole; }

# wb_unblackhole PREFIX — star-core forwards PREFIX again.
wb_unblackhole() { _wb_blackhole_route del "$1" unblackhole; }

# wb_pfx2as FILE — the running topology's prefix2as table (every announce).
wb_pfx2as() {
    local topo
    topo=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["topology"])' "$TB_STATE/state.json") ||
        die "watch_lib: no topology in $TB_STATE/state.json"
    "$KPTB" fixtures "$topo" --pfx2as >"$1" || die "watch_lib: kptb fixtures --pfx2as $topo"
}
