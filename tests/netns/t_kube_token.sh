#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Bearer-token rotation end to end against the fixture (tests/kube/fixture.py): the token file
# changes, the server accepts only the new token and cuts every connection, so the daemon must
# reconnect with the new token; a change made then must answer, and not one request may be
# refused (no 401 at the fixture, no 401 in the log: a daemon that kept the old token would
# retry in a 401 loop).
# - a kubeconfig with tokenFile: rewritten in place, then replaced by a rename;
# - in-cluster (KUBERNETES_SERVICE_HOST/PORT and the service account directory, laid out as
#   kubelet does: token -> ..data/token, ..data -> ..<timestamp>): rotated as kubelet does, by
#   swapping the ..data symlink. The daemon reads the fixed path
#   /var/run/secrets/kubernetes.io/serviceaccount, so it runs in a private mount namespace with
#   a tmpfs on /run that holds the directory; the test reaches it through /proc/PID/root.
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
command -v unshare >/dev/null 2>&1 || xt_skip "unshare is not installed (util-linux)"
xt_topology
# shellcheck source=tests/netns/kube_lib.sh
. "$(dirname "$0")/kube_lib.sh"

KEPT=kubernetes.default.svc.$Z
SA=/run/secrets/kubernetes.io/serviceaccount

# rotated DESC: the API accepts only $TOKEN now and every connection is cut; a service created
# then answers, and nothing was refused.
N_SVC=0
rotated()
{
	local desc=$1 t0
	N_SVC=$((N_SVC + 1))
	ctl POST tokens "{\"set\": [\"$TOKEN\"]}" >/dev/null || xt_fail "control: set the token"
	ctl POST cut '{"how": "fin", "all": true}' >/dev/null || xt_fail "control: cut"
	t0=$(now_ms)
	ctl POST objects "$(svc_json demo "rot$N_SVC" "10.96.100.$((70 + N_SVC))")" >/dev/null ||
		xt_fail "control: create rot$N_SVC.demo"
	follow "$desc: rot$N_SVC.demo, created after the rotation, answers" "rot$N_SVC.demo.svc.$Z" A \
		"10.96.100.$((70 + N_SVC))" "$t0"
	xt_expect "$desc: the API refused no request (401s at the fixture)" "$(fx_count_code 401)" 0
	xt_expect "$desc: no 401 in the daemon's log" "$(grep -c '401' "$XT_DLOG")" 0
	xt_expect "$desc: $KEPT answers" "$(xt_a "$KEPT")" 10.96.0.1
}

fx_start --load "$XT_OBJECTS"

# ---- kubeconfig tokenFile ----
kube_daemon_start --kubeconfig "$FX/kubeconfig-tokenfile"
xt_daemon_wait_ready
for i in 1 2 3; do xt_kdig "$XT_TMP/w.json" "$XT_SRV4" "$KEPT" A && break; done
xt_expect "tokenFile: $KEPT" "$(xt_a "$KEPT")" 10.96.0.1

TOKEN=rotated-in-place-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" >"$FX/token"
rotated "tokenFile rewritten in place"

TOKEN=rotated-by-rename-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" >"$FX/token.new"
mv "$FX/token.new" "$FX/token"
rotated "tokenFile replaced by a rename"
xt_daemon_stop TERM
xt_expect "tokenFile: SIGTERM: the daemon exits 0" "$XT_DRC" 0

# ---- in-cluster ----
# The first token directory; the daemon's private /run is populated from it at start.
SRC=$XT_TMP/sa
mkdir -p "$SRC/..2025_01_01_00_00_00.1"
TOKEN=in-cluster-$RANDOM$RANDOM
printf '%s' "$TOKEN" >"$SRC/..2025_01_01_00_00_00.1/token"
cp "$FX/ca.crt" "$SRC/..2025_01_01_00_00_00.1/ca.crt"
echo default >"$SRC/..2025_01_01_00_00_00.1/namespace"
ln -s ..2025_01_01_00_00_00.1 "$SRC/..data"
for f in token ca.crt namespace; do ln -s "..data/$f" "$SRC/$f"; done
ctl POST tokens "{\"set\": [\"$TOKEN\"]}" >/dev/null || xt_fail "control: set the token"
# shellcheck disable=SC2016  # expanded by the inner shell
KUBE_DAEMON_WRAP=(env KUBERNETES_SERVICE_HOST=127.0.0.1 "KUBERNETES_SERVICE_PORT=$API_PORT"
	unshare --mount --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run &&
		mkdir -p "$0" && cp -a "$1/." "$0/" && shift && exec "$@"' "$SA" "$SRC")
kube_daemon_start
xt_daemon_wait_ready
grep -q "following the Kubernetes API at https://127.0.0.1:$API_PORT (in-cluster)" "$XT_DLOG" &&
	xt_ok "in-cluster: the API from KUBERNETES_SERVICE_HOST/PORT" ||
	xt_fail "in-cluster: no 'following ... (in-cluster)' line"
[ -e "$SA" ] && xt_fail "in-cluster: $SA appeared outside the daemon's mount namespace" ||
	xt_ok "in-cluster: the service account directory is private to the daemon"
DSA=/proc/$XT_DPID/root$SA
[ -L "$DSA/..data" ] || xt_bail "in-cluster: $DSA/..data is not there"
xt_expect "in-cluster: $KEPT" "$(xt_a "$KEPT")" 10.96.0.1

# kubelet's AtomicWriter: a new timestamped directory, a new ..data link renamed over the old.
TOKEN=in-cluster-rotated-$RANDOM$RANDOM
mkdir "$DSA/..2025_01_01_01_00_00.2"
printf '%s' "$TOKEN" >"$DSA/..2025_01_01_01_00_00.2/token"
cp "$DSA/ca.crt" "$DSA/namespace" "$DSA/..2025_01_01_01_00_00.2/"
ln -s ..2025_01_01_01_00_00.2 "$DSA/..data_tmp"
mv -T "$DSA/..data_tmp" "$DSA/..data"
rm -rf "$DSA/..2025_01_01_00_00_00.1"
xt_expect "in-cluster: the token path reads the new token" "$(cat "$DSA/token")" "$TOKEN"
rotated "in-cluster, ..data swapped"

xt_daemon_stop TERM
xt_expect "in-cluster: SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
