// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server/forward: one worker's forwarder against fake upstreams that this test drives by
 * hand on 127.0.0.1 (unprivileged ephemeral ports, no root): what is sent, which replies
 * are accepted (spoofed ID, question or source ignored), the client's view of the answer,
 * caching, failover and health, TCP after TC=1, serve-stale, prefetch and cancel.
 * Nothing here waits on a clock: the test answers when it has read the query, and a
 * "dead" upstream is a closed port (ICMP port unreachable) or a socket that never answers
 * with a short per-try timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd_helpers.h"
#include "userspace/server/forward.h"

#define HANG_GUARD_MS	10000	/* only against a hung test, never a timing assertion */

struct fake {
	int udp, tcp;
	struct forward_addr addr;
};

struct result {
	int calls;
	size_t len;
	uint8_t msg[DNS_MSG_MAX];
	bool failed;
};

static uint64_t clock_ms = 1000000;

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static void fake_open(struct fake *u, bool tcp)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);

	u->udp = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(u->udp, 0);
	cr_assert_eq(bind(u->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(u->udp, (struct sockaddr *)&sin, &sl), 0);
	u->tcp = -1;
	if (tcp) {
		int one = 1;

		u->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(u->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		cr_assert_eq(bind(u->tcp, (struct sockaddr *)&sin, sizeof(sin)), 0, "tcp bind");
		cr_assert_eq(listen(u->tcp, 4), 0);
	}
	memset(&u->addr, 0, sizeof(u->addr));
	memcpy(&u->addr.sa, &sin, sizeof(sin));
	u->addr.len = sizeof(sin);
}

static void fake_close(struct fake *u)
{
	close(u->udp);
	if (u->tcp >= 0)
		close(u->tcp);
	u->udp = u->tcp = -1;
}

static void on_done(void *arg, const uint8_t *msg, size_t len)
{
	struct result *r = arg;

	r->calls++;
	r->failed = !msg;
	if (msg) {
		memcpy(r->msg, msg, len);
		r->len = len;
	}
}

struct fx {
	struct forward_config cfg;
	struct cache *cache;
	struct forward_shared *sh;
	struct forward *f;
};

static struct fx *cur_fx;	/* the forwarder to drive while waiting for a query */

static void fx_start(struct fx *x, const struct fake *ups, unsigned int n, unsigned int timeout)
{
	struct cache_config cc;
	char err[FORWARD_ERR_MAX], list[512] = "", buf[64];

	forward_config_init(&x->cfg);
	for (unsigned int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 forward_addr_str(&ups[i].addr, buf));
	cr_assert_eq(forward_config_add_upstreams(&x->cfg, list, err), 0, "%s", err);
	x->cfg.timeout_ms = timeout;
	x->cfg.fail_threshold = 2;
	cache_config_init(&cc);
	cc.now_ms = fake_now;
	cc.stale_max_sec = 3600;
	x->cache = cache_new(&cc);
	cr_assert_not_null(x->cache);
	x->sh = forward_shared_new(&x->cfg, x->cache);
	cr_assert_not_null(x->sh);
	x->f = forward_new(x->sh);
	cr_assert_not_null(x->f);
	cur_fx = x;
}

static void fx_stop(struct fx *x)
{
	forward_free(x->f);
	forward_shared_free(x->sh);
	cache_free(x->cache);
}

/* Runs the forwarder until r has its answer (or, with r NULL, nothing is pending). */
static void drive(struct fx *x, struct result *r)
{
	for (int waited = 0; r ? !r->calls : forward_pending(x->f) > 0;) {
		struct pollfd p = { .fd = forward_fd(x->f), .events = POLLIN };
		int t = forward_timeout_ms(x->f);

		cr_assert(forward_pending(x->f) > 0 || (r && r->calls), "nothing pending, no answer");
		if (t < 0 || t > 100)
			t = 100;
		if (poll(&p, 1, t) == 0)
			waited += t;
		cr_assert_lt(waited, HANG_GUARD_MS, "the forwarder hangs");
		forward_process(x->f);
	}
}

/* Reads one query on u, running the forwarder meanwhile; returns its length, the sender in
 * *from. */
static size_t fake_recv(struct fake *u, uint8_t *q, struct sockaddr_in *from)
{
	socklen_t sl = sizeof(*from);
	ssize_t n;
	int waited = 0;

	for (;;) {
		struct pollfd p[2] = { { .fd = u->udp, .events = POLLIN },
				       { .fd = forward_fd(cur_fx->f), .events = POLLIN } };
		int t = forward_timeout_ms(cur_fx->f);

		if (t < 0 || t > 100)
			t = 100;
		if (poll(p, 2, t) == 0)
			waited += t;
		cr_assert_lt(waited, HANG_GUARD_MS, "no query reached the upstream");
		if (p[0].revents & POLLIN)
			break;
		forward_process(cur_fx->f);
	}
	n = recvfrom(u->udp, q, DNS_MSG_MAX, 0, (struct sockaddr *)from, &sl);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

static bool fake_idle(struct fake *u)
{
	uint8_t b[16];

	return recv(u->udp, b, sizeof(b), MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
}

static void fake_send(struct fake *u, const struct sockaddr_in *to, const struct msgbuf *m)
{
	cr_assert_eq(sendto(u->udp, m->b, m->w.len, 0, (const struct sockaddr *)to, sizeof(*to)),
		     (ssize_t)m->w.len);
}

static uint16_t id_of(const uint8_t *q)
{
	return (uint16_t)(q[0] << 8 | q[1]);
}

/* A positive answer to query id with one A record 192.0.2.last. */
static void answer(struct msgbuf *m, uint16_t id, const char *name, uint32_t ttl, uint8_t last)
{
	th_start(m, id, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | DNS_FLAG_AA, name, DNS_TYPE_A, 1,
		 0, 1);
	th_a(m, ttl, last);
	th_opt(m, 1232, 0);
}

static void query(struct msgbuf *m, uint16_t id, const char *name, bool edns)
{
	th_start(m, id, DNS_FLAG_RD, name, DNS_TYPE_A, 0, 0, edns ? 1 : 0);
	if (edns)
		th_opt(m, 4096, 1);
}

/* The A address of the answer, last byte. */
static int answer_last(const struct result *r)
{
	struct dns_parser p;
	struct dns_question q;
	struct dns_rr rr;

	cr_assert_eq(dns_parser_init(&p, r->msg, r->len), 0);
	cr_assert_eq(dns_parser_question(&p, &q), 0);
	cr_assert_eq(dns_parser_rr(&p, &rr), 0);
	cr_assert_eq(rr.type, DNS_TYPE_A);
	return rr.rdata[3];
}

Test(forward, answer_matched_and_shaped_for_the_client)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m, want;
	struct dns_question dq;
	struct dns_parser p;
	struct forward_stats st;
	size_t n;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 0x1234, "WwW.ExAmple.COM", true);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);

	n = fake_recv(&u, q, &from);
	cr_assert_eq(dns_parser_init(&p, q, n), 0);
	cr_assert_eq(dns_parser_question(&p, &dq), 0);
	cr_assert_eq(p.hdr.count[DNS_SEC_ADDITIONAL], 1, "EDNS sent upstream");
	cr_assert(p.hdr.flags & DNS_FLAG_RD);
	/* Spoofed first: a wrong ID, then the right ID with another name, type, class. */
	answer(&m, id_of(q) ^ 0x0101, "www.example.com", 300, 66);
	fake_send(&u, &from, &m);
	answer(&m, id_of(q), "www.example.org", 300, 67);
	fake_send(&u, &from, &m);
	th_start(&m, id_of(q), DNS_FLAG_QR, "www.example.com", DNS_TYPE_AAAA, 0, 0, 0);
	fake_send(&u, &from, &m);
	/* The same reply from another port of the same host: not the upstream. */
	{
		struct fake other;

		fake_open(&other, false);
		answer(&m, id_of(q), "www.example.com", 300, 68);
		fake_send(&other, &from, &m);
		fake_close(&other);
	}
	/* The upstream answers in its own case. */
	answer(&m, id_of(q), "WWW.EXAMPLE.COM", 300, 7);
	fake_send(&u, &from, &m);
	drive(&x, &r);

	cr_assert_eq(r.calls, 1);
	cr_assert_eq(answer_last(&r), 7, "only the genuine reply is taken");
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.drop_id, 1);
	cr_assert_eq(st.drop_question, 2);

	/* ID, question bytes (0x20 case), RD from the client; RA set, AA cleared; our OPT. */
	th_start(&want, 0x1234, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, "WwW.ExAmple.COM",
		 DNS_TYPE_A, 1, 0, 1);
	th_a(&want, 300, 7);
	th_opt(&want, FORWARD_EDNS_SIZE, 1);
	cr_assert_eq(r.len, want.w.len);
	cr_assert_eq(memcmp(r.msg, want.b, want.w.len), 0, "the response, byte for byte");
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, no_edns_in_no_edns_out_and_cache_hit)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r, r2;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;
	struct forward_stats st;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 1, "a.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	fake_recv(&u, q, &from);
	answer(&m, id_of(q), "a.example", 300, 9);
	fake_send(&u, &from, &m);
	drive(&x, &r);
	cr_assert_eq(r.msg[11], 0, "ARCOUNT 0: the upstream's OPT is not passed on");

	clock_ms += 100500;
	query(&m, 2, "A.EXAMPLE", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r2), 0);
	cr_assert_eq(r2.calls, 1, "a cache hit is answered inside resolve()");
	cr_assert(fake_idle(&u), "and never reaches the upstream");
	cr_assert_eq(r2.msg[0] << 8 | r2.msg[1], 2);
	cr_assert_eq(th_rr_ttl(r2.msg, r2.len, 0), 200, "TTL decremented by time in cache");
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.cache_hits, 1);
	cr_assert_eq(st.sent_udp, 1);
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, negative_answer_cached)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r, r2;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 1, "nx.example", true);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	fake_recv(&u, q, &from);
	th_start(&m, id_of(q), DNS_FLAG_QR | DNS_FLAG_RA | DNS_RCODE_NXDOMAIN, "nx.example",
		 DNS_TYPE_A, 0, 1, 0);
	th_soa(&m, "example", 3600, 30);
	fake_send(&u, &from, &m);
	drive(&x, &r);
	cr_assert_eq(r.msg[3] & 0xf, DNS_RCODE_NXDOMAIN);

	clock_ms += 10000;
	query(&m, 2, "nx.example", true);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r2), 0);
	cr_assert_eq(r2.calls, 1);
	cr_assert(fake_idle(&u));
	cr_assert_eq(r2.msg[3] & 0xf, DNS_RCODE_NXDOMAIN);
	cr_assert_eq(th_rr_ttl(r2.msg, r2.len, 0), 20, "SOA MINIMUM 30, 10 s spent");
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, failover_and_health)
{
	static uint8_t q[DNS_MSG_MAX];
	struct sockaddr_in from;
	struct fx x;
	struct fake ups[3];
	struct msgbuf m;
	struct forward_stats st;
	struct forward_upstream_health h;

	/* ups[0]: closed port (refused). ups[1]: never answers. ups[2]: works. */
	for (int i = 0; i < 3; i++)
		fake_open(&ups[i], false);
	fx_start(&x, ups, 3, 150);
	close(ups[0].udp);
	ups[0].udp = -1;
	for (int round = 0; round < 3; round++) {
		static struct result r;
		char name[32];

		memset(&r, 0, sizeof(r));
		snprintf(name, sizeof(name), "f%d.example", round);
		query(&m, (uint16_t)round, name, false);
		cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
		if (round < 2) {
			/* The silent one sees the query and keeps quiet until the timeout. */
			fake_recv(&ups[1], q, &from);
		}
		fake_recv(&ups[2], q, &from);
		answer(&m, id_of(q), name, 60, (uint8_t)(10 + round));
		fake_send(&ups[2], &from, &m);
		drive(&x, &r);
		cr_assert_eq(answer_last(&r), 10 + round);
	}
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.refused, 2, "the closed port, twice");
	cr_assert_eq(st.timeouts, 2, "the silent one, twice");
	cr_assert_eq(st.failovers, 4, "two failovers in each of the first two rounds");
	cr_assert(fake_idle(&ups[1]), "the third round skipped the upstreams marked down");
	cr_assert_eq(forward_upstream_health_get(x.sh, 0, &h), 0);
	cr_assert(h.down);
	cr_assert_eq(forward_upstream_health_get(x.sh, 1, &h), 0);
	cr_assert(h.down);
	cr_assert_eq(h.consecutive_failures, 2);
	cr_assert_eq(forward_upstream_health_get(x.sh, 2, &h), 0);
	cr_assert_not(h.down);
	cr_assert_eq(h.queries, 3);
	fx_stop(&x);
	for (int i = 1; i < 3; i++)
		fake_close(&ups[i]);
}

