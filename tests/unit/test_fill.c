// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fill thread (maps/fill.c) against the in-memory fake of the map syscalls (fake_maps.h),
 * which records the order of its calls, fails on demand and can be held: the calls are applied
 * in the order made (a commit's writes before its deletes), failures come back from
 * map_fill_finish(), a full queue blocks the caller, lookups see every write queued before
 * them, and finishing or freeing applies what is queued and makes later calls synchronous.
 * The fake runs on the fill thread: it records problems in fk.bad instead of asserting there.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <uthash.h>

#include "fake_maps.h"
#include "fill.h"

static void setup(void)
{
	fake_reset();
}

static void teardown(void)
{
	fake_clear();
}

TestSuite(fill, .init = setup, .fini = teardown);

/* The key of "k<n>.test." with qtype, class S. */
static struct xdpdns_key_l key_make(unsigned int n, uint16_t qtype)
{
	struct xdpdns_key_l k;
	uint8_t name[32];
	int l = snprintf((char *)name + 1, sizeof(name) - 1, "k%u", n);

	name[0] = (uint8_t)l;
	memcpy(name + 1 + l, "\4test", 6);
	if (xdpdns_key_build(&k, name, (size_t)l + 7, qtype))
		fk.bad = "xdpdns_key_build failed";	/* also called off the main thread */
	return k;
}

static struct xdpdns_answer val_make(unsigned int n)
{
	struct xdpdns_answer v;

	memset(&v, 0, sizeof(v));
	v.ancount = 1;
	v.len = 4;
	memcpy(v.data, &n, 4);
	return v;
}

/* n class-S keys k<first>.. with qtype, packed, and their values. */
static void batch_make(uint8_t *keys, struct xdpdns_answer *vals, unsigned int first,
		       unsigned int n, uint16_t qtype)
{
	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_key_l k = key_make(first + i, qtype);

		memcpy(keys + (size_t)i * XDPDNS_KEY_S, &k, XDPDNS_KEY_S);
		if (vals)
			vals[i] = val_make(first + i);
	}
}

static bool fake_has(unsigned int n, uint16_t qtype)
{
	struct xdpdns_key_l k = key_make(n, qtype);
	struct fake_entry *e = fake_find(XDPDNS_CLASS_S, &k);
	struct xdpdns_answer v = val_make(n);

	return e && !memcmp(e->val.data, v.data, 4);
}

static unsigned int fake_count(void)
{
	return HASH_COUNT(fk.map[XDPDNS_CLASS_S]);
}

static uint8_t keys[3 * MAP_FILL_BATCH * XDPDNS_KEY_S];
static struct xdpdns_answer vals[3 * MAP_FILL_BATCH];

Test(fill, calls_applied_in_order_long_ones_split)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);
	struct map_fill_stats st;
	unsigned int n;

	cr_assert_not_null(f);
	batch_make(keys, vals, 0, 3, 1);
	n = 3;
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	cr_assert_eq(n, 3, "a queued call reports every element done");
	n = 2;
	cr_assert_eq(map_fill_ops.delete_batch(f, XDPDNS_CLASS_S, keys, &n), 0);
	batch_make(keys, vals, 100, 2 * MAP_FILL_BATCH + 10, 28);
	n = 2 * MAP_FILL_BATCH + 10;
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	cr_assert_eq(n, 2 * MAP_FILL_BATCH + 10);
	cr_assert_eq(map_fill_finish(f, &st), 0);
	cr_assert_null(fk.bad, "%s", fk.bad);
	cr_assert_eq(fk.n_log, 5);
	cr_assert(fk.log[0].op == 'U' && fk.log[0].count == 3 && fk.log[0].qtype == 1);
	cr_assert(fk.log[1].op == 'D' && fk.log[1].count == 2 && fk.log[1].qtype == 1);
	for (int i = 2; i < 4; i++)
		cr_assert(fk.log[i].op == 'U' && fk.log[i].count == MAP_FILL_BATCH &&
			  fk.log[i].qtype == 28, "call %d: %c %u", i, fk.log[i].op,
			  fk.log[i].count);
	cr_assert(fk.log[4].op == 'U' && fk.log[4].count == 10);
	cr_assert_eq(st.batches, 5);
	cr_assert_eq(st.written, 3 + 2 * MAP_FILL_BATCH + 10);
	cr_assert_eq(st.deleted, 2);
	cr_assert_eq(st.failed, 0);
	cr_assert_eq(fake_count(), 1 + 2 * MAP_FILL_BATCH + 10);
	cr_assert(fake_has(2, 1) && !fake_has(0, 1) && !fake_has(1, 1));
	cr_assert(fake_has(100, 28) && fake_has(100 + 2 * MAP_FILL_BATCH + 9, 28));
	map_fill_free(f);
}

