// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * zone: loading robustness (malformed objects skipped and counted), zone_project()
 * consistency with zone_answer(), the zone table, config validation, object replacement,
 * the demo objects file and the 10k services / 100k endpoints scale target.
 */
#include <fcntl.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "zone_helpers.h"

#define CL "cluster.local"

static const char *const rz10[] = { "10.in-addr.arpa", NULL };

/* ---- robustness ---- */

Test(zone_load, malformed_objects_skipped_and_counted)
{
	struct zone *z = zone_make(ZONE_PODS_VERIFIED, rz10, 5);
	char long_label[80];

	/* 19 unusable objects, each skipped with a reason; 4 good ones in between */
	static const char list[] =
		"{'kind':'List','apiVersion':'v1','items':["
		"42," /* 1 */
		"null," /* 2 */
		"{'metadata':{'name':'x','namespace':'n'}}," /* 3 no kind */
		"{'kind':'Deployment','metadata':{'name':'d','namespace':'n'}}," /* 4 */
		"{'kind':'Service','apiVersion':'v2','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.0.1'}}," /* 5 */
		"{'kind':'Service','apiVersion':'v1','spec':{'clusterIP':'10.96.0.1'}}," /* 6 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s'},"
		" 'spec':{'clusterIP':'10.96.0.1'}}," /* 7 no ns */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'}},"
		"" /* 8 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'a.b','namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.0.1'}}," /* 9 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'clusterIP':'bogus'}}," /* 10 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'type':'ExternalName','externalName':'bad..name'}}," /* 11 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'type':'ExternalName'}}," /* 12 */
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		" 'metadata':{'name':'e','namespace':'n'},'addressType':'IPv4'}," /* 13 no label */
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1','metadata':{'name':'e',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'s'}},"
		"'addressType':'FQDN',"
		" 'endpoints':[{'addresses':['a.example']}]}," /* 14 */
		"{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'Bad_NS'}}," /* 15 */
		"{'kind':'Pod','apiVersion':'v1','metadata':{'name':'p','namespace':7}}," /* 16 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'LONGLABEL',"
		"'namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.0.1'}}," /* 17 */
		"{'kind':'Service','apiVersion':'v1','metadata':'oops'}," /* 18 */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'type':'Weird','clusterIP':'10.96.0.1'}}," /* 19 */
		/* good objects with bad fields: kept, the fields dropped */
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'good','namespace':'n'},"
		" 'spec':{'clusterIPs':['10.96.0.9','nonsense',7],'ports':[{'name':'http',"
		"'port':80},"
		"  {'name':'bad','port':70000},{'name':'x','port':'80'},{'name':'p','port':81,"
		"  'protocol':'ICMP'},{'name':'has.dot','port':82},null]}},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'h-1',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'hl'}},"
		"'addressType':'IPv4',"
		" 'endpoints':[{'addresses':['10.0.0.1','fd00::1','300.1.1.1',null],'hostname':"
		"  'LONGLABEL'},{'addresses':['10.0.0.2'],'conditions':{'ready':'yes'}},"
		"  {'addresses':'10.0.0.3'},7,{'addresses':['10.0.0.4'],'conditions':null}],"
		" 'ports':[{'name':'http','port':null,'protocol':'TCP'},{'name':null,"
		"'port':8080}]},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'h-2',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'hl'}},"
		"'addressType':'IPv4',"
		" 'endpoints':null,'ports':null},"
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'hl','namespace':'n'},"
		" 'spec':{'clusterIP':'None'}}"
		"]}";
	char *json = malloc(sizeof(list) + 200);

	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	strcpy(json, list);
	/* LONGLABEL -> a 64-byte label, in a name and in a hostname */
	for (char *p; (p = strstr(json, "LONGLABEL"));) {
		memmove(p + 64, p + 9, strlen(p + 9) + 1);
		memcpy(p, long_label, 64);
	}
	cr_assert_eq(zone_load_sq(z, json), 0);
	free(json);
	cr_assert_eq(zone_skipped(z), 19);
	cr_assert_eq(zone_objects(z), 4);
	cr_assert_eq(zone_build(z), 0);

	expect_answer(z, "good.n.svc." CL, A, RRS("good.n.svc." CL ". 5 IN A 10.96.0.9"));
	/* the port with a dotted name serves only the bare name; 70000, "80", ICMP dropped */
	expect_answer(z, "good.n.svc." CL, SRV,
		      RRS("good.n.svc." CL ". 5 IN SRV 0 50 80 good.n.svc." CL ".",
			  "good.n.svc." CL ". 5 IN SRV 0 50 82 good.n.svc." CL "."));
	expect_nxdomain(z, "_bad._tcp.good.n.svc." CL, SRV, CL);
	/* 10.0.0.1 with its over-long hostname dropped -> dashed name; fd00::1 is not IPv4;
	 * ready:'yes' drops the endpoint; conditions:null is ready */
	expect_answer(z, "hl.n.svc." CL, A,
		      RRS("hl.n.svc." CL ". 5 IN A 10.0.0.1", "hl.n.svc." CL ". 5 IN A 10.0.0.4"));
	expect_nodata(z, "hl.n.svc." CL, AAAA, CL);
	expect_answer(z, "10-0-0-1.hl.n.svc." CL, A,
		      RRS("10-0-0-1.hl.n.svc." CL ". 5 IN A 10.0.0.1"));
	/* the http port without number gives no SRV; the unnamed 8080 serves the bare name */
	expect_nxdomain(z, "_http._tcp.hl.n.svc." CL, SRV, CL);
	expect_answer(z, "hl.n.svc." CL, SRV,
		      RRS("hl.n.svc." CL ". 5 IN SRV 0 50 8080 10-0-0-1.hl.n.svc." CL ".",
			  "hl.n.svc." CL ". 5 IN SRV 0 50 8080 10-0-0-4.hl.n.svc." CL "."));
	zone_free(z);
}

