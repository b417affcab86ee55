// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * zone -> maps (userspace/zone/publish.c) on the real XDP program, loaded unpinned, as root:
 * answer maps that refuse one name's entries make the zone table pass that name to the slow
 * path instead of answering NXDOMAIN, until the retry writes them; the SOA serial stays put
 * when the objects do, so publishing them again writes nothing, and it moves once when they
 * change. Queries go through the program with BPF_PROG_TEST_RUN.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <json-c/json.h>

#include "tests/lib/fixture.h"
#include "tests/lib/pkt.h"
#include "userspace/zone/publish.h"

#define WEB	"web.demo.svc.cluster.local"
#define DB	"db.demo.svc.cluster.local"
#define NONE	"nothing.demo.svc.cluster.local"
#define QTYPE_A	1
#define SOA_SERIAL_OFF (XDPDNS_SOA_PTR_RNAME + 2)

#define SERVICE(name, ip)                                                                  \
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'" name "','namespace':'demo'}," \
	" 'spec':{'type':'ClusterIP','clusterIP':'" ip "','clusterIPs':['" ip "'],"            \
	"  'ports':[{'name':'http','port':80,'protocol':'TCP'}]}}"

static const char objects[] =
	"{'apiVersion':'v1','kind':'List','items':["
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'demo'}},"
	SERVICE("web", "10.96.100.10") "," SERVICE("db", "10.96.100.20") "]}";

/* db moved to another ClusterIP */
static const char objects_changed[] =
	"{'apiVersion':'v1','kind':'List','items':["
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'demo'}},"
	SERVICE("web", "10.96.100.10") "," SERVICE("db", "10.96.100.21") "]}";

static struct fixture fx;

static void setup(void)
{
	struct xdpdns_config c;
	int err;

	if (geteuid() != 0)
		cr_skip_test("needs root to load the XDP program");
	err = fixture_load(&fx);
	cr_assert_eq(err, 0, "fixture_load: %s", strerror(-err));
	fixture_config_default(&c);
	cr_assert_eq(fixture_config_write(&fx, &c), 0);
}

static void teardown(void)
{
	fixture_destroy(&fx);
}

TestSuite(publish, .init = setup, .fini = teardown);

/*
 * A zone compiled from single-quoted JSON (quotes swapped on load). Insecure pods put
 * pod.cluster.local, a pass zone without an SOA, first in the zone table.
 */
static struct zone *zone_of(const char *sq)
{
	static const uint8_t v4[][4] = { { 198, 18, 0, 1 } };
	struct zone_config cfg = {
		.zone = "cluster.local", .ttl = 5, .pods = ZONE_PODS_INSECURE, .serial = 1,
		.listen_v4 = v4, .n_v4 = 1,
	};
	struct json_object *j;
	struct zone *z;
	char *s = strdup(sq);

	cr_assert_not_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_tokener_parse(s);
	cr_assert_not_null(j, "not JSON: %s", s);
	z = zone_new(&cfg);
	cr_assert_not_null(z);
	cr_assert_eq(zone_load_json(z, j), 0);
	cr_assert_eq(zone_skipped(z), 0);
	cr_assert_eq(zone_build(z), 0);
	json_object_put(j);
	free(s);
	return z;
}

/* What the program did with one query. */
struct result {
	uint32_t verdict;
	int reason;		/* the one counter that moved */
	int rcode;		/* -1 unless answered */
	int ancount;
	uint8_t tail[XDPDNS_SOA_LEN];	/* the reply's last bytes: an A's address, an SOA */
};

static struct result query(const char *name)
{
	struct pkt_spec spec = { .qname = name, .qtype = QTYPE_A };
	uint8_t in[PKT_MAX], out[PKT_MAX];
	struct result r = { .reason = -1, .rcode = -1 };
	uint64_t cnt[XDPDNS_R_MAX];
	size_t out_len = sizeof(out);
	struct pkt_layout lay;
	struct pkt_view v;
	char why[128];
	size_t tail;
	int len;

