// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server_answer() (which rcode, header and sections each query gets) and the server's
 * resolver plumbing: a server on 127.0.0.1 (an unprivileged port, one worker) with a fake
 * resolver that answers some names at once (a cache hit), some later from process(), fails
 * some (SERVFAIL) and refuses some (resolve() errors: SERVFAIL too); UDP answers are cut to
 * the client's size. Messages are built and read with our codec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "userspace/dns/dns.h"
#include "userspace/server/answer.h"
#include "userspace/server/server.h"
#include "zone_helpers.h"

static size_t mkquery(uint8_t *buf, const char *name, uint16_t qtype, uint16_t qclass,
		      uint16_t flags, bool opt, uint8_t version)
{
	struct dns_hdr h = { .id = 0xbeef, .flags = flags, .count = { 1, 0, 0, opt } };
	uint8_t qn[DNS_NAME_MAX];
	struct dns_writer w;
	int l = dns_name_from_text(qn, sizeof(qn), name);

	cr_assert_gt(l, 0);
	dns_writer_init(&w, buf, 512);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, qn, (size_t)l, qtype, qclass), 0);
	if (opt) {
		uint8_t o[DNS_OPT_LEN] = { 0, 0, 41, 0x10, 0, 0, version, 0x80, 0, 0, 0 };

		cr_assert_eq(dns_write_bytes(&w, o, sizeof(o)), 0);
	}
	return w.len;
}

static const char fixture_json[] =
	"{'kind':'List','items':["
	"{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'default'}},"
	"{'kind':'Service','apiVersion':'v1','metadata':{'name':'web','namespace':'default'},"
	" 'spec':{'clusterIP':'10.96.1.1','ports':[{'name':'http','port':80,'protocol':'TCP'}]}}"
	"]}";

static struct zone *demo(void)
{
	return zone_from(ZONE_PODS_INSECURE, NULL, fixture_json);
}

struct rc_case {
	char name[64];		/* an array: params are copied to the test's process */
	uint16_t qtype, qclass, flags;
	bool opt;
	uint8_t version;
	enum server_verdict verdict;	/* with a resolver */
	int rcode;			/* without one; -1: no reply */
	bool aa;
};

static const struct rc_case rc_cases[] = {
	{ "web.default.svc.cluster.local", A, 1, DNS_FLAG_RD, false, 0, SERVER_REPLY, 0, true },
	{ "nope.default.svc.cluster.local", A, 1, 0, true, 0, SERVER_REPLY, 3, true },
	{ "web.default.svc.cluster.local", DNS_TYPE_AXFR, 1, 0, false, 0, SERVER_REPLY, 5 },
	{ "web.default.svc.cluster.local", DNS_TYPE_IXFR, 1, 0, false, 0, SERVER_REPLY, 5 },
	{ "web.default.svc.cluster.local", A, 3, 0, false, 0, SERVER_REPLY, 5 },	/* CH */
	{ "web.default.svc.cluster.local", 250, 1, 0, false, 0, SERVER_REPLY, 4 },	/* TSIG */
	{ "web.default.svc.cluster.local", DNS_TYPE_OPT, 1, 0, false, 0, SERVER_REPLY, 1 },
	{ "web.default.svc.cluster.local", 0, 1, 0, false, 0, SERVER_REPLY, 1 },
	{ "web.default.svc.cluster.local", A, 1, 0, true, 1, SERVER_REPLY, 0 },	/* BADVERS */
	{ "web.default.svc.cluster.local", A, 1, 4 << 11, false, 0, SERVER_REPLY, 4 },
	{ "web.default.svc.cluster.local", A, 1, DNS_FLAG_QR, false, 0, SERVER_DROP, -1 },
	{ "example.org", A, 1, DNS_FLAG_RD, false, 0, SERVER_RESOLVE, 5 },
	{ "1-2-3-4.default.pod.cluster.local", A, 1, 0, false, 0, SERVER_REPLY, 0, true },
};

