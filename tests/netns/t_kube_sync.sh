#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# xdpdns --kubeconfig follows the Kubernetes API (the fixture, tests/kube/fixture.py, run in the
# server namespace on 127.0.0.1) and the fast path answers what the API says, end to end:
# - ready only after the first sync; the demo objects answer from XDP (server stack sees no UDP);
# - a ClusterIP service created through the API answers A; a headless service's EndpointSlice
#   scaled up and down moves its A set; a deleted service answers NXDOMAIN; an ExternalName
#   service answers CNAME;
# - watches stalled, a service deleted behind them, history compacted and the watches cut: the
#   daemon's resume is a 410, it relists, the deleted service is swept, and a name that exists
#   throughout answers correctly at every one of the queries sent continuously meanwhile;
# - a service changed into one that cannot be used loses its records (one log line names it);
#   one of an unknown type is skipped with one line; a slice with null endpoints is empty;
# - the token revoked: the status line says 401, the last good data keeps answering; restored:
#   the status is ok again and changes are followed;
# - the fixture process restarted (same port, state file): the daemon reconnects, relists and
#   still follows.
# Before all that, the source selection: --objects with --kubeconfig is refused, and so is a
# kubeconfig that cannot be used or an in-cluster start without the service account, all
# without attaching or pinning anything.
# The time from each control request to the first kdig answer showing it is printed (# latency);
# it includes curl's wait for the control reply and a kdig process per poll, so it bounds the
# daemon's latency from above (bench/kube_sync.sh measures it precisely).
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
# shellcheck source=tests/netns/kube_lib.sh
. "$(dirname "$0")/kube_lib.sh"

KEPT=kubernetes.default.svc.$XT_ZONE

# svc NAME CLUSTER-IP: a ClusterIP Service in demo.
svc()
{
	printf '{"kind":"Service","apiVersion":"v1","metadata":{"name":"%s","namespace":"demo"},' "$1"
	printf '"spec":{"type":"ClusterIP","clusterIP":"%s","clusterIPs":["%s"],' "$2" "$2"
	printf '"ports":[{"name":"http","port":80,"protocol":"TCP"}]}}'
}

# nginx's EndpointSlice with N ready endpoints 10.244.9.1..N
nginx_slice()
{
	jq -c --argjson n "$1" '.items[] | select(.kind == "EndpointSlice" and
		.metadata.name == "nginx-8pw2d") | del(.metadata.resourceVersion, .metadata.managedFields) |
		.endpoints = [range(1; $n + 1) | {addresses: ["10.244.9.\(.)"], hostname: "web-\(.)",
			conditions: {ready: true}}]' "$XT_OBJECTS"
}
seq_addrs() { seq 1 "$1" | sed 's/^/10.244.9./' | sort | paste -sd,; }

# ---- start: fixture, then the daemon with its kubeconfig ----
fx_start --load "$XT_OBJECTS"

# refused DESC PATTERN [ENV=V...] -- ARG...: exits non-zero at once, names the problem, leaves
# nothing attached or pinned.
refused()
{
	local desc=$1 pat=$2 envs=() out=$XT_TMP/refused.out rc
	shift 2
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env -u KUBERNETES_SERVICE_HOST "${envs[@]}" timeout 15 nsenter --net="/run/netns/$XT_SRV" -- \
		"$XT_XDPDNS" --interface "$XT_SRV_IF" --listen "$XT_SRV4" --pin-dir "$XT_PIN" "$@" \
		>"$out" 2>&1
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && xt_ok "$desc: refused (exit $rc)" ||
		xt_fail "$desc: exit $rc"
	grep -qiE -- "$pat" "$out" && xt_ok "$desc: the message names the problem" ||
		xt_fail "$desc: no message matching /$pat/: $(head -n 2 "$out")"
	xt_expect "$desc: nothing attached" "$(xt_srv_xdp_mode)" none
	[ -e "$XT_PIN" ] && xt_fail "$desc: $XT_PIN was created" || xt_ok "$desc: nothing pinned"
	rm -rf "$XT_PIN"
}
help=$("$XT_XDPDNS" --help)
grep -q -- --kubeconfig <<<"$help" && grep -q KUBERNETES_SERVICE_HOST <<<"$help" &&
	xt_ok "--help documents --kubeconfig and in-cluster" || xt_fail "--help lacks the API sources"
refused "--objects with --kubeconfig" 'objects and --kubeconfig' -- \
	--objects "$XT_OBJECTS" --kubeconfig "$FX/kubeconfig"
refused "no source outside a pod" 'objects or --kubeconfig is required' -- 
refused "unreadable kubeconfig" "$XT_TMP/none" -- --kubeconfig "$XT_TMP/none"
refused "in-cluster without a service account" 'serviceaccount' \
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=443 --

