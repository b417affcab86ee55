// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kube/watch against tests/kube/fixture.py (TLS, bearer tokens, the real list/watch protocol):
 * paged lists with RELIST markers, events, fragmented streams, bookmarks, 410 on a watch and on
 * a list, cut and stalled watches, token rotation, 401/403, an API server restart. Each test
 * starts its own fixture in a mkdtemp() directory (killed in .fini, and by PR_SET_PDEATHSIG if
 * the test process dies) and drives it through its control port.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "userspace/kube/config.h"
#include "userspace/kube/watch.h"

static char dir[] = "/tmp/xdpdns-kubewatch.XXXXXX";
static pid_t fx_pid = -1;
static char control[256];
static char old_token[256];
static struct kube_config cfg;
static struct kube_watch *w;

static const struct kube_resource res_svc[] = {
	{ "/api/v1/services", "Service" },
	{ "/apis/discovery.k8s.io/v1/endpointslices", "EndpointSlice" },
};

/* ---- the consumer: kind/ns/name -> resourceVersion, swept at RELIST_END ---- */

struct sink {
	struct json_object *store;	/* key -> rv */
	struct json_object *seen;	/* kind -> keys given since its RELIST_BEGIN */
	int added, modified, deleted, begins, ends, bad;
	int managed;	/* objects delivered with metadata.managedFields (never: not built) */
	void (*hook)(struct sink *k, enum kube_event_type t);
};

static struct sink sink;

static void obj_key(struct json_object *o, char *buf, size_t size)
{
	struct json_object *m = NULL, *v;
	const char *kind = "", *ns = "", *name = "";

	if (json_object_object_get_ex(o, "kind", &v))
		kind = json_object_get_string(v);
	json_object_object_get_ex(o, "metadata", &m);
	if (m && json_object_object_get_ex(m, "namespace", &v))
		ns = json_object_get_string(v);
	if (m && json_object_object_get_ex(m, "name", &v))
		name = json_object_get_string(v);
	snprintf(buf, size, "%s/%s/%s", kind, ns, name);
}

static const char *obj_rv(struct json_object *o)
{
	struct json_object *m, *v;

	if (!json_object_object_get_ex(o, "metadata", &m) ||
	    !json_object_object_get_ex(m, "resourceVersion", &v))
		return "";
	return json_object_get_string(v);
}

static bool obj_ok(struct json_object *o, const char *kind)
{
	struct json_object *m, *v;

	return json_object_object_get_ex(o, "kind", &v) && !strcmp(json_object_get_string(v), kind) &&
	       json_object_object_get_ex(o, "metadata", &m) &&
	       json_object_object_get_ex(m, "name", &v) && *json_object_get_string(v);
}

static void on_event(void *ctx, const struct kube_resource *r, enum kube_event_type t,
		     struct json_object *o)
{
	struct sink *k = ctx;
	char key[512];

	switch (t) {
	case KUBE_RELIST_BEGIN:
		k->begins++;
		if (!k->seen)
			k->seen = json_object_new_object();
		json_object_object_add(k->seen, r->kind, json_object_new_object());
		break;
	case KUBE_RELIST_END: {
		struct json_object *keep = json_object_new_object();
		struct json_object *seen = json_object_object_get(k->seen, r->kind);

		k->ends++;
		json_object_object_foreach(k->store, kk, vv) {
			if (strncmp(kk, r->kind, strlen(r->kind)) || kk[strlen(r->kind)] != '/' ||
			    json_object_object_get_ex(seen, kk, NULL))
				json_object_object_add(keep, kk, json_object_get(vv));
		}
		json_object_put(k->store);
		k->store = keep;
		break;
	}
	case KUBE_ADDED:
	case KUBE_MODIFIED:
	case KUBE_DELETED:
		if (!o || !obj_ok(o, r->kind)) {
			k->bad++;
			break;
		}
		obj_key(o, key, sizeof(key));
		if (json_object_object_get_ex(json_object_object_get(o, "metadata"),
					      "managedFields", NULL))
			k->managed++;
		if (t == KUBE_DELETED) {
			k->deleted++;
			json_object_object_del(k->store, key);
			break;
		}
		t == KUBE_ADDED ? k->added++ : k->modified++;
		json_object_object_add(k->store, key, json_object_new_string(obj_rv(o)));
		if (json_object_object_get(k->seen, r->kind))
			json_object_object_add(json_object_object_get(k->seen, r->kind), key,
					       json_object_new_boolean(1));
		break;
	}
	if (k->hook)
		k->hook(k, t);
}