Test(zone_load, not_json_or_unreadable)
{
	struct zone *z = zone_make(ZONE_PODS_DISABLED, NULL, 5);
	char path[] = "/tmp/xdpdns-test-zone-XXXXXX";
	struct json_object *arr = json_object_new_array();
	int fd;

	cr_assert_eq(zone_load_file(z, "/nonexistent/objects.json"), -ENOENT);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"kind\": \"List\", \"items\": [", 27), 27);
	close(fd);
	cr_assert_eq(zone_load_file(z, path), -EBADMSG);
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "not json at all", 15), 15);
	close(fd);
	cr_assert_eq(zone_load_file(z, path), -EBADMSG);
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "[1, 2]", 6), 6);
	close(fd);
	cr_assert_eq(zone_load_file(z, path), -EINVAL);
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "{\"kind\": \"List\", \"items\": null}", 31), 31);
	close(fd);
	cr_assert_eq(zone_load_file(z, path), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "{\"kind\": \"List\"} {}", 19), 19);
	close(fd);
	cr_assert_eq(zone_load_file(z, path), -EBADMSG);
	unlink(path);
	cr_assert_eq(zone_load_file(z, "/tmp"), -EINVAL);
	cr_assert_eq(zone_load_json(z, arr), -EINVAL);
	cr_assert_eq(zone_load_json(z, NULL), -EINVAL);
	cr_assert_eq(zone_load_sq(z, "{'kind':'List','items':{}}"), 0);
	cr_assert_eq(zone_skipped(z), 1);
	cr_assert_eq(zone_objects(z), 0);
	json_object_put(arr);
	zone_free(z);
}

Test(zone_load, typed_list_items_without_kind)
{
	struct zone *z = zone_make(ZONE_PODS_DISABLED, NULL, 5);

	cr_assert_eq(zone_load_sq(z, "{'kind':'ServiceList','apiVersion':'v1','items':["
				     "{'metadata':{'name':'s','namespace':'n'},"
				     " 'spec':{'clusterIP':'10.96.0.3'}}]}"),
		     0);
	cr_assert_eq(zone_skipped(z), 0);
	cr_assert_eq(zone_build(z), 0);
	expect_answer(z, "s.n.svc." CL, A, RRS("s.n.svc." CL ". 5 IN A 10.96.0.3"));
	zone_free(z);
}

/* Write text to a new temporary file; its path in path[] (PATH_MAX). */
static void temp_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/xdpdns-test-zone-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * Files stream in (util/jstream), one item at a time: a typed list's kind may come before or
 * after its items (kubectl prints "items" first, the API "kind" first); items without a kind
 * of their own wait for it. Items that carry their kind load at once, whatever the order.
 */
Test(zone_load, files_stream_whatever_the_key_order)
{
	static const char *const texts[] = {
		"{\"kind\":\"ServiceList\",\"items\":[{\"metadata\":{\"name\":\"s\","
		"\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"10.96.0.3\"}}]}",
		"{\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"s\","
		"\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"10.96.0.3\"}}],"
		"\"kind\":\"ServiceList\",\"metadata\":{}}",
		"{\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"Service\",\"metadata\":"
		"{\"name\":\"s\",\"namespace\":\"n\"},\"spec\":{\"clusterIP\":"
		"\"10.96.0.3\"}}],\"kind\":\"List\",\"metadata\":{}}",
		"{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},"
		"\"spec\":{\"clusterIP\":\"10.96.0.3\"}}",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct zone *z = zone_make(ZONE_PODS_DISABLED, NULL, 5);
		char path[64];

		temp_file(path, texts[i]);
		cr_assert_eq(zone_load_file(z, path), 0, "%s", texts[i]);
		unlink(path);
		cr_assert_eq(zone_objects(z), 1, "%s", texts[i]);
		cr_assert_eq(zone_skipped(z), 0, "%s", texts[i]);
		cr_assert_eq(zone_build(z), 0);
		expect_answer(z, "s.n.svc." CL, A, RRS("s.n.svc." CL ". 5 IN A 10.96.0.3"));
		zone_free(z);
	}
}

