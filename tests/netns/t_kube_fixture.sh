#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck disable=SC2015,SC2317  # ok() always succeeds; cleanup() runs from the trap
#
# Fidelity of the Kubernetes API fixture (tests/kube/fixture.py) against real clients, so that the
# fixture the daemon's client is tested against cannot drift from the real protocol:
# - kubectl (whatever /usr/bin/kubectl or PATH has; Debian's kubernetes-client 1.20 or newer)
#   with the kubeconfig the fixture writes: paged lists (--chunk-size=2), namespaces,
#   EndpointSlices (an empty one served with endpoints/ports null), a watch that prints the
#   ADDED/MODIFIED/DELETED events of a Service changed through the control port, and 401/403;
# - the official Python client (Debian's python3-kubernetes): paging with _continue, an expired
#   continue token as HTTP 410, a watch from a compacted resourceVersion as an ERROR event with
#   code 410, bookmarks, events split across chunks (fragmented writes), an abrupt cut seen as a
#   protocol error and a timeout seen as a clean end;
# - curl for what no client library exposes: a watch from a future resourceVersion is 200 and
#   silent, and a stalled watch stays open and silent;
# - GET /timing/RV (the latency benchmark's clock): an event's CLOCK_MONOTONIC record time falls
#   between the control request and its reply, a watch writes it after that, and an unknown RV
#   is 404.
# Needs no root and no network namespace: it runs on 127.0.0.1 with free ports (bind 0).
# Exit 0 pass, 77 skip (no real client at all), 1 fail.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
FIXTURE=$ROOT/tests/kube/fixture.py
DEMO=$ROOT/deploy/examples/demo-objects.json
FAILS=0
PIDS=()

ok() { printf 'ok - %s\n' "$*"; }
fail()
{
	printf 'not ok - %s\n' "$*"
	FAILS=$((FAILS + 1))
}
skip()
{
	printf 'SKIP: %s\n' "$*"
	exit 77
}

[ -x "$PY" ] || skip "no $PY"
command -v openssl >/dev/null || skip "no openssl"
command -v curl >/dev/null || skip "no curl"
KUBECTL=$(command -v kubectl || true)
HAVE_PYK=0
"$PY" -c 'import kubernetes' 2>/dev/null && HAVE_PYK=1
[ -n "$KUBECTL" ] || [ "$HAVE_PYK" = 1 ] ||
	skip "no real Kubernetes client (make deps: kubernetes-client or python3-kubernetes)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpdns-kfx.XXXXXX") || exit 1
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- start the fixture ----
"$PY" "$FIXTURE" --dir "$TMP/fx" --load "$DEMO" --forbidden-token forbidden-token \
	--bookmark-interval 0.5 --seed 7 >"$TMP/fx.out" 2>"$TMP/fx.err" &
PIDS+=("$!")
for _ in $(seq 100); do
	[ -s "$TMP/fx.out" ] && break
	sleep 0.1
done
[ -s "$TMP/fx.out" ] || {
	cat "$TMP/fx.err"
	echo "not ok - the fixture did not start"
	exit 1
}
info() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	"$TMP/fx/fixture.json" "$1"; }
API=$(info api)
CTL=$(info control)
KC=$TMP/fx/kubeconfig
TOKEN=$(cat "$TMP/fx/token")
ok "fixture up: $API (control $CTL)"

ctl() { curl -s -f -X "$1" "$CTL/$2" ${3:+--data-binary "$3"}; }
svc_json()
{
	local labels=
	[ -z "${3:-}" ] || labels=',"labels":{"v":"'$3'"}'
	printf '{"kind":"Service","apiVersion":"v1","metadata":{"name":"%s","namespace":"demo"%s},' \
		"$1" "$labels"
	printf '"spec":{"type":"ClusterIP","clusterIP":"%s","ports":[{"port":80,"protocol":"TCP"}]}}' "$2"
}

# extra services so that --chunk-size=2 needs several pages
for i in 1 2 3 4 5; do
	ctl POST objects "$(svc_json "extra$i" "10.96.7.$i")" >/dev/null ||
		fail "control: create extra$i"
done
ctl POST objects '{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"empty-abcde","namespace":"demo","labels":{"kubernetes.io/service-name":"extra1"}},"addressType":"IPv4","endpoints":[],"ports":[]}' \
	>/dev/null || fail "control: create an empty EndpointSlice"