ParameterizedTestParameters(server_answer, rcodes)
{
	return cr_make_param_array(struct rc_case, rc_cases, ARRAY_SIZE(rc_cases));
}

ParameterizedTest(const struct rc_case *tc, server_answer, rcodes)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX];
	struct dns_query dq;
	struct dns_hdr h;
	size_t ql = mkquery(q, tc->name, tc->qtype, tc->qclass, tc->flags, tc->opt, tc->version);
	size_t len;

	cr_assert_eq(server_answer(z, true, q, ql, &dq, out, sizeof(out), &len), tc->verdict,
		     "%s/%u: verdict with a resolver", tc->name, tc->qtype);
	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len),
		     tc->rcode < 0 ? SERVER_DROP : SERVER_REPLY);
	if (tc->rcode < 0) {
		zone_free(z);
		return;
	}
	cr_assert_eq(dns_msg_validate(out, len), 0, "%s/%u: reply parses", tc->name, tc->qtype);
	dns_hdr_decode(out, len, &h);
	cr_assert_eq(h.id, 0xbeef);
	cr_assert(h.flags & DNS_FLAG_QR);
	cr_assert_eq(h.flags & DNS_FLAG_RCODE_MASK, tc->rcode, "%s/%u: rcode %u", tc->name,
		     tc->qtype, h.flags & DNS_FLAG_RCODE_MASK);
	cr_assert_eq(!!(h.flags & DNS_FLAG_AA), tc->aa);
	cr_assert_eq(h.flags & DNS_FLAG_RD, tc->flags & DNS_FLAG_RD, "RD copied");
	cr_assert_eq(h.flags & DNS_FLAG_OPCODE_MASK, tc->flags & DNS_FLAG_OPCODE_MASK);
	cr_assert_not(h.flags & DNS_FLAG_RA, "RA 0: no recursion without a resolver");
	if (tc->version) {	/* BADVERS: extended RCODE 16 in the OPT's TTL */
		cr_assert_eq(h.count[DNS_SEC_ADDITIONAL], 1);
		cr_assert_eq(out[len - DNS_OPT_LEN + 5], DNS_RCODE_BADVERS >> 4);
		cr_assert_eq(out[len - DNS_OPT_LEN + 6], 0, "our version 0");
	}
	zone_free(z);
}

/* The zone's bytes, as the fast path lays them out: header, question, sections, OPT. */
Test(server_answer, same_layout_as_the_fast_path)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX], sec[4096];
	struct zone_reply r;
	struct dns_query dq;
	size_t ql = mkquery(q, "WeB.default.SVC.cluster.local", SRV, 1, DNS_FLAG_CD, true, 0);
	size_t len;

	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len), SERVER_REPLY);
	cr_assert_eq(zone_answer_buf(z, dq.q.name, dq.q.name_len, SRV, &r, sec, sizeof(sec)), 0);
	cr_assert_eq(memcmp(out + 12, q + 12, ql - 12 - DNS_OPT_LEN), 0, "question as sent");
	cr_assert_eq(memcmp(out + ql - DNS_OPT_LEN, sec, r.len), 0, "the zone's sections");
	cr_assert_eq(len, ql + r.len);
	cr_assert_eq(out[3] & 0x10, 0x10, "CD copied");
	cr_assert_eq(out[len - DNS_OPT_LEN + 3] << 8 | out[len - DNS_OPT_LEN + 4],
		     XDPDNS_EDNS_SIZE);
	cr_assert_eq(out[len - DNS_OPT_LEN + 7], 0x80, "DO copied");
	zone_free(z);
}

Test(server_answer, any_gives_one_rrset)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX];
	struct dns_query dq;
	struct dns_hdr h;
	size_t ql = mkquery(q, "web.default.svc.cluster.local", DNS_TYPE_ANY, 1, 0, false, 0);
	size_t len;

	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len), SERVER_REPLY);
	dns_hdr_decode(out, len, &h);
	cr_assert_eq(h.flags & DNS_FLAG_RCODE_MASK, 0);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 1);
	cr_assert_eq(out[ql + 2] << 8 | out[ql + 3], A, "the A RRset");
	zone_free(z);
}