/* A map_writer commit through the fill: every write lands before any delete. */
Test(fill, writer_commit_writes_before_deletes)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);
	struct map_writer *w;
	struct map_writer_stats ws;
	unsigned int n = 5, first_d = 0, last_u = 0;

	cr_assert_not_null(f);
	/* stale entries k0..k4 of qtype 16, written directly */
	batch_make(keys, vals, 0, 5, 16);
	cr_assert_eq(fake_ops.update_batch(&fk, XDPDNS_CLASS_S, keys, vals, &n), 0);
	fk.n_log = 0;
	w = map_writer_new(&map_fill_ops, f);
	cr_assert_not_null(w);
	for (unsigned int i = 0; i < 600; i++) {
		struct xdpdns_key_l k = key_make(i, 1);
		struct xdpdns_answer v = val_make(i);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	fk.delay_us = 2000;	/* the writes lag behind: the sweep must still come after them */
	cr_assert_eq(map_writer_commit(w, &ws), 0);
	cr_assert_eq(map_fill_finish(f, NULL), 0);
	cr_assert_null(fk.bad, "%s", fk.bad);
	cr_assert_eq(fake_count(), 600);
	for (unsigned int i = 0; i < 600; i++)
		cr_assert(fake_has(i, 1), "k%u missing", i);
	for (unsigned int i = 0; i < fk.n_log; i++) {
		if (fk.log[i].op == 'U')
			last_u = i;
		else if (!first_d)
			first_d = i;
	}
	cr_assert_gt(first_d, last_u, "a delete (call %u) before a write (call %u)", first_d,
		     last_u);
	map_writer_free(w);
	map_fill_free(f);
}

Test(fill, failures_counted_and_skipped)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);
	struct map_fill_stats st;
	unsigned int n = 5;

	cr_assert_not_null(f);
	batch_make(keys, vals, 0, 5, 1);
	/* the element in the middle has another qtype, which the fake refuses */
	{
		struct xdpdns_key_l k = key_make(2, 99);

		memcpy(keys + 2 * XDPDNS_KEY_S, &k, XDPDNS_KEY_S);
	}
	fk.fail_update_qtype = 99;
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	/* deleting an absent key is no failure */
	batch_make(keys, NULL, 50, 2, 1);
	n = 2;
	cr_assert_eq(map_fill_ops.delete_batch(f, XDPDNS_CLASS_S, keys, &n), 0);
	cr_assert_eq(map_fill_finish(f, &st), -E2BIG);
	cr_assert_null(fk.bad, "%s", fk.bad);
	cr_assert_eq(st.err, -E2BIG);
	cr_assert_eq(st.failed, 1);
	cr_assert_eq(st.unwritten, 1);
	cr_assert_eq(st.written, 4);
	cr_assert_eq(st.deleted, 2);
	cr_assert(fake_has(0, 1) && fake_has(1, 1) && fake_has(3, 1) && fake_has(4, 1));
	cr_assert_eq(fake_count(), 4);
	/* finished: calls are synchronous and return their real result */
	batch_make(keys, vals, 7, 1, 99);
	n = 1;
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), -E2BIG);
	cr_assert_eq(n, 0);
	batch_make(keys, vals, 8, 1, 1);
	n = 1;
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	cr_assert(fake_has(8, 1), "a synchronous write is done on return");
	cr_assert_eq(map_fill_finish(f, NULL), -E2BIG, "finishing again keeps the result");
	map_fill_free(f);
}

Test(fill, lookup_and_next_key_see_queued_writes)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);
	struct xdpdns_key_l k = key_make(3, 1), first;
	struct xdpdns_answer v;
	unsigned int n = 4;

	cr_assert_not_null(f);
	fk.delay_us = 50000;	/* a slow thread: without the drain the map is still empty */
	batch_make(keys, vals, 0, 4, 1);
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	cr_assert_eq(map_fill_ops.lookup(f, XDPDNS_CLASS_S, &k, &v), 0);
	cr_assert_eq(v.len, 4);
	n = 4;
	cr_assert_eq(map_fill_ops.delete_batch(f, XDPDNS_CLASS_S, keys, &n), 0);
	cr_assert_eq(map_fill_ops.next_key(f, XDPDNS_CLASS_S, NULL, &first), -ENOENT,
		     "next_key ran before the queued delete");
	cr_assert_eq(map_fill_queued(f), 0);
	map_fill_free(f);
	cr_assert_null(fk.bad, "%s", fk.bad);
}

struct producer {
	struct map_fill *f;
	unsigned int batches;
	atomic_uint returned;
};

