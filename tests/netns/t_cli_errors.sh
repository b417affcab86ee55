#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The daemon's command line:
# - --help lists every flag and exits 0;
# - a broken configuration is refused: non-zero exit, a message that names the problem, and
#   nothing attached to the interface and nothing pinned;
# - an objects file that is valid JSON but holds unusable objects still starts: every
#   unusable object gets exactly one log line naming it (kind ns/name), and the good objects
#   are served from XDP.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology

# ---- --help ----
help=$("$XT_XDPDNS" --help 2>&1)
xt_expect "--help exits 0" "$?" 0
for f in --interface --listen --objects --zone --ttl --pods --port --xdp-mode --pin-dir \
	--reverse-zone --stale-after --watch-timeout --http --log-level --config --kube-dns-config \
	--help; do
	grep -q -- "$f" <<<"$help" && xt_ok "--help lists $f" || xt_fail "--help does not list $f"
done
for v in insecure verified disabled auto native generic error warn info debug; do
	grep -qw -- "$v" <<<"$help" && xt_ok "--help names the value $v" ||
		xt_fail "--help does not name the value $v"
done

# ---- broken configurations ----
# xt_refused DESC PATTERN ARG...: xdpdns ARG... (in the server namespace, own pin dir) must
# exit non-zero within 15 s with PATTERN (extended regexp, case-insensitive) in its output,
# leave no XDP program on veth-srv and pin nothing.
xt_refused()
{
	local desc=$1 pat=$2 out=$XT_TMP/refused.out rc
	shift 2

	timeout 15 nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = 124 ]; then
		xt_fail "$desc: still running after 15 s (started with a broken configuration)"
	elif [ "$rc" = 0 ]; then
		xt_fail "$desc: exit 0"
	else
		xt_ok "$desc: refused (exit $rc)"
	fi
	if grep -qiE -- "$pat" "$out"; then
		xt_ok "$desc: the message names the problem"
	else
		xt_fail "$desc: no message matching /$pat/"
	fi
	printf '#   %s\n' "$(head -n 3 "$out")"
	xt_expect "$desc: nothing attached" "$(xt_srv_xdp_mode)" none
	[ -e "$XT_PIN" ] && xt_fail "$desc: $XT_PIN was created" || xt_ok "$desc: nothing pinned"
	rm -rf "$XT_PIN"
}

IF=(--interface "$XT_SRV_IF")
L=(--listen "$XT_SRV4")
O=(--objects "$XT_OBJECTS")
D=(--pin-dir "$XT_PIN")
xt_refused "missing --listen" 'listen' "${IF[@]}" "${O[@]}" "${D[@]}"
xt_refused "missing --interface" 'interface' "${L[@]}" "${O[@]}" "${D[@]}"
xt_refused "missing --objects" 'objects' "${IF[@]}" "${L[@]}" "${D[@]}"
xt_refused "bad --listen address" '198\.18\.0\.300' "${IF[@]}" --listen 198.18.0.300 \
	"${O[@]}" "${D[@]}"
xt_refused "bad IPv6 --listen address" 'fd00:198:18::zz' "${IF[@]}" \
	--listen "$XT_SRV4,fd00:198:18::zz" "${O[@]}" "${D[@]}"
xt_refused "nine IPv6 --listen addresses" 'more than 8 IPv6' "${IF[@]}" \
	--listen "$(printf 'fd00:198:18::%x,' $(seq 1 9) | sed 's/,$//')" "${O[@]}" "${D[@]}"
xt_refused "unknown --pods mode" 'pods.*bogus|bogus.*pods' "${IF[@]}" "${L[@]}" "${O[@]}" \
	"${D[@]}" --pods bogus
xt_refused "nonexistent --objects file" '/nonexistent/objects\.json' "${IF[@]}" "${L[@]}" \
	--objects /nonexistent/objects.json "${D[@]}"
xt_refused "--ttl not a number" 'ttl.*abc|abc.*ttl' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" \
	--ttl abc
xt_refused "--ttl negative" 'ttl' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --ttl -5
xt_refused "--ttl above 3600" 'ttl' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --ttl 86400
xt_refused "--watch-timeout 0" 'watch-timeout' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" \
	--watch-timeout 0