want_svcs=$(ctl GET objects | "$PY" -c '
import json, sys
print(" ".join(sorted("%s/%s" % (o["metadata"]["namespace"], o["metadata"]["name"])
			 for o in json.load(sys.stdin)["items"] if o["kind"] == "Service")))')

# ---- kubectl ----
if [ -n "$KUBECTL" ]; then
	K=("$KUBECTL" --kubeconfig "$KC" --cache-dir "$TMP/kcache" --request-timeout 20s)
	"$KUBECTL" version --client 2>/dev/null | sed 's/^/# kubectl: /' | head -n 1

	ctl POST reset-stats >/dev/null
	if "${K[@]}" get svc -A -o json --chunk-size=2 >"$TMP/svc.json" 2>"$TMP/k.err"; then
		got=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s/%s" % (o["metadata"]["namespace"], o["metadata"]["name"])
			 for o in d["items"])))' "$TMP/svc.json")
		[ "$got" = "$want_svcs" ] && ok "kubectl get svc -A --chunk-size=2: every service" ||
			fail "kubectl get svc -A: got [$got], want [$want_svcs]"
		pages=$(curl -s "$CTL/stats" | "$PY" -c '
import json, sys; print(json.load(sys.stdin)["requests"].get("LIST /api/v1/services 200", 0))')
		[ "$pages" -ge 6 ] && ok "kubectl paged through $pages pages of 2" ||
			fail "kubectl made $pages list requests, want >= 6 (11 services, pages of 2)"
	else
		fail "kubectl get svc -A -o json: $(cat "$TMP/k.err")"
	fi

	out=$("${K[@]}" get ns 2>&1)
	if grep -q '^NAME ' <<<"$out" && grep -qw kube-system <<<"$out" &&
		grep -qw demo <<<"$out"; then
		ok "kubectl get ns"
	else
		fail "kubectl get ns: $out"
	fi

	out=$("${K[@]}" get endpointslices.discovery.k8s.io -A 2>&1)
	grep -qw empty-abcde <<<"$out" && grep -qw demo <<<"$out" &&
		ok "kubectl get endpointslices.discovery.k8s.io -A" ||
		fail "kubectl get endpointslices -A: $out"
	"${K[@]}" get endpointslices.discovery.k8s.io -n demo empty-abcde -o json \
		>"$TMP/eps.json" 2>&1
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["endpoints"] is None and d["ports"] is None else 1)' "$TMP/eps.json" &&
		ok "an empty EndpointSlice has endpoints: null and ports: null" ||
		fail "empty EndpointSlice: $(cat "$TMP/eps.json")"

	# a watch that prints the events of a service changed through the control port
	"${K[@]}" get svc -A --watch -o json --output-watch-events >"$TMP/watch.out" \
		2>"$TMP/watch.err" &
	wpid=$!
	PIDS+=("$wpid")
	for _ in $(seq 100); do
		curl -s "$CTL/stats" | grep -q '"path": "/api/v1/services"' && break
		sleep 0.1
	done
	ctl POST objects "$(svc_json watched 10.96.8.1)" >/dev/null || fail "control: create"
	ctl PUT objects "$(svc_json watched 10.96.8.1 two)" >/dev/null || fail "control: update"
	ctl DELETE objects/services/demo/watched >/dev/null || fail "control: delete"
	for _ in $(seq 100); do
		grep -q '"DELETED"' "$TMP/watch.out" && break
		sleep 0.1
	done
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	"$PY" - "$TMP/watch.out" <<'EOF' && ok "kubectl --watch printed ADDED, MODIFIED, DELETED" ||
import json, sys
text = open(sys.argv[1]).read()
dec = json.JSONDecoder()
evs, i = [], 0
while i < len(text):
	if text[i].isspace():
		i += 1
		continue
	o, i = dec.raw_decode(text, i)
	evs.append(o)
mine = [(e["type"], e["object"]["metadata"].get("labels", {}).get("v"))
	for e in evs if e["object"]["metadata"]["name"] == "watched"]
initial = [e for e in evs if e["type"] == "ADDED"]
if mine != [("ADDED", None), ("MODIFIED", "two"), ("DELETED", "two")] or len(initial) < 12:
	print("# events:", mine, "initial ADDED:", len(initial))
	sys.exit(1)
