// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kube/watch.c - the list/watch engine: one curl easy handle per resource at a time, all
 * driven by one curl multi handle; bodies go through util/jstream as they arrive, and list items
 * and watch events are delivered one by one as they complete.
 * The contract and the state machine are described in watch.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "userspace/kube/watch.h"
#include "userspace/util/jstream.h"
#include "userspace/util/log.h"

enum phase { PH_LIST, PH_WATCH };

/* Why the engine itself ended a request (the write callback returned an error, or a timer). */
enum abort_why { AB_NONE, AB_MALFORMED, AB_EXPIRED, AB_ERROR_EVENT, AB_STALL };

struct res_state {
	struct kube_watch *w;
	const struct kube_resource *r;
	unsigned int idx;

	enum phase phase;
	char *rv;		/* resume point: last list/event/bookmark resourceVersion */
	char *cont;		/* continue token of the next list page, NULL for the first */
	bool relist_open;	/* RELIST_BEGIN delivered, RELIST_END not yet */
	bool listed;		/* one full list completed */
	bool list_restart;	/* the next list page starts from scratch */

	/* the request in flight */
	CURL *easy;
	struct curl_slist *hdrs;
	struct jstream *js;	/* made at the first body byte, for the status */
	long code;		/* HTTP status, read at the first body byte */
	struct json_object *body;	/* list page (items delivered) or error Status, at the end */
	enum abort_why why;
	char why_text[128];
	uint64_t started_ms;
	uint64_t last_data_ms;
	unsigned int progress;	/* events + bookmarks received by this watch */
	char errbuf[CURL_ERROR_SIZE];

	uint64_t next_ms;	/* when to start the next request (no request in flight) */
	unsigned int failures;	/* consecutive, for the backoff */
	unsigned int stalls;	/* consecutive no-progress aborts */
	long auth_code;		/* 401/403 currently logged, 0 when not */
	char status[KUBE_WATCH_STATUS_MAX];	/* "" when healthy */
};