Test(zone_load, replace_and_delete_objects)
{
	struct zone *z = zone_make(ZONE_PODS_DISABLED, NULL, 5);

	cr_assert_eq(zone_load_sq(z, "{'kind':'Service','apiVersion':'v1','metadata':{'name':'s',"
				     "'namespace':'n'},'spec':{'clusterIP':'10.96.0.3'}}"), 0);
	cr_assert_eq(zone_load_sq(z, "{'kind':'Service','apiVersion':'v1','metadata':{'name':'S',"
				     "'namespace':'N'},'spec':{'clusterIP':'10.96.0.4'}}"), 0);
	cr_assert_eq(zone_objects(z), 1);
	cr_assert_eq(zone_build(z), 0);
	expect_answer(z, "s.n.svc." CL, A, RRS("s.n.svc." CL ". 5 IN A 10.96.0.4"));
	cr_assert_eq(zone_delete(z, "Service", "n", "s"), 0);
	cr_assert_eq(zone_delete(z, "Service", "n", "s"), -ENOENT);
	cr_assert_eq(zone_delete(z, "Gadget", "n", "s"), -ENOENT);
	cr_assert_eq(zone_objects(z), 0);
	/* the records stay until the next build */
	expect_answer(z, "s.n.svc." CL, A, RRS("s.n.svc." CL ". 5 IN A 10.96.0.4"));
	cr_assert_eq(zone_build(z), 0);
	expect_nxdomain(z, "s.n.svc." CL, A, CL);
	expect_nxdomain(z, "n.svc." CL, A, CL);
	zone_free(z);
}

/* A relist: begin, replace and mark what the list has, sweep the rest of that kind only. */
Test(zone_load, sweep_after_relist)
{
	struct zone *z = zone_make(ZONE_PODS_DISABLED, NULL, 5);

	cr_assert_eq(zone_load_sq(z, "{'kind':'List','items':["
				     "{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'n'}},"
				     "{'kind':'Service','apiVersion':'v1','metadata':{'name':'a',"
				     " 'namespace':'n'},'spec':{'clusterIP':'10.96.0.1'}},"
				     "{'kind':'Service','apiVersion':'v1','metadata':{'name':'b',"
				     " 'namespace':'n'},'spec':{'clusterIP':'10.96.0.2'}},"
				     "{'kind':'Service','apiVersion':'v1','metadata':{'name':'c',"
				     " 'namespace':'n'},'spec':{'clusterIP':'10.96.0.3'}}]}"), 0);
	cr_assert_eq(zone_objects(z), 4);
	cr_assert_eq(zone_sweep_begin(z, "Gadget"), -ENOENT);
	cr_assert_eq(zone_sweep(z, "Gadget"), -ENOENT);

	/* a first list marks a and c, then restarts: the marks are forgotten */
	cr_assert_eq(zone_sweep_begin(z, "Service"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "a"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "N", "C"), 0);
	cr_assert_eq(zone_sweep_begin(z, "Service"), 0);
	/* the restarted list: a replaced (new address), b as it was, d new; c is gone */
	cr_assert_eq(zone_load_sq(z, "{'kind':'ServiceList','items':["
				     "{'metadata':{'name':'a','namespace':'n'},"
				     " 'spec':{'clusterIP':'10.96.0.11'}},"
				     "{'metadata':{'name':'b','namespace':'n'},"
				     " 'spec':{'clusterIP':'10.96.0.2'}},"
				     "{'metadata':{'name':'d','namespace':'n'},"
				     " 'spec':{'clusterIP':'10.96.0.4'}}]}"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "a"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "b"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "d"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "e"), -ENOENT);
	cr_assert_eq(zone_sweep(z, "Service"), 1);
	cr_assert_eq(zone_objects(z), 4, "the Namespace stays: another kind");
	cr_assert_eq(zone_build(z), 0);
	expect_answer(z, "a.n.svc." CL, A, RRS("a.n.svc." CL ". 5 IN A 10.96.0.11"));
	expect_answer(z, "b.n.svc." CL, A, RRS("b.n.svc." CL ". 5 IN A 10.96.0.2"));
	expect_nxdomain(z, "c.n.svc." CL, A, CL);
	expect_answer(z, "d.n.svc." CL, A, RRS("d.n.svc." CL ". 5 IN A 10.96.0.4"));

	/* a later relist that lists nothing sweeps every Service; replaced objects start
	 * unmarked */
	cr_assert_eq(zone_sweep_begin(z, "Service"), 0);
	cr_assert_eq(zone_mark_seen(z, "Service", "n", "a"), 0);
	cr_assert_eq(zone_load_sq(z, "{'kind':'Service','apiVersion':'v1','metadata':{'name':'a',"
				     "'namespace':'n'},'spec':{'clusterIP':'10.96.0.12'}}"), 0);
	cr_assert_eq(zone_sweep(z, "Service"), 3);
	cr_assert_eq(zone_sweep(z, "Service"), 0);
	cr_assert_eq(zone_objects(z), 1);
	zone_free(z);
}

/* ---- config ---- */

