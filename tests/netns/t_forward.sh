#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The forwarder and its cache against real upstreams: Knot DNS serving zones this test
# writes, plus a silent socket and a dnspython upstream that answers wrong first. Everything
# runs in one test network namespace on loopback addresses (127.0.0.x), driven through
# tests/tools/fwd_query (one forwarder instance and its cache, as a server worker holds them):
# - forwarding to the default upstream, and a stub zone (--forward) to its own upstream;
# - failover when the first upstreams refuse (nothing listens) or never answer;
# - TCP after TC=1 for an answer over 1232 bytes (knot's own TCP counter moves);
# - negative caching: the second NXDOMAIN does not reach knot (its query counter);
# - prefetch: a popular entry is refreshed by knot before it expires, clients never miss;
# - a spoofed reply with a wrong ID and one with a wrong question are ignored;
# - serve-stale after knot is killed; loop refusal of an upstream that is ourselves.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

FQ=$XT_OUT/tests/tools/fwd_query

xt_init
command -v knotd >/dev/null 2>&1 || xt_skip "knotd is not installed (apt-get install knot)"
[ -x "$FQ" ] || xt_bail "$FQ is missing: build it (make test)"

ip netns add "$XT_SRV" || xt_bail "cannot create netns $XT_SRV"
ip -n "$XT_SRV" link set lo up

KA=127.0.0.2		# knot: example.test, the default upstream
KB=127.0.0.3		# knot: stub.internal on port 5353
DEAD=127.0.0.9		# nothing listens: ICMP port unreachable
SILENT=127.0.0.10	# a socket that never answers
SPOOF=127.0.0.11	# answers wrong twice, then right

# ---- upstreams ------------------------------------------------------------------------------

{
	cat <<'EOF'
ns	A 198.18.0.53
www	A 198.18.1.1
hot	10 A 198.18.1.2
EOF
	# 120 A records: about 2 KB, over the 1232-byte EDNS size: TC=1 over UDP.
	for i in $(seq 1 120); do echo "many A 198.18.2.$i"; done
} | xt_knot ka "$KA@53" example.test
xt_knot kb "$KB@5353" stub.internal <<'EOF'
ns	A 198.18.0.54
svc	A 198.18.3.1
EOF

cat >"$XT_TMP/spoof.py" <<'EOF'
import socket, sys
import dns.message, dns.rrset
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind((sys.argv[2], 53))		# bound, never read: no ICMP, no answer
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(65535)
    q = dns.message.from_wire(data)
    name = q.question[0].name
    def reply(qid, qname, addr):
        r = dns.message.make_response(q)
        r.id = qid
        r.question[0] = dns.rrset.RRset(qname, q.question[0].rdclass, q.question[0].rdtype)
        r.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", addr))
        s.sendto(r.to_wire(), peer)
    reply(q.id ^ 0x5a5a, name, "198.18.6.6")			# wrong ID
    reply(q.id, dns.name.from_text("other.example."), "198.18.6.7")	# wrong question
    reply(q.id, name, "198.18.7.7")				# the real one
EOF
xt_nsrun "$XT_SRV" "$XT_PY" "$XT_TMP/spoof.py" "$SPOOF" "$SILENT" >"$XT_TMP/spoof.log" 2>&1 &

# Wait until every upstream answers (knot loads its zones in the background).
for i in $(seq 100); do
	ok=1
	ip netns exec "$XT_SRV" kdig @$KA +timeout=1 +retry=0 +short www.example.test A | grep -q . || ok=0
	ip netns exec "$XT_SRV" kdig @$KB -p 5353 +timeout=1 +retry=0 +short svc.stub.internal A | grep -q . || ok=0
	grep -q ready "$XT_TMP/spoof.log" || ok=0
	[ $ok = 1 ] && break
	sleep 0.1
done
[ $ok = 1 ] || xt_bail "the upstreams did not come up: $(cat "$XT_TMP"/ka.log "$XT_TMP"/kb.log "$XT_TMP"/spoof.log)"
xt_ok "knot upstreams and the fake upstream are up"


# ---- the driver ------------------------------------------------------------------------------

# drv_start ARG...: fwd_query in the namespace as a coprocess.
drv_start()
{
	coproc DRV { xt_nsrun "$XT_SRV" "$FQ" "$@" 2>>"$XT_TMP/drv.err"; }
	read -r -t 10 line <&"${DRV[0]}" && [ "$line" = ready ] ||
		xt_bail "fwd_query did not start: $(cat "$XT_TMP/drv.err")"
}

# drv CMD...: one command, its one output line in $R.
drv()
{
	R=
	echo "$*" >&"${DRV[1]}"
	read -r -t 30 R <&"${DRV[0]}" || xt_bail "fwd_query: no output for '$*'"
}

drv_stop()
{
	eval "exec ${DRV[1]}>&-"
	wait "$DRV_PID" 2>/dev/null
}

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$R"; }

# ---- forwarding, stub zone, failover, TCP -----------------------------------------------------

