#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Restarts never stop answering (DESIGN.md, loader/):
# 1. start; a query is answered by XDP;
# 2. SIGKILL the daemon: program and pins stay, XDP keeps answering;
# 3. start again with the same --pin-dir: it reuses the pinned maps (same map ids, counters
#    kept), leaves exactly one xdpdns program on the interface, and answers;
# 4. rolling update: a third instance starts, then the second gets SIGTERM: it leaves the
#    interface and the pins to the newer one, which keeps answering;
# 5. SIGTERM: exit 0, the pins and the pin directory are gone, no XDP program is left on the
#    interface, and a query gets no answer.
# Native mode.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

Q=()
NAME=kube-dns.kube-system.svc.$XT_ZONE

# xt_answered DESC: a query for NAME A is answered from XDP with the objects' addresses:
# answer_a +1 and nothing received by the server stack.
xt_answered()
{
	local s0=$XT_TMP/a0 s1=$XT_TMP/a1 u0 u1 want

	want=$(xt_obj_cluster_ips kube-system kube-dns 4)
	xt_stats "$s0"
	u0=$(xt_srv_udp_in)
	if xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$NAME" A "${Q[@]}"; then
		xt_expect "$1: A $NAME" "$(xt_rdata "$XT_TMP/q.json" A)" "$want"
	else
		xt_fail "$1: A $NAME: no answer ($(tr '\n' ' ' <"$XT_TMP/q.json.err"))"
	fi
	xt_stats "$s1"
	u1=$(xt_srv_udp_in)
	xt_expect "$1: answer_a rose by 1" \
		"$(($(xt_stat "$s1" answer_a) - $(xt_stat "$s0" answer_a)))" 1
	xt_expect "$1: the server stack received nothing" "$((u1 - u0))" 0
}

xt_map_id() { bpftool -j map show pinned "$XT_PIN/$1" 2>/dev/null | jq -r '.id // empty'; }

# Number of xdpdns programs on the server veth: the attached program itself, or the
# programs behind a libxdp dispatcher.
xt_xdpdns_progs()
{
	local name
	name=$(ip -n "$XT_SRV" -j -d link show dev "$XT_SRV_IF" | jq -r '.[0].xdp.prog.name // empty')
	case $name in
	"") echo 0 ;;
	xdpdns_xdp) echo 1 ;;
	xdp_dispatcher) xt_nsrun "$XT_SRV" xdp-loader status "$XT_SRV_IF" | grep -c xdpdns_xdp ;;
	*) echo "other program: $name" ;;
	esac
}

xt_init
xt_topology

xt_log "---- 1. first start ----"
xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
xt_answered "first instance"
maps=(xdpdns_ans_s xdpdns_ans_m xdpdns_ans_l xdpdns_zones xdpdns_config xdpdns_stats)
ids0=()
for m in "${maps[@]}"; do
	ids0+=("$m=$(xt_map_id "$m")")
done
xt_log "pinned maps: ${ids0[*]}"
[ -n "$(xt_map_id xdpdns_ans_s)" ] || xt_fail "no map pinned at $XT_PIN/xdpdns_ans_s"

xt_log "---- 2. SIGKILL ----"
xt_daemon_stop KILL
xt_expect "SIGKILL: the daemon is gone" "$XT_DRC" 137
xt_expect "after SIGKILL: the program is still attached" "$(xt_srv_xdp_mode)" native
xt_expect "after SIGKILL: the maps are still pinned" "$(xt_map_id xdpdns_ans_s)" \
	"${ids0[0]#*=}"
xt_answered "daemon killed"
a_before=$(xt_ctl stats | awk '$1 == "answer_a" { print $2 }')

xt_log "---- 3. second start, same --pin-dir ----"
xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
grep -q 'reusing the maps' "$XT_DLOG" && xt_ok "the second start says it reuses the maps" ||
	xt_fail "the second start does not say it reuses the pinned maps"
ids1=()
for m in "${maps[@]}"; do
	ids1+=("$m=$(xt_map_id "$m")")
done
xt_expect "second start: same map ids" "${ids1[*]}" "${ids0[*]}"
a_after=$(xt_ctl stats | awk '$1 == "answer_a" { print $2 }')
[ "${a_after:-0}" -ge "${a_before:-1}" ] && xt_ok "second start: counters kept ($a_after)" ||
	xt_fail "second start: counters reset (answer_a $a_before before, $a_after after)"
xt_expect "second start: exactly one xdpdns program on $XT_SRV_IF" "$(xt_xdpdns_progs)" 1
xt_answered "second instance"

xt_log "---- 4. rolling update: a third instance starts before the second stops ----"
older=$XT_DPID
xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
newer=$XT_DPID
XT_DPID=$older
xt_daemon_stop TERM
XT_DPID=$newer
xt_expect "rolling update: the older instance exits 0" "$XT_DRC" 0
xt_expect "rolling update: the newer program stays attached" "$(xt_srv_xdp_mode)" native
xt_expect "rolling update: the maps stay pinned" "$(xt_map_id xdpdns_ans_s)" "${ids0[0]#*=}"
xt_expect "rolling update: exactly one xdpdns program on $XT_SRV_IF" "$(xt_xdpdns_progs)" 1
xt_answered "after the older instance stopped"

xt_log "---- 5. SIGTERM ----"
xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_expect "SIGTERM: no XDP program on $XT_SRV_IF" "$(xt_srv_xdp_mode)" none
left=$(ls -A "$XT_PIN" 2>/dev/null)
xt_expect "SIGTERM: no pins left under $XT_PIN" "$left" ""
[ ! -e "$XT_PIN" ] && xt_ok "SIGTERM: the pin directory is removed" ||
	xt_fail "SIGTERM: the pin directory $XT_PIN is left behind"
t0=$SECONDS
if xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$NAME" A "${Q[@]}"; then
	xt_fail "after SIGTERM: a query was still answered"
else
	xt_ok "after SIGTERM: no answer ($(head -n 1 "$XT_TMP/q.json.err"))"
fi
[ $((SECONDS - t0)) -le 3 ] && xt_ok "after SIGTERM: the query failed within 3 s" ||
	xt_fail "after SIGTERM: the query took $((SECONDS - t0)) s to fail"
xt_done
