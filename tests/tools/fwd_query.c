// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tests/tools/fwd_query - drives one forwarder instance and its cache, the way a server
 * worker would, for the integration tests (tests/netns/t_forward.sh).
 *
 *   fwd_query [--upstream LIST] [--forward ZONE=LIST]... [--resolv-conf PATH]
 *             [--listen ADDR[:PORT]]... [--timeout MS] [--max-ttl S]
 *
 * The configuration goes through forward_config_build() exactly as the daemon's flags will;
 * a refused one exits 2 with the message. Then it reads commands on stdin, one per line,
 * and prints one line per command:
 *   q NAME TYPE [do]  resolve (EDNS always, DO when asked); prints
 *                     "rcode=R tc=0|1 ra=0|1 an=N ttl=T size=B data=D1,D2" (ttl and data of
 *                     the first answer records; TXT data as its length) or "failed"
 *   run MS            keep the forwarder running MS milliseconds (background prefetch)
 *   stats             "name=value ..." of the forwarder's and the cache's counters
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userspace/server/forward.h"

#define MAX_ZONES	FORWARD_MAX_ZONES
#define MAX_LISTEN	8

struct result {
	int calls;
	size_t len;
	uint8_t msg[DNS_MSG_MAX];
};

static void on_done(void *arg, const uint8_t *msg, size_t len)
{
	struct result *r = arg;

	r->calls++;
	r->len = msg ? len : 0;
	if (msg)
		memcpy(r->msg, msg, len);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs f until *stop is non-zero (stop NULL: until deadline). */
static void run(struct forward *f, const int *stop, uint64_t deadline)
{
	while (stop ? !*stop : mono_ms() < deadline) {
		struct pollfd p = { .fd = forward_fd(f), .events = POLLIN };
		int t = forward_timeout_ms(f);

		if (t < 0 || t > 50)
			t = 50;
		poll(&p, 1, t);
		forward_process(f);
	}
}

static uint16_t type_of(const char *s)
{
	static const struct { const char *n; uint16_t t; } types[] = {
		{ "A", DNS_TYPE_A }, { "AAAA", DNS_TYPE_AAAA }, { "TXT", DNS_TYPE_TXT },
		{ "MX", DNS_TYPE_MX }, { "PTR", DNS_TYPE_PTR }, { "SOA", DNS_TYPE_SOA },
		{ "NS", DNS_TYPE_NS }, { "SRV", DNS_TYPE_SRV },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].n))
			return types[i].t;
	return 0;
}

static void print_answer(const struct result *r)
{
	struct dns_parser p;
	struct dns_question q;
	struct dns_rr rr;
	char data[4096] = "";
	size_t dl = 0;
	int ttl = -1;

	if (dns_parser_init(&p, r->msg, r->len) || dns_parser_question(&p, &q)) {
		printf("malformed\n");
		return;
	}
	while (dns_parser_rr(&p, &rr) == 0) {
		char one[64];

		if (rr.section != DNS_SEC_ANSWER)
			continue;
		if (ttl < 0)
			ttl = (int)rr.ttl;
		if (rr.type == DNS_TYPE_A && rr.rdlen == 4)
			inet_ntop(AF_INET, rr.rdata, one, sizeof(one));
		else if (rr.type == DNS_TYPE_AAAA && rr.rdlen == 16)
			inet_ntop(AF_INET6, rr.rdata, one, sizeof(one));
		else
			snprintf(one, sizeof(one), "%s:%u", dns_type_name(rr.type) ?: "?",
				 rr.rdlen);
		if (dl + strlen(one) + 2 < sizeof(data))
			dl += (size_t)snprintf(data + dl, sizeof(data) - dl, "%s%s", dl ? "," : "",
					       one);
	}
	printf("rcode=%u tc=%u ra=%u an=%u ttl=%d size=%zu data=%s\n",
	       p.hdr.flags & DNS_FLAG_RCODE_MASK, !!(p.hdr.flags & DNS_FLAG_TC),
	       !!(p.hdr.flags & DNS_FLAG_RA), p.hdr.count[DNS_SEC_ANSWER], ttl, r->len, data);
}

