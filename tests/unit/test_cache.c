// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server/cache: TTL arithmetic on an injected clock, RFC 2308 negative TTLs, what is never
 * cached, LRU eviction under the byte bound, the prefetch trigger, serve-stale bounds and the
 * popularity query.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "fwd_helpers.h"
#include "userspace/server/cache.h"

static uint64_t clock_ms;

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static struct cache *mk(struct cache_config *cfg)
{
	struct cache *c;

	cfg->now_ms = fake_now;
	c = cache_new(cfg);
	cr_assert_not_null(c);
	return c;
}

static struct cache *mk_default(void)
{
	struct cache_config cfg;

	cache_config_init(&cfg);
	return mk(&cfg);
}

static void key(struct cache_key *k, const char *name, uint16_t type)
{
	uint8_t n[DNS_NAME_MAX];
	int len = th_name(n, name);

	cr_assert_eq(cache_key_init(k, n, (size_t)len, type, DNS_CLASS_IN, 0), 0);
}

/* NOERROR, an A record of ttl per entry of ttls[]. */
static size_t positive(struct msgbuf *m, const char *name, const uint32_t *ttls, unsigned int n)
{
	th_start(m, 0, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, name, DNS_TYPE_A, (uint16_t)n, 0,
		 0);
	for (unsigned int i = 0; i < n; i++)
		th_a(m, ttls[i], (uint8_t)(i + 1));
	return m->w.len;
}

static int lookup(struct cache *c, const struct cache_key *k, unsigned int flags, uint8_t *out,
		  struct cache_hit *hit)
{
	return cache_lookup(c, k, flags, out, DNS_MSG_MAX, hit);
}

Test(cache, ttl_decrements_with_time_spent)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache *c = mk_default();
	const uint32_t ttls[] = { 300, 500 };
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;
	size_t len = positive(&m, "www.example", ttls, 2);
	int n;

	clock_ms = 1000000;
	key(&k, "www.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, len), 0);

	n = lookup(c, &k, 0, out, &hit);
	cr_assert_eq(n, (int)len);
	cr_assert_eq(hit.ttl_left, 300);
	cr_assert_eq(th_rr_ttl(out, len, 0), 300);
	/* The 500 s record is clamped to the entry's 300 s: nothing outlives the entry. */
	cr_assert_eq(th_rr_ttl(out, len, 1), 300);

	clock_ms += 1500;	/* whole seconds only */
	cr_assert_eq(lookup(c, &k, 0, out, &hit), (int)len);
	cr_assert_eq(hit.ttl_left, 299);
	cr_assert_eq(hit.ms_left, 298500, "the promoter's expiry: to the millisecond");
	cr_assert_eq(th_rr_ttl(out, len, 0), 299);
	cr_assert_eq(th_rr_ttl(out, len, 1), 299);

	clock_ms = 1000000 + 299999;
	cr_assert_eq(lookup(c, &k, 0, out, &hit), (int)len);
	cr_assert_eq(th_rr_ttl(out, len, 0), 1);
	cr_assert_eq(hit.stale, false);
	cr_assert_eq(hit.ms_left, 1);

	clock_ms = 1000000 + 300000;
	cr_assert_eq(lookup(c, &k, 0, out, &hit), -ENOENT, "expired at its TTL");
	cache_free(c);
}

Test(cache, key_ignores_case_and_splits_do_cd)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache *c = mk_default();
	const uint32_t ttl = 60;
	struct cache_key k, upper, with_do, with_cd;
	struct cache_hit hit;
	struct msgbuf m;
	size_t len = positive(&m, "www.example", &ttl, 1);
	uint8_t n[DNS_NAME_MAX];
	int nl = th_name(n, "WWW.Example");

	key(&k, "www.example", DNS_TYPE_A);
	cr_assert_eq(cache_key_init(&upper, n, (size_t)nl, DNS_TYPE_A, DNS_CLASS_IN, 0), 0);
	cr_assert_eq(cache_key_init(&with_do, n, (size_t)nl, DNS_TYPE_A, DNS_CLASS_IN,
				    CACHE_KEY_DO), 0);
	cr_assert_eq(cache_key_init(&with_cd, n, (size_t)nl, DNS_TYPE_A, DNS_CLASS_IN,
				    CACHE_KEY_CD), 0);
	cr_assert_eq(cache_insert(c, &k, m.b, len), 0);
	cr_assert_eq(lookup(c, &upper, 0, out, &hit), (int)len);
	cr_assert_eq(lookup(c, &with_do, 0, out, &hit), -ENOENT);
	cr_assert_eq(lookup(c, &with_cd, 0, out, &hit), -ENOENT);
	key(&k, "www.example", DNS_TYPE_AAAA);
	cr_assert_eq(lookup(c, &k, 0, out, &hit), -ENOENT);
	cache_free(c);
}

