#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Header, question and EDNS handling of fast-path answers, byte for byte, over IPv4 and IPv6,
# in native and in generic XDP mode:
# - a 0x20 mixed-case question is echoed exactly, and answer owners (compression pointers
#   into the question) keep the query's case, also the SOA owner of an NXDOMAIN;
# - ID kept, QR=1 AA=1 TC=0 RA=0 Z=0 AD=0, RD and CD copied, opcode 0;
# - without EDNS no OPT comes back; with EDNS (options such as a cookie and padding are
#   ignored) the reply carries a bare OPT: payload 1232, version 0, DO copied, no options;
# - an EDNS version other than 0 is left to the slow path (pass_edns_version, and the server
#   stack receives it);
# - raw Ethernet frames with one 802.1Q tag and with an 802.1ad + 802.1Q pair get their
#   answer with the tags kept, MACs, addresses and ports swapped, TTL 64, valid IPv4 header
#   and UDP checksums and no trailing bytes.
# Both modes send plain queries: the reply grows the frame (grow_frame() in the engine).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

xt_init
xt_topology

# The client side of the checks. Prints "ok - ..." / "not ok - ..." lines, "expect COUNTER"
# for every query XDP must answer and "passed COUNTER" for every query it must pass.
cat >"$XT_TMP/case.py" <<'EOF'
import random
import socket
import struct
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

srv, mode, zone, want_a, vlan = sys.argv[1:6]
want_a = sorted(want_a.split(","))
fam = socket.AF_INET6 if ":" in srv else socket.AF_INET
EDNS_SIZE = 1232
fails = 0


def check(cond, desc, detail=""):
    global fails
    if cond:
        print("ok - %s" % desc)
    else:
        fails += 1
        print("not ok - %s%s" % (desc, (": " + detail) if detail else ""))


def build(qname, qtype, rd=True, cd=False, edns=None, do=False, payload=1232, options=()):
    q = dns.message.make_query(qname, qtype, use_edns=False)
    q.id = random.randint(0, 0xFFFF)
    q.flags = (dns.flags.RD if rd else 0) | (dns.flags.CD if cd else 0)
    if edns is not None:
        q.use_edns(edns=edns, ednsflags=dns.flags.DO if do else 0, payload=payload,
                   options=list(options), pad=0)
    return q, q.to_wire()


def ask(wire):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        s.sendto(wire, (srv, 53))
        data, peer = s.recvfrom(65535)
        return data, peer[0]
    except OSError:
        return None, None
    finally:
        s.close()


def hdr_bits(w):
    f = struct.unpack("!H", w[2:4])[0]
    return {"QR": f >> 15, "OPCODE": (f >> 11) & 15, "AA": (f >> 10) & 1, "TC": (f >> 9) & 1,
            "RD": (f >> 8) & 1, "RA": (f >> 7) & 1, "Z": (f >> 6) & 1, "AD": (f >> 5) & 1,
            "CD": (f >> 4) & 1, "RCODE": f & 15}


def check_reply(desc, q, qw, rw, rcode, edns):
    """Header, exact question echo, OPT; returns the parsed reply or None."""
    if rw is None:
        check(False, desc + ": answered", "no reply within 1 s")
        return None
    qlen = len(dns.name.from_text(q.question[0].name.to_text()).to_wire()) + 4
    b = hdr_bits(rw)
    qb = hdr_bits(qw)
    want = {"QR": 1, "OPCODE": 0, "AA": 1, "TC": 0, "RD": qb["RD"], "RA": 0, "Z": 0, "AD": 0,
            "CD": qb["CD"], "RCODE": rcode}
    check(b == want, desc + ": header bits", "got %s want %s" % (b, want))
    check(rw[0:2] == qw[0:2], desc + ": ID kept")
    check(rw[12:12 + qlen] == qw[12:12 + qlen], desc + ": question echoed byte for byte",
          "got %r want %r" % (rw[12:12 + qlen], qw[12:12 + qlen]))
    r = dns.message.from_wire(rw)
    if edns is None:
        check(r.edns == -1 and struct.unpack("!H", rw[10:12])[0] == 0,
              desc + ": no OPT without EDNS")
    else:
        check(r.edns == 0, desc + ": OPT version 0", "edns %d" % r.edns)
        check(r.payload == EDNS_SIZE, desc + ": OPT payload %d" % EDNS_SIZE, str(r.payload))
        check(bool(r.ednsflags & dns.flags.DO) == bool(q.ednsflags & dns.flags.DO),
              desc + ": DO copied")
        check(r.ednsflags & ~dns.flags.DO & 0xFFFF == 0, desc + ": other EDNS flags 0")
        check(not r.options, desc + ": no EDNS options echoed", str(r.options))
    return r