struct kube_watch {
	struct kube_config *cfg;
	kube_event_fn fn;
	void *ctx;
	struct kube_watch_opts o;
	CURLM *multi;
	uint64_t rnd;
	unsigned int n;
	struct res_state res[KUBE_WATCH_MAX_RES];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* splitmix64: backoff jitter needs spread, not secrecy */
static uint64_t rnd_next(struct kube_watch *w)
{
	uint64_t z = (w->rnd += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void set_str(char **dst, const char *src)
{
	char *s = src ? strdup(src) : NULL;

	if (src && !s)
		return;	/* keep the old value; the next event retries */
	free(*dst);
	*dst = s;
}

static const char *obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *obj_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static const char *meta_rv(struct json_object *o)
{
	const char *rv = obj_str(obj_obj(o, "metadata"), "resourceVersion");

	return rv && *rv ? rv : NULL;
}

static void deliver(struct res_state *s, enum kube_event_type t, struct json_object *o)
{
	s->w->fn(s->w->ctx, s->r, t, o);
}

/* The first page of a list, or of a restarted one: the consumer's sweep begins. */
static void relist_begin(struct res_state *s)
{
	if (s->list_restart || !s->relist_open) {
		deliver(s, KUBE_RELIST_BEGIN, NULL);
		s->relist_open = true;
		s->list_restart = false;
	}
}

/* List items and watch objects may lack a kind: the resource's. */
static void set_kind(struct res_state *s, struct json_object *o)
{
	if (!obj_str(o, "kind"))
		json_object_object_add(o, "kind", json_object_new_string(s->r->kind));
}

/* A request succeeded: forget the failures and the problem shown in the status. */
static void mark_healthy(struct res_state *s)
{
	s->failures = 0;
	if (s->auth_code)
		log_info("kube: %s: access restored", s->r->path);
	s->auth_code = 0;
	s->status[0] = '\0';
}

static void schedule_backoff(struct res_state *s)
{
	struct kube_watch *w = s->w;
	uint64_t cap = w->o.backoff_min_ms, delay;
	unsigned int i;

	for (i = 0; i < s->failures && cap < w->o.backoff_max_ms; i++)
		cap *= 2;
	if (cap > w->o.backoff_max_ms)
		cap = w->o.backoff_max_ms;
	delay = w->o.backoff_min_ms + rnd_next(w) % (cap - w->o.backoff_min_ms + 1);
	if (s->failures < 64)
		s->failures++;
	s->next_ms = now_ms() + delay;
}

static void schedule_now(struct res_state *s)
{
	s->next_ms = now_ms();
}

static void start_relist(struct res_state *s)
{
	s->phase = PH_LIST;
	s->list_restart = true;
	set_str(&s->cont, NULL);
}

/* ---- one watch event ---------------------------------------------------------------- */

/* Returns false when the stream must be abandoned (s->why says why). */
static bool handle_event(struct res_state *s, struct json_object *ev)
{
	const char *type = obj_str(ev, "type");
	struct json_object *o = obj_obj(ev, "object");
	enum kube_event_type t;
	const char *rv;

	if (!type || !o) {
		s->why = AB_MALFORMED;
		snprintf(s->why_text, sizeof(s->why_text), "watch event without type or object");
		return false;
	}
	if (!strcmp(type, "ADDED")) {
		t = KUBE_ADDED;
	} else if (!strcmp(type, "MODIFIED")) {
		t = KUBE_MODIFIED;
	} else if (!strcmp(type, "DELETED")) {
		t = KUBE_DELETED;
	} else if (!strcmp(type, "BOOKMARK")) {
		rv = meta_rv(o);
		if (rv)
			set_str(&s->rv, rv);
		s->progress++;
		return true;
	} else if (!strcmp(type, "ERROR")) {
		struct json_object *c;
		int code = 0;

		if (json_object_object_get_ex(o, "code", &c))
			code = json_object_get_int(c);
		snprintf(s->why_text, sizeof(s->why_text), "%d %s: %s", code,
			 obj_str(o, "reason") ?: "", obj_str(o, "message") ?: "");
		s->why = code == 410 ? AB_EXPIRED : AB_ERROR_EVENT;
		return false;
	} else {
		log_warn("kube: %s: ignoring watch event of unknown type \"%s\"", s->r->path, type);
		return true;
	}
	s->progress++;
	set_kind(s, o);
	rv = meta_rv(o);
	if (rv)
		set_str(&s->rv, rv);
	deliver(s, t, o);
	return true;
}

/* ---- reception ---------------------------------------------------------------------- */

/* The end of the response headers: a 200 means the server takes us again (status "ok"). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct res_state *s = arg;
	size_t len = size * nmemb;
	long code = 0;

	s->last_data_ms = now_ms();
	if (len > 2 || (len == 2 && memcmp(data, "\r\n", 2)) || (len == 1 && data[0] != '\n'))
		return len;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200) {
		if (s->auth_code)
			log_info("kube: %s: access restored", s->r->path);
		s->auth_code = 0;
		s->status[0] = '\0';
	}
	return len;
}

/* A list item, delivered as it completes: the page's metadata is checked when it ends. */
static int on_item(void *arg, struct json_object *it)
{
	struct res_state *s = arg;

	relist_begin(s);
	if (!json_object_is_type(it, json_type_object)) {
		log_warn("kube: list of %s: item %zu is not an object, skipped", s->r->path,
			 jstream_items(s->js) - 1);
		return 0;
	}
	set_kind(s, it);
	deliver(s, KUBE_ADDED, it);
	return 0;
}

static int on_event(void *arg, struct json_object *ev)
{
	return handle_event(arg, ev) ? 0 : -1;
}

/* The parser for this response: events, list items, or one body (errors, Status). */
static struct jstream *body_parser(struct res_state *s)
{
	struct jstream_opts o = {
		.mode = JSTREAM_ONE,
		.max_depth = KUBE_WATCH_JSON_DEPTH,
		.skip_in = "metadata",
		.skip = "managedFields",
		.ctx = s,
	};

	if (s->code == 200 && s->phase == PH_WATCH) {
		o.mode = JSTREAM_VALUES;
		o.fn = on_event;
	} else if (s->code == 200) {
		o.mode = JSTREAM_ITEMS;
		o.fn = on_item;
	}
	return jstream_new(&o);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct res_state *s = arg;
	size_t len = size * nmemb;
	int err;

	s->last_data_ms = now_ms();
	if (!s->js) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->code);
		s->js = body_parser(s);
		if (!s->js) {
			s->why = AB_MALFORMED;
			snprintf(s->why_text, sizeof(s->why_text), "cannot parse: %s",
				 strerror(errno));
			return 0;
		}
	}
	err = jstream_feed(s->js, data, len);
	if (err == -ECANCELED)	/* handle_event() said why */
		return 0;
	if (err) {
		s->why = AB_MALFORMED;
		snprintf(s->why_text, sizeof(s->why_text), "malformed JSON: %s",
			 jstream_error(s->js));
		return 0;
	}
	return len;
}

/*
 * The response is complete: keep its body (a list page, an error Status). A list page that
 * ends inside a value is malformed; an error response without a readable body is judged by
 * its status code alone, as before the body was streamed.
 */
static void body_end(struct res_state *s)
{
	if (!s->js || s->why != AB_NONE || (s->phase == PH_WATCH && s->code == 200))
		return;
	if (!jstream_end(s->js)) {
		s->body = jstream_take(s->js);
	} else if (s->code == 200) {
		s->why = AB_MALFORMED;
		snprintf(s->why_text, sizeof(s->why_text), "malformed JSON: %s",
			 jstream_error(s->js));
	}
}

/* ---- starting a request ------------------------------------------------------------- */

static int append_q(char *url, size_t size, size_t *pos, const char *fmt, const char *val,
		    CURL *easy)
{
	char *esc = NULL;
	int n;

	if (val) {
		esc = curl_easy_escape(easy, val, 0);
		if (!esc)
			return -ENOMEM;
	}
	n = snprintf(url + *pos, size - *pos, fmt, esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= size - *pos)
		return -ENAMETOOLONG;
	*pos += n;
	return 0;
}

static int build_url(struct res_state *s, char **out)
{
	struct kube_watch *w = s->w;
	size_t size = strlen(w->cfg->server) + strlen(s->r->path) + 256 +
		      3 * (s->cont ? strlen(s->cont) : 0) + 3 * (s->rv ? strlen(s->rv) : 0);
	char *url = malloc(size), num[32];
	size_t pos = 0;
	int err;

	if (!url)
		return -ENOMEM;
	pos = (size_t)snprintf(url, size, "%s%s", w->cfg->server, s->r->path);
	if (s->phase == PH_LIST) {
		snprintf(num, sizeof(num), "%u", w->o.page_limit);
		err = append_q(url, size, &pos, "?limit=%s", num, s->easy);
		if (!err && s->cont)
			err = append_q(url, size, &pos, "&continue=%s", s->cont, s->easy);
	} else {
		snprintf(num, sizeof(num), "%u", w->o.watch_timeout_sec);
		err = append_q(url, size, &pos,
			       "?watch=1&allowWatchBookmarks=true&timeoutSeconds=%s", num, s->easy);
		if (!err)
			err = append_q(url, size, &pos, "&resourceVersion=%s", s->rv, s->easy);
	}
	if (err) {
		free(url);
		return err;
	}
	*out = url;
	return 0;
}

static int tls_setup(struct kube_watch *w, CURL *e)
{
	struct kube_config *c = w->cfg;
	struct curl_blob blob;
	CURLcode rc = CURLE_OK;

	if (c->insecure_skip_tls_verify) {
		rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->ca_data) {
		blob = (struct curl_blob){ c->ca_data, strlen(c->ca_data), CURL_BLOB_COPY };
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->cert_file)
		rc |= curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file)
		rc |= curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
	if (c->cert_data) {
		blob = (struct curl_blob){ c->cert_data, strlen(c->cert_data), CURL_BLOB_COPY };
		rc |= curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
		rc |= curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->key_data) {
		blob = (struct curl_blob){ c->key_data, strlen(c->key_data), CURL_BLOB_COPY };
		rc |= curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
		rc |= curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	return rc == CURLE_OK ? 0 : -EINVAL;
}

static void req_release(struct res_state *s)
{
	if (s->easy) {
		curl_multi_remove_handle(s->w->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	jstream_free(s->js);
	s->js = NULL;
	json_object_put(s->body);
	s->body = NULL;
}

static int req_start(struct res_state *s)
{
	struct kube_watch *w = s->w;
	struct curl_slist *h;
	const char *token = NULL;
	char *url = NULL, *auth = NULL;
	CURLcode rc = CURLE_OK;
	int err;

	s->code = 0;
	s->why = AB_NONE;
	s->why_text[0] = '\0';
	s->errbuf[0] = '\0';
	s->progress = 0;
	s->started_ms = s->last_data_ms = now_ms();
	s->easy = curl_easy_init();
	if (!s->easy) {
		err = -ENOMEM;
		goto out_release;
	}
	if (s->phase == PH_WATCH && !s->rv) {	/* cannot happen: a list sets it */
		start_relist(s);
	}
	err = build_url(s, &url);
	if (err)
		goto out_release;
	kube_config_token(w->cfg, &token);	/* logs its own problems; last good token */
	if (token && asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
		auth = NULL;
		err = -ENOMEM;
		goto out_free_url;
	}
	h = curl_slist_append(NULL, "Accept: application/json");
	if (h)
		s->hdrs = h;
	if (h && auth)
		h = curl_slist_append(s->hdrs, auth);
	if (!h) {
		err = -ENOMEM;
		goto out_free_auth;
	}
	rc |= curl_easy_setopt(s->easy, CURLOPT_URL, url);
	rc |= curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	rc |= curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	rc |= curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
	rc |= curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	rc |= curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	rc |= curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "xdpdns");
	rc |= curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)w->o.connect_timeout_ms);
	rc |= curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc != CURLE_OK) {
		err = -EINVAL;
		goto out_free_auth;
	}
	err = tls_setup(w, s->easy);
	if (err)
		goto out_free_auth;
	if (curl_multi_add_handle(w->multi, s->easy) != CURLM_OK) {
		err = -ENOMEM;
		goto out_free_auth;
	}
	free(auth);
	free(url);
	return 0;

