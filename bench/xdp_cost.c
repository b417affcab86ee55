// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/xdp_cost.c - per-query cost of xdpdns_xdp through BPF_PROG_TEST_RUN, next to a floor.
 *
 * Loads the real program (skeleton struct xdpdns, every map unpinned) and the bench wrapper
 * (bench/restore.bpf.c), fills the answer maps with synthetic but valid entries (built with
 * xdpdns_key_build() and the codec of userspace/dns, written with bpf_map_update_batch()),
 * then times each case as bench_restore -> tail call -> program under test, repeat times per
 * run, for rounds rounds. Each round runs every case once, floor included, so a case is
 * compared with the floor of its own round: ratio = median over rounds of case/floor.
 *
 * Before timing, every case runs once (repeat 1) and its reply is checked: verdict, the
 * reason counter moving by one, DNS header (QR, RCODE, counts, ID), the question echoed,
 * lengths, IPv4 header and UDP checksums. Every timed run must move its reason counter by
 * exactly repeat, so no figure can come from the pass path by accident. Figures are printed,
 * never asserted: the exit status is 0 unless something failed to load or check.
 *
 * usage: xdp_cost [-r rounds] [-n repeat] [-s entries[,entries...]] [-c case] [-k names]
 * (needs root)
 *   -c: only the cases whose name contains case (and the floors), e.g. to profile one
 *   -k: names of the rotating cases (default ROTATE_NAMES)
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "writer.h"
#include "bench/lib/bench.h"
#include "loader/loader.h"
#include "userspace/dns/dns.h"
#include "userspace/server/promote.h"
#include "xdpdns.skel.h"

/*
 * The wrapper's query slot, as bench/restore.bpf.c declares it. The skeleton uses the type
 * without defining it; it asserts the array's size, and bench_load() checks the member
 * offsets against the object's BTF.
 */
#define BENCH_QUERY_MAX	190
struct bench_query {
	__u16 len;
	__u8 data[BENCH_QUERY_MAX];
};

#include "restore.skel.h"
#include "stages.skel.h"

#define BENCH_QUERIES	ARRAY_SIZE(((struct restore__bss *)0)->bench_queries)

#define ROTATE_NAMES	4096	/* names of the rotating A case (cache-spread lookups) */
#define PROMOTED_NAME	"www.example.org"	/* outside every zone: in the cache map */
#define TTL		30
#define BATCH		4096	/* entries per bpf_map_update_batch() */
#define ENTRIES_PER_SVC	5	/* A, its NODATA, SRV, the SRV name's NODATA, PTR */

static unsigned int rotate_names = ROTATE_NAMES;	/* -k */