/* ---- resolver plumbing ---- */

#define FAKE_MAX 16

struct fake {
	server_done_fn done[FAKE_MAX];	/* async answers waiting for process() */
	void *arg[FAKE_MAX];
	uint8_t msg[FAKE_MAX][600];
	size_t len[FAKE_MAX];
	unsigned int n;
	int pipe[2];			/* the fd the worker polls */
};

static struct fake fakes[SERVER_MAX_WORKERS];

/* The query as a response with n A records, RA set. */
static size_t fake_response(const uint8_t *q, size_t ql, unsigned int n, uint8_t *out,
			    size_t cap)
{
	uint8_t a[4] = { 192, 0, 2, 0 };
	struct dns_query dq;
	struct dns_writer w;
	struct dns_hdr h;

	cr_assert_eq(dns_query_parse(q, ql, &dq), 0, "the server hands over valid queries");
	h = dq.hdr;
	h.flags |= DNS_FLAG_QR | DNS_FLAG_RA;
	h.count[DNS_SEC_ANSWER] = (uint16_t)n;
	h.count[DNS_SEC_ADDITIONAL] = 0;
	dns_writer_init(&w, out, cap);
	cr_assert_eq(dns_write_bytes(&w, q, dq.q_end), 0);
	for (unsigned int i = 0; i < n; i++, a[3]++)
		cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 60, a), 0);
	dns_hdr_encode(out, &h);
	return w.len;
}

static int fake_resolve(void *ctx, const uint8_t *q, size_t len, server_done_fn done, void *arg)
{
	struct fake *f = ctx;
	const char *label = (const char *)q + DNS_HDR_LEN + 1;
	uint8_t out[4096];

	if (!strncmp(label, "err", 3))
		return -EIO;
	if (!strncmp(label, "fail", 4)) {
		done(arg, NULL, 0);
		return 0;
	}
	if (!strncmp(label, "async", 5)) {
		cr_assert_lt(f->n, FAKE_MAX);
		f->len[f->n] = fake_response(q, len, 1, f->msg[f->n], sizeof(f->msg[0]));
		f->done[f->n] = done;
		f->arg[f->n++] = arg;
		cr_assert_eq(write(f->pipe[1], "x", 1), 1);
		return 0;
	}
	/* "many...": 100 records, more than any UDP client takes; else 2: a cache hit */
	done(arg, out, fake_response(q, len, strncmp(label, "many", 4) ? 2 : 100, out,
				     sizeof(out)));
	return 0;
}

static void fake_cancel(void *ctx, void *arg)
{
	struct fake *f = ctx;

	for (unsigned int i = 0; i < f->n; i++)
		if (f->arg[i] == arg)
			f->done[i] = NULL;
}

static int fake_fd(void *ctx)
{
	return ((struct fake *)ctx)->pipe[0];
}

static int fake_timeout(void *ctx)
{
	(void)ctx;
	return -1;
}

static void fake_process(void *ctx)
{
	struct fake *f = ctx;
	char c[16];

	while (read(f->pipe[0], c, sizeof(c)) > 0)
		;
	while (f->n) {
		f->n--;
		if (f->done[f->n])
			f->done[f->n](f->arg[f->n], f->msg[f->n], f->len[f->n]);
	}
}

static int fake_make(void *arg, unsigned int worker, struct server_resolver *out)
{
	struct fake *f = &fakes[worker];

	(void)arg;
	cr_assert_eq(pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC), 0);
	*out = (struct server_resolver){ f, fake_resolve, fake_cancel, fake_fd, fake_timeout,
					 fake_process };
	return 0;
}

static void fake_free(void *arg, unsigned int worker, struct server_resolver *r)
{
	(void)arg;
	(void)r;
	close(fakes[worker].pipe[0]);
	close(fakes[worker].pipe[1]);
}

static struct server *srv;
static struct zone *srv_zone;
static uint16_t srv_port;

