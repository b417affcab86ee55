#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Promotion of hot forwarded answers into the fast path (userspace/server/promote.h, the
# xdpdns_cache map): the daemon forwards to a Knot DNS upstream in the server namespace
# (127.0.0.2), which serves hot.example.test with TTL 8. Queried from the client namespace:
# - the first query is passed by XDP (pass_not_authoritative) and answered by the slow path
#   from the upstream, the next ones from its cache;
# - once popular (PROMOTE_MIN_HITS cache hits) a tick promotes it: XDP answers it
#   (answer_cached; the server's kernel sees no UDP at all), RA set, AA clear, the same
#   records, with a TTL that decreases from one query to the next;
# - past its expiry XDP passes it (pass_cache_expired): the daemon is stopped (SIGSTOP) across
#   the expiry, so that no promoter tick removes the entry first; once continued, the slow
#   path refreshes it from the upstream and it is promoted again with a fresh TTL.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
command -v knotd >/dev/null 2>&1 || xt_skip "knotd is not installed (apt-get install knot)"
xt_topology

KA=127.0.0.2
NAME=hot.example.test
TTL=8

xt_knot ka "$KA@53" example.test <<EOF
ns	A 198.18.0.53
hot	$TTL A 198.18.1.2
hot	$TTL A 198.18.1.3
EOF
xt_knot_wait ka "$KA" 53 "$NAME"
xt_ok "knot upstream is up"

xt_daemon_start --upstream "$KA"
xt_daemon_wait_ready


# q DESC [unanswered]: one query for $NAME A; its reply in $XT_TMP/q.json, counters before
# and after in $XT_TMP/s0 and $XT_TMP/s1, the server's received UDP before and after in U0
# and U1. With "unanswered", no answer is expected.
q()
{
	xt_stats "$XT_TMP/s0"
	U0=$(xt_srv_udp_in)
	if xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$NAME" A; then
		[ "${2:-}" != unanswered ] || xt_fail "$1: answered"
	else
		[ "${2:-}" = unanswered ] || xt_fail "$1: no answer"
		echo '{}' >"$XT_TMP/q.json"
	fi
	U1=$(xt_srv_udp_in)
	xt_stats "$XT_TMP/s1"
}

rdata() { xt_rdata "$XT_TMP/q.json" A | tr '\n' ' '; }
ttl() { jq -r '[.answerRRs[]?.TTL] | unique | map(tostring) | join(",")' "$XT_TMP/q.json"; }
flags() { jq -r '"QR=\(.QR) AA=\(.AA) RA=\(.RA) RCODE=\(.RCODE)"' "$XT_TMP/q.json"; }

# The rise of one counter across the last q.
rise() { echo $(($(xt_stat "$XT_TMP/s1" "$1") - $(xt_stat "$XT_TMP/s0" "$1"))); }

# Wait (at most 5 s: a tick is 1 s) until xdpdnsctl says XDP answers $NAME A from the cache.
wait_promoted()
{
	for i in $(seq 50); do
		xt_ctl lookup $NAME A >"$XT_TMP/lookup" 2>&1
		grep -q 'verdict    answer_cached' "$XT_TMP/lookup" && return 0
		sleep 0.1
	done
	return 1
}

# ---- the slow path first ----------------------------------------------------------------------

q "first query"
xt_expect "first: passed by XDP as not authoritative" "$(rise pass_not_authoritative)" 1
xt_expect "first: from the upstream" "$(flags) $(rdata)" \
	"QR=1 AA=0 RA=1 RCODE=0 198.18.1.2 198.18.1.3 "
for n in 2 3 4; do
	q "query $n"
	xt_expect "query $n: slow path (cache)" "$(rise pass_not_authoritative) $(rise answer_cached)" \
		"1 0"
done

# ---- promoted -------------------------------------------------------------------------------

wait_promoted && xt_ok "promoted into the cache map" ||
	xt_bail "not promoted: $(cat "$XT_TMP/lookup")"
q "promoted"
xt_expect "promoted: answered by XDP" "$(rise answer_cached) $(rise pass_not_authoritative)" "1 0"
xt_expect "promoted: the kernel saw no UDP" "$((U1 - U0))" 0
xt_expect "promoted: RA, not AA, same records" "$(flags) $(rdata)" \
	"QR=1 AA=0 RA=1 RCODE=0 198.18.1.2 198.18.1.3 "
t1=$(ttl)
[ -n "$t1" ] && [ "$t1" -ge 1 ] && [ "$t1" -lt $TTL ] && xt_ok "promoted: TTL $t1 (of $TTL)" ||
	xt_fail "promoted: TTL '$t1', want 1..$((TTL - 1)), one for every record"
sleep 1.1
q "promoted, later"
xt_expect "later: answered by XDP" "$(rise answer_cached)" 1
t2=$(ttl)
[ -n "$t2" ] && [ "$t2" -lt "$t1" ] && xt_ok "the TTL counts down: $t1, then $t2" ||
	xt_fail "the TTL did not count down: $t1, then '$t2'"

# ---- expired ----------------------------------------------------------------------------------

# Stopped, the daemon neither ticks nor answers: the entry stays in the map past its expiry,
# and the passed query waits in the socket until the daemon continues.
k0=$(xt_knot_count ka 'request-protocol[udp4]')
kill -STOP "$XT_DPID"
sleep "$((t2 + 1)).2"
q "expired" unanswered
xt_expect "expired: passed by XDP" "$(rise pass_cache_expired) $(rise answer_cached)" "1 0"
kill -CONT "$XT_DPID"
wait_promoted && xt_ok "promoted again" || xt_fail "not promoted again: $(cat "$XT_TMP/lookup")"
xt_expect "the slow path refreshed it from the upstream once" "$(($(xt_knot_count ka 'request-protocol[udp4]') - k0))" 1
q "promoted again"
xt_expect "promoted again: answered by XDP, same records" "$(rise answer_cached) $(rdata)" \
	"1 198.18.1.2 198.18.1.3 "
t3=$(ttl)
[ -n "$t3" ] && [ "$t3" -ge 1 ] && [ "$t3" -lt $TTL ] && xt_ok "with a fresh TTL: $t3" ||
	xt_fail "TTL after the refresh '$t3', want 1..$((TTL - 1))"

xt_done
