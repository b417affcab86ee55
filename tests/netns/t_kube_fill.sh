#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The first fill of the maps while the lists arrive (maps/fill.h, xdpdns.c), against the API
# fixture with a generated data set of a few thousand objects (several list pages each):
# 1. reference: the objects file itself (--objects), fresh maps, filled at once; the answer
#    maps are dumped;
# 2. fresh maps with --kubeconfig: the daemon fills them while listing, on the fill thread, and
#    says so; once ready, the answer maps hold exactly the reference's entries (the apexes'
#    SOA answers aside: they carry the serial, which must be the zone table's) and answers
#    come from XDP;
# 3. SIGKILL, then a new instance on the reused pins while names are queried continuously:
#    it must not fill progressively (a partial zone would take names away from the running
#    program): the last ClusterIP Service of the lists and the first one answer correctly at every
#    query until the new instance is ready and after.
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
# shellcheck source=tests/netns/kube_lib.sh
. "$(dirname "$0")/kube_lib.sh"

OBJ=$XT_TMP/objects.json
"$XT_PY" "$XT_ROOT/bench/gen-objects.py" --services 1000 --endpoints 2000 >"$OBJ" ||
	xt_bail "gen-objects.py failed"
FIRST=svc-00000.ns-0000.svc.$Z
# the last ClusterIP Service of the list: in its last page
SVCS='[.items[] | select(.kind == "Service" and .spec.clusterIP != "None")]'
LAST=$(jq -r "$SVCS"' | last | .metadata | "\(.name).\(.namespace)"' "$OBJ").svc.$Z
FIRST_IP=$(jq -r "$SVCS | first | .spec.clusterIP" "$OBJ")
LAST_IP=$(jq -r "$SVCS | last | .spec.clusterIP" "$OBJ")
xt_log "$(jq '.items | length' "$OBJ") objects; queried: $FIRST $FIRST_IP, $LAST $LAST_IP"

# dump_answers OUT: every entry of the three answer maps, "key value" in hex, one per line,
# sorted; the apexes' SOA answers (qtype 6: keys starting 0006) are left out: they carry the
# serial.
dump_answers()
{
	local m
	for m in xdpdns_ans_s xdpdns_ans_m xdpdns_ans_l; do
		bpftool map dump pinned "$XT_PIN/$m" -j
	done | jq -r '.[] | [.key, .value] | map(map(ltrimstr("0x")) | join("")) | join(" ")' |
		grep -v '^0006' | sort >"$1" || xt_bail "cannot read the answer maps"
}

xt_log "---- 1. reference: --objects, fresh maps ----"
XT_OBJECTS=$OBJ xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
dump_answers "$XT_TMP/ref.txt"
xt_log "reference: $(wc -l <"$XT_TMP/ref.txt") answer entries"
[ "$(wc -l <"$XT_TMP/ref.txt")" -gt 5000 ] && xt_ok "reference dumped" ||
	xt_fail "reference: only $(wc -l <"$XT_TMP/ref.txt") entries"
xt_daemon_stop TERM
xt_expect "reference daemon exits 0" "$XT_DRC" 0
[ ! -e "$XT_PIN" ] && xt_ok "reference: pins removed" || xt_bail "the reference left pins"

xt_log "---- 2. --kubeconfig, fresh maps: filled while listing ----"
# Each list page waits 0.25 s, as from a loaded API server: the lists (2 to 4 pages each) then
# outlast the program's load (about 0.3 s, on its own thread while the first pages arrive),
# and the fill runs while they come in, as it does for a large cluster.
fx_start --load "$OBJ" --managed-fields-bytes 2048 --list-page-delay 0.25
kube_daemon_start --kubeconfig "$FX/kubeconfig"
xt_daemon_wait_ready
fill=$(grep -m1 'maps: filled while listing' "$XT_DLOG")
xt_log "${fill#xdpdns: }"
written=$(sed -n 's/.*filled while listing: \([0-9]*\) entries written.*/\1/p' <<<"$fill")
[ "${written:-0}" -gt 5000 ] && xt_ok "fresh maps: the fill thread wrote $written entries" ||
	xt_fail "fresh maps: no fill while listing ($fill)"
grep -q 'filled while listing: .* 0 failed' <<<"$fill" && xt_ok "fresh maps: no fill failure" ||
	xt_fail "fresh maps: the fill reports failures"
n_sync=$(grep -n 'first sync complete' "$XT_DLOG" | head -n 1 | cut -d: -f1)
n_pub=$(grep -n 'maps: [0-9]* entries (' "$XT_DLOG" | head -n 1 | cut -d: -f1)
[ -n "$n_pub" ] && [ -n "$n_sync" ] && [ "$n_pub" -lt "$n_sync" ] &&
	xt_ok "fresh maps: the first publish came before the lists were complete" ||
	xt_fail "fresh maps: no publish before 'first sync complete'"
