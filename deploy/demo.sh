#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# deploy/demo.sh (`make run`) - xdpdns answering the demo cluster objects, without a cluster.
#
#   netns xdpdns-demo-client                      netns xdpdns-demo-srv
#   veth-cli 198.18.0.2 fd00:198:18::2   <---->   veth-srv 198.18.0.1 fd00:198:18::1
#   xdp_pass (pass-through)                       xdpdns (foreground, logs to this terminal)
#
# Both ends live in their own network namespaces, so the host's interfaces, addresses and
# routes are untouched; the only host state is the pin directory /sys/fs/bpf/xdpdns-demo (and
# bpffs mounted at /sys/fs/bpf if it was not). Ctrl-C (or any exit) removes everything; a
# leftover of an earlier run is removed at start.
#
# Environment: XDPDNS_DEMO_OBJECTS (default deploy/examples/demo-objects.json),
# XDPDNS_DEMO_XDP_MODE (auto, native or generic; default auto: native XDP on the veth).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/.output
XDPDNS=$OUT/xdpdns
CTL=$OUT/xdpdnsctl
PASS_OBJ=$OUT/tests/bpf/xdp_pass.bpf.o
OBJECTS=${XDPDNS_DEMO_OBJECTS:-$ROOT/deploy/examples/demo-objects.json}
MODE=${XDPDNS_DEMO_XDP_MODE:-auto}
SRV=xdpdns-demo-srv
CLI=xdpdns-demo-client
PIN=/sys/fs/bpf/xdpdns-demo
SRV4=198.18.0.1
SRV6=fd00:198:18::1
LOG=
DPID=

die()
{
	echo "demo: $*" >&2
	exit 1
}

# Remove the namespaces (and with them the veth pair), the daemon and the pins. Also used at
# start for the leftovers of an earlier run that did not get to clean up.
teardown()
{
	local pid i

	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null
		for i in $(seq 50); do
			[ "$(awk '{ print $3 }' "/proc/$DPID/stat" 2>/dev/null)" = Z ] && break
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	DPID=
	# A daemon of an earlier demo still running in the server namespace.
	for pid in $(ip netns pids "$SRV" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null
	done
	i=0
	while [ -n "$(ip netns pids "$SRV" 2>/dev/null)" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	for pid in $(ip netns pids "$SRV" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	rm -rf "$PIN"
	[ -z "$LOG" ] || rm -f "$LOG"
}

on_exit()
{
	local rc=$?
	trap - EXIT INT TERM
	echo
	echo "demo: stopping xdpdns and removing $SRV, $CLI and $PIN"
	teardown
	exit "$rc"
}

[ "$(id -u)" = 0 ] ||
	die "needs root: it creates network namespaces and attaches XDP programs (try: sudo make run)"
for t in ip nsenter; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed (make deps)"
done
for f in "$XDPDNS" "$CTL" "$PASS_OBJ"; do
	[ -e "$f" ] || die "$f is missing: build first (make all)"
done
[ -r "$OBJECTS" ] || die "cannot read the objects file $OBJECTS"
case $MODE in native | generic | auto) ;; *) die "XDPDNS_DEMO_XDP_MODE: auto, native or generic" ;; esac

if ip netns list | grep -qE "^($SRV|$CLI)( |\$)" || [ -e "$PIN" ]; then
	echo "demo: removing the leftovers of an earlier run"
	teardown
fi

trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LOG=$(mktemp "${TMPDIR:-/tmp}/xdpdns-demo.XXXXXX") || die "mktemp failed"
ip netns add "$SRV" || die "cannot create the network namespace $SRV"
ip netns add "$CLI" || die "cannot create the network namespace $CLI"
ip link add xdpdns-demo-s netns "$SRV" type veth peer name xdpdns-demo-c netns "$CLI" ||
	die "cannot create the veth pair"
ip -n "$SRV" link set xdpdns-demo-s name veth-srv
ip -n "$CLI" link set xdpdns-demo-c name veth-cli
ip -n "$SRV" link set lo up
ip -n "$CLI" link set lo up
ip -n "$SRV" addr add "$SRV4/24" dev veth-srv
ip -n "$SRV" addr add "$SRV6/64" dev veth-srv nodad
ip -n "$CLI" addr add 198.18.0.2/24 dev veth-cli
ip -n "$CLI" addr add fd00:198:18::2/64 dev veth-cli nodad
# veth hands XDP_TX frames to its peer only if the peer runs an XDP program of its own.
ip -n "$CLI" link set dev veth-cli xdpdrv obj "$PASS_OBJ" sec xdp ||
	die "cannot attach the pass-through XDP program to veth-cli"
ip -n "$SRV" link set veth-srv up
ip -n "$CLI" link set veth-cli up

# nsenter --net, not ip netns exec: the latter mounts a fresh /sys, hiding the host's bpffs,
# and the pins would be invisible to xdpdnsctl.
echo "demo: starting xdpdns in $SRV ($MODE XDP on veth-srv)"
nsenter --net="/run/netns/$SRV" -- "$XDPDNS" --interface veth-srv --listen "$SRV4,$SRV6" \
	--objects "$OBJECTS" --pin-dir "$PIN" --reverse-zone in-addr.arpa,ip6.arpa \
	--xdp-mode "$MODE" 2> >(tee "$LOG" >&2) &
DPID=$!

deadline=$((SECONDS + 30))
until grep -q '^xdpdns: info: ready$' "$LOG"; do
	kill -0 "$DPID" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$DPID/stat")" != Z ] ||
		die "xdpdns exited before it was ready (its log is above)"
	[ "$SECONDS" -lt "$deadline" ] || die "xdpdns was not ready within 30 s"
	sleep 0.1
done

C="ip netns exec $CLI"
Z=svc.cluster.local
cat <<EOF

  xdpdns answers the objects of $(basename "$OBJECTS") from XDP on $SRV4 and $SRV6.
  Try, from another terminal:

    $C dig +norec @$SRV4 kube-dns.kube-system.$Z A
    $C dig +norec @$SRV4 kube-dns.kube-system.$Z AAAA
    $C dig +norec @$SRV4 _dns._udp.kube-dns.kube-system.$Z SRV
    $C dig +norec @$SRV4 -x 10.96.0.10
    $C dig +norec @$SRV4 nginx.demo.$Z A                 # headless: the ready endpoints
    $C dig +norec @$SRV4 web-0.nginx.demo.$Z A           # StatefulSet pod hostname
    $C dig +norec @$SRV4 google.com.default.$Z A         # NXDOMAIN with the zone SOA
    $C dig +norec @$SRV6 web.demo.$Z AAAA                # NODATA: web is IPv4-only
    $C dig +norec @$SRV6 cache.demo.$Z AAAA
    $C dig +norec @$SRV6 +noall +answer KuBe-DnS.Kube-System.$Z A   # 0x20: the case comes back
    $C dig +norec +tcp @$SRV4 kube-dns.kube-system.$Z A   # TCP: the slow-path server, same records
    $C dig +norec @$SRV4 10-244-1-5.demo.pod.cluster.local A   # insecure pod name: the slow path

  What the fast path did, and what it holds for a name:

    $CTL --pin-dir $PIN stats
    $CTL --pin-dir $PIN lookup kube-dns.kube-system.$Z A

  Ctrl-C stops xdpdns and removes the namespaces and the pins.

EOF

wait "$DPID"
rc=$?
DPID=
echo "demo: xdpdns exited with status $rc"
exit "$rc"
