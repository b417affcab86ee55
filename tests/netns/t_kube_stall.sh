#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# A watch that stalls (its connection stays open, nothing more arrives: no event, no bookmark,
# no end) is detected and replaced, end to end against the fixture (tests/kube/fixture.py):
# - --watch-timeout 5 reaches the server as every watch's timeoutSeconds; the no-progress
#   timeout derived from it is 5 s + 2 s;
# - the open watches stall and a service is created behind them: the daemon logs that nothing
#   was received for 7000 ms, watches again from its resourceVersion, and the service answers;
#   the last good data answers meanwhile;
# - every watch stalls, the new ones too: the one that had received events is watched again,
#   two stalls in a row make the daemon list again, and a service created behind them answers
#   (a list is not stalled);
# - unstalled, a change is followed again as usual.
# Without the stall detection the services watch never learns of the change: the checks fail.
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
# shellcheck source=tests/netns/kube_lib.sh
. "$(dirname "$0")/kube_lib.sh"

KEPT=kubernetes.default.svc.$Z
NO_PROGRESS_MS=7000	# --watch-timeout 5: 5 s + max(2 s, 5 s / 10)

fx_start --load "$XT_OBJECTS"
kube_daemon_start --kubeconfig "$FX/kubeconfig" --watch-timeout 5
xt_daemon_wait_ready
xt_expect "XDP attached" "$(xt_srv_xdp_mode)" native
for i in 1 2 3; do xt_kdig "$XT_TMP/w.json" "$XT_SRV4" "$KEPT" A && break; done
xt_expect "demo: $KEPT" "$(xt_a "$KEPT")" 10.96.0.1

# Every watch the daemon opened asked for timeoutSeconds=5.
deadline=$((SECONDS + 10))
until [ "$(ctl GET stats | jq '.watches | length')" -ge 3 ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
got=$(ctl GET requests | jq -r '[.requests[] | select(.kind == "WATCH") |
	.query.timeoutSeconds | if type == "array" then .[0] else . end] | unique | join(",")')
xt_expect "--watch-timeout 5: the watches' timeoutSeconds" "$got" 5

# ---- the open watches stall; a change behind them ----
n=$(ctl POST stall '{"new": false}' | jq .stalled)
xt_log "$n watches stalled"
[ "$n" -ge 1 ] && xt_ok "the fixture stalled the open watches ($n)" ||
	xt_fail "the fixture stalled no watch"
n_again=$(grep -c 'nothing received for [0-9]* ms; watching again' "$XT_DLOG")
n_watch=$(fx_count 'WATCH /api/v1/services 200')
t0=$(now_ms)
ctl POST objects "$(svc_json demo behind 10.96.100.61)" >/dev/null ||
	xt_fail "control: create behind.demo"
xt_expect "stalled: $KEPT still answers" "$(xt_a "$KEPT")" 10.96.0.1
follow "stalled: behind.demo (created behind the stalled watch) answers" "behind.demo.svc.$Z" A \
	10.96.100.61 "$t0" 30
grep -q "watch of /api/v1/services: nothing received for $NO_PROGRESS_MS ms; watching again" \
	"$XT_DLOG" && xt_ok "the stall of the services watch is logged, after ${NO_PROGRESS_MS} ms" ||
	xt_fail "no 'nothing received for $NO_PROGRESS_MS ms' line for /api/v1/services"
[ "$(grep -c 'nothing received for [0-9]* ms; watching again' "$XT_DLOG")" -gt "$n_again" ] &&
	xt_ok "the stalled watches were replaced" || xt_fail "no stalled watch was replaced"
[ "$(fx_count 'WATCH /api/v1/services 200')" -gt "$n_watch" ] &&
	xt_ok "the services were watched again" || xt_fail "no new WATCH /api/v1/services"

# ---- every watch stalls, new ones too: the daemon lists again ----
ctl POST reset-stats >/dev/null
ctl POST stall '{"new": true}' >/dev/null || xt_fail "control: stall new watches"
t0=$(now_ms)
ctl POST objects "$(svc_json demo relisted 10.96.100.62)" >/dev/null ||
	xt_fail "control: create relisted.demo"
follow "stalled twice: relisted.demo answers after the relist" "relisted.demo.svc.$Z" A \
	10.96.100.62 "$t0" 45
log_wait 'watch of /api/v1/services: nothing received for [0-9]+ ms, twice; listing again' 5 &&
	xt_ok "two stalls in a row: the relist is logged" || xt_fail "no 'twice; listing again' line"
# The watch that replaced the first stalled one had received events: its stall is not the
# second in a row, so it is watched again first, and only the next one (silent) relists.
got=$(grep -o 'watch of /api/v1/services: nothing received for [0-9]* ms[;,] [a-z]*' "$XT_DLOG" |
	awk '{ print $NF }' | head -n 3 | paste -sd,)
xt_expect "the services watch: stalled, stalled after progress, stalled in a row" "$got" \
	watching,watching,twice
[ "$(fx_count 'LIST /api/v1/services 200')" -ge 1 ] && xt_ok "the services were listed again" ||
	xt_fail "no LIST /api/v1/services during the stall"
xt_expect "stalled twice: $KEPT still answers" "$(xt_a "$KEPT")" 10.96.0.1

# ---- unstalled: followed again ----
ctl POST unstall >/dev/null || xt_fail "control: unstall"
t0=$(now_ms)
ctl DELETE objects/services/demo/behind >/dev/null || xt_fail "control: delete behind.demo"
follow "unstalled: a delete is followed" "behind.demo.svc.$Z" A NXDOMAIN "$t0"
u0=$(xt_srv_udp_in)
xt_expect "unstalled: relisted.demo answers" "$(xt_a "relisted.demo.svc.$Z")" 10.96.100.62
xt_expect "answered in XDP (server stack received no UDP)" "$(($(xt_srv_udp_in) - u0))" 0

xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