static const uint8_t mac_server[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_client[6] = { 0x02, 0, 0, 0, 0, 0x02 };
#define LISTEN4		"198.18.0.1"
#define CLIENT4		"10.0.0.2"
#define QUERY_ID	0x4242

enum target_prog {
	T_ENGINE, T_FLOOR, T_NOP,
	T_L4, T_QUERY, T_KEY, T_LOOKUP, T_FULL,	/* bench/stages.bpf.c */
	T_COUNT
};

struct bcase {
	const char *name;
	const char *qname;	/* dotted */
	uint16_t qtype;
	uint16_t dport;		/* 0: 53 */
	uint16_t flags;		/* DNS header flags; 0: RD */
	bool edns;
	bool rotate;		/* ROTATE_NAMES A queries over the services instead of qname */
	bool stage;		/* a cut of the engine: printed in the stage table */
	bool extra;		/* not in the brief's list: its target is informative */
	enum target_prog prog;
	unsigned int reason;	/* expected; 0 for floor / nop */
	uint32_t verdict;
	uint8_t rcode;
	uint16_t ancount, nscount;
	double target;		/* ratio to the floor; 0: none */
	int floor;		/* index of the floor this case is compared with */
	/* filled at run time */
	bool skip;		/* -c: not selected */
	uint32_t first, count;	/* query slots */
	uint32_t ns[BENCH_ROUNDS_MAX];
	double ratio[BENCH_ROUNDS_MAX];
};

/* Index 0 and 1 are the floors; 2 the wrapper alone. */
static struct bcase cases[] = {
	{ .name = "floor (swap, XDP_TX)", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .prog = T_FLOOR, .verdict = XDP_TX, .floor = 0 },
	{ .name = "floor, rotating names", .rotate = true, .qtype = 1, .prog = T_FLOOR,
	  .verdict = XDP_TX, .floor = 1 },
	{ .name = "wrapper only (nop)", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .prog = T_NOP, .verdict = XDP_TX, .floor = 0 },
	{ .name = "A hit, short name", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .reason = XDPDNS_R_ANSWER_A, .verdict = XDP_TX, .ancount = 1, .target = 10 },
	{ .name = "SRV hit", .qname = "_http._tcp.web.default.svc.cluster.local", .qtype = 33,
	  .reason = XDPDNS_R_ANSWER_SRV, .verdict = XDP_TX, .ancount = 1, .target = 14 },
	{ .name = "PTR hit (IPv4)", .qname = "10.0.96.10.in-addr.arpa", .qtype = 12,
	  .reason = XDPDNS_R_ANSWER_PTR, .verdict = XDP_TX, .ancount = 1, .target = 14 },
	{ .name = "NXDOMAIN", .qname = "google.com.default.svc.cluster.local", .qtype = 1,
	  .reason = XDPDNS_R_NXDOMAIN, .verdict = XDP_TX, .rcode = 3, .nscount = 1,
	  .target = 14 },
	{ .name = "NODATA (AAAA of A-only)", .qname = "web.default.svc.cluster.local",
	  .qtype = 28, .reason = XDPDNS_R_NODATA, .verdict = XDP_TX, .nscount = 1 },
	{ .name = "pass: QR set", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .flags = 0x8000, .reason = XDPDNS_R_PASS_QR, .verdict = XDP_PASS },
	{ .name = "pass: UDP port 80", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .dport = 80, .reason = XDPDNS_R_PASS_NOT_LISTEN, .verdict = XDP_PASS },
	/* extras: the target of their kind, informative */
	{ .name = "+ A hit, EDNS OPT", .extra = true, .qname = "web.default.svc.cluster.local",
	  .qtype = 1, .edns = true, .reason = XDPDNS_R_ANSWER_A, .verdict = XDP_TX, .ancount = 1,
	  .target = 10 },
	{ .name = "+ PTR hit (IPv6, 128B key)", .extra = true,
	  .qname = "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa",
	  .qtype = 12, .reason = XDPDNS_R_ANSWER_PTR, .verdict = XDP_TX, .ancount = 1,
	  .target = 14 },
	{ .name = "+ A hit, rotating names", .extra = true, .rotate = true, .qtype = 1,
	  .reason = XDPDNS_R_ANSWER_A, .verdict = XDP_TX, .ancount = 1, .target = 10,
	  .floor = 1 },
	/* an external name promoted from the forwarder cache (PROMOTED_NAME, cache_add()):
	 * zone table miss, cache map lookup, TTL countdown; against the slow path's cache hit
	 * the target is 10x cheaper per query */
	{ .name = "+ promoted cache hit (A x2)", .extra = true, .qname = PROMOTED_NAME, .qtype = 1,
	  .reason = XDPDNS_R_ANSWER_CACHED, .verdict = XDP_TX, .ancount = 2, .target = 10 },
	/* the A hit through the engine cut after each stage */
	{ .name = "stage: parse Eth/IP/UDP", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .prog = T_L4, .stage = true, .verdict = XDP_TX },
	{ .name = "stage: + DNS header, question", .qname = "web.default.svc.cluster.local",
	  .qtype = 1, .prog = T_QUERY, .stage = true, .verdict = XDP_TX },
	{ .name = "stage: + build key", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .prog = T_KEY, .stage = true, .verdict = XDP_TX },
	{ .name = "stage: + hash lookup", .qname = "web.default.svc.cluster.local", .qtype = 1,
	  .prog = T_LOOKUP, .stage = true, .verdict = XDP_TX },
	{ .name = "stage: + reply, count (full)", .qname = "web.default.svc.cluster.local",
	  .qtype = 1, .prog = T_FULL, .stage = true, .reason = XDPDNS_R_ANSWER_A,
	  .verdict = XDP_TX, .ancount = 1 },
};

struct bench {
	struct xdpdns *xs;
	struct restore *rs;
	struct stages *ss;
	struct xdpdns_maps maps;
	int prog_fd[T_COUNT];
	int restore_fd;
	int target_fd;
	unsigned long loaded[XDPDNS_CLASS_COUNT];
	unsigned long services;	/* synthetic services loaded: 0..services-1 */
	struct bench_opts opts;
};

/* ---- the RR writer ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Append one RR of class IN to a->data and count it in its section. */
static int rr_add(struct xdpdns_answer *a, enum dns_section sec, struct dns_owner owner,
		  uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	struct dns_writer w;
	int err;

	dns_writer_init(&w, a->data, XDPDNS_ANSWER_MAX);
	w.len = a->len;
	err = dns_write_rr(&w, owner, type, DNS_CLASS_IN, TTL, rdata, rdlen);
	if (err)
		return err;
	a->len = (uint16_t)w.len;
	if (sec == DNS_SEC_ANSWER)
		a->ancount++;
	else if (sec == DNS_SEC_AUTHORITY)
		a->nscount++;
	else
		a->arcount++;
	return 0;
}

/* The 54-byte SOA of maps/xdpdns.h with ptr in its owner, MNAME and RNAME pointers. */
static void soa_build(uint8_t *out, uint16_t ptr)
{
	memset(out, 0, XDPDNS_SOA_LEN);
	put16(out + XDPDNS_SOA_PTR_OWNER, ptr);
	put16(out + 2, 6);
	put16(out + 4, 1);
	put32(out + 6, TTL);
	put16(out + 10, XDPDNS_SOA_LEN - 12);
	memcpy(out + 12, "\x02ns\x03dns", 7);
	put16(out + XDPDNS_SOA_PTR_MNAME, ptr);
	memcpy(out + 21, "\x0ahostmaster", 11);
	put16(out + XDPDNS_SOA_PTR_RNAME, ptr);
	put32(out + 34, 1);		/* serial */
	put32(out + 38, 7200);
	put32(out + 42, 1800);
	put32(out + 46, 86400);
	put32(out + 50, TTL);
}

/* ---- filling the answer maps ---- */

struct filler {
	struct bench *b;
	unsigned int n[XDPDNS_CLASS_COUNT];
	uint8_t *keys[XDPDNS_CLASS_COUNT];
	struct xdpdns_answer *vals[XDPDNS_CLASS_COUNT];
};

static int filler_flush(struct filler *f, enum xdpdns_key_class c)
{
	__u32 count = f->n[c];

	if (!count)
		return 0;
	if (bpf_map_update_batch(f->b->maps.answers[c], f->keys[c], f->vals[c], &count, NULL))
		return -errno;
	f->b->loaded[c] += count;
	f->n[c] = 0;
	return 0;
}

static int filler_add(struct filler *f, const uint8_t *name, size_t len, uint16_t qtype,
		      struct xdpdns_answer *a)
{
	struct xdpdns_key_l key;
	enum xdpdns_key_class c;
	int err;

	err = xdpdns_key_build(&key, name, len, qtype);
	if (err)
		return err;
	c = xdpdns_key_class(len);
	a->csum = xdpdns_csum_partial(a->data, a->len);
	memset(a->pad, 0, sizeof(a->pad));
	memcpy(f->keys[c] + (size_t)f->n[c] * xdpdns_key_size(c), &key, xdpdns_key_size(c));
	f->vals[c][f->n[c]++] = *a;
	return f->n[c] == BATCH ? filler_flush(f, c) : 0;
}

/* Service i: "web.default" for 0, "svc-<i>.ns-<i % 1000>" otherwise; ClusterIP 10.96.0.10+i. */
static void service_name(unsigned long i, char *out, size_t cap)
{
	if (i == 0)
		snprintf(out, cap, "web.default.svc.cluster.local");
	else
		snprintf(out, cap, "svc-%lu.ns-%lu.svc.cluster.local", i, i % 1000);
}

static uint32_t service_ip(unsigned long i)
{
	return (10u << 24 | 96u << 16) + 10 + (uint32_t)i;
}

/* The NODATA entry of a name in cluster.local, as the control plane writes it: the SOA
 * comes from the zone table, where cluster.local (the longest zone) is slot 0. */
static int nodata_add(struct filler *f, const uint8_t *name, int len)
{
	struct xdpdns_answer a;

	memset(&a, 0, sizeof(a));
	a.flags = XDPDNS_ANS_ZONE_SOA;
	a.zone = 0;
	a.nscount = 1;
	return filler_add(f, name, len, XDPDNS_QTYPE_NAME, &a);
}

/* A answer + the name's NODATA entry */
static int entries_addr(struct filler *f, const uint8_t *name, int len, uint32_t ip)
{
	struct xdpdns_answer a;
	uint8_t rd[4];
	int err;

	memset(&a, 0, sizeof(a));
	put32(rd, ip);
	err = rr_add(&a, DNS_SEC_ANSWER, DNS_OWNER_QNAME, DNS_TYPE_A, rd, 4);
	if (!err)
		err = filler_add(f, name, len, DNS_TYPE_A, &a);
	return err ? err : nodata_add(f, name, len);
}

static int service_add(struct filler *f, unsigned long i)
{
	char text[128], srv_text[160];
	uint8_t name[XDPDNS_NAME_MAX], srv[XDPDNS_NAME_MAX], ptr[XDPDNS_NAME_MAX], rd[300];
	uint32_t ip = service_ip(i);
	uint8_t addr[4];
	struct xdpdns_answer a;
	int len, slen, plen, err;

	service_name(i, text, sizeof(text));
	snprintf(srv_text, sizeof(srv_text), "_http._tcp.%s", text);
	put32(addr, ip);
	len = dns_name_from_text(name, sizeof(name), text);
	slen = dns_name_from_text(srv, sizeof(srv), srv_text);
	plen = dns_name_from_ip4(ptr, sizeof(ptr), addr);
	if (len < 0 || slen < 0 || plen < 0)
		return -EINVAL;

	err = entries_addr(f, name, len, ip);
	if (err)
		return err;

	/* SRV 0 100 80 <service>. with the target's A in the additional section */
	memset(&a, 0, sizeof(a));
	put16(rd, 0);
	put16(rd + 2, 100);
	put16(rd + 4, 80);
	memcpy(rd + 6, name, len);
	err = rr_add(&a, DNS_SEC_ANSWER, DNS_OWNER_QNAME, DNS_TYPE_SRV, rd, 6 + len);
	put32(rd, ip);
	if (!err)
		err = rr_add(&a, DNS_SEC_ADDITIONAL, DNS_OWNER_NAME(name, len), DNS_TYPE_A, rd, 4);
	if (!err)
		err = filler_add(f, srv, slen, DNS_TYPE_SRV, &a);
	if (!err)
		err = nodata_add(f, srv, slen);
	if (err)
		return err;

	memset(&a, 0, sizeof(a));
	err = rr_add(&a, DNS_SEC_ANSWER, DNS_OWNER_QNAME, DNS_TYPE_PTR, name, len);
	return err ? err : filler_add(f, ptr, plen, DNS_TYPE_PTR, &a);
}

/* The IPv6 PTR of the extra case: a name in the 128-byte key class. */
static int ptr6_add(struct filler *f, const struct bcase *c)
{
	uint8_t ptr[XDPDNS_NAME_MAX], name[XDPDNS_NAME_MAX];
	struct xdpdns_answer a;
	int plen, len, err;

	plen = dns_name_from_text(ptr, sizeof(ptr), c->qname);
	len = dns_name_from_text(name, sizeof(name), "web.default.svc.cluster.local");
	if (plen < 0 || len < 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	err = rr_add(&a, DNS_SEC_ANSWER, DNS_OWNER_QNAME, DNS_TYPE_PTR, name, len);
	return err ? err : filler_add(f, ptr, plen, DNS_TYPE_PTR, &a);
}

/* Load services [b->services, upto) and, on the first call, the IPv6 PTR. */
static int bench_fill(struct bench *b, unsigned long upto)
{
	struct filler f = { .b = b };
	int err = -ENOMEM;

	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		f.keys[c] = malloc((size_t)BATCH * xdpdns_key_size(c));
		f.vals[c] = malloc((size_t)BATCH * sizeof(struct xdpdns_answer));
		if (!f.keys[c] || !f.vals[c])
			goto out_free;
	}
	err = 0;
	if (b->services == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(cases) && !err; i++)
			if (cases[i].qname && strstr(cases[i].qname, "ip6.arpa"))
				err = ptr6_add(&f, &cases[i]);
	}
	for (unsigned long i = b->services; i < upto && !err; i++)
		err = service_add(&f, i);
	for (int c = 0; c < XDPDNS_CLASS_COUNT && !err; c++)
		err = filler_flush(&f, c);
	if (!err)
		b->services = upto;
out_free:
	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		free(f.keys[c]);
		free(f.vals[c]);
	}
	return err;
}

