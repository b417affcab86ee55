#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# An upgrade to a build whose map layout changed must not fail on the maps an older
# version left pinned (libbpf refuses to reuse maps of another layout; a DaemonSet would
# crash-loop): the daemon replaces those pins and answers. Simulated with maps pinned under
# the run's --pin-dir with other key/value sizes, as an older build would have left them.
# Then maps of our layout whose entries mean something else (another XDPDNS_ABI in the
# config map, as a build that stored NODATA answers differently would have left them):
# replaced too, never misread.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology

NAME=kube-dns.kube-system.svc.$XT_ZONE
xt_map_id() { bpftool -j map show pinned "$XT_PIN/$1" 2>/dev/null | jq -r '.id // empty'; }
mkdir -p "$XT_PIN"
bpftool map create "$XT_PIN/xdpdns_ans_s" type hash key 64 value 8 entries 16 \
	name xdpdns_ans_s flags 1 || xt_bail "bpftool map create failed"
bpftool map create "$XT_PIN/xdpdns_config" type array key 4 value 8 entries 1 \
	name xdpdns_config || xt_bail "bpftool map create failed"

# start_replacing WHAT: start the daemon on the pins left in place; it must say the pinned maps
# have another layout or ABI, replace them, and answer.
start_replacing()
{
	local old new

	old=$(xt_map_id xdpdns_ans_s)
	xt_daemon_start --xdp-mode native
	xt_daemon_wait_ready
	grep -q 'have another layout' "$XT_DLOG" && xt_ok "$1: reported" ||
		xt_fail "$1: no log line about the pinned maps"
	new=$(xt_map_id xdpdns_ans_s)
	[ -n "$new" ] && [ "$new" != "$old" ] && xt_ok "$1: xdpdns_ans_s replaced ($old -> $new)" ||
		xt_fail "$1: xdpdns_ans_s was not replaced ($old -> $new)"
	xt_kdig "$XT_TMP/q.json" "$XT_SRV4" "$NAME" A ||
		xt_bail "no answer: $(cat "$XT_TMP/q.json.err")"
	xt_expect "$1: $NAME A" "$(xt_rdata "$XT_TMP/q.json" A | paste -sd,)" \
		"$(xt_obj_cluster_ips kube-system kube-dns 4 | paste -sd,)"
}

start_replacing "another layout"

xt_log "---- the same layout, another ABI ----"
xt_daemon_stop KILL
cfg_hex=$(bpftool -j map lookup pinned "$XT_PIN/xdpdns_config" key 0 0 0 0 |
	jq -r '.value | map(.[2:]) | join(" ")')
[ "$(wc -w <<<"$cfg_hex")" = 192 ] || xt_bail "config value: $cfg_hex"
# abi is the __u32 at offset 184 of struct xdpdns_config: an older meaning, 0
cfg_old=$(tr ' ' '\n' <<<"$cfg_hex" | awk 'NR > 184 && NR <= 188 { $0 = "00" } 1' | paste -sd' ')
# shellcheck disable=SC2086 # one word per byte
bpftool map update pinned "$XT_PIN/xdpdns_config" key 0 0 0 0 value hex $cfg_old ||
	xt_bail "bpftool map update failed"
start_replacing "another ABI"

xt_log "---- the same ABI: reused ----"
xt_daemon_stop KILL
old=$(xt_map_id xdpdns_ans_s)
xt_daemon_start --xdp-mode native
xt_daemon_wait_ready
new=$(xt_map_id xdpdns_ans_s)
[ "$new" = "$old" ] && xt_ok "xdpdns_ans_s was reused ($old)" ||
	xt_fail "xdpdns_ans_s was replaced ($old -> $new) though its ABI is ours"
xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