drv_start --upstream "$DEAD,$SILENT,$KA" --forward "stub.internal=$KB:5353" --timeout 300

drv q www.example.test A
xt_expect "www.example.test via the third upstream" "$(field rcode) $(field ra) $(field data)" \
	"0 1 198.18.1.1"
drv stats
xt_expect "one refused, one timed out, two failovers" \
	"$(field refused) $(field timeouts) $(field failovers)" "1 1 2"

drv q svc.stub.internal A
xt_expect "stub zone routed to its own upstream" "$(field rcode) $(field data)" "0 198.18.3.1"

tcp0=$(xt_knot_count ka 'request-protocol[tcp4]')
drv q many.example.test A
xt_expect "120 A records over TCP after TC=1" "$(field rcode) $(field tc) $(field an)" "0 0 120"
[ "$(field size)" -gt 1232 ] && xt_ok "answer of $(field size) bytes" ||
	xt_fail "answer only $(field size) bytes"
xt_expect "knot answered one TCP query" "$(($(xt_knot_count ka 'request-protocol[tcp4]') - tcp0))" 1
drv stats
xt_expect "one TC fallback" "$(field tc_fallbacks)" 1

# ---- negative caching -------------------------------------------------------------------------

nx0=$(xt_knot_count ka 'response-code[NXDOMAIN]')
drv q nothere.example.test A
xt_expect "NXDOMAIN" "$(field rcode) $(field an)" "3 0"
drv q NoThere.Example.Test A
xt_expect "NXDOMAIN again, any case" "$(field rcode)" 3
xt_expect "knot saw the NXDOMAIN question once (negative caching)" \
	"$(($(xt_knot_count ka 'response-code[NXDOMAIN]') - nx0))" 1

# ---- prefetch ---------------------------------------------------------------------------------

# hot.example.test has TTL 10. Ask every 200 ms: the hit in its last second (10%) makes the
# forwarder refresh it in the background; every client question after the first is a hit.
q0=$(xt_knot_count ka 'request-protocol[udp4]')
drv stats
hits0=$(field cache_hits)
drv q hot.example.test A
pf=0
for i in $(seq 70); do
	drv run 200
	drv q hot.example.test A
	[ "$(field rcode)" = 0 ] || xt_fail "hot.example.test: $R"
	drv stats
	if [ "$(field prefetches)" -ge 1 ]; then
		pf=1
		break
	fi
done
xt_expect "a popular entry near expiry triggered a prefetch" "$pf" 1
drv run 500
drv stats
xt_expect "every question after the first was a cache hit" "$(($(field cache_hits) - hits0))" "$i"
xt_expect "knot saw the first query and the refresh" \
	"$(($(xt_knot_count ka 'request-protocol[udp4]') - q0))" 2
xt_expect "the refresh replaced the entry" "$(field cache_replaced)" 1
drv_stop

# ---- spoofed replies ---------------------------------------------------------------------------

drv_start --upstream "$SPOOF"
drv q spoof.example.test A
xt_expect "only the matching reply is taken" "$(field rcode) $(field data)" "0 198.18.7.7"
drv stats
xt_expect "wrong ID and wrong question dropped" "$(field drop_id) $(field drop_question)" "1 1"
drv_stop

# ---- serve-stale ------------------------------------------------------------------------------

drv_start --upstream "$KA" --max-ttl 1 --timeout 300
drv q www.example.test A
xt_expect "www.example.test cached for 1 s (--max-ttl)" "$(field ttl) $(field data)" "1 198.18.1.1"
xt_knot_stop ka "$KA" www.example.test
drv run 1500
drv q www.example.test A
xt_expect "knot gone, entry expired: served stale with TTL 30" \
	"$(field rcode) $(field ttl) $(field data)" "0 30 198.18.1.1"
drv q other.example.test A
xt_expect "nothing stale to serve: failure (the server answers SERVFAIL)" "$R" failed
drv stats
xt_expect "one stale answer" "$(field stale_answers)" 1
drv_stop

# ---- loop refusal -----------------------------------------------------------------------------

out=$(xt_nsrun "$XT_SRV" "$FQ" --listen 127.0.0.5 --upstream 127.0.0.5 </dev/null 2>&1)
xt_expect "an upstream that is our listen address is refused (exit 2)" "$?" 2
grep -q "upstream 127.0.0.5:53 is this server's own listen address" <<<"$out" &&
	xt_ok "the refusal names it" || xt_fail "message: $out"
printf 'nameserver 127.0.0.5\nnameserver %s\n' "$KB" >"$XT_TMP/resolv.conf"
out=$(echo stats | xt_nsrun "$XT_SRV" "$FQ" --listen 127.0.0.5 --resolv-conf "$XT_TMP/resolv.conf" 2>&1)
grep -q "skipping nameserver 127.0.0.5:53: that is this server" <<<"$out" &&
	xt_ok "resolv.conf: ourselves skipped with a warning" || xt_fail "message: $out"
grep -q '^ready' <<<"$out" && xt_ok "resolv.conf: started with the other nameserver" ||
	xt_fail "did not start: $out"

xt_done
