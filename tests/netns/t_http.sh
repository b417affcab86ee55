#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The daemon's HTTP endpoint (--http 198.18.0.1:PORT in the server namespace, queried with curl
# there) while it follows the API fixture (tests/kube/fixture.py):
# - started while the fixture forbids its token (403): /readyz is 503 and says why, /healthz
#   is 200, /metrics says ready 0 and refused 1, and XDP is not attached;
# - the token allowed: the first sync completes, XDP attaches and /readyz becomes 200 "ready";
# - /metrics: the answer_a counter rises by exactly the number of A queries XDP answered (kdig
#   from the client namespace) and agrees with xdpdnsctl stats; the daemon's gauges are there;
# - the token forbidden at run time (watches cut): /readyz 503 with the 403 status while the
#   last good data keeps answering; allowed again: 200;
# - 404 for other paths, 405 (with Allow) for other methods, HEAD; SIGTERM closes the port.
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
command -v curl >/dev/null 2>&1 || xt_skip "curl is not installed (make deps)"
command -v openssl >/dev/null 2>&1 || xt_skip "openssl is not installed (make deps)"
xt_topology

FX=$XT_TMP/fx
FIXTURE=$XT_ROOT/tests/kube/fixture.py
HTTP_PORT=9353
URL=http://$XT_SRV4:$HTTP_PORT
KEPT=kubernetes.default.svc.$XT_ZONE

# The fixture runs in the server namespace: xt_cleanup stops it with everything else there.
out=$XT_TMP/fx.out
nsenter --net="/run/netns/$XT_SRV" -- "$XT_PY" "$FIXTURE" --dir "$FX" --load "$XT_OBJECTS" \
	--bookmark-interval 1 >"$out" 2>"$XT_TMP/fx.err" &
disown $!
for _ in $(seq 150); do
	[ -s "$out" ] && break
	sleep 0.1
done
[ -s "$out" ] || xt_bail "the fixture did not start: $(tail -n 3 "$XT_TMP/fx.err")"
CTL=$(jq -r .control "$out")
TOKEN=$(cat "$FX/token")

# ctl METHOD PATH [BODY]: the fixture's control port.
ctl()
{
	xt_nsrun "$XT_SRV" curl -s -f --max-time 10 -X "$1" "$CTL/$2" ${3:+--data-binary "$3"} \
		>/dev/null || xt_fail "fixture control: $1 $2 $3"
}

# http [CURL-ARG...] PATH: "CODE BODY" of one request to the daemon ("000" when refused).
http()
{
	local path=${*: -1} body=$XT_TMP/http.body code
	: >"$body"
	code=$(xt_nsrun "$XT_SRV" curl -s --max-time 5 -o "$body" -w '%{http_code}' \
		"${@:1:$#-1}" "$URL$path")
	printf '%s %s' "$code" "$(cat "$body")"
}

