/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * zone/publish.h - zone -> maps: project a struct zone into the answer maps (through a
 * struct map_writer), commit, and write the zone table that is correct for what the maps
 * then hold.
 *
 * Safe when the maps refuse entries. A miss in the answer maps is answered from the zone
 * table: NXDOMAIN in an XDPDNS_ZONE_AUTH zone. So while any desired entry is not in the maps
 * (a commit failed some writes: ENOMEM, E2BIG on a full map), every zone is written with
 * XDPDNS_ZONE_PASS: misses go to the slow path, which answers from the zone and is always
 * correct. publish_retry(), called on every heartbeat tick, commits again until everything
 * is in place, then writes the real table. Entering and leaving that state is logged once.
 *
 * The SOA serial is stable: it is taken from the zone table already in the maps (an earlier
 * instance's pins), else the time at publish_new(); it is bumped to max(serial + 1, now)
 * only when a publish would change answer entries, so a reload or a restart with the same
 * objects writes nothing at all (a new serial would rewrite every NODATA entry and the
 * zone table).
 *
 * int functions return 0 or -errno; pointer functions return NULL and set errno.
 * One thread owns a publisher; nothing here locks.
 */
#ifndef XDPDNS_ZONE_PUBLISH_H
#define XDPDNS_ZONE_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "maps/writer.h"
#include "userspace/zone/zone.h"

struct publish;

/*
 * A publisher into the maps of m (zone table, config; m must outlive it). Answer entries go
 * through ops/ctx (both must outlive it), or map_writer_bpf_ops on m when ops is NULL.
 * Reads the zone table for the serial. NULL + errno (ENOMEM, or the map read's error).
 */
struct publish *publish_new(const struct xdpdns_maps *m, const struct map_ops *ops, void *ctx);
void publish_free(struct publish *p);

/*
 * Make z the published zone: set its serial (bumped first when its entries differ from the
 * maps' and the serial was already in use), project it, commit, write the zone table.
 * Returns 0 when z is now the current zone, even if some entries could not be written
 * (publish_pending() then says so and publish_retry() finishes the job); z must then stay
 * alive and unchanged until another zone is published or p is freed. Returns -errno (from
 * the projection: z is not taken, the previous zone stays current) otherwise.
 * st (may be NULL) gets the commit's counts.
 */
int publish_zone(struct publish *p, struct zone *z, struct map_writer_stats *st);

/*
 * When the last commit or zone table write failed: commit the current zone again and write
 * the zone table it allows. 0 when nothing is pending (any more), else the failure's -errno.
 * st (may be NULL) gets the commit's counts (all zero when nothing was pending).
 */
int publish_retry(struct publish *p, struct map_writer_stats *st);

/*
 * The maps may not hold what the last commits reported (their writes were queued and some
 * failed later: maps/fill.h): the next publish_zone() projects and commits in full, which
 * finds and writes what is missing, and sets the state from what that commit did.
 */
void publish_recheck(struct publish *p);

/* The serial the next publish starts from (the one the maps hold after a publish). */
uint32_t publish_serial(const struct publish *p);
/* Something failed to reach the maps: publish_retry() has work to do. */
bool publish_pending(const struct publish *p);
/* Some desired entry is not in the maps: the zone table passes every zone's misses. */
bool publish_degraded(const struct publish *p);

#endif
