// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/publish: the daemon's share of DNS programming latency, without the network.
 *
 *   publish [-n changes] objects.json
 *
 * Loads the objects (bench/gen-objects.py: 10,000 services, 100,000 endpoints) into a zone,
 * publishes it into real, unpinned maps of the loaded XDP program (as the daemon does at its
 * first sync), then applies n changes the way watch events arrive, one at a time, each
 * followed by exactly what the daemon does after an event (zone_build() + publish_zone()):
 *   - every 2nd: a Service's ClusterIP moves (new A record, new PTR, old PTR gone)
 *   - every 2nd: one endpoint of an EndpointSlice flips ready/not ready (A, SRV, PTR)
 * The services changed are spread over the whole zone (a prime stride). Prints the time of
 * the event's application (zone_load_json), of zone_build, of publish_zone, and their sum,
 * as p50/p90/p99/max over the changes, and the map entries written and deleted per change.
 * One thread, CLOCK_MONOTONIC. The JSON parse of the event is not timed (the daemon's
 * tokener parses it as bytes arrive, before the event is applied).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "loader/loader.h"
#include "xdpdns.skel.h"
#include "maps/writer.h"
#include "userspace/zone/publish.h"
#include "userspace/zone/zone.h"

enum { T_APPLY, T_BUILD, T_PUBLISH, T_TOTAL, T_COUNT };
static const char *const t_names[T_COUNT] = { "apply event (zone_load_json)", "zone_build",
					      "publish_zone", "event to maps, total" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* The items of kind in the list, in order. */
static size_t items_of(struct json_object *items, const char *kind, struct json_object ***out)
{
	size_t n = json_object_array_length(items), k = 0;

	*out = calloc(n, sizeof(**out));
	for (size_t i = 0; *out && i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		if (!strcmp(json_object_get_string(json_object_object_get(it, "kind")), kind))
			(*out)[k++] = it;
	}
	return k;
}

/* A Service with another ClusterIP (from 10.111.0.0/16, unused by gen-objects.py). */
static void service_move(struct json_object *svc, unsigned int i)
{
	struct json_object *spec = json_object_object_get(svc, "spec"), *ips;
	char ip[32];

	snprintf(ip, sizeof(ip), "10.111.%u.%u", (i >> 8) & 0xff, i & 0xff);
	json_object_object_add(spec, "clusterIP", json_object_new_string(ip));
	ips = json_object_new_array();
	json_object_array_add(ips, json_object_new_string(ip));
	json_object_object_add(spec, "clusterIPs", ips);
}

/* An EndpointSlice with its first endpoint's readiness flipped. */
static void slice_flip(struct json_object *sl)
{
	struct json_object *eps = json_object_object_get(sl, "endpoints"), *ep, *cond, *ready;

	if (!eps || !json_object_array_length(eps))
		return;
	ep = json_object_array_get_idx(eps, 0);
	if (!json_object_object_get_ex(ep, "conditions", &cond)) {
		cond = json_object_new_object();
		json_object_object_add(ep, "conditions", cond);
	}
	ready = json_object_object_get(cond, "ready");
	json_object_object_add(cond, "ready",
			       json_object_new_boolean(ready && !json_object_get_boolean(ready)));
}

int main(int argc, char **argv)
{
	static const char *const reverse[] = { "in-addr.arpa", "ip6.arpa", NULL };
	static const uint8_t listen4[1][4] = { { 198, 18, 0, 1 } };
	const struct zone_config zc = {
		.zone = "cluster.local",
		.ttl = 30,
		.pods = ZONE_PODS_INSECURE,
		.reverse_zones = reverse,
		.listen_v4 = listen4,
		.n_v4 = 1,
	};
	struct json_object *list, *items, **svcs = NULL, **slices = NULL;
	struct map_writer_stats st;
	unsigned long written = 0, deleted = 0, failed = 0;
	unsigned int changes = 1000;
	double *t[T_COUNT] = { 0 }, t0;
	size_t n_svc, n_sl;
	struct xdpdns_maps maps;
	struct publish *p = NULL;
	struct xdpdns *skel;
	struct zone *z = NULL;
	int c, err = 1;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			goto usage;
		changes = (unsigned int)strtoul(optarg, NULL, 10);
	}
	if (optind + 1 != argc || !changes) {
usage:
		fprintf(stderr, "usage: publish [-n changes] objects.json\n");
		return 2;
	}
	list = json_object_from_file(argv[optind]);
	if (!list || !json_object_object_get_ex(list, "items", &items)) {
		fprintf(stderr, "publish: %s: not a List\n", argv[optind]);
		return 1;
	}
	n_svc = items_of(items, "Service", &svcs);
	n_sl = items_of(items, "EndpointSlice", &slices);
	for (int i = 0; i < T_COUNT; i++)
		t[i] = calloc(changes, sizeof(double));
	if (!n_svc || !n_sl || !t[T_COUNT - 1]) {
		fprintf(stderr, "publish: no Services or EndpointSlices, or out of memory\n");
		goto out_free;
	}
	skel = loader_load_unpinned(&maps);
	if (!skel) {
		fprintf(stderr, "publish: load xdpdns: %s\n", strerror(errno));
		goto out_free;
	}
	z = zone_new(&zc);
	p = publish_new(&maps, NULL, NULL);
	if (!z || !p || zone_load_json(z, list) || zone_build(z)) {
		fprintf(stderr, "publish: zone: %s\n", strerror(errno));
		goto out_destroy;
	}
	t0 = now();
	if (publish_zone(p, z, &st)) {
		fprintf(stderr, "publish: first publish failed\n");
		goto out_destroy;
	}
	printf("zone: %u objects, %u names, %u entries; first publish %.3f s (%lu written)\n",
	       zone_objects(z), zone_names(z), zone_entries(z), now() - t0, st.inserted);

	for (unsigned int i = 0; i < changes; i++) {
		struct json_object *o;
		double a, b, d, e;

		/* a prime stride walks the whole zone; each item keeps its changes */
		o = i % 2 ? slices[(i * 7919u) % n_sl] : svcs[(i * 7919u) % n_svc];
		if (i % 2)
			slice_flip(o);
		else
			service_move(o, i);
		a = now();
		if (zone_load_json(z, o)) {
			fprintf(stderr, "publish: change %u not applied\n", i);
			goto out_destroy;
		}
		b = now();
		err = zone_build(z);
		d = now();
		if (!err)
			err = publish_zone(p, z, &st);
		e = now();
		if (err) {
			fprintf(stderr, "publish: change %u: %s\n", i, strerror(-err));
			goto out_destroy;
		}
		written += st.updated + st.inserted;
		deleted += st.deleted;
		failed += st.failed;
		t[T_APPLY][i] = (b - a) * 1e3;
		t[T_BUILD][i] = (d - b) * 1e3;
		t[T_PUBLISH][i] = (e - d) * 1e3;
		t[T_TOTAL][i] = (e - a) * 1e3;
	}
	printf("%u changes (ClusterIP moves and endpoint readiness flips, alternating)\n",
	       changes);
	printf("%-30s %9s %9s %9s %9s  (ms)\n", "", "p50", "p90", "p99", "max");
	for (int k = 0; k < T_COUNT; k++) {
		qsort(t[k], changes, sizeof(double), dcmp);
		printf("%-30s %9.3f %9.3f %9.3f %9.3f\n", t_names[k], pct(t[k], changes, 0.5),
		       pct(t[k], changes, 0.9), pct(t[k], changes, 0.99), t[k][changes - 1]);
	}
	printf("map entries per change: %.1f written, %.1f deleted (%lu failed in all)\n",
	       (double)written / changes, (double)deleted / changes, failed);
	err = failed ? 1 : 0;

out_destroy:
	publish_free(p);
	zone_free(z);
	xdpdns__destroy(skel);
out_free:
	for (int i = 0; i < T_COUNT; i++)
		free(t[i]);
	free(svcs);
	free(slices);
	json_object_put(list);
	return err ? 1 : 0;
}