def answers(r, rdtype):
    return sorted(rd.to_text() for rrs in r.answer if rrs.rdtype == rdtype for rd in rrs)


def owners(r):
    return sorted({rrs.name.to_text() for rrs in r.answer})


def a_query(desc, qname, rd=True, cd=False, edns=None, do=False, payload=1232, options=()):
    q, qw = build(qname, "A", rd, cd, edns, do, payload, options)
    rw, _ = ask(qw)
    print("expect answer_a")
    r = check_reply(desc, q, qw, rw, 0, edns)
    if r is None:
        return
    check(answers(r, dns.rdatatype.A) == want_a, desc + ": A records", str(answers(r, 1)))
    check(owners(r) == [qname], desc + ": owner keeps the query's case", str(owners(r)))


mixed = "KuBe-DnS.KUBE-system.SvC." + "".join(
    c.upper() if i % 2 else c for i, c in enumerate(zone)) + "."
nx = "GoOgLe.CoM.dEfAuLt.sVc." + "".join(
    c.upper() if i % 3 == 0 else c for i, c in enumerate(zone)) + "."
nx_zone = nx[len("GoOgLe.CoM.dEfAuLt.sVc."):]
cookie = dns.edns.GenericOption(10, bytes(random.getrandbits(8) for _ in range(8)))

a_query("0x20, RD CD, no EDNS", mixed, rd=True, cd=True)
a_query("0x20, no RD no CD, no EDNS", mixed, rd=False, cd=False)
a_query("EDNS with a cookie", mixed, edns=0, options=[cookie])
a_query("EDNS DO=1", mixed, edns=0, do=True)
a_query("EDNS payload 256 (limit 512)", mixed, edns=0, payload=256)

q, qw = build(nx, "A", edns=None)
rw, _ = ask(qw)
print("expect answer_nxdomain")
r = check_reply("0x20 NXDOMAIN", q, qw, rw, 3, None)
if r is not None:
    soa = [rrs for rrs in r.authority if rrs.rdtype == dns.rdatatype.SOA]
    check(len(soa) == 1 and soa[0].name.to_text() == nx_zone,
          "0x20 NXDOMAIN: SOA owner in the query's case",
          str([s.name.to_text() for s in soa]))

# EDNS version 1: the fast path must not answer it (RFC 6891 BADVERS is the slow path's).
q, qw = build(mixed, "A", edns=1)
print("passed pass_edns_version")
ask(qw)