/* ---- config and zones ---- */

static int zone_make(struct xdpdns_zone *z, const char *apex)
{
	int len;

	memset(z, 0, sizeof(*z));
	len = dns_name_from_text(z->name, sizeof(z->name), apex);
	if (len < 0)
		return len;
	z->name_len = (uint16_t)len;
	z->action = XDPDNS_ZONE_AUTH;
	soa_build(z->soa, 0);
	z->soa_csum = xdpdns_csum_partial(z->soa, XDPDNS_SOA_LEN);
	return 0;
}

/*
 * The promoted answer of PROMOTED_NAME A, rendered by the promoter from an upstream-style
 * response (two A records), valid for an hour.
 */
static int cache_add(struct bench *b)
{
	static const uint8_t a1[4] = { 198, 18, 1, 2 }, a2[4] = { 198, 18, 1, 3 };
	struct dns_hdr h = { .flags = DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA,
			     .count = { 1, 2, 0, 0 } };
	uint8_t msg[512], name[XDPDNS_NAME_MAX];
	struct xdpdns_cache_val v;
	struct xdpdns_key_m k;
	struct dns_writer w;
	struct timespec ts;
	int len = dns_name_from_text(name, sizeof(name), PROMOTED_NAME), err;

	if (len < 0)
		return len;
	dns_writer_init(&w, msg, sizeof(msg));
	err = dns_write_hdr(&w, &h);
	if (!err)
		err = dns_write_question(&w, name, (size_t)len, DNS_TYPE_A, DNS_CLASS_IN);
	if (!err)
		err = dns_write_a(&w, DNS_OWNER_QNAME, TTL, a1);
	if (!err)
		err = dns_write_a(&w, DNS_OWNER_QNAME, TTL, a2);
	if (!err)
		err = promote_render(msg, w.len, &k, &v);
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.expire_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
		      3600ull * 1000000000ull;
	return bpf_map_update_elem(b->maps.cache, &k, &v, BPF_ANY) ? -errno : 0;
}

