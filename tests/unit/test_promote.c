// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server/promote: rendering cached upstream responses into cache map values (owners,
 * TTL fields and their offsets, checksum, what is refused), and promote_tick() against a
 * real BPF hash map of the cache map's layout (root only) with a forwarder cache on an
 * injected clock: the hits threshold, the TTL floor, DO/CD entries, the exact expiry,
 * deletion of demoted, expired and foreign entries, and no rewrite of unchanged values.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "fwd_helpers.h"
#include "maps/maps.h"
#include "userspace/server/promote.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void key_of(struct xdpdns_key_m *k, const char *name, uint16_t type)
{
	struct xdpdns_key_l kl;
	uint8_t n[DNS_NAME_MAX];
	int len = th_name(n, name);

	cr_assert_eq(xdpdns_key_build(&kl, n, (size_t)len, type), 0);
	cr_assert_eq(maps_cache_key(&kl, k), 0);
}

Test(promote, render_a_records)
{
	static const uint8_t want[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 2,
	};
	struct xdpdns_cache_val v;
	struct xdpdns_key_m k, want_k;
	struct msgbuf m;

	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, "www.example.org", DNS_TYPE_A,
		 2, 0, 0);
	th_a(&m, 300, 1);
	th_a(&m, 300, 2);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), 0);
	key_of(&want_k, "WWW.example.org", DNS_TYPE_A);
	cr_assert_arr_eq(&k, &want_k, sizeof(k));
	cr_assert_eq(v.ans.rcode, 0);
	cr_assert_eq(v.ans.flags, 0);
	cr_assert_eq(v.ans.ancount, 2);
	cr_assert_eq(v.ans.nscount + v.ans.arcount, 0);
	cr_assert_eq(v.ans.len, sizeof(want));
	cr_assert_arr_eq(v.ans.data, want, sizeof(want));
	cr_assert_eq(v.n_ttls, 2);
	cr_assert_eq(v.ttl_off[0], 6);
	cr_assert_eq(v.ttl_off[1], 22);
	cr_assert_eq(v.ans.csum, xdpdns_csum_partial(want, sizeof(want)));
	cr_assert_eq(v.expire_ns, 0);
}

/* Authority and additional records are left out: a minimal response. */
Test(promote, render_aaaa_drops_other_sections)
{
	static const uint8_t addr[16] = { 0xfd, 0, 1, 0x98, 0, 0x18, [15] = 1 };
	struct xdpdns_cache_val v;
	struct xdpdns_key_m k;
	struct msgbuf m;

	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "v6.example.org", DNS_TYPE_AAAA, 1, 1, 1);
	cr_assert_eq(dns_write_aaaa(&m.w, DNS_OWNER_QNAME, 60, addr), 0);
	th_soa(&m, "example.org", 60, 60);
	th_a(&m, 60, 9);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), 0);
	cr_assert_eq(v.ans.ancount, 1);
	cr_assert_eq(v.ans.nscount + v.ans.arcount, 0);
	cr_assert_eq(v.ans.len, 2 + 10 + 16);
	cr_assert_eq(be32(v.ans.data + v.ttl_off[0]), 0);
	cr_assert_arr_eq(v.ans.data + 12, addr, 16);
	cr_assert_eq(k.qtype, htons(DNS_TYPE_AAAA));
}

/*
 * PTR targets compressed against the upstream's message are written out in full: a
 * pointer would mean something else after our question. Odd target lengths put the later
 * TTL fields at odd offsets.
 */
Test(promote, render_ptr_decompresses_targets)
{
	uint8_t t1[DNS_NAME_MAX], t2[8] = { 1, 'b' };
	int l1 = th_name(t1, "a.example.org");
	struct xdpdns_cache_val v;
	struct xdpdns_key_m k;
	struct msgbuf m;
	size_t t1_at;

	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "4.3.2.1.in-addr.arpa", DNS_TYPE_PTR, 2, 0, 0);
	cr_assert_eq(dns_write_name_rr(&m.w, DNS_OWNER_QNAME, DNS_TYPE_PTR, 120, t1, (size_t)l1), 0);
	t1_at = m.w.len - (size_t)l1;
	t2[2] = (uint8_t)(0xc0 | ((t1_at + 2) >> 8));	/* -> "example.org" in the first */
	t2[3] = (uint8_t)(t1_at + 2);
	cr_assert_eq(dns_write_name_rr(&m.w, DNS_OWNER_QNAME, DNS_TYPE_PTR, 120, t2, 4), 0);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), 0);
	cr_assert_eq(v.n_ttls, 2);
	cr_assert_eq(v.ttl_off[0], 6);
	cr_assert_eq(v.ttl_off[1], 2 + 10 + l1 + 6);
	cr_assert(v.ttl_off[1] & 1);
	cr_assert_eq(v.ans.data[2 + 10 + l1 + 10], 0, "rdlength of the second");
	cr_assert_eq(v.ans.data[2 + 10 + l1 + 11], 15);
	cr_assert_arr_eq(v.ans.data + 2 + 10 + l1 + 12, "\x01" "b\x07" "example\x03org\x00", 15);
	cr_assert_eq(v.ans.len, 2 + 10 + l1 + 2 + 10 + 15);
	cr_assert_eq(v.ans.csum, xdpdns_csum_partial(v.ans.data, v.ans.len));
}

