// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "writer.h"

#ifndef ENOTSUPP
#define ENOTSUPP	524	/* kernel-internal errno that bpf() returns for "no batch op" */
#endif

#define WRITER_BATCH	256		/* entries per batch syscall */
#define WRITER_SLOTS_MIN 1024		/* initial hash table size, a power of two */
#define TOUCHED_ABSENT	0x100		/* touched_meta: not desired at the commit's write pass */
/* Keys an iteration may return before reconcile gives up: a hash map restarts from its first
 * key when the current one is deleted under it, which only another writer can cause. */
#define WRITER_ITER_MAX	(2UL * XDPDNS_ANSWERS_MAX_ENTRIES)

/* One desired entry: the used bytes of the key name and of the answer, nothing else. */
struct want {
	__be16	qtype;
	uint8_t name_len;	/* 1..XDPDNS_NAME_MAX */
	uint8_t rcode;
	uint8_t flags;
	uint8_t zone;
	uint16_t ancount;
	uint16_t nscount;
	uint16_t arcount;
	uint16_t len;
	uint16_t csum;
	uint8_t bytes[];	/* name[name_len], then data[len] */
};

/* A hash table slot: the hash beside the pointer, so that a probe that does not match reads
 * no entry (the table is larger than the caches at a large cluster's 600k entries). */
struct slot {
	struct want *e;		/* NULL: empty */
	uint32_t hash;
};

struct map_writer {
	const struct map_ops *ops;
	void *ctx;
	struct map_writer_bpf bpf;	/* ctx when made by map_writer_new_maps() */
	struct slot *slots;		/* open addressing, linear probing */
	size_t n_slots;			/* a power of two, or 0 */
	size_t count;
	/* after a full commit: the keys added, replaced or removed since, for
	 * map_writer_commit_changes() */
	bool tracking;
	struct xdpdns_key_l *touched;
	uint16_t *touched_meta;		/* each one's name length, and TOUCHED_ABSENT */
	size_t n_touched, touched_cap;
	/* one batch: WRITER_BATCH keys of the class at hand, their values, insert or update */
	uint8_t *keys;
	struct xdpdns_answer *vals;
	bool inserting[WRITER_BATCH];
	struct xdpdns_answer cur;	/* lookup result */
	/* keys the sweep deletes, of one class, packed */
	uint8_t *stale;
	size_t stale_cap;		/* keys */
};

struct map_writer *map_writer_new(const struct map_ops *ops, void *ctx)
{
	struct map_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ops = ops;
	w->ctx = ctx;
	w->keys = malloc((size_t)WRITER_BATCH * XDPDNS_KEY_L);
	if (!w->keys)
		goto out_free_writer;
	w->vals = malloc(WRITER_BATCH * sizeof(*w->vals));
	if (!w->vals)
		goto out_free_keys;
	return w;

out_free_keys:
	free(w->keys);
out_free_writer:
	free(w);
	errno = ENOMEM;
	return NULL;
}

struct map_writer *map_writer_new_maps(const struct xdpdns_maps *m)
{
	struct map_writer *w = map_writer_new(&map_writer_bpf_ops, NULL);

	if (!w)
		return NULL;
	w->bpf.maps = m;
	w->ctx = &w->bpf;
	return w;
}

void map_writer_reset(struct map_writer *w)
{
	for (size_t i = 0; i < w->n_slots; i++)
		free(w->slots[i].e);
	free(w->slots);
	w->slots = NULL;
	w->n_slots = 0;
	w->count = 0;
	w->tracking = false;
	w->n_touched = 0;
}

void map_writer_free(struct map_writer *w)
{
	if (!w)
		return;
	map_writer_reset(w);
	free(w->touched);
	free(w->touched_meta);
	free(w->stale);
	free(w->vals);
	free(w->keys);
	free(w);
}

unsigned long map_writer_count(const struct map_writer *w)
{
	return w->count;
}