static uint8_t pkeys[MAP_FILL_BATCH * XDPDNS_KEY_S];
static struct xdpdns_answer pvals[MAP_FILL_BATCH];

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (unsigned int i = 0; i < p->batches; i++) {
		unsigned int n = MAP_FILL_BATCH;

		batch_make(pkeys, pvals, i * MAP_FILL_BATCH, n, 1);
		map_fill_ops.update_batch(p->f, XDPDNS_CLASS_S, pkeys, pvals, &n);
		atomic_fetch_add(&p->returned, 1);
	}
	return NULL;
}

/* A batch of MAP_FILL_BATCH class-S keys with 4-byte values, as fill.h counts it: keys, value
 * headers and data, and a header of at most 64 bytes. */
#define PBATCH	((size_t)MAP_FILL_BATCH * (XDPDNS_KEY_S + 16 + 4))
#define PFIT	3	/* batches the bound holds */

Test(fill, full_queue_blocks_the_caller)
{
	struct producer p = { .batches = PFIT + 4 };
	struct map_fill_stats st;
	pthread_t t;

	p.f = map_fill_new(&fake_ops, &fk, PFIT * (PBATCH + 64));
	cr_assert_not_null(p.f);
	fake_hold(true);	/* the thread takes the first batch and stops there */
	cr_assert_eq(pthread_create(&t, NULL, produce, &p), 0);
	while (atomic_load(&p.returned) < PFIT)
		usleep(1000);
	/* give a producer that does not block the time to run ahead */
	usleep(100000);
	cr_expect_eq(atomic_load(&p.returned), PFIT,
		     "%u calls returned with room for %d batches, the first one held",
		     atomic_load(&p.returned), PFIT);
	cr_expect_eq(map_fill_queued(p.f), PFIT);
	fake_hold(false);
	pthread_join(t, NULL);
	cr_assert_eq(map_fill_finish(p.f, &st), 0);
	cr_assert_null(fk.bad, "%s", fk.bad);
	cr_assert_eq(st.batches, PFIT + 4);
	cr_assert_geq(st.waits, 1);
	cr_assert_leq(st.peak_bytes, PFIT * (PBATCH + 64));
	cr_assert_eq(fake_count(), (PFIT + 4) * MAP_FILL_BATCH);
	for (unsigned int i = 0; i < (PFIT + 4) * MAP_FILL_BATCH; i += 97)
		cr_assert(fake_has(i, 1), "k%u missing or overwritten", i);
	map_fill_free(p.f);
}

/* Values travel compactly: every byte of the header and of data[0..len) arrives, the rest of
 * data[] is zero whatever the caller's buffer held there. */
Test(fill, values_arrive_whole_and_zero_filled)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);
	struct xdpdns_key_l k = key_make(1, 1);
	struct xdpdns_answer v, zero;
	struct fake_entry *e;
	unsigned int n = 2;

	cr_assert_not_null(f);
	batch_make(keys, vals, 0, 2, 1);
	memset(vals[1].data, 0xab, sizeof(vals[1].data));	/* garbage past len */
	vals[1] = (struct xdpdns_answer){ .rcode = 3, .flags = 2, .ancount = 1, .nscount = 2,
					  .arcount = 3, .len = 5, .csum = 0x1234, .zone = 1 };
	memcpy(vals[1].data, "abcde", 5);
	v = vals[1];
	memset(vals[1].data + 5, 0xab, sizeof(vals[1].data) - 5);
	cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	cr_assert_eq(map_fill_finish(f, NULL), 0);
	e = fake_find(XDPDNS_CLASS_S, &k);
	cr_assert_not_null(e);
	cr_assert_eq(memcmp(&e->val, &v, sizeof(v)), 0, "the value changed on the way");
	memset(&zero, 0, sizeof(zero));
	cr_assert_eq(memcmp(e->val.data + 5, zero.data, sizeof(zero.data) - 5), 0);
	map_fill_free(f);
}

Test(fill, free_applies_what_is_queued)
{
	struct map_fill *f = map_fill_new(&fake_ops, &fk, 1 << 20);

	cr_assert_not_null(f);
	fk.delay_us = 20000;
	for (unsigned int i = 0; i < 5; i++) {
		unsigned int n = 10;

		batch_make(keys, vals, i * 10, n, 1);
		cr_assert_eq(map_fill_ops.update_batch(f, XDPDNS_CLASS_S, keys, vals, &n), 0);
	}
	map_fill_free(f);
	cr_assert_null(fk.bad, "%s", fk.bad);
	cr_assert_eq(fk.n_log, 5);
	cr_assert_eq(fake_count(), 50);
	map_fill_free(NULL);
}
