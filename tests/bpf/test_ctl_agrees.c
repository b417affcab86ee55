// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `xdpdnsctl lookup` must predict what the real fast path does. The skeleton is loaded
 * (tests/lib/fixture.h), its maps are filled through maps/writer.c exactly as the daemon
 * fills them and pinned into a scratch bpffs directory for xdpdnsctl; then, per question,
 * one query runs through BPF_PROG_TEST_RUN and the counter it bumped is compared with the
 * verdict xdpdnsctl prints. Needs root.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include "writer.h"
#include "tests/lib/fixture.h"
#include "tests/lib/pkt.h"

#define TYPE_A		1
#define TYPE_PTR	12
#define TYPE_TXT	16
#define TYPE_AAAA	28
#define TYPE_SRV	33

static struct fixture fx;
static char ctl[PATH_MAX];

static void name_wire(const char *text, uint8_t *wire, size_t *len)
{
	int n = pkt_name_encode(text, wire, XDPDNS_NAME_MAX);

	cr_assert_gt(n, 0, "%s", text);
	*len = (size_t)n;
}

static void entry_add(struct map_writer *w, const char *name, uint16_t qtype,
		      struct xdpdns_answer *a)
{
	uint8_t wire[XDPDNS_NAME_MAX];
	struct xdpdns_key_l k;
	size_t len;

	name_wire(name, wire, &len);
	cr_assert_eq(xdpdns_key_build(&k, wire, len, qtype), 0, "%s", name);
	a->csum = xdpdns_csum_partial(a->data, a->len);
	cr_assert_eq(map_writer_add(w, &k, a), 0, "%s", name);
}

static void zone_set(struct xdpdns_zone *z, const char *apex, uint8_t action)
{
	static const struct fixture_soa soa = { 5, 1, 7200, 3600, 86400, 5 };
	size_t len;

	memset(z, 0, sizeof(*z));
	name_wire(apex, z->name, &len);
	z->name_len = (uint16_t)len;
	z->action = action;
	fixture_soa_build(z->soa, 0, &soa);
	z->soa_csum = xdpdns_csum_partial(z->soa, XDPDNS_SOA_LEN);
}

/*
 * The big answer: two TXT RRs (2 + 10 + rdata each) of XDPDNS_ANSWER_MAX bytes in all, for a
 * name of BIG_QLEN wire bytes (key class L), long enough that 12 + name + 4 + answer is over
 * 512 even with the maximum answer, and the reply still fits 1232 with EDNS.
 */
#define BIG_QLEN	130
#define BIG_TXT0	250
#define BIG_TXT1	(XDPDNS_ANSWER_MAX - 2 * 12 - BIG_TXT0)
_Static_assert(BIG_TXT1 > 0 && BIG_TXT1 <= 256, "BIG_TXT1: one character-string");
_Static_assert(12 + BIG_QLEN + 4 + XDPDNS_ANSWER_MAX > 512, "BIG_QLEN: over 512");

/* A name of about len wire bytes ending in example.com (for the M and L key classes). */
static const char *long_name(char *buf, size_t len, const char *first)
{
	size_t pos = (size_t)sprintf(buf, "%s.", first);

	while (pos + 14 < len) {
		size_t l = len - pos - 14 > 60 ? 60 : len - pos - 14;

		memset(buf + pos, 'q', l);
		pos += l;
		buf[pos++] = '.';
	}
	strcpy(buf + pos, "example.com");
	return buf;
}

