// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's HTTP endpoint (userspace/metrics/): --http values, the /healthz and /readyz
 * verdicts through the daemon's life (starting, syncing, refused, ready, degraded, stalled),
 * the exact /metrics text for given counters, and the server itself on 127.0.0.1 (an
 * ephemeral port) through libcurl: routes, 404, 405, HEAD, and the state handed over by
 * metrics_server_publish(). No root needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "maps/maps.h"
#include "userspace/metrics/metrics.h"

#define NOW	1000000	/* ms: the clock of the pure-function tests */

/* ---- --http ---- */

Test(metrics_addr, accepts)
{
	struct metrics_addr a;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&a.sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a.sa;
	char buf[INET6_ADDRSTRLEN];

	cr_assert_eq(metrics_addr_parse("198.18.0.1:9353", &a), 0);
	cr_assert(a.enabled);
	cr_assert_eq(a.sa.ss_family, AF_INET);
	cr_assert_eq(a.len, sizeof(*a4));
	cr_assert_eq(ntohs(a4->sin_port), 9353);
	cr_assert_str_eq(inet_ntop(AF_INET, &a4->sin_addr, buf, sizeof(buf)), "198.18.0.1");
	cr_assert_str_eq(a.text, "198.18.0.1:9353");

	cr_assert_eq(metrics_addr_parse("[fd00:198:18::1]:1", &a), 0);
	cr_assert(a.enabled);
	cr_assert_eq(a.sa.ss_family, AF_INET6);
	cr_assert_eq(a.len, sizeof(*a6));
	cr_assert_eq(ntohs(a6->sin6_port), 1);
	cr_assert_str_eq(inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof(buf)), "fd00:198:18::1");
	cr_assert_str_eq(a.text, "[fd00:198:18::1]:1");

	cr_assert_eq(metrics_addr_parse("[::]:65535", &a), 0);
	cr_assert_eq(a.sa.ss_family, AF_INET6);

	cr_assert_eq(metrics_addr_parse("off", &a), 0);
	cr_assert_not(a.enabled);
}

Test(metrics_addr, refuses)
{
	static const char *const bad[] = {
		"", "on", "198.18.0.1", "198.18.0.1:", "198.18.0.1:0", "198.18.0.1:65536",
		"198.18.0.1:-1", "198.18.0.1:+80", "198.18.0.1:80x", "198.18.0.1: 80",
		"198.18.0.300:80", "localhost:80", ":80", "fd00::1:80", "[fd00::1]", "[fd00::1]80",
		"[fd00::zz]:80", "[198.18.0.1]:80", "[fd00::1:80", "OFF",
		"[0000:0000:0000:0000:0000:0000:0000:0001]:80000000000000000000000000000000000",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct metrics_addr a;

		cr_expect_eq(metrics_addr_parse(bad[i], &a), -EINVAL, "'%s' accepted", bad[i]);
	}
}

/* ---- the verdicts ---- */

static struct metrics_state kube_state(void)
{
	struct metrics_state st = { .loop_ms = NOW - 500, .kube = true };

	strcpy(st.kube_status, "syncing");
	st.kube_unsynced = "Service";
	return st;
}

static void expect_verdict(int (*fn)(const struct metrics_state *, uint64_t, char *, size_t),
			   const struct metrics_state *st, int code, const char *line)
{
	char got[METRICS_TEXT_MAX];

	cr_assert_eq(fn(st, NOW, got, sizeof(got)), code, "%s", got);
	cr_assert_str_eq(got, line);
}

Test(metrics_verdicts, starting)
{
	struct metrics_state st = {};

	expect_verdict(metrics_healthz, &st, 503, "starting: the main loop has not turned yet");
	expect_verdict(metrics_readyz, &st, 503,
		       "not ready: starting: the main loop has not turned yet");
}