static int bench_config(struct bench *b)
{
	struct map_config mc = { .port = 53, .n_v4 = 1 };
	struct xdpdns_zone zones[3];
	int err;

	inet_pton(AF_INET, LISTEN4, &mc.v4[0]);
	err = map_config_write(&b->maps, &mc);	/* heartbeat now, stale_after_ns 0 */
	if (err)
		return err;
	err = zone_make(&zones[0], "cluster.local");
	if (!err)
		err = zone_make(&zones[1], "in-addr.arpa");
	if (!err)
		err = zone_make(&zones[2], "ip6.arpa");
	if (!err)
		err = map_zones_write(&b->maps, zones, 3);
	return err ? err : cache_add(b);
}

/* ---- query frames ---- */

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* UDP checksum over an IPv4 frame without options: 0 when it verifies. */
static uint16_t udp4_verify(const uint8_t *f, size_t len)
{
	uint32_t sum = 0;
	uint16_t ulen = (uint16_t)(len - 34);

	sum += csum16(f + 26, 8, 0);	/* addresses */
	sum += 17 + ulen;
	return (uint16_t)~csum16(f + 34, ulen, sum);
}

/* Eth / IPv4 / UDP / DNS query; returns the frame length or -errno. */
static int query_build(const struct bcase *c, const char *qname, uint8_t *buf, size_t cap)
{
	uint8_t *ip = buf + 14, *udp = ip + 20, *dns = udp + 8, *q = dns + 12;
	int nlen = dns_name_from_text(q, cap > 80 ? cap - 80 : 0, qname);
	size_t dlen, flen;
	uint16_t ck;

	if (nlen < 0)
		return nlen;
	dlen = 12 + nlen + 4 + (c->edns ? 11 : 0);
	flen = 14 + 20 + 8 + dlen;
	if (flen > cap || flen > BENCH_QUERY_MAX)
		return -ENOSPC;
	memcpy(buf, mac_server, 6);
	memcpy(buf + 6, mac_client, 6);
	put16(buf + 12, 0x0800);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + dlen));
	put16(ip + 4, 1);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, CLIENT4, ip + 12);
	inet_pton(AF_INET, LISTEN4, ip + 16);
	put16(ip + 10, (uint16_t)~csum16(ip, 20, 0));

	put16(udp, 40000);
	put16(udp + 2, c->dport ? c->dport : 53);
	put16(udp + 4, (uint16_t)(8 + dlen));
	put16(udp + 6, 0);

	put16(dns, QUERY_ID);
	put16(dns + 2, c->flags ? c->flags : 0x0100);
	put16(dns + 4, 1);
	put16(dns + 6, 0);
	put16(dns + 8, 0);
	put16(dns + 10, c->edns ? 1 : 0);
	put16(q + nlen, c->qtype);
	put16(q + nlen + 2, 1);
	if (c->edns) {
		uint8_t *o = q + nlen + 4;

		o[0] = 0;
		put16(o + 1, 41);
		put16(o + 3, 1232);
		put32(o + 5, 0);
		put16(o + 9, 0);
	}
	ck = udp4_verify(buf, flen);		/* over a zero checksum field: ~sum */
	put16(udp + 6, ck ? ck : 0xffff);
	return (int)flen;
}

