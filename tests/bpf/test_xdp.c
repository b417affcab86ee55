// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tests/bpf/test_xdp.c - the XDP program (bpf/xdpdns.bpf.c) against the fast-path spec.
 *
 * Table-driven: each case is a query built by tests/lib/pkt.c and run once through
 * BPF_PROG_TEST_RUN. It must end in the expected verdict with exactly one counter, its
 * reason's, bumped by exactly one; XDP_PASS / XDP_DROP frames must come back unchanged.
 * Every XDP_TX frame is parsed here (lengths, swaps, IPv4 and UDP checksums recomputed),
 * its DNS payload compared byte for byte with what the spec implies, and decoded by libldns
 * (rcode, flags, question, every RR, SOA owner and MINIMUM, OPT).
 * Answers and zones are built by hand in this file (entries[], zones[]), not by userspace/.
 * Happy cases run over IPv4 and IPv6, with 0, 1 and 2 VLAN tags, without and with EDNS.
 *
 * main() loads the program once, fills the maps and shares program and maps with
 * Criterion's worker processes through a private bpffs (tests/lib/fixture.h). The cases
 * share the counters, so they run one at a time. Without root, or when loading BPF is not
 * permitted, every case is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ldns/ldns.h>

#include "maps.h"
#include "tests/lib/fixture_main.h"
#include "tests/lib/pkt.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* DNS numbers used below (RFC 1035, 2782, 3596, 6891) */
#define T_A	1
#define T_SOA	6
#define T_PTR	12
#define T_MX	15
#define T_TXT	16
#define T_AAAA	28
#define T_SRV	33
#define T_OPT	41
#define T_ANY	255
#define C_IN	1

#define RD(s)	.rdata = (const uint8_t *)(s), .rdlen = sizeof(s) - 1

/* ---------------------------------------------------------------------------------------
 * Zones and answers, built by hand.
 */

enum zone_id { Z_NONE, Z_POD, Z_CLUSTER, Z_INADDR, Z_EXAMPLE, Z_COUNT };

struct zone_def {
	const char *apex;
	uint8_t action;
	struct fixture_soa soa;
};

/* xdpdns_zones[0..2], longest first; Z_EXAMPLE sits at index 3, beyond config.n_zones. */
static const struct zone_def zones[Z_COUNT] = {
	[Z_POD] = { "pod.cluster.local", XDPDNS_ZONE_PASS,
		    { 30, 1, 7200, 1800, 86400, 30 } },
	[Z_CLUSTER] = { "cluster.local", XDPDNS_ZONE_AUTH,
			{ 31, 2024010101, 7200, 1800, 86400, 29 } },
	[Z_INADDR] = { "in-addr.arpa", XDPDNS_ZONE_AUTH,
		       { 33, 2024010102, 3600, 600, 604800, 27 } },
	[Z_EXAMPLE] = { "example.com", XDPDNS_ZONE_AUTH,
			{ 34, 3, 3600, 600, 604800, 26 } },
};
#define N_ZONES_LIVE 3

struct rr_def {
	uint8_t sec;			/* enum fixture_section */
	uint16_t type;
	uint32_t ttl;
	const char *owner;		/* NULL: pointer to the question name (0xc00c) */
	const uint8_t *rdata;
	uint16_t rdlen;
	uint8_t soa_zone;		/* SOA of zones[soa_zone] with its pointers at the apex
					 * suffix of the question; owner/rdata unused */
};

#define XRR_MAX 40

struct entry {
	const char *qname;		/* dotted; stored lower-cased by xdpdns_key_build() */
	uint16_t qtype;
	uint8_t rcode, flags;
	uint8_t n_rr;
	uint8_t len_over;		/* stored claiming XDPDNS_ANSWER_MAX + 1 bytes */
	uint8_t zslot;			/* XDPDNS_ANS_ZONE_SOA: stored with no data, nscount 1 and
					 * this zone table slot; rr[] is what the reply carries */
	struct rr_def rr[3];
	int (*gen)(struct rr_def *out);	/* instead of rr[]: fills out[], returns the count */
};

#define WEB	 "web.default.svc.cluster.local"
#define WEB_WIRE "\x03web\x07" "default\x03svc\x07" "cluster\x05local\x00"
#define SRVNAME	 "_http._tcp.web.default.svc.cluster.local"
#define PTR4	 "10.0.96.10.in-addr.arpa"
#define PTR6	 "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa"
#define PTR6_UP	 "A.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.D.F.IP6.ARPA"
#define X8	 "xxxxxxxx"
#define X16	 X8 X8
#define X32	 X16 X16
#define NAME_S62 "s62-" X32 "xxxxxxxxxx.cluster.local"				/* 62 bytes */
#define NAME_M63 "m63-" X32 "xxxxxxxxxxx.cluster.local"				/* 63 */
#define NAME_M126 "m126-a-" X32 X8 "xxxxxxx.m126-b-" X32 X16 ".cluster.local"	/* 126 */
#define NAME_L127 "l127-a-" X32 X16 ".l127-b-" X32 X16 ".cluster.local"		/* 127 */
#define NAME_LONG "long-one-" X16 X8 "xxxxxxx.long-two-" X16 X8 "xxxxxxx.long-three-" \
		  X16 X8 "xxxxx.cluster.local"					/* 138 */
#define LABEL63(p) p "-" X32 X16 "xxxxxx"	/* p is 8 chars: 63 bytes */
#define NAME_MAX255 LABEL63("max-0001") "." LABEL63("max-0002") "." LABEL63("max-0003") \
		    ".max-four-" X32 "xxxxxx.cluster.local"			/* 255 */
#define NAME_NX255 LABEL63("nxd-0001") "." LABEL63("nxd-0002") "." LABEL63("nxd-0003") \
		   ".nxd-four-" X32 "xxxxxx.cluster.local"			/* 255 */
#define NAME_256 LABEL63("big-0001") "." LABEL63("big-0002") "." LABEL63("big-0003") \
		 ".big-four-" X32 "xxxxxxx.cluster.local"			/* 256 */
#define A8	 "a.a.a.a.a.a.a.a."
#define A40	 A8 A8 A8 A8 A8
#define NAME_122_LABELS A40 A40 A40 "cluster.local"	/* 120 x "a" + 2: 255 bytes */
#define NAME_127_LABELS A40 A40 A40 "a.a.a.a.a.a.a"	/* 127 one-byte labels: 255 bytes */
#define NAME_128_LABELS A40 A40 A40 A8		/* 128 one-byte labels: 257 bytes */

/*
 * Reply sizes around the limits: 512 bytes without EDNS (RFC 1035 4.2.1), the client's
 * EDNS size and our edns_size with it. The answers below are XDPDNS_ANSWER_MAX bytes
 * exactly, and each name is chosen so that the reply lands on a boundary. A name of at
 * most 62 bytes (key class S) never reaches 512 with a maximum answer (REPLY_LEN(62) is
 * 12 + 62 + 4 + 376 = 454), so the boundary names are longer, in key classes M and L.
 */
#define QLEN(dotted)	(sizeof(dotted) + 1)	/* wire bytes of a name without final dot */
#define OPT_RR_LEN	11			/* the OPT record the fast path appends */
#define UDP_PLAIN_MAX	512			/* the reply limit without EDNS */
/* header, question, a maximum answer; no OPT */
#define REPLY_LEN(qlen)	(12 + (qlen) + 4 + XDPDNS_ANSWER_MAX)
/* TXT, class M: a maximum answer makes a 512-byte reply, and a 513-byte one. */
#define NAME_T512 "t512-a-" X32 X16 "xxxxxxx.t512-b-" X16 X8 X8 "xx.cluster.local"	/* 120 */
#define NAME_T513 "t513-a-" X32 X16 "xxxxxxx.t513-b-" X16 X8 X8 "xxx.cluster.local"	/* 121 */
/* A, class L: the biggest A answer (BIG_LEN) is too big for 512 without EDNS, fits with
 * EDNS 1232. */
#define NAME_BIG "big-a-" X32 X16 "xxxxxxxx.big-b-" X32 X8 X8 "xx.cluster.local"	/* 135 */
/* A, class S: the longest class-S name, its maximum answer fits without EDNS. */
#define NAME_BIG_S62 "big-s62-" X32 "xxxxxx.cluster.local"			/* 62 */
#define NAME_OVER "over.cluster.local"	/* its map entry claims one byte over the maximum */

_Static_assert(REPLY_LEN(QLEN(NAME_T512)) == UDP_PLAIN_MAX, "NAME_T512: 512-byte reply");
_Static_assert(REPLY_LEN(QLEN(NAME_T513)) == UDP_PLAIN_MAX + 1, "NAME_T513: 513-byte reply");
_Static_assert(QLEN(NAME_T513) <= XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_M), "NAME_T513: class M");
_Static_assert(QLEN(NAME_BIG) > XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_M), "NAME_BIG: class L");
/* A records of 16 bytes each (pointer, fixed part, address): as many as fit. */
#define BIG_N_A		(XDPDNS_ANSWER_MAX / 16)
#define BIG_LEN		(BIG_N_A * 16)
_Static_assert(12 + QLEN(NAME_BIG) + 4 + BIG_LEN > UDP_PLAIN_MAX &&
	       12 + QLEN(NAME_BIG) + 4 + BIG_LEN + OPT_RR_LEN <= 600, "NAME_BIG: between 512 and 600");
_Static_assert(QLEN(NAME_BIG_S62) == XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_S), "NAME_BIG_S62: 62");
_Static_assert(REPLY_LEN(QLEN(NAME_BIG_S62)) <= UDP_PLAIN_MAX, "NAME_BIG_S62: fits 512");

/* SOA rdata values used for NODATA / map NXDOMAIN answers are the zone's, TTL per entry. */
#define NODATA_SOA(z, t) { .sec = FIXTURE_NS, .type = T_SOA, .ttl = (t), .soa_zone = (z) }

enum entry_id {
	E_NONE,
	E_WEB_A, E_WEB_AAAA, E_WEB_NAME, E_SRV, E_PTR4, E_PTR6, E_MULTI, E_LONG, E_MAX,
	E_S62, E_M63, E_M126, E_L127, E_PASS, E_PASS_NAME, E_BIG, E_BIG_S62, E_TXT512, E_TXT513,
	E_OVER,
	E_GONE, E_ODD, E_ODD2, E_BIN, E_BRACKET, E_AT, E_NODATA_PTR6, E_POD,
	E_ZSOA, E_ZSOA_NX, E_ZSOA_PTR, E_ZSOA_UNUSED, E_ZSOA_SHORT,
	E_COUNT
};

static int gen_big(struct rr_def *out);
static int gen_txt_max(struct rr_def *out);

/* An entry with one A record. */
#define A1(name, ttl, rdata) { name, T_A, .n_rr = 1, .rr = { { FIXTURE_AN, T_A, ttl, RD(rdata) } } }

