#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Inputs and checks of bench/slowpath.sh (the slow path against NSD, Knot, Unbound, dnsmasq).

    slowpath.py names OBJECTS ZONE                 the zone's query names, "NAME TYPE kind" lines
    slowpath.py zonefile NAMES SERVER ZONE         ask SERVER (xdpdns) over TCP for every name
                                                   and type, print the answers as a zone file
    slowpath.py queries NAMES COUNT SEED           the zone-hit dnsperf input (mix: see below)
    slowpath.py upstream-zone N DOMAIN             the upstream's zone: N names, each A + AAAA
    slowpath.py upstream-queries N DOMAIN COUNT SEED   the cache-hit dnsperf input
    slowpath.py answers QUERIES SERVER [--ttl]     RCODE and answer section (TTLs with --ttl)
                                                   of every distinct question of a dnsperf
                                                   input, one line each, to diff two servers

Zone-hit mix (by weight, names drawn at random with SEED): A of a service 40%, AAAA of a
service 15% (the generated services are IPv4-only: NODATA), SRV _http._tcp of a service 20%,
A of a headless endpoint hostname 15%, NXDOMAIN 10% (a search-path expansion
<svc>.<ns>.svc.<zone>.<ns>.svc.<zone>, as ndots:5 produces). Cache-hit mix: A 50%, AAAA 50%
of the upstream's names, all of which exist.
"""
import json
import random
import socket
import sys

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

TIMEOUT = 2.0


def names(objects, zone):
    with open(objects) as f:
        items = json.load(f)["items"]
    svcs = {}
    for it in items:
        m = it["metadata"]
        if it["kind"] == "Service":
            svcs[(m["namespace"], m["name"])] = it
    for (ns, name), svc in sorted(svcs.items()):
        fq = f"{name}.{ns}.svc.{zone}."
        print(fq, "A", "svc")
        print(fq, "AAAA", "svc")
        for p in svc["spec"].get("ports", []):
            if p.get("name"):
                print(f"_{p['name']}._{p.get('protocol', 'TCP').lower()}.{fq}", "SRV", "srv")
        print(f"{fq}{ns}.svc.{zone}.", "A", "nx")
    for it in items:
        if it["kind"] != "EndpointSlice":
            continue
        m = it["metadata"]
        svc = m.get("labels", {}).get("kubernetes.io/service-name")
        for ep in it.get("endpoints", []):
            if ep.get("hostname") and ep.get("conditions", {}).get("ready", True):
                print(f"{ep['hostname']}.{svc}.{m['namespace']}.svc.{zone}.", "A", "host")


def read_names(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


class Tcp:
    """One TCP connection to a server, reopened when it closes (idle timeout)."""

    def __init__(self, server, port=53):
        self.where = (server, port)
        self.sock = None

    def query(self, qname, qtype):
        q = dns.message.make_query(qname, qtype)
        q.flags &= ~dns.flags.RD
        for _ in range(2):
            if self.sock is None:
                self.sock = socket.create_connection(self.where, timeout=TIMEOUT)
            try:
                return dns.query.tcp(q, self.where[0], timeout=TIMEOUT, sock=self.sock)
            except (OSError, EOFError, dns.exception.DNSException):
                self.sock.close()
                self.sock = None
        raise SystemExit(f"slowpath.py: no answer from {self.where[0]} for {qname} {qtype}")


def zonefile(names_path, server, zone):
    c = Tcp(server)
    origin = dns.name.from_text(zone)
    rrs = {}

    def take(msg):
        for rrset in msg.answer + msg.additional:
            if rrset.rdtype == dns.rdatatype.OPT or not rrset.name.is_subdomain(origin):
                continue
            for rd in rrset:
                rrs[(rrset.name.to_text().lower(), rrset.rdtype, rd.to_text())] = rrset.ttl

    soa = c.query(zone, "SOA")
    if soa.rcode() != 0 or not soa.answer:
        raise SystemExit(f"slowpath.py: {server} has no SOA for {zone}")
    take(soa)
    ns = c.query(zone, "NS")
    take(ns)
    for rrset in ns.answer:
        for rd in rrset:
            take(c.query(rd.target, "A"))
    asked = 0
    types = {"svc": ("A", "AAAA", "SRV", "TXT"), "srv": ("SRV",), "host": ("A", "AAAA")}
    for name, _, kind in read_names(names_path):
        for t in types.get(kind, ()):
            r = c.query(name, t)
            asked += 1
            if r.rcode() == 0:
                take(r)
    take(c.query(f"dns-version.{zone}", "TXT"))
    soa_key = [k for k in rrs if k[1] == dns.rdatatype.SOA]
    print(f"$ORIGIN {zone}.")
    print(f"; {len(rrs)} records, from {asked} TCP questions to xdpdns at {server}")
    for k in soa_key + sorted(k for k in rrs if k[1] != dns.rdatatype.SOA):
        print(f"{k[0]} {rrs[k]} IN {dns.rdatatype.to_text(k[1])} {k[2]}")
    print(f"zonefile: {len(rrs)} records from {asked} questions", file=sys.stderr)


def queries(names_path, count, seed):
    by = {}
    for name, t, kind in read_names(names_path):
        by.setdefault((kind, t), []).append(name)
    mix = [(("svc", "A"), "A", 40), (("svc", "AAAA"), "AAAA", 15), (("srv", "SRV"), "SRV", 20),
           (("host", "A"), "A", 15), (("nx", "A"), "A", 10)]
    for key, _, _ in mix:
        if not by.get(key):
            raise SystemExit(f"slowpath.py: no names of kind {key[0]} {key[1]}: regenerate")
    rnd = random.Random(seed)
    weights = [w for _, _, w in mix]
    for _ in range(count):
        key, t, _ = rnd.choices(mix, weights)[0]
        print(rnd.choice(by[key]), t)


def upstream_name(i, domain):
    return f"h{i:05d}.{domain}."


def upstream_zone(n, domain):
    print(f"$ORIGIN {domain}.\n$TTL 86400")
    print("@ SOA ns hostmaster 1 7200 1800 86400 3600\n@ NS ns\nns A 198.18.0.53")
    for i in range(n):
        print(f"h{i:05d} A 198.19.{i // 256}.{i % 256}")
        print(f"h{i:05d} AAAA fd00:198:18:1::{i:x}")


def upstream_queries(n, domain, count, seed):
    rnd = random.Random(seed)
    for _ in range(count):
        print(upstream_name(rnd.randrange(n), domain), rnd.choice(("A", "AAAA")))


def answer_key(msg, ttl):
    out = []
    for rrset in msg.answer:
        for rd in rrset:
            out.append(f"{rrset.name.to_text().lower()} {rrset.ttl if ttl else ''} "
                       f"{dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text().lower()}")
    return dns.rcode.to_text(msg.rcode()), sorted(out)


def udp(server, qname, qtype):
    q = dns.message.make_query(qname, qtype)
    for _ in range(3):
        try:
            return dns.query.udp(q, server, timeout=TIMEOUT, ignore_trailing=True)
        except dns.exception.Timeout:
            pass
    raise SystemExit(f"slowpath.py: {server} did not answer {qname} {qtype}")


def answers(queries_path, server, ttl):
    with open(queries_path) as f:
        qs = sorted({tuple(line.split()) for line in f if line.strip()})
    for name, t in qs:
        rcode, rrs = answer_key(udp(server, name, t), ttl)
        print(f"{name} {t} {rcode} | {' | '.join(rrs)}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    a = argv[2:]
    if cmd == "names" and len(a) == 2:
        names(*a)
    elif cmd == "zonefile" and len(a) == 3:
        zonefile(*a)
    elif cmd == "queries" and len(a) == 3:
        queries(a[0], int(a[1]), int(a[2]))
    elif cmd == "upstream-zone" and len(a) == 2:
        upstream_zone(int(a[0]), a[1])
    elif cmd == "upstream-queries" and len(a) == 4:
        upstream_queries(int(a[0]), a[1], int(a[2]), int(a[3]))
    elif cmd == "answers" and len(a) in (2, 3):
        answers(a[0], a[1], len(a) == 3 and a[2] == "--ttl")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