EOF
		fail "kubectl --watch: $(head -c 2000 "$TMP/watch.out") $(cat "$TMP/watch.err")"

	# 401 with an unknown token, 403 with a forbidden one
	sed "s/token: .*/token: not-a-valid-token/" "$KC" >"$TMP/kc-bad"
	out=$("$KUBECTL" --kubeconfig "$TMP/kc-bad" --cache-dir "$TMP/kcache-bad" get svc -A 2>&1)
	rc=$?
	# kubectl 1.20 prints "(Unauthorized)", newer ones "(the server has asked for the client
	# to provide credentials)": both are its rendering of a 401 Status
	[ "$rc" != 0 ] && grep -qiE 'unauthorized|provide credentials' <<<"$out" &&
		ok "kubectl with a bad token: Unauthorized (401)" || fail "kubectl bad token: rc $rc: $out"
	sed "s/token: .*/token: forbidden-token/" "$KC" >"$TMP/kc-forbidden"
	out=$("$KUBECTL" --kubeconfig "$TMP/kc-forbidden" --cache-dir "$TMP/kcache-forb" \
		get svc -A 2>&1)
	rc=$?
	[ "$rc" != 0 ] && grep -qi forbidden <<<"$out" &&
		ok "kubectl with a forbidden token: Forbidden" || fail "kubectl forbidden: rc $rc: $out"
	out=$("$KUBECTL" --kubeconfig "$TMP/fx/kubeconfig-cert" --cache-dir "$TMP/kcache-cert" \
		get ns 2>&1)
	grep -qw kube-system <<<"$out" && ok "kubectl with the client certificate kubeconfig" ||
		fail "kubectl client certificate: $out"
else
	echo "# no kubectl: kubectl checks not run"
fi

# ---- curl: raw protocol details ----
# a watch from a resourceVersion the server has not reached: 200, then nothing
rv=$(curl -s "$CTL/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["resourceVersion"])')
curl -sk -N -H "Authorization: Bearer $TOKEN" -o "$TMP/future.out" -w '%{http_code}' \
	--max-time 2 "$API/api/v1/services?watch=1&resourceVersion=$((rv + 100))&allowWatchBookmarks=true" \
	>"$TMP/future.code"
[ "$(cat "$TMP/future.code")" = 200 ] && [ ! -s "$TMP/future.out" ] &&
	ok "a watch from a future resourceVersion: 200 and silent" ||
	fail "future watch: code $(cat "$TMP/future.code"), body $(head -c 300 "$TMP/future.out")"
code=$(curl -sk -o "$TMP/401.json" -w '%{http_code}' "$API/api/v1/services")
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if (d["kind"], d["apiVersion"], d["status"], d["reason"], d["code"]) ==
	 ("Status", "v1", "Failure", "Unauthorized", 401) else 1)' "$TMP/401.json" &&
	[ "$code" = 401 ] && ok "no token: 401 with a Status" || fail "no token: $code $(cat "$TMP/401.json")"

# ---- the official Python client ----
if [ "$HAVE_PYK" = 1 ]; then
	"$PY" - "$KC" "$CTL" <<'EOF' || FAILS=$((FAILS + 1))
import json, sys, threading, time, urllib.request
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kc, ctl = sys.argv[1], sys.argv[2]
fails = 0

def check(cond, what):
	global fails
	print(("ok - " if cond else "not ok - ") + what)
	if not cond:
		fails += 1

def control(method, path, body=None):
	data = json.dumps(body).encode() if body is not None else None
	req = urllib.request.Request(ctl + "/" + path, data=data, method=method)
	with urllib.request.urlopen(req) as r:
		return json.load(r)

def svc(name, label=None):
	meta = {"name": name, "namespace": "demo"}
	if label:
		meta["labels"] = {"v": label}
	return {"kind": "Service", "apiVersion": "v1", "metadata": meta,
		"spec": {"clusterIP": "10.96.9.9", "ports": [{"port": 53}]}}

config.load_kube_config(config_file=kc)
v1 = client.CoreV1Api()

# paging with _continue
names, cont, pages = [], None, 0
while True:
	r = v1.list_service_for_all_namespaces(limit=3, _continue=cont)
	pages += 1
	names += [s.metadata.name for s in r.items]
	cont = r.metadata._continue
	if not cont:
		break
