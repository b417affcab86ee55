// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The HTTP endpoint on libmicrohttpd (a maintained HTTP/1.1 server: request parsing,
 * keep-alive, HEAD, timeouts and connection limits are its job, not hand-written socket code
 * here). The verdicts and the metrics text are pure functions of a struct metrics_state, so
 * the unit tests check them without a socket.
 *
 * The listening socket is made here, not by libmicrohttpd, for two reasons: the start-up
 * error is the bind's own errno, and SO_REUSEPORT can be set. The DaemonSet rolls out with
 * maxSurge on hostNetwork, so for a while the new pod's daemon and the old one run in the
 * same network namespace with the same --http address: without SO_REUSEPORT the new one
 * could not start until the old one stopped, and the old one is stopped only once the new
 * one is ready.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "maps/maps.h"
#include "userspace/metrics/metrics.h"
#include "userspace/util/addr.h"
#include "userspace/util/log.h"

#define HTTP_CONNECTIONS_MAX	64	/* probes and a scraper need a handful */
#define HTTP_TIMEOUT_SEC	10	/* an idle or slow connection is closed after this */
#define HTTP_BACKLOG		16

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *mhd;
	unsigned int port;
	metrics_counters_fn counters;
	void *ctx;
	pthread_mutex_t lock;		/* guards st */
	struct metrics_state st;
};

int metrics_counters_maps(void *maps, uint64_t out[XDPDNS_R_MAX])
{
	return maps_read_counters(maps, out);
}

uint64_t metrics_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int metrics_addr_parse(const char *s, struct metrics_addr *out)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&out->sa;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&out->sa;
	char host[INET6_ADDRSTRLEN];
	bool v6;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "off"))
		return 0;
	/* a port is required: a bare IPv6 address (no brackets) has none */
	if (strlen(s) >= sizeof(out->text) || addr_parse(s, 0, &out->sa, &out->len, NULL, 0))
		return -EINVAL;
	v6 = out->sa.ss_family == AF_INET6;
	inet_ntop(out->sa.ss_family, v6 ? (const void *)&a6->sin6_addr : (const void *)&a4->sin_addr,
		  host, sizeof(host));
	snprintf(out->text, sizeof(out->text), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		 ntohs(v6 ? a6->sin6_port : a4->sin_port));
	out->enabled = true;
	return 0;
}

static double loop_age_s(const struct metrics_state *st, uint64_t now)
{
	return now > st->loop_ms ? (double)(now - st->loop_ms) / 1e3 : 0;
}

static bool loop_stalled(const struct metrics_state *st, uint64_t now)
{
	return now > st->loop_ms && now - st->loop_ms > METRICS_LOOP_STALL_MS;
}

int metrics_healthz(const struct metrics_state *st, uint64_t now, char *line, size_t size)
{
	if (!st->loop_ms) {
		snprintf(line, size, "starting: the main loop has not turned yet");
		return 503;
	}
	if (loop_stalled(st, now)) {
		snprintf(line, size, "the main loop has not turned for %.1f s",
			 loop_age_s(st, now));
		return 503;
	}
	snprintf(line, size, "ok");
	return 200;
}

int metrics_readyz(const struct metrics_state *st, uint64_t now, char *line, size_t size)
{
	bool kube_trouble = st->kube && strcmp(st->kube_status, "ok") &&
			    strcmp(st->kube_status, "syncing");
	char why[METRICS_TEXT_MAX];

	if (metrics_healthz(st, now, why, sizeof(why)) != 200) {
		snprintf(line, size, "not ready: %s", why);
		return 503;
	}
	if (st->kube_refused) {
		/* Retrying does not help until someone fixes the credentials or RBAC. */
		snprintf(line, size, "not ready: kube: %s%s", st->kube_status,
			 st->attached ? "; serving the last good data" : "");
		return 503;
	}
	if (!st->attached) {
		if (st->kube && st->kube_unsynced)
			snprintf(line, size, "not ready: waiting for the first sync of %s%s%s",
				 st->kube_unsynced, kube_trouble ? "; kube: " : "",
				 kube_trouble ? st->kube_status : "");
		else
			snprintf(line, size, "not ready: XDP is not attached yet");
		return 503;
	}
	snprintf(line, size, "ready%s%s%s",
		 st->degraded ? "; degraded: some answers are not in the maps, their zones pass "
				"misses to the slow path" : "",
		 kube_trouble ? "; kube: " : "", kube_trouble ? st->kube_status : "");
	return 200;
}

