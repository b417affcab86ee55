#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The slow-path socket server (userspace/server/), over IPv4 and IPv6:
# - equivalence: every (name, type) the maps hold for the demo zone (read back from the
#   pinned answer maps), plus a NODATA (MX) and an NXDOMAIN probe per name, sent once over
#   UDP (the fast path answers) and once over TCP (the socket answers): the replies are the
#   same bytes, TC aside; the fast path's counters prove it answered the UDP ones;
# - TCP pipelining: all of those queries in a few writes on one connection, one of them split
#   across two writes, every reply matched by ID;
# - truncation: a headless service with 120 endpoints (added to the demo objects): UDP
#   without EDNS gets TC=1 and as many whole A records as fit in 512 bytes, with EDNS 1232
#   bytes at most, TCP the whole RRset;
# - rcodes: FORMERR (QDCOUNT 0, trailing bytes, two OPTs), NOTIMP (opcode NOTIFY), REFUSED
#   (AXFR, IXFR, class CH, a name outside every zone without a resolver), BADVERS (EDNS
#   version 1), ANY (one RRset, RFC 8482), insecure pod names, ExternalName (the CNAME);
# - garbage: bursts of random bytes over UDP and TCP; the server still answers after;
# - TCP idle timeout (--tcp-idle-timeout 2) and connection limit (--tcp-max-conns 6).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
# The demo objects plus a big headless service, for truncation.
jq '.items += [
	{"apiVersion":"v1","kind":"Service","metadata":{"name":"big","namespace":"demo"},
	 "spec":{"clusterIP":"None","ports":[{"name":"http","port":80,"protocol":"TCP"}]}},
	{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","addressType":"IPv4",
	 "metadata":{"name":"big-1","namespace":"demo",
		     "labels":{"kubernetes.io/service-name":"big"}},
	 "ports":[{"name":"http","port":80,"protocol":"TCP"}],
	 "endpoints":[range(120) as $i | {"addresses":["10.244.9.\($i + 1)"],
					  "conditions":{"ready":true}}]}]' \
	"$XT_OBJECTS" >"$XT_TMP/objects.json" || xt_bail "cannot write the objects"
XT_OBJECTS=$XT_TMP/objects.json
xt_topology
# --upstream none: names outside every zone get REFUSED (forwarding: t_forward_daemon.sh)
xt_daemon_start --tcp-idle-timeout 2 --tcp-max-conns 6 --upstream none
xt_daemon_wait_ready

# Every key of the answer maps: "qtype flags hexname" per line.
for m in xdpdns_ans_s xdpdns_ans_m xdpdns_ans_l; do
	bpftool map dump pinned "$XT_PIN/$m" -j
done | jq -r '.[] | [(.key | map(ltrimstr("0x")) | join("")), (.value[1] | ltrimstr("0x"))]
	| "\(.[0]) \(.[1])"' >"$XT_TMP/keys" || xt_bail "cannot read the answer maps"
xt_expect "the maps hold the demo zone" "$(($(wc -l <"$XT_TMP/keys") > 100))" 1

cat >"$XT_TMP/client.py" <<'EOF'
import os
import random
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

srv, keys_file, zone, part = sys.argv[1:5]
fam = socket.AF_INET6 if ":" in srv else socket.AF_INET
fails = 0


def check(cond, desc, detail=""):
    global fails
    if cond:
        print("ok - %s: %s" % (srv, desc))
    else:
        fails += 1
        print("not ok - %s: %s%s" % (srv, desc, (": " + detail) if detail else ""))


def udp(wire, timeout=1.0):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(wire, (srv, 53))
        return s.recvfrom(65535)[0]
    except OSError:
        return None
    finally:
        s.close()


def tcp_connect():
    s = socket.create_connection((srv, 53), timeout=2.0)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def tcp_read(s):
    h = recv_exact(s, 2)
    if h is None:
        return None
    return recv_exact(s, struct.unpack("!H", h)[0])