out_free_auth:
	free(auth);
out_free_url:
	free(url);
out_release:
	req_release(s);
	return err;
}

/* ---- finishing a request ------------------------------------------------------------ */

static void set_status(struct res_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_status(struct res_state *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->status, sizeof(s->status), fmt, ap);
	va_end(ap);
}

/* 401/403 and other HTTP errors: Status message when the body has one. */
static void http_failure(struct res_state *s)
{
	const char *msg = obj_str(s->body, "message") ?: "";
	const char *verb = s->phase == PH_LIST ? "list" : "watch";

	if (s->code == 401 || s->code == 403) {
		set_status(s, "%s (%ld) on %s%s%s", s->code == 401 ? "unauthorized" : "forbidden",
			   s->code, s->r->path, *msg ? ": " : "", msg);
		if (s->auth_code != s->code)
			log_err("kube: %s of %s: %s (%ld): %s; keeping the data already received "
				"and retrying", verb, s->r->path,
				s->code == 401 ? "unauthorized" : "forbidden", s->code,
				*msg ? msg : "check the credentials and RBAC (get/list/watch)");
		s->auth_code = s->code;
	} else {
		set_status(s, "HTTP %ld on %s%s%s", s->code, s->r->path, *msg ? ": " : "", msg);
		log_warn("kube: %s of %s: HTTP %ld: %s", verb, s->r->path, s->code, msg);
	}
	schedule_backoff(s);
}

