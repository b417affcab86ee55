# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# tests/netns/lib.sh - shared helpers of the network-namespace tier. Sourced, never run.
#
# Topology of one test run (prefix P = xdt<pid><random>, unique per run):
#
#   netns P-cli                                  netns P-srv
#   veth-cli 198.18.0.2/24 fd00:198:18::2/64 <-> veth-srv 198.18.0.1/24 fd00:198:18::1/64
#   xdp_pass (pass-through)                      xdpdns (XDP answer engine)
#
# veth delivers XDP_TX frames to its peer only when the peer runs an XDP program, hence the
# pass-through program on the client side. The daemon runs in the server namespace through
# `nsenter --net`, not `ip netns exec`: the latter mounts a fresh /sys, which hides the host's
# bpffs at /sys/fs/bpf, so the daemon would pin into a private bpffs that xdpdnsctl, bpftool
# and the next start could not see. Addresses come only from 198.18.0.0/15 and fd00:198:18::/48.
#
# veth and frame growth: in native mode a veth hands XDP the query copied into a buffer rounded
# up to 64 bytes (Linux 6.8 and later: skb_pp_cow_data()), so bpf_xdp_adjust_tail() can grow a
# frame by at most the rounding slack; the engine then grows the frame at the head instead
# (grow_frame() in bpf/lib/engine.bpf.h). The tests send plain, unpadded queries in both
# modes, so they prove that.
#
# Contract: a test calls xt_init (root and tools, or exit 77), xt_topology, then
# xt_daemon_start/xt_daemon_wait_ready, checks with xt_ok/xt_fail/xt_expect, and ends with
# xt_done (exit 0 when nothing failed, 1 otherwise). The EXIT trap removes everything the run
# created, even when the test fails or is killed: the daemon, both namespaces (and so the veth
# pair), the pin directory /sys/fs/bpf/xdpdns-test-P, libxdp dispatcher pins the run left, and
# the scratch directory (kept, and named, when XT_KEEP=1).

# Run instead of sourced (a runner globbing *.sh): not a test, so never a pass.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: tests/netns/lib.sh is the tests' library, not a test (run tests/netns/t_*.sh)"
	exit 77
fi

XT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XT_OUT=$XT_ROOT/.output
XT_XDPDNS=${XT_XDPDNS:-$XT_OUT/xdpdns}
XT_CTL=${XT_CTL:-$XT_OUT/xdpdnsctl}
XT_PASS_OBJ=$XT_OUT/tests/bpf/xdp_pass.bpf.o
XT_OBJECTS=${XT_OBJECTS:-$XT_ROOT/deploy/examples/demo-objects.json}
XT_PY=/usr/bin/python3		# Debian's, which has dnspython

XT_SRV_IF=veth-srv
XT_CLI_IF=veth-cli
XT_SRV4=198.18.0.1
XT_CLI4=198.18.0.2
XT_SRV6=fd00:198:18::1
XT_CLI6=fd00:198:18::2
XT_ZONE=cluster.local
XT_READY_TIMEOUT=${XT_READY_TIMEOUT:-30}	# seconds until the daemon must say "ready"
XT_TTL=5			# the daemon's default --ttl; a test passing --ttl sets it too

XT_FAILS=0
XT_DPID=
XT_DLOG=
XT_TMP=
XT_P=
XT_SRV=
XT_CLI=
XT_PIN=

xt_log() { printf '# %s\n' "$*"; }
xt_ok() { printf 'ok - %s\n' "$*"; }
xt_fail()
{
	printf 'not ok - %s\n' "$*"
	XT_FAILS=$((XT_FAILS + 1))
}

