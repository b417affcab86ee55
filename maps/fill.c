// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fill.h"

#define ANSWER_HDR	offsetof(struct xdpdns_answer, data)

/* The data bytes of a value that are kept (len, within data[]). */
static size_t val_len(const struct xdpdns_answer *v)
{
	return v->len < XDPDNS_ANSWER_MAX ? v->len : XDPDNS_ANSWER_MAX;
}

/*
 * One queued call, or a MAP_FILL_BATCH part of one: update_batch (del false) or delete_batch
 * of n keys of class c. data: the n keys packed, then (writes) each value's header and its
 * data[0..len).
 */
struct fill_batch {
	struct fill_batch *next;
	size_t size;			/* of the allocation, counted against the bound */
	enum xdpdns_key_class c;
	bool del;
	unsigned int n;
	uint8_t data[];
};
_Static_assert(sizeof(struct fill_batch) <= 64, "fill.h promises headers of 64 bytes at most");

struct map_fill {
	const struct map_ops *ops;
	void *ctx;
	size_t max_bytes;
	bool running;			/* the thread exists: calls are queued */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* the thread: a batch was queued, or stop */
	pthread_cond_t space;		/* the owner: a batch was applied */
	/* under lock: batches not yet taken by the thread, oldest first */
	struct fill_batch *head, **tail;
	unsigned int queued;		/* under lock: batches queued or being applied */
	size_t queued_bytes;		/* under lock: their sizes */
	bool stop;			/* under lock: the thread exits once the queue is empty */
	/* under lock: applied batches, freed by the owner: a free() on the thread would take
	 * the owner's malloc arena lock against its allocations */
	struct fill_batch *done;
	struct map_fill_stats st;	/* the thread's; read by the owner after the join */
	unsigned long waits;		/* the owner's */
	size_t peak_bytes;		/* under lock */
	struct xdpdns_answer vals[MAP_FILL_BATCH];	/* the thread's: values unpacked */
};

/* The thread: the batch's values unpacked into whole, zero-filled struct xdpdns_answer. */
static void batch_unpack(struct map_fill *f, const struct fill_batch *b)
{
	const uint8_t *p = b->data + b->n * xdpdns_key_size(b->c);

	for (unsigned int i = 0; i < b->n; i++) {
		struct xdpdns_answer *v = &f->vals[i];

		memset(v, 0, sizeof(*v));
		memcpy(v, p, ANSWER_HDR);
		memcpy(v->data, p + ANSWER_HDR, val_len(v));
		p += ANSWER_HDR + val_len(v);
	}
}

/* Apply one batch; a failing element is counted and skipped, the rest still applied. */
static void batch_apply(struct map_fill *f, const struct fill_batch *b)
{
	struct map_fill_stats *st = &f->st;
	size_t ks = xdpdns_key_size(b->c);
	unsigned int done = 0;

	if (!b->del)
		batch_unpack(f, b);
	while (done < b->n) {
		unsigned int cnt = b->n - done;
		int err;

		if (b->del)
			err = f->ops->delete_batch(f->ctx, b->c, b->data + done * ks, &cnt);
		else
			err = f->ops->update_batch(f->ctx, b->c, b->data + done * ks,
						   f->vals + done, &cnt);
		if (cnt > b->n - done)
			cnt = b->n - done;
		if (b->del)
			st->deleted += cnt;
		else
			st->written += cnt;
		done += cnt;
		if (!err && cnt)
			continue;
		if (!err)
			err = -EIO;	/* no progress, no error: broken ops */
		if (done == b->n) {
			if (!st->err)
				st->err = err;
			break;
		}
		/* the element the call stopped at */
		if (b->del && err == -ENOENT) {
			st->deleted++;	/* already absent: what a delete wants */
		} else {
			st->failed++;
			st->unwritten += !b->del;
			if (!st->err)
				st->err = err;
		}
		done++;
	}
	st->batches++;
}

