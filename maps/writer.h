/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps/writer.h - the control plane's only writer of the xdpdns maps.
 *
 * Answer maps are written by reconcile: the caller collects the complete desired state
 * (every answer key and value) into a struct map_writer, then map_writer_commit() diffs it
 * against what the maps hold and applies the minimum: entries whose value differs or that
 * are missing are written first, in batches; only then are map entries that are no longer
 * desired swept. So a name present before and after a commit is never missing, not even
 * for a moment (DESIGN.md, "Control plane rules"). Values compare on their header fields
 * and data[0..len) only.
 *
 * The syscalls sit behind struct map_ops, so unit tests run reconcile against an in-memory
 * fake; map_writer_bpf_ops is the real thing on the fds of struct xdpdns_maps.
 *
 * The zone table and the config map are small arrays, written by map_zones_write(),
 * map_config_write() and map_heartbeat_write(); every write of the config map stamps
 * heartbeat_ns with CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns()).
 *
 * int functions return 0 or -errno; pointer functions return NULL and set errno.
 * One thread owns a writer; nothing here locks.
 */
#ifndef XDPDNS_MAPS_WRITER_H
#define XDPDNS_MAPS_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "maps.h"

/*
 * The map syscalls of reconcile. Keys of class c are xdpdns_key_size(c) bytes, packed
 * without gaps in batch arrays; values are whole struct xdpdns_answer.
 * lookup:       0 and *val filled, -ENOENT when absent, or -errno.
 * update_batch: insert-or-replace keys[i] -> vals[i] for i < *count, in order; on return
 *               *count is the number written. An error stops at element *count.
 * delete_batch: delete keys[i] for i < *count, in order, with the same *count contract.
 * next_key:     the key after key (NULL: the first key) in iteration order into next;
 *               -ENOENT after the last key, or -errno.
 */
struct map_ops {
	int (*lookup)(void *ctx, enum xdpdns_key_class c, const void *key,
		      struct xdpdns_answer *val);
	int (*update_batch)(void *ctx, enum xdpdns_key_class c, const void *keys,
			    const struct xdpdns_answer *vals, unsigned int *count);
	int (*delete_batch)(void *ctx, enum xdpdns_key_class c, const void *keys,
			    unsigned int *count);
	int (*next_key)(void *ctx, enum xdpdns_key_class c, const void *key, void *next);
};

/*
 * Context of map_writer_bpf_ops. Batch syscalls are used until the kernel rejects one with
 * -EINVAL or -ENOTSUPP; then single-element syscalls, from then on.
 */
struct map_writer_bpf {
	const struct xdpdns_maps *maps;	/* answers[] are used; not owned */
	bool no_batch;			/* the kernel refused a batch op */
};

extern const struct map_ops map_writer_bpf_ops;

/* What one commit did. Counts are of entries unless they say syscalls. */
struct map_writer_stats {
	unsigned long desired;		/* entries in the desired state */
	unsigned long unchanged;	/* identical in the map: not rewritten */
	unsigned long inserted;		/* absent from the map: written */
	unsigned long updated;		/* different (or unreadable) in the map: rewritten */
	unsigned long deleted;		/* in the map but not desired: removed */
	unsigned long failed;		/* writes and deletes that did not happen */
	unsigned long unwritten;	/* of failed: desired entries whose write did not
					 * happen (missing, or an older value, in the map) */
	unsigned long syscalls;		/* map_ops calls made */
	unsigned long syscalls_failed;	/* map_ops calls that failed; a lookup miss and the
					 * end of an iteration are answers, not failures */
};

struct map_writer;

/*
 * A writer over ops/ctx (both must outlive it), with an empty desired state.
 * map_writer_new_maps() uses map_writer_bpf_ops on the answer maps of m (m must outlive it).
 * Free with map_writer_free().
 */
struct map_writer *map_writer_new(const struct map_ops *ops, void *ctx);
struct map_writer *map_writer_new_maps(const struct xdpdns_maps *m);
void map_writer_free(struct map_writer *w);

/*
 * Add one entry to the desired state; a key added again replaces the earlier value.
 * Only the used bytes of the name and of data[] are kept, so an entry costs about
 * 30 bytes plus its name and data. -EINVAL for a malformed key name or len over
 * XDPDNS_ANSWER_MAX, -ENOMEM.
 */
int map_writer_add(struct map_writer *w, const struct xdpdns_key_l *key,
		   const struct xdpdns_answer *val);

/* map_writer_add() shaped as zone_emit_fn: ctx is the struct map_writer. */
int map_writer_emit(void *ctx, const struct xdpdns_key_l *key, const struct xdpdns_answer *val);