def tcp_exchange(wires, chunks=3):
    """All queries on one connection, in `chunks` writes, one query split across two;
    returns replies by ID."""
    s = tcp_connect()
    data = b"".join(struct.pack("!H", len(w)) + w for w in wires)
    cuts = sorted(random.sample(range(1, len(data)), min(chunks - 1, len(data) - 1)))
    prev = 0
    for c in cuts + [len(data)]:
        s.sendall(data[prev:c])
        prev = c
    out = {}
    for _ in wires:
        r = tcp_read(s)
        if r is None:
            break
        out[struct.unpack("!H", r[:2])[0]] = r
    s.close()
    return out


def query(name, rdtype, edns=0, payload=1232, qid=None):
    q = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload)
    q.id = qid if qid is not None else random.randint(0, 0xFFFF)
    return q.to_wire()


def flags(w):
    return struct.unpack("!H", w[2:4])[0]


def wire_name(h):
    b = bytes.fromhex(h)
    return dns.name.from_wire(b, 0)[0]


def equivalence():
    entries = []
    names = set()
    for line in open(keys_file):
        k, fl = line.split()
        qtype = int(k[:4], 16)
        name = wire_name(k[4:])
        names.add(name)
        if qtype:
            entries.append((name, qtype, int(fl, 16) & 1))
    for n in sorted(names):
        entries.append((n, dns.rdatatype.MX, -1))
        entries.append((dns.name.Name((b"zz-nx-probe",) + n.labels), dns.rdatatype.A, -1))
    ids = random.sample(range(0x10000), len(entries))
    wires = [query(n, t, qid=i) for (n, t, _), i in zip(entries, ids)]
    tcp = {}
    for i in range(0, len(wires), 50):
        tcp.update(tcp_exchange(wires[i:i + 50]))
    check(len(tcp) == len(wires), "TCP pipelining: %d replies on %d connections" %
          (len(wires), (len(wires) + 49) // 50), "%d replies" % len(tcp))
    same = diff = tc = 0
    xdp = 0
    for (n, t, passf), w, i in zip(entries, wires, ids):
        u = udp(w)
        r = tcp.get(i)
        if u is None or r is None:
            diff += 1
            print("# no reply for %s %s (udp %s, tcp %s)" % (n, t, u is None, r is None))
            continue
        if passf == 0:
            xdp += 1
        if flags(u) & 0x0200:
            tc += 1
            ok = not flags(r) & 0x0200 and len(r) > len(u)
        else:
            ok = u == r
        if ok:
            same += 1
        else:
            diff += 1
            print("# differs: %s %s\n#   udp %s\n#   tcp %s" % (n, dns.rdatatype.to_text(t),
                                                         u.hex(), r.hex()))
    check(diff == 0, "equivalence: %d queries (%d held by the maps as answers, %d TC over "
          "UDP): UDP and TCP replies identical" % (len(entries), xdp, tc), "%d differ" % diff)
    print("count %d %d" % (len(entries), xdp))


def rcode_of(w):
    m = dns.message.from_wire(w)
    return m.rcode()


def raw(hdr_flags, qd, an, ns, ar, rest):
    return struct.pack("!HHHHHH", 0x4242, hdr_flags, qd, an, ns, ar) + rest


def errors():
    qn = dns.name.from_text("web.demo.svc." + zone).to_wire()
    question = qn + struct.pack("!HH", 1, 1)
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    cases = [
        ("QDCOUNT 0", raw(0x0100, 0, 0, 0, 0, b""), dns.rcode.FORMERR),
        ("trailing bytes", raw(0x0100, 1, 0, 0, 0, question + b"\x00\x01"), dns.rcode.FORMERR),
        ("two OPTs", raw(0x0100, 1, 0, 0, 2, question + opt + opt), dns.rcode.FORMERR),
        ("QDCOUNT 2, one question", raw(0x0100, 2, 0, 0, 0, question), dns.rcode.FORMERR),
        ("opcode NOTIFY", raw(0x2000, 1, 0, 0, 0, question), dns.rcode.NOTIMP),
        ("AXFR", query("demo.svc." + zone, "AXFR", edns=-1), dns.rcode.REFUSED),
        ("IXFR", query("demo.svc." + zone, "IXFR", edns=-1), dns.rcode.REFUSED),
        ("outside every zone, no resolver", query("example.org", "A"), dns.rcode.REFUSED),
    ]
    q = dns.message.make_query("version.bind", "TXT", rdclass=dns.rdataclass.CH)
    cases.append(("class CH", q.to_wire(), dns.rcode.REFUSED))
    q = dns.message.make_query("web.demo.svc." + zone, "A")
    q.use_edns(edns=1)   # use_edns=1 in make_query() is True: version 0
    cases.append(("EDNS version 1", q.to_wire(), dns.rcode.BADVERS))
    for desc, w, want in cases:
        for proto in ("UDP", "TCP"):
            if proto == "UDP":
                r = udp(w)
            else:
                r = tcp_exchange([w], chunks=1).get(struct.unpack("!H", w[:2])[0])
            if r is None:
                check(False, "%s over %s: answered" % (desc, proto), "no reply")
                continue
            got = rcode_of(r) if want != dns.rcode.FORMERR and want != dns.rcode.NOTIMP \
                else flags(r) & 15
            check(got == want and r[:2] == w[:2] and flags(r) & 0x8000,
                  "%s over %s: %s" % (desc, proto, dns.rcode.to_text(want)),
                  "got rcode %s" % got)
    # A response (QR=1) and a message shorter than a header get nothing.
    check(udp(raw(0x8100, 1, 0, 0, 0, question), timeout=0.5) is None,
          "a response gets no reply")
    check(udp(b"\x42\x42\x01\x00\x00", timeout=0.5) is None, "5 bytes get no reply")

    # ANY: one RRset (RFC 8482); insecure pod names; ExternalName's CNAME.
    r = dns.message.from_wire(tcp_exchange([query("web.demo.svc." + zone, "ANY",
                                                  qid=77)])[77])
    check(r.rcode() == 0 and len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.A,
          "ANY: one RRset", str(r.answer))
    w = query("10-1-2-3.demo.pod." + zone, "A", qid=78)
    r = dns.message.from_wire(udp(w))
    check(r.rcode() == 0 and [x.to_text() for x in r.answer[0]] == ["10.1.2.3"],
          "insecure pod name over UDP (passed by XDP): its address", str(r.answer))
    w = query("10-1-2-3.nope.pod." + zone, "A", qid=79)
    r = dns.message.from_wire(udp(w))
    check(r.rcode() == dns.rcode.NXDOMAIN, "insecure pod name in no namespace: NXDOMAIN")
    r = dns.message.from_wire(udp(query("orders-db.demo.svc." + zone, "A")))
    check(r.rcode() == 0 and len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.CNAME,
          "ExternalName A without a resolver: the CNAME alone", str(r.answer))


def truncation():
    name = "big.demo.svc." + zone
    w = query(name, "A", edns=-1, qid=1000)
    u = udp(w)
    r = dns.message.from_wire(u)
    n = sum(len(x) for x in r.answer)
    check(flags(u) & 0x0200 and len(u) <= 512 and len(u) + 16 > 512 and n > 0,
          "UDP without EDNS: TC=1, %d whole records in %d bytes" % (n, len(u)))
    w = query(name, "A", edns=0, payload=4096, qid=1001)
    u = udp(w)
    r = dns.message.from_wire(u)
    check(flags(u) & 0x0200 and len(u) <= 1232 and r.edns == 0 and r.payload == 1232,
          "UDP with EDNS 4096: TC=1 within our 1232 bytes, OPT kept", "%d bytes" % len(u))
    t = tcp_exchange([w], chunks=1)[1001]
    r = dns.message.from_wire(t)
    check(not flags(t) & 0x0200 and sum(len(x) for x in r.answer) == 120,
          "TCP: all 120 records")


def garbage():
    rnd = random.Random(4)
    for i in range(2000):
        udp_s = socket.socket(fam, socket.SOCK_DGRAM)
        b = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 600)))
        if i % 3 == 0 and len(b) > 12:   # valid-looking header, QR=0
            b = b[:2] + bytes([b[2] & 0x7f]) + b[3:]
        udp_s.sendto(b, (srv, 53))
        udp_s.close()
    for i in range(30):
        try:
            s = tcp_connect()
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000))))
            s.close()
        except OSError:
            pass
        time.sleep(0.01)
    time.sleep(0.5)
    w = query("orders-db.demo.svc." + zone, "A", qid=555)
    check(udp(w) is not None, "after garbage: UDP answers")
    check(555 in tcp_exchange([w], chunks=1), "after garbage: TCP answers")