# --objects from xt_daemon_start is overridden: run the binary directly with --kubeconfig.
XT_NSTART=$((XT_NSTART + 1))
XT_DLOG=$XT_TMP/daemon$XT_NSTART.log
nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" --interface "$XT_SRV_IF" \
	--listen "$XT_SRV4,$XT_SRV6" --kubeconfig "$FX/kubeconfig" --pin-dir "$XT_PIN" \
	--reverse-zone in-addr.arpa,ip6.arpa --xdp-mode native 2>"$XT_DLOG" >&2 &
XT_DPID=$!
xt_log "daemon pid $XT_DPID: xdpdns --kubeconfig $FX/kubeconfig"
xt_daemon_wait_ready
grep -q 'first sync complete' "$XT_DLOG" && xt_ok "ready after the first sync" ||
	xt_fail "no 'first sync complete' line before ready"
xt_expect "XDP attached" "$(xt_srv_xdp_mode)" native
[ "$(fx_count 'LIST /api/v1/pods 200')" = 0 ] && xt_ok "pods are not listed (--pods insecure)" ||
	xt_fail "pods were listed without --pods verified"

for i in 1 2 3; do xt_kdig "$XT_TMP/w.json" "$XT_SRV4" "$KEPT" A && break; done
u0=$(xt_srv_udp_in)
xt_expect "demo: $KEPT" "$(xt_a "$KEPT")" 10.96.0.1
xt_expect "demo: web.demo" "$(xt_a "web.demo.svc.$Z")" 10.96.100.10
xt_expect "demo: nginx.demo (headless)" "$(xt_a "nginx.demo.svc.$Z")" \
	"$(xt_obj_ready_addrs demo nginx 4 | paste -sd,)"
xt_expect "demo: answered in XDP (server stack received no UDP)" "$(($(xt_srv_udp_in) - u0))" 0

# ---- the API changes, the answers follow ----
xt_expect "before: new.demo" "$(xt_a "new.demo.svc.$Z")" NXDOMAIN
t0=$(now_ms)
ctl POST objects "$(svc new 10.96.100.50)" >/dev/null || xt_fail "control: create new.demo"
follow "created ClusterIP service new.demo answers A" "new.demo.svc.$Z" A 10.96.100.50 "$t0"

t0=$(now_ms)
ctl PUT objects "$(nginx_slice 5)" >/dev/null || xt_fail "control: scale nginx to 5"
follow "headless nginx.demo scaled to 5" "nginx.demo.svc.$Z" A "$(seq_addrs 5)" "$t0"
t0=$(now_ms)
ctl PUT objects "$(nginx_slice 2)" >/dev/null || xt_fail "control: scale nginx to 2"
follow "headless nginx.demo scaled to 2" "nginx.demo.svc.$Z" A "$(seq_addrs 2)" "$t0"
xt_expect "the removed endpoint's hostname is gone" "$(xt_a "web-4.nginx.demo.svc.$Z")" NXDOMAIN

t0=$(now_ms)
ctl DELETE objects/services/demo/web >/dev/null || xt_fail "control: delete web.demo"
follow "deleted service web.demo answers NXDOMAIN" "web.demo.svc.$Z" A NXDOMAIN "$t0"

t0=$(now_ms)
ctl POST objects '{"kind":"Service","apiVersion":"v1","metadata":{"name":"ext","namespace":"demo"},"spec":{"type":"ExternalName","externalName":"db.example.com"}}' \
	>/dev/null || xt_fail "control: create ext.demo"
follow "ExternalName ext.demo answers CNAME" "ext.demo.svc.$Z" CNAME db.example.com. "$t0"

u0=$(xt_srv_udp_in)
xt_a "new.demo.svc.$Z" >/dev/null
xt_expect "changes answered in XDP (server stack received no UDP)" "$(($(xt_srv_udp_in) - u0))" 0

# ---- a change the zone cannot use removes the records ----
t0=$(now_ms)
ctl PUT objects "$(svc new 10.96.300.50)" >/dev/null || xt_fail "control: break new.demo"
follow "new.demo with an unusable clusterIP answers NXDOMAIN" "new.demo.svc.$Z" A NXDOMAIN "$t0"
grep -q 'skipping Service demo/new' "$XT_DLOG" && xt_ok "the unusable object is logged" ||
	xt_fail "no 'skipping Service demo/new' line"
t0=$(now_ms)
ctl PUT objects "$(svc new 10.96.100.50)" >/dev/null || xt_fail "control: repair new.demo"
follow "new.demo repaired answers again" "new.demo.svc.$Z" A 10.96.100.50 "$t0"

