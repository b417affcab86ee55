// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpdnsctl against maps pinned in a scratch bpffs directory and filled through
 * maps/writer.c: every branch of `lookup` (answer, NODATA, NXDOMAIN, pass rule, not
 * authoritative, meta type, stale heartbeat), `stats`, and its usage errors. Needs root.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "writer.h"

static char pin_dir[64];
static char ctl[PATH_MAX];
static struct xdpdns_maps m = { { -1, -1, -1 }, -1, -1, -1, -1 };

/* SOA RR of xdpdns.h's layout, its three pointers set to ptr (0 in the zone table). */
static void soa_fill(uint8_t *soa, uint16_t ptr)
{
	static const uint8_t tmpl[XDPDNS_SOA_LEN] = {
		0, 0, 0, 6, 0, 1, 0, 0, 0, 5, 0, 42,		/* SOA IN TTL 5 RDLEN 42 */
		2, 'n', 's', 3, 'd', 'n', 's', 0, 0,			/* ns.dns.<apex> */
		10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0, 0, /* hostmaster.<apex> */
		0, 0, 0, 1, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10,	/* serial refresh retry */
		0, 1, 0x51, 0x80, 0, 0, 0, 5,				/* expire minimum */
	};
	uint16_t be = htons(ptr);

	memcpy(soa, tmpl, sizeof(tmpl));
	memcpy(soa + XDPDNS_SOA_PTR_OWNER, &be, 2);
	memcpy(soa + XDPDNS_SOA_PTR_MNAME, &be, 2);
	memcpy(soa + XDPDNS_SOA_PTR_RNAME, &be, 2);
}

static void entry_add(struct map_writer *w, const char *wire, size_t len, uint16_t qtype,
		      const struct xdpdns_answer *a)
{
	struct xdpdns_key_l k;

	cr_assert_eq(xdpdns_key_build(&k, (const uint8_t *)wire, len, qtype), 0);
	cr_assert_eq(map_writer_add(w, &k, a), 0);
}

static void pin(int fd, const char *name)
{
	char path[128];

	cr_assert_geq(fd, 0, "create %s: %s", name, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "pin %s: %s", path, strerror(errno));
}

/* The binary next to the test binaries: .output/tests/unit/.. /.. /xdpdnsctl */
static void ctl_find(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert_gt(n, 0);
	self[n] = 0;
	snprintf(ctl, sizeof(ctl), "%s/../../xdpdnsctl", dirname(self));
	if (access(ctl, X_OK))
		cr_skip_test("%s not built (make .output/xdpdnsctl)", ctl);
	strcpy(pin_dir, "/nonexistent");
}

static void setup(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, hash_opts, .map_flags = BPF_F_NO_PREALLOC);
	static const uint8_t a_rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1 };
	struct map_config cfg = { .port = 53, .n_v4 = 1 };
	struct xdpdns_answer a = { .ancount = 1, .len = sizeof(a_rr) };
	struct xdpdns_answer nodata = { .nscount = 1, .len = XDPDNS_SOA_LEN };
	struct xdpdns_answer pass = { .flags = XDPDNS_ANS_PASS };
	struct xdpdns_zone zones[2] = {
		{ .name = "\x07" "example\x03" "com", .name_len = 13, .action = XDPDNS_ZONE_AUTH },
		{ .name = "\x03pod\x07" "example\x03" "com", .name_len = 17,
		  .action = XDPDNS_ZONE_PASS },
	};
	struct map_writer *w;

	ctl_find();
	if (geteuid() != 0)
		cr_skip_test("needs root to create and pin BPF maps");
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xdpdns-ctl-test-%d", (int)getpid());
	if (mkdir(pin_dir, 0700))
		cr_skip_test("mkdir %s: %s (is bpffs mounted?)", pin_dir, strerror(errno));

	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		m.answers[c] = bpf_map_create(BPF_MAP_TYPE_HASH, xdpdns_answer_map_names[c],
					      xdpdns_key_size(c), sizeof(struct xdpdns_answer),
					      XDPDNS_ANSWERS_MAX_ENTRIES, &hash_opts);
		pin(m.answers[c], xdpdns_answer_map_names[c]);
	}
	m.zones = bpf_map_create(BPF_MAP_TYPE_ARRAY, XDPDNS_MAP_ZONES, 4,
				 sizeof(struct xdpdns_zone), XDPDNS_MAX_ZONES, NULL);
	pin(m.zones, XDPDNS_MAP_ZONES);
	m.config = bpf_map_create(BPF_MAP_TYPE_ARRAY, XDPDNS_MAP_CONFIG, 4,
				  sizeof(struct xdpdns_config), 1, NULL);
	pin(m.config, XDPDNS_MAP_CONFIG);
	m.stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, XDPDNS_MAP_STATS, 4, 8, XDPDNS_R_MAX,
				 NULL);
	pin(m.stats, XDPDNS_MAP_STATS);
	m.cache = bpf_map_create(BPF_MAP_TYPE_HASH, XDPDNS_MAP_CACHE, sizeof(struct xdpdns_key_m),
				 sizeof(struct xdpdns_cache_val), XDPDNS_CACHE_MAX_ENTRIES,
				 &hash_opts);
	pin(m.cache, XDPDNS_MAP_CACHE);

	memcpy(a.data, a_rr, sizeof(a_rr));
	a.csum = xdpdns_csum_partial(a.data, a.len);
	soa_fill(nodata.data, 0xc000 | (XDPDNS_QNAME_OFF + 4));	/* www.|example.com */
	nodata.csum = xdpdns_csum_partial(nodata.data, nodata.len);
	for (int i = 0; i < 2; i++) {
		soa_fill(zones[i].soa, 0);
		zones[i].soa_csum = xdpdns_csum_partial(zones[i].soa, XDPDNS_SOA_LEN);
	}

	w = map_writer_new_maps(&m);
	cr_assert_not_null(w);
	entry_add(w, "\x03www\x07" "example\x03" "com", 17, 1, &a);
	entry_add(w, "\x03www\x07" "example\x03" "com", 17, XDPDNS_QTYPE_NAME, &nodata);
	entry_add(w, "\x04slow\x07" "example\x03" "com", 18, 16, &pass);
	cr_assert_eq(map_writer_commit(w, NULL), 0);
	map_writer_free(w);
	inet_pton(AF_INET, "127.0.0.1", &cfg.v4[0]);
	cr_assert_eq(map_config_write(&m, &cfg), 0);
	cr_assert_eq(map_zones_write(&m, zones, 2), 0);
}