# ---- raw frames with VLAN tags (IPv4 only) ----
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def raw_query(ifname, smac, dmac, tags, sip, dip, sport, dnswire):
    udp_len = 8 + len(dnswire)
    ph = socket.inet_aton(sip) + socket.inet_aton(dip) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, 53, udp_len, 0) + dnswire
    c = 0xFFFF - csum(ph + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.getrandbits(16), 0, 64, 17,
                     0, socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", 0xFFFF - csum(ip)) + ip[12:]
    eth = dmac + smac
    for tpid, tci in tags:
        eth += struct.pack("!HH", tpid, tci)
    return eth + struct.pack("!H", 0x0800) + ip + udp


def raw_exchange(ifname, frame, sport):
    """Send frame on ifname; return the first incoming frame to sport, tags restored."""
    import select
    import time
    ETH_P_ALL, SOL_PACKET, PACKET_AUXDATA = 3, 263, 8
    TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    s.send(frame)
    deadline = time.time() + 1.0
    try:
        while time.time() < deadline:
            if not select.select([s], [], [], max(0, deadline - time.time()))[0]:
                break
            data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            for lvl, typ, val in anc:
                if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                    st, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", val[:20])
                    if st & TP_STATUS_VLAN_VALID:
                        tpid = tpid if st & TP_STATUS_VLAN_TPID_VALID else 0x8100
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            off = 12
            while struct.unpack("!H", data[off:off + 2])[0] in (0x8100, 0x88A8):
                off += 4
            if struct.unpack("!H", data[off:off + 2])[0] != 0x0800:
                continue
            ip = data[off + 2:]
            if ip[9] != 17 or struct.unpack("!HH", ip[20:24]) != (53, sport):
                continue
            return data
    finally:
        s.close()
    return None


def vlan_case(desc, tags, ifname, cmac, smac, cip):
    sport = random.randint(20000, 60000)
    q, qw = build(mixed, "A", edns=None)
    frame = raw_query(ifname, cmac, smac, tags, cip, srv, sport, qw)
    print("expect answer_a")
    f = raw_exchange(ifname, frame, sport)
    if f is None:
        check(False, desc + ": answered", "no reply frame within 1 s")
        return
    n = len(tags)
    check(f[0:6] == cmac and f[6:12] == smac, desc + ": MACs swapped")
    got_tags = [struct.unpack("!HH", f[12 + 4 * i:16 + 4 * i]) for i in range(n)]
    check(got_tags == list(tags), desc + ": VLAN tags kept", str(got_tags))
    ip = f[14 + 4 * n:]
    tot = struct.unpack("!H", ip[2:4])[0]
    check(ip[0] == 0x45 and ip[8] == 64, desc + ": IPv4 header, TTL 64")
    check(ip[12:16] == socket.inet_aton(srv) and ip[16:20] == socket.inet_aton(cip),
          desc + ": addresses swapped")
    check(csum(ip[:20]) == 0xFFFF, desc + ": IPv4 header checksum valid")
    check(len(ip) == tot, desc + ": frame ends with the IP packet", "%d vs %d" % (len(ip), tot))
    udp = ip[20:tot]
    ulen, uc = struct.unpack("!HH", udp[4:8])
    ph = ip[12:16] + ip[16:20] + struct.pack("!BBH", 0, 17, len(udp))
    check(ulen == len(udp), desc + ": UDP length")
    check(uc != 0 and csum(ph + udp) == 0xFFFF, desc + ": UDP checksum valid", hex(uc))
    r = check_reply(desc, q, qw, udp[8:], 0, None)
    if r is not None:
        check(answers(r, dns.rdatatype.A) == want_a, desc + ": A records")


if vlan != "-":
    ifname, cmac, smac, cip = vlan.split(",")
    cmac, smac = bytes.fromhex(cmac.replace(":", "")), bytes.fromhex(smac.replace(":", ""))
    vlan_case("802.1Q tag 100", [(0x8100, 100)], ifname, cmac, smac, cip)
    vlan_case("802.1ad 200 + 802.1Q 100", [(0x88A8, 200), (0x8100, 100)], ifname, cmac,
              smac, cip)
sys.exit(1 if fails else 0)
EOF

want_a=$(xt_obj_cluster_ips kube-system kube-dns 4 | paste -sd,)
cmac=$(ip -n "$XT_CLI" -j link show dev "$XT_CLI_IF" | jq -r '.[0].address')
smac=$(ip -n "$XT_SRV" -j link show dev "$XT_SRV_IF" | jq -r '.[0].address')

for mode in native generic; do
	xt_log "---- $mode mode ----"
	xt_daemon_start --xdp-mode "$mode"
	xt_daemon_wait_ready
	# Warm up neighbour resolution for both families.
	for srv in "$XT_SRV4" "$XT_SRV6"; do
		for i in 1 2 3; do
			xt_kdig "$XT_TMP/w.json" "$srv" "kube-dns.kube-system.svc.$XT_ZONE" A && break
		done
	done
	xt_stats "$XT_TMP/s0"
	u0=$(xt_srv_udp_in)
	: >"$XT_TMP/case.out"
	for srv in "$XT_SRV4" "$XT_SRV6"; do
		vlan=-
		[ "$srv" = "$XT_SRV4" ] && vlan="$XT_CLI_IF,$cmac,$smac,$XT_CLI4"
		ip netns exec "$XT_CLI" "$XT_PY" "$XT_TMP/case.py" "$srv" "$mode" "$XT_ZONE" \
			"$want_a" "$vlan" >"$XT_TMP/case.one" 2>&1
		rc=$?
		sed "s/^\(not \)\?ok - /&$mode $srv: /" "$XT_TMP/case.one" >>"$XT_TMP/case.out"
		# A crash is a failure even when no check said "not ok".
		if [ "$rc" != 0 ] && ! grep -q '^not ok - ' "$XT_TMP/case.one"; then
			xt_fail "$mode $srv: case.py exited $rc"
			sed 's/^/#   /' "$XT_TMP/case.one"
		fi
	done
	xt_stats "$XT_TMP/s1"
	u1=$(xt_srv_udp_in)
	grep -E '^(not )?ok - ' "$XT_TMP/case.out"
	XT_FAILS=$((XT_FAILS + $(grep -c '^not ok - ' "$XT_TMP/case.out")))
	args=()
	for c in $(awk '$1 == "expect" || $1 == "passed" { print $2 }' "$XT_TMP/case.out" | sort -u); do
		args+=("$c=$(awk -v c="$c" '($1 == "expect" || $1 == "passed") && $2 == c' \
			"$XT_TMP/case.out" | wc -l)")
	done
	xt_stats_expect "$XT_TMP/s0" "$XT_TMP/s1" "${args[@]}"
	npassed=$(grep -c '^passed ' "$XT_TMP/case.out")
	xt_expect "$mode: the server stack received exactly the $npassed passed queries" \
		"$((u1 - u0))" "$npassed"
	xt_daemon_stop TERM
	xt_expect "$mode: SIGTERM: the daemon exits 0" "$XT_DRC" 0
done
xt_done