/* FNV-1a over qtype and name, the bytes the kernel hashes too. */
static uint32_t key_hash(__be16 qtype, const uint8_t *name, unsigned int len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint8_t *q = (const uint8_t *)&qtype;

	h = (h ^ q[0]) * 0x100000001b3ULL;
	h = (h ^ q[1]) * 0x100000001b3ULL;
	for (unsigned int i = 0; i < len; i++)
		h = (h ^ name[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* The slot holding the key, or the empty slot where it belongs. n_slots must be > 0. */
static struct slot *slot_find(const struct map_writer *w, uint32_t hash, __be16 qtype,
			      const uint8_t *name, unsigned int len)
{
	size_t mask = w->n_slots - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct slot *sl = &w->slots[i];
		const struct want *e = sl->e;

		if (!e || (sl->hash == hash && e->qtype == qtype && e->name_len == len &&
			   !memcmp(e->bytes, name, len)))
			return sl;
	}
}

static int slots_grow(struct map_writer *w)
{
	size_t n = w->n_slots ? w->n_slots * 2 : WRITER_SLOTS_MIN;
	struct slot *old = w->slots;
	size_t old_n = w->n_slots;

	/*
	 * Not calloc(): a large table comes zeroed from mmap, its pages would be mapped to the zero
	 * page by the first probe (a read) and copied at the first write, each a TLB flush on
	 * every CPU the process runs on: with the fill thread busy, 7% of the main thread's time
	 * in the first sync. Writing the zeros maps each page once (explicit_bzero: the compiler
	 * turns malloc() and memset() into calloc()).
	 */
	w->slots = malloc(n * sizeof(*w->slots));
	if (!w->slots) {
		w->slots = old;
		return -ENOMEM;
	}
	explicit_bzero(w->slots, n * sizeof(*w->slots));
	w->n_slots = n;
	for (size_t i = 0; i < old_n; i++) {
		size_t j;

		if (!old[i].e)
			continue;
		for (j = old[i].hash & (n - 1); w->slots[j].e; j = (j + 1) & (n - 1))
			;	/* the keys are distinct: the first empty slot */
		w->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* Remove the entry of slot from the table (backward-shift deletion, linear probing). */
static void slot_delete(struct map_writer *w, struct slot *slot)
{
	size_t mask = w->n_slots - 1, i = (size_t)(slot - w->slots), j = i;

	w->slots[i].e = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!w->slots[j].e)
			return;
		home = w->slots[j].hash & mask;
		/* it may move into the hole at i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			w->slots[i] = w->slots[j];
			w->slots[j].e = NULL;
			i = j;
		}
	}
}

static bool want_same(const struct want *e, const struct xdpdns_answer *val);

/* Note key (name_len bytes of name) for map_writer_commit_changes(). */
static int touch(struct map_writer *w, const struct xdpdns_key_l *key, unsigned int name_len)
{
	if (!w->tracking)
		return 0;
	if (w->n_touched == w->touched_cap) {
		size_t cap = w->touched_cap ? 2 * w->touched_cap : 64;
		struct xdpdns_key_l *v = realloc(w->touched, cap * sizeof(*v));
		uint16_t *m;

		if (!v)
			return -ENOMEM;
		w->touched = v;
		m = realloc(w->touched_meta, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;	/* touched is larger than needed: harmless */
		w->touched_meta = m;
		w->touched_cap = cap;
	}
	w->touched_meta[w->n_touched] = (uint16_t)name_len;
	w->touched[w->n_touched++] = *key;
	return 0;
}


int map_writer_add(struct map_writer *w, const struct xdpdns_key_l *key,
		   const struct xdpdns_answer *val)
{
	unsigned int name_len = xdpdns_key_name_len(key);
	struct slot *slot;
	struct want *e;
	uint32_t hash;

	if (!name_len || val->len > XDPDNS_ANSWER_MAX)
		return -EINVAL;
	if ((w->count + 1) * 2 > w->n_slots && slots_grow(w))
		return -ENOMEM;
	hash = key_hash(key->qtype, key->name, name_len);
	slot = slot_find(w, hash, key->qtype, key->name, name_len);
	if (slot->e && want_same(slot->e, val))
		return 0;
	if (touch(w, key, name_len))
		return -ENOMEM;
	e = malloc(sizeof(*e) + name_len + val->len);
	if (!e) {
		w->n_touched -= w->tracking;
		return -ENOMEM;
	}
	*e = (struct want){
		.qtype = key->qtype,
		.name_len = name_len,
		.rcode = val->rcode,
		.flags = val->flags,
		.zone = val->zone,
		.ancount = val->ancount,
		.nscount = val->nscount,
		.arcount = val->arcount,
		.len = val->len,
		.csum = val->csum,
	};
	memcpy(e->bytes, key->name, name_len);
	memcpy(e->bytes + name_len, val->data, val->len);
	if (!slot->e)
		w->count++;
	free(slot->e);
	slot->e = e;
	slot->hash = hash;
	return 0;
}

int map_writer_remove(struct map_writer *w, const struct xdpdns_key_l *key)
{
	unsigned int name_len = xdpdns_key_name_len(key);
	struct slot *slot;
	int err;

	if (!w->n_slots || !name_len)
		return 0;
	slot = slot_find(w, key_hash(key->qtype, key->name, name_len), key->qtype, key->name,
			 name_len);
	if (!slot->e)
		return 0;
	err = touch(w, key, name_len);
	if (err)
		return err;
	free(slot->e);
	slot_delete(w, slot);
	w->count--;
	return 0;
}

int map_writer_remove_cb(void *ctx, const struct xdpdns_key_l *key)
{
	return map_writer_remove(ctx, key);
}

int map_writer_emit(void *ctx, const struct xdpdns_key_l *key, const struct xdpdns_answer *val)
{
	return map_writer_add(ctx, key, val);
}

static void want_key(const struct want *e, uint8_t *key, size_t key_size)
{
	memset(key, 0, key_size);
	memcpy(key, &e->qtype, sizeof(e->qtype));
	memcpy(key + sizeof(e->qtype), e->bytes, e->name_len);
}

static void want_answer(const struct want *e, struct xdpdns_answer *val)
{
	memset(val, 0, sizeof(*val));
	val->rcode = e->rcode;
	val->flags = e->flags;
	val->zone = e->zone;
	val->ancount = e->ancount;
	val->nscount = e->nscount;
	val->arcount = e->arcount;
	val->len = e->len;
	val->csum = e->csum;
	memcpy(val->data, e->bytes + e->name_len, e->len);
}

/* Header fields and data[0..len): what the fast path reads. */
static bool want_same(const struct want *e, const struct xdpdns_answer *val)
{
	return val->rcode == e->rcode && val->flags == e->flags && val->zone == e->zone &&
	       val->ancount == e->ancount &&
	       val->nscount == e->nscount && val->arcount == e->arcount && val->len == e->len &&
	       val->csum == e->csum && !memcmp(val->data, e->bytes + e->name_len, e->len);
}

/* Is this map key (of class c, key_size bytes) an entry of the desired state? */
static bool key_desired(const struct map_writer *w, enum xdpdns_key_class c, const uint8_t *key)
{
	size_t key_size = xdpdns_key_size(c);
	struct xdpdns_key_l k = { 0 };
	unsigned int len;

	memcpy(&k, key, key_size);
	len = xdpdns_key_name_len(&k);
	if (!len || xdpdns_key_class(len) != c || !w->n_slots)
		return false;
	for (size_t i = sizeof(k.qtype) + len; i < key_size; i++)
		if (key[i])
			return false;	/* not zero-filled: the fast path never builds it */
	return slot_find(w, key_hash(k.qtype, k.name, len), k.qtype, k.name, len)->e != NULL;
}

static void fail_note(struct map_writer_stats *s, int *first, int err)
{
	s->syscalls_failed++;
	if (!*first)
		*first = err;
}

/*
 * Write (update) or delete n packed keys of class c, in as few batch calls as the ops allow.
 * An element that fails is counted and skipped; the rest are still tried.
 */
static void batch_apply(struct map_writer *w, enum xdpdns_key_class c, const uint8_t *keys,
			unsigned int n, bool update, struct map_writer_stats *s, int *first)
{
	size_t key_size = xdpdns_key_size(c);
	unsigned int done = 0;

	while (done < n) {
		unsigned int cnt = n - done;
		int err;

		s->syscalls++;
		if (update)
			err = w->ops->update_batch(w->ctx, c, keys + done * key_size,
						   w->vals + done, &cnt);
		else
			err = w->ops->delete_batch(w->ctx, c, keys + done * key_size, &cnt);
		if (cnt > n - done)
			cnt = n - done;
		for (unsigned int i = done; i < done + cnt; i++) {
			if (!update)
				s->deleted++;
			else if (w->inserting[i])
				s->inserted++;
			else
				s->updated++;
		}
		done += cnt;
		if (err) {
			fail_note(s, first, err);
			if (done < n) {
				s->failed++;	/* the element the call stopped at */
				s->unwritten += update;
				done++;
			}
		} else if (!cnt) {
			s->failed += n - done;	/* no progress, no error: broken ops */
			s->unwritten += update ? n - done : 0;
			if (!*first)
				*first = -EIO;
			break;
		}
	}
}

/*
 * Write every desired entry of class c whose map value differs or is missing; dry: only count
 * them (as inserted or updated).
 */
static void class_write(struct map_writer *w, enum xdpdns_key_class c, bool dry, bool empty,
			struct map_writer_stats *s, int *first)
{
	size_t key_size = xdpdns_key_size(c);
	unsigned int n = 0;

	for (size_t i = 0; i < w->n_slots; i++) {
		const struct want *e = w->slots[i].e;
		uint8_t *key = w->keys + n * key_size;
		int err = -ENOENT;

		if (!e || xdpdns_key_class(e->name_len) != c)
			continue;
		want_key(e, key, key_size);
		if (!empty) {
			s->syscalls++;
			err = w->ops->lookup(w->ctx, c, key, &w->cur);
		}
		if (!err && want_same(e, &w->cur)) {
			s->unchanged++;
			continue;
		}
		if (err && err != -ENOENT)
			fail_note(s, first, err);	/* unreadable: write it anyway */
		if (dry) {
			if (err == -ENOENT)
				s->inserted++;
			else
				s->updated++;
			continue;
		}
		w->inserting[n] = err == -ENOENT;
		want_answer(e, &w->vals[n]);
		if (++n == WRITER_BATCH) {
			batch_apply(w, c, w->keys, n, true, s, first);
			n = 0;
		}
	}
	if (n)
		batch_apply(w, c, w->keys, n, true, s, first);
}

static int stale_push(struct map_writer *w, size_t n, size_t key_size, const uint8_t *key)
{
	if (n == w->stale_cap) {
		size_t cap = w->stale_cap ? w->stale_cap * 2 : WRITER_BATCH;
		uint8_t *p = realloc(w->stale, cap * XDPDNS_KEY_L);

		if (!p)
			return -ENOMEM;
		w->stale = p;
		w->stale_cap = cap;
	}
	memcpy(w->stale + n * key_size, key, key_size);
	return 0;
}

/*
 * Delete every key of class c that is not desired (dry: only count them). The keys are
 * collected first: deleting the current key of a hash map iteration would restart it.
 */
static void class_sweep(struct map_writer *w, enum xdpdns_key_class c, bool dry,
			struct map_writer_stats *s, int *first)
{
	size_t key_size = xdpdns_key_size(c);
	struct xdpdns_key_l a, b;
	uint8_t *prev = NULL, *next = (uint8_t *)&a;
	size_t n = 0;

	for (unsigned long seen = 0;; seen++) {
		int err;

		if (seen == WRITER_ITER_MAX) {
			if (!*first)
				*first = -ELOOP;
			break;
		}
		s->syscalls++;
		err = w->ops->next_key(w->ctx, c, prev, next);
		if (err == -ENOENT)
			break;
		if (err) {
			fail_note(s, first, err);
			break;	/* cannot go on from here; delete what is known to be stale */
		}
		if (dry && !key_desired(w, c, next)) {
			s->deleted++;
		} else if (!key_desired(w, c, next)) {
			err = stale_push(w, n, key_size, next);
			if (err) {
				if (!*first)
					*first = err;
				break;
			}
			n++;
		}
		prev = next;
		next = next == (uint8_t *)&a ? (uint8_t *)&b : (uint8_t *)&a;
	}
	for (size_t done = 0; done < n; done += WRITER_BATCH) {
		unsigned int cnt = n - done < WRITER_BATCH ? n - done : WRITER_BATCH;

		batch_apply(w, c, w->stale + done * key_size, cnt, false, s, first);
	}
}

static int reconcile(struct map_writer *w, bool dry, struct map_writer_stats *st)
{
	struct map_writer_stats s = { .desired = w->count };
	int first = 0;

	bool empty[XDPDNS_CLASS_COUNT];
	struct xdpdns_key_l k;

	/* A map with no key at all (the first fill) needs no lookups and no sweep: nothing in
	 * it can differ from or be missing in the desired state. */
	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		s.syscalls++;
		empty[c] = w->ops->next_key(w->ctx, c, NULL, &k) == -ENOENT;
	}
	/* Every write of every class before any delete: a name moving between values, or a
	 * name whose NODATA entry gives way to a real answer, is never missing. */
	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++)
		class_write(w, c, dry, empty[c], &s, &first);
	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++)
		if (!empty[c])
			class_sweep(w, c, dry, &s, &first);
	if (st)
		*st = s;
	return first;
}

int map_writer_commit(struct map_writer *w, struct map_writer_stats *st)
{
	int err = reconcile(w, false, st);

	/* failed elements are the caller's to retry with another full commit */
	w->tracking = true;
	w->n_touched = 0;
	return err;
}

/*
 * Write the touched keys of class c that are desired and mark the others TOUCHED_ABSENT
 * (!deletes); delete the marked ones (deletes). The name lengths noted by touch() give the
 * class without a scan of the name, and the mark saves the delete pass a lookup.
 */
static void class_changes(struct map_writer *w, enum xdpdns_key_class c, bool deletes,
			  struct map_writer_stats *s, int *first)
{
	size_t key_size = xdpdns_key_size(c);
	unsigned int n = 0;

	for (size_t i = 0; i < w->n_touched; i++) {
		const struct xdpdns_key_l *k = &w->touched[i];
		unsigned int len = w->touched_meta[i] & 0xff;
		struct want *e = NULL;

		if (xdpdns_key_class(len) != c)
			continue;
		if (!deletes) {
			e = slot_find(w, key_hash(k->qtype, k->name, len), k->qtype, k->name, len)->e;
			if (!e)
				w->touched_meta[i] |= TOUCHED_ABSENT;
		} else if (!(w->touched_meta[i] & TOUCHED_ABSENT)) {
			continue;
		}
		if (deletes) {
			unsigned int cnt = 1;
			int err;

			s->syscalls++;
			err = w->ops->delete_batch(w->ctx, c, k, &cnt);
			if (!err)
				s->deleted++;
			else if (err != -ENOENT) {	/* never written: nothing to delete */
				fail_note(s, first, err);
				s->failed++;
			}
		} else if (e) {
			want_key(e, w->keys + n * key_size, key_size);
			want_answer(e, &w->vals[n]);
			w->inserting[n] = false;
			if (++n == WRITER_BATCH) {
				batch_apply(w, c, w->keys, n, true, s, first);
				n = 0;
			}
		}
	}
	if (n)
		batch_apply(w, c, w->keys, n, true, s, first);
}

int map_writer_commit_changes(struct map_writer *w, struct map_writer_stats *st)
{
	struct map_writer_stats s = { .desired = w->count };
	int first = 0;

	if (!w->tracking)
		return map_writer_commit(w, st);
	if (w->n_slots) {
		/* every write of every class before any delete, as in a full commit */
		for (int c = 0; c < XDPDNS_CLASS_COUNT; c++)
			class_changes(w, c, false, &s, &first);
		for (int c = 0; c < XDPDNS_CLASS_COUNT; c++)
			class_changes(w, c, true, &s, &first);
	}
	s.unchanged = s.desired - s.updated;
	w->n_touched = 0;
	if (st)
		*st = s;
	return first;
}

unsigned long map_writer_pending(const struct map_writer *w)
{
	return w->n_touched;
}

int map_writer_diff(struct map_writer *w, struct map_writer_stats *st)
{
	return reconcile(w, true, st);
}

/* The real syscalls. */

static bool batch_refused(int err)
{
	return err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP;
}

static int bpf_lookup(void *ctx, enum xdpdns_key_class c, const void *key,
		      struct xdpdns_answer *val)
{
	const struct map_writer_bpf *b = ctx;

	return bpf_map_lookup_elem(b->maps->answers[c], key, val) ? -errno : 0;
}

static int bpf_next_key(void *ctx, enum xdpdns_key_class c, const void *key, void *next)
{
	const struct map_writer_bpf *b = ctx;

	return bpf_map_get_next_key(b->maps->answers[c], key, next) ? -errno : 0;
}

/*
 * One batch syscall, or single ones when the kernel has no batch op for the map. A refused
 * batch leaves *count untouched (the kernel writes it back only once it runs the batch),
 * while an element that fails inside a batch stops it with *count below the input.
 */
static int bpf_apply(struct map_writer_bpf *b, enum xdpdns_key_class c, const void *keys,
		     const struct xdpdns_answer *vals, unsigned int *count)
{
	int fd = b->maps->answers[c];
	size_t key_size = xdpdns_key_size(c);
	unsigned int n = *count;

	if (!b->no_batch) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 cnt = n;
		int err;

		if (vals)
			err = bpf_map_update_batch(fd, keys, vals, &cnt, &opts);
		else
			err = bpf_map_delete_batch(fd, keys, &cnt, &opts);
		if (!err || !batch_refused(err) || cnt < n) {
			*count = cnt < n ? cnt : n;
			return err;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *key = (const uint8_t *)keys + i * key_size;
		int err;

		if (vals)
			err = bpf_map_update_elem(fd, key, &vals[i], BPF_ANY);
		else
			err = bpf_map_delete_elem(fd, key);
		if (err) {
			*count = i;
			return -errno;
		}
		if (i == 0)
			b->no_batch = true;	/* the batch was refused, not its element */
	}
	*count = n;
	return 0;
}

static int bpf_update_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			    const struct xdpdns_answer *vals, unsigned int *count)
{
	return bpf_apply(ctx, c, keys, vals, count);
}

static int bpf_delete_batch(void *ctx, enum xdpdns_key_class c, const void *keys,
			    unsigned int *count)
{
	return bpf_apply(ctx, c, keys, NULL, count);
}

const struct map_ops map_writer_bpf_ops = {
	.lookup = bpf_lookup,
	.update_batch = bpf_update_batch,
	.delete_batch = bpf_delete_batch,
	.next_key = bpf_next_key,
};

/* Zone table and config. */

static int now_ns(__u64 *out)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return -errno;
	*out = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	return 0;
}