static int do_query(struct forward *f, const char *name, const char *type, bool dnssec_ok)
{
	static struct result r;
	uint8_t q[512], n[DNS_NAME_MAX], opt[11] = { 0, 0, DNS_TYPE_OPT, 0x04, 0xd0 };
	struct dns_hdr h = { .flags = DNS_FLAG_RD, .count = { 1, 0, 0, 1 } };
	struct dns_writer w;
	uint16_t t = type_of(type);
	int len, err;

	len = dns_name_from_text(n, sizeof(n), name);
	if (len < 0 || !t) {
		printf("bad question\n");
		return 0;
	}
	opt[7] = dnssec_ok ? 0x80 : 0;
	h.id = (uint16_t)rand();
	dns_writer_init(&w, q, sizeof(q));
	if (dns_write_hdr(&w, &h) || dns_write_question(&w, n, (size_t)len, t, DNS_CLASS_IN) ||
	    dns_write_bytes(&w, opt, sizeof(opt)))
		return -EMSGSIZE;
	memset(&r, 0, sizeof(r));
	err = forward_resolve(f, q, w.len, on_done, &r);
	if (err)
		return err;
	run(f, &r.calls, 0);
	if (!r.len)
		printf("failed\n");
	else
		print_answer(&r);
	return 0;
}

static void print_stats(struct forward *f, struct cache *c)
{
	struct forward_stats s;
	struct cache_stats cs;

	forward_stats_get(f, &s);
	cache_stats_get(c, &cs);
	printf("questions=%lu cache_hits=%lu stale_answers=%lu failures=%lu sent_udp=%lu "
	       "sent_tcp=%lu tc_fallbacks=%lu timeouts=%lu refused=%lu upstream_errors=%lu "
	       "failovers=%lu drop_source=%lu drop_malformed=%lu drop_id=%lu drop_question=%lu "
	       "prefetches=%lu cache_entries=%lu cache_inserts=%lu cache_replaced=%lu\n",
	       s.questions, s.cache_hits, s.stale_answers, s.failures, s.sent_udp, s.sent_tcp,
	       s.tc_fallbacks, s.timeouts, s.refused, s.upstream_errors, s.failovers,
	       s.drop_source, s.drop_malformed, s.drop_id, s.drop_question, s.prefetches,
	       cs.entries, cs.inserts, cs.replaced);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "upstream", required_argument, NULL, 'u' },
		{ "forward", required_argument, NULL, 'f' },
		{ "resolv-conf", required_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-ttl", required_argument, NULL, 'm' },
		{},
	};
	static struct forward_config cfg;
	struct forward_addr listen[MAX_LISTEN];
	const char *zones[MAX_ZONES], *upstreams = NULL, *resolv = NULL;
	unsigned int n_zones = 0, n_listen = 0, timeout = 0, max_ttl = 0;
	char err[FORWARD_ERR_MAX], line[1024];
	struct cache_config cc;
	struct forward_shared *sh;
	struct forward *f;
	struct cache *c;
	int opt;

	srand((unsigned int)time(NULL));
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			upstreams = optarg;
			break;
		case 'f':
			if (n_zones < MAX_ZONES)
				zones[n_zones++] = optarg;
			break;
		case 'r':
			resolv = optarg;
			break;
		case 'l':
			if (n_listen >= MAX_LISTEN ||
			    forward_addr_parse(optarg, 53, &listen[n_listen++], err)) {
				fprintf(stderr, "fwd_query: --listen: %s\n", err);
				return 2;
			}
			break;
		case 't':
			timeout = (unsigned int)atoi(optarg);
			break;
		case 'm':
			max_ttl = (unsigned int)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (forward_config_build(&cfg, upstreams, zones, n_zones, resolv, listen, n_listen, err)) {
		fprintf(stderr, "fwd_query: %s\n", err);
		return 2;
	}
	if (timeout)
		cfg.timeout_ms = timeout;
	cache_config_init(&cc);
	if (max_ttl)
		cc.max_ttl = max_ttl;
	c = cache_new(&cc);
	sh = c ? forward_shared_new(&cfg, c) : NULL;
	f = sh ? forward_new(sh) : NULL;
	if (!f) {
		fprintf(stderr, "fwd_query: %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		char a[300], b[32], d[8] = "";
		int n = sscanf(line, "%299s %31s %7s", a, b, d);

		if (n >= 3 && !strcmp(a, "q")) {
			int e = sscanf(line, "q %299s %31s %7s", a, b, d);

			if (do_query(f, a, b, e == 3 && !strcmp(d, "do")))
				printf("resolve failed\n");
		} else if (n == 2 && !strcmp(a, "run")) {
			run(f, NULL, mono_ms() + (uint64_t)atoi(b));
			printf("ran\n");
		} else if (n == 1 && !strcmp(a, "stats")) {
			print_stats(f, c);
		} else {
			printf("unknown command\n");
		}
	}
	forward_free(f);
	forward_shared_free(sh);
	cache_free(c);
	return 0;
}