static void teardown(void)
{
	const char *names[] = { XDPDNS_MAP_ANSWERS_S, XDPDNS_MAP_ANSWERS_M, XDPDNS_MAP_ANSWERS_L,
				XDPDNS_MAP_ZONES,     XDPDNS_MAP_CONFIG,    XDPDNS_MAP_STATS,
				XDPDNS_MAP_CACHE };
	char path[128];

	maps_close(&m);
	if (strncmp(pin_dir, "/sys/fs/bpf/", 12))
		return;	/* setup skipped before making the directory */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);
		unlink(path);
	}
	rmdir(pin_dir);
}

/* Run xdpdnsctl with args; returns its exit status and its stdout in out. */
static int run(char *out, size_t size, const char *args)
{
	char cmd[PATH_MAX + 512];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' --pin-dir '%s' %s 2>&1", ctl, pin_dir, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n + 1 < size) {
		size_t r = fread(out + n, 1, size - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = 0;
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s: did not exit", args);
	return WEXITSTATUS(st);
}

static void expect(const char *args, int status, const char *const *want)
{
	char out[8192];

	cr_assert_eq(run(out, sizeof(out), args), status, "xdpdnsctl %s:\n%s", args, out);
	for (; *want; want++)
		cr_assert_not_null(strstr(out, *want), "xdpdnsctl %s: no '%s' in:\n%s", args, *want,
				   out);
}

TestSuite(xdpdnsctl, .init = setup, .fini = teardown);

Test(xdpdnsctl, lookup_answer)
{
	expect("lookup WWW.Example.com A", 0,
	       (const char *const[]){ "question   www.example.com. A (17-byte name: map "
				      "xdpdns_ans_s)",
				      "entry      xdpdns_ans_s [www.example.com. A]\n",
				      "ancount 1, nscount 0, arcount 0, len 16",
				      "(matches data)", "answer\n",
				      "www.example.com.\t30\tIN\tA\t10.0.0.1",
				      "verdict    answer_a (XDP_TX), reply 49 bytes, 60 with OPT",
				      NULL });
}

Test(xdpdnsctl, lookup_nodata)
{
	expect("lookup www.example.com 28", 0,
	       (const char *const[]){ "[www.example.com. AAAA]: none",
				      "[www.example.com. existence (qtype 0)]\n",
				      "authority\n",
				      "example.com.\t5\tIN\tSOA\tns.dns.example.com. "
				      "hostmaster.example.com. 1 7200 3600 86400 5",
				      "verdict    answer_nodata (XDP_TX)", NULL });
}

Test(xdpdnsctl, lookup_pass_entry)
{
	expect("lookup slow.example.com TXT", 0,
	       (const char *const[]){ "flags PASS", "verdict    pass_slow_path_entry (XDP_PASS)",
				      NULL });
}

Test(xdpdnsctl, lookup_nxdomain)
{
	expect("lookup nope.example.com. SRV", 0,
	       (const char *const[]){ "[nope.example.com. existence (qtype 0)]: none",
				      "zone       example.com. (#1 of 2, authoritative)",
				      "soa_csum", "(matches soa)", "example.com.\t5\tIN\tSOA",
				      "verdict    answer_nxdomain (XDP_TX)", NULL });
}

Test(xdpdnsctl, lookup_zone_rules)
{
	expect("lookup 1-2-3-4.ns.pod.example.com A", 0,
	       (const char *const[]){ "zone       pod.example.com. (#0 of 2, pass rule)",
				      "verdict    pass_zone_rule (XDP_PASS)", NULL });
	/* a suffix that is not at a label boundary is not in the zone */
	expect("lookup notexample.com A", 0,
	       (const char *const[]){ "none of the 2 zones holds the name",
				      "verdict    pass_not_authoritative (XDP_PASS)", NULL });
	expect("lookup www.example.com ANY", 0,
	       (const char *const[]){ "verdict    pass_qtype (XDP_PASS)", NULL });
}

/* Names in no zone: the promoted cache entry, TTLs as the fast path would send them now. */
Test(xdpdnsctl, lookup_cache)
{
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 198, 18, 0, 7 };
	struct xdpdns_cache_val v = { .n_ttls = 1, .ttl_off = { 6 } };
	struct xdpdns_key_l kl;
	struct xdpdns_key_m km;
	struct timespec ts;

	v.ans.ancount = 1;
	v.ans.len = sizeof(rr);
	memcpy(v.ans.data, rr, sizeof(rr));
	v.ans.csum = xdpdns_csum_partial(rr, sizeof(rr));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.expire_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
		      3600500000000ull;	/* 3600.5 s: 3600 left for a good while */
	cr_assert_eq(xdpdns_key_build(&kl, (const uint8_t *)"\x03www\x07" "example\x03org", 17,
				      1), 0);
	cr_assert_eq(maps_cache_key(&kl, &km), 0);
	cr_assert_eq(bpf_map_update_elem(m.cache, &km, &v, BPF_ANY), 0);
	expect("lookup WWW.example.org A", 0,
	       (const char *const[]){ "none of the 2 zones holds the name",
				      "cache      xdpdns_cache [www.example.org. A] (queries without "
				      "DO and CD): 3600 s left",
				      "www.example.org.\t3600\tIN\tA\t198.18.0.7",
				      "verdict    answer_cached (XDP_TX), reply 49 bytes", NULL });
	expect("lookup www.example.org AAAA", 0,
	       (const char *const[]){ "[www.example.org. AAAA]: none",
				      "verdict    pass_not_authoritative (XDP_PASS)", NULL });
	v.expire_ns = 1;
	cr_assert_eq(bpf_map_update_elem(m.cache, &km, &v, BPF_ANY), 0);
	expect("lookup www.example.org A", 0,
	       (const char *const[]){ "0 s left", "verdict    pass_cache_expired (XDP_PASS)",
				      NULL });
}

