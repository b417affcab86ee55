#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Settings files (--config FILE, --kube-dns-config DIR):
# - every flag with a value in the daemon's option table (read from userspace/xdpdns.c) is a
#   key of the file, validated by the flag's own code: a bad value gives the command line's
#   message, prefixed with FILE:LINE:, and --help lists every such flag; the DaemonSet's
#   ConfigMap file is accepted;
# - the daemon starts from the file alone (interface, listen list, objects, pin dir, TTL,
#   ...) and answers from XDP with the file's TTL;
# - command-line flags override the file: --ttl wins, --listen replaces the file's list;
# - a kube-dns ConfigMap directory (given as a key of the file): upstreamNameservers are the
#   default upstreams and stubDomains stub zones (Knot DNS upstreams on the server's
#   loopback); an explicit --upstream wins over upstreamNameservers, with a warning; a
#   malformed stubDomains is refused naming the file.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
command -v knotd >/dev/null 2>&1 || xt_skip "knotd is not installed (apt-get install knot)"
xt_topology

# ---- every flag is a key, with the flag's own checks ---------------------------------------

names=$(sed -n 's/^\t{ "\([a-z-]*\)", required_argument,.*/\1/p' "$XT_ROOT/userspace/xdpdns.c")
[ "$(wc -w <<<"$names")" -ge 20 ] ||
	xt_bail "cannot read the option table from userspace/xdpdns.c: $names"
help=$("$XT_XDPDNS" --help)
for n in $names; do
	grep -q -- "--$n " <<<"$help" || xt_fail "--help does not list --$n"
	[ "$n" = config ] && continue
	printf '# a setting\n%s: "@bad@"\n' "$n" >"$XT_TMP/k.yaml"
	a=$(timeout 10 nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" "--$n=@bad@" 2>&1)
	ra=$?
	b=$(timeout 10 nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" --config "$XT_TMP/k.yaml" 2>&1)
	rb=$?
	if [ "$ra" = 0 ] || [ "$ra" = 124 ] || [ "$rb" = 0 ] || [ "$rb" = 124 ]; then
		xt_fail "$n: @bad@ alone must be refused (exit $ra on the command line, $rb from a file)"
		continue
	fi
	# Values the flag checks itself are refused naming the file's line 2; the others end
	# at the same later check ("--interface is required") either way.
	grep -q -- "required" <<<"$a" || grep -q -- "$XT_TMP/k.yaml:2: " <<<"$b" ||
		xt_fail "$n: the file's message does not name $XT_TMP/k.yaml:2: $b"
	xt_expect "$n: the key is the flag (same message as --$n=@bad@)" \
		"${b//"$XT_TMP/k.yaml:2: "/}" "$a"
done

# The shipped ConfigMap's file is accepted as it is: parsing goes on to the objects source
# (the test has no API), with this namespace's interface given as a flag (flags win).
/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["xdpdns.yaml"])' \
	"$XT_ROOT/deploy/kubernetes/configmap.yaml" >"$XT_TMP/shipped.yaml" ||
	xt_bail "cannot read deploy/kubernetes/configmap.yaml"
out=$(env -u KUBERNETES_SERVICE_HOST timeout 10 nsenter --net="/run/netns/$XT_SRV" -- \
	"$XT_XDPDNS" --config "$XT_TMP/shipped.yaml" --interface "$XT_SRV_IF" --listen "$XT_SRV4" 2>&1)
xt_expect "deploy/kubernetes/configmap.yaml: every key accepted" "$out" \
	"xdpdns: error: --objects or --kubeconfig is required (outside a pod: KUBERNETES_SERVICE_HOST is not set) (see xdpdns --help)"

# ---- the daemon from the file alone ---------------------------------------------------------

# cfg_start ARG...: the daemon in the server namespace with only these arguments.
cfg_start()
{
	XT_NSTART=$((XT_NSTART + 1))
	XT_DLOG=$XT_TMP/daemon$XT_NSTART.log
	nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" "$@" 2>"$XT_DLOG" >&2 &
	XT_DPID=$!
	xt_log "daemon pid $XT_DPID: xdpdns $*"
}

# ttl_of SERVER NAME TYPE: "TTL RDATA" of the answer, or "no answer".
answer_of()
{
	local i
	for i in 1 2 3; do	# the first query may wait on ARP/ND or an upstream
		xt_kdig "$XT_TMP/a.json" "$1" "$2" "$3" && break
	done
	if [ -s "$XT_TMP/a.json" ] && jq -e .ANCOUNT "$XT_TMP/a.json" >/dev/null 2>&1; then
		jq -r --arg t "$3" '[.answerRRs[]? | select(.TYPEname == $t) |
			"\(.TTL) \(.["rdata" + $t])"] | sort | join(" ")' "$XT_TMP/a.json"
	else
		echo "no answer"
	fi
}

CONF=$XT_TMP/xdpdns.yaml
cat >"$CONF" <<EOF
# xdpdns settings, one key per flag
interface: [$XT_SRV_IF]
listen:
  - $XT_SRV4
  - "$XT_SRV6"
objects: $XT_OBJECTS
pin-dir: $XT_PIN
reverse-zone: [in-addr.arpa, ip6.arpa]
ttl: 17
xdp-mode: generic
upstream: none
EOF
web=$(xt_obj_cluster_ips demo web 4)
dns6=$(xt_obj_cluster_ips kube-system kube-dns 6 | head -n 1)
[ -n "$web" ] && [ -n "$dns6" ] || xt_bail "the demo objects lack demo/web or a v6 kube-dns"