# ---- unusual objects from the API: skipped with one line each, or taken as they are ----
# A Service of an unknown type is skipped (one line naming it); an EndpointSlice whose
# endpoints the server sends as null (it does so for an empty list) is an empty slice, nothing
# to log. The neighbour created after each is applied after it: once it answers, so would the
# unusual one.
ctl POST objects '{"kind":"Service","apiVersion":"v1","metadata":{"name":"oddtype","namespace":"demo"},"spec":{"type":"Bogus","clusterIP":"10.96.100.53","clusterIPs":["10.96.100.53"]}}' \
	>/dev/null || xt_fail "control: create oddtype.demo"
t0=$(now_ms)
ctl POST objects "$(svc after-odd 10.96.100.54)" >/dev/null || xt_fail "control: create after-odd"
follow "the neighbour created after a Service of unknown type answers" "after-odd.demo.svc.$Z" A \
	10.96.100.54 "$t0"
xt_expect "a Service of unknown type: NXDOMAIN" "$(xt_a "oddtype.demo.svc.$Z")" NXDOMAIN
xt_expect "a Service of unknown type: exactly one log line names it" \
	"$(grep -c 'Service demo/oddtype' "$XT_DLOG")" 1
grep -q 'skipping Service demo/oddtype: spec.type "Bogus" is unknown' "$XT_DLOG" &&
	xt_ok "the line gives the reason" || xt_fail "no 'spec.type \"Bogus\" is unknown' reason"
t0=$(now_ms)
ctl PUT objects "$(nginx_slice 0)" >/dev/null || xt_fail "control: nginx slice emptied"
ctl POST objects "$(svc after-null 10.96.100.55)" >/dev/null || xt_fail "control: create after-null"
follow "the neighbour created after a slice with null endpoints answers" \
	"after-null.demo.svc.$Z" A 10.96.100.55 "$t0"
xt_expect "headless nginx.demo with null endpoints: NXDOMAIN" "$(xt_a "nginx.demo.svc.$Z")" \
	NXDOMAIN
xt_expect "a slice with null endpoints is not logged" "$(grep -c 'nginx-8pw2d' "$XT_DLOG")" 0
ctl GET objects | jq -e '.items[] | select(.metadata.name == "nginx-8pw2d") |
	.endpoints == null' >/dev/null && xt_ok "the fixture holds nginx-8pw2d with null endpoints" ||
	xt_fail "the fixture's nginx-8pw2d has endpoints"
t0=$(now_ms)
ctl PUT objects "$(nginx_slice 2)" >/dev/null || xt_fail "control: scale nginx to 2"
follow "headless nginx.demo scaled to 2 again" "nginx.demo.svc.$Z" A "$(seq_addrs 2)" "$t0"

# ---- 401: the status says so, the last good data keeps answering ----
TOKEN=$(cat "$FX/token")
ctl POST tokens "{\"revoke\": [\"$TOKEN\"]}" >/dev/null || xt_fail "control: revoke"
ctl POST cut '{"how": "fin"}' >/dev/null || xt_fail "control: cut"
deadline=$((SECONDS + 10))
until grep -q 'kube: status: unauthorized (401)' "$XT_DLOG" || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
grep -q 'kube: status: unauthorized (401)' "$XT_DLOG" && xt_ok "401: the status line says so" ||
	xt_fail "no 'kube: status: unauthorized (401)' line"
xt_expect "401: $KEPT still answers" "$(xt_a "$KEPT")" 10.96.0.1
xt_expect "401: new.demo still answers" "$(xt_a "new.demo.svc.$Z")" 10.96.100.50
n_ok=$(grep -c 'kube: status: ok' "$XT_DLOG")
ctl POST tokens "{\"add\": [\"$TOKEN\"]}" >/dev/null || xt_fail "control: restore the token"
deadline=$((SECONDS + 20))
until [ "$(grep -c 'kube: status: ok' "$XT_DLOG")" -gt "$n_ok" ] || [ "$SECONDS" -ge "$deadline" ]
do
	sleep 0.1
done
[ "$(grep -c 'kube: status: ok' "$XT_DLOG")" -gt "$n_ok" ] &&
	xt_ok "token restored: the status is ok again" || xt_fail "no 'kube: status: ok' after 401"
t0=$(now_ms)
ctl PUT objects "$(nginx_slice 2 | jq -c '.endpoints[0].conditions.ready = false')" >/dev/null ||
	xt_fail "control: nginx endpoint 1 not ready"
follow "after 401: an endpoint going unready is followed" "nginx.demo.svc.$Z" A 10.244.9.2 "$t0"
t0=$(now_ms)
ctl PUT objects "$(nginx_slice 2)" >/dev/null || xt_fail "control: nginx endpoint 1 ready"
follow "after 401: ready again" "nginx.demo.svc.$Z" A "$(seq_addrs 2)" "$t0"