static void setup(void)
{
	static const struct fixture_soa soa = { 5, 1, 7200, 3600, 86400, 5 };
	static const uint8_t ip[4] = { 10, 0, 0, 1 };
	struct map_config cfg = { .port = FIXTURE_PORT, .n_v4 = 1,
				  .stale_after_ns = FIXTURE_STALE_NS };
	struct xdpdns_answer a = { 0 }, nodata = { 0 }, pass = { .flags = XDPDNS_ANS_PASS };
	struct xdpdns_answer big = { 0 };
	struct xdpdns_zone zones[2];
	uint8_t txt[2][BIG_TXT0];
	char self[PATH_MAX], name[300];
	struct map_writer *w;
	ssize_t n;
	int err;

	if (geteuid() != 0)
		cr_skip_test("needs root to load the XDP program");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = 0;
	snprintf(ctl, sizeof(ctl), "%s/../../xdpdnsctl", dirname(self));
	if (access(ctl, X_OK))
		cr_skip_test("%s not built (make .output/xdpdnsctl)", ctl);
	err = fixture_load(&fx);
	if (err)
		cr_skip_test("loading the XDP program failed: %s", strerror(-err));
	/* Pins in a bpffs private to this process tree (fixture_share()): xdpdnsctl, our
	 * child, sees them, and nothing outlives this process, even when an assert fails. */
	err = fixture_share(&fx);
	if (err)
		cr_skip_test("private bpffs: %s", strerror(-err));

	cr_assert_eq(fixture_rr_add(&a, FIXTURE_AN, "\xc0\x0c", 2, TYPE_A, 30, ip, 4), 0);
	fixture_soa_build(nodata.data, 0xc000 | (XDPDNS_QNAME_OFF + 4), &soa);
	nodata.nscount = 1;
	nodata.len = XDPDNS_SOA_LEN;
	/*
	 * Two TXT records, 262 + 114 bytes: XDPDNS_ANSWER_MAX. After the BIG_QLEN-byte name
	 * the reply is 12 + 130 + 4 + 376 = 522 bytes, over 512 without EDNS.
	 */
	memset(txt, 'x', sizeof(txt));
	txt[0][0] = BIG_TXT0 - 1;
	txt[1][0] = BIG_TXT1 - 1;
	cr_assert_eq(fixture_rr_add(&big, FIXTURE_AN, "\xc0\x0c", 2, TYPE_TXT, 30, txt[0],
				    BIG_TXT0), 0);
	cr_assert_eq(fixture_rr_add(&big, FIXTURE_AN, "\xc0\x0c", 2, TYPE_TXT, 30, txt[1],
				    BIG_TXT1), 0);
	cr_assert_eq(big.len, XDPDNS_ANSWER_MAX);

	w = map_writer_new_maps(&fx.maps);
	cr_assert_not_null(w);
	entry_add(w, "www.example.com", TYPE_A, &a);
	entry_add(w, "www.example.com", XDPDNS_QTYPE_NAME, &nodata);
	entry_add(w, "slow.example.com", TYPE_TXT, &pass);
	entry_add(w, long_name(name, BIG_QLEN, "big"), TYPE_TXT, &big);
	entry_add(w, long_name(name, 100, "mid"), TYPE_A, &a);
	entry_add(w, long_name(name, 200, "far"), TYPE_A, &a);
	cr_assert_eq(map_writer_commit(w, NULL), 0);
	map_writer_free(w);
	zone_set(&zones[0], "example.com", XDPDNS_ZONE_AUTH);
	zone_set(&zones[1], "pod.example.com", XDPDNS_ZONE_PASS);
	inet_pton(AF_INET, FIXTURE_LISTEN4, &cfg.v4[0]);
	cr_assert_eq(map_config_write(&fx.maps, &cfg), 0);
	cr_assert_eq(map_zones_write(&fx.maps, zones, 2), 0);
}

static void teardown(void)
{
	fixture_unshare(&fx);
	fixture_destroy(&fx);
}

