#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The real daemon forwarding through Knot DNS upstreams that run in the server namespace
# (127.0.0.2: example.test, the default upstream; 127.0.0.3:5353: prod.example.com, a stub
# zone by --forward), asked from the client namespace over the veth:
# - a name outside the cluster zone: XDP passes it (pass_not_authoritative), the daemon's
#   server forwards it, over UDP and TCP, RA=1; asked again it comes from the cache (knot's
#   query counter does not move);
# - the demo's ExternalName orders-db.demo -> orders-db.prod.example.com: A is the CNAME
#   followed by the target's A from the stub zone's knot (AA=1 RA=1), AAAA the CNAME and the
#   target zone's SOA (NODATA), and CNAME still comes from XDP (answer_other) alone;
# - an outside NXDOMAIN carries knot's SOA, and asked again does not reach knot;
# - every upstream stopped: an expired cached name is served stale (TTL 30) with the
#   daemon's default --serve-stale; the knot record has TTL 1 so it expires quickly.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
command -v knotd >/dev/null 2>&1 || xt_skip "knotd is not installed (apt-get install knot)"
xt_topology

KA=127.0.0.2		# knot: example.test, the default upstream
KB=127.0.0.3		# knot: prod.example.com on port 5353, by --forward

xt_knot ka "$KA@53" example.test <<'EOF'
ns	A 198.18.0.53
www	A 198.18.1.1
short	1 A 198.18.1.9
EOF
xt_knot kb "$KB@5353" prod.example.com <<'EOF'
ns	A 198.18.0.54
orders-db	A 198.18.4.1
EOF
xt_knot_wait ka "$KA" 53 www.example.test
xt_knot_wait kb "$KB" 5353 orders-db.prod.example.com

knot_queries()
{
	echo $(($(xt_knot_count "$1" 'request-protocol[udp4]') +
		$(xt_knot_count "$1" 'request-protocol[tcp4]')))
}

xt_daemon_start --upstream "$KA" --forward "prod.example.com=$KB:5353"
xt_daemon_wait_ready

J=$XT_TMP/r.json
# ask NAME TYPE [KDIG-ARG...]: from the client namespace to the daemon; JSON in $J.
ask()
{
	xt_kdig "$J" "$XT_SRV4" "$@" || xt_fail "$1 $2 $3: no answer ($(cat "$J.err"))"
}
hdr() { jq -r '"rcode=\(.RCODE) AA=\(.AA) RA=\(.RA) TC=\(.TC)"' "$J"; }
answers()
{
	jq -r '[.answerRRs[]? | "\(.NAME) \(.TYPEname) \(.["rdata" + .TYPEname])"] | join(" | ")' "$J"
}
authority() { jq -r '[.authorityRRs[]? | "\(.NAME) \(.TYPEname)"] | join(" | ")' "$J"; }

# ---- (a) an outside name through the daemon, UDP and TCP; (b) the cache -------------------

xt_stats "$XT_TMP/s0"
k0=$(knot_queries ka)
ask www.example.test A
xt_expect "www.example.test A over UDP: forwarded, RA=1" "$(hdr) $(answers)" \
	"rcode=0 AA=0 RA=1 TC=0 www.example.test. A 198.18.1.1"
xt_stats "$XT_TMP/s1"
xt_stats_expect "$XT_TMP/s0" "$XT_TMP/s1" pass_not_authoritative=1
xt_expect "knot answered it once" "$(($(knot_queries ka) - k0))" 1

ask www.example.test A +tcp
xt_expect "www.example.test A over TCP" "$(hdr) $(answers)" \
	"rcode=0 AA=0 RA=1 TC=0 www.example.test. A 198.18.1.1"
# py_ask NAME TYPE: dnspython (which keeps the letter case kdig prints in lower case) over
# UDP: "question answer-owner rcode" of the reply
py_ask()
{
	ip netns exec "$XT_CLI" "$XT_PY" -c '
import sys, dns.message, dns.query, dns.rcode
r = dns.query.udp(dns.message.make_query(sys.argv[2], sys.argv[3]), sys.argv[1], timeout=2)
print(r.question[0].name, r.answer[0].name if r.answer else "-", dns.rcode.to_text(r.rcode()))
' "$XT_SRV4" "$1" "$2" 2>&1
}
xt_expect "asked again (0x20 case): the question and the owner as sent" \
	"$(py_ask WwW.ExAmPlE.TeSt A)" "WwW.ExAmPlE.TeSt. WwW.ExAmPlE.TeSt. NOERROR"