static const struct entry entries[E_COUNT] = {
	[E_WEB_A] = A1(WEB, 5, "\x0a\x60\x00\x0a"),
	[E_WEB_AAAA] = { WEB, T_AAAA, .n_rr = 1,
			 .rr = { { FIXTURE_AN, T_AAAA, 5,
				   RD("\xfd\x00\x00\x96\0\0\0\0\0\0\0\0\0\0\0\x0a") } } },
	[E_WEB_NAME] = { WEB, XDPDNS_QTYPE_NAME, .n_rr = 1, .rr = { NODATA_SOA(Z_CLUSTER, 5) } },
	[E_SRV] = { SRVNAME, T_SRV, .n_rr = 2,
		    .rr = { { FIXTURE_AN, T_SRV, 5, RD("\x00\x00\x00\x64\x00\x50" WEB_WIRE) },
			    { FIXTURE_AR, T_A, 5, .owner = WEB, RD("\x0a\x60\x00\x0a") } } },
	[E_PTR4] = { PTR4, T_PTR, .n_rr = 1, .rr = { { FIXTURE_AN, T_PTR, 5, RD(WEB_WIRE) } } },
	[E_PTR6] = { PTR6, T_PTR, .n_rr = 1,
		     .rr = { { FIXTURE_AN, T_PTR, 5, RD("\x04web6" "\x07" "default\x03svc\x07"
							 "cluster\x05local\x00") } } },
	[E_NODATA_PTR6] = { PTR6, XDPDNS_QTYPE_NAME, .n_rr = 0 },	/* NODATA, empty */
	[E_MULTI] = { "multi.default.svc.cluster.local", T_A, .n_rr = 3,
		      .rr = { { FIXTURE_AN, T_A, 30, RD("\x0a\x01\x00\x01") },
			      { FIXTURE_AN, T_A, 30, RD("\x0a\x01\x00\x02") },
			      { FIXTURE_AN, T_A, 30, RD("\x0a\x01\x00\x03") } } },
	[E_LONG] = A1(NAME_LONG, 6, "\x0a\x02\x00\x01"),
	[E_MAX] = A1(NAME_MAX255, 7, "\x0a\x02\x00\x02"),
	[E_S62] = A1(NAME_S62, 8, "\x0a\x03\x00\x3e"),
	[E_M63] = A1(NAME_M63, 8, "\x0a\x03\x00\x3f"),
	[E_M126] = A1(NAME_M126, 8, "\x0a\x03\x00\x7e"),
	[E_L127] = A1(NAME_L127, 8, "\x0a\x03\x00\x7f"),
	[E_PASS] = { "cname.default.svc.cluster.local", T_A, .flags = XDPDNS_ANS_PASS },
	[E_PASS_NAME] = { "slow.default.svc.cluster.local", XDPDNS_QTYPE_NAME,
			  .flags = XDPDNS_ANS_PASS },
	[E_BIG] = { NAME_BIG, T_A, .gen = gen_big },
	[E_BIG_S62] = { NAME_BIG_S62, T_A, .gen = gen_big },
	[E_TXT512] = { NAME_T512, T_TXT, .gen = gen_txt_max },
	[E_TXT513] = { NAME_T513, T_TXT, .gen = gen_txt_max },
	[E_OVER] = { NAME_OVER, T_TXT, .gen = gen_txt_max, .len_over = 1 },
	[E_GONE] = { "gone.default.svc.cluster.local", XDPDNS_QTYPE_NAME, .rcode = 3, .n_rr = 1,
		     .rr = { NODATA_SOA(Z_CLUSTER, 7) } },
	[E_ODD] = { "odd.cluster.local", T_TXT, .n_rr = 1,
		    .rr = { { FIXTURE_AN, T_TXT, 9, RD("\x04" "abcd") } } },
	[E_ODD2] = { "odd2.cluster.local", T_TXT, .n_rr = 1,
		     .rr = { { FIXTURE_AN, T_TXT, 9, RD("\x04" "abcd") } } },
	[E_BIN] = { "a\xdbz.cluster.local", T_A, .n_rr = 1,
		    .rr = { { FIXTURE_AN, T_A, 5, RD("\x0a\x04\x00\x01") } } },
	[E_BRACKET] = { "a[b.cluster.local", T_A, .n_rr = 1,
			.rr = { { FIXTURE_AN, T_A, 5, RD("\x0a\x04\x00\x02") } } },
	[E_AT] = { "a@z.cluster.local", T_A, .n_rr = 1,
		   .rr = { { FIXTURE_AN, T_A, 5, RD("\x0a\x04\x00\x03") } } },
	[E_POD] = { "10-0-0-7.web.pod.cluster.local", T_A, .n_rr = 1,
		    .rr = { { FIXTURE_AN, T_A, 5, RD("\x0a\x00\x00\x07") } } },
	/* Negative entries without an SOA of their own: the table's, TTL and all. Slots are
	 * those of populate(): zones[z] sits at z - 1. */
	[E_ZSOA] = { "zsoa.default.svc.cluster.local", XDPDNS_QTYPE_NAME,
		     .flags = XDPDNS_ANS_ZONE_SOA, .zslot = Z_CLUSTER - 1, .n_rr = 1,
		     .rr = { NODATA_SOA(Z_CLUSTER, 31) } },
	[E_ZSOA_NX] = { "zgone.default.svc.cluster.local", XDPDNS_QTYPE_NAME, .rcode = 3,
			.flags = XDPDNS_ANS_ZONE_SOA, .zslot = Z_CLUSTER - 1, .n_rr = 1,
			.rr = { NODATA_SOA(Z_CLUSTER, 31) } },
	[E_ZSOA_PTR] = { "9.0.96.10.in-addr.arpa", XDPDNS_QTYPE_NAME,
			 .flags = XDPDNS_ANS_ZONE_SOA, .zslot = Z_INADDR - 1, .n_rr = 1,
			 .rr = { NODATA_SOA(Z_INADDR, 33) } },
	/* a slot past config.n_zones, an apex longer than the name: the table is being
	 * rewritten, so the fast path passes */
	[E_ZSOA_UNUSED] = { "zunused.default.svc.cluster.local", XDPDNS_QTYPE_NAME,
			    .flags = XDPDNS_ANS_ZONE_SOA, .zslot = Z_EXAMPLE - 1 },
	[E_ZSOA_SHORT] = { "zs.arpa", XDPDNS_QTYPE_NAME, .flags = XDPDNS_ANS_ZONE_SOA,
			   .zslot = Z_CLUSTER - 1 },
};

_Static_assert(BIG_LEN + 16 > XDPDNS_ANSWER_MAX && BIG_N_A <= XRR_MAX, "gen_big");

static int gen_big(struct rr_def *out)
{
	static uint8_t addr[BIG_N_A][4];

	for (int i = 0; i < BIG_N_A; i++) {
		addr[i][0] = 10;
		addr[i][1] = 5;
		addr[i][2] = 0;
		addr[i][3] = (uint8_t)(i + 1);
		out[i] = (struct rr_def){ FIXTURE_AN, T_A, 60, .rdata = addr[i], .rdlen = 4 };
	}
	return BIG_N_A;
}

/*
 * One TXT RR of XDPDNS_ANSWER_MAX bytes: pointer and fixed part (12), then two strings,
 * 255 bytes and the rest (107 for 376).
 */
#define TXT_MAX_RDLEN	(XDPDNS_ANSWER_MAX - 12)
_Static_assert(TXT_MAX_RDLEN > 257 && TXT_MAX_RDLEN - 257 <= 255, "gen_txt_max: two strings");

static int gen_txt_max(struct rr_def *out)
{
	static uint8_t txt[TXT_MAX_RDLEN];

	txt[0] = 255;
	for (int i = 1; i < 256; i++)
		txt[i] = (uint8_t)('a' + i % 26);
	txt[256] = TXT_MAX_RDLEN - 257;
	for (int i = 257; i < TXT_MAX_RDLEN; i++)
		txt[i] = (uint8_t)('A' + i % 26);
	out[0] = (struct rr_def){ FIXTURE_AN, T_TXT, 10, .rdata = txt, .rdlen = sizeof(txt) };
	return 1;
}

static int entry_rrs(const struct entry *e, struct rr_def *out)
{
	if (e->gen)
		return e->gen(out);
	memcpy(out, e->rr, e->n_rr * sizeof(*out));
	return e->n_rr;
}

static int name_wire(const char *text, uint8_t *out)
{
	return pkt_name_encode(text, out, XDPDNS_NAME_MAX + 1);
}

/*
 * Render rrs as the control plane would store them after a question name of qname_len
 * bytes: owners NULL -> 0xc00c, SOA pointers -> 0xc000 | (12 + offset of the apex).
 */