static void *fill_thread(void *arg)
{
	struct map_fill *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct fill_batch *b;

		while (!f->head && !f->stop)
			pthread_cond_wait(&f->work, &f->lock);
		b = f->head;
		if (!b)
			break;	/* stopped, and everything queued is applied */
		f->head = b->next;
		if (!f->head)
			f->tail = &f->head;
		pthread_mutex_unlock(&f->lock);
		batch_apply(f, b);
		pthread_mutex_lock(&f->lock);
		f->queued--;
		f->queued_bytes -= b->size;
		b->next = f->done;
		f->done = b;
		pthread_cond_signal(&f->space);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct map_fill *map_fill_new(const struct map_ops *ops, void *ctx, size_t max_bytes)
{
	sigset_t all, old;
	struct map_fill *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ops = ops;
	f->ctx = ctx;
	f->max_bytes = max_bytes;
	f->tail = &f->head;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->space, NULL);
	/* Signals stay with the owner's thread (xdpdns takes them from a signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&f->thread, NULL, fill_thread, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto out_destroy_sync;
	f->running = true;
	return f;

out_destroy_sync:
	pthread_cond_destroy(&f->space);
	pthread_cond_destroy(&f->work);
	pthread_mutex_destroy(&f->lock);
	free(f);
	errno = -err;
	return NULL;
}

static void batches_free(struct fill_batch *b)
{
	while (b) {
		struct fill_batch *next = b->next;

		free(b);
		b = next;
	}
}

int map_fill_finish(struct map_fill *f, struct map_fill_stats *st)
{
	if (f->running) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_cond_signal(&f->work);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
		f->running = false;
		batches_free(f->done);
		f->done = NULL;
	}
	if (st) {
		*st = f->st;
		st->waits = f->waits;
		st->peak_bytes = f->peak_bytes;
	}
	return f->st.err;
}

unsigned int map_fill_queued(struct map_fill *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->queued;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void map_fill_free(struct map_fill *f)
{
	if (!f)
		return;
	map_fill_finish(f, NULL);
	pthread_cond_destroy(&f->space);
	pthread_cond_destroy(&f->work);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Wait until everything queued is applied. */
static void fill_drain(struct map_fill *f)
{
	pthread_mutex_lock(&f->lock);
	while (f->queued)
		pthread_cond_wait(&f->space, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

/* n keys (and values, unless a delete) packed into a new batch; NULL when out of memory. */
static struct fill_batch *batch_pack(enum xdpdns_key_class c, const uint8_t *keys,
				     const struct xdpdns_answer *vals, unsigned int n)
{
	size_t ks = xdpdns_key_size(c), size = sizeof(struct fill_batch) + n * ks;
	struct fill_batch *b;
	uint8_t *p;

	for (unsigned int i = 0; vals && i < n; i++)
		size += ANSWER_HDR + val_len(&vals[i]);
	b = malloc(size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->c = c;
	b->del = !vals;
	b->n = n;
	memcpy(b->data, keys, n * ks);
	p = b->data + n * ks;
	for (unsigned int i = 0; vals && i < n; i++) {
		memcpy(p, &vals[i], ANSWER_HDR + val_len(&vals[i]));
		p += ANSWER_HDR + val_len(&vals[i]);
	}
	return b;
}

/*
 * Queue the call in MAP_FILL_BATCH parts, each waiting while it would take the queue past
 * max_bytes. A part that cannot be allocated, and the rest, run synchronously once the queue
 * is drained: *count and the result are then theirs.
 */
static int fill_queue(struct map_fill *f, enum xdpdns_key_class c, const void *keys,
		      const struct xdpdns_answer *vals, unsigned int *count)
{
	size_t ks = xdpdns_key_size(c);
	unsigned int n = *count;

	for (unsigned int done = 0; done < n;) {
		unsigned int cnt = n - done < MAP_FILL_BATCH ? n - done : MAP_FILL_BATCH;
		const uint8_t *k = (const uint8_t *)keys + done * ks;
		struct fill_batch *b = batch_pack(c, k, vals ? vals + done : NULL, cnt), *applied;

		if (!b) {
			int err;

			fill_drain(f);
			cnt = n - done;
			err = vals ? f->ops->update_batch(f->ctx, c, k, vals + done, &cnt) :
				     f->ops->delete_batch(f->ctx, c, k, &cnt);
			*count = done + (cnt < n - done ? cnt : n - done);
			return err;
		}
		pthread_mutex_lock(&f->lock);
		if (f->queued && f->queued_bytes + b->size > f->max_bytes)
			f->waits++;
		while (f->queued && f->queued_bytes + b->size > f->max_bytes)
			pthread_cond_wait(&f->space, &f->lock);
		*f->tail = b;
		f->tail = &b->next;
		f->queued++;
		f->queued_bytes += b->size;
		if (f->queued_bytes > f->peak_bytes)
			f->peak_bytes = f->queued_bytes;
		applied = f->done;
		f->done = NULL;
		pthread_cond_signal(&f->work);
		pthread_mutex_unlock(&f->lock);
		batches_free(applied);
		done += cnt;
	}
	return 0;	/* *count: all of them, for now */
}

static int fill_lookup(void *ctx, enum xdpdns_key_class c, const void *key,
		       struct xdpdns_answer *val)
{
	struct map_fill *f = ctx;

	fill_drain(f);
	return f->ops->lookup(f->ctx, c, key, val);
}

static int fill_next_key(void *ctx, enum xdpdns_key_class c, const void *key, void *next)
{
	struct map_fill *f = ctx;

	fill_drain(f);
	return f->ops->next_key(f->ctx, c, key, next);
}

static int fill_update_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			     const struct xdpdns_answer *vals, unsigned int *count)
{
	struct map_fill *f = ctx;

	if (!f->running)
		return f->ops->update_batch(f->ctx, c, keys, vals, count);
	return fill_queue(f, c, keys, vals, count);
}

static int fill_delete_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			     unsigned int *count)
{
	struct map_fill *f = ctx;

	if (!f->running)
		return f->ops->delete_batch(f->ctx, c, keys, count);
	return fill_queue(f, c, keys, NULL, count);
}

const struct map_ops map_fill_ops = {
	.lookup = fill_lookup,
	.update_batch = fill_update_batch,
	.delete_batch = fill_delete_batch,
	.next_key = fill_next_key,
};