	len = pkt_build(&spec, in, sizeof(in), &lay);
	cr_assert_gt(len, 0);
	cr_assert_eq(fixture_counters_reset(&fx), 0);
	cr_assert_eq(fixture_run(&fx, in, (size_t)len, out, &out_len, &r.verdict), 0);
	cr_assert_eq(fixture_counters_read(&fx, cnt), 0);
	for (int i = 0; i < XDPDNS_R_MAX; i++) {
		if (!cnt[i])
			continue;
		cr_assert_eq(r.reason, -1, "%s: reasons %d and %d both counted", name, r.reason, i);
		r.reason = i;
	}
	if (r.verdict != XDP_TX)
		return r;
	cr_assert_eq(pkt_parse(out, out_len, &v, why, sizeof(why)), 0, "%s: %s", name, why);
	cr_assert_geq(v.dns_len, 12);
	r.rcode = out[v.dns + 3] & 0xf;
	r.ancount = out[v.dns + 6] << 8 | out[v.dns + 7];
	tail = v.dns_len < XDPDNS_SOA_LEN ? v.dns_len : XDPDNS_SOA_LEN;
	memcpy(r.tail + XDPDNS_SOA_LEN - tail, out + v.dns + v.dns_len - tail, tail);
	return r;
}

static void assert_answers(const char *name, const uint8_t ip[4])
{
	struct result r = query(name);

	cr_assert_eq(r.verdict, XDP_TX, "%s: verdict %u, reason %d", name, r.verdict, r.reason);
	cr_assert_eq(r.reason, XDPDNS_R_ANSWER_A, "%s: reason %d", name, r.reason);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.ancount, 1);
	cr_assert_eq(memcmp(r.tail + XDPDNS_SOA_LEN - 4, ip, 4), 0, "%s: another address", name);
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* NXDOMAIN with the zone's SOA; its serial. */
static uint32_t assert_nxdomain(const char *name)
{
	struct result r = query(name);

	cr_assert_eq(r.verdict, XDP_TX, "%s: verdict %u, reason %d", name, r.verdict, r.reason);
	cr_assert_eq(r.reason, XDPDNS_R_NXDOMAIN, "%s: reason %d", name, r.reason);
	cr_assert_eq(r.rcode, 3);
	return be32_get(r.tail + SOA_SERIAL_OFF);
}

static void assert_passed(const char *name)
{
	struct result r = query(name);

	cr_assert_eq(r.verdict, XDP_PASS, "%s: verdict %u (rcode %d), reason %d", name,
		     r.verdict, r.rcode, r.reason);
	cr_assert_eq(r.reason, XDPDNS_R_PASS_ZONE_RULE, "%s: reason %d", name, r.reason);
}

/* map_writer_bpf_ops, except that writes of entries named name (of every entry with all)
 * fail with err, like a full map, while name_len is not 0. */
struct refusing {
	struct map_writer_bpf bpf;
	uint8_t name[XDPDNS_NAME_MAX];
	int name_len;
	bool all;
	int err;
	unsigned long refused;
};

static struct refusing rf;

static bool refused(enum xdpdns_key_class c, const uint8_t *key)
{
	const uint8_t *name = key + sizeof(__be16);

	if (rf.name_len && rf.all)
		return true;
	return rf.name_len && (size_t)rf.name_len <= xdpdns_key_size(c) - sizeof(__be16) &&
	       !memcmp(name, rf.name, (size_t)rf.name_len);
}

static int refusing_lookup(void *ctx, enum xdpdns_key_class c, const void *key,
			   struct xdpdns_answer *val)
{
	cr_assert_eq(ctx, &rf);
	return map_writer_bpf_ops.lookup(&rf.bpf, c, key, val);
}

static int refusing_update_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
				 const struct xdpdns_answer *vals, unsigned int *count)
{
	size_t ks = xdpdns_key_size(c);
	unsigned int i, done;
	int err;

	cr_assert_eq(ctx, &rf);
	for (i = 0; i < *count; i++)
		if (refused(c, (const uint8_t *)keys + i * ks))
			break;
	if (i == *count)
		return map_writer_bpf_ops.update_batch(&rf.bpf, c, keys, vals, count);
	done = i;
	if (done) {
		err = map_writer_bpf_ops.update_batch(&rf.bpf, c, keys, vals, &done);
		if (err) {
			*count = done;
			return err;
		}
	}
	*count = i;	/* stopped at the refused element, as the kernel's batch does */
	rf.refused++;
	return rf.err;
}

static int refusing_delete_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
				 unsigned int *count)
{
	cr_assert_eq(ctx, &rf);
	return map_writer_bpf_ops.delete_batch(&rf.bpf, c, keys, count);
}

static int refusing_next_key(void *ctx, enum xdpdns_key_class c, const void *key, void *next)
{
	cr_assert_eq(ctx, &rf);
	return map_writer_bpf_ops.next_key(&rf.bpf, c, key, next);
}

