# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# tests/netns/kube_lib.sh - helpers of the tests that run xdpdns against the Kubernetes API
# fixture (tests/kube/fixture.py). Sourced after lib.sh, after xt_init and xt_topology; never
# run. The fixture runs in the server namespace on 127.0.0.1, so xt_cleanup (which kills
# every process there) stops it too.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: tests/netns/kube_lib.sh is the tests' library, not a test"
	exit 77
fi

command -v curl >/dev/null 2>&1 || xt_skip "curl is not installed (make deps)"
command -v openssl >/dev/null 2>&1 || xt_skip "openssl is not installed (make deps)"

FX=$XT_TMP/fx
FIXTURE=$XT_ROOT/tests/kube/fixture.py
FX_N=0
FX_PID=
CTL=
API_PORT=0
# shellcheck disable=SC2034  # used by the tests that source this
Z=$XT_ZONE

# fx_start [FIXTURE-ARG...]: start the fixture (state in $FX/state.json, same port as the last
# start, a BOOKMARK every second); sets FX_PID, CTL and API_PORT. Its stderr: $XT_TMP/fxN.err.
fx_start()
{
	local out
	FX_N=$((FX_N + 1))
	out=$XT_TMP/fx$FX_N.out
	nsenter --net="/run/netns/$XT_SRV" -- "$XT_PY" "$FIXTURE" --dir "$FX" --state "$FX/state.json" \
		--port "$API_PORT" --bookmark-interval 1 "$@" >"$out" 2>"$XT_TMP/fx$FX_N.err" &
	FX_PID=$!
	disown "$FX_PID"	# killed by xt_cleanup: no "Killed" notice from bash
	for _ in $(seq 150); do
		[ -s "$out" ] && break
		kill -0 "$FX_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$out" ] || xt_bail "the fixture did not start: $(tail -n 3 "$XT_TMP/fx$FX_N.err")"
	CTL=$(jq -r .control "$out")
	API_PORT=$(jq -r '.api | sub(".*:"; "")' "$out")
	xt_log "fixture pid $FX_PID: api $(jq -r .api "$out"), control $CTL"
}

# ctl METHOD PATH [BODY]: the fixture's control port, from the server namespace.
ctl()
{
	xt_nsrun "$XT_SRV" curl -s -f --max-time 10 -X "$1" "$CTL/$2" ${3:+--data-binary "$3"}
}

# fx_count KEY: a request counter of the fixture ("LIST /api/v1/services 200"), 0 when none.
fx_count()
{
	ctl GET stats | jq -r --arg k "$1" '.requests[$k] // 0'
}

# fx_count_code CODE: requests of any kind and path the fixture answered with CODE.
fx_count_code()
{
	ctl GET stats | jq -r --arg c " $1" \
		'[.requests | to_entries[] | select(.key | endswith($c)) | .value] | add // 0'
}

# kube_daemon_start [ARG...]: the daemon in the server namespace, listening on both server
# addresses, native mode, the run's pins; ARGs name the source (--kubeconfig F) and the rest.
# Its stderr goes to $XT_DLOG. KUBE_DAEMON_WRAP (an array) is put before the binary.
KUBE_DAEMON_WRAP=()
kube_daemon_start()
{
	XT_NSTART=$((XT_NSTART + 1))
	XT_DLOG=$XT_TMP/daemon$XT_NSTART.log
	nsenter --net="/run/netns/$XT_SRV" -- "${KUBE_DAEMON_WRAP[@]}" "$XT_XDPDNS" \
		--interface "$XT_SRV_IF" --listen "$XT_SRV4,$XT_SRV6" --pin-dir "$XT_PIN" \
		--reverse-zone in-addr.arpa,ip6.arpa --xdp-mode native "$@" 2>"$XT_DLOG" >&2 &
	XT_DPID=$!
	xt_log "daemon pid $XT_DPID: ${KUBE_DAEMON_WRAP[*]:+(wrapped) }xdpdns $*"
}

# xt_a NAME [TYPE [TAG]]: the records of NAME (sorted, comma-separated), or the rcode on none.
xt_a()
{
	local f=$XT_TMP/a${3:-}.json t=${2:-A} a

	xt_kdig "$f" "$XT_SRV4" "$1" "$t" || { echo "no-answer"; return; }
	a=$(xt_rdata "$f" "$t" | paste -sd,)
	[ -n "$a" ] && echo "$a" ||
		jq -r '.RCODE | if . == 3 then "NXDOMAIN" elif . == 0 then "NODATA" else "rcode-\(.)" end' "$f"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# follow DESC NAME TYPE WANT T0 [SECONDS]: poll (no sleep: each query is its own wait) until
# NAME TYPE answers WANT, at most SECONDS (10); pass/fail, and log the time since T0 (ms, from
# now_ms). The times of passes are collected in LAT.
LAT=()
follow()
{
	local desc=$1 name=$2 type=$3 want=$4 t0=$5 got deadline=$((SECONDS + ${6:-10})) ms
	while :; do
		got=$(xt_a "$name" "$type")
		[ "$got" = "$want" ] && break
		[ "$SECONDS" -lt "$deadline" ] || break
	done
	ms=$(($(now_ms) - t0))
	xt_expect "$desc" "$got" "$want"
	xt_log "latency: $desc: ${ms} ms"
	[ "$got" = "$want" ] && LAT+=("$ms")
}

# log_wait PATTERN [SECONDS [MIN-COUNT]]: wait until the daemon log has at least MIN-COUNT (1)
# lines matching the extended regex PATTERN, at most SECONDS (10). Status 0 when it has.
log_wait()
{
	local deadline=$((SECONDS + ${2:-10})) n=${3:-1}
	until [ "$(grep -cE -- "$1" "$XT_DLOG")" -ge "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		xt_daemon_alive || return 1
		sleep 0.1
	done
}

# svc_json NS NAME CLUSTER-IP: a ClusterIP Service with one port.
svc_json()
{
	printf '{"kind":"Service","apiVersion":"v1","metadata":{"name":"%s","namespace":"%s"},' "$2" "$1"
	printf '"spec":{"type":"ClusterIP","clusterIP":"%s","clusterIPs":["%s"],' "$3" "$3"
	printf '"ports":[{"name":"http","port":80,"protocol":"TCP"}]}}'
}