static const char *verdict_label(unsigned int reason)
{
	if (reason < XDPDNS_R_FIRST_DROP)
		return "tx";
	return reason < XDPDNS_R_FIRST_PASS ? "drop" : "pass";
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

int metrics_render(FILE *f, const struct metrics_state *st, const uint64_t *counters,
		   uint64_t now)
{
	char line[METRICS_TEXT_MAX];

	if (counters) {
		head(f, "xdpdns_packets_total", "counter",
		     "Packets the XDP fast path finished, by reason (maps/reasons.h) and verdict "
		     "(tx: answered, drop, pass: left to the kernel), summed over CPUs.");
		for (unsigned int r = 0; r < XDPDNS_R_MAX; r++) {
			const char *name = xdpdns_reason_name(r);

			if (!name)
				continue;
			fprintf(f, "xdpdns_packets_total{reason=\"%s\",verdict=\"%s\"} %" PRIu64 "\n",
				name, verdict_label(r), counters[r]);
		}
	}
	gauge_u64(f, "xdpdns_ready", "gauge",
		  "1 when /readyz answers 200: first sync published, XDP attached, API access not "
		  "refused.", metrics_readyz(st, now, line, sizeof(line)) == 200);
	gauge_u64(f, "xdpdns_degraded", "gauge",
		  "1 while some answers are not in the maps: their zones pass misses to the slow "
		  "path.", st->degraded);
	gauge_u64(f, "xdpdns_kube_refused", "gauge",
		  "1 while the Kubernetes API refuses the credentials or RBAC (401/403).",
		  st->kube_refused);
	gauge_u64(f, "xdpdns_kube_events_total", "counter",
		  "Kubernetes watch events (added, modified, deleted) applied to the zone.",
		  st->kube_events);
	gauge_u64(f, "xdpdns_zone_objects", "gauge", "Kubernetes objects in the zone.",
		  st->zone_objects);
	gauge_u64(f, "xdpdns_zone_skipped_objects_total", "counter",
		  "Objects skipped as unusable (each logged once).", st->zone_skipped);
	gauge_u64(f, "xdpdns_zone_names", "gauge", "Names in the zone.", st->zone_names);
	gauge_u64(f, "xdpdns_zone_entries", "gauge", "Answer map entries the zone projects to.",
		  st->zone_entries);
	gauge_u64(f, "xdpdns_zone_soa_serial", "gauge", "SOA serial of the published zone.",
		  st->soa_serial);
	gauge_u64(f, "xdpdns_publishes_total", "counter",
		  "Successful publishes of the zone into the maps.", st->publishes);
	head(f, "xdpdns_publish_duration_seconds", "gauge",
	     "Duration of the last publish (projection, map commit, zone table).");
	fprintf(f, "xdpdns_publish_duration_seconds %.6f\n", (double)st->publish_ns / 1e9);
	if (st->publish_ok_ms) {
		head(f, "xdpdns_publish_age_seconds", "gauge",
		     "Seconds since the last successful publish.");
		fprintf(f, "xdpdns_publish_age_seconds %.3f\n",
			now > st->publish_ok_ms ? (double)(now - st->publish_ok_ms) / 1e3 : 0.0);
	}
	fprintf(f, "# HELP xdpdns_loop_age_seconds Seconds since the main loop's last iteration "
		"(/healthz fails above %d).\n# TYPE xdpdns_loop_age_seconds gauge\n",
		METRICS_LOOP_STALL_MS / 1000);
	fprintf(f, "xdpdns_loop_age_seconds %.3f\n", st->loop_ms ? loop_age_s(st, now) : 0.0);
	return ferror(f) ? -EIO : 0;
}

/* Queue a response whose body buf (len bytes) is freed by libmicrohttpd (free()). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, char *buf, size_t len,
			     const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;	/* libmicrohttpd closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_line(struct MHD_Connection *c, unsigned int code, const char *line)
{
	char *buf;
	int n = asprintf(&buf, "%s\n", line);

	if (n < 0)
		return MHD_NO;
	return reply(c, code, buf, (size_t)n, CT_TEXT);
}

static enum MHD_Result serve_metrics(struct metrics_server *s, struct MHD_Connection *c,
				     const struct metrics_state *st, uint64_t now)
{
	uint64_t counters[XDPDNS_R_MAX] = { 0 };
	char line[METRICS_TEXT_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (s->counters) {
		err = s->counters(s->ctx, counters);
		if (err) {
			snprintf(line, sizeof(line), "cannot read the fast-path counters: %s",
				 strerror(-err));
			return reply_line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, line);
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	err = metrics_render(f, st, s->counters ? counters : NULL, now);
	if (fclose(f) || err) {
		free(buf);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, buf, len, CT_METRICS);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	struct metrics_server *s = cls;
	struct metrics_state st;
	char line[METRICS_TEXT_MAX];
	uint64_t now;
	int code;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	/* Answered at the headers: a request body, if any, is never read. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_line(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed: use GET or HEAD");
	pthread_mutex_lock(&s->lock);
	st = s->st;
	pthread_mutex_unlock(&s->lock);
	now = metrics_now_ms();

	if (!strcmp(url, "/healthz")) {
		code = metrics_healthz(&st, now, line, sizeof(line));
	} else if (!strcmp(url, "/readyz")) {
		code = metrics_readyz(&st, now, line, sizeof(line));
	} else if (!strcmp(url, "/metrics")) {
		return serve_metrics(s, c, &st, now);
	} else {
		code = MHD_HTTP_NOT_FOUND;
		snprintf(line, sizeof(line),
			 "not found: the paths are /healthz, /readyz and /metrics");
	}
	return reply_line(c, (unsigned int)code, line);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

static int listen_on(const struct sockaddr *addr, socklen_t len)
{
	int fd, one = 1, zero = 0, err;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    bind(fd, addr, len) || listen(fd, HTTP_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct metrics_server *metrics_server_start(const struct sockaddr *addr, socklen_t len,
					    metrics_counters_fn fn, void *ctx)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	struct metrics_server *s;
	int fd, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->counters = fn;
	s->ctx = ctx;
	err = -pthread_mutex_init(&s->lock, NULL);
	if (err)
		goto out_free_server;
	fd = listen_on(addr, len);
	if (fd < 0) {
		err = fd;
		goto out_destroy_lock;
	}
	if (getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		err = -errno;
		goto out_close_fd;
	}
	s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port :
						      ((struct sockaddr_in *)&bound)->sin_port);
	s->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_SEC,
				  MHD_OPTION_END);
	if (!s->mhd) {
		err = -EIO;
		goto out_close_fd;	/* a failed start leaves the socket to us */
	}
	return s;

out_close_fd:
	close(fd);
out_destroy_lock:
	pthread_mutex_destroy(&s->lock);
out_free_server:
	free(s);
	errno = -err;
	return NULL;
}

unsigned int metrics_server_port(const struct metrics_server *s)
{
	return s->port;
}

void metrics_server_publish(struct metrics_server *s, const struct metrics_state *st)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->st = *st;
	pthread_mutex_unlock(&s->lock);
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);	/* joins its thread, closes the socket */
	pthread_mutex_destroy(&s->lock);
	free(s);
}
