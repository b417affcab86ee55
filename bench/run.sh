#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/run.sh - run every benchmark and print its figures (`make bench` builds, then runs this).
#
#   xdp_cost   per-query cost of xdpdns_xdp vs a floor (BPF_PROG_TEST_RUN), 1,000 and
#              1,000,000 answer entries, and where an A hit's time goes
#   keylayout  64-byte vs 264-byte answer keys
#   helpers    the engine's building blocks on their own
#   compile    objects -> zone -> maps, 10,000 services / 100,000 endpoints
#   publish    the daemon's share of DNS programming latency: 1,000 changes applied,
#              built and published one at a time into the maps of that zone
#   slowpath   issue 4: the slow path per core against NSD, Knot, Unbound and dnsmasq with
#              dnsperf over a veth, and XDP's zone hit against it (bench/slowpath.sh, ~4 min)
#
# Benchmarks print figures and never assert timings; a non-zero exit means something failed
# to build, load or pass its correctness checks. Output also goes to .output/bench/results.txt.
# Needs root (BPF programs and maps). BENCH_ROUNDS overrides the rounds of the BPF benches.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1

OUT=.output/bench
RESULTS=$OUT/results.txt
ROUNDS=${BENCH_ROUNDS:-7}
SERVICES=10000
ENDPOINTS=100000
OBJECTS=$OUT/objects-$SERVICES-$ENDPOINTS.json

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (loads BPF programs, creates maps, BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
for b in xdp_cost keylayout helpers compile publish; do
	if [ ! -x "$OUT/$b" ]; then
		echo "bench: $OUT/$b is missing: run \`make bench\`" >&2
		exit 1
	fi
done
if [ ! -f bench/gen-objects.py ]; then
	echo "bench: bench/gen-objects.py is missing (compile bench input)" >&2
	exit 1
fi

# The objects file is deterministic: make it once per version of the generator.
if [ ! -s "$OBJECTS" ] || [ bench/gen-objects.py -nt "$OBJECTS" ]; then
	if ! /usr/bin/python3 bench/gen-objects.py --services $SERVICES --endpoints $ENDPOINTS \
		>"$OBJECTS.tmp"; then
		rm -f "$OBJECTS.tmp"
		echo "bench: gen-objects.py failed" >&2
		exit 1
	fi
	mv "$OBJECTS.tmp" "$OBJECTS" || exit 1
fi

status=0
step() {
	local name=$1 start=$SECONDS rc
	shift
	echo
	echo "######## $name: $*"
	"$@"
	rc=$?
	echo "######## $name: exit $rc, $((SECONDS - start)) s"
	[ $rc = 0 ] || status=1
}

{
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
	git diff --quiet HEAD -- bpf maps 2>/dev/null || rev="$rev + uncommitted bpf/ maps/"
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	jit=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo '?')
	stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo '?')
	spectre=$(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo '?')
	echo "xdpdns bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), git $rev"
	echo "machine: $(nproc) CPUs ($cpu), kernel $(uname -r), $mem," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "bpf_jit_enable $jit, bpf_stats_enabled $stats, spectre_v2: $spectre"
	start=$SECONDS
	step xdp_cost "$OUT/xdp_cost" -r "$ROUNDS" -n 1000000 -s 1000,1000000
	step keylayout "$OUT/keylayout" -r "$ROUNDS" -n 1000000
	step helpers "$OUT/helpers" -r "$ROUNDS" -n 1000000
	step compile "$OUT/compile" -i 3 "$OBJECTS"
	step publish "$OUT/publish" -n 1000 "$OBJECTS"
	step slowpath bench/slowpath.sh
	echo
	if [ $status = 0 ]; then
		echo "bench: total $((SECONDS - start)) s, all benchmarks ran"
	else
		echo "bench: total $((SECONDS - start)) s, SOME BENCHMARKS FAILED"
	fi
	exit $status
} 2>&1 | tee "$RESULTS"
status=$?
echo "bench: raw output in $RESULTS"
exit $status