Test(cache, max_ttl_caps_positive)
{
	struct cache_config cfg;
	const uint32_t ttl = 100000;
	struct msgbuf m;
	size_t len = positive(&m, "a.example", &ttl, 1);
	uint32_t t;
	bool neg;

	cache_config_init(&cfg);
	cfg.max_ttl = 600;
	cr_assert_eq(cache_msg_ttl(&cfg, m.b, len, &t, &neg), 0);
	cr_assert_eq(t, 600);
	cr_assert_eq(neg, false);
}

struct neg_case {
	const char *name;
	uint16_t rcode;
	uint32_t soa_ttl, soa_min;	/* soa_ttl 0: no SOA */
	int want_err;
	uint32_t want_ttl;
};

static const struct neg_case neg_cases[] = {
	{ "NXDOMAIN, MINIMUM smaller", DNS_RCODE_NXDOMAIN, 600, 60, 0, 60 },
	{ "NXDOMAIN, SOA TTL smaller", DNS_RCODE_NXDOMAIN, 30, 3600, 0, 30 },
	{ "NODATA, MINIMUM smaller", DNS_RCODE_NOERROR, 900, 120, 0, 120 },
	{ "NXDOMAIN capped by neg_max_ttl", DNS_RCODE_NXDOMAIN, 86400, 86400, 0, 3600 },
	{ "NXDOMAIN without SOA", DNS_RCODE_NXDOMAIN, 0, 0, -ENODATA, 0 },
	{ "NODATA without SOA", DNS_RCODE_NOERROR, 0, 0, -ENODATA, 0 },
	{ "SERVFAIL", DNS_RCODE_SERVFAIL, 600, 60, -ENODATA, 0 },
	{ "REFUSED", DNS_RCODE_REFUSED, 600, 60, -ENODATA, 0 },
	{ "NXDOMAIN, SOA MINIMUM 0", DNS_RCODE_NXDOMAIN, 600, 0, -ENODATA, 0 },
};

Test(cache, negative_ttl_from_soa)
{
	struct cache_config cfg;

	cache_config_init(&cfg);
	for (size_t i = 0; i < sizeof(neg_cases) / sizeof(neg_cases[0]); i++) {
		const struct neg_case *tc = &neg_cases[i];
		struct msgbuf m;
		uint32_t t = 0;
		bool neg = false;
		int err;

		th_start(&m, 0, DNS_FLAG_QR | tc->rcode, "nx.example", DNS_TYPE_A, 0,
			 tc->soa_ttl ? 1 : 0, 0);
		if (tc->soa_ttl)
			th_soa(&m, "example", tc->soa_ttl, tc->soa_min);
		err = cache_msg_ttl(&cfg, m.b, m.w.len, &t, &neg);
		cr_expect_eq(err, tc->want_err, "%s: err %d", tc->name, err);
		if (!tc->want_err) {
			cr_expect_eq(t, tc->want_ttl, "%s: ttl %u", tc->name, t);
			cr_expect(neg, "%s: negative", tc->name);
		}
	}
}

Test(cache, negative_entry_served_with_soa_ttl_decremented)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache *c = mk_default();
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;

	clock_ms = 5000;
	th_start(&m, 0, DNS_FLAG_QR | DNS_RCODE_NXDOMAIN, "nx.example", DNS_TYPE_A, 0, 1, 0);
	th_soa(&m, "example", 600, 60);
	key(&k, "nx.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), 0);
	clock_ms += 10000;
	cr_assert_eq(lookup(c, &k, 0, out, &hit), (int)m.w.len);
	cr_assert(hit.negative);
	cr_assert_eq(hit.ttl_left, 50);
	/* RFC 2308 3: the SOA's TTL in the answer is the negative TTL, counting down. */
	cr_assert_eq(th_rr_ttl(out, m.w.len, 0), 50);
	clock_ms += 50000;
	cr_assert_eq(lookup(c, &k, 0, out, &hit), -ENOENT);
	cache_free(c);
}

Test(cache, never_cached)
{
	struct cache *c = mk_default();
	const uint32_t zero = 0, ttl = 60;
	struct cache_key k;
	struct cache_stats st;
	struct msgbuf m;

	key(&k, "a.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, "a.example", &zero, 1)), -ENODATA,
		     "TTL 0");
	th_start(&m, 0, DNS_FLAG_QR | DNS_FLAG_TC, "a.example", DNS_TYPE_A, 1, 0, 0);
	th_a(&m, ttl, 1);
	cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), -ENODATA, "TC=1");
	th_start(&m, 0, DNS_FLAG_QR | DNS_RCODE_SERVFAIL, "a.example", DNS_TYPE_A, 0, 0, 0);
	cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), -ENODATA, "SERVFAIL");
	cr_assert_eq(cache_insert(c, &k, m.b, 5), -EMSGSIZE, "short");
	m.b[5] = 2;	/* QDCOUNT 2, only one there */
	cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), -EBADMSG);
	cache_stats_get(c, &st);
	cr_assert_eq(st.entries, 0);
	cache_free(c);
}