/* ---- the fixture ---- */

static size_t grow(char *data, size_t size, size_t n, void *arg)
{
	char **buf = arg;
	size_t old = *buf ? strlen(*buf) : 0;
	char *b = realloc(*buf, old + size * n + 1);

	if (!b)
		return 0;
	memcpy(b + old, data, size * n);
	b[old + size * n] = '\0';
	*buf = b;
	return size * n;
}

/* A control request; returns the parsed reply (caller puts it), asserts HTTP 200. */
static struct json_object *ctl(const char *method, const char *path, const char *body)
{
	CURL *e = curl_easy_init();
	char url[512], *reply = NULL;
	struct json_object *o;
	long code = 0;
	CURLcode rc;

	cr_assert_not_null(e);
	snprintf(url, sizeof(url), "%s%s", control, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 15L);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	cr_assert_eq(rc, CURLE_OK, "control %s %s: %s", method, path, curl_easy_strerror(rc));
	cr_assert_eq(code, 200, "control %s %s: HTTP %ld %s", method, path, code, reply ?: "");
	o = json_tokener_parse(reply ?: "");
	free(reply);
	cr_assert_not_null(o, "control %s %s: reply is not JSON", method, path);
	return o;
}

static void ctl0(const char *method, const char *path, const char *body)
{
	json_object_put(ctl(method, path, body));
}

static void svc_apply(const char *ns, const char *name, int port)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"%s\"},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":"
		 "\"10.96.0.%d\",\"ports\":[{\"name\":\"dns\",\"port\":%d,\"protocol\":\"UDP\"}]}}",
		 name, ns, port % 250 + 1, port);
	ctl0("POST", "/objects/apply", body);
}

static void slice_apply(const char *name)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":"
		 "{\"name\":\"%s\",\"namespace\":\"default\",\"labels\":{\"kubernetes.io/"
		 "service-name\":\"s\"}},\"addressType\":\"IPv4\",\"endpoints\":[],\"ports\":[]}",
		 name);
	ctl0("POST", "/objects/apply", body);
}

static void fixture_root(char *root, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *p;
	int i;

	snprintf(root, size, ".");
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (i = 0; i < 4 && (p = strrchr(exe, '/')); i++)	/* ROOT/.output/tests/unit/NAME */
		*p = '\0';
	snprintf(root, size, "%s", exe);
}

/* Start the fixture with extra arguments (NULL-terminated); load cfg from kubeconfig kc. */
static void fx_start(const char *kc, const char *const *extra)
{
	char root[PATH_MAX], script[PATH_MAX + 32], line[2048], path[PATH_MAX + 32];
	const char *argv[32];
	struct json_object *info, *v;
	int pfd[2], n = 0, i;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	fixture_root(root, sizeof(root));
	snprintf(script, sizeof(script), "%s/tests/kube/fixture.py", root);
	cr_assert_eq(access(script, R_OK), 0, "%s: %s", script, strerror(errno));
	argv[n++] = "/usr/bin/python3";
	argv[n++] = script;
	argv[n++] = "--dir";
	argv[n++] = dir;
	argv[n++] = "--managed-fields-bytes";
	argv[n++] = "3000";
	for (i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(pipe(pfd), 0);
	fx_pid = fork();
	cr_assert_geq(fx_pid, 0);
	if (fx_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f), "the fixture did not start");
	fclose(f);
	info = json_tokener_parse(line);
	cr_assert_not_null(info, "fixture said: %s", line);
	cr_assert(json_object_object_get_ex(info, "control", &v));
	snprintf(control, sizeof(control), "%s", json_object_get_string(v));
	cr_assert(json_object_object_get_ex(info, "token", &v));
	snprintf(old_token, sizeof(old_token), "%s", json_object_get_string(v));
	json_object_put(info);
	snprintf(path, sizeof(path), "%s/%s", dir, kc);
	cr_assert_eq(kube_config_from_kubeconfig(&cfg, path), 0);
	sink.store = json_object_new_object();
}