/* ---- running ---- */

static int slot_set(struct bench *b, const struct bcase *c)
{
	__u32 zero = 0;

	b->rs->bss->bench_first = c->first;
	b->rs->bss->bench_count = c->count;
	b->rs->bss->bench_next = 0;
	if (bpf_map_update_elem(b->target_fd, &zero, &b->prog_fd[c->prog], BPF_ANY))
		return -errno;
	return 0;
}

static const struct bench_query *slot_query(const struct bench *b, uint32_t slot)
{
	return &b->rs->bss->bench_queries[slot];
}

static int run(struct bench *b, const struct bcase *c, unsigned int repeat, void *out,
	       uint32_t *out_len, uint32_t *ns, uint32_t *verdict)
{
	const struct bench_query *q = slot_query(b, c->first);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = q->data, .data_size_in = q->len,
		    .data_out = out, .data_size_out = out ? *out_len : 0, .repeat = repeat);
	int err;

	err = slot_set(b, c);
	if (err)
		return err;
	if (bpf_prog_test_run_opts(b->restore_fd, &o))
		return -errno;
	if (out)
		*out_len = o.data_size_out;
	*ns = o.duration;
	*verdict = o.retval;
	return 0;
}

static int counter(const struct bench *b, unsigned int reason, uint64_t *v)
{
	*v = 0;
	return reason ? maps_read_counter(&b->maps, reason, v) : 0;
}

