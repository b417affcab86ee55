#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Stale data is never served forever (DESIGN.md, fast path rules): with --stale-after 2,
# - a running daemon keeps the heartbeat fresh: answers still come from XDP after 3 s;
# - SIGSTOP the daemon: within a few seconds the program passes every query
#   (pass_stale_heartbeat rises by one per query, no answer_* counter moves, the server
#   stack receives the queries);
# - SIGCONT: the heartbeat resumes and XDP answers again.
# Native mode.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

Q=()
NAME=kube-dns.kube-system.svc.$XT_ZONE
STALE=2

xt_answer_total() { awk '$1 ~ /^answer_/ { n += $2 } END { print n + 0 }' "$1"; }

# xt_one_query: send one query; sets ANSWERED (0/1) and the deltas D_ANSWER, D_STALE, D_UDP.
xt_one_query()
{
	local s0=$XT_TMP/s0 s1=$XT_TMP/s1 u0 u1

	xt_stats "$s0"
	u0=$(xt_srv_udp_in)
	ANSWERED=0
	xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$NAME" A "${Q[@]}" && ANSWERED=1
	xt_stats "$s1"
	u1=$(xt_srv_udp_in)
	D_ANSWER=$(($(xt_answer_total "$s1") - $(xt_answer_total "$s0")))
	D_STALE=$(($(xt_stat "$s1" pass_stale_heartbeat) - $(xt_stat "$s0" pass_stale_heartbeat)))
	D_UDP=$((u1 - u0))
}

# Bytes waiting in the receive queues of the server namespace's UDP sockets on port 53.
xt_srv_udp_queued()
{
	ip netns exec "$XT_SRV" ss -Hnul 'sport = :53' | awk '{ n += $2 } END { print n + 0 }'
}

xt_init
xt_topology
xt_daemon_start --xdp-mode native --stale-after "$STALE"
xt_daemon_wait_ready
[ "$(xt_stat <(xt_ctl stats) pass_stale_heartbeat)" != missing ] ||
	xt_bail "xdpdnsctl stats lists no pass_stale_heartbeat counter"

xt_one_query
xt_expect "fresh: answered by XDP" "$ANSWERED $D_ANSWER $D_STALE $D_UDP" "1 1 0 0"

# Longer than --stale-after: the running daemon's heartbeat must keep the data served.
sleep $((STALE + 1))
xt_one_query
xt_expect "$((STALE + 1)) s later, daemon running: still answered by XDP" \
	"$ANSWERED $D_ANSWER $D_STALE $D_UDP" "1 1 0 0"

kill -STOP "$XT_DPID"
t0=$SECONDS
stale=0
while [ $((SECONDS - t0)) -lt $((STALE + 8)) ]; do
	xt_one_query
	if [ "$D_STALE" -gt 0 ]; then
		stale=1
		break
	fi
	sleep 0.2
done
if [ "$stale" = 1 ]; then
	xt_ok "stopped daemon: queries passed as stale after about $((SECONDS - t0)) s"
	[ $((SECONDS - t0)) -ge $((STALE - 1)) ] && xt_ok "not stale before --stale-after" ||
		xt_fail "stale after $((SECONDS - t0)) s already (--stale-after $STALE)"
else
	xt_fail "stopped daemon: still not stale after $((STALE + 8)) s"
fi
# One more, counted exactly: passed, not answered by XDP, received by the server stack. The
# stopped daemon's server does not read it (InDatagrams counts reads): it waits in the UDP
# socket's queue, whose byte count grows.
q0=$(xt_srv_udp_queued)
xt_one_query
q1=$(xt_srv_udp_queued)
xt_expect "stale: pass_stale_heartbeat +1, no answer_*, queued for the stopped server" \
	"$D_ANSWER $D_STALE $((q1 > q0))" "0 1 1"

kill -CONT "$XT_DPID"
t0=$SECONDS
fresh=0
while [ $((SECONDS - t0)) -lt 10 ]; do
	xt_one_query
	if [ "$ANSWERED" = 1 ] && [ "$D_ANSWER" = 1 ]; then
		fresh=1
		break
	fi
	sleep 0.2
done
if [ "$fresh" = 1 ]; then
	xt_ok "continued daemon: answered by XDP again after about $((SECONDS - t0)) s"
else
	xt_fail "continued daemon: not answered by XDP within 10 s"
fi
xt_one_query
xt_expect "fresh again: answered by XDP" "$ANSWERED $D_ANSWER $D_STALE $D_UDP" "1 1 0 0"

xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