Test(zone_config, rejects_bad_fields)
{
	static const char *const bad_rz[] = { "in-addr..arpa", NULL };
	static const char *const dup_rz[] = { "cluster.local", NULL };
	static const char *const many_rz[] = { "1.in-addr.arpa", "2.in-addr.arpa", "3.in-addr.arpa",
		"4.in-addr.arpa", "5.in-addr.arpa", "6.in-addr.arpa", "7.in-addr.arpa", NULL };
	struct zone_config ok = { .zone = CL, .ttl = 5 }, c;
	struct zone *z;

	z = zone_new(&ok);
	cr_assert_not_null(z);
	zone_free(z);
	zone_free(NULL);
#define EXPECT_EINVAL(mod)                                                                        \
	do {                                                                                      \
		c = ok;                                                                           \
		mod;                                                                              \
		errno = 0;                                                                        \
		cr_assert_null(zone_new(&c), #mod);                                               \
		cr_assert_eq(errno, EINVAL, #mod);                                                \
	} while (0)
	EXPECT_EINVAL(c.ttl = 3601);
	EXPECT_EINVAL(c.zone = NULL);
	EXPECT_EINVAL(c.zone = "");
	EXPECT_EINVAL(c.zone = ".");
	EXPECT_EINVAL(c.zone = "cluster..local");
	EXPECT_EINVAL(c.zone = "clus ter.local");
	EXPECT_EINVAL(c.pods = (enum zone_pods_mode)7);
	EXPECT_EINVAL(c.reverse_zones = bad_rz);
	EXPECT_EINVAL(c.reverse_zones = dup_rz);
	EXPECT_EINVAL(c.n_v4 = XDPDNS_MAX_LISTEN + 1);
	EXPECT_EINVAL(c.n_v4 = 1);	/* without addresses */
	EXPECT_EINVAL((c.reverse_zones = many_rz, c.pods = ZONE_PODS_INSECURE));
	c = ok;
	c.reverse_zones = many_rz;	/* 7 + the cluster zone = 8: fits */
	z = zone_new(&c);
	cr_assert_not_null(z);
	zone_free(z);
}

/* ---- projection ---- */

struct entry {
	struct xdpdns_key_l key;
	struct xdpdns_answer val;
};

struct collect {
	struct entry *e;
	size_t n, cap;
	int stop_after;
};

static int collect_emit(void *ctx, const struct xdpdns_key_l *key, const struct xdpdns_answer *val)
{
	struct collect *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->e = realloc(c->e, c->cap * sizeof(*c->e));
		cr_assert_not_null(c->e);
	}
	c->e[c->n].key = *key;
	c->e[c->n].val = *val;
	c->n++;
	return c->stop_after && (int)c->n == c->stop_after ? -ECANCELED : 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xdpdns_key_l));
}

static struct zone *demo_zone(enum zone_pods_mode pods)
{
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	struct zone *z = zone_make(pods, rz10, 5);
	int len = (int)(slash - __FILE__);

	/* __FILE__ is tests/unit/<this file> as make compiles it; the demo sits at the root */
	snprintf(path, sizeof(path), "%.*s/../../deploy/examples/demo-objects.json", len, __FILE__);
	cr_assert_eq(zone_load_file(z, path), 0, "%s", path);
	cr_assert_eq(zone_build(z), 0);
	return z;
}

Test(zone_project, entries_match_zone_answer)
{
	struct zone *z = demo_zone(ZONE_PODS_VERIFIED);
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	struct collect c = { 0 }, c2 = { 0 };
	size_t names = 0, zone_soa = 0;
	int n_zones;

	n_zones = zone_project_zones(z, zones, XDPDNS_MAX_ZONES);
	cr_assert_gt(n_zones, 0);
	cr_assert_eq(zone_project(z, collect_emit, &c), 0);
	cr_assert_gt(c.n, 50);
	qsort(c.e, c.n, sizeof(*c.e), key_cmp);
	for (size_t i = 0; i < c.n; i++) {
		struct entry *e = &c.e[i];
		unsigned int nl = xdpdns_key_name_len(&e->key);
		struct xdpdns_answer a, sent;

		cr_assert_gt(nl, 0);
		for (size_t j = nl; j < sizeof(e->key.name); j++)
			cr_assert_eq(e->key.name[j], 0, "key zero-filled");
		if (i)
			cr_assert_neq(key_cmp(&c.e[i - 1], e), 0, "duplicate key");
		cr_assert_eq(zone_answer(z, e->key.name, nl, ntohs(e->key.qtype), &a), 0);
		/* what the fast path sends for the entry, with the table's SOA for NODATA */
		cr_assert_eq(xdpdns_answer_expand(&e->val, zones, (unsigned int)n_zones, nl,
						  &sent), 0);
		cr_assert_eq(memcmp(&a, &sent, sizeof(a)), 0, "emitted entry != zone_answer");
		cr_assert_eq(e->val.csum, xdpdns_csum_partial(e->val.data, e->val.len));
		if (e->val.flags & XDPDNS_ANS_ZONE_SOA) {
			/* a negative entry holds no SOA of its own */
			zone_soa++;
			cr_assert_eq(e->val.len, 0);
			cr_assert_eq(e->val.nscount, 1);
			cr_assert_eq(e->key.qtype, htons(XDPDNS_QTYPE_NAME));
		}
		if (e->key.qtype == htons(XDPDNS_QTYPE_NAME)) {
			names++;
			/* an existence entry is NODATA or PASS, never records */
			cr_assert_eq(e->val.ancount, 0);
			cr_assert_eq(e->val.rcode, 0);
		} else {
			/* every (name, type) entry has its name's existence entry */
			struct xdpdns_key_l k = e->key;

			k.qtype = htons(XDPDNS_QTYPE_NAME);
			cr_assert_not_null(bsearch(&k, c.e, c.n, sizeof(*c.e), key_cmp));
			cr_assert(e->val.ancount > 0 || (e->val.flags & XDPDNS_ANS_PASS));
		}
	}
	cr_assert_eq(names, zone_names(z));
	cr_assert_eq(c.n, zone_entries(z));
	cr_assert_gt(zone_soa, names / 2, "NODATA entries carry XDPDNS_ANS_ZONE_SOA");

	/* a rebuild from the same objects projects the same bytes */
	cr_assert_eq(zone_build(z), 0);
	cr_assert_eq(zone_project(z, collect_emit, &c2), 0);
	cr_assert_eq(c2.n, c.n);
	qsort(c2.e, c2.n, sizeof(*c2.e), key_cmp);
	cr_assert_eq(memcmp(c.e, c2.e, c.n * sizeof(*c.e)), 0);

	/* emit's error stops the walk */
	free(c2.e);
	c2 = (struct collect){ .stop_after = 3 };
	cr_assert_eq(zone_project(z, collect_emit, &c2), -ECANCELED);
	cr_assert_eq(c2.n, 3);
	free(c2.e);
	free(c.e);
	zone_free(z);
}