Test(metrics_verdicts, kube_lifecycle)
{
	struct metrics_state st = kube_state();

	/* syncing: alive, not ready, naming what it waits for */
	expect_verdict(metrics_healthz, &st, 200, "ok");
	expect_verdict(metrics_readyz, &st, 503,
		       "not ready: waiting for the first sync of Service");

	/* a transient API problem during the sync is shown */
	strcpy(st.kube_status, "cannot list /api/v1/services (curl error 7: refused)");
	expect_verdict(metrics_readyz, &st, 503,
		       "not ready: waiting for the first sync of Service; kube: cannot list "
		       "/api/v1/services (curl error 7: refused)");

	/* refused before the first sync */
	strcpy(st.kube_status, "forbidden (403) on /api/v1/services: no");
	st.kube_refused = true;
	expect_verdict(metrics_readyz, &st, 503, "not ready: kube: forbidden (403) on "
						  "/api/v1/services: no");
	expect_verdict(metrics_healthz, &st, 200, "ok");

	/* synced and attached */
	st.kube_refused = false;
	st.kube_unsynced = NULL;
	st.attached = true;
	strcpy(st.kube_status, "ok");
	expect_verdict(metrics_readyz, &st, 200, "ready");

	/* refused later: the data goes stale with no end */
	strcpy(st.kube_status, "unauthorized (401) on /api/v1/namespaces");
	st.kube_refused = true;
	expect_verdict(metrics_readyz, &st, 503, "not ready: kube: unauthorized (401) on "
						  "/api/v1/namespaces; serving the last good data");

	/* a transient problem once ready: still ready, and said */
	st.kube_refused = false;
	strcpy(st.kube_status, "cannot watch /api/v1/services (curl error 7: refused)");
	expect_verdict(metrics_readyz, &st, 200,
		       "ready; kube: cannot watch /api/v1/services (curl error 7: refused)");

	/* degraded: answers stay correct, misses are passed */
	strcpy(st.kube_status, "ok");
	st.degraded = true;
	expect_verdict(metrics_readyz, &st, 200,
		       "ready; degraded: some answers are not in the maps, their zones pass "
		       "misses to the slow path");
}

Test(metrics_verdicts, objects_source)
{
	struct metrics_state st = { .loop_ms = NOW };

	expect_verdict(metrics_readyz, &st, 503, "not ready: XDP is not attached yet");
	st.attached = true;
	expect_verdict(metrics_readyz, &st, 200, "ready");
}

Test(metrics_verdicts, loop_stalled)
{
	struct metrics_state st = kube_state();

	st.attached = true;
	st.kube_unsynced = NULL;
	strcpy(st.kube_status, "ok");
	st.loop_ms = NOW - METRICS_LOOP_STALL_MS;
	expect_verdict(metrics_healthz, &st, 200, "ok");
	expect_verdict(metrics_readyz, &st, 200, "ready");
	st.loop_ms = NOW - METRICS_LOOP_STALL_MS - 2500;
	expect_verdict(metrics_healthz, &st, 503, "the main loop has not turned for 12.5 s");
	expect_verdict(metrics_readyz, &st, 503,
		       "not ready: the main loop has not turned for 12.5 s");
}

/* ---- the metrics text ---- */

static char *render(const struct metrics_state *st, const uint64_t *counters)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(metrics_render(f, st, counters, NOW), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static void expect_line(const char *text, const char *line)
{
	char want[512];
	const char *p = text;

	snprintf(want, sizeof(want), "%s\n", line);
	for (;;) {
		p = strstr(p, want);
		cr_assert_not_null(p, "no line '%s' in:\n%s", line, text);
		if (p == text || p[-1] == '\n')
			return;
		p++;
	}
}

static unsigned int count_prefix(const char *text, const char *prefix)
{
	unsigned int n = 0;
	size_t len = strlen(prefix);

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		n += !strncmp(l, prefix, len);
		if (!strchr(l, '\n'))
			break;
	}
	return n;
}