static void watch_start(const struct kube_resource *res, unsigned int n,
			const struct kube_watch_opts *o)
{
	w = kube_watch_new(&cfg, res, n, on_event, &sink, o);
	cr_assert_not_null(w, "kube_watch_new: %s", strerror(errno));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void fx_stop(void)
{
	int i, status;

	kube_watch_free(w);
	w = NULL;
	kube_config_release(&cfg);
	json_object_put(sink.store);
	json_object_put(sink.seen);
	memset(&sink, 0, sizeof(sink));
	if (fx_pid > 0) {
		kill(fx_pid, SIGTERM);
		for (i = 0; i < 100 && waitpid(fx_pid, &status, WNOHANG) == 0; i++)
			usleep(20000);
		if (i == 100) {
			kill(fx_pid, SIGKILL);
			waitpid(fx_pid, &status, 0);
		}
		fx_pid = -1;
	}
	if (strcmp(dir + strlen(dir) - 6, "XXXXXX"))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Run the engine until cond holds; fail after ms. */
#define PUMP_UNTIL(cond, ms)                                                               \
	do {                                                                               \
		struct timespec t0_;                                                       \
		clock_gettime(CLOCK_MONOTONIC, &t0_);                                      \
		while (!(cond)) {                                                          \
			cr_assert_lt(ms_since(&t0_), (ms), "timed out waiting for " #cond    \
				     " (status: %s)", kube_watch_status(w));                 \
			cr_assert_eq(kube_watch_run_once(w, 50), 0);                       \
		}                                                                          \
	} while (0)

static void pump_for(int ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < ms)
		cr_assert_eq(kube_watch_run_once(w, 20), 0);
}

/* The fixture's objects of the watched kinds, as key -> rv. */
static struct json_object *fixture_state(const struct kube_resource *res, unsigned int n)
{
	struct json_object *all = ctl("GET", "/objects", NULL), *items, *out;
	char key[512];
	size_t i;
	unsigned int j;

	out = json_object_new_object();
	cr_assert(json_object_object_get_ex(all, "items", &items));
	for (i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *k;

		json_object_object_get_ex(it, "kind", &k);
		for (j = 0; j < n; j++) {
			if (strcmp(json_object_get_string(k), res[j].kind))
				continue;
			obj_key(it, key, sizeof(key));
			json_object_object_add(out, key, json_object_new_string(obj_rv(it)));
		}
	}
	json_object_put(all);
	return out;
}

static bool state_matches(const struct kube_resource *res, unsigned int n)
{
	struct json_object *want = fixture_state(res, n);
	bool eq = json_object_equal(want, sink.store);

	json_object_put(want);
	return eq;
}

static long stat_count(const char *key)
{
	struct json_object *st = ctl("GET", "/stats", NULL), *req, *v;
	long n = 0;

	if (json_object_object_get_ex(st, "requests", &req) &&
	    json_object_object_get_ex(req, key, &v))
		n = json_object_get_int64(v);
	json_object_put(st);
	return n;
}

/* The fixture counts a request after sending its reply: give the count a moment to settle. */
static long stat_settled(const char *key, long want)
{
	long n = 0;
	int i;

	for (i = 0; i < 50 && (n = stat_count(key)) != want; i++)
		usleep(20000);
	return n;
}

static const struct kube_watch_opts fast = {
	.page_limit = 7,
	.watch_timeout_sec = 30,
	.no_progress_ms = 5000,
	.backoff_min_ms = 50,
	.backoff_max_ms = 400,
};

TestSuite(kube_watch, .fini = fx_stop, .timeout = 20);

Test(kube_watch, paged_list_delivers_everything_between_relist_markers)
{
	char name[32];
	int i;

	fx_start("kubeconfig", NULL);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "svc-%02d", i);
		svc_apply(i % 2 ? "default" : "kube-system", name, 1000 + i);
	}
	slice_apply("empty-slice");
	ctl0("POST", "/reset-stats", "{}");
	watch_start(res_svc, 2, &fast);
	cr_assert_str_eq(kube_watch_status(w), "syncing");
	cr_assert_str_eq(kube_watch_unsynced(w), "Service");
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	cr_assert_null(kube_watch_unsynced(w));
	cr_assert_eq(sink.begins, 2);
	cr_assert_eq(sink.ends, 2);
	cr_assert_eq(sink.added, 26);
	cr_assert_eq(sink.bad, 0);
	cr_assert_eq(sink.managed, 0, "the fixture sends managedFields; they are not built");
	cr_assert(state_matches(res_svc, 2));
	cr_assert_eq(stat_settled("LIST /api/v1/services 200", 4), 4, "25 items in pages of 7");
	cr_assert_str_eq(kube_watch_status(w), "ok");
	cr_assert_str_neq(kube_watch_resource_version(w, 0), "");
}

