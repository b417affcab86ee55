#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# xdpdns --kubeconfig --pods verified follows the Pods of the API (the fixture,
# tests/kube/fixture.py) and the fast path answers pod records (a-b-c-d.<ns>.pod.<zone> A, the
# dashed IPv6 form AAAA) only for pods that exist, end to end:
# - with --pods verified the daemon lists and then watches /api/v1/pods (t_kube_sync.sh checks
#   that it does not without it);
# - the demo pods answer, including a dual-stack pod's IPv6 address;
# - a pod created through the API answers (IPv4, and an IPv6-only pod AAAA); before it exists
#   its name is NXDOMAIN (insecure mode would answer it);
# - a pod in another namespace answers there, and does not make the name exist in this one;
# - a pod given a deletionTimestamp stops being answered; a deleted pod's name is NXDOMAIN;
# - all of it from XDP: the answer counters rise by one per query, each in its reason, and the
#   server's stack receives no UDP.
# shellcheck disable=SC2015  # xt_ok/xt_fail always succeed
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
# shellcheck source=tests/netns/kube_lib.sh
. "$(dirname "$0")/kube_lib.sh"

# pod NS NAME IP...: a running Pod with these IPs (the first is status.podIP).
pod()
{
	local ns=$1 name=$2
	shift 2
	jq -nc --arg ns "$ns" --arg n "$name" '$ARGS.positional as $ips |
		{kind: "Pod", apiVersion: "v1", metadata: {name: $n, namespace: $ns},
		 spec: {containers: [{name: "c", image: "busybox"}], nodeName: "node-1"},
		 status: {phase: "Running", podIP: $ips[0], podIPs: [$ips[] | {ip: .}]}}' \
		--args "$@"
}

fx_start --load "$XT_OBJECTS"
kube_daemon_start --kubeconfig "$FX/kubeconfig" --pods verified
xt_daemon_wait_ready
xt_expect "XDP attached" "$(xt_srv_xdp_mode)" native
[ "$(fx_count 'LIST /api/v1/pods 200')" -ge 1 ] && xt_ok "--pods verified: pods are listed" ||
	xt_fail "--pods verified: pods were not listed"
deadline=$((SECONDS + 10))
until [ "$(fx_count 'WATCH /api/v1/pods 200')" -ge 1 ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
[ "$(fx_count 'WATCH /api/v1/pods 200')" -ge 1 ] && xt_ok "--pods verified: pods are watched" ||
	xt_fail "--pods verified: no watch of /api/v1/pods"

# ---- the demo pods ----
for i in 1 2 3; do xt_kdig "$XT_TMP/w.json" "$XT_SRV4" "kubernetes.default.svc.$Z" A && break; done
xt_expect "demo pod web-0: 10-244-1-20.demo.pod A" "$(xt_a "10-244-1-20.demo.pod.$Z")" 10.244.1.20
xt_expect "demo pod cache-0 (dual-stack): its IPv6 address AAAA" \
	"$(xt_a "fd00-10-244-1--1e.demo.pod.$Z" AAAA)" fd00:10:244:1::1e
xt_expect "demo pod coredns in kube-system: not a name in demo" \
	"$(xt_a "10-244-0-2.demo.pod.$Z")" NXDOMAIN

# ---- pods created, in this namespace and another ----
xt_expect "before: 10-244-3-7.demo.pod (no such pod, verified mode)" \
	"$(xt_a "10-244-3-7.demo.pod.$Z")" NXDOMAIN
t0=$(now_ms)
ctl POST objects "$(pod demo p1 10.244.3.7)" >/dev/null || xt_fail "control: create pod demo/p1"
follow "created pod demo/p1 answers A" "10-244-3-7.demo.pod.$Z" A 10.244.3.7 "$t0"

xt_expect "before: fd00-10-244-9--7.demo.pod AAAA" "$(xt_a "fd00-10-244-9--7.demo.pod.$Z" AAAA)" \
	NXDOMAIN
t0=$(now_ms)
ctl POST objects "$(pod demo p6 fd00:10:244:9::7)" >/dev/null ||
	xt_fail "control: create pod demo/p6"
follow "created IPv6 pod demo/p6 answers AAAA" "fd00-10-244-9--7.demo.pod.$Z" AAAA \
	fd00:10:244:9::7 "$t0"
xt_expect "IPv6 pod demo/p6: A is NODATA" "$(xt_a "fd00-10-244-9--7.demo.pod.$Z" A)" NODATA

t0=$(now_ms)
ctl POST objects "$(pod kube-public other 10.244.3.8)" >/dev/null ||
	xt_fail "control: create pod kube-public/other"
follow "pod kube-public/other answers in kube-public" "10-244-3-8.kube-public.pod.$Z" A \
	10.244.3.8 "$t0"
xt_expect "pod kube-public/other: not a name in demo" "$(xt_a "10-244-3-8.demo.pod.$Z")" NXDOMAIN

# ---- answered from XDP ----
xt_stats "$XT_TMP/s0"
u0=$(xt_srv_udp_in)
xt_a "10-244-3-7.demo.pod.$Z" >/dev/null
xt_a "10-244-3-8.kube-public.pod.$Z" >/dev/null
xt_a "fd00-10-244-9--7.demo.pod.$Z" AAAA >/dev/null
xt_a "10-244-3-8.demo.pod.$Z" >/dev/null
xt_stats "$XT_TMP/s1"
xt_stats_expect "$XT_TMP/s0" "$XT_TMP/s1" answer_a=2 answer_aaaa=1 answer_nxdomain=1
xt_expect "pod records answered in XDP (server stack received no UDP)" \
	"$(($(xt_srv_udp_in) - u0))" 0

# ---- terminating and deleted pods ----
t0=$(now_ms)
ctl PUT objects "$(pod demo p1 10.244.3.7 | jq -c '.metadata.deletionTimestamp =
	"2025-01-01T00:00:00Z" | .metadata.deletionGracePeriodSeconds = 30')" >/dev/null ||
	xt_fail "control: pod demo/p1 terminating"
follow "pod demo/p1 with a deletionTimestamp: NXDOMAIN" "10-244-3-7.demo.pod.$Z" A NXDOMAIN "$t0"
t0=$(now_ms)
ctl DELETE objects/pods/demo/p6 >/dev/null || xt_fail "control: delete pod demo/p6"
follow "deleted pod demo/p6: NXDOMAIN" "fd00-10-244-9--7.demo.pod.$Z" AAAA NXDOMAIN "$t0"
t0=$(now_ms)
ctl DELETE objects/pods/demo/web-0 >/dev/null || xt_fail "control: delete pod demo/web-0"
follow "deleted demo pod web-0: NXDOMAIN" "10-244-1-20.demo.pod.$Z" A NXDOMAIN "$t0"
xt_expect "after the deletes: pod kube-public/other still answers" \
	"$(xt_a "10-244-3-8.kube-public.pod.$Z")" 10.244.3.8
xt_expect "after the deletes: demo pod cache-0 still answers" \
	"$(xt_a "10-244-1-30.demo.pod.$Z")" 10.244.1.30

xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