Test(metrics_text, exact_lines)
{
	uint64_t counters[XDPDNS_R_MAX] = { 0 };
	struct metrics_state st = {
		.loop_ms = NOW - 250, .attached = true, .kube = true, .kube_events = 42,
		.zone_objects = 17, .zone_skipped = 2, .zone_names = 31, .zone_entries = 90,
		.soa_serial = 1763700000, .publishes = 5, .publish_ns = 12345678,
		.publish_ok_ms = NOW - 1500, .degraded = true,
	};
	unsigned int reasons = 0;
	char *text;

	strcpy(st.kube_status, "ok");
	counters[XDPDNS_R_ANSWER_A] = 7;
	counters[XDPDNS_R_NXDOMAIN] = 18446744073709551615ULL;
	counters[XDPDNS_R_DROP_IP_LEN] = 3;
	counters[XDPDNS_R_PASS_STALE] = 2;
	counters[XDPDNS_R_MAX - 1] = 99;	/* no reason there: never shown */
	text = render(&st, counters);

	expect_line(text, "# HELP xdpdns_packets_total Packets the XDP fast path finished, by "
			  "reason (maps/reasons.h) and verdict (tx: answered, drop, pass: left to "
			  "the kernel), summed over CPUs.");
	expect_line(text, "# TYPE xdpdns_packets_total counter");
	expect_line(text, "xdpdns_packets_total{reason=\"answer_a\",verdict=\"tx\"} 7");
	expect_line(text, "xdpdns_packets_total{reason=\"answer_aaaa\",verdict=\"tx\"} 0");
	expect_line(text, "xdpdns_packets_total{reason=\"answer_nxdomain\",verdict=\"tx\"} "
			  "18446744073709551615");
	expect_line(text, "xdpdns_packets_total{reason=\"drop_ip_length\",verdict=\"drop\"} 3");
	expect_line(text,
		    "xdpdns_packets_total{reason=\"pass_stale_heartbeat\",verdict=\"pass\"} 2");
	/* one sample per reason of maps/reasons.h, nothing for unnamed indices */
#define COUNT(name, value, str) reasons++;
	XDPDNS_REASONS(COUNT)
#undef COUNT
	cr_assert_eq(count_prefix(text, "xdpdns_packets_total{"), reasons, "%s", text);
	cr_assert_null(strstr(text, " 99\n"), "%s", text);

	expect_line(text, "# TYPE xdpdns_ready gauge");
	expect_line(text, "xdpdns_ready 1");
	expect_line(text, "# TYPE xdpdns_degraded gauge");
	expect_line(text, "xdpdns_degraded 1");
	expect_line(text, "xdpdns_kube_refused 0");
	expect_line(text, "# TYPE xdpdns_kube_events_total counter");
	expect_line(text, "xdpdns_kube_events_total 42");
	expect_line(text, "xdpdns_zone_objects 17");
	expect_line(text, "# TYPE xdpdns_zone_skipped_objects_total counter");
	expect_line(text, "xdpdns_zone_skipped_objects_total 2");
	expect_line(text, "xdpdns_zone_names 31");
	expect_line(text, "xdpdns_zone_entries 90");
	expect_line(text, "xdpdns_zone_soa_serial 1763700000");
	expect_line(text, "# TYPE xdpdns_publishes_total counter");
	expect_line(text, "xdpdns_publishes_total 5");
	expect_line(text, "# TYPE xdpdns_publish_duration_seconds gauge");
	expect_line(text, "xdpdns_publish_duration_seconds 0.012346");
	expect_line(text, "xdpdns_publish_age_seconds 1.500");
	expect_line(text, "xdpdns_loop_age_seconds 0.250");

	/* every sample has its HELP and TYPE, once */
	cr_assert_eq(count_prefix(text, "# HELP "), count_prefix(text, "# TYPE "));
	cr_assert_eq(count_prefix(text, "# HELP "), 14, "%s", text);
	expect_line(text, "# HELP xdpdns_loop_age_seconds Seconds since the main loop's last "
			  "iteration (/healthz fails above 10).");
	free(text);
}