/* A new serial changes the zone table and the apex SOA answers, no other entry. */
Test(zone_project, serial_moves_only_the_soa_entries)
{
	struct zone *z = demo_zone(ZONE_PODS_VERIFIED);
	struct xdpdns_zone t1[XDPDNS_MAX_ZONES], t2[XDPDNS_MAX_ZONES];
	struct collect c = { 0 }, c2 = { 0 };
	size_t changed = 0;
	int n;

	n = zone_project_zones(z, t1, XDPDNS_MAX_ZONES);
	cr_assert_eq(zone_project(z, collect_emit, &c), 0);
	zone_serial_set(z, zone_serial(z) + 1);
	cr_assert_eq(zone_project_zones(z, t2, XDPDNS_MAX_ZONES), n);
	cr_assert_eq(zone_project(z, collect_emit, &c2), 0);
	cr_assert_eq(c.n, c2.n);
	for (int i = 0; i < n; i++)
		cr_assert_neq(memcmp(t1[i].soa, t2[i].soa, XDPDNS_SOA_LEN), 0, "zone %d", i);
	qsort(c.e, c.n, sizeof(*c.e), key_cmp);
	qsort(c2.e, c2.n, sizeof(*c2.e), key_cmp);
	for (size_t i = 0; i < c.n; i++) {
		if (!memcmp(&c.e[i], &c2.e[i], sizeof(c.e[i])))
			continue;
		changed++;
		cr_assert_eq(c.e[i].key.qtype, htons(DNS_TYPE_SOA), "only SOA answers change");
	}
	cr_assert_eq(changed, 2, "the SOA answers of the two authoritative apexes");
	free(c.e);
	free(c2.e);
	zone_free(z);
}

Test(zone_project, zone_table)
{
	struct zone *z = demo_zone(ZONE_PODS_INSECURE);
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	uint8_t soa[XDPDNS_SOA_LEN];
	struct xdpdns_answer a;
	uint8_t qn[DNS_NAME_MAX];
	size_t ql = qwire(qn, CL);
	int n;

	cr_assert_eq(zone_project_zones(z, zones, 2), -ENOSPC);
	n = zone_project_zones(z, zones, XDPDNS_MAX_ZONES);
	cr_assert_eq(n, 3);
	for (int i = 1; i < n; i++)
		cr_assert_geq(zones[i - 1].name_len, zones[i].name_len, "longest first");
	cr_assert_eq(zones[2].name_len, 15);
	cr_assert_eq(memcmp(zones[2].name, "\x07" "cluster" "\x05" "local", 15), 0);
	cr_assert_eq(zones[2].action, XDPDNS_ZONE_AUTH);
	cr_assert_eq(zones[2].pad, 0);
	cr_assert_eq(zones[2].pad2, 0);

	/* soa[] is the NXDOMAIN SOA of an apex query with the three pointers zeroed */
	cr_assert_eq(zone_answer(z, qn, ql, DNS_TYPE_SOA, &a), 0);
	cr_assert_eq(a.len, XDPDNS_SOA_LEN);
	memcpy(soa, a.data, sizeof(soa));
	soa[XDPDNS_SOA_PTR_OWNER] = soa[XDPDNS_SOA_PTR_OWNER + 1] = 0;
	soa[XDPDNS_SOA_PTR_MNAME] = soa[XDPDNS_SOA_PTR_MNAME + 1] = 0;
	soa[XDPDNS_SOA_PTR_RNAME] = soa[XDPDNS_SOA_PTR_RNAME + 1] = 0;
	cr_assert_eq(memcmp(zones[2].soa, soa, XDPDNS_SOA_LEN), 0);
	cr_assert_eq(zones[2].soa[54], 0);
	cr_assert_eq(zones[2].soa_csum, xdpdns_csum_partial(soa, XDPDNS_SOA_LEN));
	zone_free(z);
}

/* ---- the demo file ---- */