full = v1.list_service_for_all_namespaces()
check(names == [s.metadata.name for s in full.items] and pages >= 4,
      "python client: paged list (%d pages of 3) equals the full list" % pages)

# an expired continue token is a real HTTP 410 Expired
r = v1.list_service_for_all_namespaces(limit=2)
control("POST", "objects", svc("bump"))
control("POST", "compact", {})
try:
	v1.list_service_for_all_namespaces(limit=2, _continue=r.metadata._continue)
	check(False, "python client: expired continue token gives 410")
except ApiException as e:
	body = json.loads(e.body)
	check(e.status == 410 and body["reason"] == "Expired" and
	      "too old to display a consistent list" in body["message"],
	      "python client: expired continue token gives HTTP 410 Expired")

# a watch from a compacted resourceVersion: ERROR event with a 410 Status
try:
	evs = list(watch.Watch().stream(v1.list_service_for_all_namespaces,
					resource_version=r.metadata.resource_version,
					timeout_seconds=3))
	check(False, "python client: watch from a compacted RV raises 410 (%r)" % evs)
except ApiException as e:
	check(e.status == 410 and "Expired" in str(e.reason),
	      "python client: watch from a compacted RV is an ERROR event, code 410")

# events split across chunks (fragmented writes), bookmarks, clean end at timeout
control("POST", "config", {"fragment": True})
rv = v1.list_service_for_all_namespaces().metadata.resource_version

def churn():
	time.sleep(0.7)
	control("POST", "objects", svc("frag"))
	for i in range(5):
		control("PUT", "objects", svc("frag", "v%d" % i))
	control("DELETE", "objects/services/demo/frag")
t = threading.Thread(target=churn)
t.start()
w = watch.Watch()
evs = list(w.stream(v1.list_service_for_all_namespaces, resource_version=rv,
		    allow_watch_bookmarks=True, timeout_seconds=3))
t.join()
control("POST", "config", {"fragment": False})
types = [e["type"] for e in evs if e["type"] != "BOOKMARK"]
bms = [e for e in evs if e["type"] == "BOOKMARK"]
check(types == ["ADDED"] + ["MODIFIED"] * 5 + ["DELETED"] and
      [e["object"].metadata.labels for e in evs if e["type"] == "MODIFIED"] ==
      [{"v": "v%d" % i} for i in range(5)],
      "python client: fragmented watch stream parsed, events in order")
check(len(bms) >= 2 and all(set(b["raw_object"]["metadata"]) <=
			    {"resourceVersion", "creationTimestamp"} for b in bms) and
      int(bms[-1]["raw_object"]["metadata"]["resourceVersion"]) >=
      int(evs[-2]["raw_object"]["metadata"]["resourceVersion"] if len(evs) > 1 else 0),
      "python client: BOOKMARKs carry only metadata.resourceVersion (%d seen)" % len(bms))

# an abrupt cut is a protocol error, not a clean end
rv = v1.list_service_for_all_namespaces().metadata.resource_version
resp = v1.list_service_for_all_namespaces(watch=True, resource_version=rv,
					 timeout_seconds=30, _preload_content=False)
threading.Timer(0.5, lambda: control("POST", "cut", {})).start()
try:
	for _ in resp.stream(1024):
		pass
	check(False, "python client: a cut watch ends with a protocol error")
except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError):
	check(True, "python client: a cut watch ends with a protocol error")

# a stalled watch stays open and silent; unstall delivers
resp = v1.list_service_for_all_namespaces(watch=True, resource_version=rv,
					 allow_watch_bookmarks=True, timeout_seconds=30,
					 _preload_content=False)
time.sleep(0.3)
st = control("POST", "stall", {})
control("POST", "objects", svc("stalled"))
got = []
rd = threading.Thread(target=lambda: got.append(resp.read(1)), daemon=True)
rd.start()
rd.join(1.5)
check(st["stalled"] >= 1 and rd.is_alive(),
      "a stalled watch sends nothing (bookmarks and events held back)")
control("POST", "unstall", {})
rd.join(3)
check(not rd.is_alive() and got and got[0], "unstall: the held events arrive")
control("POST", "cut", {})
resp.release_conn()