static int config_read(const struct xdpdns_maps *m, struct xdpdns_config *cfg)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(m->config, &key, cfg) ? -errno : 0;
}

/* Every config write says the daemon is alive, and which meaning its entries have. */
static int config_write(const struct xdpdns_maps *m, struct xdpdns_config *cfg)
{
	__u32 key = 0;
	int err;

	cfg->abi = XDPDNS_ABI;
	err = now_ns(&cfg->heartbeat_ns);
	if (err)
		return err;
	return bpf_map_update_elem(m->config, &key, cfg, BPF_ANY) ? -errno : 0;
}

int map_heartbeat_write(const struct xdpdns_maps *m)
{
	struct xdpdns_config cfg;
	int err;

	err = config_read(m, &cfg);
	if (err)
		return err;
	return config_write(m, &cfg);
}

int map_config_write(const struct xdpdns_maps *m, const struct map_config *c)
{
	struct xdpdns_config cfg, cur;
	int err;

	if (c->n_v4 > XDPDNS_MAX_LISTEN || c->n_v6 > XDPDNS_MAX_LISTEN ||
	    (c->edns_size && c->edns_size < 512))
		return -EINVAL;
	err = config_read(m, &cur);
	if (err)
		return err;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stale_after_ns = c->stale_after_ns;
	cfg.port = htons(c->port);
	cfg.edns_size = c->edns_size ? c->edns_size : XDPDNS_EDNS_SIZE;
	cfg.n_v4 = c->n_v4;
	cfg.n_v6 = c->n_v6;
	cfg.n_zones = cur.n_zones;	/* owned by map_zones_write() */
	for (unsigned int i = 0; i < c->n_v4; i++)
		cfg.v4[i] = c->v4[i].s_addr;
	for (unsigned int i = 0; i < c->n_v6; i++)
		memcpy(cfg.v6[i].b, c->v6[i].s6_addr, sizeof(cfg.v6[i].b));
	return config_write(m, &cfg);
}