static void srv_start(void)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	srv_zone = demo();
	for (int i = 0; i < 20 && !srv; i++) {
		struct server_config c = { .v4 = &lo, .n_v4 = 1, .workers = 1, .zone = srv_zone,
					   .make_resolver = fake_make,
					   .free_resolver = fake_free };

		srv_port = (uint16_t)(20000 + rand() % 40000);
		c.port = srv_port;
		srv = server_new(&c);
	}
	cr_assert_not_null(srv, "server_new: %s", strerror(errno));
}

static void srv_stop(void)
{
	server_free(srv);
	zone_free(srv_zone);
}

static struct sockaddr_in srv_addr(void)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(srv_port),
				     .sin_addr = { htonl(INADDR_LOOPBACK) } };
}

static ssize_t udp_ask(const uint8_t *q, size_t ql, uint8_t *out, size_t cap)
{
	struct sockaddr_in sa = srv_addr();
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = -1;

	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, q, ql, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)ql);
	if (poll(&p, 1, 5000) == 1)
		n = recv(fd, out, cap, 0);
	close(fd);
	return n;
}

static uint16_t rcode_of(const uint8_t *m)
{
	return m[3] & 0xf;
}

Test(server_resolver, udp, .init = srv_start, .fini = srv_stop)
{
	uint8_t q[512], r[4096];
	struct dns_hdr h;
	size_t ql;
	ssize_t n;

	ql = mkquery(q, "example.org", A, 1, DNS_FLAG_RD, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0, "a cache hit is answered");
	dns_hdr_decode(r, (size_t)n, &h);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 2);
	cr_assert(h.flags & DNS_FLAG_RA, "the resolver's flags");

	ql = mkquery(q, "many.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_leq(n, 512, "cut to 512 without EDNS");
	dns_hdr_decode(r, (size_t)n, &h);
	cr_assert(h.flags & DNS_FLAG_TC);

	ql = mkquery(q, "async.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0, "answered from process()");
	cr_assert_eq(rcode_of(r), 0);

	ql = mkquery(q, "fail.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);
	cr_assert_eq(memcmp(r + 12, q + 12, ql - 12), 0, "the question kept");

	ql = mkquery(q, "err.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);

	ql = mkquery(q, "web.default.svc.cluster.local", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(r[2] & 0x04, 0x04, "the zone answers itself (AA)");
	cr_assert_not(r[3] & 0x80, "RA 0 on zone answers, as the fast path sends them");
}

Test(server_resolver, tcp_pipelined, .init = srv_start, .fini = srv_stop)
{
	static const char *const names[] = { "example.org", "async.example.org", "many.x.org",
					     "fail.example.org", "web.default.svc.cluster.local" };
	struct sockaddr_in sa = srv_addr();
	uint8_t buf[8192], r[65536];
	size_t off = 0, got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t ql = mkquery(buf + off + 2, names[i], A, 1, 0, false, 0);

		buf[off + 3] = (uint8_t)i;	/* the low byte of the ID says which */
		buf[off] = 0;
		buf[off + 1] = (uint8_t)ql;
		off += 2 + ql;
	}
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(send(fd, buf, off, 0), (ssize_t)off);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		uint8_t lb[2];
		size_t len;
		struct dns_hdr h;

		cr_assert_eq(recv(fd, lb, 2, MSG_WAITALL), 2, "reply %zu", i);
		len = (size_t)lb[0] << 8 | lb[1];
		cr_assert_eq(recv(fd, r, len, MSG_WAITALL), (ssize_t)len);
		dns_hdr_decode(r, len, &h);
		got |= 1u << (h.id & 0xff);
		if ((h.id & 0xff) == 2)
			cr_assert_eq(h.count[DNS_SEC_ANSWER], 100, "TCP: not truncated");
		if ((h.id & 0xff) == 3)
			cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);
	}
	cr_assert_eq(got, (1u << ARRAY_SIZE(names)) - 1, "every query answered once");
	close(fd);
}
