#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The fast path answers over IPv4 (to 198.18.0.1) on a veth, in native and then in generic XDP
# mode: A (ClusterIP), AAAA (dual-stack), SRV, PTR (an IPv4 and an IPv6 cluster IP), a headless
# A set, a headless AAAA set, an endpoint hostname, NXDOMAIN and NODATA with the zone SOA;
# every answer is compared with the demo objects. Proof that XDP answered: each answer_*
# counter rose by exactly the number of its queries, and the server namespace's kernel
# received no UDP datagram (/proc/net/snmp).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology
xt_answer_runs "$XT_SRV4"
xt_done