Test(promote, render_refuses_what_it_cannot_reproduce)
{
	uint8_t target[DNS_NAME_MAX], other[DNS_NAME_MAX];
	int tl = th_name(target, "cdn.example.net"), ol = th_name(other, "else.example.org");
	char longname[200];
	struct xdpdns_cache_val v;
	struct xdpdns_key_m k;
	struct msgbuf m;

	/* a CNAME chain */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "www.example.org", DNS_TYPE_A, 2, 0, 0);
	cr_assert_eq(dns_write_name_rr(&m.w, DNS_OWNER_QNAME, DNS_TYPE_CNAME, 60, target,
				       (size_t)tl), 0);
	cr_assert_eq(dns_write_a(&m.w, DNS_OWNER_NAME(target, (size_t)tl), 60,
				 (const uint8_t *)"\xc0\x00\x02\x01"), 0);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* another owner */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "www.example.org", DNS_TYPE_A, 1, 0, 0);
	cr_assert_eq(dns_write_a(&m.w, DNS_OWNER_NAME(other, (size_t)ol), 60,
				 (const uint8_t *)"\xc0\x00\x02\x01"), 0);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* NXDOMAIN, NODATA */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA | DNS_RCODE_NXDOMAIN, "nx.example.org",
		 DNS_TYPE_A, 0, 1, 0);
	th_soa(&m, "example.org", 60, 60);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "nd.example.org", DNS_TYPE_A, 0, 1, 0);
	th_soa(&m, "example.org", 60, 60);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* AD set by a validating upstream */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA | DNS_FLAG_AD, "www.example.org", DNS_TYPE_A,
		 1, 0, 0);
	th_a(&m, 60, 1);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* a type the fast path does not take from the cache */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "www.example.org", DNS_TYPE_TXT, 1, 0, 0);
	cr_assert_eq(dns_write_txt(&m.w, DNS_OWNER_QNAME, 60, "hello"), 0);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* more records than TTL offsets */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "many.example.org", DNS_TYPE_A,
		 XDPDNS_CACHE_TTLS_MAX + 1, 0, 0);
	for (int i = 0; i <= XDPDNS_CACHE_TTLS_MAX; i++)
		th_a(&m, 60, (uint8_t)i);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* a name the cache map's key cannot hold (131 bytes) */
	snprintf(longname, sizeof(longname), "%.60s.%.60s.example", "x" "xxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, longname, DNS_TYPE_A, 1, 0, 0);
	th_a(&m, 60, 1);
	cr_assert_eq(m.b[12 + 61 + 61], 7, "two 60-byte labels, then example");
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), -ENOTSUP);
	/* malformed */
	cr_assert_eq(promote_render(m.b, 11, &k, &v), -EBADMSG);
	/* the largest that fits: 8 records */
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RA, "eight.example.org", DNS_TYPE_A,
		 XDPDNS_CACHE_TTLS_MAX, 0, 0);
	for (int i = 0; i < XDPDNS_CACHE_TTLS_MAX; i++)
		th_a(&m, 60, (uint8_t)i);
	cr_assert_eq(promote_render(m.b, m.w.len, &k, &v), 0);
	cr_assert_eq(v.n_ttls, XDPDNS_CACHE_TTLS_MAX);
}

/* ---- promote_tick() against a real map ---- */

static uint64_t clock_ms;

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static int map_fd = -1;
static struct cache *cache;
static struct promote *pr;

static void tick_setup(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct cache_config cfg;

	if (geteuid() != 0)
		cr_skip_test("needs root to create a BPF map");
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "promote_test", sizeof(struct xdpdns_key_m),
				sizeof(struct xdpdns_cache_val), XDPDNS_CACHE_MAX_ENTRIES, &o);
	if (map_fd < 0)
		cr_skip_test("bpf_map_create: %s", strerror(errno));
	cache_config_init(&cfg);
	cfg.now_ms = fake_now;
	cache = cache_new(&cfg);
	cr_assert_not_null(cache);
	pr = promote_new(cache, map_fd);
	cr_assert_not_null(pr);
	clock_ms = 5000000;
}