/* One query through the wrapper; the reply must be the expected one. */
static int case_verify(struct bench *b, const struct bcase *c, char *why, size_t wl)
{
	const struct bench_query *q = slot_query(b, c->first);
	uint8_t out[4096];
	uint32_t olen = sizeof(out), ns, verdict;
	uint64_t before, after;
	size_t qn;
	int err;

	err = counter(b, c->reason, &before);
	if (!err)
		err = run(b, c, 1, out, &olen, &ns, &verdict);
	if (!err)
		err = counter(b, c->reason, &after);
	if (err) {
		snprintf(why, wl, "test run: %s", strerror(-err));
		return err;
	}
	if (verdict != c->verdict) {
		snprintf(why, wl, "verdict %u, want %u", verdict, c->verdict);
		return -EBADMSG;
	}
	if (c->reason && after - before != 1) {
		snprintf(why, wl, "%s moved by %llu, want 1", xdpdns_reason_name(c->reason),
			 (unsigned long long)(after - before));
		return -EBADMSG;
	}
	if (c->prog == T_NOP || (c->stage && c->prog != T_FULL))
		return 0;
	if (c->prog == T_FLOOR) {
		if (olen != q->len || memcmp(out, q->data + 6, 6) ||
		    memcmp(out + 26, q->data + 30, 4)) {
			snprintf(why, wl, "floor did not swap");
			return -EBADMSG;
		}
		return 0;
	}
	if (c->verdict == XDP_PASS) {
		if (olen != q->len || memcmp(out, q->data, olen)) {
			snprintf(why, wl, "a passed frame was modified");
			return -EBADMSG;
		}
		return 0;
	}
	/* a reply: lengths, checksums, swapped addresses, DNS header, question echoed */
	qn = 0;
	while (54 + qn < q->len && q->data[54 + qn])
		qn += q->data[54 + qn] + 1;
	qn += 1 + 4;
	if (olen < 54 + qn || (uint32_t)(out[16] << 8 | out[17]) != olen - 14 ||
	    (uint32_t)(out[38] << 8 | out[39]) != olen - 34) {
		snprintf(why, wl, "reply lengths wrong (%u bytes)", olen);
		return -EBADMSG;
	}
	if (csum16(out + 14, 20, 0) != 0xffff || udp4_verify(out, olen) != 0) {
		snprintf(why, wl, "reply checksum wrong");
		return -EBADMSG;
	}
	if (memcmp(out, q->data + 6, 6) || memcmp(out + 26, q->data + 30, 4) ||
	    memcmp(out + 34, q->data + 36, 2)) {
		snprintf(why, wl, "reply addresses not swapped");
		return -EBADMSG;
	}
	{
		const uint8_t *d = out + 42;
		uint16_t id = d[0] << 8 | d[1], fl = d[2] << 8 | d[3];
		uint16_t an = d[6] << 8 | d[7], ns_ = d[8] << 8 | d[9];

		if (id != QUERY_ID || !(fl & 0x8000) || (fl & 0xf) != c->rcode ||
		    an != c->ancount || ns_ != c->nscount) {
			snprintf(why, wl, "reply header: id %#x flags %#x an %u ns %u", id, fl, an,
				 ns_);
			return -EBADMSG;
		}
		if (memcmp(d + 12, q->data + 54, qn)) {
			snprintf(why, wl, "question not echoed");
			return -EBADMSG;
		}
	}
	return 0;
}

static void thousands(unsigned long v, char *out, size_t cap)
{
	if (v >= 1000000)
		snprintf(out, cap, "%lu,%03lu,%03lu", v / 1000000, v / 1000 % 1000, v % 1000);
	else if (v >= 1000)
		snprintf(out, cap, "%lu,%03lu", v / 1000, v % 1000);
	else
		snprintf(out, cap, "%lu", v);
}

/* Verify every case, then rounds x (every case once); print the table. Returns failures. */
static int bench_size(struct bench *b, unsigned long entries, int *misses, int *extra_misses)
{
	char why[160], n1[32], n2[32], n3[32], n4[32];
	const uint32_t nop_idx = 2;
	uint32_t wrap, prev;
	unsigned long total = b->loaded[0] + b->loaded[1] + b->loaded[2];
	int err;

	thousands(total, n1, sizeof(n1));
	thousands(b->loaded[0], n2, sizeof(n2));
	thousands(b->loaded[1], n3, sizeof(n3));
	thousands(b->loaded[2], n4, sizeof(n4));
	printf("\n== per-query cost, %s answer entries (64B keys %s, 128B %s, 264B %s), "
	       "target %lu ==\n", n1, n2, n3, n4, entries);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].skip)
			continue;
		err = case_verify(b, &cases[i], why, sizeof(why));
		if (err) {
			fprintf(stderr, "xdp_cost: %s: check failed: %s\n", cases[i].name, why);
			return err;
		}
	}
	printf("checked: every case (repeat 1) gave its verdict, moved its reason counter by 1,"
	       " and hits/NXDOMAIN/NODATA replied with the expected header, question and "
	       "checksums\n");

	for (unsigned int r = 0; r < b->opts.rounds; r++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct bcase *c = &cases[i];
			uint64_t before, after;
			uint32_t verdict;

			if (c->skip)
				continue;
			err = counter(b, c->reason, &before);
			if (!err)
				err = run(b, c, b->opts.repeat, NULL, NULL, &c->ns[r], &verdict);
			if (!err)
				err = counter(b, c->reason, &after);
			if (err) {
				fprintf(stderr, "xdp_cost: %s: %s\n", c->name, strerror(-err));
				return err;
			}
			if (verdict != c->verdict ||
			    (c->reason && after - before != b->opts.repeat)) {
				fprintf(stderr, "xdp_cost: %s: timed run took another path "
					"(verdict %u, %s moved by %llu of %u)\n", c->name,
					verdict, c->reason ? xdpdns_reason_name(c->reason) : "-",
					(unsigned long long)(after - before), b->opts.repeat);
				return -EBADMSG;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			uint32_t floor_ns = cases[cases[i].floor].ns[r];

			cases[i].ratio[r] = cases[i].ns[r] / (double)(floor_ns ? floor_ns : 1);
		}
	}

	wrap = bench_median_u32(cases[nop_idx].ns, b->opts.rounds);
	printf("%-28s %-22s %9s %9s %8s %7s %6s %s\n", "case", "reason", "ns/query", "-wrapper",
	       "x floor", "target", "meets", "(min..max ns)");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bcase *c = &cases[i];
		uint32_t med = bench_median_u32(c->ns, b->opts.rounds);
		uint32_t lo = c->ns[0], hi = c->ns[0];
		double ratio = bench_median_dbl(c->ratio, b->opts.rounds, NULL, NULL);
		char target[16] = "-", meets[8] = "";

		if (c->skip || c->stage)
			continue;
		for (unsigned int r = 1; r < b->opts.rounds; r++) {
			lo = c->ns[r] < lo ? c->ns[r] : lo;
			hi = c->ns[r] > hi ? c->ns[r] : hi;
		}
		if (c->target) {
			snprintf(target, sizeof(target), "<=%.0fx", c->target);
			snprintf(meets, sizeof(meets), "%s", ratio <= c->target ? "yes" : "NO");
			if (ratio > c->target)
				(*(c->extra ? extra_misses : misses))++;
		}
		printf("%-28s %-22s %9u %9d %8.2f %7s %6s (%u..%u)\n", c->name,
		       c->reason ? xdpdns_reason_name(c->reason) : "-", med,
		       (int)med - (int)wrap, ratio, target, meets, lo, hi);
	}

	prev = wrap;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bcase *c = &cases[i];
		uint32_t med = bench_median_u32(c->ns, b->opts.rounds);

		if (c->skip || !c->stage)
			continue;
		if (prev == wrap)
			printf("where the A hit's time goes (bench/stages.bpf.c: the engine's own "
			       "stages, cut after each):\n%-32s %9s %9s %10s\n", "stage",
			       "ns/query", "-wrapper", "this stage");
		printf("%-32s %9u %9d %10d\n", c->name, med, (int)med - (int)wrap,
		       (int)med - (int)prev);
		prev = med;
	}
	return 0;
}