Test(zone_demo, loads_cleanly_and_answers)
{
	struct zone *z = demo_zone(ZONE_PODS_VERIFIED);

	cr_assert_eq(zone_skipped(z), 0);
	cr_assert_eq(zone_objects(z), 28);
	expect_answer(z, "kube-dns.kube-system.svc." CL, A,
		      RRS("kube-dns.kube-system.svc." CL ". 5 IN A 10.96.0.10"));
	expect_answer(z, "kube-dns.kube-system.svc." CL, AAAA,
		      RRS("kube-dns.kube-system.svc." CL ". 5 IN AAAA fd00:10:96::a"));
	expect_answer(z, "kubernetes.default.svc." CL, A,
		      RRS("kubernetes.default.svc." CL ". 5 IN A 10.96.0.1"));
	expect_answer(z, "_https._tcp.kubernetes.default.svc." CL, DNS_TYPE_SRV,
		      RRS("_https._tcp.kubernetes.default.svc." CL
			  ". 5 IN SRV 0 100 443 kubernetes.default.svc." CL "."));
	expect_answer(z, "nginx.demo.svc." CL, A,
		      RRS("nginx.demo.svc." CL ". 5 IN A 10.244.1.20",
			  "nginx.demo.svc." CL ". 5 IN A 10.244.2.21"));
	expect_answer(z, "web-0.nginx.demo.svc." CL, A,
		      RRS("web-0.nginx.demo.svc." CL ". 5 IN A 10.244.1.20"));
	expect_nxdomain(z, "web-2.nginx.demo.svc." CL, A, CL);
	expect_answer(z, "cache-1.cache.demo.svc." CL, AAAA,
		      RRS("cache-1.cache.demo.svc." CL ". 5 IN AAAA fd00:10:244:2::1f"));
	expect_answer(z, "orders-db.demo.svc." CL, DNS_TYPE_CNAME,
		      RRS("orders-db.demo.svc." CL ". 5 IN CNAME orders-db.prod.example.com."));
	expect_answer(z, "10.0.96.10.in-addr.arpa", DNS_TYPE_PTR,
		      RRS("10.0.96.10.in-addr.arpa. 5 IN PTR kube-dns.kube-system.svc." CL "."));
	expect_answer(z, "10-244-1-10.demo.pod." CL, A,
		      RRS("10-244-1-10.demo.pod." CL ". 5 IN A 10.244.1.10"));
	expect_nxdomain(z, "google.com.demo.svc." CL, A, CL);
	zone_free(z);
}

/* ---- scale ---- */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int count_emit(void *ctx, const struct xdpdns_key_l *key, const struct xdpdns_answer *val)
{
	(void)key;
	(void)val;
	(*(size_t *)ctx)++;
	return 0;
}

/* 10,000 services (one in ten headless) with 100,000 endpoints in slices of 100, built
 * from json-c objects in memory; the build must stay well under the target of seconds. */
#define SCALE_SERVICES		10000
#define SCALE_EP_PER_SVC	10
#define SCALE_BUILD_MAX_S	3.0