# 401 and 403 through the client
for tok, code in (("nope", 401), ("forbidden-token", 403)):
	cfg = client.Configuration.get_default_copy()
	cfg.api_key = {"authorization": "Bearer " + tok}
	try:
		client.CoreV1Api(client.ApiClient(cfg)).list_namespace()
		check(False, "python client: token %s gives %d" % (tok, code))
	except ApiException as e:
		b = json.loads(e.body)
		check(e.status == code and b["kind"] == "Status" and b["code"] == code,
		      "python client: token %s gives %d with a Status" % (tok, code))

sys.exit(1 if fails else 0)
EOF
else
	echo "# no python3-kubernetes: Python client checks not run"
fi

# ---- GET /timing/RV: when an event was recorded, and first written to a watch ----
"$PY" - "$API" "$CTL" "$TOKEN" "$TMP/fx/ca.crt" <<'EOF' || FAILS=$((FAILS + 1))
import http.client, json, ssl, sys, time, urllib.error, urllib.parse, urllib.request

api, ctl, tok, ca = sys.argv[1:5]
fails = 0


def check(cond, what):
	global fails
	print(('ok - ' if cond else 'not ok - ') + what)
	fails += 0 if cond else 1


def control(method, path, body=None):
	data = json.dumps(body).encode() if body is not None else None
	req = urllib.request.Request(ctl + '/' + path, data=data, method=method)
	try:
		with urllib.request.urlopen(req, timeout=10) as r:
			return r.status, json.load(r)
	except urllib.error.HTTPError as e:
		return e.code, json.load(e)


def svc(ip):
	return {'kind': 'Service', 'apiVersion': 'v1',
		'metadata': {'name': 'timed', 'namespace': 'demo'},
		'spec': {'type': 'ClusterIP', 'clusterIP': ip, 'ports': [{'port': 80}]}}


# the fixture and this process read the same CLOCK_MONOTONIC
t0 = time.monotonic_ns()
code, o = control('POST', 'objects', svc('10.96.9.1'))
t1 = time.monotonic_ns()
rv1 = int(o['metadata']['resourceVersion'])
code, tm = control('GET', 'timing/%d' % rv1)
check(code == 200 and tm.get('clock') == 'CLOCK_MONOTONIC' and
      t0 <= tm.get('emitted_ns', -1) <= t1,
      'timing: an event is recorded between the request and its reply (%d %r)' % (code, tm))

u = urllib.parse.urlsplit(api)
conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=10,
				   context=ssl.create_default_context(cafile=ca))
conn.request('GET', '/api/v1/namespaces/demo/services?watch=1&resourceVersion=%d' % rv1,
	     headers={'Authorization': 'Bearer ' + tok})
r = conn.getresponse()
code, o = control('PUT', 'objects', svc('10.96.9.2'))
rv2 = int(o['metadata']['resourceVersion'])
ev = json.loads(r.readline())
t2 = time.monotonic_ns()
conn.close()
code, tm = control('GET', 'timing/%d' % rv2)
check(ev['type'] == 'MODIFIED' and code == 200 and tm['written_ns'] is not None and
      tm['emitted_ns'] <= tm['written_ns'] <= t2,
      'timing: written by the watch after it was recorded, before the client read it (%r)' %
      (tm,))
code, tm = control('GET', 'timing/1')
check(code == 404 and tm.get('kind') == 'Status', 'timing: an unknown resourceVersion is 404')
control('DELETE', 'objects/services/demo/timed')
sys.exit(1 if fails else 0)
EOF

# the fixture restarts in place (same port, objects and resourceVersions)
before=$(ctl GET stats | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["resourceVersion"], d["port"])')
ctl POST restart '{"down_seconds": 0.3}' >/dev/null || fail "control: restart"
after=$(ctl GET stats | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["resourceVersion"], d["port"])')
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/api/v1/namespaces")
[ "$before" = "$after" ] && [ "$code" = 200 ] && ok "restart keeps port, objects and resourceVersion" ||
	fail "restart: before [$before] after [$after] list code $code"

if [ "$FAILS" -ne 0 ]; then
	echo "# fixture log (last 40 lines):"
	tail -n 40 "$TMP/fx.err" | sed 's/^/# /'
	echo "$FAILS check(s) failed"
	exit 1
fi
echo "all checks passed"
exit 0
