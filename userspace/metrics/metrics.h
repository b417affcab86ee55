/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics/metrics.h - the daemon's HTTP endpoint: liveness, readiness and Prometheus metrics,
 * served by libmicrohttpd from its own polling thread.
 *
 *   GET /healthz   200 "ok" while the main loop turns (its last iteration is at most
 *                  METRICS_LOOP_STALL_MS old), else 503 with the reason
 *   GET /readyz    200 "ready" once the first full sync is published and XDP is attached,
 *                  unless the Kubernetes API refuses the credentials or RBAC (401/403: the data
 *                  then goes stale with no end) or the loop is stalled; else 503. The body is
 *                  always one line saying why ("ready; degraded: ...", "not ready: ...").
 *   GET /metrics   Prometheus text exposition format 0.0.4: every fast-path counter of
 *                  maps/reasons.h summed over CPUs, and the daemon's gauges and counters
 *   other paths 404; methods other than GET and HEAD 405 (with Allow).
 *
 * The main loop (one thread) owns a struct metrics_state and hands a copy to the server with
 * metrics_server_publish(): a mutex held for a memcpy, never across I/O. The server reads the
 * fast-path counters itself, per scrape, through a metrics_counters_fn (BPF map lookups are
 * safe from any thread); nothing on the XDP path changes.
 *
 * Times are CLOCK_MONOTONIC milliseconds (metrics_now_ms()). int functions return 0 or
 * -errno; pointer functions return NULL and set errno.
 */
#ifndef XDPDNS_METRICS_H
#define XDPDNS_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "maps/reasons.h"

/*
 * /healthz fails once the loop's last iteration is this old. The loop turns at least once
 * per second (its tick); ten ticks leave room for a full publish of a large zone (a first
 * fill of 490,000 entries takes about 2 s here) without calling a busy daemon dead.
 */
#define METRICS_LOOP_STALL_MS	10000
#define METRICS_TEXT_MAX	256	/* bytes of a status line, NUL included */
#define METRICS_ADDR_MAX	64	/* "[ffff:...:ffff]:65535" and its NUL */

/* What the main loop publishes. Zero is "nothing happened yet". */
struct metrics_state {
	uint64_t loop_ms;		/* the loop's last iteration */
	bool attached;			/* first full sync published, XDP attached */
	bool kube;			/* the source is the Kubernetes API */
	bool kube_refused;		/* kube_watch_refused(): 401/403 and no success since */
	const char *kube_unsynced;	/* kind still waiting for its first full list (static
					 * storage), NULL when none */
	char kube_status[METRICS_TEXT_MAX];	/* kube_watch_status() */
	bool degraded;			/* publish_degraded() */
	uint64_t kube_events;		/* watch events applied since start */
	unsigned int zone_objects;
	unsigned int zone_skipped;	/* objects skipped as unusable, since start */
	unsigned int zone_names;
	unsigned int zone_entries;
	uint32_t soa_serial;
	uint64_t publishes;		/* successful publish_zone() calls */
	uint64_t publish_ns;		/* duration of the last publish_zone() */
	uint64_t publish_ok_ms;		/* when the last successful one ended, 0: never */
};

/* Fill out[reason] with every fast-path counter (unnamed indices 0). 0 or -errno. */
typedef int (*metrics_counters_fn)(void *ctx, uint64_t out[XDPDNS_R_MAX]);

/* A metrics_counters_fn reading maps_read_counters() of a struct xdpdns_maps *ctx. */
int metrics_counters_maps(void *maps, uint64_t out[XDPDNS_R_MAX]);

/* A parsed --http value. */
struct metrics_addr {
	bool enabled;			/* false for "off" */
	struct sockaddr_storage sa;
	socklen_t len;
	char text[METRICS_ADDR_MAX];	/* as given, for messages */
};

/*
 * Parse "IPv4:PORT", "[IPv6]:PORT" (addresses only, no names; PORT 1..65535) or "off".
 * -EINVAL for anything else, the empty string included.
 */
int metrics_addr_parse(const char *s, struct metrics_addr *out);

uint64_t metrics_now_ms(void);

/*
 * The verdicts of the endpoints for st at now: the HTTP status (200 or 503) and one line
 * (no newline) in line. Pure functions of their arguments.
 */
int metrics_healthz(const struct metrics_state *st, uint64_t now, char *line, size_t size);
int metrics_readyz(const struct metrics_state *st, uint64_t now, char *line, size_t size);

/*
 * The /metrics text for st at now; counters NULL leaves out the fast-path counters. 0, or
 * -EIO when f reports a write error.
 */
int metrics_render(FILE *f, const struct metrics_state *st, const uint64_t *counters,
		   uint64_t now);

struct metrics_server;

/*
 * Listen on addr (TCP, SO_REUSEPORT; an IPv6 wildcard also takes IPv4) and serve from a
 * thread of libmicrohttpd's. Counters are read per scrape through fn(ctx) (fn may be NULL);
 * ctx must outlive the server. Until the first metrics_server_publish() the state is zero:
 * not ready, and /healthz 503. NULL + errno: the socket's bind or listen error, ENOMEM, EIO
 * when libmicrohttpd does not start.
 */
struct metrics_server *metrics_server_start(const struct sockaddr *addr, socklen_t len,
					    metrics_counters_fn fn, void *ctx);

/* The port listened on (useful after a start on port 0). */
unsigned int metrics_server_port(const struct metrics_server *s);

/* Replace the served state with a copy of st. s may be NULL (no endpoint): nothing happens. */
void metrics_server_publish(struct metrics_server *s, const struct metrics_state *st);

/* Stop serving, close the socket and free. Accepts NULL. */
void metrics_server_stop(struct metrics_server *s);

#endif