/* Copy z into out with the name lower-cased and zero-filled and the padding zeroed. */
static int zone_normalize(struct xdpdns_zone *out, const struct xdpdns_zone *z)
{
	struct xdpdns_key_l key;

	if (z->action != XDPDNS_ZONE_AUTH && z->action != XDPDNS_ZONE_PASS)
		return -EINVAL;
	if (z->name_len == 0 || z->name_len > XDPDNS_NAME_MAX)
		return -EINVAL;
	if (xdpdns_key_build(&key, z->name, z->name_len, 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, key.name, z->name_len);
	out->name_len = z->name_len;
	out->action = z->action;
	out->soa_csum = z->soa_csum;
	memcpy(out->soa, z->soa, XDPDNS_SOA_LEN);
	return 0;
}

/* Same zones in the same slots: names and lengths agree for every used entry. */
static bool zones_same_names(const struct xdpdns_zone *a, const struct xdpdns_zone *b,
			     unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i].name_len != b[i].name_len || memcmp(a[i].name, b[i].name, a[i].name_len))
			return false;
	return true;
}

/* zones[0..n) normalized into want[XDPDNS_MAX_ZONES] (zero-filled past n), longest name
 * first; stable, so equal lengths keep the given order. */
static int zones_sort(struct xdpdns_zone *want, const struct xdpdns_zone *zones, unsigned int n)
{
	int err;

	if (n > XDPDNS_MAX_ZONES)
		return -E2BIG;
	memset(want, 0, XDPDNS_MAX_ZONES * sizeof(*want));
	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_zone z;
		unsigned int j;

		err = zone_normalize(&z, &zones[i]);
		if (err)
			return err;
		for (j = 0; j < i; j++)
			if (want[j].name_len == z.name_len &&
			    !memcmp(want[j].name, z.name, z.name_len))
				return -EINVAL;
		for (j = i; j > 0 && want[j - 1].name_len < z.name_len; j--)
			want[j] = want[j - 1];
		want[j] = z;
	}
	return 0;
}

