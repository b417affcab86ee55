/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps/fill.h - the first fill of fresh answer maps on a second thread.
 *
 * Filling empty maps is mostly the kernel's work (a hash insert per entry, about 600k for a
 * large cluster) and it can run while the main thread keeps parsing the API's lists. A
 * struct map_fill is a struct map_ops (map_fill_ops, ctx the struct map_fill) in front of
 * other ops (the real ones, map_writer_bpf_ops): a struct map_writer made over it works as
 * usual, but its batched writes and deletes are copied into a FIFO queue, compactly (keys at
 * their class's size, values' used bytes only), and applied by one thread in the order they
 * were made, so a commit's writes all still land before its deletes. The queue is bounded
 * in bytes (max_bytes): a caller that would exceed it waits until the thread has applied
 * enough. A queued batch takes its keys' bytes, 16 + len bytes per value and a header of
 * at most 64 bytes; the batch being applied counts until it is done. lookup and next_key
 * wait until everything queued is applied, then run on the caller's thread. When a batch
 * cannot be allocated, the call waits for the queue to drain and runs synchronously.
 *
 * A queued call returns 0 with every element counted as done: its real result comes later.
 * The thread skips a failing element and goes on with the rest, as map_writer_commit() does;
 * a delete of an absent key is no failure. The failures are counted (map_fill_finish()),
 * so the caller must not trust what the writer reported while the fill ran: if anything
 * failed, it commits in full again (publish_recheck()). Use it only on maps that nothing
 * reads yet (xdpdns: fresh maps, before XDP is attached), since the writer's stats, and so
 * the zone table it chooses, assume success.
 *
 * map_fill_finish() waits for the queue to drain and stops the thread; from then on
 * map_fill_ops calls the inner ops directly, synchronously, with their real results.
 * map_fill_free() finishes first. One thread (the owner) calls everything here.
 * int functions return 0 or -errno; pointer functions return NULL and set errno.
 */
#ifndef XDPDNS_MAPS_FILL_H
#define XDPDNS_MAPS_FILL_H

#include <stddef.h>

#include "writer.h"

#define MAP_FILL_BATCH	256	/* entries per queued batch at most: longer calls split */

/* What the thread did. */
struct map_fill_stats {
	unsigned long batches;		/* queued batches applied */
	unsigned long written;		/* entries written */
	unsigned long deleted;		/* entries deleted (absent keys included) */
	unsigned long failed;		/* writes and deletes that did not happen */
	unsigned long unwritten;	/* of failed: writes */
	unsigned long waits;		/* times the caller waited for the queue to shrink */
	size_t peak_bytes;		/* the most the queue held */
	int err;			/* the first failure's -errno, or 0 */
};

struct map_fill;

/*
 * A fill over ops/ctx (both must outlive it) queueing at most max_bytes (one batch is
 * always accepted into an empty queue), its thread started. NULL + errno.
 */
struct map_fill *map_fill_new(const struct map_ops *ops, void *ctx, size_t max_bytes);

/*
 * Drain the queue and stop the thread: later calls are synchronous. st (may be NULL) gets
 * what the thread did. Returns its first failure's -errno, or 0 (also when already finished).
 */
int map_fill_finish(struct map_fill *f, struct map_fill_stats *st);

/* Batches queued and not yet applied (the one being applied included). */
unsigned int map_fill_queued(struct map_fill *f);

/* Finishes (applies what is queued), then frees. NULL is a no-op. */
void map_fill_free(struct map_fill *f);

extern const struct map_ops map_fill_ops;

#endif