static void tick_teardown(void)
{
	promote_free(pr);
	cache_free(cache);
	if (map_fd >= 0)
		close(map_fd);
}

/* Insert an A answer of ttl for name (key flags as given) and hit it hits times. */
static void put(const char *name, uint8_t flags, uint32_t ttl, unsigned int hits)
{
	static uint8_t out[DNS_MSG_MAX];
	uint8_t n[DNS_NAME_MAX];
	int len = th_name(n, name);
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;

	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, name, DNS_TYPE_A, 1, 0, 0);
	th_a(&m, ttl, 7);
	cr_assert_eq(cache_key_init(&k, n, (size_t)len, DNS_TYPE_A, DNS_CLASS_IN, flags), 0);
	cr_assert_eq(cache_insert(cache, &k, m.b, m.w.len), 0);
	for (unsigned int i = 0; i < hits; i++)
		cr_assert_gt(cache_lookup(cache, &k, 0, out, sizeof(out), &hit), 0);
}

static bool in_map(const char *name, struct xdpdns_cache_val *v)
{
	struct xdpdns_key_m k;

	key_of(&k, name, DNS_TYPE_A);
	return !bpf_map_lookup_elem(map_fd, &k, v);
}

static unsigned int map_count(void)
{
	struct xdpdns_key_m k, next, *prev = NULL;
	unsigned int n = 0;

	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static void tick(void)
{
	cr_assert_eq(promote_tick(pr, clock_ms * 1000000ull), 0);
}

Test(promote, selects_by_hits_ttl_and_flags, .init = tick_setup, .fini = tick_teardown)
{
	struct xdpdns_cache_val v;

	put("hot.example.org", 0, 30, PROMOTE_MIN_HITS);
	put("cold.example.org", 0, 30, PROMOTE_MIN_HITS - 1);
	put("dnssec.example.org", CACHE_KEY_DO, 30, 10);
	put("cd.example.org", CACHE_KEY_CD, 30, 10);
	put("brief.example.org", 0, 2, 10);
	put("briefer.example.org", 0, 10, 10);
	clock_ms += 8001;			/* briefer: 1999 ms left, brief: expired */
	tick();
	cr_assert(in_map("hot.example.org", &v));
	/* inserted 8001 ms ago with 30 s: the cache's own expiry, to the millisecond */
	cr_assert_eq(v.expire_ns, (clock_ms - 8001 + 30000) * 1000000ull);
	cr_assert_eq(v.ans.ancount, 1);
	cr_assert(!in_map("cold.example.org", &v), "below the hits threshold");
	cr_assert(!in_map("briefer.example.org", &v), "under the TTL floor");
	cr_assert(!in_map("brief.example.org", &v), "expired");
	cr_assert_eq(map_count(), 1, "DO and CD answers are cached apart, never promoted");

	put("cold.example.org", 0, 30, 1);	/* replaced: the hit count is kept */
	tick();
	cr_assert(in_map("cold.example.org", &v), "popular now");
	cr_assert_eq(v.expire_ns, (clock_ms + 30000) * 1000000ull);
	cr_assert_eq(map_count(), 2);
}

Test(promote, deletes_expired_and_foreign_entries, .init = tick_setup, .fini = tick_teardown)
{
	struct xdpdns_cache_val v = { .expire_ns = ~0ull }, got;
	struct xdpdns_key_m foreign;
	struct promote_stats st;

	put("a.example.org", 0, 10, 5);
	put("b.example.org", 0, 60, 5);
	/* left by an earlier instance: not in this cache, so it goes */
	key_of(&foreign, "foreign.example.org", DNS_TYPE_A);
	cr_assert_eq(bpf_map_update_elem(map_fd, &foreign, &v, BPF_ANY), 0);
	tick();
	cr_assert_eq(map_count(), 2);
	cr_assert(in_map("a.example.org", &got));
	promote_stats_get(pr, &st);
	cr_assert_eq(st.written, 2);
	cr_assert_eq(st.deleted, 1);

	clock_ms += 1000;
	tick();
	promote_stats_get(pr, &st);
	cr_assert_eq(st.written, 2, "unchanged entries are not rewritten");
	cr_assert_eq(st.promoted, 2);

	clock_ms += 9000;			/* a: expired in the cache */
	tick();
	cr_assert(!in_map("a.example.org", &got));
	cr_assert(in_map("b.example.org", &got));
	cr_assert_eq(map_count(), 1);
	promote_stats_get(pr, &st);
	cr_assert_eq(st.deleted, 2);
	cr_assert_eq(st.promoted, 1);
}
