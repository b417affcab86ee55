/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/unit/fake_maps.h - an in-memory fake of the answer maps' syscalls (struct map_ops),
 * for the writer's and the fill thread's tests (test_writer.c, test_fill.c).
 *
 * fake_ops with ctx &fk: lookup, batched update and delete, next_key, over one uthash table per
 * key class. It records the order of its write and delete calls (op, class, count, the first
 * key's qtype), counts lookups and next_key calls, fails on demand (an element whose key has a
 * given qtype; next_key once the map has been read), can make each write or delete call slow
 * (delay_us) or hold it until released (fake_hold), and is safe to call from one other thread
 * (the fill thread) while the test thread waits: it never asserts, it records what went wrong
 * in fk.bad, which fake_clear() asserts is NULL.
 */
#ifndef XDPDNS_TESTS_FAKE_MAPS_H
#define XDPDNS_TESTS_FAKE_MAPS_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <uthash.h>

#include "writer.h"

#define FAKE_LOG_MAX 4096

struct fake_entry {
	UT_hash_handle hh;
	struct xdpdns_answer val;
	uint8_t key[XDPDNS_KEY_L];	/* xdpdns_key_size(class) bytes are the hash key */
};

struct fake_call {
	char op;			/* 'U' update_batch, 'D' delete_batch */
	enum xdpdns_key_class c;
	unsigned int count;		/* elements asked for */
	uint16_t qtype;			/* of the first key */
};

struct fake {
	struct fake_entry *map[XDPDNS_CLASS_COUNT];
	struct fake_call log[FAKE_LOG_MAX];
	unsigned int n_log;
	unsigned int lookups;
	unsigned int next_keys;
	const char *bad;		/* what went wrong inside the fake, NULL when nothing */
	/* failure injection: an element whose key has this qtype fails (0: never) */
	uint16_t fail_update_qtype;	/* with -E2BIG */
	uint16_t fail_delete_qtype;	/* with -EPERM */
	uint16_t fail_lookup_qtype;	/* with -EIO */
	int fail_next_key;		/* next_key fails with this once the map has been read */
	unsigned int delay_us;		/* each write or delete call takes this long */
	/* held: write and delete calls wait until released */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool held;
};

static struct fake fk;

static inline uint16_t key_qtype(const void *key)
{
	__be16 q;

	memcpy(&q, key, sizeof(q));
	return ntohs(q);
}

static inline struct fake_entry *fake_find(enum xdpdns_key_class c, const void *key)
{
	struct fake_entry *e;

	HASH_FIND(hh, fk.map[c], key, xdpdns_key_size(c), e);
	return e;
}

static inline void fake_check_ctx(const void *ctx)
{
	if (ctx != &fk)
		fk.bad = "wrong ctx";
}

/* Log a write or delete call, then take delay_us and wait while held. */
static inline void fake_call(char op, enum xdpdns_key_class c, const void *keys,
			     unsigned int count)
{
	if (fk.n_log == FAKE_LOG_MAX) {
		fk.bad = "call log overflow";
	} else {
		fk.log[fk.n_log++] = (struct fake_call){ .op = op, .c = c, .count = count,
							 .qtype = key_qtype(keys) };
	}
	if (fk.delay_us)
		usleep(fk.delay_us);
	pthread_mutex_lock(&fk.lock);
	while (fk.held)
		pthread_cond_wait(&fk.cond, &fk.lock);
	pthread_mutex_unlock(&fk.lock);
}

static inline void fake_hold(bool held)
{
	pthread_mutex_lock(&fk.lock);
	fk.held = held;
	pthread_cond_broadcast(&fk.cond);
	pthread_mutex_unlock(&fk.lock);
}

static int fake_lookup(void *ctx, enum xdpdns_key_class c, const void *key,
		       struct xdpdns_answer *val)
{
	struct fake_entry *e;

	fake_check_ctx(ctx);
	fk.lookups++;
	if (fk.fail_lookup_qtype && key_qtype(key) == fk.fail_lookup_qtype)
		return -EIO;
	e = fake_find(c, key);
	if (!e)
		return -ENOENT;
	*val = e->val;
	return 0;
}

static int fake_update_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			     const struct xdpdns_answer *vals, unsigned int *count)
{
	size_t ks = xdpdns_key_size(c);

	fake_check_ctx(ctx);
	fake_call('U', c, keys, *count);
	for (unsigned int i = 0; i < *count; i++) {
		const uint8_t *key = (const uint8_t *)keys + i * ks;
		struct fake_entry *e;

		if (fk.fail_update_qtype && key_qtype(key) == fk.fail_update_qtype) {
			*count = i;
			return -E2BIG;
		}
		e = fake_find(c, key);
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e) {
				fk.bad = "out of memory";
				*count = i;
				return -ENOMEM;
			}
			memcpy(e->key, key, ks);
			HASH_ADD(hh, fk.map[c], key, ks, e);
		}
		e->val = vals[i];
	}
	return 0;
}

static int fake_delete_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			     unsigned int *count)
{
	size_t ks = xdpdns_key_size(c);

	fake_check_ctx(ctx);
	fake_call('D', c, keys, *count);
	for (unsigned int i = 0; i < *count; i++) {
		const uint8_t *key = (const uint8_t *)keys + i * ks;
		struct fake_entry *e = fake_find(c, key);

		if (!e || (fk.fail_delete_qtype && key_qtype(key) == fk.fail_delete_qtype)) {
			*count = i;
			return e ? -EPERM : -ENOENT;
		}
		HASH_DEL(fk.map[c], e);
		free(e);
	}
	return 0;
}

static int fake_next_key(void *ctx, enum xdpdns_key_class c, const void *key, void *next)
{
	struct fake_entry *e;

	fake_check_ctx(ctx);
	fk.next_keys++;
	if (fk.fail_next_key && key)
		return fk.fail_next_key;
	e = key ? fake_find(c, key) : NULL;
	e = key && e ? e->hh.next : fk.map[c];	/* an unknown key restarts, as in a kernel */
	if (!e)
		return -ENOENT;
	memcpy(next, e->key, xdpdns_key_size(c));
	return 0;
}

static const struct map_ops fake_ops = {
	.lookup = fake_lookup,
	.update_batch = fake_update_batch,
	.delete_batch = fake_delete_batch,
	.next_key = fake_next_key,
};

/* Empty maps, no calls, no failures (a test's setup). */
static inline void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	pthread_cond_init(&fk.cond, NULL);
}

/* Free the maps (a test's teardown, after whatever calls the fake has stopped), and check that
 * nothing went wrong inside the fake. */
static inline void fake_clear(void)
{
	const char *bad = fk.bad;

	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		struct fake_entry *e, *tmp;

		HASH_ITER(hh, fk.map[c], e, tmp) {
			HASH_DEL(fk.map[c], e);
			free(e);
		}
	}
	pthread_cond_destroy(&fk.cond);
	pthread_mutex_destroy(&fk.lock);
	cr_assert_null(bad, "inside the fake maps: %s", bad);
}

/* Forget the calls made so far (the maps stay). */
static inline void fake_forget_calls(void)
{
	fk.n_log = 0;
	fk.lookups = 0;
	fk.next_keys = 0;
}

#endif
