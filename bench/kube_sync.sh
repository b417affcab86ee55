#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/kube_sync.sh - the live-sync benchmarks of issue 3 (`make bench-kube` runs them):
#   initial sync   10,000 Services, their EndpointSlices (100,000 endpoints) and 50,000 Pods
#                  in the fixture (tests/kube/fixture.py); xdpdns --kubeconfig --pods verified
#                  on a veth: time to "ready", to the first XDP answer, and its memory
#   latency        changes through the fixture's control port with all of that loaded: from
#                  the fixture recording the event to the prober (bench/kube_probe.c) in the
#                  client namespace receiving an answer that shows it
# Method and figures: bench/README.md, section 4. The work is done by bench/kube_sync.py in
# the server namespace of tests/netns/lib.sh's topology, whose EXIT trap removes everything
# (processes, namespaces, pins, scratch directory) even on failure or Ctrl-C.
#
# usage: bench/kube_sync.sh [--changes N] [--managed-fields-bytes N[,N...]] [--warmup N]
#                           [--interval-us N] [--settle S]
#   defaults: 1000 changes, 10 warm-up changes, the sync with managedFields of 2048 bytes
#   (then the changes), then again with none (sync only); a query every 200 us; memory read
#   again 5 s after ready. --changes 0 runs the initial sync only. Needs root and the build
#   products of `make bench-kube`. Output also goes to .output/bench/kube-results.txt.
# Sizes: KUBE_BENCH_SERVICES, KUBE_BENCH_ENDPOINTS, KUBE_BENCH_PODS (10000, 100000, 50000).
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVICES=${KUBE_BENCH_SERVICES:-10000}
ENDPOINTS=${KUBE_BENCH_ENDPOINTS:-100000}
PODS=${KUBE_BENCH_PODS:-50000}
OBJECTS=$ROOT/.output/bench/kube-objects-$SERVICES-$ENDPOINTS-$PODS.json
PROBE=$ROOT/.output/bench/kube_probe
RESULTS=$ROOT/.output/bench/kube-results.txt

# shellcheck source=tests/netns/lib.sh
. "$ROOT/tests/netns/lib.sh"

[ -x "$PROBE" ] || { echo "kube_sync: $PROBE is missing: run \`make bench-kube\`" >&2; exit 1; }
# Everything printed also goes to the results file.
exec > >(tee "$RESULTS") 2>&1
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || rev="$rev + uncommitted changes"
echo "xdpdns bench-kube, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), git $rev"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
	"kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
xt_init

# The prober runs in the client namespace, which xt_cleanup does not empty.
kube_bench_cleanup()
{
	local rc=$? pid

	for pid in $(ip netns pids "$XT_CLI" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	(exit "$rc")
	xt_cleanup
}
trap kube_bench_cleanup EXIT

# The objects file is deterministic: made once per version of the generator.
if [ ! -s "$OBJECTS" ] || [ "$ROOT/bench/gen-objects.py" -nt "$OBJECTS" ]; then
	xt_log "generating $OBJECTS"
	"$XT_PY" "$ROOT/bench/gen-objects.py" --services "$SERVICES" --endpoints "$ENDPOINTS" \
		--pods "$PODS" >"$OBJECTS.tmp" || { rm -f "$OBJECTS.tmp"; xt_bail "gen-objects.py failed"; }
	mv "$OBJECTS.tmp" "$OBJECTS" || exit 1
fi

xt_topology
xt_log "driver in $XT_SRV (fixture, daemon), prober in $XT_CLI"
# In the background and waited for: a signal then runs the traps at once (bash would wait for
# a foreground command first); the cleanup kills the driver and all it started.
nsenter --net="/run/netns/$XT_SRV" -- "$XT_PY" "$ROOT/bench/kube_sync.py" \
	--objects "$OBJECTS" --tmp "$XT_TMP" --cli-ns "$XT_CLI" --pin-dir "$XT_PIN" \
	--iface "$XT_SRV_IF" --listen "$XT_SRV4,$XT_SRV6" --xdpdns "$XT_XDPDNS" --probe "$PROBE" \
	--fixture "$ROOT/tests/kube/fixture.py" "$@" </dev/null &
wait $!