def idle():
    s = tcp_connect()
    s.settimeout(10)
    w = query("web.demo.svc." + zone, "A", qid=9)
    s.sendall(struct.pack("!H", len(w)) + w)
    check(tcp_read(s) is not None, "idle: a connection answers")
    t0 = time.time()
    try:
        closed = s.recv(1) == b""
    except OSError:
        closed = False
    check(closed, "idle: closed by the server after --tcp-idle-timeout",
          "after %.1f s" % (time.time() - t0))
    s.close()


def limit():
    conns = []
    w = query("web.demo.svc." + zone, "A", qid=10)
    for i in range(6):
        s = tcp_connect()
        s.sendall(struct.pack("!H", len(w)) + w)
        conns.append((s, tcp_read(s)))
    check(all(r is not None for _, r in conns), "limit: 6 connections answer")
    s = tcp_connect()
    try:
        s.sendall(struct.pack("!H", len(w)) + w)
        r = tcp_read(s)
    except OSError:
        r = None
    check(r is None, "limit: the 7th is closed")
    s.close()
    conns[0][0].close()
    time.sleep(0.5)
    s = tcp_connect()
    s.sendall(struct.pack("!H", len(w)) + w)
    check(tcp_read(s) is not None, "limit: a slot freed by a close is usable again")
    s.close()
    for c, _ in conns[1:]:
        c.close()