Test(xdpdnsctl, lookup_stale_heartbeat)
{
	struct map_config cfg = { .port = 53, .n_v4 = 1, .stale_after_ns = 1 };

	cr_assert_eq(map_config_write(&m, &cfg), 0);
	usleep(1000);
	expect("lookup www.example.com A", 0,
	       (const char *const[]){ "verdict    pass_stale_heartbeat (XDP_PASS)",
				      "with a fresh heartbeat: answer_a (XDP_TX)", NULL });
}

Test(xdpdnsctl, stats_prints_every_counter)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = XDPDNS_R_PASS_NOT_AUTH;
	char out[8192], want_line[64], *line;
	unsigned int lines = 0, want = 0;

	cr_assert_gt(ncpu, 0);
	uint64_t vals[ncpu];

	for (int i = 0; i < ncpu; i++)
		vals[i] = 3;
	cr_assert_eq(bpf_map_update_elem(m.stats, &key, vals, BPF_ANY), 0);
	cr_assert_eq(run(out, sizeof(out), "stats"), 0, "%s", out);
#define COUNT_REASON(name, value, str) want++;
	XDPDNS_REASONS(COUNT_REASON)
#undef COUNT_REASON
	for (line = out; (line = strchr(line, '\n')); line++)
		lines++;
	cr_assert_eq(lines, want, "%s", out);
	cr_assert_not_null(strstr(out, "answer_a 0\n"), "%s", out);
	snprintf(want_line, sizeof(want_line), "pass_not_authoritative %d\n", 3 * ncpu);
	cr_assert_not_null(strstr(out, want_line), "%s", out);
}

Test(xdpdnsctl_usage, usage_errors, .init = ctl_find)
{
	expect("lookup www.example.com BOGUS", 1, (const char *const[]){ "unknown", NULL });
	expect("lookup www.example.com 70000", 1, (const char *const[]){ "0 to 65535", NULL });
	expect("lookup a..b A", 1, (const char *const[]){ "not a valid domain name", NULL });
	expect("lookup www.example.com", 1, (const char *const[]){ "lookup NAME TYPE", NULL });
	expect("frobnicate", 1, (const char *const[]){ "unknown command", NULL });
	expect("stats extra", 1, (const char *const[]){ "no arguments", NULL });
	expect("--help", 0, (const char *const[]){ "usage: xdpdnsctl", NULL });
}

Test(xdpdnsctl_usage, missing_pins, .init = ctl_find)
{
	char out[4096], cmd[PATH_MAX + 64];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "'%s' --pin-dir /nonexistent stats 2>&1", ctl);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 1);
	cr_assert_not_null(strstr(out, "is xdpdns running?"), "%s", out);
}