static void list_page_done(struct res_state *s)
{
	struct json_object *meta = obj_obj(s->body, "metadata"), *items;
	const char *rv = obj_str(meta, "resourceVersion");
	const char *cont = obj_str(meta, "continue");

	/* the items were delivered as they arrived (on_item); "items" is left empty */
	if (!meta || !rv || !*rv || !json_object_object_get_ex(s->body, "items", &items) ||
	    !(json_object_is_type(items, json_type_array) ||
	      json_object_is_type(items, json_type_null))) {
		log_warn("kube: list of %s: response is not a list (no metadata.resourceVersion "
			 "or items); listing again", s->r->path);
		set_status(s, "malformed list response on %s", s->r->path);
		start_relist(s);
		schedule_backoff(s);
		return;
	}
	mark_healthy(s);
	relist_begin(s);	/* a page without items */
	if (cont && *cont) {
		set_str(&s->cont, cont);
		schedule_now(s);
		return;
	}
	set_str(&s->cont, NULL);
	set_str(&s->rv, rv);
	s->relist_open = false;
	s->listed = true;
	s->phase = PH_WATCH;
	deliver(s, KUBE_RELIST_END, NULL);
	schedule_now(s);
}

static void list_done(struct res_state *s, CURLcode cc)
{
	if (cc != CURLE_OK && s->why == AB_NONE) {
		set_status(s, "cannot list %s (curl error %d: %s)", s->r->path, cc,
			   *s->errbuf ? s->errbuf : curl_easy_strerror(cc));
		log_warn("kube: %s", s->status);
		schedule_backoff(s);	/* retry the same page */
		return;
	}
	if (s->why == AB_STALL) {
		log_warn("kube: list of %s: nothing received for %u ms; retrying", s->r->path,
			 s->w->o.no_progress_ms);
		schedule_backoff(s);
		return;
	}
	if (s->why == AB_MALFORMED || (s->code == 200 && !s->body)) {
		log_warn("kube: list of %s: %s; listing again from the start", s->r->path,
			 s->why_text[0] ? s->why_text : "empty body");
		set_status(s, "malformed list response on %s", s->r->path);
		start_relist(s);
		schedule_backoff(s);
		return;
	}
	if (s->code == 410) {
		log_info("kube: list of %s: continue token expired (410); listing again from "
			 "the start", s->r->path);
		start_relist(s);
		schedule_now(s);
		return;
	}
	if (s->code != 200) {
		http_failure(s);
		return;
	}
	list_page_done(s);
}

