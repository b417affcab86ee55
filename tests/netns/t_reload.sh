#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# SIGHUP reloads --objects and reconciles the maps: after the file changes, a removed service
# answers NXDOMAIN, an added one answers, a changed ClusterIP answers its new address, and a
# name that exists before and after never stops answering while the reload happens (queried
# continuously through it). A file that no longer parses keeps the last good zone serving.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology

OBJ=$XT_TMP/objects.json
cp "$XT_OBJECTS" "$OBJ"
XT_OBJECTS=$OBJ
WEB=web.demo.svc.$XT_ZONE
KEPT=kubernetes.default.svc.$XT_ZONE
GONE=kube-dns.kube-system.svc.$XT_ZONE
NEW=added.demo.svc.$XT_ZONE

# xt_a NAME [TAG]: the A records of NAME (sorted, comma-separated), or the rcode on none.
# Concurrent callers pass distinct TAGs (their scratch file).
xt_a()
{
	local f=$XT_TMP/a${2:-}.json a

	xt_kdig "$f" "$XT_SRV4" "$1" A || { echo "no-answer"; return; }
	a=$(xt_rdata "$f" A | paste -sd,)
	[ -n "$a" ] && echo "$a" || jq -r '.RCODE | if . == 3 then "NXDOMAIN" else "rcode-\(.)" end' "$f"
}

xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
xt_expect "before: $WEB" "$(xt_a "$WEB")" 10.96.100.10
xt_expect "before: $GONE" "$(xt_a "$GONE")" 10.96.0.10
xt_expect "before: $NEW" "$(xt_a "$NEW")" NXDOMAIN

# The new objects: kube-dns removed, web moved to a new ClusterIP, a service added.
jq '.items |= (map(select(.kind != "Service" or .metadata.name != "kube-dns"))
	| map(if .kind == "Service" and .metadata.name == "web"
	      then .spec.clusterIP = "10.96.100.99" | .spec.clusterIPs = ["10.96.100.99"] else . end)
	+ [{"apiVersion": "v1", "kind": "Service",
	    "metadata": {"name": "added", "namespace": "demo"},
	    "spec": {"type": "ClusterIP", "clusterIP": "10.96.100.77", "clusterIPs": ["10.96.100.77"],
		     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}])' \
	"$OBJ" >"$XT_TMP/new.json" || xt_bail "jq could not write the new objects"
mv "$XT_TMP/new.json" "$OBJ"

# Query a name that exists before and after, continuously, while the reload happens.
(
	bad=0
	for i in $(seq 60); do
		got=$(xt_a "$KEPT" watch)
		[ "$got" = 10.96.0.1 ] || { bad=$((bad + 1)); echo "# query $i during the reload: $got"; }
	done
	echo "$bad" >"$XT_TMP/kept.bad"
) &
watcher=$!
sleep 0.2
kill -HUP "$XT_DPID"
deadline=$((SECONDS + 10))
until [ "$(xt_a "$WEB")" = 10.96.100.99 ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
wait "$watcher"
grep -q 'maps: .* inserted, .* updated, .* deleted' "$XT_DLOG" &&
	xt_ok "the reload logged its reconcile" || xt_fail "no reconcile line after SIGHUP"
xt_expect "after: $WEB has its new address" "$(xt_a "$WEB")" 10.96.100.99
xt_expect "after: $GONE is gone" "$(xt_a "$GONE")" NXDOMAIN
xt_expect "after: $NEW answers" "$(xt_a "$NEW")" 10.96.100.77
xt_expect "during: $KEPT never failed (of 60 queries)" "$(cat "$XT_TMP/kept.bad")" 0

# A broken file is refused and the last good zone keeps serving.
echo '{ not json' >"$OBJ"
kill -HUP "$XT_DPID"
deadline=$((SECONDS + 10))
until grep -q 'reload failed' "$XT_DLOG" || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
grep -q 'reload failed; still serving the previous objects' "$XT_DLOG" &&
	xt_ok "a broken file is refused" || xt_fail "no 'reload failed' line for a broken file"
xt_expect "after a broken reload: $NEW still answers" "$(xt_a "$NEW")" 10.96.100.77
xt_daemon_alive && xt_ok "the daemon survived the broken file" || xt_fail "the daemon died"
xt_daemon_stop TERM
xt_done
