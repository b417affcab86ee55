#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The queries of t_xdp_answers_v4.sh over IPv6 (to fd00:198:18::1), native then generic mode,
# with --ttl 7, which must show in every answer TTL and in the SOA (TTL and MINIMUM). Proof
# that XDP answered: each answer_* counter rose by exactly the number of its queries, and the
# server namespace's kernel received no UDP datagram (/proc/net/snmp6).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
XT_TTL=7
XT_DAEMON_ARGS=(--ttl "$XT_TTL")
xt_answer_runs "$XT_SRV6"
xt_done