static const struct map_ops refusing_ops = {
	.lookup = refusing_lookup,
	.update_batch = refusing_update_batch,
	.delete_batch = refusing_delete_batch,
	.next_key = refusing_next_key,
};

static void refuse(const char *name, int err)
{
	rf.bpf.maps = &fx.maps;
	rf.name_len = pkt_name_encode(name, rf.name, sizeof(rf.name));
	cr_assert_gt(rf.name_len, 0);
	rf.err = err;
}

static struct xdpdns_config config_get(void)
{
	struct xdpdns_config cfg;
	__u32 key = 0;

	cr_assert_eq(bpf_map_lookup_elem(fx.maps.config, &key, &cfg), 0);
	return cfg;
}

static const uint8_t web_ip[4] = { 10, 96, 100, 10 }, db_ip[4] = { 10, 96, 100, 20 },
		     db_ip_new[4] = { 10, 96, 100, 21 };

Test(publish, refused_entries_pass_until_the_retry_writes_them)
{
	struct xdpdns_zone table[XDPDNS_MAX_ZONES];
	struct map_writer_stats st;
	struct publish *p;
	struct zone *z;
	int n;

	refuse(DB, -E2BIG);
	p = publish_new(&fx.maps, &refusing_ops, &rf);
	cr_assert_not_null(p);
	z = zone_of(objects);

	/* The zone is taken, db's entries are not in the maps, the table passes every zone. */
	cr_assert_eq(publish_zone(p, z, &st), 0);
	cr_assert_gt(rf.refused, 0);
	cr_assert_gt(st.unwritten, 0);
	cr_assert_eq(st.inserted + st.unwritten, st.desired);
	cr_assert(publish_pending(p));
	cr_assert(publish_degraded(p));
	n = map_zones_read(&fx.maps, table);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(table[i].action, XDPDNS_ZONE_PASS, "zone %d", i);

	/* db is passed to the slow path, not denied; what is in the maps still answers. */
	assert_passed(DB);
	assert_passed(NONE);
	assert_answers(WEB, web_ip);

	/* A retry that fails again changes nothing. */
	cr_assert_eq(publish_retry(p, &st), -E2BIG);
	cr_assert_gt(st.unwritten, 0);
	cr_assert(publish_degraded(p));
	assert_passed(DB);

	/* The map takes them now: the retry writes what was missing, then the real table. */
	rf.name_len = 0;
	cr_assert_eq(publish_retry(p, &st), 0);
	cr_assert_eq(st.inserted, st.desired - st.unchanged);
	cr_assert_gt(st.inserted, 0);
	cr_assert_eq(st.failed + st.unwritten, 0);
	cr_assert_not(publish_pending(p));
	cr_assert_not(publish_degraded(p));
	assert_answers(DB, db_ip);
	assert_answers(WEB, web_ip);
	assert_nxdomain(NONE);

	/* Nothing pending: a retry does nothing. */
	cr_assert_eq(publish_retry(p, &st), 0);
	cr_assert_eq(st.desired + st.inserted + st.updated + st.deleted, 0);

	publish_free(p);
	zone_free(z);
}

Test(publish, update_refused_keeps_the_old_answer_and_passes_new_names)
{
	struct map_writer_stats st;
	struct publish *p;
	struct zone *z1, *z2;

	rf.bpf.maps = &fx.maps;
	p = publish_new(&fx.maps, &refusing_ops, &rf);
	cr_assert_not_null(p);
	z1 = zone_of(objects);
	cr_assert_eq(publish_zone(p, z1, &st), 0);
	cr_assert_not(publish_pending(p));
	assert_answers(DB, db_ip);

	/* Every write fails from now on (the new serial touches every NODATA entry). */
	refuse("cluster.local", -ENOMEM);
	rf.all = true;
	z2 = zone_of(objects_changed);
	cr_assert_eq(publish_zone(p, z2, &st), 0);
	cr_assert(publish_degraded(p));
	assert_answers(DB, db_ip);	/* the old entry stayed */
	assert_passed(NONE);
	zone_free(z1);

	rf.name_len = 0;
	cr_assert_eq(publish_retry(p, &st), 0);
	cr_assert_not(publish_pending(p));
	assert_answers(DB, db_ip_new);
	assert_nxdomain(NONE);
	publish_free(p);
	zone_free(z2);
}