static int answer_render(const struct rr_def *rrs, int n, uint16_t qname_len, uint8_t rcode,
			 uint8_t flags, struct xdpdns_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->rcode = rcode;
	a->flags = flags;
	for (int i = 0; i < n; i++) {
		const struct rr_def *d = &rrs[i];
		uint8_t owner[XDPDNS_NAME_MAX + 1] = { 0xc0, 0x0c };
		int olen = 2, err;

		if (d->soa_zone) {
			uint8_t soa[XDPDNS_SOA_LEN], apex[XDPDNS_NAME_MAX + 1];
			int alen = name_wire(zones[d->soa_zone].apex, apex);
			struct fixture_soa s = zones[d->soa_zone].soa;

			if (alen < 0 || alen > qname_len)
				return -EINVAL;
			s.ttl = d->ttl;
			fixture_soa_build(soa, 0xc000 | (XDPDNS_QNAME_OFF + qname_len - alen), &s);
			err = fixture_rr_add(a, d->sec, soa, 2, T_SOA, s.ttl, soa + 12,
					     XDPDNS_SOA_LEN - 12);
		} else {
			if (d->owner)
				olen = name_wire(d->owner, owner);
			if (olen < 0)
				return olen;
			err = fixture_rr_add(a, d->sec, owner, olen, d->type, d->ttl, d->rdata,
					     d->rdlen);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * A map value no writer produces: the answer with len one byte over XDPDNS_ANSWER_MAX.
 * fixture_answer_put() refuses it, as map_writer_add() does, so it is written here; the
 * engine must not trust len and passes the question (PASS_ENTRY).
 */
static int entry_put_over(const struct fixture *f, const uint8_t *name, size_t name_len,
			  uint16_t qtype, struct xdpdns_answer *a)
{
	struct xdpdns_key_l key;
	int err = xdpdns_key_build(&key, name, name_len, qtype);

	if (err)
		return err;
	a->csum = xdpdns_csum_partial(a->data, a->len);
	a->len = XDPDNS_ANSWER_MAX + 1;
	if (bpf_map_update_elem(f->maps.answers[xdpdns_key_class(name_len)], &key, a, BPF_ANY))
		return -errno;
	return 0;
}

static int populate(struct fixture *f)
{
	struct xdpdns_config cfg;
	int err = 0;

	for (int i = 1; i < E_COUNT && !err; i++) {
		const struct entry *e = &entries[i];
		struct rr_def rrs[XRR_MAX];
		struct xdpdns_answer a;
		uint8_t name[XDPDNS_NAME_MAX + 1];
		int n = name_wire(e->qname, name);

		err = n < 0 ? n : answer_render(rrs, entry_rrs(e, rrs), n, e->rcode, e->flags, &a);
		if (!err && (e->flags & XDPDNS_ANS_ZONE_SOA)) {
			memset(a.data, 0, sizeof(a.data));
			a.len = 0;
			a.ancount = a.arcount = 0;
			a.nscount = 1;
			a.zone = e->zslot;
		}
		if (!err && e->len_over)
			err = entry_put_over(f, name, n, e->qtype, &a);
		else if (!err)
			err = fixture_answer_put(f, name, n, e->qtype, &a);
		if (err)
			fprintf(stderr, "test_xdp: entry %d (%s): %s\n", i, e->qname,
				strerror(-err));
	}
	for (int z = 1; z < Z_COUNT && !err; z++) {
		uint8_t apex[XDPDNS_NAME_MAX + 1];
		int n = name_wire(zones[z].apex, apex);

		err = n < 0 ? n
			    : fixture_zone_put(f, z - 1, apex, n, zones[z].action, &zones[z].soa);
	}
	if (err)
		return err;
	fixture_config_default(&cfg);
	cfg.n_zones = N_ZONES_LIVE;
	return fixture_config_write(f, &cfg);
}

/* ---------------------------------------------------------------------------------------
 * Cases.
 */

#define FAM_4	1
#define FAM_6	2
#define X_VLAN	1	/* also run with 1 and 2 VLAN tags */
#define X_EDNS	2	/* also run with a plain OPT (4096, DO on IPv6) */
#define X_ALL	(X_VLAN | X_EDNS)

struct xcase {
	const char *name;
	struct pkt_spec q;
	uint8_t fam;			/* FAM_4 | FAM_6; 0: both */
	uint8_t x;			/* X_* expansions */
	uint8_t reason;
	uint8_t entry;			/* TX: enum entry_id answering */
	uint8_t zone;			/* TX: NXDOMAIN from this zone's table entry */
	uint16_t qlen;			/* non-zero: the question name is qlen bytes */
	uint16_t cfg_edns;		/* config.edns_size; 0: 1232 */
	uint32_t cfg_stale_ms;		/* config.stale_after_ns; 0: fixture default */
	uint32_t cfg_age_ms;		/* heartbeat this old */
	uint8_t cfg_never_stale;	/* stale_after_ns = 0 */
};

#define Q(n, t)		.qname = (n), .qtype = (t), .id = 0xbeef
#define FLAGS(f)	.dns_flags = PKT_SET(f)
#define OPT(sz, fl)	.opt = { .present = 1, .udp_size = (sz), .flags = (fl) }
#define R(r)		.reason = XDPDNS_R_##r

static const uint8_t cookie_opt[] = { 0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cookie_pad_opt[] = { 0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
					  0x00, 0x0c, 0x00, 0x03, 0, 0, 0 };

static const struct xcase happy[] = {
	{ "a_hit", { Q(WEB, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_WEB_A },
	{ "aaaa_hit", { Q(WEB, T_AAAA) }, .x = X_ALL, R(ANSWER_AAAA), .entry = E_WEB_AAAA },
	{ "a_hit_0x20", { Q("wEb.DeFaulT.sVc.ClUsTeR.LoCaL", T_A) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "aaaa_hit_upper", { Q("WEB.DEFAULT.SVC.CLUSTER.LOCAL", T_AAAA) }, .x = X_ALL,
	  R(ANSWER_AAAA), .entry = E_WEB_AAAA },
	{ "srv_hit_additional", { Q(SRVNAME, T_SRV) }, .x = X_ALL, R(ANSWER_SRV), .entry = E_SRV },
	{ "srv_hit_0x20", { Q("_HTTP._Tcp.Web.default.svc.cluster.local", T_SRV) }, .x = X_ALL,
	  R(ANSWER_SRV), .entry = E_SRV },
	{ "ptr4_hit", { Q(PTR4, T_PTR) }, .x = X_ALL, R(ANSWER_PTR), .entry = E_PTR4 },
	{ "ptr6_hit_class_m", { Q(PTR6, T_PTR) }, .x = X_ALL, R(ANSWER_PTR), .entry = E_PTR6,
	  .qlen = 74 },
	{ "ptr6_hit_upper", { Q(PTR6_UP, T_PTR) }, .x = X_ALL, R(ANSWER_PTR), .entry = E_PTR6,
	  .qlen = 74 },
	{ "ptr6_nodata_empty", { Q(PTR6, T_TXT) }, .x = X_ALL, R(NODATA), .entry = E_NODATA_PTR6 },
	{ "multi_a", { Q("multi.default.svc.cluster.local", T_A) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_MULTI },
	{ "class_s_62", { Q(NAME_S62, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_S62, .qlen = 62 },
	{ "class_m_63", { Q(NAME_M63, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_M63, .qlen = 63 },
	{ "class_m_126", { Q(NAME_M126, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_M126,
	  .qlen = 126 },
	{ "class_l_127", { Q(NAME_L127, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_L127,
	  .qlen = 127 },
	{ "class_l_138", { Q(NAME_LONG, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_LONG,
	  .qlen = 138 },
	{ "class_l_255", { Q(NAME_MAX255, T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_MAX,
	  .qlen = 255 },
	{ "nodata_txt", { Q(WEB, T_TXT) }, .x = X_ALL, R(NODATA), .entry = E_WEB_NAME },
	{ "nodata_zone_soa", { Q("zsoa.default.svc.cluster.local", T_AAAA) }, .x = X_ALL,
	  R(NODATA), .entry = E_ZSOA },
	{ "nodata_zone_soa_0x20", { Q("ZSoa.Default.svc.CLUSTER.local", T_MX) }, .x = X_ALL,
	  R(NODATA), .entry = E_ZSOA },
	{ "nodata_zone_soa_ptr", { Q("9.0.96.10.IN-ADDR.arpa", T_A) }, .x = X_ALL, R(NODATA),
	  .entry = E_ZSOA_PTR },
	{ "nxdomain_zone_soa", { Q("zgone.default.svc.cluster.local", T_A) }, .x = X_ALL,
	  R(NXDOMAIN), .entry = E_ZSOA_NX },
	{ "nodata_0x20_zone_case", { Q("web.default.svc.CLUSTER.Local", T_MX) }, .x = X_ALL,
	  R(NODATA), .entry = E_WEB_NAME },
	{ "nodata_qtype_127", { Q(WEB, 127) }, .x = X_ALL, R(NODATA), .entry = E_WEB_NAME },
	{ "nodata_qtype_256", { Q(WEB, 256) }, .x = X_ALL, R(NODATA), .entry = E_WEB_NAME },
	{ "nodata_qtype_65535", { Q(WEB, 65535) }, .x = X_ALL, R(NODATA), .entry = E_WEB_NAME },
	{ "nxdomain", { Q("nope.default.svc.cluster.local", T_A) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER },
	{ "nxdomain_0x20", { Q("NoPe.DeFault.SVC.Cluster.LOCAL", T_AAAA) }, .x = X_ALL,
	  R(NXDOMAIN), .zone = Z_CLUSTER },
	/* The question's 64-bit word sum is 0xfffffffffffffe13: adding it to the rest of the UDP
	 * checksum must carry (a lost carry sent a checksum one unit off). */
	{ "nxdomain_csum_carry", { Q("\x2f\x24\x27\x2b\x1f\x9a\x8d.cluster.local", T_A) },
	  .x = X_ALL, R(NXDOMAIN), .zone = Z_CLUSTER },
	{ "nxdomain_apex", { Q("cluster.local", T_A) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER },
	{ "nxdomain_apex_upper", { Q("CLUSTER.LOCAL", T_SOA) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER },
	{ "nxdomain_reverse", { Q("4.3.2.1.In-Addr.Arpa", T_PTR) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_INADDR },
	{ "nxdomain_from_map", { Q("gone.default.svc.cluster.local", T_A) }, .x = X_ALL,
	  R(NXDOMAIN), .entry = E_GONE },
	{ "nxdomain_255", { Q(NAME_NX255, T_A) }, .x = X_ALL, R(NXDOMAIN), .zone = Z_CLUSTER,
	  .qlen = 255 },
	{ "nxdomain_122_labels", { Q(NAME_122_LABELS, T_A) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER, .qlen = 255 },
	{ "nxdomain_not_label_boundary_pod", { Q("x.podx.cluster.local", T_A) }, .x = X_ALL,
	  R(NXDOMAIN), .zone = Z_CLUSTER },
	{ "nxdomain_zone_bytes_not_at_label_boundary", { Q("xy\x03pod.cluster.local", T_A) },
	  .x = X_ALL, R(NXDOMAIN), .zone = Z_CLUSTER },
	{ "bin_hit_case_folds_ascii_only", { Q("A\xdbZ.cluster.local", T_A) }, .x = X_ALL,
	  R(ANSWER_A), .entry = E_BIN },
	{ "bin_miss_0xfb_is_not_0xdb", { Q("a\xfbz.cluster.local", T_A) }, .x = X_ALL,
	  R(NXDOMAIN), .zone = Z_CLUSTER },
	{ "bracket_hit", { Q("A[B.CLUSTER.local", T_A) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_BRACKET },
	{ "bracket_miss_brace", { Q("a{b.cluster.local", T_A) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER },
	{ "at_hit", { Q("A@Z.cluster.local", T_A) }, .x = X_ALL, R(ANSWER_A), .entry = E_AT },
	{ "at_miss_backtick", { Q("a`z.cluster.local", T_A) }, .x = X_ALL, R(NXDOMAIN),
	  .zone = Z_CLUSTER },
	{ "txt_odd_len_odd_offset", { Q("odd.cluster.local", T_TXT) }, .x = X_ALL,
	  R(ANSWER_OTHER), .entry = E_ODD },
	{ "txt_odd_len_even_offset", { Q("odd2.cluster.local", T_TXT) }, .x = X_ALL,
	  R(ANSWER_OTHER), .entry = E_ODD2 },
	/*
	 * sizes: 512 without EDNS, our edns_size with it; every answer here is
	 * XDPDNS_ANSWER_MAX bytes (see REPLY_LEN), the OPT record adds 11 (512 -> 523)
	 */
	{ "reply_512_no_edns", { Q(NAME_T512, T_TXT) }, .x = X_VLAN, R(ANSWER_OTHER),
	  .entry = E_TXT512, .qlen = QLEN(NAME_T512) },
	{ "reply_513_no_edns_too_big", { Q(NAME_T513, T_TXT) }, .x = X_VLAN, R(PASS_TOO_BIG),
	  .qlen = QLEN(NAME_T513) },
	{ "reply_513_edns_4096", { Q(NAME_T513, T_TXT), OPT(4096, 0) }, .x = X_VLAN,
	  R(ANSWER_OTHER), .entry = E_TXT513, .qlen = QLEN(NAME_T513) },
	{ "reply_512_no_edns_config_511_too_big", { Q(NAME_T512, T_TXT) }, .x = X_VLAN,
	  R(PASS_TOO_BIG), .qlen = QLEN(NAME_T512), .cfg_edns = 511 },
	{ "reply_523_edns_512_too_big", { Q(NAME_T512, T_TXT), OPT(512, 0) }, .x = X_VLAN,
	  R(PASS_TOO_BIG), .qlen = QLEN(NAME_T512) },
	{ "reply_523_edns_523", { Q(NAME_T512, T_TXT), OPT(523, 0) }, .x = X_VLAN,
	  R(ANSWER_OTHER), .entry = E_TXT512, .qlen = QLEN(NAME_T512) },
	{ "reply_523_config_523", { Q(NAME_T512, T_TXT), OPT(4096, 0) }, .x = X_VLAN,
	  R(ANSWER_OTHER), .entry = E_TXT512, .qlen = QLEN(NAME_T512), .cfg_edns = 523 },
	{ "reply_523_config_522_too_big", { Q(NAME_T512, T_TXT), OPT(4096, 0) }, .x = X_VLAN,
	  R(PASS_TOO_BIG), .qlen = QLEN(NAME_T512), .cfg_edns = 522 },
	{ "big_no_edns_too_big", { Q(NAME_BIG, T_A) }, .x = X_VLAN, R(PASS_TOO_BIG),
	  .qlen = QLEN(NAME_BIG) },
	{ "big_edns_1232", { Q(NAME_BIG, T_A), OPT(1232, 0) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_BIG, .qlen = QLEN(NAME_BIG) },
	{ "big_edns_4096_do", { Q(NAME_BIG, T_A), OPT(4096, PKT_EDNS_DO) }, .x = X_VLAN,
	  R(ANSWER_A), .entry = E_BIG, .qlen = QLEN(NAME_BIG) },
	{ "big_edns_512_too_big", { Q(NAME_BIG, T_A), OPT(512, 0) }, .x = X_VLAN,
	  R(PASS_TOO_BIG), .qlen = QLEN(NAME_BIG) },
	{ "big_edns_0_means_512", { Q(NAME_BIG, T_A), OPT(0, 0) }, .x = X_VLAN, R(PASS_TOO_BIG),
	  .qlen = QLEN(NAME_BIG) },
	{ "big_config_512_too_big", { Q(NAME_BIG, T_A), OPT(4096, 0) }, .x = X_VLAN,
	  R(PASS_TOO_BIG), .qlen = QLEN(NAME_BIG), .cfg_edns = 512 },
	{ "big_config_600", { Q(NAME_BIG, T_A), OPT(4096, 0) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_BIG, .qlen = QLEN(NAME_BIG), .cfg_edns = 600 },
	{ "big_class_s_no_edns", { Q(NAME_BIG_S62, T_A) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_BIG_S62, .qlen = QLEN(NAME_BIG_S62) },
	/* header bits */
	{ "flags_rd_clear", { Q(WEB, T_A), FLAGS(0) }, .x = X_ALL, R(ANSWER_A), .entry = E_WEB_A },
	{ "flags_cd", { Q(WEB, T_A), FLAGS(PKT_DNS_RD | PKT_DNS_CD) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "flags_cd_no_rd", { Q(WEB, T_A), FLAGS(PKT_DNS_CD) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "flags_ad_dropped", { Q(WEB, T_A), FLAGS(PKT_DNS_RD | PKT_DNS_AD) }, .x = X_ALL,
	  R(ANSWER_A), .entry = E_WEB_A },
	{ "flags_ra_dropped", { Q(WEB, T_A), FLAGS(PKT_DNS_RA) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "flags_z_dropped", { Q(WEB, T_A), FLAGS(PKT_DNS_Z | PKT_DNS_RD) }, .x = X_ALL,
	  R(ANSWER_A), .entry = E_WEB_A },
	{ "flags_tc_in_query", { Q(WEB, T_A), FLAGS(PKT_DNS_TC) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "flags_aa_in_query", { Q(WEB, T_A), FLAGS(PKT_DNS_AA) }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "flags_all_but_qr_opcode",
	  { Q(WEB, T_A), FLAGS(PKT_DNS_AA | PKT_DNS_TC | PKT_DNS_RD | PKT_DNS_RA | PKT_DNS_Z |
			       PKT_DNS_AD | PKT_DNS_CD | 0x000f) },
	  .x = X_ALL, R(ANSWER_A), .entry = E_WEB_A },
	{ "flags_nxdomain_cd", { Q("nope.cluster.local", T_A), FLAGS(PKT_DNS_CD) }, .x = X_ALL,
	  R(NXDOMAIN), .zone = Z_CLUSTER },
	/* EDNS */
	{ "edns_do", { Q(WEB, T_A), OPT(1232, PKT_EDNS_DO) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "edns_all_flag_bits", { Q(WEB, T_A), OPT(1232, 0xffff) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "edns_z_bits_no_do", { Q(WEB, T_A), OPT(1232, 0x7fff) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "edns_cookie_not_echoed",
	  { Q(WEB, T_A), .opt = { .present = 1, .udp_size = 1232, .options = cookie_opt,
				  .options_len = sizeof(cookie_opt) } },
	  .x = X_VLAN, R(ANSWER_A), .entry = E_WEB_A },
	{ "edns_cookie_padding_do",
	  { Q(WEB, T_AAAA), .opt = { .present = 1, .udp_size = 4096, .flags = PKT_EDNS_DO,
				     .options = cookie_pad_opt,
				     .options_len = sizeof(cookie_pad_opt) } },
	  .x = X_VLAN, R(ANSWER_AAAA), .entry = E_WEB_AAAA },
	{ "edns_ext_rcode_in_query", { Q(WEB, T_A), .opt = { .present = 1, .udp_size = 1232,
							    .ext_rcode = 0x12 } },
	  .x = X_VLAN, R(ANSWER_A), .entry = E_WEB_A },
	{ "edns_udp_100_small_reply", { Q(WEB, T_A), OPT(100, 0) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "edns_udp_100_means_512", { Q(SRVNAME, T_SRV), OPT(100, 0) }, .x = X_VLAN,
	  R(ANSWER_SRV), .entry = E_SRV },
	{ "edns_udp_0_means_512", { Q(SRVNAME, T_SRV), OPT(0, PKT_EDNS_DO) }, .x = X_VLAN,
	  R(ANSWER_SRV), .entry = E_SRV },
	{ "edns_udp_65535", { Q(WEB, T_A), OPT(65535, 0) }, .x = X_VLAN, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "edns_nodata_do", { Q(WEB, T_TXT), OPT(1232, PKT_EDNS_DO) }, .x = X_VLAN, R(NODATA),
	  .entry = E_WEB_NAME },
	{ "edns_nxdomain_cookie",
	  { Q("nope.cluster.local", T_A), .opt = { .present = 1, .udp_size = 1232,
						   .options = cookie_opt,
						   .options_len = sizeof(cookie_opt) } },
	  .x = X_VLAN, R(NXDOMAIN), .zone = Z_CLUSTER },
	/* framing details */
	{ "udp_csum_zero_ipv4", { Q(WEB, T_A), .udp_csum_zero = 1 }, .fam = FAM_4, .x = X_ALL,
	  R(ANSWER_A), .entry = E_WEB_A },
	{ "eth_padding_20", { Q(WEB, T_A), .eth_pad = 20 }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "eth_padding_300_nxdomain", { Q("nope.cluster.local", T_A), .eth_pad = 300 },
	  .x = X_ALL, R(NXDOMAIN), .zone = Z_CLUSTER },
	{ "ipv4_df", { Q(WEB, T_A), .ip4_frag = PKT_IP4_DF }, .fam = FAM_4, .x = X_ALL,
	  R(ANSWER_A), .entry = E_WEB_A },
	{ "id_0", { .qname = WEB, .qtype = T_A, .id = 0 }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "id_ffff", { .qname = WEB, .qtype = T_A, .id = 0xffff }, .x = X_ALL, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "sport_53", { Q(WEB, T_A), .sport = 53 }, .x = X_ALL, R(ANSWER_A), .entry = E_WEB_A },
	/* passed, unchanged */
	{ "pass_entry", { Q("cname.default.svc.cluster.local", T_A) }, .x = X_ALL,
	  R(PASS_ENTRY) },
	{ "pass_entry_name", { Q("slow.default.svc.cluster.local", T_TXT) }, .x = X_ALL,
	  R(PASS_ENTRY) },
	{ "pass_entry_len_over_max", { Q(NAME_OVER, T_TXT) }, .x = X_ALL, R(PASS_ENTRY) },
	{ "zone_soa_slot_unused", { Q("zunused.default.svc.cluster.local", T_A) }, .x = X_ALL,
	  R(PASS_ZONE_TABLE) },
	{ "zone_soa_apex_longer_than_name", { Q("zs.arpa", T_TXT) }, .x = X_ALL,
	  R(PASS_ZONE_TABLE) },
	{ "pass_zone_rule", { Q("10-0-0-1.default.pod.cluster.local", T_A) }, .x = X_ALL,
	  R(PASS_ZONE_RULE) },
	{ "entry_inside_pass_zone", { Q("10-0-0-7.web.pod.cluster.local", T_A) }, .x = X_ALL,
	  R(ANSWER_A), .entry = E_POD },
	{ "pass_zone_rule_apex_0x20", { Q("Pod.Cluster.Local", T_A) }, .x = X_ALL,
	  R(PASS_ZONE_RULE) },
	{ "not_auth_example_org", { Q("www.example.org", T_A) }, .x = X_ALL, R(PASS_NOT_AUTH) },
	{ "not_auth_xcluster", { Q("xcluster.local", T_A) }, .x = X_ALL, R(PASS_NOT_AUTH) },
	{ "not_auth_local", { Q("local", T_A) }, .x = X_ALL, R(PASS_NOT_AUTH) },
	{ "not_auth_root", { Q(".", T_A) }, .x = X_ALL, R(PASS_NOT_AUTH) },
	{ "not_auth_zone_beyond_n_zones", { Q("x.example.com", T_A) }, .x = X_ALL,
	  R(PASS_NOT_AUTH) },
	{ "not_auth_ip6_arpa", { Q("b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0."
				   "d.f.ip6.arpa", T_PTR) },
	  .x = X_ALL, R(PASS_NOT_AUTH) },
	{ "not_auth_127_labels", { Q(NAME_127_LABELS, T_A) }, .x = X_ALL, R(PASS_NOT_AUTH),
	  .qlen = 255 },
	{ "not_listen_v4_addr", { Q(WEB, T_A), .dst = "198.18.0.2" }, .fam = FAM_4, .x = X_ALL,
	  R(PASS_NOT_LISTEN) },
	{ "not_listen_v4_beyond_n_v4", { Q(WEB, T_A), .dst = "198.18.0.9" }, .fam = FAM_4,
	  .x = X_ALL, R(PASS_NOT_LISTEN) },
	{ "not_listen_v6_addr", { Q(WEB, T_A), .dst = "fd00:198:18::2" }, .fam = FAM_6,
	  .x = X_ALL, R(PASS_NOT_LISTEN) },
	{ "not_listen_v6_beyond_n_v6", { Q(WEB, T_A), .dst = "fd00:198:18::9" }, .fam = FAM_6,
	  .x = X_ALL, R(PASS_NOT_LISTEN) },
	{ "not_listen_v4_mapped_in_v6", { Q(WEB, T_A), .dst = "::ffff:198.18.0.1" }, .fam = FAM_6,
	  .x = X_ALL, R(PASS_NOT_LISTEN) },
	{ "not_listen_port_5353", { Q(WEB, T_A), .dport = 5353 }, .x = X_ALL,
	  R(PASS_NOT_LISTEN) },
	{ "not_listen_port_13568", { Q(WEB, T_A), .dport = 0x3500 }, .x = X_ALL,
	  R(PASS_NOT_LISTEN) },
	{ "pass_qtype_any", { Q(WEB, T_ANY) }, .x = X_ALL, R(PASS_QTYPE) },
	{ "pass_class_ch", { Q("version.bind", T_TXT), .qclass = PKT_SET(3) }, .x = X_ALL,
	  R(PASS_CLASS) },
};

/* Raw names and payloads for the malformed table. */
#define QN(s)	.qname_wire = (const uint8_t *)(s), .qname_wire_len = sizeof(s) - 1
#define RAW(s)	.dns_raw = (const uint8_t *)(s), .dns_raw_len = sizeof(s) - 1
#define TAIL(s) .tail = (const uint8_t *)(s), .tail_len = sizeof(s) - 1
#define CUT(l, o) .cut = { PKT_AT_##l, (o) }
#define WEBQ	Q(WEB, T_A)
#define WEB_DNS_LEN (12 + 31 + 4)	/* header + name + type/class */

static const uint8_t label64[] = "\x40" X32 X32 "\x07" "cluster\x05local\x00";
static const uint8_t owner_a[] = "\x01" "a\x00";
static const uint8_t owner_ptr[] = "\xc0\x0c";

static const struct xcase bad[] = {
	/* Ethernet and VLAN (frames under 14 bytes never reach the program: see eth_short) */
	{ "arp", { WEBQ, .ethertype = PKT_SET(PKT_ETH_P_ARP) }, .fam = FAM_4, R(PASS_NOT_IP) },
	{ "lldp_ethertype", { WEBQ, .ethertype = PKT_SET(0x88cc) }, .fam = FAM_4,
	  R(PASS_NOT_IP) },
	{ "vlan_arp", { WEBQ, .n_vlan = 1, .ethertype = PKT_SET(PKT_ETH_P_ARP) }, .fam = FAM_4,
	  R(PASS_NOT_IP) },
	{ "vlan2_arp", { WEBQ, .n_vlan = 2, .vlan_tpid = { PKT_ETH_P_8021AD },
			 .ethertype = PKT_SET(PKT_ETH_P_ARP) }, .fam = FAM_4, R(PASS_NOT_IP) },
	{ "vlan_tag_truncated_tpid_only", { WEBQ, .n_vlan = 1, CUT(VLAN, 2) }, R(PASS_NOT_IP) },
	{ "vlan_tag_truncated_tci", { WEBQ, .n_vlan = 1, CUT(VLAN, 3) }, R(PASS_NOT_IP) },
	{ "vlan_tag_no_inner_ethertype", { WEBQ, .n_vlan = 1, CUT(VLAN, 4) }, R(PASS_NOT_IP) },
	{ "vlan2_inner_truncated", { WEBQ, .n_vlan = 2, CUT(VLAN, 6) }, R(PASS_NOT_IP) },
	{ "vlan2_no_inner_ethertype", { WEBQ, .n_vlan = 2, CUT(VLAN, 8) }, R(PASS_NOT_IP) },
	{ "vlan3", { WEBQ, .n_vlan = 3 }, R(PASS_VLAN_DEPTH) },
	{ "vlan3_qinq", { WEBQ, .n_vlan = 3, .vlan_tpid = { PKT_ETH_P_8021AD, PKT_ETH_P_8021AD,
							    PKT_ETH_P_8021Q } },
	  R(PASS_VLAN_DEPTH) },
	{ "vlan3_truncated_after_third_tpid", { WEBQ, .n_vlan = 3, CUT(VLAN, 10) },
	  R(PASS_VLAN_DEPTH) },
	/* IP header */
	{ "ip_missing", { WEBQ, CUT(L3, 0) }, R(DROP_IP_LEN) },
	{ "ip_1_byte", { WEBQ, CUT(L3, 1) }, R(DROP_IP_LEN) },
	{ "ipv4_19_bytes", { WEBQ, CUT(L3, 19) }, .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv6_39_bytes", { WEBQ, CUT(L3, 39) }, .fam = FAM_6, R(DROP_IP_LEN) },
	{ "vlan_ip_truncated", { WEBQ, .n_vlan = 1, CUT(L3, 10) }, R(DROP_IP_LEN) },
	{ "vlan2_ip_truncated", { WEBQ, .n_vlan = 2, CUT(L3, 10) }, R(DROP_IP_LEN) },
	{ "ipv4_ihl_0", { WEBQ, .ip4_ihl = PKT_SET(0) }, .fam = FAM_4, R(DROP_IPV4_IHL) },
	{ "ipv4_ihl_4", { WEBQ, .ip4_ihl = PKT_SET(4) }, .fam = FAM_4, R(DROP_IPV4_IHL) },
	{ "ipv4_ihl_15_over_tot_len", { .ip4_ihl = PKT_SET(15), RAW("\0\0\0\0\0\0\0\0\0\0\0\0") },
	  .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv4_ihl_6_claims_options", { WEBQ, .ip4_ihl = PKT_SET(6) }, .fam = FAM_4,
	  R(PASS_IP_OPTIONS) },
	{ "ipv4_tot_len_0", { WEBQ, .ip_len = PKT_SET(0) }, .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv4_tot_len_19", { WEBQ, .ip_len = PKT_SET(19) }, .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv4_tot_len_23_options_24", { WEBQ, .ip4_opt_len = 4, .ip_len = PKT_SET(23) },
	  .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv4_tot_len_plus_1", { WEBQ, .ip_len = PKT_SET(20 + 8 + WEB_DNS_LEN + 1) },
	  .fam = FAM_4, R(DROP_IP_LEN) },
	{ "ipv4_tot_len_ffff", { WEBQ, .ip_len = PKT_SET(0xffff) }, .fam = FAM_4,
	  R(DROP_IP_LEN) },
	{ "ipv4_tot_len_plus_1_padded", { WEBQ, .ip_len = PKT_SET(20 + 8 + WEB_DNS_LEN + 1),
					  .eth_pad = 1 },
	  .fam = FAM_4, R(DROP_UDP_LEN) },
	{ "ipv4_tot_len_minus_1", { WEBQ, .ip_len = PKT_SET(20 + 8 + WEB_DNS_LEN - 1) },
	  .fam = FAM_4, R(DROP_UDP_LEN) },
	{ "ipv4_tot_len_20_no_udp", { WEBQ, .ip_len = PKT_SET(20) }, .fam = FAM_4,
	  R(DROP_UDP_LEN) },
	{ "ipv4_tot_len_27_udp_short", { WEBQ, .ip_len = PKT_SET(27) }, .fam = FAM_4,
	  R(DROP_UDP_LEN) },
	{ "ipv6_payload_len_plus_1", { WEBQ, .ip_len = PKT_SET(8 + WEB_DNS_LEN + 1) },
	  .fam = FAM_6, R(DROP_IP_LEN) },
	{ "ipv6_payload_len_ffff", { WEBQ, .ip_len = PKT_SET(0xffff) }, .fam = FAM_6,
	  R(DROP_IP_LEN) },
	{ "ipv6_payload_len_minus_1", { WEBQ, .ip_len = PKT_SET(8 + WEB_DNS_LEN - 1) },
	  .fam = FAM_6, R(DROP_UDP_LEN) },
	{ "ipv6_payload_len_0", { WEBQ, .ip_len = PKT_SET(0) }, .fam = FAM_6, R(DROP_UDP_LEN) },
	{ "ipv6_payload_len_7", { WEBQ, .ip_len = PKT_SET(7) }, .fam = FAM_6, R(DROP_UDP_LEN) },
	{ "ipv4_tcp_53", { WEBQ, .l4_proto = PKT_SET(6) }, .fam = FAM_4, R(PASS_NOT_UDP) },
	{ "ipv6_tcp_53", { WEBQ, .l4_proto = PKT_SET(6) }, .fam = FAM_6, R(PASS_NOT_UDP) },
	{ "ipv4_icmp", { WEBQ, .l4_proto = PKT_SET(1) }, .fam = FAM_4, R(PASS_NOT_UDP) },
	{ "ipv6_icmp6", { WEBQ, .l4_proto = PKT_SET(58) }, .fam = FAM_6, R(PASS_NOT_UDP) },
	{ "ipv6_no_next_header", { WEBQ, .l4_proto = PKT_SET(59) }, .fam = FAM_6,
	  R(PASS_NOT_UDP) },
	{ "ipv4_udplite", { WEBQ, .l4_proto = PKT_SET(136) }, .fam = FAM_4, R(PASS_NOT_UDP) },
	{ "ipv4_mf", { WEBQ, .ip4_frag = PKT_IP4_MF }, .fam = FAM_4, R(PASS_FRAGMENT) },
	{ "ipv4_df_mf", { WEBQ, .ip4_frag = PKT_IP4_DF | PKT_IP4_MF }, .fam = FAM_4,
	  R(PASS_FRAGMENT) },
	{ "ipv4_offset_1", { WEBQ, .ip4_frag = 1 }, .fam = FAM_4, R(PASS_FRAGMENT) },
	{ "ipv4_offset_max", { WEBQ, .ip4_frag = 0x1fff }, .fam = FAM_4, R(PASS_FRAGMENT) },
	{ "ipv4_reserved_bit_only", { WEBQ, .ip4_frag = 0x8000 }, .fam = FAM_4, R(ANSWER_A),
	  .entry = E_WEB_A },
	{ "ipv4_tcp_fragment_is_not_udp", { WEBQ, .l4_proto = PKT_SET(6),
					    .ip4_frag = PKT_IP4_MF },
	  .fam = FAM_4, R(PASS_NOT_UDP) },
	{ "ipv4_options_4", { WEBQ, .ip4_opt_len = 4 }, .fam = FAM_4, R(PASS_IP_OPTIONS) },
	{ "ipv4_options_40", { WEBQ, .ip4_opt_len = 40 }, .fam = FAM_4, R(PASS_IP_OPTIONS) },
	{ "ipv4_options_and_mf", { WEBQ, .ip4_opt_len = 8, .ip4_frag = PKT_IP4_MF }, .fam = FAM_4,
	  R(PASS_FRAGMENT) },
	{ "ipv6_hop_by_hop", { WEBQ, .ip6_ext = PKT_SET(0) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_routing", { WEBQ, .ip6_ext = PKT_SET(43) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_fragment", { WEBQ, .ip6_ext = PKT_SET(44) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_esp", { WEBQ, .ip6_ext = PKT_SET(50) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_ah", { WEBQ, .ip6_ext = PKT_SET(51) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_dest_opts", { WEBQ, .ip6_ext = PKT_SET(60) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_mobility", { WEBQ, .ip6_ext = PKT_SET(135) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_hip", { WEBQ, .ip6_ext = PKT_SET(139) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	{ "ipv6_shim6", { WEBQ, .ip6_ext = PKT_SET(140) }, .fam = FAM_6, R(PASS_IPV6_EXT) },
	/* UDP header */
	{ "udp_truncated_frame", { WEBQ, CUT(L4, 4) }, R(DROP_IP_LEN) },
	{ "udp_truncated_ip_len_agrees_v4", { WEBQ, .ip_len = PKT_SET(24), CUT(L4, 4) },
	  .fam = FAM_4, R(DROP_UDP_LEN) },
	{ "udp_truncated_ip_len_agrees_v6", { WEBQ, .ip_len = PKT_SET(4), CUT(L4, 4) },
	  .fam = FAM_6, R(DROP_UDP_LEN) },
	{ "udp_len_plus_1", { WEBQ, .udp_len = PKT_SET(8 + WEB_DNS_LEN + 1) }, R(DROP_UDP_LEN) },
	{ "udp_len_minus_1", { WEBQ, .udp_len = PKT_SET(8 + WEB_DNS_LEN - 1) }, R(DROP_UDP_LEN) },
	{ "udp_len_0", { WEBQ, .udp_len = PKT_SET(0) }, R(DROP_UDP_LEN) },
	{ "udp_len_7", { WEBQ, .udp_len = PKT_SET(7) }, R(DROP_UDP_LEN) },
	{ "udp_len_8_with_payload", { WEBQ, .udp_len = PKT_SET(8) }, R(DROP_UDP_LEN) },
	{ "udp_len_ffff", { WEBQ, .udp_len = PKT_SET(0xffff) }, R(DROP_UDP_LEN) },
	/* UDP framing is judged only on packets to us: Linux accepts a UDP length shorter than
	 * the IP payload (it trims), so other traffic (VXLAN, ...) must pass untouched. */
	{ "udp_len_bad_and_not_listen", { WEBQ, .udp_len = PKT_SET(9), .dport = 5353 },
	  R(PASS_NOT_LISTEN) },
	{ "udp_len_short_vxlan_port", { WEBQ, .udp_len = PKT_SET(8 + WEB_DNS_LEN - 4),
					 .dport = 4789 }, R(PASS_NOT_LISTEN) },
	/* DNS header */
	{ "dns_header_cut_frame", { WEBQ, CUT(DNS, 6) }, R(DROP_IP_LEN) },
	{ "dns_header_6_bytes", { WEBQ, .dns_len = PKT_SET(6) }, R(DROP_DNS_SHORT) },
	{ "dns_empty", { RAW("") }, R(DROP_DNS_SHORT) },
	{ "dns_11_bytes", { RAW("\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00") },
	  R(DROP_DNS_SHORT) },
	{ "dns_11_bytes_eth_padded", { RAW("\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00"),
				       .eth_pad = 40 },
	  R(DROP_DNS_SHORT) },
	{ "dns_short_not_listen", { RAW("\xbe\xef"), .dport = 5353 }, R(PASS_NOT_LISTEN) },
	{ "dns_short_wrong_addr_v4", { RAW("\xbe\xef"), .dst = "198.18.0.3" }, .fam = FAM_4,
	  R(PASS_NOT_LISTEN) },
	{ "dns_header_only", { WEBQ, .dns_len = PKT_SET(12) }, R(PASS_TRUNCATED) },
	{ "qr_set", { WEBQ, FLAGS(PKT_DNS_QR | PKT_DNS_RD) }, R(PASS_QR) },
	{ "qr_set_header_only", { RAW("\xbe\xef\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00") },
	  R(PASS_QR) },
	{ "opcode_1_iquery", { WEBQ, FLAGS(PKT_DNS_OPCODE(1)) }, R(PASS_OPCODE) },
	{ "opcode_2_status", { WEBQ, FLAGS(PKT_DNS_OPCODE(2)) }, R(PASS_OPCODE) },
	{ "opcode_4_notify", { WEBQ, FLAGS(PKT_DNS_OPCODE(4)) }, R(PASS_OPCODE) },
	{ "opcode_5_update", { WEBQ, FLAGS(PKT_DNS_OPCODE(5)) }, R(PASS_OPCODE) },
	{ "opcode_15", { WEBQ, FLAGS(PKT_DNS_OPCODE(15)) }, R(PASS_OPCODE) },
	{ "qr_before_opcode", { WEBQ, FLAGS(PKT_DNS_QR | PKT_DNS_OPCODE(5)) }, R(PASS_QR) },
	{ "qdcount_0", { WEBQ, .qdcount = PKT_SET(0) }, R(PASS_QDCOUNT) },
	{ "qdcount_2", { WEBQ, .qdcount = PKT_SET(2) }, R(PASS_QDCOUNT) },
	{ "qdcount_ffff", { WEBQ, .qdcount = PKT_SET(0xffff) }, R(PASS_QDCOUNT) },
	{ "qdcount_0_header_only", { RAW("\xbe\xef\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00") },
	  R(PASS_QDCOUNT) },
	{ "opcode_before_qdcount", { WEBQ, FLAGS(PKT_DNS_OPCODE(1)), .qdcount = PKT_SET(0) },
	  R(PASS_OPCODE) },
	{ "ancount_1", { WEBQ, .ancount = PKT_SET(1) }, R(PASS_SECTIONS) },
	{ "nscount_1", { WEBQ, .nscount = PKT_SET(1) }, R(PASS_SECTIONS) },
	{ "arcount_2", { WEBQ, .arcount = PKT_SET(2) }, R(PASS_SECTIONS) },
	{ "arcount_ffff", { WEBQ, .arcount = PKT_SET(0xffff) }, R(PASS_SECTIONS) },
	{ "qdcount_before_ancount", { WEBQ, .qdcount = PKT_SET(2), .ancount = PKT_SET(1) },
	  R(PASS_QDCOUNT) },
	{ "sections_before_name", { QN("\xc0\x0c"), .qtype = T_A, .nscount = PKT_SET(1) },
	  R(PASS_SECTIONS) },
	/* question name */
	{ "name_cut_after_first_length", { WEBQ, .dns_len = PKT_SET(13) }, R(PASS_TRUNCATED) },
	{ "name_cut_inside_first_label", { WEBQ, .dns_len = PKT_SET(15) }, R(PASS_TRUNCATED) },
	{ "name_cut_at_label_boundary", { WEBQ, .dns_len = PKT_SET(16) }, R(PASS_TRUNCATED) },
	{ "name_cut_inside_last_label", { WEBQ, .dns_len = PKT_SET(40) }, R(PASS_TRUNCATED) },
	{ "name_cut_before_root", { WEBQ, .dns_len = PKT_SET(12 + 30) }, R(PASS_TRUNCATED) },
	{ "name_cut_no_qtype", { WEBQ, .dns_len = PKT_SET(12 + 31) }, R(PASS_TRUNCATED) },
	{ "name_cut_inside_qtype", { WEBQ, .dns_len = PKT_SET(12 + 32) }, R(PASS_TRUNCATED) },
	{ "name_cut_no_qclass", { WEBQ, .dns_len = PKT_SET(12 + 33) }, R(PASS_TRUNCATED) },
	{ "name_cut_inside_qclass", { WEBQ, .dns_len = PKT_SET(12 + 34) }, R(PASS_TRUNCATED) },
	{ "name_cut_eth_padded", { WEBQ, .dns_len = PKT_SET(13), .eth_pad = 60 },
	  R(PASS_TRUNCATED) },
	{ "name_cut_eth_padded_0xc0", { WEBQ, .dns_len = PKT_SET(16), .eth_pad = 8,
					.eth_pad_byte = 0xc0 },
	  R(PASS_TRUNCATED) },
	{ "name_cut_before_root_eth_padded", { WEBQ, .dns_len = PKT_SET(12 + 30), .eth_pad = 1 },
	  R(PASS_TRUNCATED) },
	{ "name_cut_in_qclass_eth_padded", { WEBQ, .dns_len = PKT_SET(12 + 34), .eth_pad = 9 },
	  R(PASS_TRUNCATED) },
	{ "name_cut_long_name", { Q(NAME_MAX255, T_A), .dns_len = PKT_SET(12 + 200) },
	  R(PASS_TRUNCATED) },
	{ "name_cut_class_l_qclass", { Q(NAME_MAX255, T_A), .dns_len = PKT_SET(12 + 255 + 3) },
	  R(PASS_TRUNCATED) },
	{ "name_cut_with_opt_expected", { WEBQ, OPT(1232, 0), .dns_len = PKT_SET(12 + 20) },
	  R(PASS_TRUNCATED) },
	{ "label_64", { QN(label64), .qtype = T_A }, R(PASS_LABEL_LONG) },
	{ "label_type_0x40", { QN("\x40\x07" "cluster\x05local\x00"), .qtype = T_A },
	  R(PASS_LABEL_LONG) },
	{ "label_type_0x80", { QN("\x03web\x80\x05local\x00"), .qtype = T_A },
	  R(PASS_LABEL_LONG) },
	{ "label_type_0xbf", { QN("\xbf" "abc\x00"), .qtype = T_A }, R(PASS_LABEL_LONG) },
	{ "compressed_first", { QN("\xc0\x0c"), .qtype = T_A }, R(PASS_COMPRESSED) },
	{ "compressed_after_label", { QN("\x03www\xc0\x0c"), .qtype = T_A },
	  R(PASS_COMPRESSED) },
	{ "compressed_forward", { QN("\x03www\xc0\x20"), .qtype = T_A }, R(PASS_COMPRESSED) },
	{ "compressed_0xff", { QN("\x03www\xff\xff"), .qtype = T_A }, R(PASS_COMPRESSED) },
	{ "name_256", { Q(NAME_256, T_A) }, R(PASS_NAME_LONG), .qlen = 256 },
	{ "name_128_labels", { Q(NAME_128_LABELS, T_A) }, R(PASS_NAME_LONG), .qlen = 257 },
	{ "name_300_cut_after_280", { Q(NAME_128_LABELS A40, T_A), .dns_len = PKT_SET(12 + 280) },
	  R(PASS_NAME_LONG) },
	{ "class_ch", { WEBQ, .qclass = PKT_SET(3) }, R(PASS_CLASS) },
	{ "class_hs", { WEBQ, .qclass = PKT_SET(4) }, R(PASS_CLASS) },
	{ "class_none", { WEBQ, .qclass = PKT_SET(254) }, R(PASS_CLASS) },
	{ "class_any", { WEBQ, .qclass = PKT_SET(255) }, R(PASS_CLASS) },
	{ "class_0", { WEBQ, .qclass = PKT_SET(0) }, R(PASS_CLASS) },
	{ "class_0x0101", { WEBQ, .qclass = PKT_SET(0x0101) }, R(PASS_CLASS) },
	{ "class_before_qtype", { Q(WEB, T_ANY), .qclass = PKT_SET(3) }, R(PASS_CLASS) },
	{ "qtype_0", { Q(WEB, 0) }, R(PASS_QTYPE) },
	{ "qtype_41_opt", { Q(WEB, T_OPT) }, R(PASS_QTYPE) },
	{ "qtype_128", { Q(WEB, 128) }, R(PASS_QTYPE) },
	{ "qtype_249_tkey", { Q(WEB, 249) }, R(PASS_QTYPE) },
	{ "qtype_250_tsig", { Q(WEB, 250) }, R(PASS_QTYPE) },
	{ "qtype_251_ixfr", { Q("cluster.local", 251) }, R(PASS_QTYPE) },
	{ "qtype_252_axfr", { Q("cluster.local", 252) }, R(PASS_QTYPE) },
	{ "qtype_253_mailb", { Q(WEB, 253) }, R(PASS_QTYPE) },
	{ "qtype_255_any", { Q(WEB, T_ANY) }, R(PASS_QTYPE) },
	{ "qtype_0_on_nxdomain_name", { Q("nope.cluster.local", 0) }, R(PASS_QTYPE) },
	/* after the question */
	{ "trailing_1", { WEBQ, TAIL("\x00") }, R(PASS_TRAILING) },
	{ "trailing_100", { WEBQ, TAIL(X32 X32 X32 "1234") }, R(PASS_TRAILING) },
	{ "trailing_opt_with_arcount_0", { WEBQ, OPT(1232, 0), .arcount = PKT_SET(0) },
	  R(PASS_TRAILING) },
	{ "arcount_1_nothing_after", { WEBQ, .arcount = PKT_SET(1) }, R(PASS_EDNS_BAD) },
	{ "opt_version_1", { WEBQ, .opt = { .present = 1, .udp_size = 1232, .version = 1 } },
	  R(PASS_EDNS_VERSION) },
	{ "opt_version_255", { WEBQ, .opt = { .present = 1, .udp_size = 1232, .version = 255 } },
	  R(PASS_EDNS_VERSION) },
	{ "opt_owner_not_root", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
						 .owner = owner_a, .owner_len = 3 } },
	  R(PASS_EDNS_BAD) },
	{ "opt_owner_pointer", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
						.owner = owner_ptr, .owner_len = 2 } },
	  R(PASS_EDNS_BAD) },
	{ "opt_bad_owner_before_version", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
							   .version = 1, .owner = owner_a,
							   .owner_len = 3 } },
	  R(PASS_EDNS_BAD) },
	{ "additional_a_not_opt", { WEBQ, .opt = { .present = 1, .type = PKT_SET(T_A),
						   .udp_size = C_IN,
						   .options = (const uint8_t *)"\x0a\0\0\x01",
						   .options_len = 4 } },
	  R(PASS_EDNS_BAD) },
	{ "opt_rdlength_overruns", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
						    .rdlength = PKT_SET(4) } },
	  R(PASS_EDNS_BAD) },
	{ "opt_rdlength_overruns_options", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
							    .options = cookie_opt,
							    .options_len = sizeof(cookie_opt),
							    .rdlength = PKT_SET(13) } },
	  R(PASS_EDNS_BAD) },
	{ "opt_rdlength_ffff", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
						.rdlength = PKT_SET(0xffff) } },
	  R(PASS_EDNS_BAD) },
	{ "opt_rdlength_short_bytes_follow", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
							      .options = cookie_opt,
							      .options_len = sizeof(cookie_opt),
							      .rdlength = PKT_SET(4) } },
	  R(PASS_EDNS_BAD) },
	{ "opt_then_trailing_byte", { WEBQ, OPT(1232, 0), TAIL("\x00") }, R(PASS_EDNS_BAD) },
	{ "opt_cut_after_owner", { WEBQ, OPT(1232, 0), .dns_len = PKT_SET(WEB_DNS_LEN + 1) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_inside_type", { WEBQ, OPT(1232, 0), .dns_len = PKT_SET(WEB_DNS_LEN + 2) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_inside_ttl", { WEBQ, OPT(1232, 0), .dns_len = PKT_SET(WEB_DNS_LEN + 7) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_inside_rdlength", { WEBQ, OPT(1232, 0), .dns_len = PKT_SET(WEB_DNS_LEN + 10) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_after_owner_eth_padded", { WEBQ, OPT(1232, 0), .eth_pad = 30,
					      .dns_len = PKT_SET(WEB_DNS_LEN + 1) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_inside_type_eth_padded_0x29", { WEBQ, OPT(1232, 0), .eth_pad = 30,
						   .eth_pad_byte = 0x29,
						   .dns_len = PKT_SET(WEB_DNS_LEN + 2) },
	  R(PASS_EDNS_BAD) },
	{ "opt_cut_inside_options", { WEBQ, .opt = { .present = 1, .udp_size = 1232,
						     .options = cookie_opt,
						     .options_len = sizeof(cookie_opt) },
				      .dns_len = PKT_SET(WEB_DNS_LEN + 11 + 6) },
	  R(PASS_EDNS_BAD) },
	{ "opt_version_1_on_missing_name", { Q("nope.cluster.local", T_A),
					     .opt = { .present = 1, .udp_size = 1232,
						      .version = 1 } },
	  R(PASS_EDNS_VERSION) },
	{ "opt_bad_on_pass_entry",
	  { Q("cname.default.svc.cluster.local", T_A), .arcount = PKT_SET(1) }, R(PASS_EDNS_BAD) },
	{ "trailing_on_not_auth_name", { Q("www.example.org", T_A), TAIL("\x01") },
	  R(PASS_TRAILING) },
};

/* Heartbeat: the program passes everything once the daemon stops writing. */
static const struct xcase stale[] = {
	{ "stale_heartbeat", { WEBQ }, .x = X_VLAN, R(PASS_STALE), .cfg_stale_ms = 1000,
	  .cfg_age_ms = 10000 },
	{ "fresh_heartbeat", { WEBQ }, .x = X_VLAN, R(ANSWER_A), .entry = E_WEB_A,
	  .cfg_stale_ms = 5000, .cfg_age_ms = 1 },
	{ "never_stale_ancient_heartbeat", { WEBQ }, .x = X_VLAN, R(ANSWER_A), .entry = E_WEB_A,
	  .cfg_never_stale = 1 },
	{ "stale_nxdomain", { Q("nope.cluster.local", T_A) }, R(PASS_STALE), .cfg_stale_ms = 1000,
	  .cfg_age_ms = 10000 },
	{ "stale_before_dns_short", { RAW("\xbe\xef") }, R(PASS_STALE), .cfg_stale_ms = 1000,
	  .cfg_age_ms = 10000 },
	{ "stale_before_qr", { WEBQ, FLAGS(PKT_DNS_QR) }, R(PASS_STALE), .cfg_stale_ms = 1000,
	  .cfg_age_ms = 10000 },
	{ "stale_after_not_listen", { WEBQ, .dport = 5353 }, R(PASS_NOT_LISTEN),
	  .cfg_stale_ms = 1000, .cfg_age_ms = 10000 },
	{ "stale_after_udp_len", { WEBQ, .udp_len = PKT_SET(9) }, R(DROP_UDP_LEN),
	  .cfg_stale_ms = 1000, .cfg_age_ms = 10000 },
};

/* ---------------------------------------------------------------------------------------
 * Running one case.
 */

enum table_id { T_HAPPY, T_BAD, T_STALE };

static const struct {
	const struct xcase *cases;
	size_t n;
} tables[] = {
	[T_HAPPY] = { happy, ARRAY_SIZE(happy) },
	[T_BAD] = { bad, ARRAY_SIZE(bad) },
	[T_STALE] = { stale, ARRAY_SIZE(stale) },
};

/* A Criterion parameter: plain values only (workers are re-executed processes). */
struct xparam {
	uint8_t table;
	uint16_t idx;
	uint8_t family;
	uint8_t n_vlan;
	uint8_t edns;
};

static void params_free(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

static struct criterion_test_params params_make(enum table_id t)
{
	size_t n = 0, k = 0;
	struct xparam *p = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct xcase *c = &tables[t].cases[i];
			int fams = c->fam ? c->fam : FAM_4 | FAM_6;
			int vlans = c->x & X_VLAN ? 3 : 1, ednss = c->x & X_EDNS ? 2 : 1;

			for (int f = 4; f <= 6; f += 2) {
				if (!(fams & (f == 4 ? FAM_4 : FAM_6)))
					continue;
				for (int v = 0; v < vlans; v++)
					for (int e = 0; e < ednss; e++, k++)
						if (pass)
							p[k] = (struct xparam){ t, (uint16_t)i,
										(uint8_t)f,
										(uint8_t)v,
										(uint8_t)e };
			}
		}
		if (!pass) {
			n = k;
			k = 0;
			p = cr_calloc(n, sizeof(*p));
		}
	}
	return cr_make_param_array(struct xparam, p, n, params_free);
}


static uint32_t reason_verdict(unsigned int r)
{
	return r < XDPDNS_R_FIRST_DROP ? XDP_TX : r < XDPDNS_R_FIRST_PASS ? XDP_DROP : XDP_PASS;
}

static const char *verdict_name(uint32_t v)
{
	return v == XDP_TX ? "XDP_TX" : v == XDP_DROP ? "XDP_DROP" : v == XDP_PASS ? "XDP_PASS"
			   : v == XDP_ABORTED ? "XDP_ABORTED" : "XDP_?";
}

static void counters_str(const uint64_t *c, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int r = 0; r < XDPDNS_R_MAX && off < n; r++) {
		const char *name = xdpdns_reason_name(r);

		if (c[r])
			off += snprintf(buf + off, n - off, "%s%s=%llu", off ? " " : "",
					name ? name : "?", (unsigned long long)c[r]);
	}
	if (!off)
		snprintf(buf, n, "none");
}

/* What an answered query must look like. */
struct expect {
	const uint8_t *qname;		/* as sent */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t id, qflags;
	uint8_t rcode;
	struct rr_def rr[XRR_MAX];
	int n_rr;
	struct xdpdns_answer ans;	/* rr[] rendered after this question */
	uint8_t opt, do_bit;
	uint16_t edns_size;
};

static int expect_build(const struct xcase *c, const struct pkt_spec *s, const uint8_t *frame,
			const struct pkt_layout *l, uint16_t edns_size, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	e->qname = frame + l->qname;
	e->qname_len = l->qname_len;
	e->qtype = s->qtype;
	e->id = s->id;
	e->qflags = PKT_IS_SET(s->dns_flags) ? (uint16_t)PKT_VAL(s->dns_flags) : PKT_DNS_RD;
	e->opt = s->opt.present;
	e->do_bit = (s->opt.flags & PKT_EDNS_DO) != 0;
	e->edns_size = edns_size;
	if (c->entry) {
		const struct entry *en = &entries[c->entry];

		e->n_rr = entry_rrs(en, e->rr);
		e->rcode = en->rcode;
	} else if (c->zone) {
		e->rr[0] = (struct rr_def)NODATA_SOA(c->zone, zones[c->zone].soa.ttl);
		e->n_rr = 1;
		e->rcode = 3;
	} else {
		return -EINVAL;
	}
	return answer_render(e->rr, e->n_rr, e->qname_len, e->rcode, 0, &e->ans);
}

/* The DNS reply the spec implies, byte for byte. */
static size_t expect_wire(const struct expect *e, uint8_t *out)
{
	uint16_t flags = PKT_DNS_QR | PKT_DNS_AA | (e->qflags & (PKT_DNS_RD | PKT_DNS_CD)) |
			 e->rcode;
	size_t len = 12;

	out[0] = e->id >> 8;
	out[1] = e->id & 0xff;
	out[2] = flags >> 8;
	out[3] = flags & 0xff;
	out[4] = 0;
	out[5] = 1;
	out[6] = e->ans.ancount >> 8;
	out[7] = e->ans.ancount & 0xff;
	out[8] = e->ans.nscount >> 8;
	out[9] = e->ans.nscount & 0xff;
	out[10] = (e->ans.arcount + e->opt) >> 8;
	out[11] = (e->ans.arcount + e->opt) & 0xff;
	memcpy(out + len, e->qname, e->qname_len);
	len += e->qname_len;
	out[len++] = e->qtype >> 8;
	out[len++] = e->qtype & 0xff;
	out[len++] = 0;
	out[len++] = C_IN;
	memcpy(out + len, e->ans.data, e->ans.len);
	len += e->ans.len;
	if (e->opt) {
		const uint8_t opt[11] = { 0, 0, T_OPT, e->edns_size >> 8, e->edns_size & 0xff, 0, 0,
					  e->do_bit ? 0x80 : 0, 0, 0, 0 };

		memcpy(out + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

static bool rdf_is(const ldns_rdf *rdf, const uint8_t *want, size_t len)
{
	return rdf && ldns_rdf_size(rdf) == len && !memcmp(ldns_rdf_data(rdf), want, len);
}

static void rdf_text(const ldns_rdf *rdf, char *buf, size_t n)
{
	char *s = rdf ? ldns_rdf2str(rdf) : NULL;

	snprintf(buf, n, "%s", s ? s : "(null)");
	free(s);
}

/* One RR decoded by ldns against its definition. */
static int rr_check(const ldns_rr *rr, const struct rr_def *d, const struct expect *e, char *why,
		    size_t n)
{
	uint8_t owner[XDPDNS_NAME_MAX + 1], tmp[XDPDNS_NAME_MAX + 16];
	size_t olen = e->qname_len;
	char got[600];

	memcpy(owner, e->qname, olen);	/* NULL owner: the question name, in its case */
	if (d->soa_zone) {
		int alen = name_wire(zones[d->soa_zone].apex, tmp);

		olen = (size_t)alen;
		memcpy(owner, e->qname + e->qname_len - alen, olen);
	} else if (d->owner) {
		olen = (size_t)name_wire(d->owner, owner);
	}
	if (!rdf_is(ldns_rr_owner(rr), owner, olen)) {
		rdf_text(ldns_rr_owner(rr), got, sizeof(got));
		snprintf(why, n, "owner %s is not the expected %zu bytes (case included)", got,
			 olen);
		return -1;
	}
	if (ldns_rr_get_type(rr) != d->type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
	    ldns_rr_ttl(rr) != d->ttl) {
		snprintf(why, n, "type/class/ttl %u/%u/%u, want %u/1/%u", ldns_rr_get_type(rr),
			 ldns_rr_get_class(rr), ldns_rr_ttl(rr), d->type, d->ttl);
		return -1;
	}
	if (d->soa_zone) {
		const struct fixture_soa *s = &zones[d->soa_zone].soa;
		const uint32_t want[5] = { s->serial, s->refresh, s->retry, s->expire, s->minimum };

		if (ldns_rr_rd_count(rr) != 7) {
			snprintf(why, n, "SOA with %zu rdata fields", ldns_rr_rd_count(rr));
			return -1;
		}
		memcpy(tmp, "\x02ns\x03" "dns", 7);
		memcpy(tmp + 7, owner, olen);
		if (!rdf_is(ldns_rr_rdf(rr, 0), tmp, 7 + olen)) {
			rdf_text(ldns_rr_rdf(rr, 0), got, sizeof(got));
			snprintf(why, n, "SOA MNAME %s, want ns.dns.<apex as queried>", got);
			return -1;
		}
		memcpy(tmp, "\x0ahostmaster", 11);
		memcpy(tmp + 11, owner, olen);
		if (!rdf_is(ldns_rr_rdf(rr, 1), tmp, 11 + olen)) {
			rdf_text(ldns_rr_rdf(rr, 1), got, sizeof(got));
			snprintf(why, n, "SOA RNAME %s, want hostmaster.<apex as queried>", got);
			return -1;
		}
		for (int i = 0; i < 5; i++) {
			uint32_t v = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2 + i));

			if (v != want[i]) {
				snprintf(why, n, "SOA field %d (%s) = %u, want %u", 2 + i,
					 i == 4 ? "MINIMUM" : "timer", v, want[i]);
				return -1;
			}
		}
		return 0;
	}
	ldns_buffer *b = ldns_buffer_new(XDPDNS_ANSWER_MAX + 64);
	int ret = 0;

	if (!b || ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(b) != d->rdlen ||
	    memcmp(ldns_buffer_begin(b), d->rdata, d->rdlen)) {
		char *s = ldns_rr2str(rr);

		snprintf(why, n, "rdata differs: %s", s ? s : "?");
		free(s);
		ret = -1;
	}
	ldns_buffer_free(b);
	return ret;
}

/* The reply's DNS message, decoded by ldns. */
static int ldns_check(const uint8_t *dns, size_t len, const struct expect *e, char *why, size_t n)
{
	ldns_rr_list *sec[3];
	ldns_pkt *p = NULL;
	int ret = -1, at[3] = { 0, 0, 0 }, want[3] = { 0, 0, 0 };
	ldns_status st = ldns_wire2pkt(&p, dns, len);
	char sub[700];
	ldns_rr *q;

	if (st != LDNS_STATUS_OK) {
		snprintf(why, n, "ldns_wire2pkt: %s", ldns_get_errorstr_by_id(st));
		return -1;
	}
	if (ldns_pkt_id(p) != e->id || !ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != 0 ||
	    !ldns_pkt_aa(p) || ldns_pkt_tc(p) || ldns_pkt_ra(p) || ldns_pkt_ad(p) ||
	    ldns_pkt_rd(p) != !!(e->qflags & PKT_DNS_RD) ||
	    ldns_pkt_cd(p) != !!(e->qflags & PKT_DNS_CD) || ldns_pkt_get_rcode(p) != e->rcode) {
		snprintf(why, n,
			 "ldns header: id %u qr %d op %d aa %d tc %d rd %d ra %d ad %d cd %d rc %d",
			 ldns_pkt_id(p), ldns_pkt_qr(p), ldns_pkt_get_opcode(p),
			 ldns_pkt_aa(p), ldns_pkt_tc(p), ldns_pkt_rd(p), ldns_pkt_ra(p),
			 ldns_pkt_ad(p), ldns_pkt_cd(p), ldns_pkt_get_rcode(p));
		goto out;
	}
	if (ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1) {
		snprintf(why, n, "ldns: %zu questions",
			 ldns_rr_list_rr_count(ldns_pkt_question(p)));
		goto out;
	}
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (!rdf_is(ldns_rr_owner(q), e->qname, e->qname_len) || ldns_rr_get_type(q) != e->qtype ||
	    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
		rdf_text(ldns_rr_owner(q), sub, sizeof(sub));
		snprintf(why, n, "ldns question %s type %u differs from the query", sub,
			 ldns_rr_get_type(q));
		goto out;
	}
	sec[FIXTURE_AN] = ldns_pkt_answer(p);
	sec[FIXTURE_NS] = ldns_pkt_authority(p);
	sec[FIXTURE_AR] = ldns_pkt_additional(p);
	for (int i = 0; i < e->n_rr; i++)
		want[e->rr[i].sec]++;
	for (int s = 0; s < 3; s++) {
		if ((int)ldns_rr_list_rr_count(sec[s]) != want[s]) {
			snprintf(why, n, "ldns section %d has %zu RRs, want %d", s,
				 ldns_rr_list_rr_count(sec[s]), want[s]);
			goto out;
		}
	}
	for (int i = 0; i < e->n_rr; i++) {
		const struct rr_def *d = &e->rr[i];

		if (rr_check(ldns_rr_list_rr(sec[d->sec], at[d->sec]++), d, e, sub, sizeof(sub))) {
			snprintf(why, n, "ldns RR %d (section %d): %s", i, d->sec, sub);
			goto out;
		}
	}
	if (ldns_pkt_edns(p) != !!e->opt) {
		snprintf(why, n, "ldns: EDNS %s, want %s", ldns_pkt_edns(p) ? "present" : "absent",
			 e->opt ? "present" : "absent");
		goto out;
	}
	if (e->opt && (ldns_pkt_edns_udp_size(p) != e->edns_size || ldns_pkt_edns_version(p) ||
		       ldns_pkt_edns_extended_rcode(p) || ldns_pkt_edns_do(p) != !!e->do_bit ||
		       (ldns_pkt_edns_data(p) && ldns_rdf_size(ldns_pkt_edns_data(p))))) {
		snprintf(why, n, "ldns OPT: size %u version %u ext-rcode %u do %d options %zu; "
			 "want size %u do %d, nothing else", ldns_pkt_edns_udp_size(p),
			 ldns_pkt_edns_version(p), ldns_pkt_edns_extended_rcode(p),
			 ldns_pkt_edns_do(p),
			 ldns_pkt_edns_data(p) ? ldns_rdf_size(ldns_pkt_edns_data(p)) : 0,
			 e->edns_size, e->do_bit);
		goto out;
	}
	ret = 0;
out:
	ldns_pkt_free(p);
	return ret;
}

static void check_tx(const char *name, const struct xcase *c, const struct pkt_spec *s,
		     const uint8_t *in, const struct pkt_layout *l, const uint8_t *out,
		     size_t out_len, uint16_t edns_size)
{
	uint8_t want[PKT_MAX];
	struct expect e;
	struct pkt_view v;
	size_t want_len;
	char why[800];

	cr_assert_eq(expect_build(c, s, in, l, edns_size, &e), 0, "%s: bad case", name);
	want_len = expect_wire(&e, want);
	cr_assert_eq(pkt_parse(out, out_len, &v, why, sizeof(why)), 0, "%s: reply frame: %s", name,
		     why);
	cr_assert_eq(pkt_reply_check(in, l, &v, why, sizeof(why)), 0, "%s: reply: %s", name, why);
	cr_assert_eq(v.dns_len, want_len, "%s: DNS reply is %u bytes, want %zu (frame %zu, query "
		     "frame %u)", name, v.dns_len, want_len, out_len, l->len);
	for (size_t i = 0; i < want_len; i++)
		cr_assert_eq(out[v.dns + i], want[i],
			     "%s: DNS reply byte %zu is 0x%02x, want 0x%02x", name, i,
			     out[v.dns + i], want[i]);
	cr_assert_eq(ldns_check(out + v.dns, v.dns_len, &e, why, sizeof(why)), 0, "%s: %s", name,
		     why);
}

/* The shared config, with the case's tweaks; n_v4/n_v6 = 1 with a decoy entry beyond. */
static void config_write(const struct xcase *c, struct xdpdns_config *cfg)
{
	fixture_config_default(cfg);
	cfg->n_zones = N_ZONES_LIVE;
	inet_pton(AF_INET, "198.18.0.9", &cfg->v4[1]);
	inet_pton(AF_INET6, "fd00:198:18::9", cfg->v6[1].b);
	if (c && c->cfg_edns)
		cfg->edns_size = c->cfg_edns;
	if (c && c->cfg_stale_ms)
		cfg->stale_after_ns = (uint64_t)c->cfg_stale_ms * 1000000;
	if (c && c->cfg_age_ms) {
		uint64_t age = (uint64_t)c->cfg_age_ms * 1000000;

		cfg->heartbeat_ns = cfg->heartbeat_ns > age ? cfg->heartbeat_ns - age : 1;
	}
	if (c && c->cfg_never_stale) {
		cfg->stale_after_ns = 0;
		cfg->heartbeat_ns = 1;
	}
	cr_assert_eq(fixture_config_write(&fixture_worker, cfg), 0, "config write");
}

static void run_case(const struct xparam *p)
{
	const struct xcase *c = &tables[p->table].cases[p->idx];
	struct pkt_spec s = c->q;
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint64_t cnt[XDPDNS_R_MAX];
	struct xdpdns_config cfg;
	struct pkt_layout l;
	char name[200], cs[400];
	size_t out_len = sizeof(out);
	uint32_t verdict;
	int n, err;

	s.family = p->family;
	if (c->x & X_VLAN) {
		s.n_vlan = p->n_vlan;
		s.vlan_tpid[0] = p->n_vlan == 2 ? PKT_ETH_P_8021AD : PKT_ETH_P_8021Q;
		s.vlan_tci[0] = 200;
		s.vlan_tpid[1] = PKT_ETH_P_8021Q;
		s.vlan_tci[1] = 0x2064;	/* PCP 1, VID 100 */
	}
	if ((c->x & X_EDNS) && p->edns)
		s.opt = (struct pkt_opt){ .present = 1, .udp_size = 4096,
					  .flags = p->family == 6 ? PKT_EDNS_DO : 0 };
	snprintf(name, sizeof(name), "%s [ipv%u%s%s]", c->name, p->family,
		 !(c->x & X_VLAN) ? "" : p->n_vlan == 2 ? " qinq" : p->n_vlan ? " vlan" : "",
		 (c->x & X_EDNS) && p->edns ? " edns" : "");

	n = pkt_build(&s, in, sizeof(in), &l);
	cr_assert_gt(n, 0, "%s: pkt_build: %s", name, strerror(-n));
	if (c->qlen)
		cr_assert_eq(l.qname_len, c->qlen, "%s: question name is %u bytes, case says %u",
			     name, l.qname_len, c->qlen);

	config_write(c, &cfg);
	cr_assert_eq(fixture_counters_reset(&fixture_worker), 0, "%s: counter reset", name);

	err = fixture_run(&fixture_worker, in, (size_t)n, out, &out_len, &verdict);
	cr_assert_eq(err, 0, "%s: BPF_PROG_TEST_RUN: %s", name, strerror(-err));
	cr_assert_eq(fixture_counters_read(&fixture_worker, cnt), 0, "%s: counter read", name);
	counters_str(cnt, cs, sizeof(cs));

	cr_assert_eq(verdict, reason_verdict(c->reason),
		     "%s: verdict %s, want %s (%s); counters: %s", name, verdict_name(verdict),
		     verdict_name(reason_verdict(c->reason)), xdpdns_reason_name(c->reason), cs);
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++)
		cr_assert_eq(cnt[r], r == c->reason ? 1u : 0u,
			     "%s: want exactly %s=1; counters: %s", name,
			     xdpdns_reason_name(c->reason), cs);
	if (verdict != XDP_TX) {
		cr_assert_eq(out_len, (size_t)n, "%s: %s frame length changed %d -> %zu", name,
			     verdict_name(verdict), n, out_len);
		cr_assert_arr_eq(out, in, (size_t)n, "%s: %s frame was modified", name,
				 verdict_name(verdict));
		return;
	}
	check_tx(name, c, &s, in, &l, out, out_len, cfg.edns_size);
}

ParameterizedTestParameters(xdp, happy)
{
	return params_make(T_HAPPY);
}

ParameterizedTest(struct xparam *p, xdp, happy, .init = fixture_worker_init,
		  .fini = fixture_worker_fini)
{
	run_case(p);
}

ParameterizedTestParameters(xdp, malformed)
{
	return params_make(T_BAD);
}

ParameterizedTest(struct xparam *p, xdp, malformed, .init = fixture_worker_init,
		  .fini = fixture_worker_fini)
{
	run_case(p);
}

ParameterizedTestParameters(xdp, heartbeat)
{
	return params_make(T_STALE);
}

ParameterizedTest(struct xparam *p, xdp, heartbeat, .init = fixture_worker_init,
		  .fini = fixture_worker_fini)
{
	run_case(p);
}

/*
 * Frames shorter than an Ethernet header cannot be fed to an XDP program: the kernel's
 * BPF_PROG_TEST_RUN refuses them (EINVAL) and no driver hands them over, so the program's
 * "Ethernet header missing" branch is checked only through the truncated VLAN cases.
 */
Test(xdp, eth_short_never_reaches_program, .init = fixture_worker_init, .fini = fixture_worker_fini)
{
	uint8_t in[14] = { 0 }, out[PKT_MAX];
	uint64_t cnt[XDPDNS_R_MAX];

	cr_assert_eq(fixture_counters_reset(&fixture_worker), 0);
	for (size_t len = 0; len < sizeof(in); len++) {
		size_t out_len = sizeof(out);
		uint32_t verdict;

		cr_assert_eq(fixture_run(&fixture_worker, in, len, out, &out_len, &verdict),
			     -EINVAL,
			     "a %zu-byte frame reached the program", len);
	}
	cr_assert_eq(fixture_counters_read(&fixture_worker, cnt), 0);
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++)
		cr_assert_eq(cnt[r], 0, "counter %u moved", r);
}

/*
 * RFC 768: a computed UDP checksum of 0 goes out as 0xffff. A reply to ID 0 carries E;
 * its sum is ~E, so the same query with ID E sums to 0xffff and must carry 0xffff.
 */
Test(xdp, udp_csum_zero_sent_as_ffff, .init = fixture_worker_init, .fini = fixture_worker_fini)
{
	struct xdpdns_config cfg;

	config_write(NULL, &cfg);
	for (int fam = 4; fam <= 6; fam += 2) {
		struct pkt_spec s = { .family = (uint8_t)fam, .qname = WEB, .qtype = T_A };
		uint8_t in[PKT_MAX], out[PKT_MAX];
		struct pkt_layout l;
		struct pkt_view v;
		char why[200];

		for (int round = 0; round < 2; round++) {
			size_t out_len = sizeof(out);
			uint32_t verdict;
			int n = pkt_build(&s, in, sizeof(in), &l);

			cr_assert_gt(n, 0);
			cr_assert_eq(fixture_run(&fixture_worker, in, (size_t)n, out, &out_len,
						 &verdict), 0);
			cr_assert_eq(verdict, XDP_TX, "ipv%d: verdict %s", fam,
				     verdict_name(verdict));
			cr_assert_eq(pkt_parse(out, out_len, &v, why, sizeof(why)), 0, "%s", why);
			cr_assert_eq(pkt_reply_check(in, &l, &v, why, sizeof(why)), 0,
				     "ipv%d id %u: %s", fam, s.id, why);
			s.id = pkt_udp_csum_get(&v);
		}
		cr_assert_eq(pkt_udp_csum_get(&v), 0xffff, "ipv%d: a zero UDP checksum went out as "
			     "0x%04x", fam, pkt_udp_csum_get(&v));
	}
}

/*
 * The fixture builds answers of at most XDPDNS_ANSWER_MAX bytes: fixture_rr_add() refuses an
 * RR one byte over (-ENOSPC, the answer unchanged) and fixture_answer_put() a value whose len
 * claims one byte more (-EINVAL, nothing written), as map_writer_add() does. The engine's
 * own check of such a value is case pass_entry_len_over_max (entry_put_over()).
 */
Test(xdp, fixture_refuses_answer_over_max, .init = fixture_worker_init, .fini = fixture_worker_fini)
{
	static const uint8_t rdata[TXT_MAX_RDLEN + 1];
	struct xdpdns_answer a = { 0 }, back;
	struct xdpdns_key_l key;
	uint8_t name[XDPDNS_NAME_MAX + 1];
	int n = name_wire("over-put.cluster.local", name), map_fd;

	cr_assert_gt(n, 0);
	cr_assert_eq(fixture_rr_add(&a, FIXTURE_AN, "\xc0\x0c", 2, T_TXT, 10, rdata,
				    sizeof(rdata)), -ENOSPC,
		     "an RR of XDPDNS_ANSWER_MAX + 1 bytes");
	cr_assert_eq(a.len, 0);
	cr_assert_eq(a.ancount, 0);
	cr_assert_eq(fixture_rr_add(&a, FIXTURE_AN, "\xc0\x0c", 2, T_TXT, 10, rdata,
				    sizeof(rdata) - 1), 0, "an RR of XDPDNS_ANSWER_MAX bytes");
	cr_assert_eq(a.len, XDPDNS_ANSWER_MAX);
	cr_assert_eq(fixture_rr_add(&a, FIXTURE_AN, "\xc0\x0c", 2, T_TXT, 10, rdata, 0), -ENOSPC,
		     "a second RR after XDPDNS_ANSWER_MAX bytes");
	cr_assert_eq(a.len, XDPDNS_ANSWER_MAX);
	cr_assert_eq(a.ancount, 1);

	a.len = XDPDNS_ANSWER_MAX + 1;
	cr_assert_eq(fixture_answer_put(&fixture_worker, name, (size_t)n, T_TXT, &a), -EINVAL);
	cr_assert_eq(xdpdns_key_build(&key, name, (size_t)n, T_TXT), 0);
	map_fd = fixture_worker.maps.answers[xdpdns_key_class((unsigned int)n)];
	cr_assert_neq(bpf_map_lookup_elem(map_fd, &key, &back), 0, "the refused value was written");
	cr_assert_eq(errno, ENOENT);
}

/* The reason list is well formed: names, indexes below XDPDNS_R_MAX, no duplicates. */
Test(xdp, reasons_table)
{
	static const struct {
		unsigned int value;
		const char *name;
	} list[] = {
#define REASON_ROW(n, v, s) { v, s },
		XDPDNS_REASONS(REASON_ROW)
#undef REASON_ROW
	};

	cr_assert_gt(ARRAY_SIZE(list), 0);
	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		cr_assert(list[i].value > XDPDNS_R_OK && list[i].value < XDPDNS_R_MAX,
			  "reason %u out of range", list[i].value);
		cr_assert(list[i].name && list[i].name[0], "reason %u has no name", list[i].value);
		cr_assert_str_eq(xdpdns_reason_name(list[i].value), list[i].name);
		for (size_t j = 0; j < i; j++) {
			cr_assert_neq(list[i].value, list[j].value, "value %u twice",
				      list[i].value);
			cr_assert_str_neq(list[i].name, list[j].name, "name %s twice",
					  list[i].name);
		}
	}
	cr_assert_null(xdpdns_reason_name(XDPDNS_R_OK));
}

int main(int argc, char *argv[])
{
	return fixture_main(argc, argv, populate);
}