# xt_skip REASON: the last line printed is the reason tests/run.sh shows.
xt_skip()
{
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# xt_bail REASON: a failure that makes the rest of the test meaningless.
xt_bail()
{
	xt_fail "$*"
	[ -z "$XT_DLOG" ] || xt_daemon_log_dump
	exit 1
}

# xt_expect DESC GOT WANT
xt_expect()
{
	if [ "$2" = "$3" ]; then
		xt_ok "$1"
	else
		xt_fail "$1"
		printf '#   got:  %s\n#   want: %s\n' "${2//$'\n'/ | }" "${3//$'\n'/ | }"
	fi
}

xt_done()
{
	if [ "$XT_FAILS" -gt 0 ]; then
		printf '%d check(s) failed\n' "$XT_FAILS"
		[ -z "$XT_DLOG" ] || xt_daemon_log_dump
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

xt_daemon_log_dump()
{
	local f
	for f in "$XT_TMP"/daemon*.log; do
		[ -f "$f" ] || continue
		printf '# ---- %s ----\n' "$(basename "$f")"
		sed 's/^/#   /' "$f"
	done
}

xt_init()
{
	local t

	[ "$(id -u)" = 0 ] || xt_skip "needs root (network namespaces, veth, XDP attach)"
	for t in ip nsenter kdig jq bpftool timeout; do
		command -v "$t" >/dev/null 2>&1 || xt_skip "$t is not installed (make deps)"
	done
	[ -x "$XT_PY" ] && "$XT_PY" -c 'import dns.message' 2>/dev/null ||
		xt_skip "$XT_PY with dnspython is not installed (make deps)"
	# Missing build products are a failure, not a skip: make test builds them first.
	for t in "$XT_XDPDNS" "$XT_CTL" "$XT_PASS_OBJ"; do
		[ -e "$t" ] || xt_bail "$t is missing: build it (make all)"
	done
	[ -r "$XT_OBJECTS" ] || xt_bail "$XT_OBJECTS is missing"

	XT_P=xdt$$$((RANDOM % 100))
	XT_SRV=$XT_P-srv
	XT_CLI=$XT_P-cli
	XT_PIN=/sys/fs/bpf/xdpdns-test-$XT_P
	XT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpdns-netns.XXXXXX") || exit 1
	trap xt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	xt_log "run $XT_P: namespaces $XT_SRV $XT_CLI, pins $XT_PIN, scratch $XT_TMP"
}

# The daemon is running (an exited child stays a zombie until waited for: kill -0 is not
# enough).
xt_daemon_alive()
{
	local st
	[ -n "$XT_DPID" ] || return 1
	st=$(awk '{ print $3 }' "/proc/$XT_DPID/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Stop the daemon if still there (continue it first: it may be stopped), then the rest.
xt_daemon_kill()
{
	local i

	[ -n "$XT_DPID" ] || return 0
	if xt_daemon_alive; then
		kill -CONT "$XT_DPID" 2>/dev/null
		kill -TERM "$XT_DPID" 2>/dev/null
		for i in $(seq 50); do
			xt_daemon_alive || break
			sleep 0.1
		done
		kill -KILL "$XT_DPID" 2>/dev/null
	fi
	wait "$XT_DPID" 2>/dev/null
	XT_DPID=
}

# XDP attach mode on the server veth: native, generic, other or none.
xt_srv_xdp_mode()
{
	ip -n "$XT_SRV" -j -d link show dev "$XT_SRV_IF" 2>/dev/null | jq -r '.[0].xdp.mode // 0 |
		if . == 1 then "native" elif . == 2 then "generic" elif . == 0 then "none"
		else "other" end' 2>/dev/null
}

# "ifindex progid" of the XDP program on the server veth, empty when none.
xt_srv_xdp_ids()
{
	ip -n "$XT_SRV" -j -d link show dev "$XT_SRV_IF" 2>/dev/null |
		jq -r '.[0] | select(.xdp.prog.id != null) | "\(.ifindex) \(.xdp.prog.id)"' 2>/dev/null
}

xt_cleanup()
{
	local rc=$? ids pid

	xt_daemon_kill
	# Anything else still running in this run's server namespace was started by this run.
	for pid in $(ip netns pids "$XT_SRV" 2>/dev/null); do
		kill -CONT "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	ids=$(xt_srv_xdp_ids)
	ip netns del "$XT_SRV" 2>/dev/null
	ip netns del "$XT_CLI" 2>/dev/null
	# A daemon killed with SIGKILL leaves libxdp's dispatcher pins behind.
	if [ -n "$ids" ]; then
		rm -rf "/sys/fs/bpf/xdp/dispatch-${ids% *}-${ids#* }"
	fi
	[ -z "$XT_PIN" ] || rm -rf "$XT_PIN"
	if [ -n "$XT_TMP" ]; then
		if [ "${XT_KEEP:-0}" = 1 ]; then
			echo "# scratch kept: $XT_TMP"
		else
			rm -rf "$XT_TMP"
		fi
	fi
	exit "$rc"
}

# Run a command in a namespace without changing the mount namespace (see the header).
xt_nsrun()
{
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

xt_topology()
{
	ip netns add "$XT_SRV" || xt_bail "cannot create netns $XT_SRV"
	ip netns add "$XT_CLI" || xt_bail "cannot create netns $XT_CLI"
	# Create the pair inside the namespaces: nothing appears in the root namespace.
	ip link add "${XT_P}a" netns "$XT_SRV" type veth peer name "${XT_P}b" netns "$XT_CLI" ||
		xt_bail "cannot create the veth pair"
	ip -n "$XT_SRV" link set "${XT_P}a" name "$XT_SRV_IF"
	ip -n "$XT_CLI" link set "${XT_P}b" name "$XT_CLI_IF"
	ip -n "$XT_SRV" link set lo up
	ip -n "$XT_CLI" link set lo up
	ip -n "$XT_SRV" addr add "$XT_SRV4/24" dev "$XT_SRV_IF"
	ip -n "$XT_SRV" addr add "$XT_SRV6/64" dev "$XT_SRV_IF" nodad
	ip -n "$XT_CLI" addr add "$XT_CLI4/24" dev "$XT_CLI_IF"
	ip -n "$XT_CLI" addr add "$XT_CLI6/64" dev "$XT_CLI_IF" nodad
	ip -n "$XT_CLI" link set dev "$XT_CLI_IF" xdpdrv obj "$XT_PASS_OBJ" sec xdp ||
		xt_bail "cannot attach the pass-through program to $XT_CLI_IF"
	ip -n "$XT_SRV" link set "$XT_SRV_IF" up || xt_bail "cannot bring $XT_SRV_IF up"
	ip -n "$XT_CLI" link set "$XT_CLI_IF" up || xt_bail "cannot bring $XT_CLI_IF up"
}

# xt_daemon_start [ARG...]: the daemon in the server namespace on veth-srv, listening on
# both server addresses, with the demo objects and the run's pin directory; ARGs are added
# (a later flag overrides an earlier one). Its stderr goes to $XT_DLOG.
XT_NSTART=0
xt_daemon_start()
{
	XT_NSTART=$((XT_NSTART + 1))
	XT_DLOG=$XT_TMP/daemon$XT_NSTART.log
	# A simple command, not a function, so that $! is the daemon itself (nsenter execs it).
	nsenter --net="/run/netns/$XT_SRV" -- "$XT_XDPDNS" --interface "$XT_SRV_IF" --listen "$XT_SRV4,$XT_SRV6" \
		--objects "$XT_OBJECTS" --pin-dir "$XT_PIN" --reverse-zone in-addr.arpa,ip6.arpa \
		"$@" 2>"$XT_DLOG" >&2 &
	XT_DPID=$!
	xt_log "daemon pid $XT_DPID: xdpdns --interface $XT_SRV_IF --listen $XT_SRV4,$XT_SRV6" \
		"--objects $(basename "$XT_OBJECTS") --pin-dir $XT_PIN" \
		"--reverse-zone in-addr.arpa,ip6.arpa $*"
}

# Poll the log for the ready line; bail out if the daemon dies or takes too long.
xt_daemon_wait_ready()
{
	local deadline=$((SECONDS + XT_READY_TIMEOUT))

	while ! grep -q '^xdpdns: info: ready$' "$XT_DLOG" 2>/dev/null; do
		xt_daemon_alive || xt_bail "the daemon exited before it was ready"
		[ "$SECONDS" -lt "$deadline" ] ||
			xt_bail "the daemon was not ready within ${XT_READY_TIMEOUT}s"
		sleep 0.1
	done
	xt_ok "daemon ready"
}

# xt_daemon_stop [SIGNAL]: signal the daemon (TERM) and wait for it, at most 10 s. Sets
# XT_DRC to its exit status (128 + n for a signal n); 124 when it did not exit in time (it is
# then killed).
XT_DRC=
xt_daemon_stop()
{
	local sig=${1:-TERM} i

	kill "-$sig" "$XT_DPID" 2>/dev/null
	for i in $(seq 100); do
		xt_daemon_alive || break
		sleep 0.1
	done
	if xt_daemon_alive; then
		kill -KILL "$XT_DPID"
		wait "$XT_DPID" 2>/dev/null
		XT_DRC=124
	else
		wait "$XT_DPID"
		XT_DRC=$?
	fi
	XT_DPID=
}

xt_ctl() { "$XT_CTL" --pin-dir "$XT_PIN" "$@"; }

# xt_stats FILE: all counters now, "name value" per line.
xt_stats()
{
	xt_ctl stats >"$1" 2>"$1.err" || xt_bail "xdpdnsctl stats failed: $(cat "$1.err")"
}

# xt_stat FILE NAME: one counter from a snapshot; "missing" when xdpdnsctl did not list it.
xt_stat()
{
	awk -v n="$2" '$1 == n { v = $2 } END { print (v == "" ? "missing" : v) }' "$1"
}

# xt_stats_expect OLD NEW NAME=DELTA...: every answer_* counter must have risen by exactly
# the DELTA given for it (0 when not given); so must every other NAME listed.
xt_stats_expect()
{
	local old=$1 new=$2 kv name want got a b
	local -A wants=()
	shift 2

	for kv in "$@"; do
		wants[${kv%=*}]=${kv#*=}
	done
	for name in $(awk '$1 ~ /^answer_/ { print $1 }' "$new"); do
		[ -n "${wants[$name]+x}" ] || wants[$name]=0
	done
	for name in $(printf '%s\n' "${!wants[@]}" | sort); do
		want=${wants[$name]}
		a=$(xt_stat "$old" "$name")
		b=$(xt_stat "$new" "$name")
		if [ "$a" = missing ] || [ "$b" = missing ]; then
			xt_fail "counter $name: not listed by xdpdnsctl stats"
			continue
		fi
		got=$((b - a))
		xt_expect "counter $name rose by $want" "$got" "$want"
	done
	# Show where everything else went; a failed check above is easier to read with it.
	awk 'NR == FNR { old[$1] = $2; next }
	     !($1 ~ /^answer_/) && $2 != old[$1] { printf "#   %s rose by %d\n", $1, $2 - old[$1] }' \
		"$old" "$new"
}

# Received-UDP counters of the server namespace's kernel stack: InDatagrams + NoPorts +
# InErrors of UDP over IPv4 (/proc/net/snmp) and IPv6 (/proc/net/snmp6). A query the XDP
# program answered never reaches the stack, so none of them moves.
xt_srv_udp_in()
{
	ip netns exec "$XT_SRV" sh -c 'cat /proc/net/snmp; cat /proc/net/snmp6' | awk '
		$1 == "Udp:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "Udp:" && hdr { v4 = $col["InDatagrams"] + $col["NoPorts"] + $col["InErrors"] }
		$1 == "Udp6InDatagrams" || $1 == "Udp6NoPorts" || $1 == "Udp6InErrors" { v6 += $2 }
		END { print v4 + v6 }'
}

# xt_kdig OUT SERVER NAME TYPE [KDIG-ARG...]: one query from the client namespace, one try,
# 1 s timeout, RFC 8427 JSON in OUT. Returns kdig's status (non-zero: no usable answer).
xt_kdig()
{
	local out=$1 srv=$2 name=$3 type=$4
	shift 4
	ip netns exec "$XT_CLI" kdig "@$srv" +timeout=1 +retry=0 +json "$@" "$name" "$type" \
		>"$out" 2>"$out.err"
}

# Answer data of one type from a kdig JSON reply, sorted, one per line.
xt_rdata()
{
	jq -r --arg t "$2" '.answerRRs[]? | select(.TYPEname == $t) | .["rdata" + $t]' "$1" | sort
}

# ---- what the objects say ----------------------------------------------------------------

# xt_obj_exists KIND NS NAME
xt_obj_exists()
{
	jq -e --arg k "$1" --arg ns "$2" --arg n "$3" \
		'any(.items[]; .kind == $k and .metadata.namespace == $ns and .metadata.name == $n)' \
		"$XT_OBJECTS" >/dev/null
}

# xt_obj_cluster_ips NS SVC 4|6: the service's cluster IPs of one family, sorted.
xt_obj_cluster_ips()
{
	jq -r --arg ns "$1" --arg n "$2" '.items[] |
		select(.kind == "Service" and .metadata.namespace == $ns and .metadata.name == $n) |
		(.spec.clusterIPs // [.spec.clusterIP])[] | select(. != null and . != "None")' \
		"$XT_OBJECTS" | if [ "$3" = 6 ]; then grep ':'; else grep -v ':'; fi | sort
}

# xt_obj_ready_addrs NS SVC 4|6 [HOSTNAME]: addresses of the service's ready endpoints
# (conditions.ready absent or true), of one family, optionally only those with HOSTNAME.
xt_obj_ready_addrs()
{
	local fam=IPv4
	[ "$3" = 6 ] && fam=IPv6
	jq -r --arg ns "$1" --arg n "$2" --arg fam "$fam" --arg h "${4:-}" '.items[] |
		select(.kind == "EndpointSlice" and .metadata.namespace == $ns and
		       .metadata.labels["kubernetes.io/service-name"] == $n and .addressType == $fam) |
		.endpoints[] | select(.conditions.ready != false) |
		select($h == "" or .hostname == $h) | .addresses[]' "$XT_OBJECTS" | sort -u
}

# xt_obj_port NS SVC PORTNAME PROTO: the Service port.
xt_obj_port()
{
	jq -r --arg ns "$1" --arg n "$2" --arg p "$3" --arg pr "$4" '.items[] |
		select(.kind == "Service" and .metadata.namespace == $ns and .metadata.name == $n) |
		.spec.ports[] | select(.name == $p and (.protocol // "TCP") == $pr) | .port' \
		"$XT_OBJECTS"
}

xt_reverse_name() { "$XT_PY" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer + ".")' "$1"; }

# ---- the answer suite (t_xdp_answers_v4.sh, t_xdp_answers_v6.sh) --------------------------

declare -A XT_WANT=()	# counter name -> expected rise

# xt_check_header JSON DESC RCODE: QR, AA, not TC, the RCODE, a question echoed.
xt_check_header()
{
	local got
	got=$(jq -r '"QR=\(.QR) AA=\(.AA) TC=\(.TC) RA=\(.RA) RCODE=\(.RCODE) QDCOUNT=\(.QDCOUNT)"' "$1")
	xt_expect "$2: header" "$got" "QR=1 AA=1 TC=0 RA=0 RCODE=$3 QDCOUNT=1"
}

# xt_check_ttls JSON DESC SECTION: every RR of the section has the configured TTL.
xt_check_ttls()
{
	local got
	got=$(jq -r --arg s "$3" '[.[$s][]?.TTL] | unique | map(tostring) | join(",")' "$1")
	xt_expect "$2: $3 TTL" "$got" "$XT_TTL"
}

# xt_check_soa JSON DESC: exactly the zone's SOA in the authority section, nothing else.
xt_check_soa()
{
	local got want
	got=$(jq -r '[.authorityRRs[]? | "\(.NAME) \(.TYPEname) \(.TTL) \(.rdataSOA // "")"] |
		.[]' "$1" | awk '{ $6 = "SERIAL"; print }')
	want="$XT_ZONE. SOA $XT_TTL ns.dns.$XT_ZONE. hostmaster.$XT_ZONE. SERIAL 7200 1800 86400 $XT_TTL"
	xt_expect "$2: SOA in authority" "$got" "$want"
}

# xt_q SERVER NAME TYPE WANT-RCODE COUNTER: query (with the kdig arguments in XT_QARGS),
# check the header, count the counter it must bump; the reply is left in $XT_TMP/q.json.
XT_QARGS=()
xt_q()
{
	local srv=$1 name=$2 type=$3 rcode=$4 counter=$5
	XT_QDESC="$name $type @$srv${XT_QARGS[*]:+ ${XT_QARGS[*]}}"
	XT_WANT[$counter]=$((${XT_WANT[$counter]:-0} + 1))
	if ! xt_kdig "$XT_TMP/q.json" "$srv" "$name" "$type" "${XT_QARGS[@]}"; then
		xt_fail "$XT_QDESC: no answer ($(tr '\n' ' ' <"$XT_TMP/q.json.err"))"
		echo '{}' >"$XT_TMP/q.json"
		return 1
	fi
	xt_check_header "$XT_TMP/q.json" "$XT_QDESC" "$rcode"
	return 0
}

# xt_answer_suite SERVER [KDIG-ARG...]: the fast-path queries of the v4 and v6 tests, each
# checked against the objects; then the counters must have risen by exactly one per query,
# each in its own reason, and the server's stack must have received no UDP at all.
xt_answer_suite()
{
	local srv=$1 z=$XT_ZONE s0=$XT_TMP/stats0 s1=$XT_TMP/stats1 u0 u1 i want n w name
	shift
	XT_QARGS=("$@")

	for i in "Service demo web" "Service kube-system kube-dns" "Service default kubernetes" \
		"Service demo nginx" "Service demo cache"; do
		# shellcheck disable=SC2086
		xt_obj_exists $i || xt_bail "the demo objects have no $i: update the test"
	done
	[ -n "$(xt_obj_cluster_ips kube-system kube-dns 6)" ] ||
		xt_bail "kube-system/kube-dns is expected to be dual-stack in the demo objects"
	[ -z "$(xt_obj_cluster_ips demo web 6)" ] ||
		xt_bail "demo/web is expected to be IPv4-only in the demo objects"

	# Warm up neighbour resolution (ARP/ND) so the counted queries do not wait on it.
	for i in 1 2 3; do
		xt_kdig "$XT_TMP/w.json" "$srv" "kube-dns.kube-system.svc.$z" A "$@" && break
	done
	XT_WANT=()
	xt_stats "$s0"
	u0=$(xt_srv_udp_in)

	xt_q "$srv" "web.demo.svc.$z" A 0 answer_a &&
		xt_expect "A web.demo (ClusterIP)" "$(xt_rdata "$XT_TMP/q.json" A)" \
			"$(xt_obj_cluster_ips demo web 4)" &&
		xt_check_ttls "$XT_TMP/q.json" "$XT_QDESC" answerRRs

	xt_q "$srv" "kubernetes.default.svc.$z" A 0 answer_a &&
		xt_expect "A kubernetes.default" "$(xt_rdata "$XT_TMP/q.json" A)" \
			"$(xt_obj_cluster_ips default kubernetes 4)"

	xt_q "$srv" "kube-dns.kube-system.svc.$z" AAAA 0 answer_aaaa &&
		xt_expect "AAAA kube-dns.kube-system (dual-stack)" "$(xt_rdata "$XT_TMP/q.json" AAAA)" \
			"$(xt_obj_cluster_ips kube-system kube-dns 6)" &&
		xt_check_ttls "$XT_TMP/q.json" "$XT_QDESC" answerRRs

	# CoreDNS SRV: priority 0, weight floor(100 / (ports x cluster IPs)), the Service port,
	# target the service name (k8s-dns-spec.md 2.3).
	n=$(($(xt_obj_cluster_ips kube-system kube-dns 4 | wc -l) +
		$(xt_obj_cluster_ips kube-system kube-dns 6 | wc -l)))
	w=$((100 / n))
	[ "$w" -ge 1 ] || w=1
	want="0 $w $(xt_obj_port kube-system kube-dns dns UDP) kube-dns.kube-system.svc.$z."
	xt_q "$srv" "_dns._udp.kube-dns.kube-system.svc.$z" SRV 0 answer_srv &&
		xt_expect "SRV _dns._udp.kube-dns.kube-system" "$(xt_rdata "$XT_TMP/q.json" SRV)" \
			"$want"

	for i in $(xt_obj_cluster_ips kube-system kube-dns 4 | head -n 1) \
		$(xt_obj_cluster_ips kube-system kube-dns 6 | head -n 1); do
		name=$(xt_reverse_name "$i")
		xt_q "$srv" "$name" PTR 0 answer_ptr &&
			xt_expect "PTR $i" "$(xt_rdata "$XT_TMP/q.json" PTR)" \
				"kube-dns.kube-system.svc.$z."
	done

	xt_q "$srv" "nginx.demo.svc.$z" A 0 answer_a &&
		xt_expect "A nginx.demo (headless: the ready endpoints)" \
			"$(xt_rdata "$XT_TMP/q.json" A)" "$(xt_obj_ready_addrs demo nginx 4)"

	xt_q "$srv" "cache.demo.svc.$z" AAAA 0 answer_aaaa &&
		xt_expect "AAAA cache.demo (headless, IPv6 slice)" \
			"$(xt_rdata "$XT_TMP/q.json" AAAA)" "$(xt_obj_ready_addrs demo cache 6)"

	xt_q "$srv" "web-0.nginx.demo.svc.$z" A 0 answer_a &&
		xt_expect "A web-0.nginx.demo (endpoint hostname)" \
			"$(xt_rdata "$XT_TMP/q.json" A)" "$(xt_obj_ready_addrs demo nginx 4 web-0)"

	xt_q "$srv" "google.com.default.svc.$z" A 3 answer_nxdomain &&
		xt_expect "NXDOMAIN google.com.default: no answer" \
			"$(jq -r '.ANCOUNT' "$XT_TMP/q.json")" 0 &&
		xt_check_soa "$XT_TMP/q.json" "$XT_QDESC"

	xt_q "$srv" "web.demo.svc.$z" AAAA 0 answer_nodata &&
		xt_expect "NODATA AAAA web.demo (IPv4-only service): no answer" \
			"$(jq -r '.ANCOUNT' "$XT_TMP/q.json")" 0 &&
		xt_check_soa "$XT_TMP/q.json" "$XT_QDESC"

	xt_stats "$s1"
	u1=$(xt_srv_udp_in)
	local args=()
	for i in "${!XT_WANT[@]}"; do
		args+=("$i=${XT_WANT[$i]}")
	done
	xt_stats_expect "$s0" "$s1" "${args[@]}"
	xt_expect "server stack received no UDP (answered in XDP)" "$((u1 - u0))" 0
}

# xt_answer_runs SERVER: the answer suite in native mode, then, after a clean stop, in generic
# mode. Extra daemon flags: XT_DAEMON_ARGS.
XT_DAEMON_ARGS=()
xt_answer_runs()
{
	local srv=$1 mode

	for mode in native generic; do
		xt_log "---- $mode mode ----"
		xt_daemon_start --xdp-mode "$mode" "${XT_DAEMON_ARGS[@]}"
		xt_daemon_wait_ready
		xt_expect "XDP attached in $mode mode" "$(xt_srv_xdp_mode)" "$mode"
		xt_answer_suite "$srv"
		xt_stats "$XT_TMP/grow"
		xt_expect "no reply was left to the stack for want of room" \
			"$(xt_stat "$XT_TMP/grow" pass_tail_adjust_failed)" 0
		xt_daemon_stop TERM
		xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
		xt_expect "SIGTERM: XDP detached" "$(xt_srv_xdp_mode)" none
	done
}

# ---- Knot DNS as a test upstream -----------------------------------------------------------
#
# xt_knot NAME ADDR@PORT ZONE: knotd in the server namespace, serving ZONE from the zone-file
# body read on stdin (after an SOA and NS the function writes: `$ORIGIN ZONE.`, TTL 300, SOA
# minimum 60, `ns` as the NS), with mod-stats counting requests by protocol. Its files live in
# $XT_TMP/NAME, its log in $XT_TMP/NAME.log; it dies with the namespace.
xt_knot()
{
	local d=$XT_TMP/$1
	mkdir -p "$d"
	cat >"$d/knot.conf" <<EOC
server:
    listen: $2
    rundir: $d
database:
    storage: $d
mod-stats:
  - id: st
    request-protocol: on
template:
  - id: default
    storage: $d
    global-module: mod-stats/st
zone:
  - domain: $3
    file: $d/zone
EOC
	{
		printf '$ORIGIN %s.\n$TTL 300\n@\tSOA ns hostmaster 1 7200 1800 86400 60\n@\tNS ns\n' "$3"
		cat
	} >"$d/zone"
	xt_nsrun "$XT_SRV" knotd -c "$d/knot.conf" >"$XT_TMP/$1.log" 2>&1 &
}

# xt_knot_wait NAME ADDR PORT QNAME: wait (10 s at most) until knot NAME answers QNAME A.
xt_knot_wait()
{
	local i
	for i in $(seq 100); do
		ip netns exec "$XT_SRV" kdig @"$2" -p "$3" +timeout=1 +retry=0 +short "$4" A \
			2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	xt_bail "knot $1 did not come up: $(cat "$XT_TMP/$1.log")"
}

# xt_knot_stop NAME [ADDR QNAME]: stop knot NAME; with ADDR, wait (10 s at most) until it no
# longer answers QNAME A there (on port 53).
xt_knot_stop()
{
	local i
	xt_nsrun "$XT_SRV" knotc -c "$XT_TMP/$1/knot.conf" stop >/dev/null 2>&1
	[ $# -ge 3 ] || return 0
	for i in $(seq 100); do
		ip netns exec "$XT_SRV" kdig @"$2" +timeout=1 +retry=0 "$3" A >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	xt_bail "knot $1 did not stop"
}

# xt_knot_count NAME KEY: one of knot NAME's mod-stats counters, e.g.
# 'request-protocol[udp4]' (0 when absent).
xt_knot_count()
{
	local v
	v=$(xt_nsrun "$XT_SRV" knotc -c "$XT_TMP/$1/knot.conf" stats 2>/dev/null |
		awk -F' = ' -v k="mod-stats.$2" '$1 == k { print $2 }')
	echo "${v:-0}"
}
