// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userspace/util/log.h"
#include "userspace/zone/publish.h"

/* In the SOA RR of maps/xdpdns.h: TYPE right after the owner pointer, SERIAL right after
 * the RNAME pointer. */
#define SOA_TYPE_OFF	(XDPDNS_SOA_PTR_OWNER + 2)
#define SOA_SERIAL_OFF	(XDPDNS_SOA_PTR_RNAME + 2)
#define DNS_TYPE_SOA	6

/* What the maps hold compared with the current zone. */
enum publish_state {
	PUBLISH_OK,		/* exactly the current zone */
	PUBLISH_INCOMPLETE,	/* every desired entry, but a delete or the zone table failed */
	PUBLISH_DEGRADED,	/* desired entries missing: the zone table passes every zone */
};

struct publish {
	const struct xdpdns_maps *maps;
	struct map_writer *w;		/* desired state: cur's entries (unless reproject) */
	struct zone *cur;		/* published last; not owned */
	uint32_t serial;		/* cur's serial; the next publish starts from it */
	bool serial_used;		/* the maps may hold entries rendered with serial */
	bool reproject;			/* w lacks cur's entries: project cur again */
	enum publish_state state;
	int n_zones;			/* of cur's zone table */
};

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct publish *publish_new(const struct xdpdns_maps *m, const struct map_ops *ops, void *ctx)
{
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	struct publish *p;
	int n, err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->maps = m;
	p->w = ops ? map_writer_new(ops, ctx) : map_writer_new_maps(m);
	if (!p->w) {
		err = -errno;
		goto out_free_publish;
	}
	n = map_zones_read(m, zones);
	if (n < 0) {
		err = n;
		goto out_free_writer;
	}
	/*
	 * The first zone with an SOA (XDPDNS_ZONE_PASS zones may have none), also past n_zones:
	 * an earlier instance may have died while its table was being rewritten.
	 */
	p->serial = (uint32_t)time(NULL);
	for (int i = 0; i < XDPDNS_MAX_ZONES; i++) {
		const uint8_t *soa = zones[i].soa;

		if (!zones[i].name_len || soa[SOA_TYPE_OFF] != 0 ||
		    soa[SOA_TYPE_OFF + 1] != DNS_TYPE_SOA)
			continue;
		p->serial = be32_get(soa + SOA_SERIAL_OFF);
		p->serial_used = true;
		log_info("SOA serial %u, from the zone table in the maps", p->serial);
		break;
	}
	return p;

out_free_writer:
	map_writer_free(p->w);
out_free_publish:
	free(p);
	errno = -err;
	return NULL;
}

void publish_free(struct publish *p)
{
	if (!p)
		return;
	map_writer_free(p->w);
	free(p);
}

uint32_t publish_serial(const struct publish *p)
{
	return p->serial;
}

bool publish_pending(const struct publish *p)
{
	return p->state != PUBLISH_OK;
}

bool publish_degraded(const struct publish *p)
{
	return p->state == PUBLISH_DEGRADED;
}

/* Serial arithmetic is not needed: a 32-bit time stays ahead of every serial until 2106. */
static uint32_t serial_next(uint32_t serial)
{
	uint32_t now = (uint32_t)time(NULL);

	return now > serial ? now : serial + 1;
}

static int project(struct publish *p, const struct zone *z)
{
	map_writer_reset(p->w);
	return zone_project(z, map_writer_emit, p->w);
}

/* Log the way into and out of a state once, not on every retry. */
static void state_set(struct publish *p, enum publish_state state, int err,
		      const struct map_writer_stats *s)
{
	if (state == p->state)
		return;
	if (state == PUBLISH_DEGRADED)
		log_warn("maps: %lu of %lu entries not written: %s; every zone passes its misses "
			 "to the slow path until a retry (every second) succeeds",
			 s->unwritten, s->desired, strerror(-err));
	else if (state == PUBLISH_INCOMPLETE && p->state == PUBLISH_OK)
		log_warn("maps: update incomplete (%lu entries failed): %s; retrying every second",
			 s->failed, strerror(-err));
	else if (state == PUBLISH_INCOMPLETE)
		log_info("maps: every entry written; still retrying: %s", strerror(-err));
	else
		log_info("maps: retry succeeded: every entry written, the zone table is "
			 "authoritative%s", p->state == PUBLISH_DEGRADED ? " again" : "");
	p->state = state;
}

/*
 * Commit cur's entries, then write the zone table they allow: the real one when every
 * desired entry is in the maps, else every zone with XDPDNS_ZONE_PASS. The order matters
 * only for names new in this commit: before it they had no entry either.
 */