Test(cache, lru_eviction_under_byte_bound)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache_config cfg;
	struct cache *c;
	struct cache_stats st;
	struct cache_hit hit;
	struct cache_key k;
	const uint32_t ttl = 600;
	char name[32];

	cache_config_init(&cfg);
	cfg.shards = 1;
	cfg.max_bytes = 4096;
	c = mk(&cfg);
	clock_ms = 0;
	for (int i = 0; i < 40; i++) {
		struct msgbuf m;

		snprintf(name, sizeof(name), "n%d.example", i);
		key(&k, name, DNS_TYPE_A);
		cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, name, &ttl, 1)), 0);
		/* n0 is used all along: it must stay while older entries go. */
		key(&k, "n0.example", DNS_TYPE_A);
		cr_assert_gt(lookup(c, &k, 0, out, &hit), 0, "n0 evicted at insert %d", i);
	}
	cache_stats_get(c, &st);
	cr_assert_leq(st.bytes, 4096);
	cr_assert_gt(st.evictions, 0);
	cr_assert_eq(st.entries + st.evictions, 40);
	key(&k, "n1.example", DNS_TYPE_A);
	cr_assert_eq(lookup(c, &k, 0, out, &hit), -ENOENT, "least recently used went first");
	key(&k, "n39.example", DNS_TYPE_A);
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cache_free(c);
}

Test(cache, prefetch_trigger)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache *c = mk_default();
	const uint32_t ttl = 100;
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;

	clock_ms = 0;
	key(&k, "p.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, "p.example", &ttl, 1)), 0);
	clock_ms = 50000;
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert_not(hit.prefetch, "half the TTL left");
	clock_ms = 90000;
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert(hit.prefetch, "second hit, 10%% of the TTL left");
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert_not(hit.prefetch, "one refresh at a time");
	cache_prefetch_failed(c, &k);
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert(hit.prefetch, "after a failed refresh, another");
	cr_assert_gt(lookup(c, &k, CACHE_PEEK, out, &hit), 0);
	cr_assert_not(hit.prefetch, "a peek never prefetches");
	/* The refresh lands: a new entry, the hit count kept. */
	cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), 0);
	clock_ms = 180000;
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert_eq(hit.ttl_left, 10);
	cr_assert(hit.prefetch, "hits carried over to the refreshed entry");
	cache_free(c);
}

Test(cache, prefetch_needs_popularity)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache *c = mk_default();
	const uint32_t ttl = 100;
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;

	clock_ms = 0;
	key(&k, "once.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, "once.example", &ttl, 1)), 0);
	clock_ms = 95000;
	cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	cr_assert_not(hit.prefetch, "a single hit is not popular");
	cache_free(c);
}

Test(cache, serve_stale_bounds)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache_config cfg;
	struct cache *c;
	const uint32_t ttl = 60;
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;
	size_t len;

	cache_config_init(&cfg);
	cfg.stale_max_sec = 3600;
	cfg.stale_ttl = 30;
	c = mk(&cfg);
	clock_ms = 0;
	key(&k, "s.example", DNS_TYPE_A);
	len = positive(&m, "s.example", &ttl, 1);
	cr_assert_eq(cache_insert(c, &k, m.b, len), 0);

	clock_ms = 61000;
	cr_assert_eq(lookup(c, &k, 0, out, &hit), -ENOENT, "expired: not without STALE_OK");
	cr_assert_eq(lookup(c, &k, CACHE_STALE_OK, out, &hit), (int)len);
	cr_assert(hit.stale);
	cr_assert_eq(hit.ttl_left, 30);
	cr_assert_eq(th_rr_ttl(out, len, 0), 30, "RFC 8767: stale answers carry the stale TTL");

	clock_ms = (60 + 3600) * 1000 - 1;
	cr_assert_eq(lookup(c, &k, CACHE_STALE_OK, out, &hit), (int)len, "just within the bound");
	clock_ms = (60 + 3600) * 1000;
	cr_assert_eq(lookup(c, &k, CACHE_STALE_OK, out, &hit), -ENOENT, "past the bound");

	/* Fresh entries are served fresh with STALE_OK too. */
	cr_assert_eq(cache_insert(c, &k, m.b, len), 0);
	cr_assert_eq(lookup(c, &k, CACHE_STALE_OK, out, &hit), (int)len);
	cr_assert_not(hit.stale);
	cr_assert_eq(hit.ttl_left, 60);
	cache_free(c);
}