Test(forward, servfail_fails_over)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r;
	struct sockaddr_in from;
	struct fx x;
	struct fake ups[2];
	struct msgbuf m;

	fake_open(&ups[0], false);
	fake_open(&ups[1], false);
	fx_start(&x, ups, 2, 1000);
	query(&m, 5, "sf.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	fake_recv(&ups[0], q, &from);
	th_start(&m, id_of(q), DNS_FLAG_QR | DNS_RCODE_SERVFAIL, "sf.example", DNS_TYPE_A, 0, 0, 0);
	fake_send(&ups[0], &from, &m);
	fake_recv(&ups[1], q, &from);
	answer(&m, id_of(q), "sf.example", 60, 42);
	fake_send(&ups[1], &from, &m);
	drive(&x, &r);
	cr_assert_eq(answer_last(&r), 42);
	fx_stop(&x);
	fake_close(&ups[0]);
	fake_close(&ups[1]);
}

Test(forward, tcp_after_truncation)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;
	struct forward_stats st;
	uint8_t len2[2], tq[512];
	struct dns_hdr h;
	int c;

	fake_open(&u, true);
	fx_start(&x, &u, 1, 2000);
	query(&m, 77, "big.example", true);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	fake_recv(&u, q, &from);
	th_start(&m, id_of(q), DNS_FLAG_QR | DNS_FLAG_TC, "big.example", DNS_TYPE_A, 0, 0, 0);
	fake_send(&u, &from, &m);
	/* The forwarder connects; the test reads the framed query and answers 200 records. */
	for (int waited = 0; (c = accept(u.tcp, NULL, NULL)) < 0; waited += 100) {
		struct pollfd p = { .fd = u.tcp, .events = POLLIN };

		cr_assert_eq(r.calls, 0, "answered without going to TCP");
		cr_assert_lt(waited, HANG_GUARD_MS, "no TCP connection");
		forward_process(x.f);
		poll(&p, 1, 100);
	}
	for (size_t got = 0; got < 2;) {
		forward_process(x.f);
		ssize_t n = recv(c, len2 + got, 2 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	cr_assert_lt((size_t)(len2[0] << 8 | len2[1]), sizeof(tq));
	cr_assert_eq(recv(c, tq, (size_t)(len2[0] << 8 | len2[1]), MSG_WAITALL),
		     len2[0] << 8 | len2[1]);
	th_start(&m, id_of(tq), DNS_FLAG_QR | DNS_FLAG_RA, "big.example", DNS_TYPE_A, 200, 0, 0);
	for (int i = 0; i < 200; i++)
		th_a(&m, 300, (uint8_t)i);
	len2[0] = (uint8_t)(m.w.len >> 8);
	len2[1] = (uint8_t)m.w.len;
	cr_assert_eq(send(c, len2, 2, 0), 2);
	/* In two pieces, to exercise partial reads. */
	cr_assert_eq(send(c, m.b, 100, 0), 100);
	forward_process(x.f);
	cr_assert_eq(send(c, m.b + 100, m.w.len - 100, 0), (ssize_t)(m.w.len - 100));
	drive(&x, &r);
	close(c);

	cr_assert_eq(r.calls, 1);
	cr_assert_not(r.failed);
	cr_assert_gt(r.len, 1232);
	cr_assert_eq(dns_hdr_decode(r.msg, r.len, &h), 0);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 200);
	cr_assert_eq(h.id, 77);
	cr_assert_not(h.flags & DNS_FLAG_TC);
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.tc_fallbacks, 1);
	cr_assert_eq(st.sent_tcp, 1);
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, serve_stale_when_every_upstream_fails)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r, r2, r3;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;
	struct forward_stats st;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 1, "stale.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	fake_recv(&u, q, &from);
	answer(&m, id_of(q), "stale.example", 60, 5);
	fake_send(&u, &from, &m);
	drive(&x, &r);
	fake_close(&u);	/* the upstream is gone: its port refuses */

	clock_ms += 120000;	/* expired one minute ago */
	query(&m, 2, "stale.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r2), 0);
	drive(&x, &r2);
	cr_assert_not(r2.failed, "answered from the expired entry");
	cr_assert_eq(answer_last(&r2), 5);
	cr_assert_eq(th_rr_ttl(r2.msg, r2.len, 0), CACHE_STALE_TTL);
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.stale_answers, 1);

	clock_ms += 3600 * 1000;	/* past the stale bound */
	query(&m, 3, "stale.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r3), 0);
	drive(&x, &r3);
	cr_assert(r3.failed, "too old: done(NULL), the server answers SERVFAIL");
	fx_stop(&x);
}