/* The config and the whole zone table as the maps hold them. */
static int zones_read(const struct xdpdns_maps *m, struct xdpdns_config *cfg,
		      struct xdpdns_zone have[XDPDNS_MAX_ZONES])
{
	int err = config_read(m, cfg);

	if (err)
		return err;
	for (__u32 i = 0; i < XDPDNS_MAX_ZONES; i++)
		if (bpf_map_lookup_elem(m->zones, &i, &have[i]))
			return -errno;
	return 0;
}

int map_zones_prepare(const struct xdpdns_maps *m, const struct xdpdns_zone *zones,
		      unsigned int n)
{
	struct xdpdns_zone want[XDPDNS_MAX_ZONES], have[XDPDNS_MAX_ZONES];
	struct xdpdns_config cfg;
	int err;

	err = zones_sort(want, zones, n);
	if (!err)
		err = zones_read(m, &cfg, have);
	if (err)
		return err;
	if (!cfg.n_zones || (cfg.n_zones == n && zones_same_names(have, want, n)))
		return 0;
	cfg.n_zones = 0;
	return config_write(m, &cfg);
}

int map_zones_write(const struct xdpdns_maps *m, const struct xdpdns_zone *zones, unsigned int n)
{
	struct xdpdns_zone want[XDPDNS_MAX_ZONES], have[XDPDNS_MAX_ZONES];
	struct xdpdns_config cfg;
	bool same, in_place;
	int err;

	err = zones_sort(want, zones, n);
	if (!err)
		err = zones_read(m, &cfg, have);
	if (err)
		return err;
	same = cfg.n_zones == n;
	for (unsigned int i = 0; i < n; i++)
		if (memcmp(&have[i], &want[i], sizeof(want[i])))
			same = false;
	if (same)
		return 0;
	/*
	 * The same zones in the same order (only an SOA or an action differs): every entry is
	 * rewritten where it is and n_zones stays. A name keeps matching the zone it matched, and
	 * each entry switches from its old content to its new one (a reader racing the copy of
	 * one entry may see a mix of its old and new SOA: a reply with the wrong serial or a bad
	 * UDP checksum that the client drops and asks again). Anything else (a zone added,
	 * removed or moved) drops n_zones to 0 while the array is rewritten, because a
	 * half-written table can put a name in the wrong zone: a shorter zone ahead of a longer
	 * one inside it, an AUTH zone where a PASS zone stood, and so a wrong NXDOMAIN. With no
	 * zones, every miss is passed to the slow path, which is always correct.
	 */
	in_place = cfg.n_zones == n && zones_same_names(have, want, n);
	if (!in_place && cfg.n_zones) {
		cfg.n_zones = 0;
		err = config_write(m, &cfg);
		if (err)
			return err;
	}
	/* Entries past n are zeroed too, so a dump of the map shows only the table. */
	for (__u32 i = 0; i < XDPDNS_MAX_ZONES; i++) {
		if (!memcmp(&have[i], &want[i], sizeof(want[i])))
			continue;
		if (bpf_map_update_elem(m->zones, &i, &want[i], BPF_ANY))
			return -errno;
	}
	if (in_place)
		return 0;
	cfg.n_zones = n;
	return config_write(m, &cfg);
}

int map_zones_read(const struct xdpdns_maps *m, struct xdpdns_zone out[XDPDNS_MAX_ZONES])
{
	struct xdpdns_config cfg;
	int err = zones_read(m, &cfg, out);

	return err ? err : cfg.n_zones;
}