Test(cache, stale_disabled)
{
	static uint8_t out[DNS_MSG_MAX];
	struct cache_config cfg;
	struct cache *c;
	const uint32_t ttl = 60;
	struct cache_hit hit;
	struct cache_key k;
	struct msgbuf m;

	cache_config_init(&cfg);
	cfg.stale_max_sec = 0;
	c = mk(&cfg);
	clock_ms = 0;
	key(&k, "s.example", DNS_TYPE_A);
	cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, "s.example", &ttl, 1)), 0);
	clock_ms = 60000;
	cr_assert_eq(lookup(c, &k, CACHE_STALE_OK, out, &hit), -ENOENT);
	cache_free(c);
}

Test(cache, top_reports_most_hit_fresh_entries)
{
	static uint8_t out[DNS_MSG_MAX];
	const uint16_t types[] = { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR };
	struct cache_top_entry top[3];
	struct cache *c = mk_default();
	struct cache_hit hit;
	struct cache_key k;
	char name[32];
	size_t n;

	clock_ms = 0;
	/* hN.example gets N hits and a TTL of 100 + N; "short" expires before the query. */
	for (int i = 1; i <= 6; i++) {
		const uint32_t ttl = 100 + (uint32_t)i;
		struct msgbuf m;

		snprintf(name, sizeof(name), "h%d.example", i);
		key(&k, name, DNS_TYPE_A);
		cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, name, &ttl, 1)), 0);
		for (int j = 0; j < i; j++)
			cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	}
	{
		const uint32_t ttl = 5;
		struct msgbuf m;

		key(&k, "short.example", DNS_TYPE_A);
		cr_assert_eq(cache_insert(c, &k, m.b, positive(&m, "short.example", &ttl, 1)), 0);
		for (int j = 0; j < 50; j++)
			cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
		th_start(&m, 0, DNS_FLAG_QR, "mx.example", DNS_TYPE_MX, 0, 1, 0);
		th_soa(&m, "example", 500, 500);
		key(&k, "mx.example", DNS_TYPE_MX);
		cr_assert_eq(cache_insert(c, &k, m.b, m.w.len), 0);
		for (int j = 0; j < 50; j++)
			cr_assert_gt(lookup(c, &k, 0, out, &hit), 0);
	}
	clock_ms = 10000;
	n = cache_top(c, types, 3, top, 3);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < 3; i++) {
		char want[32];

		snprintf(want, sizeof(want), "h%zu.example", 6 - i);
		key(&k, want, DNS_TYPE_A);
		cr_assert_eq(top[i].key.name_len, k.name_len);
		cr_assert_eq(memcmp(top[i].key.name, k.name, k.name_len), 0, "rank %zu", i);
		cr_assert_eq(top[i].hits, 6 - i);
		cr_assert_eq(top[i].ttl_left, 100 + 6 - i - 10);
	}
	/* Without a type filter the MX entry (50 hits) leads. */
	n = cache_top(c, NULL, 0, top, 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(top[0].key.qtype, DNS_TYPE_MX);
	cache_free(c);
}

struct hammer {
	struct cache *c;
	int id;
};

static void *hammer(void *arg)
{
	static __thread uint8_t out[DNS_MSG_MAX];
	struct hammer *h = arg;
	const uint32_t ttl = 600;
	struct cache_hit hit;
	struct cache_key k;
	char name[32];

	for (int i = 0; i < 2000; i++) {
		struct msgbuf m;

		snprintf(name, sizeof(name), "t%d-%d.example", h->id, i % 300);
		key(&k, name, DNS_TYPE_A);
		if (cache_lookup(h->c, &k, 0, out, sizeof(out), &hit) < 0)
			cr_assert_eq(cache_insert(h->c, &k, m.b, positive(&m, name, &ttl, 1)), 0);
	}
	return NULL;
}

/* Workers share one cache: concurrent use keeps the books straight. */
Test(cache, concurrent_workers)
{
	struct cache_config cfg;
	struct hammer hs[4];
	pthread_t th[4];
	struct cache_stats st;
	struct cache *c;

	cache_config_init(&cfg);
	cfg.max_bytes = 64 * 1024;
	cfg.shards = 4;
	c = mk(&cfg);
	clock_ms = 0;
	for (int i = 0; i < 4; i++) {
		hs[i] = (struct hammer){ .c = c, .id = i };
		cr_assert_eq(pthread_create(&th[i], NULL, hammer, &hs[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cache_stats_get(c, &st);
	cr_assert_eq(st.hits + st.misses, 8000);
	cr_assert_eq(st.inserts, st.misses);
	cr_assert_eq(st.entries + st.evictions, st.inserts);
	cr_assert_leq(st.bytes, 64 * 1024);
	cache_free(c);
}