Test(zone_scale, ten_thousand_services_hundred_thousand_endpoints, .timeout = 120)
{
	struct json_object *items = json_object_new_array(), *list = json_object_new_object();
	struct zone *z = zone_make(ZONE_PODS_DISABLED, rz10, 5);
	double t0, t1, t2;
	size_t n = 0;
	char buf[64];

	json_object_object_add(list, "kind", json_object_new_string("List"));
	json_object_object_add(list, "items", items);
	for (unsigned int s = 0; s < SCALE_SERVICES; s++) {
		struct json_object *svc = json_object_new_object(),
				   *meta = json_object_new_object();
		struct json_object *spec = json_object_new_object(),
				   *ports = json_object_new_array();
		struct json_object *sl = json_object_new_object(),
				   *smeta = json_object_new_object();
		struct json_object *labels = json_object_new_object(),
				   *eps = json_object_new_array();
		struct json_object *port = json_object_new_object();
		bool headless = s % 10 == 9;

		snprintf(buf, sizeof(buf), "svc-%05u", s);
		json_object_object_add(meta, "name", json_object_new_string(buf));
		json_object_object_add(meta, "namespace", json_object_new_string("ns"));
		json_object_object_add(svc, "kind", json_object_new_string("Service"));
		json_object_object_add(svc, "metadata", meta);
		snprintf(buf, sizeof(buf), "10.96.%u.%u", (s + 1) / 256, (s + 1) % 256);
		json_object_object_add(spec, "clusterIP",
				       json_object_new_string(headless ? "None" : buf));
		json_object_object_add(port, "name", json_object_new_string("http"));
		json_object_object_add(port, "port", json_object_new_int(80));
		json_object_array_add(ports, port);
		json_object_object_add(spec, "ports", ports);
		json_object_object_add(svc, "spec", spec);
		json_object_array_add(items, svc);

		snprintf(buf, sizeof(buf), "svc-%05u-1", s);
		json_object_object_add(smeta, "name", json_object_new_string(buf));
		json_object_object_add(smeta, "namespace", json_object_new_string("ns"));
		snprintf(buf, sizeof(buf), "svc-%05u", s);
		json_object_object_add(labels, "kubernetes.io/service-name",
				       json_object_new_string(buf));
		json_object_object_add(smeta, "labels", labels);
		json_object_object_add(sl, "kind", json_object_new_string("EndpointSlice"));
		json_object_object_add(sl, "metadata", smeta);
		json_object_object_add(sl, "addressType", json_object_new_string("IPv4"));
		for (unsigned int e = 0; e < SCALE_EP_PER_SVC; e++) {
			struct json_object *ep = json_object_new_object(),
					   *addrs = json_object_new_array();
			unsigned int i = s * SCALE_EP_PER_SVC + e + 1;

			snprintf(buf, sizeof(buf), "10.%u.%u.%u", 128 + (i >> 16), (i >> 8) & 0xff,
				 i & 0xff);
			json_object_array_add(addrs, json_object_new_string(buf));
			json_object_object_add(ep, "addresses", addrs);
			if (headless) {
				snprintf(buf, sizeof(buf), "pod-%u", e);
				json_object_object_add(ep, "hostname", json_object_new_string(buf));
			}
			json_object_array_add(eps, ep);
		}
		json_object_object_add(sl, "endpoints", eps);
		port = json_object_new_object();
		json_object_object_add(port, "name", json_object_new_string("http"));
		json_object_object_add(port, "port", json_object_new_int(8080));
		ports = json_object_new_array();
		json_object_array_add(ports, port);
		json_object_object_add(sl, "ports", ports);
		json_object_array_add(items, sl);
	}
	t0 = now_s();
	cr_assert_eq(zone_load_json(z, list), 0);
	t1 = now_s();
	cr_assert_eq(zone_build(z), 0);
	t2 = now_s();
	json_object_put(list);
	cr_assert_eq(zone_skipped(z), 0);
	cr_assert_eq(zone_objects(z), 2 * SCALE_SERVICES);
	cr_assert_eq(zone_project(z, count_emit, &n), 0);
	cr_assert_eq(n, zone_entries(z));
	cr_log_info("load %.3f s, build %.3f s: %u names, %zu map entries", t1 - t0, t2 - t1,
		    zone_names(z), n);
	cr_assert_lt(t2 - t1, SCALE_BUILD_MAX_S, "build took %.3f s", t2 - t1);
	/* 9000 ClusterIPs + 100k endpoints: names and PTRs */
	cr_assert_gt(zone_names(z), 2 * SCALE_SERVICES * SCALE_EP_PER_SVC);
	expect_answer(z, "pod-3.svc-00009.ns.svc." CL, DNS_TYPE_A,
		      RRS("pod-3.svc-00009.ns.svc." CL ". 5 IN A 10.128.0.94"));
	zone_free(z);
}

/* ---- incremental builds ---- */

/* The maps as zone_project_changes() keeps them: a set of entries. */
static struct entry *mirror_find(struct collect *m, const struct xdpdns_key_l *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!memcmp(&m->e[i].key, key, sizeof(*key)))
			return &m->e[i];
	return NULL;
}

static int mirror_emit(void *ctx, const struct xdpdns_key_l *key, const struct xdpdns_answer *val)
{
	struct collect *m = ctx;
	struct entry *e = mirror_find(m, key);

	if (e) {
		e->val = *val;
		return 0;
	}
	return collect_emit(ctx, key, val);
}

static int mirror_remove(void *ctx, const struct xdpdns_key_l *key)
{
	struct collect *m = ctx;
	struct entry *e = mirror_find(m, key);

	if (e)
		*e = m->e[--m->n];
	return 0;
}

/* Change an object the way the API would: a new address, an endpoint (not) ready. */
static struct json_object *mutate(struct json_object *item, unsigned int r)
{
	struct json_object *o = NULL, *spec, *v, *eps;
	const char *kind;
	char ip[32];

	cr_assert_eq(json_object_deep_copy(item, &o, NULL), 0);
	kind = json_object_get_string(json_object_object_get(o, "kind"));
	snprintf(ip, sizeof(ip), "10.96.%u.%u", r % 3, 1 + r % 250);
	if (!strcmp(kind, "Service") && json_object_object_get_ex(o, "spec", &spec) &&
	    json_object_object_get_ex(spec, "clusterIP", &v) &&
	    strchr(json_object_get_string(v), '.')) {
		json_object_object_add(spec, "clusterIP", json_object_new_string(ip));
		json_object_object_del(spec, "clusterIPs");
	} else if (!strcmp(kind, "EndpointSlice") && json_object_object_get_ex(o, "endpoints", &eps) &&
		   json_object_is_type(eps, json_type_array) && json_object_array_length(eps)) {
		struct json_object *ep = json_object_array_get_idx(eps, r % json_object_array_length(eps));
		struct json_object *cond = json_object_new_object();

		json_object_object_add(cond, "ready", json_object_new_boolean(r & 1));
		json_object_object_add(ep, "conditions", cond);
	}
	return o;
}

/* The objects as the API holds them now: JSON by "kind/ns/name". */
struct state {
	char key[300][256];
	struct json_object *obj[300];
	size_t n;
};