cfg_start --config "$CONF"
xt_daemon_wait_ready
xt_expect "from the file: attached in generic mode (xdp-mode)" "$(xt_srv_xdp_mode)" generic
xt_stats "$XT_TMP/s0"
xt_expect "from the file: A web.demo @$XT_SRV4, TTL 17" \
	"$(answer_of "$XT_SRV4" "web.demo.svc.$XT_ZONE" A)" "17 $web"
xt_expect "from the file: AAAA kube-dns @$XT_SRV6 (second listen address)" \
	"$(answer_of "$XT_SRV6" "kube-dns.kube-system.svc.$XT_ZONE" AAAA | cut -d' ' -f1)" 17
xt_stats "$XT_TMP/s1"
xt_expect "from the file: answered in XDP (answer_a rose)" \
	"$(($(xt_stat "$XT_TMP/s1" answer_a) - $(xt_stat "$XT_TMP/s0" answer_a) > 0))" 1
xt_daemon_stop TERM
xt_expect "from the file: SIGTERM exits 0" "$XT_DRC" 0

# ---- flags override the file ----------------------------------------------------------------

cfg_start --ttl 23 --config "$CONF" --listen "$XT_SRV4"
xt_daemon_wait_ready
xt_expect "--ttl 23 overrides the file's ttl: 17" \
	"$(answer_of "$XT_SRV4" "web.demo.svc.$XT_ZONE" A)" "23 $web"
xt_kdig "$XT_TMP/v6.json" "$XT_SRV6" "kube-dns.kube-system.svc.$XT_ZONE" AAAA &&
	xt_fail "--listen $XT_SRV4 replaces the file's list: $XT_SRV6 still answered" ||
	xt_ok "--listen $XT_SRV4 replaces the file's list: $XT_SRV6 not answered"
xt_daemon_stop TERM
xt_expect "override: SIGTERM exits 0" "$XT_DRC" 0

# ---- kube-dns ConfigMap directory ------------------------------------------------------------

KA=127.0.0.2	# upstreamNameservers: example.test
KB=127.0.0.3	# stubDomains stub.internal, port 5353
KC=127.0.0.4	# --upstream: example.test with another address
printf 'ns A 198.18.0.53\nwww A 198.18.1.1\n' | xt_knot ka "$KA@53" example.test
printf 'ns A 198.18.0.54\nsvc A 198.18.3.1\n' | xt_knot kb "$KB@5353" stub.internal
printf 'ns A 198.18.0.55\nwww A 198.18.1.9\n' | xt_knot kc "$KC@53" example.test
xt_knot_wait ka "$KA" 53 www.example.test
xt_knot_wait kb "$KB" 5353 svc.stub.internal
xt_knot_wait kc "$KC" 53 www.example.test

KD=$XT_TMP/kube-dns
mkdir -p "$KD"
echo "[\"$KA\"]" >"$KD/upstreamNameservers"
echo "{\"stub.internal\": [\"$KB:5353\"]}" >"$KD/stubDomains"
grep -v '^upstream:' "$CONF" >"$XT_TMP/kd.yaml"
echo "kube-dns-config: $KD" >>"$XT_TMP/kd.yaml"

cfg_start --config "$XT_TMP/kd.yaml"
xt_daemon_wait_ready
grep -q "kube-dns config $KD: upstreams $KA, 1 stub domain" "$XT_DLOG" &&
	xt_ok "kube-dns: the daemon logs what it took" || xt_fail "kube-dns: no 'kube-dns config' line"
xt_expect "kube-dns: upstreamNameservers answer www.example.test" \
	"$(answer_of "$XT_SRV4" www.example.test A | cut -d' ' -f2)" 198.18.1.1
xt_expect "kube-dns: stubDomains send stub.internal to $KB:5353" \
	"$(answer_of "$XT_SRV4" svc.stub.internal A | cut -d' ' -f2)" 198.18.3.1
xt_daemon_stop TERM
xt_expect "kube-dns: SIGTERM exits 0" "$XT_DRC" 0

cfg_start --config "$XT_TMP/kd.yaml" --upstream "$KC"
xt_daemon_wait_ready
grep -q "upstreamNameservers ignored: --upstream $KC is given" "$XT_DLOG" &&
	xt_ok "kube-dns + --upstream: the file is ignored with a warning" ||
	xt_fail "kube-dns + --upstream: no warning"
xt_expect "kube-dns + --upstream $KC: the flag's upstream answers" \
	"$(answer_of "$XT_SRV4" www.example.test A | cut -d' ' -f2)" 198.18.1.9
xt_expect "kube-dns + --upstream: stubDomains still apply" \
	"$(answer_of "$XT_SRV4" svc.stub.internal A | cut -d' ' -f2)" 198.18.3.1
xt_daemon_stop TERM
xt_expect "kube-dns + --upstream: SIGTERM exits 0" "$XT_DRC" 0

echo '{"stub.internal": "127.0.0.3"}' >"$KD/stubDomains"
out=$(timeout 15 nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" --config "$XT_TMP/kd.yaml" 2>&1)
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] && xt_ok "malformed stubDomains: refused (exit $rc)" ||
	xt_fail "malformed stubDomains: exit $rc"
xt_expect "malformed stubDomains: the message names the file" "$out" \
	"xdpdns: error: $KD/stubDomains: stub.internal: expected a list of addresses, e.g. [\"192.0.2.1\"] (see xdpdns --help)"
xt_expect "malformed stubDomains: nothing attached" "$(xt_srv_xdp_mode)" none

xt_done