Test(publish, same_objects_write_nothing_and_keep_the_serial)
{
	struct xdpdns_zone t1[XDPDNS_MAX_ZONES], t2[XDPDNS_MAX_ZONES];
	struct map_writer_stats st;
	struct xdpdns_config cfg;
	struct publish *p, *p2;
	struct zone *z1, *z2, *z3, *z4, *z5;
	uint32_t serial, bumped;
	int n;

	p = publish_new(&fx.maps, NULL, NULL);
	cr_assert_not_null(p);
	serial = publish_serial(p);
	cr_assert_geq(serial, (uint32_t)time(NULL) - 5, "a new serial is the start time");

	/* First publish on empty maps: everything inserted, the start serial kept. */
	z1 = zone_of(objects);
	cr_assert_eq(publish_zone(p, z1, &st), 0);
	cr_assert_gt(st.inserted, 0);
	cr_assert_eq(st.inserted, st.desired);
	cr_assert_eq(publish_serial(p), serial);
	cr_assert_eq(zone_serial(z1), serial);
	cr_assert_eq(assert_nxdomain(NONE), serial);
	n = map_zones_read(&fx.maps, t1);
	cr_assert_gt(n, 0);
	cfg = config_get();

	/* A second later, the same objects again (a reload): not one entry written, the
	 * table untouched. */
	while ((uint32_t)time(NULL) <= serial)
		usleep(10000);
	z2 = zone_of(objects);
	cr_assert_eq(publish_zone(p, z2, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0, "%lu inserted, %lu updated, "
		     "%lu deleted", st.inserted, st.updated, st.deleted);
	cr_assert_eq(st.unchanged, st.desired);
	cr_assert_eq(publish_serial(p), serial);
	cr_assert_eq(config_get().heartbeat_ns, cfg.heartbeat_ns, "the config was written");
	cr_assert_eq(config_get().n_zones, n);
	cr_assert_eq(map_zones_read(&fx.maps, t2), n);
	cr_assert_eq(memcmp(t1, t2, sizeof(t1)), 0);
	zone_free(z1);

	/* A restart: a new publisher finds the serial in the table, and writes nothing. */
	p2 = publish_new(&fx.maps, NULL, NULL);
	cr_assert_not_null(p2);
	cr_assert_eq(publish_serial(p2), serial);
	z3 = zone_of(objects);
	cr_assert_eq(publish_zone(p2, z3, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);
	cr_assert_eq(config_get().heartbeat_ns, cfg.heartbeat_ns);
	publish_free(p);
	zone_free(z2);

	/* A changed object: the serial moves once, the table is rewritten in place. */
	z4 = zone_of(objects_changed);
	cr_assert_eq(publish_zone(p2, z4, &st), 0);
	bumped = publish_serial(p2);
	cr_assert_gt(bumped, serial);
	cr_assert_leq(bumped, (uint32_t)time(NULL) + 1);
	cr_assert_gt(st.updated, 0);
	cr_assert_eq(st.failed, 0);
	cr_assert_eq(config_get().heartbeat_ns, cfg.heartbeat_ns, "n_zones went through 0");
	cr_assert_eq(map_zones_read(&fx.maps, t2), n);
	cr_assert_eq(t2[0].action, XDPDNS_ZONE_PASS, "pod.cluster.local comes first");
	for (int i = 0; i < n; i++)
		if (t2[i].action == XDPDNS_ZONE_AUTH)
			cr_assert_eq(be32_get(t2[i].soa + SOA_SERIAL_OFF), bumped, "zone %d", i);
	assert_answers(DB, db_ip_new);
	cr_assert_eq(assert_nxdomain(NONE), bumped);
	zone_free(z3);

	/* And then stays. */
	z5 = zone_of(objects_changed);
	cr_assert_eq(publish_zone(p2, z5, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);
	cr_assert_eq(publish_serial(p2), bumped);
	publish_free(p2);
	zone_free(z4);
	zone_free(z5);
}

/* Apply one single-quoted JSON object to z, as a watch event does. */
static void event(struct zone *z, const char *sq)
{
	char *s = strdup(sq);
	struct json_object *j;

	cr_assert_not_null(s);
	for (char *c = s; *c; c++)
		if (*c == '\'')
			*c = '"';
	j = json_tokener_parse(s);
	cr_assert_not_null(j);
	cr_assert_eq(zone_load_json(z, j), 0);
	json_object_put(j);
	free(s);
}

/*
 * Later publishes of the same zone take the incremental path: they write only what changed
 * (a handful of entries, not the zone), the serial moves, and the maps then hold exactly
 * what a full publish of the same objects would write: nothing to insert, update or delete.
 */
Test(publish, incremental_publishes_leave_the_maps_as_a_full_publish)
{
	static const uint8_t api_ip[4] = { 10, 96, 100, 30 };
	struct map_writer_stats st;
	struct map_writer *check;
	struct publish *p;
	struct zone *z, *ref;
	uint32_t serial;

	p = publish_new(&fx.maps, NULL, NULL);
	cr_assert_not_null(p);
	z = zone_of(objects);
	cr_assert_eq(publish_zone(p, z, &st), 0);
	serial = publish_serial(p);
	cr_assert_gt(st.inserted, 10);

	/* db moves, web goes, api comes: three events, one build, one publish */
	event(z, SERVICE("db", "10.96.100.21"));
	cr_assert_eq(zone_delete(z, "Service", "demo", "web"), 0);
	event(z, SERVICE("api", "10.96.100.30"));
	while ((uint32_t)time(NULL) <= serial)
		usleep(10000);
	cr_assert_eq(zone_build(z), 0);
	cr_assert_eq(publish_zone(p, z, &st), 0);
	cr_assert_gt(publish_serial(p), serial, "a change moves the serial");
	cr_assert_gt(st.updated, 0);
	cr_assert_gt(st.deleted, 0);
	cr_assert_lt(st.updated + st.deleted, 40, "only what changed is written: %lu + %lu",
		     st.updated, st.deleted);
	cr_assert_eq(st.failed, 0);
	assert_answers(DB, db_ip_new);
	assert_answers("api.demo.svc.cluster.local", api_ip);
	cr_assert_eq(assert_nxdomain(WEB), publish_serial(p));

	/* nothing changed since: nothing written, the serial stays */
	serial = publish_serial(p);
	cr_assert_eq(zone_build(z), 0);
	cr_assert_eq(publish_zone(p, z, &st), 0);
	cr_assert_eq(st.updated + st.deleted, 0);
	cr_assert_eq(publish_serial(p), serial);

	/* the same objects compiled at once, projected in full against the maps */
	ref = zone_of("{'apiVersion':'v1','kind':'List','items':["
		      "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'demo'}},"
		      SERVICE("db", "10.96.100.21") "," SERVICE("api", "10.96.100.30") "]}");
	zone_serial_set(ref, serial);
	check = map_writer_new_maps(&fx.maps);
	cr_assert_not_null(check);
	cr_assert_eq(zone_project(ref, map_writer_emit, check), 0);
	cr_assert_eq(map_writer_diff(check, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0,
		     "the maps differ from a full publish: %lu inserted, %lu updated, %lu deleted",
		     st.inserted, st.updated, st.deleted);
	map_writer_free(check);
	zone_free(ref);
	publish_free(p);
	zone_free(z);
}

Test(publish_free, accepts_null)
{
	publish_free(NULL);
}

/* Entries the maps lost behind the writer's back (a fill's writes that failed later): the
 * incremental path cannot see it, publish_recheck() makes the next publish find and write them. */
Test(publish, recheck_writes_what_the_maps_lack)
{
	static const uint8_t web[] = "\3web\4demo\3svc\7cluster\5local";
	struct map_writer_stats st;
	struct xdpdns_key_l key;
	enum xdpdns_key_class c;
	struct publish *p;
	struct zone *z;

	p = publish_new(&fx.maps, NULL, NULL);
	cr_assert_not_null(p);
	z = zone_of(objects);
	cr_assert_eq(publish_zone(p, z, NULL), 0);
	assert_answers(WEB, web_ip);
	cr_assert_eq(xdpdns_key_build(&key, web, sizeof(web), QTYPE_A), 0);
	c = xdpdns_key_class(sizeof(web));
	cr_assert_eq(bpf_map_delete_elem(fx.maps.answers[c], &key), 0);
	cr_assert_eq(query(WEB).ancount, 0, "the A entry is gone");

	cr_assert_eq(publish_zone(p, z, &st), 0);
	cr_assert_eq(st.inserted + st.updated, 0, "nothing changed in the zone: nothing written");
	cr_assert_eq(query(WEB).ancount, 0);

	publish_recheck(p);
	cr_assert_eq(publish_zone(p, z, &st), 0);
	cr_assert_eq(st.inserted, 1, "%lu inserted", st.inserted);
	cr_assert_eq(st.failed, 0);
	cr_assert_not(publish_pending(p));
	assert_answers(WEB, web_ip);
	publish_free(p);
	zone_free(z);
}