static void state_set(struct state *st, const char *key, struct json_object *o)
{
	size_t i;

	for (i = 0; i < st->n && strcmp(st->key[i], key); i++)
		;
	if (i == st->n) {
		if (!o)
			return;
		cr_assert_lt(st->n, 300);
		snprintf(st->key[st->n++], sizeof(st->key[0]), "%s", key);
	} else {
		json_object_put(st->obj[i]);
	}
	if (o) {
		st->obj[i] = json_object_get(o);
		return;
	}
	st->n--;
	memcpy(st->key[i], st->key[st->n], sizeof(st->key[0]));
	st->obj[i] = st->obj[st->n];
}

/*
 * After random changes (objects deleted, loaded again, changed; several per build), the
 * incremental zone's entries, kept only through zone_project_changes(), are exactly what a
 * zone built at once from the same objects projects in full.
 */
Test(zone_project, incremental_matches_a_full_build)
{
	const char *slash = strrchr(__FILE__, '/');
	char path[PATH_MAX], key[256];
	struct json_object *list, *items;
	struct zone *z = zone_make(ZONE_PODS_VERIFIED, rz10, 5);
	struct collect mirror = { 0 };
	static struct state st;
	unsigned int seed = 12345, checks = 0;
	size_t n_items;

	snprintf(path, sizeof(path), "%.*s/../../deploy/examples/demo-objects.json",
		 (int)(slash - __FILE__), __FILE__);
	list = json_object_from_file(path);
	cr_assert_not_null(list);
	cr_assert(json_object_object_get_ex(list, "items", &items));
	n_items = json_object_array_length(items);
	for (size_t i = 0; i < n_items; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		cr_assert_eq(zone_load_json(z, it), 0);
	}
	cr_assert_eq(zone_build(z), 0);
	cr_assert_eq(zone_project_changes(z, mirror_emit, mirror_remove, &mirror), 0);
	zone_changes_clear(z);
	cr_assert_eq(mirror.n, zone_entries(z));
	for (size_t i = 0; i < n_items; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *m = json_object_object_get(it, "metadata");
		const char *ns = json_object_get_string(json_object_object_get(m, "namespace"));

		snprintf(key, sizeof(key), "%s/%s/%s",
			 json_object_get_string(json_object_object_get(it, "kind")), ns ? ns : "",
			 json_object_get_string(json_object_object_get(m, "name")));
		state_set(&st, key, it);
	}

	for (int step = 0; step < 300; step++) {
		int n_ops = 1 + rand_r(&seed) % 4;

		for (int k = 0; k < n_ops; k++) {
			unsigned int r = (unsigned int)rand_r(&seed);
			struct json_object *item = json_object_array_get_idx(items, r % n_items);
			struct json_object *meta = json_object_object_get(item, "metadata");
			const char *kind = json_object_get_string(json_object_object_get(item, "kind"));
			const char *ns = json_object_get_string(json_object_object_get(meta, "namespace"));
			const char *name = json_object_get_string(json_object_object_get(meta, "name"));
			struct json_object *o;

			snprintf(key, sizeof(key), "%s/%s/%s", kind, ns ? ns : "", name);
			switch ((r >> 8) % 3) {
			case 0:
				zone_delete(z, kind, ns ? ns : "", name);
				state_set(&st, key, NULL);
				break;
			case 1:
				cr_assert_eq(zone_load_json(z, item), 0);
				state_set(&st, key, item);
				break;
			default:
				o = mutate(item, r >> 12);
				cr_assert_eq(zone_load_json(z, o), 0);
				state_set(&st, key, o);
				json_object_put(o);
			}
		}
		cr_assert_eq(zone_build(z), 0);
		if (step % 7 == 0)	/* the serial moves too, now and then */
			cr_assert_eq(zone_serial_set(z, zone_serial(z) + 1), 0);
		cr_assert_eq(zone_project_changes(z, mirror_emit, mirror_remove, &mirror), 0);
		zone_changes_clear(z);
		if (step % 5 && step != 299)
			continue;

		/* the same objects, built at once */
		struct zone *ref = zone_make(ZONE_PODS_VERIFIED, rz10, 5);
		struct collect full = { 0 };

		zone_serial_set(ref, zone_serial(z));
		for (size_t i = 0; i < st.n; i++)
			cr_assert_eq(zone_load_json(ref, st.obj[i]), 0);
		cr_assert_eq(zone_build(ref), 0);
		cr_assert_eq(zone_project(ref, collect_emit, &full), 0);
		cr_assert_eq(zone_names(z), zone_names(ref), "step %d", step);
		cr_assert_eq(zone_entries(z), zone_entries(ref), "step %d", step);
		cr_assert_eq(mirror.n, full.n, "step %d: %zu entries kept, %zu built", step,
			     mirror.n, full.n);
		qsort(mirror.e, mirror.n, sizeof(*mirror.e), key_cmp);
		qsort(full.e, full.n, sizeof(*full.e), key_cmp);
		for (size_t i = 0; i < full.n; i++)
			cr_assert_eq(memcmp(&mirror.e[i], &full.e[i], sizeof(full.e[i])), 0,
				     "step %d: entry %s/%u differs", step, full.e[i].key.name + 1,
				     ntohs(full.e[i].key.qtype));
		checks++;
		free(full.e);
		zone_free(ref);
	}
	cr_assert_eq(checks, 61);
	for (size_t i = 0; i < st.n; i++)
		json_object_put(st.obj[i]);
	json_object_put(list);
	free(mirror.e);
	zone_free(z);
}