Test(forward, prefetch_refreshes_popular_entry_before_expiry)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r[4];
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;
	struct cache_stats cs;
	struct forward_stats st;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 1, "hot.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r[0]), 0);
	fake_recv(&u, q, &from);
	answer(&m, id_of(q), "hot.example", 100, 1);
	fake_send(&u, &from, &m);
	drive(&x, &r[0]);

	clock_ms += 50000;
	query(&m, 2, "hot.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r[1]), 0);
	cr_assert(fake_idle(&u), "half the TTL left: no refresh");
	clock_ms += 45000;
	query(&m, 3, "hot.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r[2]), 0);
	cr_assert_eq(r[2].calls, 1, "the client is answered from the cache at once");
	cr_assert_eq(answer_last(&r[2]), 1);
	fake_recv(&u, q, &from);	/* the refresh */
	answer(&m, id_of(q), "hot.example", 100, 2);
	fake_send(&u, &from, &m);
	drive(&x, NULL);
	forward_stats_get(x.f, &st);
	cr_assert_eq(st.prefetches, 1);
	cache_stats_get(x.cache, &cs);
	cr_assert_eq(cs.replaced, 1);

	query(&m, 4, "hot.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r[3]), 0);
	cr_assert_eq(answer_last(&r[3]), 2, "the refreshed answer");
	cr_assert_eq(th_rr_ttl(r[3].msg, r[3].len, 0), 100);
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, cancel_forgets_the_client_but_fills_the_cache)
{
	static uint8_t q[DNS_MSG_MAX];
	static struct result r, r2;
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	query(&m, 1, "c.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
	forward_cancel(x.f, &r);
	fake_recv(&u, q, &from);
	answer(&m, id_of(q), "c.example", 60, 3);
	fake_send(&u, &from, &m);
	drive(&x, NULL);
	cr_assert_eq(r.calls, 0, "done is never called after cancel");
	query(&m, 2, "c.example", false);
	cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r2), 0);
	cr_assert_eq(r2.calls, 1);
	fx_stop(&x);
	fake_close(&u);
}

Test(forward, reply_match_table)
{
	struct forward_addr to;
	struct sockaddr_in src;
	uint8_t qn[DNS_NAME_MAX];
	int qlen = th_name(qn, "q.example");
	struct msgbuf m;
	char err[FORWARD_ERR_MAX];

	cr_assert_eq(forward_addr_parse("192.0.2.53:53", 53, &to, err), 0);
	memcpy(&src, &to.sa, sizeof(src));
	answer(&m, 9, "Q.Example", 60, 1);
	cr_assert_eq(forward_reply_match(&to, (struct sockaddr *)&src, sizeof(src), m.b, m.w.len,
					 9, qn, (size_t)qlen, DNS_TYPE_A, DNS_CLASS_IN),
		     FORWARD_REPLY_OK);
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, m.w.len, 10, qn, (size_t)qlen,
					 DNS_TYPE_A, DNS_CLASS_IN), FORWARD_REPLY_BAD_ID);
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, m.w.len, 9, qn, (size_t)qlen,
					 DNS_TYPE_AAAA, DNS_CLASS_IN), FORWARD_REPLY_BAD_QUESTION);
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, m.w.len, 9, qn, (size_t)qlen,
					 DNS_TYPE_A, DNS_CLASS_ANY), FORWARD_REPLY_BAD_QUESTION);
	src.sin_port = htons(54);
	cr_assert_eq(forward_reply_match(&to, (struct sockaddr *)&src, sizeof(src), m.b, m.w.len,
					 9, qn, (size_t)qlen, DNS_TYPE_A, DNS_CLASS_IN),
		     FORWARD_REPLY_BAD_SOURCE);
	src.sin_port = htons(53);
	src.sin_addr.s_addr = htonl(0xc0000236);
	cr_assert_eq(forward_reply_match(&to, (struct sockaddr *)&src, sizeof(src), m.b, m.w.len,
					 9, qn, (size_t)qlen, DNS_TYPE_A, DNS_CLASS_IN),
		     FORWARD_REPLY_BAD_SOURCE);
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, m.w.len - 1, 9, qn, (size_t)qlen,
					 DNS_TYPE_A, DNS_CLASS_IN), FORWARD_REPLY_MALFORMED,
		     "truncated body");
	m.b[2] &= 0x7f;	/* QR=0: a query, not a reply */
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, m.w.len, 9, qn, (size_t)qlen,
					 DNS_TYPE_A, DNS_CLASS_IN), FORWARD_REPLY_MALFORMED);
	th_start(&m, 9, DNS_FLAG_QR, "q.example", DNS_TYPE_A, 0, 0, 0);
	m.b[5] = 0;	/* QDCOUNT 0 */
	cr_assert_eq(forward_reply_match(&to, NULL, 0, m.b, DNS_HDR_LEN, 9, qn, (size_t)qlen,
					 DNS_TYPE_A, DNS_CLASS_IN), FORWARD_REPLY_BAD_QUESTION);
}

Test(forward, ids_and_ports_vary)
{
	static uint8_t q[DNS_MSG_MAX];
	struct sockaddr_in from;
	struct fx x;
	struct fake u;
	struct msgbuf m;
	uint16_t ids[16], ports[16];
	int same_id = 0, same_port = 0;

	fake_open(&u, false);
	fx_start(&x, &u, 1, 1000);
	for (int i = 0; i < 16; i++) {
		static struct result r;
		char name[32];

		snprintf(name, sizeof(name), "v%d.example", i);
		query(&m, 1, name, false);
		cr_assert_eq(forward_resolve(x.f, m.b, m.w.len, on_done, &r), 0);
		fake_recv(&u, q, &from);
		ids[i] = id_of(q);
		ports[i] = ntohs(from.sin_port);
	}
	for (int i = 1; i < 16; i++) {
		same_id += ids[i] == ids[0];
		same_port += ports[i] == ports[0];
	}
	/* 16 draws from 2^16 IDs, and from the kernel's ephemeral ports: a repeat of the
	 * first in all 15 others would mean no randomness at all. */
	cr_assert_lt(same_id, 15);
	cr_assert_lt(same_port, 15);
	fx_stop(&x);
	fake_close(&u);
}