xt_refused "--watch-timeout above 3600" 'watch-timeout' "${IF[@]}" "${L[@]}" "${O[@]}" \
	"${D[@]}" --watch-timeout 3601
xt_refused "--port 0" 'port' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --port 0
xt_refused "--port 70000" 'port' "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --port 70000
xt_refused "unknown --xdp-mode" 'xdp-mode.*turbo|turbo.*xdp-mode' "${IF[@]}" "${L[@]}" \
	"${O[@]}" "${D[@]}" --xdp-mode turbo
xt_refused "unknown --log-level" 'log-level.*loud|loud.*log-level' "${IF[@]}" "${L[@]}" \
	"${O[@]}" "${D[@]}" --log-level loud
xt_refused "--http without a port" "--http: '198\\.18\\.0\\.1'" "${IF[@]}" "${L[@]}" "${O[@]}" \
	"${D[@]}" --http 198.18.0.1
xt_refused "--http port 0" "--http: '198\\.18\\.0\\.1:0'" "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" \
	--http 198.18.0.1:0
xt_refused "--http IPv6 without brackets" "--http: 'fd00:198:18::1:9353'" "${IF[@]}" "${L[@]}" \
	"${O[@]}" "${D[@]}" --http fd00:198:18::1:9353
xt_refused "--http a name" "--http: 'localhost:9353'" "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" \
	--http localhost:9353
xt_refused "--http empty" "--http: ''" "${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --http ''
# An address this namespace does not have: the bind fails, the message names the address.
xt_refused "--http cannot bind" '198\.18\.0\.99:9353.*cannot listen.*assign' "${IF[@]}" "${L[@]}" \
	"${O[@]}" "${D[@]}" --http 198.18.0.99:9353
xt_refused "nonexistent interface" 'nosuchif0' --interface nosuchif0 "${L[@]}" "${O[@]}" \
	"${D[@]}"
xt_refused "unknown option" 'option|unrecognized|bogus' "${IF[@]}" "${L[@]}" "${O[@]}" \
	"${D[@]}" --bogus-flag
# --config: the file's problems are refused the same way, naming FILE:LINE: KEY.
C=$XT_TMP/c.yaml
printf 'interface: %s\nlisten: [%s]\nobjects: %s\npin-dir: %s\n' "$XT_SRV_IF" "$XT_SRV4" \
	"$XT_OBJECTS" "$XT_PIN" >"$C.base"
cfg() { { cat "$C.base"; printf "$@"; } >"$C"; }
cfg 'tll: 5\n'
xt_refused "--config: unknown key" "c\\.yaml:5: tll: unknown key" --config "$C"
cfg 'ttl: [5]\n'
xt_refused "--config: a list for a single value" "c\\.yaml:5: ttl: expected a single value" \
	--config "$C"
cfg 'ttl: abc\n'
xt_refused "--config: a bad value" "c\\.yaml:5: --ttl: 'abc' is not a number" --config "$C"
cfg 'zone: a.local\nzone: b.local\n'
xt_refused "--config: a key given twice" "c\\.yaml:6: zone: given twice \\(first on line 5\\)" \
	--config "$C"
cfg 'help: yes\n'
xt_refused "--config: help is not a key" "c\\.yaml:5: help: a command-line flag only" \
	--config "$C"
printf -- '- --ttl\n- 5\n' >"$C"
xt_refused "--config: not a mapping" "c\\.yaml:1: expected a mapping" --config "$C"
xt_refused "--config: unreadable" "cannot read $XT_TMP/nonexistent\\.yaml: No such file" \
	--config "$XT_TMP/nonexistent.yaml"
mkdir -p "$XT_TMP/kd"
echo '["8.8.8.8",' >"$XT_TMP/kd/upstreamNameservers"
xt_refused "--kube-dns-config: malformed JSON" "kd/upstreamNameservers: not valid JSON" \
	"${IF[@]}" "${L[@]}" "${O[@]}" "${D[@]}" --kube-dns-config "$XT_TMP/kd"