xt_expect "both from the cache: knot saw nothing more" "$(($(knot_queries ka) - k0))" 1

# ---- (c, d) the ExternalName's target through the stub zone's upstream ---------------------

EXT=orders-db.demo.svc.$XT_ZONE
xt_obj_exists Service demo orders-db || xt_bail "the demo objects lost orders-db"
kb0=$(knot_queries kb)
ka0=$(knot_queries ka)
xt_stats "$XT_TMP/s0"
ask "$EXT" A
xt_expect "$EXT A: the CNAME, then the target's A from the prod.example.com upstream" \
	"$(hdr) $(answers)" \
	"rcode=0 AA=1 RA=1 TC=0 $EXT. CNAME orders-db.prod.example.com. | orders-db.prod.example.com. A 198.18.4.1"
xt_expect "the CNAME has the zone's TTL" "$(jq -r '.answerRRs[0].TTL' "$J")" "$XT_TTL"
xt_expect "0x20: the question and the CNAME's owner as sent" \
	"$(py_ask OrDeRs-Db.DeMo.SvC.ClUsTeR.LoCaL A)" \
	"OrDeRs-Db.DeMo.SvC.ClUsTeR.LoCaL. OrDeRs-Db.DeMo.SvC.ClUsTeR.LoCaL. NOERROR"
ask "$EXT" AAAA
xt_expect "$EXT AAAA: the CNAME and the target zone's SOA (NODATA)" \
	"$(hdr) $(answers) / $(authority)" \
	"rcode=0 AA=1 RA=1 TC=0 $EXT. CNAME orders-db.prod.example.com. / prod.example.com. SOA"
ask "$EXT" A +tcp
xt_expect "$EXT A over TCP" "$(hdr) $(answers)" \
	"rcode=0 AA=1 RA=1 TC=0 $EXT. CNAME orders-db.prod.example.com. | orders-db.prod.example.com. A 198.18.4.1"
xt_expect "--forward routed the target to its knot (A and AAAA; TCP from the cache)" \
	"$(($(knot_queries kb) - kb0)) $(($(knot_queries ka) - ka0))" "2 0"
ask "$EXT" CNAME
xt_expect "$EXT CNAME: XDP's answer, the CNAME alone" "$(hdr) $(answers)" \
	"rcode=0 AA=1 RA=0 TC=0 $EXT. CNAME orders-db.prod.example.com."
xt_stats "$XT_TMP/s1"
# XDP passed the three UDP A/AAAA questions of the ExternalName and answered its CNAME
xt_stats_expect "$XT_TMP/s0" "$XT_TMP/s1" answer_other=1 pass_slow_path_entry=3

# ---- (e) negative answers and their cache ----------------------------------------------------

nx0=$(xt_knot_count ka 'response-code[NXDOMAIN]')
ask nothere.example.test A
xt_expect "an outside NXDOMAIN with knot's SOA" "$(hdr) $(answers) / $(authority)" \
	"rcode=3 AA=0 RA=1 TC=0  / example.test. SOA"
ask nothere.example.test A
xt_expect "NXDOMAIN again" "$(hdr)" "rcode=3 AA=0 RA=1 TC=0"
xt_expect "knot saw it once (negative cache)" \
	"$(($(xt_knot_count ka 'response-code[NXDOMAIN]') - nx0))" 1

# ---- (f) serve-stale when every upstream is gone -------------------------------------------

ask short.example.test A
xt_expect "short.example.test (TTL 1) cached" "$(hdr) $(answers)" \
	"rcode=0 AA=0 RA=1 TC=0 short.example.test. A 198.18.1.9"
xt_knot_stop kb
xt_knot_stop ka "$KA" www.example.test
sleep 1.5	# past the record's TTL of 1 s: the cached answer has expired
xt_kdig "$J" "$XT_SRV4" short.example.test A +timeout=5 || xt_fail "no stale answer"
xt_expect "upstreams gone, entry expired: served stale with TTL 30" \
	"$(hdr) $(answers) $(jq -r '.answerRRs[0].TTL' "$J")" \
	"rcode=0 AA=0 RA=1 TC=0 short.example.test. A 198.18.1.9 30"

xt_daemon_stop
xt_expect "the daemon exits cleanly" "$XT_DRC" 0
xt_done