Test(metrics_text, before_anything)
{
	struct metrics_state st = { .loop_ms = NOW, .kube = true };
	char *text;

	strcpy(st.kube_status, "forbidden (403) on /api/v1/services");
	st.kube_refused = true;
	text = render(&st, NULL);
	cr_assert_null(strstr(text, "xdpdns_packets_total"), "%s", text);
	cr_assert_null(strstr(text, "xdpdns_publish_age_seconds"), "no publish yet:\n%s", text);
	expect_line(text, "xdpdns_ready 0");
	expect_line(text, "xdpdns_kube_refused 1");
	expect_line(text, "xdpdns_publishes_total 0");
	free(text);
}

/* ---- the server ---- */

static struct metrics_server *srv;
static int fake_err;

static int fake_counters(void *ctx, uint64_t out[XDPDNS_R_MAX])
{
	uint64_t *base = ctx;

	if (fake_err)
		return fake_err;
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++)
		out[r] = *base + r;
	return 0;
}

static uint64_t fake_base = 1000;

static void srv_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = metrics_server_start((struct sockaddr *)&a, sizeof(a), fake_counters, &fake_base);
	cr_assert_not_null(srv, "start: %s", strerror(errno));
	cr_assert_gt(metrics_server_port(srv), 0);
}

static void srv_stop(void)
{
	metrics_server_stop(srv);
	srv = NULL;
}

struct resp {
	long code;
	char body[16384];
	size_t len;
	char allow[64];
	char type[128];
};