echo '{"apiVersion": "v1", "kind": "List", "items": [' >"$XT_TMP/truncated.json"
xt_refused "objects file that is not JSON" 'truncated\.json' "${IF[@]}" "${L[@]}" \
	--objects "$XT_TMP/truncated.json" "${D[@]}"

# ---- unusable objects are skipped, one line each ----
# Each junk object is named junk/<name>; the names are chosen so that none is a prefix of
# another. The namespace exists, so nothing is skipped for a missing namespace.
jq '.items += [
	{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "junk"}},
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"namespace": "junk", "name": "badip"},
	 "spec": {"type": "ClusterIP", "clusterIP": "300.1.2.3", "clusterIPs": ["300.1.2.3"],
		  "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"namespace": "junk", "name": "nospec"}},
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"namespace": "junk", "name": "specnotobject"}, "spec": 42},
	{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
	 "metadata": {"namespace": "junk", "name": "slicebadtype",
		      "labels": {"kubernetes.io/service-name": "whatever"}},
	 "addressType": "Bogus", "endpoints": [{"addresses": ["10.1.2.3"]}]},
	{"apiVersion": "v1", "kind": "Pod",
	 "metadata": {"namespace": "junk", "name": "podbadip"},
	 "status": {"podIP": "not-an-ip", "podIPs": [{"ip": "not-an-ip"}]}},
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"namespace": "junk", "name": "oddtype"},
	 "spec": {"type": "Bogus", "clusterIP": "10.96.77.1", "clusterIPs": ["10.96.77.1"]}},
	{"apiVersion": "v1", "kind": "ConfigMap",
	 "metadata": {"namespace": "junk", "name": "unknownkind"}, "data": {"a": "b"}},
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"namespace": "junk", "name": "emptyheadless"},
	 "spec": {"clusterIP": "None", "clusterIPs": ["None"]}},
	{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
	 "metadata": {"namespace": "junk", "name": "slicenull",
		      "labels": {"kubernetes.io/service-name": "emptyheadless"}},
	 "addressType": "IPv4", "endpoints": null, "ports": null}
]' "$XT_OBJECTS" >"$XT_TMP/junk.json" || xt_bail "cannot write the junk objects file"
junk=(badip nospec specnotobject slicebadtype podbadip oddtype unknownkind)

XT_OBJECTS=$XT_TMP/junk.json
xt_daemon_start --xdp-mode generic --pods verified
xt_daemon_wait_ready
for n in "${junk[@]}"; do
	c=$(grep -cE "junk/$n([^a-z0-9-]|\$)" "$XT_DLOG")
	xt_expect "junk/$n: exactly one log line" "$c" 1
	grep -E "junk/$n([^a-z0-9-]|\$)" "$XT_DLOG" | sed 's/^/#   /'
done
# null endpoints and ports (what the API sends for none) make an empty slice: nothing to log.
xt_expect "junk/slicenull: no log line" "$(grep -cE 'junk/(slicenull|emptyheadless)' "$XT_DLOG")" 0
xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "emptyheadless.junk.svc.$XT_ZONE" A &&
	xt_expect "junk/emptyheadless (its slice's endpoints null): NXDOMAIN" \
		"$(jq -r .RCODE "$XT_TMP/q.json")" 3 ||
	xt_fail "junk/emptyheadless: no answer"
grep -q 'skipping ConfigMap junk/unknownkind: unsupported kind' "$XT_DLOG" &&
	xt_ok "junk/unknownkind: the line gives the reason" ||
	xt_fail "no 'skipping ConfigMap junk/unknownkind: unsupported kind' line"
grep -q 'skipping Service junk/oddtype: spec.type "Bogus" is unknown' "$XT_DLOG" &&
	xt_ok "junk/oddtype: the line gives the reason" ||
	xt_fail "no 'skipping Service junk/oddtype: spec.type \"Bogus\" is unknown' line"
if xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "kube-dns.kube-system.svc.$XT_ZONE" A; then
	xt_expect "the good objects are served" "$(xt_rdata "$XT_TMP/q.json" A)" \
		"$(xt_obj_cluster_ips kube-system kube-dns 4)"
else
	xt_fail "the good objects are served: no answer"
fi
xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