dump_answers "$XT_TMP/fill.txt"
if cmp -s "$XT_TMP/ref.txt" "$XT_TMP/fill.txt"; then
	xt_ok "fresh maps: exactly the reference's $(wc -l <"$XT_TMP/fill.txt") answer entries"
else
	xt_fail "fresh maps: the answer maps differ from the reference:" \
		"$(diff "$XT_TMP/ref.txt" "$XT_TMP/fill.txt" | grep -c '^[<>]') lines"
	diff "$XT_TMP/ref.txt" "$XT_TMP/fill.txt" | head -n 6 | cut -c1-200 | sed 's/^/# /'
fi
u0=$(xt_srv_udp_in)
xt_expect "fresh maps: $FIRST" "$(xt_a "$FIRST")" "$FIRST_IP"
xt_expect "fresh maps: $LAST" "$(xt_a "$LAST")" "$LAST_IP"
# The apex's SOA answer is an answer entry, a negative answer's SOA comes from the zone table:
# both were rewritten with the serial of the last publish.
xt_kdig "$XT_TMP/soa.json" "$XT_SRV4" "$Z" SOA
soa=$(jq -r '.answerRRs[0].rdataSOA' "$XT_TMP/soa.json" | awk '{ print $3 }')
xt_kdig "$XT_TMP/nx.json" "$XT_SRV4" "nothing-here.$Z" A
nx=$(jq -r '.authorityRRs[0].rdataSOA' "$XT_TMP/nx.json" | awk '{ print $3 }')
[ -n "$soa" ] && [ "$soa" != null ] && xt_ok "fresh maps: apex SOA serial $soa" ||
	xt_fail "fresh maps: no SOA answer for $Z"
xt_expect "fresh maps: the apex SOA answer and the zone table have the same serial" "$nx" "$soa"
xt_expect "fresh maps: answered in XDP" "$(($(xt_srv_udp_in) - u0))" 0

xt_log "---- 3. SIGKILL, then a new instance on the reused pins, queried throughout ----"
xt_daemon_stop KILL
xt_expect "SIGKILL: the daemon is gone" "$XT_DRC" 137
rm -f "$XT_TMP/stop"
ip netns exec "$XT_CLI" "$XT_PY" - "$XT_SRV4" "$XT_TMP/stop" "$FIRST" "$FIRST_IP" "$LAST" \
	"$LAST_IP" >"$XT_TMP/q.out" 2>&1 <<'EOF' &
import os, sys
import dns.exception, dns.message, dns.query, dns.rcode
srv, stop, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
n = bad = 0
while not os.path.exists(stop):
    for i in range(0, len(pairs), 2):
        name, want = pairs[i], pairs[i + 1]
        n += 1
        try:
            r = dns.query.udp(dns.message.make_query(name, "A"), srv, timeout=1)
            got = sorted(rr.address for rrs in r.answer for rr in rrs)
            ok = r.rcode() == dns.rcode.NOERROR and got == [want]
            what = f"{dns.rcode.to_text(r.rcode())} {got}"
        except dns.exception.DNSException as e:
            ok, what = False, type(e).__name__
        if not ok:
            bad += 1
            if bad <= 5:
                print(f"# query {n}: {name}: {what}", flush=True)
print(n, bad)
EOF
querier=$!
sleep 0.5
kube_daemon_start --kubeconfig "$FX/kubeconfig"
xt_daemon_wait_ready
sleep 0.5	# a few more queries after ready
touch "$XT_TMP/stop"
wait "$querier"
grep '^#' "$XT_TMP/q.out"
read -r nq bad < <(grep -v '^#' "$XT_TMP/q.out" | tail -n 1)
grep -q 'reusing the maps' "$XT_DLOG" && xt_ok "restart: the pinned maps are reused" ||
	xt_fail "restart: the second instance does not reuse the maps"
grep -q 'filled while listing' "$XT_DLOG" &&
	xt_fail "restart: reused maps were filled while listing" ||
	xt_ok "restart: reused maps get the complete zone only"
[ "${nq:-0}" -ge 50 ] && xt_ok "restart: queried continuously ($nq queries)" ||
	xt_fail "restart: only ${nq:-0} queries"
xt_expect "restart: wrong answers for $FIRST and $LAST while the new instance synced" "${bad:-x}" 0
xt_expect "restart: $LAST after ready" "$(xt_a "$LAST")" "$LAST_IP"

xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
