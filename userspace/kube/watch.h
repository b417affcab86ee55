/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * kube/watch.h - list and watch Kubernetes resources, single-threaded, on libcurl's multi
 * interface, parsing with util/jstream (yajl's event parser into json-c objects): list items and
 * watch events are delivered one by one as they arrive, and metadata.managedFields is never
 * built.
 *
 * Per resource the engine runs client-go's reflector loop:
 *   list   GET path?limit=L, then ?limit=L&continue=C until metadata.continue is empty.
 *          The first page delivers KUBE_RELIST_BEGIN, every item is delivered as KUBE_ADDED
 *          (with "kind" set: list items carry none) as soon as it has arrived, before the rest
 *          of its page is read or checked: a page cut short and retried delivers its first
 *          items again, and a page found to be no list (no metadata.resourceVersion) has
 *          delivered what it held before the list restarts. Both are harmless to a consumer that
 *          replaces and sweeps. The last page delivers KUBE_RELIST_END.
 *          The list's metadata.resourceVersion becomes the resume point. The engine does not
 *          diff: the consumer replaces what it is given and sweeps, at RELIST_END, what it
 *          was not given since RELIST_BEGIN.
 *   watch  GET path?watch=1&allowWatchBookmarks=true&timeoutSeconds=T&resourceVersion=RV.
 *          ADDED/MODIFIED/DELETED are delivered and advance RV; BOOKMARK only advances RV;
 *          unknown types are logged and ignored.
 * What ends a request, and what follows:
 *   watch ends cleanly (timeoutSeconds, or the server's choice)   -> re-watch from RV at once
 *   ERROR event with Status code 410 (Expired), or HTTP 410 on a watch -> relist
 *   HTTP 410 on a list page (continue token too old)             -> restart the list
 *   connection refused/reset/cut without the last chunk (curl 7, 18, 56, ...), other HTTP
 *   codes, other ERROR events, malformed JSON                    -> retry after backoff
 *          (a watch from RV, a list page from its continue token; malformed lists restart)
 *   401/403                                                       -> one log_err() line,
 *          kube_watch_status() names the code and the resource, retry after backoff
 *   nothing received for opts.no_progress_ms (not even a bookmark) -> abort, re-watch; a
 *          second stall in a row (the re-watch received nothing at all either) relists
 *          (a watch from an RV the server has not reached sends nothing, forever)
 * Backoff is exponential with full jitter: the n-th consecutive failure waits a uniform random
 * time in [backoff_min_ms, min(backoff_max_ms, backoff_min_ms * 2^n)]; a list page or a
 * watch that delivered an event or bookmark resets it. What was delivered stays delivered:
 * errors never produce DELETED events, only a later RELIST_END sweep does.
 *
 * A list that is restarted before its RELIST_END delivers RELIST_BEGIN again: the consumer
 * then forgets what it marked as seen since the first BEGIN (the objects themselves stay, to
 * be swept or kept at the RELIST_END that finally comes). Events of one resource are delivered
 * in resourceVersion order; resources are independent.
 *
 * The bearer token is read with kube_config_token() before every request (it rotates), TLS
 * from the config (CA file or PEM data, client certificate and key as files or PEM data,
 * insecure-skip-tls-verify). cfg and res (path and kind strings included) must outlive the
 * watch. The callback must not call kube_watch_*() on the same watch; obj is borrowed (take
 * a json_object_get() to keep it) and may be modified.
 */
#ifndef XDPDNS_KUBE_WATCH_H
#define XDPDNS_KUBE_WATCH_H

#include <stdbool.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "userspace/kube/config.h"

#define KUBE_WATCH_PAGE_LIMIT		500	/* items per list page (kubectl: 500) */
#define KUBE_WATCH_TIMEOUT_SEC		300	/* a watch's timeoutSeconds */
#define KUBE_WATCH_PROGRESS_SLACK_MS	30000	/* no-progress: timeout + a tenth of it, */
#define KUBE_WATCH_PROGRESS_SLACK_MIN_MS 2000	/* at least this, at most the above */
#define KUBE_WATCH_BACKOFF_MIN_MS	200
#define KUBE_WATCH_BACKOFF_MAX_MS	30000
#define KUBE_WATCH_CONNECT_MS		10000	/* TCP + TLS connect timeout */
#define KUBE_WATCH_STATUS_MAX		256	/* bytes of a status line */
#define KUBE_WATCH_JSON_DEPTH		128	/* open arrays and objects in a body */
#define KUBE_WATCH_MAX_RES		16

enum kube_event_type {
	KUBE_ADDED,
	KUBE_MODIFIED,
	KUBE_DELETED,
	KUBE_RELIST_BEGIN,
	KUBE_RELIST_END,
};

struct kube_resource {
	const char *path;	/* "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices"
				 * (a namespaced path such as /api/v1/namespaces/NS/pods works too) */
	const char *kind;	/* "Service": set on list items before they are delivered */
};

/* obj is borrowed, NULL for KUBE_RELIST_*. */
typedef void (*kube_event_fn)(void *ctx, const struct kube_resource *r, enum kube_event_type t,
			      struct json_object *obj);

/* Zero fields take the defaults above. */
struct kube_watch_opts {
	unsigned int page_limit;	/* list ?limit= */
	unsigned int watch_timeout_sec;	/* watch ?timeoutSeconds= */
	unsigned int no_progress_ms;	/* abort a request silent for this long (default:
					 * watch_timeout_sec + a tenth of it, clamped to
					 * [PROGRESS_SLACK_MIN_MS, PROGRESS_SLACK_MS]) */
	unsigned int backoff_min_ms;
	unsigned int backoff_max_ms;
	unsigned int connect_timeout_ms;
};

struct kube_watch;

/*
 * Watch n (1..KUBE_WATCH_MAX_RES) resources; the first requests start in the first
 * kube_watch_run_once(). opts may be NULL. NULL + errno (EINVAL, ENOMEM) on error.
 */
struct kube_watch *kube_watch_new(struct kube_config *cfg, const struct kube_resource *res,
				  unsigned int n, kube_event_fn fn, void *ctx,
				  const struct kube_watch_opts *opts);

/*
 * Start what is due, wait up to timeout_ms (0: do not wait; capped by the engine's own timers)
 * for network activity, process it and deliver the events. 0, or -errno when the multi handle
 * fails (-ENOMEM, -EIO); network and server errors are handled inside and are not fatal.
 */
int kube_watch_run_once(struct kube_watch *w, int timeout_ms);

/*
 * The same, also waiting on the caller's descriptors (curl_multi_poll() fills their revents),
 * for a daemon whose one loop serves other sockets too.
 */
int kube_watch_run_once_fds(struct kube_watch *w, struct curl_waitfd *extra, unsigned int n,
			    int timeout_ms);

/* Every resource has completed one full list (a RELIST_END was delivered for each). */
bool kube_watch_synced(const struct kube_watch *w);

/*
 * Readiness text: "ok" when synced and every resource healthy, else the first resource's
 * problem ("unauthorized (401) on /api/v1/services", "forbidden (403) on ...: message",
 * "cannot reach ... (curl error 7: ...)"), else "syncing". Valid until the next call on w.
 */
const char *kube_watch_status(const struct kube_watch *w);

/*
 * Some resource's last answer from the server was 401 or 403 and none has succeeded since:
 * the credentials or RBAC are refused, and retrying will not help until someone fixes them.
 */
bool kube_watch_refused(const struct kube_watch *w);

/* The kind of the first resource whose first full list is not complete; NULL when synced. */
const char *kube_watch_unsynced(const struct kube_watch *w);

/* Last resourceVersion seen for resource i ("" before the first list), for diagnostics. */
const char *kube_watch_resource_version(const struct kube_watch *w, unsigned int i);

/* Abort every request and free. Accepts NULL. Delivers nothing. */
void kube_watch_free(struct kube_watch *w);

#endif