/* The wrapper's query slots: one per case, then ROTATE_NAMES A queries over the services. */
static int queries_write(struct bench *b, unsigned long services)
{
	uint32_t next = 0, rot_first, rot_count;
	char text[128];
	int len;

	rot_count = services < rotate_names ? (uint32_t)services : rotate_names;
	rot_first = ARRAY_SIZE(cases);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bcase *c = &cases[i];

		if (c->rotate) {
			c->first = rot_first;
			c->count = rot_count;
			continue;
		}
		struct bench_query *q = &b->rs->bss->bench_queries[next];

		len = query_build(c, c->qname, q->data, sizeof(q->data));
		if (len < 0)
			return len;
		q->len = (uint16_t)len;
		c->first = next++;
		c->count = 1;
	}
	for (uint32_t k = 0; k < rot_count; k++) {
		struct bench_query *q = &b->rs->bss->bench_queries[rot_first + k];
		struct bcase a = { .qtype = 1 };

		/* spread over the services, so consecutive lookups touch unrelated buckets */
		service_name((unsigned long)k * services / rot_count, text, sizeof(text));
		len = query_build(&a, text, q->data, sizeof(q->data));
		if (len < 0)
			return len;
		q->len = (uint16_t)len;
	}
	return 0;
}

/* The slot type above must be the one the BPF object was built with. */
static int query_type_check(const struct restore *rs)
{
	const struct btf *btf = bpf_object__btf(rs->obj);
	const struct btf_type *t;
	const struct btf_member *m;
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, "bench_query", BTF_KIND_STRUCT);
	if (id < 0)
		return id;
	t = btf__type_by_id(btf, id);
	if (t->size != sizeof(struct bench_query) || btf_vlen(t) != 2)
		return -EPROTO;
	m = btf_members(t);
	if (btf_member_bit_offset(t, 0) != 8 * offsetof(struct bench_query, len) ||
	    btf_member_bit_offset(t, 1) != 8 * offsetof(struct bench_query, data) || !m)
		return -EPROTO;
	return 0;
}