Test(kube_watch, create_modify_delete_arrive_as_events)
{
	fx_start("kubeconfig", NULL);
	svc_apply("default", "a", 53);
	watch_start(res_svc, 2, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	svc_apply("default", "b", 54);
	PUMP_UNTIL(sink.added == 2, 3000);
	svc_apply("default", "a", 55);
	PUMP_UNTIL(sink.modified == 1, 3000);
	ctl0("DELETE", "/objects/services/default/a", NULL);
	PUMP_UNTIL(sink.deleted == 1, 3000);
	slice_apply("s1");
	PUMP_UNTIL(sink.added == 3, 3000);
	cr_assert(state_matches(res_svc, 2));
	cr_assert_eq(sink.begins, 2);
	cr_assert_eq(sink.bad, 0);
	cr_assert_str_eq(kube_watch_resource_version(w, 1), json_object_get_string(
				 json_object_object_get(sink.store, "EndpointSlice/default/s1")));
}

Test(kube_watch, fragmented_streams_of_large_events_parse)
{
	static const char *const args[] = { "--fragment", "--managed-fields-bytes", "6000",
					    NULL };
	char name[32];
	int i;

	fx_start("kubeconfig", args);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "pre-%d", i);
		svc_apply("default", name, i + 1);
	}
	watch_start(res_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	/* several events pending together share chunks; each is split over several */
	ctl0("POST", "/load", "{\"kind\":\"List\",\"items\":["
	     "{\"kind\":\"Service\",\"metadata\":{\"name\":\"l1\"},\"spec\":{\"clusterIP\":\"None\"}},"
	     "{\"kind\":\"Service\",\"metadata\":{\"name\":\"l2\"},\"spec\":{\"clusterIP\":\"None\"}},"
	     "{\"kind\":\"Service\",\"metadata\":{\"name\":\"l3\"},\"spec\":{\"clusterIP\":\"None\"}}"
	     "]}");
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "pre-%d", i % 10);
		svc_apply("default", name, 100 + i);
	}
	PUMP_UNTIL(sink.modified == 20 && sink.added == 13, 6000);
	cr_assert(state_matches(res_svc, 1));
	cr_assert_eq(sink.bad, 0);
	cr_assert_eq(sink.managed, 0);
	cr_assert_eq(stat_settled("WATCH /api/v1/services", 1), 1, "no reconnect was needed");
}