# wait_http PATH PATTERN: poll until "CODE BODY" matches PATTERN (ERE), at most 30 s; the last
# answer is left in $GOT.
GOT=
wait_http()
{
	local deadline=$((SECONDS + 30))
	while :; do
		GOT=$(http "$1")
		grep -qE -- "$2" <<<"$GOT" && return 0
		xt_daemon_alive || xt_bail "the daemon exited; last $1: $GOT"
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# metric NAME: its value in a /metrics scrape.
metric()
{
	xt_nsrun "$XT_SRV" curl -s --max-time 5 "$URL/metrics" |
		awk -v n="$1" '$1 == n { v = $2 } END { print (v == "" ? "missing" : v) }'
}

# ---- started while the token is forbidden ----
ctl POST tokens "{\"forbid\": [\"$TOKEN\"]}"
XT_NSTART=$((XT_NSTART + 1))
XT_DLOG=$XT_TMP/daemon$XT_NSTART.log
nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" --interface "$XT_SRV_IF" \
	--listen "$XT_SRV4,$XT_SRV6" --kubeconfig "$FX/kubeconfig" --pin-dir "$XT_PIN" \
	--xdp-mode native --http "$XT_SRV4:$HTTP_PORT" 2>"$XT_DLOG" >&2 &
XT_DPID=$!
xt_log "daemon pid $XT_DPID: xdpdns --kubeconfig $FX/kubeconfig --http $XT_SRV4:$HTTP_PORT"

wait_http /readyz '^503 not ready: kube: forbidden \(403\) on /api' &&
	xt_ok "forbidden at start: /readyz 503 names the 403 ($GOT)" ||
	xt_fail "forbidden at start: /readyz is '$GOT'"
xt_expect "forbidden at start: /healthz" "$(http /healthz)" "200 ok"
xt_expect "forbidden at start: xdpdns_ready" "$(metric xdpdns_ready)" 0
xt_expect "forbidden at start: xdpdns_kube_refused" "$(metric xdpdns_kube_refused)" 1
xt_expect "forbidden at start: XDP not attached" "$(xt_srv_xdp_mode)" none
grep -q '^xdpdns: info: ready$' "$XT_DLOG" && xt_fail "forbidden at start: 'ready' logged" ||
	xt_ok "forbidden at start: 'ready' not logged"

# ---- allowed: first sync, attach, ready ----
ctl POST tokens "{\"allow\": [\"$TOKEN\"]}"
wait_http /readyz '^200 ready$' && xt_ok "token allowed: /readyz 200 ready" ||
	xt_fail "token allowed: /readyz is '$GOT'"
grep -q '^xdpdns: info: ready$' "$XT_DLOG" && xt_ok "'ready' logged before /readyz said so" ||
	xt_fail "/readyz 200 without 'ready' in the log"
xt_expect "ready: XDP attached" "$(xt_srv_xdp_mode)" native
xt_expect "ready: xdpdns_ready" "$(metric xdpdns_ready)" 1
xt_expect "ready: xdpdns_kube_refused" "$(metric xdpdns_kube_refused)" 0
xt_expect "ready: xdpdns_degraded" "$(metric xdpdns_degraded)" 0
for m in xdpdns_kube_events_total xdpdns_zone_objects xdpdns_zone_names xdpdns_zone_entries \
	xdpdns_publishes_total xdpdns_zone_soa_serial; do
	v=$(metric "$m")
	[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] && xt_ok "ready: $m is $v" ||
		xt_fail "ready: $m is '$v'"
done
v=$(metric xdpdns_publish_age_seconds)
[[ "$v" =~ ^[0-9]+\.[0-9]{3}$ ]] && xt_ok "ready: xdpdns_publish_age_seconds is $v" ||
	xt_fail "ready: xdpdns_publish_age_seconds is '$v'"

# ---- the counters follow queries answered by XDP ----
A='xdpdns_packets_total{reason="answer_a",verdict="tx"}'
for _ in 1 2 3; do xt_kdig "$XT_TMP/w.json" "$XT_SRV4" "$KEPT" A && break; done
a0=$(metric "$A")
for i in 1 2 3 4 5; do
	xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$KEPT" A || xt_fail "query $i: no answer"
done
a1=$(metric "$A")
xt_expect "/metrics: answer_a rose by the 5 queries" "$((a1 - a0))" 5
xt_stats "$XT_TMP/stats"
xt_expect "/metrics agrees with xdpdnsctl stats" "$(xt_stat "$XT_TMP/stats" answer_a)" "$a1"
n=$(xt_nsrun "$XT_SRV" curl -s --max-time 5 "$URL/metrics" | grep -c '^xdpdns_packets_total{')
xt_expect "/metrics: one sample per reason" "$n" "$(grep -c . "$XT_TMP/stats")"

# ---- forbidden at run time ----
ctl POST tokens "{\"forbid\": [\"$TOKEN\"]}"
ctl POST cut '{"how": "fin"}'
wait_http /readyz '^503 not ready: kube: forbidden \(403\) .*; serving the last good data$' &&
	xt_ok "forbidden later: /readyz 503 ($GOT)" || xt_fail "forbidden later: /readyz is '$GOT'"
xt_expect "forbidden later: /healthz" "$(http /healthz)" "200 ok"
if xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$KEPT" A; then
	xt_expect "forbidden later: the last good data answers" "$(xt_rdata "$XT_TMP/q.json" A)" \
		10.96.0.1
else
	xt_fail "forbidden later: no answer"
fi
ctl POST tokens "{\"allow\": [\"$TOKEN\"]}"
wait_http /readyz '^200 ready$' && xt_ok "allowed again: /readyz 200" ||
	xt_fail "allowed again: /readyz is '$GOT'"

# ---- HTTP itself ----
xt_expect "unknown path: 404" "$(http /nope)" \
	"404 not found: the paths are /healthz, /readyz and /metrics"
xt_expect "POST: 405" "$(http -X POST -d x=1 /readyz)" "405 method not allowed: use GET or HEAD"
allow=$(xt_nsrun "$XT_SRV" curl -s -o /dev/null -D - -X POST -d x=1 "$URL/metrics" |
	tr -d '\r' | sed -n 's/^Allow: //Ip')
xt_expect "405 carries Allow" "$allow" "GET, HEAD"
head=$(xt_nsrun "$XT_SRV" curl -s -I -o /dev/null -w '%{http_code} %{size_download}' \
	"$URL/readyz")
xt_expect "HEAD /readyz: 200, no body" "$head" "200 0"
type=$(xt_nsrun "$XT_SRV" curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")
xt_expect "/metrics content type" "$type" "text/plain; version=0.0.4; charset=utf-8"

xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_expect "SIGTERM: the port is closed" "$(http /healthz)" "000 "
xt_done