/* The reason the fast path counted for one query. */
static const char *fast_path_reason(const char *qname, uint16_t qtype, bool edns)
{
	struct pkt_spec spec = { .qname = qname, .qtype = qtype };
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint64_t cnt[XDPDNS_R_MAX];
	size_t out_len = sizeof(out);
	uint32_t verdict;
	const char *reason = NULL;
	int len;

	if (edns) {
		spec.opt.present = 1;
		spec.opt.udp_size = 4096;
	}
	len = pkt_build(&spec, in, sizeof(in), NULL);
	cr_assert_gt(len, 0, "%s", qname);
	cr_assert_eq(fixture_counters_reset(&fx), 0);
	cr_assert_eq(fixture_run(&fx, in, (size_t)len, out, &out_len, &verdict), 0);
	cr_assert_eq(fixture_counters_read(&fx, cnt), 0);
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++) {
		if (!cnt[r])
			continue;
		cr_assert_null(reason, "%s: two reasons counted", qname);
		reason = xdpdns_reason_name(r);
	}
	cr_assert_not_null(reason, "%s: no reason counted", qname);
	return reason;
}

/* The verdict xdpdnsctl predicts for a query with or without EDNS. */
static void ctl_reason(const char *qname, const char *type, bool edns, char *out, size_t size)
{
	char cmd[PATH_MAX + 512], buf[8192], *v;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --pin-dir '%s' lookup '%s' %s 2>&1", ctl, fx.pin_dir, qname,
		 type);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 0, "%s", buf);
	if ((!edns && strstr(buf, "queries without EDNS get pass_too_big")) ||
	    (edns && strstr(buf, "every EDNS query gets pass_too_big"))) {
		snprintf(out, size, "pass_too_big");
		return;
	}
	v = strstr(buf, "verdict    ");
	cr_assert_not_null(v, "%s", buf);
	v += strlen("verdict    ");
	n = strcspn(v, " \n");
	snprintf(out, size, "%.*s", (int)n, v);
}

TestSuite(ctl_agrees, .init = setup, .fini = teardown);

Test(ctl_agrees, every_branch)
{
	char mid[300], far[300], gone[300], big[300];
	const struct {
		const char *name;
		const char *type;
		uint16_t qtype;
		const char *want;	/* what the fast path must count */
	} cases[] = {
		{ "www.example.com", "A", TYPE_A, "answer_a" },
		{ "WwW.ExAmPlE.CoM", "A", TYPE_A, "answer_a" },
		{ "www.example.com", "AAAA", TYPE_AAAA, "answer_nodata" },
		{ "nope.example.com", "SRV", TYPE_SRV, "answer_nxdomain" },
		{ "example.com", "PTR", TYPE_PTR, "answer_nxdomain" },
		{ "a.b.pod.example.com", "A", TYPE_A, "pass_zone_rule" },
		{ "notexample.com", "A", TYPE_A, "pass_not_authoritative" },
		{ "slow.example.com", "TXT", TYPE_TXT, "pass_slow_path_entry" },
		{ long_name(big, BIG_QLEN, "big"), "TXT", TYPE_TXT, "pass_too_big" },
		{ "www.example.com", "ANY", 255, "pass_qtype" },
		{ long_name(mid, 100, "mid"), "A", TYPE_A, "answer_a" },
		{ long_name(far, 200, "far"), "A", TYPE_A, "answer_a" },
		{ long_name(gone, 200, "gone"), "A", TYPE_A, "answer_nxdomain" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = fast_path_reason(cases[i].name, cases[i].qtype, false);
		char said[64];

		cr_assert_str_eq(got, cases[i].want, "%s %s: the fast path counted %s",
				 cases[i].name, cases[i].type, got);
		ctl_reason(cases[i].name, cases[i].type, false, said, sizeof(said));
		cr_assert_str_eq(said, got, "%s %s: xdpdnsctl says %s, the fast path did %s",
				 cases[i].name, cases[i].type, said, got);
	}
	/* With EDNS the big answer fits 1232 bytes. */
	cr_assert_str_eq(fast_path_reason(big, TYPE_TXT, true), "answer_other");
	{
		char said[64];

		ctl_reason(big, "TXT", true, said, sizeof(said));
		cr_assert_str_eq(said, "answer_other");
	}
}