Test(kube_watch, bookmark_advances_resource_version_and_is_not_delivered)
{
	static const char *const args[] = { "--bookmark-interval", "0.2", NULL };
	static const struct kube_resource only_svc[] = { { "/api/v1/services", "Service" } };
	struct json_object *st, *v;
	int events;

	fx_start("kubeconfig", args);
	svc_apply("default", "a", 1);
	watch_start(only_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	events = sink.added + sink.modified + sink.deleted;
	/* RV moves on through another resource only: services learn it from a bookmark */
	slice_apply("s1");
	slice_apply("s2");
	st = ctl("GET", "/stats", NULL);
	cr_assert(json_object_object_get_ex(st, "resourceVersion", &v));
	PUMP_UNTIL(!strcmp(kube_watch_resource_version(w, 0), json_object_get_string(v)), 3000);
	json_object_put(st);
	pump_for(500);
	cr_assert_eq(sink.added + sink.modified + sink.deleted, events, "a bookmark was delivered");
	cr_assert_eq(sink.bad, 0);
	/* the watch resumes from the bookmark's RV: nothing replayed after a clean end */
	ctl0("POST", "/end-watches", "{}");
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") >= 2, 3000);
	svc_apply("default", "b", 2);
	PUMP_UNTIL(sink.added == 2, 3000);
	cr_assert_eq(sink.begins, 1, "no relist");
}

static void stall_compact(const char *rv)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"resourceVersion\":\"%s\"}", rv);
	ctl0("POST", "/stall", "{\"new\":false}");
	svc_apply("default", "during", 7);
	ctl0("DELETE", "/objects/services/default/gone", NULL);
	ctl0("POST", "/compact", "{}");
	ctl0("POST", "/unstall", "{}");
}

Test(kube_watch, watch_410_error_event_relists)
{
	fx_start("kubeconfig", NULL);
	svc_apply("default", "a", 1);
	svc_apply("default", "gone", 2);
	watch_start(res_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	/* the history goes away under a stalled watch: ERROR 410 in the 200 stream */
	stall_compact("0");
	PUMP_UNTIL(sink.begins == 2 && sink.ends == 2, 5000);
	cr_assert_eq(stat_settled("LIST /api/v1/services 200", 2), 2);
	cr_assert(state_matches(res_svc, 1), "the relist sweeps what was deleted");
	cr_assert_null(json_object_object_get(sink.store, "Service/default/gone"));
	cr_assert_eq(sink.deleted, 0, "the deletion came from the sweep, not an event");
	svc_apply("default", "after", 3);
	PUMP_UNTIL(json_object_object_get(sink.store, "Service/default/after"), 3000);
	cr_assert_str_eq(kube_watch_status(w), "ok");
}

static bool compacted_once;

static void compact_after_first_page(struct sink *k, enum kube_event_type t)
{
	if (t != KUBE_ADDED || k->added != 7 || compacted_once)
		return;
	compacted_once = true;
	svc_apply("default", "zz-new", 99);
	ctl0("POST", "/compact", "{}");
}

Test(kube_watch, expired_continue_410_restarts_the_list)
{
	char name[32];
	int i;

	fx_start("kubeconfig", NULL);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "svc-%02d", i);
		svc_apply("default", name, i + 1);
	}
	sink.hook = compact_after_first_page;
	watch_start(res_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	cr_assert(compacted_once);
	cr_assert_eq(stat_settled("LIST /api/v1/services 410", 1), 1);
	cr_assert_eq(sink.begins, 2, "the restarted list begins again");
	cr_assert_eq(sink.ends, 1);
	cr_assert(state_matches(res_svc, 1));
	cr_assert_not_null(json_object_object_get(sink.store, "Service/default/zz-new"));
}