static size_t body_cb(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = sz * n, room = sizeof(r->body) - 1 - r->len;

	memcpy(r->body + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->body[r->len] = '\0';
	return len;
}

static size_t header_cb(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = sz * n;

	if (len > 7 && !strncasecmp(p, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 9), p + 7);
	if (len > 14 && !strncasecmp(p, "Content-Type: ", 14))
		snprintf(r->type, sizeof(r->type), "%.*s", (int)(len - 16), p + 14);
	return len;
}

static void request(const char *method, const char *path, struct resp *r)
{
	char url[128];
	CURL *c = curl_easy_init();

	cr_assert_not_null(c);
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", metrics_server_port(srv), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	else if (strcmp(method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s %s", method, path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(c);
}

TestSuite(metrics_server, .init = srv_start, .fini = srv_stop);

Test(metrics_server, readiness_follows_the_published_state)
{
	struct metrics_state st = { .loop_ms = metrics_now_ms(), .kube = true };
	struct resp r;

	/* nothing published yet */
	request("GET", "/healthz", &r);
	cr_assert_eq(r.code, 503);
	cr_assert_str_eq(r.body, "starting: the main loop has not turned yet\n");
	request("GET", "/readyz", &r);
	cr_assert_eq(r.code, 503);

	strcpy(st.kube_status, "syncing");
	st.kube_unsynced = "EndpointSlice";
	metrics_server_publish(srv, &st);
	request("GET", "/healthz", &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(r.body, "ok\n");
	cr_assert_str_eq(r.type, "text/plain; charset=utf-8");
	request("GET", "/readyz", &r);
	cr_assert_eq(r.code, 503);
	cr_assert_str_eq(r.body, "not ready: waiting for the first sync of EndpointSlice\n");

	st.kube_unsynced = NULL;
	st.attached = true;
	strcpy(st.kube_status, "ok");
	metrics_server_publish(srv, &st);
	request("GET", "/readyz", &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(r.body, "ready\n");

	st.kube_refused = true;
	strcpy(st.kube_status, "forbidden (403) on /api/v1/services");
	metrics_server_publish(srv, &st);
	request("GET", "/readyz", &r);
	cr_assert_eq(r.code, 503);
	cr_assert_str_eq(r.body, "not ready: kube: forbidden (403) on /api/v1/services; serving "
				 "the last good data\n");
	request("HEAD", "/readyz", &r);
	cr_assert_eq(r.code, 503);
	cr_assert_eq(r.len, 0);
}

Test(metrics_server, metrics_reads_the_counters_per_scrape)
{
	struct metrics_state st = { .loop_ms = metrics_now_ms(), .attached = true, .publishes = 3 };
	char line[128];
	struct resp r;

	metrics_server_publish(srv, &st);
	request("GET", "/metrics", &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
	snprintf(line, sizeof(line),
		 "xdpdns_packets_total{reason=\"answer_a\",verdict=\"tx\"} %d\n", 1000 + XDPDNS_R_ANSWER_A);
	cr_assert_not_null(strstr(r.body, line), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\nxdpdns_ready 1\n"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\nxdpdns_publishes_total 3\n"), "%s", r.body);

	fake_base = 5000;
	request("GET", "/metrics", &r);
	snprintf(line, sizeof(line),
		 "xdpdns_packets_total{reason=\"answer_a\",verdict=\"tx\"} %d\n", 5000 + XDPDNS_R_ANSWER_A);
	cr_assert_not_null(strstr(r.body, line), "%s", r.body);

	fake_err = -EPERM;
	request("GET", "/metrics", &r);
	cr_assert_eq(r.code, 500);
	cr_assert_str_eq(r.body, "cannot read the fast-path counters: Operation not permitted\n");
}

Test(metrics_server, unknown_paths_and_methods)
{
	struct resp r;

	request("GET", "/", &r);
	cr_assert_eq(r.code, 404);
	cr_assert_str_eq(r.body, "not found: the paths are /healthz, /readyz and /metrics\n");
	request("GET", "/metrics/", &r);
	cr_assert_eq(r.code, 404);
	request("GET", "/healthz?verbose=1", &r);	/* the query string is not the path */
	cr_assert_eq(r.code, 503);
	request("POST", "/readyz", &r);
	cr_assert_eq(r.code, 405);
	cr_assert_str_eq(r.allow, "GET, HEAD");
	cr_assert_str_eq(r.body, "method not allowed: use GET or HEAD\n");
	request("DELETE", "/metrics", &r);
	cr_assert_eq(r.code, 405);
	request("PUT", "/nothing", &r);
	cr_assert_eq(r.code, 405);
}

Test(metrics_server_start, bind_errors)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct metrics_server *s;

	/* 198.18.0.99 is on no interface of this namespace */
	inet_pton(AF_INET, "198.18.0.99", &a.sin_addr);
	s = metrics_server_start((struct sockaddr *)&a, sizeof(a), NULL, NULL);
	cr_assert_null(s);
	cr_assert_eq(errno, EADDRNOTAVAIL, "%s", strerror(errno));
	inet_pton(AF_INET6, "fd00:198:18::99", &a6.sin6_addr);
	s = metrics_server_start((struct sockaddr *)&a6, sizeof(a6), NULL, NULL);
	cr_assert_null(s);
	cr_assert_eq(errno, EADDRNOTAVAIL, "%s", strerror(errno));
}

Test(metrics_server_start, two_instances_share_the_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct metrics_server *s1, *s2;

	/* a rolling update with maxSurge: old and new daemon on one hostNetwork address */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s1 = metrics_server_start((struct sockaddr *)&a, sizeof(a), NULL, NULL);
	cr_assert_not_null(s1, "%s", strerror(errno));
	a.sin_port = htons((uint16_t)metrics_server_port(s1));
	s2 = metrics_server_start((struct sockaddr *)&a, sizeof(a), NULL, NULL);
	cr_assert_not_null(s2, "second instance: %s", strerror(errno));
	cr_assert_eq(metrics_server_port(s2), metrics_server_port(s1));
	metrics_server_stop(s2);
	metrics_server_stop(s1);
}