{"equivalence": equivalence, "errors": errors, "truncation": truncation,
 "garbage": garbage, "idle": idle, "limit": limit}[part]()
sys.exit(1 if fails else 0)
EOF

run_part()
{
	local srv=$1 part=$2 rc
	ip netns exec "$XT_CLI" "$XT_PY" "$XT_TMP/client.py" "$srv" "$XT_TMP/keys" "$XT_ZONE" \
		"$part" >"$XT_TMP/out" 2>&1
	rc=$?
	grep -E '^(not )?ok - |^# ' "$XT_TMP/out"
	XT_FAILS=$((XT_FAILS + $(grep -c '^not ok - ' "$XT_TMP/out")))
	if [ "$rc" != 0 ] && ! grep -q '^not ok - ' "$XT_TMP/out"; then
		xt_fail "$srv $part: client.py exited $rc"
		sed 's/^/#   /' "$XT_TMP/out"
	fi
}

# Neighbour resolution first, both families.
for srv in "$XT_SRV4" "$XT_SRV6"; do
	for i in 1 2 3; do
		xt_kdig "$XT_TMP/w.json" "$srv" "kube-dns.kube-system.svc.$XT_ZONE" A && break
	done
done

for srv in "$XT_SRV4" "$XT_SRV6"; do
	xt_stats "$XT_TMP/s0"
	run_part "$srv" equivalence
	xt_stats "$XT_TMP/s1"
	read -r total inmaps < <(awk '$1 == "count" { print $2, $3 }' "$XT_TMP/out")
	answered=$(awk 'NR == FNR { o[$1] = $2; next } $1 ~ /^answer_/ { s += $2 - o[$1] }
		END { print s + 0 }' "$XT_TMP/s0" "$XT_TMP/s1")
	# Every query the maps hold an answer for went through XDP; so did most probes.
	xt_expect "$srv: the fast path answered the UDP side of the $inmaps map answers" \
		"$((answered >= inmaps && inmaps > 100))" 1
	run_part "$srv" errors
	run_part "$srv" truncation
	run_part "$srv" garbage
done
xt_expect "the daemon survived" "$(xt_daemon_alive && echo yes)" yes
run_part "$XT_SRV4" idle
sleep 3		# every earlier connection is idle-closed: the limit counts from zero
run_part "$XT_SRV6" limit
xt_daemon_stop TERM
xt_expect "SIGTERM: the daemon exits 0" "$XT_DRC" 0
xt_done