Test(kube_watch, cut_watches_reconnect_without_losing_events)
{
	static const char *const hows[] = { "{\"how\":\"fin\"}", "{\"how\":\"rst\"}",
					    "{\"how\":\"rst\",\"all\":true}" };
	char name[32], path[64];
	int i;

	fx_start("kubeconfig", NULL);
	watch_start(res_svc, 2, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "svc-%02d", i % 12);
		snprintf(path, sizeof(path), "/objects/services/default/svc-%02d", (i - 1) % 12);
		if (i % 7 == 6)
			ctl0("DELETE", path, NULL);	/* applied just before */
		else
			svc_apply("default", name, i + 1);
		if (i % 10 == 5) {
			PUMP_UNTIL(stat_count("WATCH /api/v1/services") > i / 10, 3000);
			ctl0("POST", "/cut", hows[i / 10]);
		}
		if (i % 3 == 0)
			pump_for(30);
	}
	PUMP_UNTIL(state_matches(res_svc, 2), 6000);
	cr_assert_geq(stat_count("WATCH /api/v1/services"), 4);
	cr_assert_eq(sink.begins, 2, "reconnects resume from the RV, no relist");
	PUMP_UNTIL(!strcmp(kube_watch_status(w), "ok"), 3000);
}

Test(kube_watch, stalled_watch_is_replaced_after_the_no_progress_timeout)
{
	static const char *const args[] = { "--bookmark-interval", "0", NULL };
	struct kube_watch_opts o = fast;
	struct timespec t0;
	long ms;

	o.no_progress_ms = 800;
	fx_start("kubeconfig", args);
	watch_start(res_svc, 1, &o);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	ctl0("POST", "/stall", "{\"new\":false}");
	svc_apply("default", "held-back", 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	PUMP_UNTIL(sink.added == 1, 4000);
	ms = ms_since(&t0);
	cr_assert_geq(ms, 600, "delivered after %ld ms: the stall was not real", ms);
	cr_assert_eq(stat_settled("WATCH /api/v1/services", 2), 2);
	cr_assert_eq(sink.begins, 1, "a single stall re-watches, it does not relist");
	cr_assert(state_matches(res_svc, 1));
}

/* Two stalls "in a row" relist; a watch that delivered something in between breaks the row. */
Test(kube_watch, a_watch_that_progressed_then_stalls_is_watched_again_not_relisted)
{
	static const char *const args[] = { "--bookmark-interval", "0", NULL };
	struct kube_watch_opts o = fast;

	o.no_progress_ms = 800;
	fx_start("kubeconfig", args);
	watch_start(res_svc, 1, &o);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	ctl0("POST", "/stall", "{\"new\":false}");
	svc_apply("default", "held-back", 1);
	PUMP_UNTIL(sink.added == 1, 4000);	/* by the second watch: it made progress */
	ctl0("POST", "/stall", "{\"new\":false}");
	svc_apply("default", "held-back-too", 1);
	PUMP_UNTIL(sink.added >= 2, 4000);
	cr_assert_eq(stat_settled("WATCH /api/v1/services", 3), 3);
	cr_assert_eq(sink.begins, 1, "a stall after progress re-watches, it does not relist");
	cr_assert(state_matches(res_svc, 2));
}

Test(kube_watch, rotated_token_file_is_used_on_reconnect)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 16], body[512];
	FILE *f;

	fx_start("kubeconfig-tokenfile", NULL);
	watch_start(res_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	/* kubelet's way: a new file renamed over the old one */
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(tmp, sizeof(tmp), "%s/token.new", dir);
	f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs("rotated-token-2\n", f);
	fclose(f);
	cr_assert_eq(rename(tmp, path), 0);
	snprintf(body, sizeof(body), "{\"add\":[\"rotated-token-2\"],\"revoke\":[\"%s\"]}",
		 old_token);
	ctl0("POST", "/tokens", body);
	ctl0("POST", "/cut", "{\"how\":\"fin\",\"all\":true}");
	svc_apply("default", "after-rotation", 1);
	PUMP_UNTIL(sink.added == 1, 4000);
	cr_assert_eq(stat_settled("WATCH /api/v1/services 401", 0), 0, "the old token was used");
	cr_assert_str_eq(kube_watch_status(w), "ok");
}