static void watch_done(struct res_state *s, CURLcode cc)
{
	uint64_t lasted = now_ms() - s->started_ms;

	if (s->progress)
		mark_healthy(s);
	/* stalls in a row: a watch that received anything was not one */
	if (s->why != AB_STALL || s->progress)
		s->stalls = 0;
	switch (s->why) {
	case AB_EXPIRED:
		log_info("kube: watch of %s: resourceVersion %s expired (%s); listing again",
			 s->r->path, s->rv, s->why_text);
		start_relist(s);
		schedule_now(s);
		return;
	case AB_ERROR_EVENT:
		log_warn("kube: watch of %s: ERROR event %s; watching again", s->r->path,
			 s->why_text);
		schedule_backoff(s);
		return;
	case AB_MALFORMED:
		log_warn("kube: watch of %s: %s; watching again from resourceVersion %s",
			 s->r->path, s->why_text, s->rv);
		schedule_backoff(s);
		return;
	case AB_STALL:
		if (++s->stalls >= 2) {
			log_warn("kube: watch of %s: nothing received for %u ms, twice; listing "
				 "again", s->r->path, s->w->o.no_progress_ms);
			s->stalls = 0;
			start_relist(s);
		} else {
			log_warn("kube: watch of %s: nothing received for %u ms; watching "
				 "again from resourceVersion %s", s->r->path,
				 s->w->o.no_progress_ms, s->rv);
		}
		schedule_now(s);
		return;
	case AB_NONE:
		break;
	}
	if (cc != CURLE_OK) {
		/* 18/56: cut without the terminating chunk; 7: refused; 28: timeout; 35: TLS */
		set_status(s, "cannot watch %s (curl error %d: %s)", s->r->path, cc,
			   *s->errbuf ? s->errbuf : curl_easy_strerror(cc));
		log_warn("kube: %s", s->status);
		schedule_backoff(s);
		return;
	}
	if (s->code == 410) {
		log_info("kube: watch of %s: HTTP 410; listing again", s->r->path);
		start_relist(s);
		schedule_now(s);
		return;
	}
	if (s->code != 200) {
		http_failure(s);
		return;
	}
	/* a clean end (timeoutSeconds): again at once, unless the server ends them instantly */
	mark_healthy(s);
	if (!s->progress && lasted < 1000)
		schedule_backoff(s);
	else
		schedule_now(s);
}