# ---- a relist after 410, queried continuously ----
# The watches stall; a service is deleted and one created behind them; history is compacted
# and the watches cut: resuming from the daemon's resourceVersion is a 410, so it relists.
ctl POST reset-stats >/dev/null
(
	n=0 bad=0
	while [ ! -e "$XT_TMP/stop" ]; do
		n=$((n + 1))
		got=$(xt_a "$KEPT" A watch)
		[ "$got" = 10.96.0.1 ] || { bad=$((bad + 1)); echo "# query $n during the relist: $got"; }
		got=$(xt_a "nginx.demo.svc.$Z" A watch)
		[ "$got" = "$(seq_addrs 2)" ] ||
			{ bad=$((bad + 1)); echo "# query $n (nginx) during the relist: $got"; }
	done
	echo "$n $bad" >"$XT_TMP/kept.bad"
) &
watcher=$!
sleep 0.3
ctl POST stall '{"new": false}' >/dev/null || xt_fail "control: stall"
ctl DELETE objects/services/demo/new >/dev/null || xt_fail "control: delete new.demo"
ctl POST objects "$(svc behind 10.96.100.51)" >/dev/null || xt_fail "control: create behind.demo"
ctl POST compact '{}' >/dev/null || xt_fail "control: compact"
t0=$(now_ms)
ctl POST cut '{"how": "rst"}' >/dev/null || xt_fail "control: cut"
follow "after the relist: behind.demo (created behind the stalled watch) answers" \
	"behind.demo.svc.$Z" A 10.96.100.51 "$t0"
follow "after the relist: new.demo (deleted behind the stalled watch) is swept" \
	"new.demo.svc.$Z" A NXDOMAIN "$t0"
deadline=$((SECONDS + 10))
until [ "$(fx_count 'LIST /apis/discovery.k8s.io/v1/endpointslices 200')" -ge 1 ] &&
	[ "$(fx_count 'LIST /api/v1/namespaces 200')" -ge 1 ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
sleep 0.5	# a few more queries after every resource has relisted
touch "$XT_TMP/stop"
wait "$watcher"
read -r nq bad <"$XT_TMP/kept.bad"
xt_log "$nq query pairs during the relist"
[ "$nq" -ge 5 ] && xt_ok "queried continuously during the relist ($nq pairs)" ||
	xt_fail "only $nq query pairs during the relist"
xt_expect "during the relist: zero wrong answers for $KEPT and nginx.demo" "$bad" 0
[ "$(fx_count 'LIST /api/v1/services 200')" -ge 1 ] && xt_ok "services were relisted" ||
	xt_fail "no services relist after compaction"
grep -q 'Service demo/new: gone after a relist' "$XT_DLOG" && xt_ok "the sweep logged new.demo" ||
	xt_fail "no sweep line for new.demo"
ctl POST unstall >/dev/null

# ---- the fixture process restarts (same port, state kept) ----
ctl POST shutdown >/dev/null
for _ in $(seq 100); do
	kill -0 "$FX_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$FX_PID" 2>/dev/null && xt_bail "the fixture did not shut down"
xt_expect "API down: $KEPT still answers (last good data)" "$(xt_a "$KEPT")" 10.96.0.1
fx_start
t0=$(now_ms)
ctl POST objects "$(svc restarted 10.96.100.52)" >/dev/null || xt_fail "control: create restarted"
follow "after the fixture restart: restarted.demo answers" "restarted.demo.svc.$Z" A \
	10.96.100.52 "$t0"
xt_expect "after the fixture restart: behind.demo still answers" "$(xt_a "behind.demo.svc.$Z")" \
	10.96.100.51
t0=$(now_ms)
ctl DELETE objects/services/demo/behind >/dev/null || xt_fail "control: delete behind.demo"
follow "after the fixture restart: a delete is followed" "behind.demo.svc.$Z" A NXDOMAIN "$t0"

kill -HUP "$XT_DPID"
deadline=$((SECONDS + 5))
until grep -q 'SIGHUP: nothing to reload' "$XT_DLOG" || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
grep -q 'SIGHUP: nothing to reload' "$XT_DLOG" && xt_ok "SIGHUP with --kubeconfig: logged" ||
	xt_fail "no SIGHUP line"
xt_expect "after SIGHUP: restarted.demo answers" "$(xt_a "restarted.demo.svc.$Z")" 10.96.100.52

xt_log "latencies (ms, control request to kdig answer, kdig start-up included): ${LAT[*]}"
xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_expect "SIGTERM: XDP detached" "$(xt_srv_xdp_mode)" none
xt_done