static void auth_failure_then_recovery(const char *deny, const char *allow, const char *want,
				       const char *code_key)
{
	char body[512];

	fx_start("kubeconfig", NULL);
	svc_apply("default", "kept", 1);
	watch_start(res_svc, 1, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	cr_assert_not(kube_watch_refused(w));
	snprintf(body, sizeof(body), deny, old_token);
	ctl0("POST", "/tokens", body);
	ctl0("POST", "/cut", "{\"how\":\"fin\",\"all\":true}");
	PUMP_UNTIL(strstr(kube_watch_status(w), want), 3000);
	cr_assert(strstr(kube_watch_status(w), "/api/v1/services"), "status: %s",
		  kube_watch_status(w));
	cr_assert(kube_watch_refused(w));
	PUMP_UNTIL(stat_count(code_key) >= 3, 4000);	/* it keeps retrying, with backoff */
	cr_assert(kube_watch_refused(w), "still refused between retries");
	cr_assert_not_null(json_object_object_get(sink.store, "Service/default/kept"),
			   "what was delivered is kept");
	cr_assert_eq(sink.deleted, 0);
	snprintf(body, sizeof(body), allow, old_token);
	ctl0("POST", "/tokens", body);
	svc_apply("default", "after", 2);
	PUMP_UNTIL(sink.added == 2, 4000);
	cr_assert_str_eq(kube_watch_status(w), "ok");
	cr_assert_not(kube_watch_refused(w));
	cr_assert(state_matches(res_svc, 1));
}

Test(kube_watch, unauthorized_401_shows_in_status_retries_and_recovers)
{
	auth_failure_then_recovery("{\"revoke\":[\"%s\"]}", "{\"add\":[\"%s\"]}",
				   "unauthorized (401)", "WATCH /api/v1/services 401");
}

Test(kube_watch, forbidden_403_shows_in_status_retries_and_recovers)
{
	auth_failure_then_recovery("{\"forbid\":[\"%s\"]}", "{\"allow\":[\"%s\"]}",
				   "forbidden (403)", "WATCH /api/v1/services 403");
}

Test(kube_watch, api_server_restart_reconnects_and_relists)
{
	fx_start("kubeconfig", NULL);
	svc_apply("default", "a", 1);
	watch_start(res_svc, 2, &fast);
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	PUMP_UNTIL(stat_count("WATCH /api/v1/services") == 1, 3000);
	ctl0("POST", "/stop-api", "{\"how\":\"rst\"}");
	svc_apply("default", "while-down", 2);
	ctl0("DELETE", "/objects/services/default/a", NULL);
	pump_for(600);
	cr_assert(strstr(kube_watch_status(w), "cannot"), "status: %s", kube_watch_status(w));
	ctl0("POST", "/compact", "{}");
	ctl0("POST", "/start-api", "{}");
	PUMP_UNTIL(state_matches(res_svc, 2) && !strcmp(kube_watch_status(w), "ok"), 5000);
	cr_assert_null(json_object_object_get(sink.store, "Service/default/a"));
	/* and /restart, the one-step version */
	ctl0("POST", "/restart", "{\"down_seconds\":0.3}");
	svc_apply("default", "after-restart", 3);
	PUMP_UNTIL(json_object_object_get(sink.store, "Service/default/after-restart"), 5000);
	cr_assert(state_matches(res_svc, 2));
	cr_assert_eq(sink.bad, 0);
}

/*
 * Malformed JSON cannot come from the fixture (it serializes with json.dumps): a canned
 * plain-HTTP server in a thread answers, one connection at a time: a truncated list, then a
 * good one; a watch with a good event, an unknown type and then garbage; then a good watch.
 */
static int canned_fd = -1;
static int canned_lists, canned_watches;
static bool canned_unauthorized;	/* first, a 401 whose Status body is cut short */

static void canned_send(int c, const char *s)
{
	size_t off = 0, len = strlen(s);
	ssize_t n;

	while (off < len && (n = send(c, s + off, len - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
}

static void canned_chunk(int c, const char *s)
{
	char hdr[32];

	snprintf(hdr, sizeof(hdr), "%zx\r\n", strlen(s));
	canned_send(c, hdr);
	canned_send(c, s);
	canned_send(c, "\r\n");
}

#define CANNED_SVC(type, name, rv) "{\"type\":\"" type "\",\"object\":{\"kind\":\"Service\"," \
	"\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"," \
	"\"resourceVersion\":\"" rv "\"}}}\n"

static void *canned_serve(void *arg)
{
	static const char good_list[] = "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":"
		"{\"resourceVersion\":\"5\"},\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":"
		"\"default\",\"resourceVersion\":\"4\"}}]}";
	char req[4096], hdr[256];
	ssize_t n;
	int c;

	(void)arg;
	while ((c = accept(canned_fd, NULL, NULL)) >= 0) {
		n = recv(c, req, sizeof(req) - 1, 0);
		req[n > 0 ? n : 0] = '\0';
		if (!strstr(req, "watch=1") && canned_unauthorized) {
			static const char cut[] = "{\"kind\":\"Status\",\"code\":40";

			canned_unauthorized = false;
			snprintf(hdr, sizeof(hdr), "HTTP/1.1 401 Unauthorized\r\nContent-Type: "
				 "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
				 strlen(cut));
			canned_send(c, hdr);
			canned_send(c, cut);
			close(c);
			continue;
		}
		if (!strstr(req, "watch=1")) {
			const char *body = canned_lists++ ? good_list : "{\"kind\":\"ServiceList\",\"items\":[{]";

			snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(body));
			canned_send(c, hdr);
			canned_send(c, body);
			close(c);
			continue;
		}
		canned_send(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
		if (canned_watches++ == 0) {
			canned_chunk(c, CANNED_SVC("ADDED", "b", "6") "{\"type\":\"SURPRISE\",\"object\":{}}\n");
			canned_chunk(c, "{\"type\":\"ADDED\",\"object\":{\"kind\":");
			canned_chunk(c, "]]]\n");
		} else {
			canned_chunk(c, CANNED_SVC("MODIFIED", "b", "7"));
		}
		while (recv(c, req, sizeof(req), 0) > 0)	/* until the client hangs up */
			;
		close(c);
	}
	return NULL;
}

static void canned_stop(void)
{
	if (canned_fd >= 0)
		shutdown(canned_fd, SHUT_RDWR);
	fx_stop();
}

static const struct kube_resource only_svc[] = { { "/api/v1/services", "Service" } };

/* The canned server on a loopback port, and a watch of only_svc against it. */
static void canned_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char url[64];
	pthread_t t;

	canned_fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(canned_fd, 0);
	cr_assert_eq(bind(canned_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(canned_fd, 8), 0);
	cr_assert_eq(getsockname(canned_fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	cfg.server = strdup(url);
	sink.store = json_object_new_object();
	cr_assert_eq(pthread_create(&t, NULL, canned_serve, NULL), 0);
	pthread_detach(t);
	watch_start(only_svc, 1, &fast);
}

Test(kube_watch, malformed_json_in_list_and_watch_is_survived, .fini = canned_stop)
{
	canned_start();
	PUMP_UNTIL(kube_watch_synced(w), 3000);
	cr_assert_eq(canned_lists, 2, "the truncated list was listed again");
	cr_assert_eq(sink.begins, 1, "nothing was delivered from the truncated list");
	PUMP_UNTIL(sink.modified == 1, 3000);
	cr_assert_eq(sink.added, 2);
	cr_assert_eq(canned_watches, 2, "the garbage ended the first watch");
	cr_assert_str_eq(kube_watch_resource_version(w, 0), "7");
	cr_assert_eq(sink.bad, 0);
}

/* An error response whose body is cut short is judged by its status code, not as malformed
 * JSON: the 401 shows in the status, and the list goes on once the server lets it. */
Test(kube_watch, error_response_with_a_cut_body_is_judged_by_its_status, .fini = canned_stop)
{
	canned_unauthorized = true;
	canned_start();
	PUMP_UNTIL(kube_watch_refused(w), 3000);
	cr_assert_not_null(strstr(kube_watch_status(w), "unauthorized (401)"), "%s",
			   kube_watch_status(w));
	PUMP_UNTIL(kube_watch_synced(w), 5000);
	cr_assert_eq(sink.added, 1);
}