static void req_done(struct res_state *s, CURLcode cc)
{
	if (cc == CURLE_OK)
		body_end(s);
	if (s->phase == PH_LIST)
		list_done(s, cc);
	else
		watch_done(s, cc);
	req_release(s);
}

/* ---- the loop ----------------------------------------------------------------------- */

static int start_due(struct kube_watch *w, uint64_t now)
{
	unsigned int i;
	int err;

	for (i = 0; i < w->n; i++) {
		struct res_state *s = &w->res[i];

		if (s->easy || s->next_ms > now)
			continue;
		err = req_start(s);
		if (err == -ENOMEM)
			return err;
		if (err) {
			set_status(s, "cannot start a request for %s: %s", s->r->path,
				   strerror(-err));
			log_err("kube: %s", s->status);
			schedule_backoff(s);
		}
	}
	return 0;
}

static void check_stalls(struct kube_watch *w, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		struct res_state *s = &w->res[i];

		if (!s->easy || now - s->last_data_ms < w->o.no_progress_ms)
			continue;
		s->why = AB_STALL;
		curl_multi_remove_handle(w->multi, s->easy);
		req_done(s, CURLE_OPERATION_TIMEDOUT);
	}
}

/* Milliseconds until the engine's next own deadline, at most cap. */
static int next_deadline(struct kube_watch *w, uint64_t now, int cap)
{
	uint64_t t = (uint64_t)cap;
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		struct res_state *s = &w->res[i];
		uint64_t due = s->easy ? s->last_data_ms + w->o.no_progress_ms : s->next_ms;

		t = due <= now ? 0 : (due - now < t ? due - now : t);
	}
	return (int)t;
}

int kube_watch_run_once_fds(struct kube_watch *w, struct curl_waitfd *extra, unsigned int n,
			    int timeout_ms)
{
	struct CURLMsg *m;
	int running, left, wait_ms, err;

	if (timeout_ms < 0)
		timeout_ms = 0;
	err = start_due(w, now_ms());
	if (err)
		return err;
	wait_ms = next_deadline(w, now_ms(), timeout_ms);
	if (curl_multi_poll(w->multi, extra, n, wait_ms, NULL) != CURLM_OK)
		return -EIO;
	if (curl_multi_perform(w->multi, &running) != CURLM_OK)
		return -EIO;
	while ((m = curl_multi_info_read(w->multi, &left))) {
		struct res_state *s = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (s)
			req_done(s, m->data.result);
	}
	check_stalls(w, now_ms());
	return start_due(w, now_ms());
}