static int bench_load(struct bench *b)
{
	int err;

	b->xs = loader_load_unpinned(&b->maps);
	if (!b->xs)
		return -errno;
	b->rs = restore__open_and_load();
	if (!b->rs)
		return -errno;
	b->ss = stages__open();
	if (!b->ss)
		return -errno;
	{
		/* the stage programs run on the xdpdns skeleton's maps */
		struct bpf_map *mine[] = { b->ss->maps.xdpdns_ans_s, b->ss->maps.xdpdns_ans_m,
					   b->ss->maps.xdpdns_ans_l, b->ss->maps.xdpdns_zones,
					   b->ss->maps.xdpdns_config, b->ss->maps.xdpdns_stats };
		const struct bpf_map *theirs[] = {
			b->xs->maps.xdpdns_ans_s,  b->xs->maps.xdpdns_ans_m,
			b->xs->maps.xdpdns_ans_l,  b->xs->maps.xdpdns_zones,
			b->xs->maps.xdpdns_config, b->xs->maps.xdpdns_stats,
		};

		err = bench_obj_unpin(b->ss->obj);
		if (err)
			return err;
		for (size_t i = 0; i < ARRAY_SIZE(mine); i++) {
			err = bpf_map__reuse_fd(mine[i], bpf_map__fd(theirs[i]));
			if (err)
				return err;
		}
	}
	err = stages__load(b->ss);
	if (err)
		return err;
	err = query_type_check(b->rs);
	if (err) {
		fprintf(stderr, "xdp_cost: struct bench_query disagrees with restore.bpf.o\n");
		return err;
	}
	b->prog_fd[T_ENGINE] = bpf_program__fd(b->xs->progs.xdpdns_xdp);
	b->prog_fd[T_FLOOR] = bpf_program__fd(b->rs->progs.bench_floor);
	b->prog_fd[T_NOP] = bpf_program__fd(b->rs->progs.bench_nop);
	b->prog_fd[T_L4] = bpf_program__fd(b->ss->progs.stage_l4);
	b->prog_fd[T_QUERY] = bpf_program__fd(b->ss->progs.stage_query);
	b->prog_fd[T_KEY] = bpf_program__fd(b->ss->progs.stage_key);
	b->prog_fd[T_LOOKUP] = bpf_program__fd(b->ss->progs.stage_lookup);
	b->prog_fd[T_FULL] = bpf_program__fd(b->ss->progs.stage_full);
	b->restore_fd = bpf_program__fd(b->rs->progs.bench_restore);
	b->target_fd = bpf_map__fd(b->rs->maps.bench_target);
	return 0;
}

static void usage(void)
{
	bench_usage("xdp_cost", "[-s entries[,entries...]] [-c case] [-k names]");
}

int main(int argc, char **argv)
{
	struct bench b = { .opts = BENCH_OPTS_DEFAULT };
	unsigned long sizes[8] = { 1000, 1000000 };
	unsigned int n_sizes = 2;
	int opt, err, misses = 0, extra_misses = 0, checked = 0;

	while ((opt = getopt(argc, argv, BENCH_OPTSTRING "s:c:k:h")) != -1) {
		char *s, *tok, *save;

		if (bench_opt_take(&b.opts, opt, optarg))
			continue;
		switch (opt) {
		case 'k':
			rotate_names = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			for (size_t i = 3; i < ARRAY_SIZE(cases); i++)
				cases[i].skip = !strstr(cases[i].name, optarg);
			break;
		case 's':
			n_sizes = 0;
			s = optarg;
			while ((tok = strtok_r(s, ",", &save)) && n_sizes < ARRAY_SIZE(sizes)) {
				sizes[n_sizes++] = strtoul(tok, NULL, 10);
				s = NULL;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!bench_opts_valid(&b.opts) || n_sizes == 0 || rotate_names < 1 ||
	    rotate_names > BENCH_QUERIES - ARRAY_SIZE(cases)) {
		usage();
		return 2;
	}
	if (bench_init("xdp_cost", "BPF program load, BPF_PROG_TEST_RUN"))
		return 1;

	err = bench_load(&b);
	if (err) {
		fprintf(stderr, "xdp_cost: load: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = bench_config(&b);
	if (err) {
		fprintf(stderr, "xdp_cost: config/zones: %s\n", strerror(-err));
		goto out_destroy;
	}
	printf("xdp_cost: BPF_PROG_TEST_RUN, repeat %u per run, median of %u rounds; every round "
	       "runs each case once through bench_restore -> tail call\n", b.opts.repeat,
	       b.opts.rounds);
	printf("ratio = median over rounds of (case ns / floor ns of the same round); "
	       "-wrapper = case minus the wrapper-only row\n");
	for (unsigned int i = 0; i < n_sizes; i++) {
		/* entries per service; size counts answer entries */
		unsigned long services = sizes[i] / ENTRIES_PER_SVC;

		if (services < 1)
			services = 1;
		if (services < b.services) {
			fprintf(stderr, "xdp_cost: sizes must grow (%lu)\n", sizes[i]);
			err = -EINVAL;
			goto out_destroy;
		}
		err = bench_fill(&b, services);
		if (err) {
			fprintf(stderr, "xdp_cost: fill %lu: %s\n", sizes[i], strerror(-err));
			goto out_destroy;
		}
		err = queries_write(&b, services);
		if (err) {
			fprintf(stderr, "xdp_cost: queries: %s\n", strerror(-err));
			goto out_destroy;
		}
		err = bench_size(&b, sizes[i], &misses, &extra_misses);
		if (err)
			goto out_destroy;
		checked++;
	}
	printf("\ntargets of the brief (A, SRV, PTR, NXDOMAIN rows): %s (%d miss%s over %d "
	       "sizes); extra rows (+): %d miss%s\n", misses ? "NOT all met" : "all met", misses,
	       misses == 1 ? "" : "es", checked, extra_misses, extra_misses == 1 ? "" : "es");

out_destroy:
	stages__destroy(b.ss);
	restore__destroy(b.rs);
	xdpdns__destroy(b.xs);
	return err ? 1 : 0;
}