static int apply(struct publish *p, bool changes, struct map_writer_stats *s)
{
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	enum publish_state state;
	int err, table_err;

	p->n_zones = zone_project_zones(p->cur, zones, XDPDNS_MAX_ZONES);
	/* Entries name their zone by its slot: a table with other slots stops serving first. */
	table_err = p->n_zones < 0 ? p->n_zones :
		    map_zones_prepare(p->maps, zones, (unsigned int)p->n_zones);
	err = changes ? map_writer_commit_changes(p->w, s) : map_writer_commit(p->w, s);
	if (!table_err) {
		for (int i = 0; s->unwritten && i < p->n_zones; i++)
			zones[i].action = XDPDNS_ZONE_PASS;
		table_err = map_zones_write(p->maps, zones, (unsigned int)p->n_zones);
	}
	if (!err)
		err = table_err;
	if (s->unwritten)
		state = PUBLISH_DEGRADED;
	else
		state = err ? PUBLISH_INCOMPLETE : PUBLISH_OK;
	state_set(p, state, err, s);
	return err;
}

/* After a failed projection: the desired state is cur's again, now or at the next retry. */
static void restore(struct publish *p)
{
	map_writer_reset(p->w);
	p->reproject = p->cur && project(p, p->cur);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * The published zone changed (zone_build() noted which names): write what those names'
 * entries became, a new serial if any did, and the zone table. A failure falls back to a
 * full projection at the next retry.
 */
static int publish_changes(struct publish *p, struct zone *z, struct map_writer_stats *st)
{
	struct map_writer_stats s = { 0 };
	uint32_t serial = p->serial;
	struct timespec t0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = zone_project_changes(z, map_writer_emit, map_writer_remove_cb, p->w);
	if (!err && map_writer_pending(p->w)) {
		/*
		 * Something changed: a new serial, in the apexes' SOA answers and the table. The
		 * writer has the changes already: only what the new serial changes (the apexes,
		 * which zone_serial_set() notes) is projected again, not every change twice.
		 */
		zone_changes_clear(z);
		serial = serial_next(serial);
		err = zone_serial_set(z, serial);
		if (!err)
			err = zone_project_changes(z, map_writer_emit, map_writer_remove_cb, p->w);
	}
	zone_changes_clear(z);
	if (err) {
		zone_serial_set(z, p->serial);
		p->reproject = true;
		p->state = PUBLISH_INCOMPLETE;
		log_err("maps: cannot collect the zone's changes: %s; projecting it all again",
			strerror(-err));
		return 0;	/* z stays current; publish_retry() projects it in full */
	}
	if (!map_writer_pending(p->w))
		goto out_stats;
	p->serial = serial;
	apply(p, true, &s);
	log_debug("maps: %lu entries written, %lu deleted, %lu failed, serial %u, %.1f ms",
		  s.updated, s.deleted, s.failed, serial, ms_since(&t0));
out_stats:
	if (st)
		*st = s;
	return 0;
}

int publish_zone(struct publish *p, struct zone *z, struct map_writer_stats *st)
{
	struct map_writer_stats s, diff;
	uint32_t serial = p->serial;
	struct timespec t0;
	int err;

	if (z == p->cur && p->state == PUBLISH_OK && !p->reproject)
		return publish_changes(p, z, st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	zone_serial_set(z, serial);
	err = project(p, z);
	if (err)
		goto out_restore;
	/* Entries that change need a new serial; the same ones keep it, and then nothing is
	 * written at all. A serial the maps have not seen yet needs no bump. */
	if (p->serial_used &&
	    (map_writer_diff(p->w, &diff) || diff.inserted + diff.updated + diff.deleted)) {
		serial = serial_next(serial);
		zone_serial_set(z, serial);
		err = project(p, z);
		if (err)
			goto out_restore;
	}
	zone_changes_clear(z);	/* the full projection covers them */
	p->cur = z;
	p->serial = serial;
	p->serial_used = true;
	p->reproject = false;
	apply(p, false, &s);
	log_info("maps: %lu entries (%lu inserted, %lu updated, %lu deleted, %lu unchanged, "
		 "%lu failed), %d zones, serial %u, %.1f ms",
		 s.desired, s.inserted, s.updated, s.deleted, s.unchanged, s.failed, p->n_zones,
		 serial, ms_since(&t0));
	if (st)
		*st = s;
	return 0;

out_restore:
	restore(p);
	return err;
}

void publish_recheck(struct publish *p)
{
	/* publish_zone() takes its full path: project, diff against the maps, commit */
	if (p->cur)
		p->reproject = true;
}

int publish_retry(struct publish *p, struct map_writer_stats *st)
{
	struct map_writer_stats s = { 0 };
	int err = 0;

	if (p->state == PUBLISH_OK)
		goto out_stats;
	if (p->reproject) {
		err = project(p, p->cur);
		if (err)
			goto out_stats;
		p->reproject = false;
	}
	err = apply(p, false, &s);
out_stats:
	if (st)
		*st = s;
	return err;
}