int kube_watch_run_once(struct kube_watch *w, int timeout_ms)
{
	return kube_watch_run_once_fds(w, NULL, 0, timeout_ms);
}

bool kube_watch_synced(const struct kube_watch *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (!w->res[i].listed)
			return false;
	return true;
}

const char *kube_watch_status(const struct kube_watch *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (w->res[i].status[0])
			return w->res[i].status;
	return kube_watch_synced(w) ? "ok" : "syncing";
}

bool kube_watch_refused(const struct kube_watch *w)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (w->res[i].auth_code)
			return true;
	return false;
}

const char *kube_watch_unsynced(const struct kube_watch *w)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (!w->res[i].listed)
			return w->res[i].r->kind;
	return NULL;
}

const char *kube_watch_resource_version(const struct kube_watch *w, unsigned int i)
{
	return i < w->n && w->res[i].rv ? w->res[i].rv : "";
}

struct kube_watch *kube_watch_new(struct kube_config *cfg, const struct kube_resource *res,
				  unsigned int n, kube_event_fn fn, void *ctx,
				  const struct kube_watch_opts *opts)
{
	struct kube_watch *w;
	struct timespec ts;
	unsigned int i;

	if (!cfg || !cfg->server || !res || !n || n > KUBE_WATCH_MAX_RES || !fn) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!res[i].path || res[i].path[0] != '/' || !res[i].kind || !res[i].kind[0]) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		errno = ENOMEM;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out_global;
	w->cfg = cfg;
	w->fn = fn;
	w->ctx = ctx;
	if (opts)
		w->o = *opts;
	if (!w->o.page_limit)
		w->o.page_limit = KUBE_WATCH_PAGE_LIMIT;
	if (!w->o.watch_timeout_sec)
		w->o.watch_timeout_sec = KUBE_WATCH_TIMEOUT_SEC;
	if (!w->o.no_progress_ms) {
		/* The server ends a watch at timeoutSeconds; a tenth more is its lateness. */
		unsigned int t = w->o.watch_timeout_sec * 1000, slack = t / 10;

		if (slack < KUBE_WATCH_PROGRESS_SLACK_MIN_MS)
			slack = KUBE_WATCH_PROGRESS_SLACK_MIN_MS;
		if (slack > KUBE_WATCH_PROGRESS_SLACK_MS)
			slack = KUBE_WATCH_PROGRESS_SLACK_MS;
		w->o.no_progress_ms = t + slack;
	}
	if (!w->o.backoff_min_ms)
		w->o.backoff_min_ms = KUBE_WATCH_BACKOFF_MIN_MS;
	if (!w->o.backoff_max_ms)
		w->o.backoff_max_ms = KUBE_WATCH_BACKOFF_MAX_MS;
	if (w->o.backoff_max_ms < w->o.backoff_min_ms)
		w->o.backoff_max_ms = w->o.backoff_min_ms;
	if (!w->o.connect_timeout_ms)
		w->o.connect_timeout_ms = KUBE_WATCH_CONNECT_MS;
	clock_gettime(CLOCK_REALTIME, &ts);
	w->rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
	w->multi = curl_multi_init();
	if (!w->multi)
		goto out_free;
	w->n = n;
	for (i = 0; i < n; i++) {
		w->res[i].w = w;
		w->res[i].r = &res[i];
		w->res[i].idx = i;
		w->res[i].phase = PH_LIST;
		w->res[i].list_restart = true;
	}
	return w;

out_free:
	free(w);
out_global:
	curl_global_cleanup();
	errno = ENOMEM;
	return NULL;
}

void kube_watch_free(struct kube_watch *w)
{
	unsigned int i;

	if (!w)
		return;
	for (i = 0; i < w->n; i++) {
		req_release(&w->res[i]);
		free(w->res[i].rv);
		free(w->res[i].cont);
	}
	curl_multi_cleanup(w->multi);
	free(w);
	curl_global_cleanup();
}