/*
 * Change the desired state by one entry after a commit: add/replace (map_writer_add(); an
 * identical value is no change) or remove (map_writer_remove(), 0 also when absent;
 * map_writer_remove_cb() is the same shaped as zone_remove_fn). After a full commit the
 * writer notes every key so changed, and map_writer_commit_changes() writes only those
 * (all writes, then the deletes), assuming the maps hold the last committed state: the
 * cost of a change is its size, not the state's. map_writer_pending() counts the notes.
 * Without a full commit since the last reset (nothing noted), map_writer_commit_changes()
 * is map_writer_commit(). Stats count entries as a commit does (writes as updated).
 */
int map_writer_remove(struct map_writer *w, const struct xdpdns_key_l *key);
int map_writer_remove_cb(void *ctx, const struct xdpdns_key_l *key);
int map_writer_commit_changes(struct map_writer *w, struct map_writer_stats *st);
unsigned long map_writer_pending(const struct map_writer *w);
/* Forget the desired state (to collect the next one from scratch). */
void map_writer_reset(struct map_writer *w);

/* Entries in the desired state. */
unsigned long map_writer_count(const struct map_writer *w);

/*
 * Make the answer maps hold exactly the desired state: write what differs (all classes),
 * then sweep what is not desired. Failed syscalls are counted and skipped over, so one bad
 * entry does not stop the others. The desired state stays for the next commit.
 * Returns 0, or the first failure's -errno (the rest was still applied). st may be NULL.
 */
int map_writer_commit(struct map_writer *w, struct map_writer_stats *st);

/*
 * What map_writer_commit() would do now, without writing anything: inserted, updated and
 * deleted count the entries it would write or delete (an unreadable entry counts as updated).
 * Costs the lookups and the iteration of a commit. Returns 0 or the first failure's -errno.
 */
int map_writer_diff(struct map_writer *w, struct map_writer_stats *st);

/*
 * Replace the zone table with zones[0..n), sorted longest name first. Nothing is written
 * when the table is already identical. When it holds the same zone names in the same order
 * (only SOAs or actions differ), the changed entries are rewritten in place and the config
 * map is not written at all. Otherwise config.n_zones drops to 0 while the array is
 * rewritten (every name without an entry is then passed to the slow path, which is always
 * correct, while a half-written table could put a name in the wrong zone), then becomes n.
 * Names are lower-cased.
 * -E2BIG for n over XDPDNS_MAX_ZONES; -EINVAL for a zone with a malformed name, a name_len
 * that disagrees with it, an unknown action, or a name given twice.
 */
int map_zones_write(const struct xdpdns_maps *m, const struct xdpdns_zone *zones, unsigned int n);

/*
 * Before answer entries that name zones[] by their index in the table (XDPDNS_ANS_ZONE_SOA) are
 * written: unless the table in the maps holds the same zone names in the same slots, drop
 * config.n_zones to 0, so the fast path passes those entries and every miss to the slow path
 * (always correct) until map_zones_write() puts the new table in place. Errors as there.
 */
int map_zones_prepare(const struct xdpdns_maps *m, const struct xdpdns_zone *zones,
		      unsigned int n);
/*
 * Read all XDPDNS_MAX_ZONES entries of the zone table into out; returns config.n_zones (the
 * entries in use) or -errno.
 */
int map_zones_read(const struct xdpdns_maps *m, struct xdpdns_zone out[XDPDNS_MAX_ZONES]);

/* Listening and sizing parameters of the fast path, host order. */
struct map_config {
	uint16_t port;				/* UDP port, host order */
	uint16_t edns_size;			/* 512..65535; 0: XDPDNS_EDNS_SIZE */
	uint64_t stale_after_ns;		/* pass everything once the heartbeat is older;
						 * 0: never */
	unsigned int n_v4;			/* used entries of v4[] */
	unsigned int n_v6;			/* used entries of v6[] */
	struct in_addr v4[XDPDNS_MAX_LISTEN];
	struct in6_addr v6[XDPDNS_MAX_LISTEN];
};

/*
 * Write the config map from c, keeping its n_zones and stamping the heartbeat.
 * -EINVAL for more than XDPDNS_MAX_LISTEN addresses of a family or an edns_size below 512.
 */
int map_config_write(const struct xdpdns_maps *m, const struct map_config *c);

/* Rewrite the config map with heartbeat_ns = CLOCK_MONOTONIC now. */
int map_heartbeat_write(const struct xdpdns_maps *m);

#endif
