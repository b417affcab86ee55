// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reconcile (maps/writer.c) against the in-memory fake of the map syscalls (fake_maps.h),
 * which records the order of its write and delete calls and fails on demand; then, as root,
 * the real syscalls on kernel maps created with the contract's key and value sizes.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <uthash.h>

#include "fake_maps.h"
#include "writer.h"

static struct map_writer *w;

static void setup(void)
{
	fake_reset();
	w = map_writer_new(&fake_ops, &fk);
	cr_assert_not_null(w);
}

static void teardown(void)
{
	map_writer_free(w);
	fake_clear();
}

/* Wire name of "<label>.<n>.<filler labels to reach about len bytes>.test." */
static size_t make_name(uint8_t *out, const char *label, unsigned int n, size_t len)
{
	char first[64];
	size_t pos = 0;
	int l = snprintf(first, sizeof(first), "%s%u", label, n);

	out[pos++] = (uint8_t)l;
	memcpy(out + pos, first, (size_t)l);
	pos += (size_t)l;
	while (pos + 1 + 5 + 1 < len) {
		size_t fill = len - pos - 1 - 5 - 1 - 1;

		if (fill > XDPDNS_LABEL_MAX)
			fill = XDPDNS_LABEL_MAX;
		if (fill == 0)
			break;
		out[pos++] = (uint8_t)fill;
		memset(out + pos, 'x', fill);
		pos += fill;
	}
	memcpy(out + pos, "\x04test", 5);
	pos += 5;
	out[pos++] = 0;
	return pos;
}

static struct xdpdns_key_l key_of(const char *label, unsigned int n, size_t len, uint16_t qtype)
{
	uint8_t name[XDPDNS_NAME_MAX];
	struct xdpdns_key_l k;
	size_t nl = make_name(name, label, n, len);

	cr_assert_eq(xdpdns_key_build(&k, name, nl, qtype), 0, "name %s%u", label, n);
	return k;
}

static struct xdpdns_answer answer_of(unsigned int n, uint8_t tag)
{
	struct xdpdns_answer a = { 0 };

	a.ancount = 1;
	a.len = 16 + n % 7;
	for (unsigned int i = 0; i < a.len; i++)
		a.data[i] = (uint8_t)(tag + i + n);
	a.csum = xdpdns_csum_partial(a.data, a.len);
	return a;
}

static size_t fake_count(enum xdpdns_key_class c)
{
	return HASH_COUNT(fk.map[c]);
}

static size_t fake_total(void)
{
	return fake_count(XDPDNS_CLASS_S) + fake_count(XDPDNS_CLASS_M) + fake_count(XDPDNS_CLASS_L);
}

/* The map holds exactly key -> val, zero-filled beyond len. */
static void assert_holds(const struct xdpdns_key_l *k, const struct xdpdns_answer *val)
{
	unsigned int len = xdpdns_key_name_len(k);
	struct fake_entry *e = fake_find(xdpdns_key_class(len), k);
	struct xdpdns_answer want = *val;

	cr_assert_not_null(e, "entry missing");
	memset(want.data + want.len, 0, sizeof(want.data) - want.len);
	memset(want.pad, 0, sizeof(want.pad));
	cr_assert_eq(memcmp(&e->val, &want, sizeof(want)), 0, "entry differs");
}

static unsigned int count_calls(char op)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fk.n_log; i++)
		n += fk.log[i].op == op;
	return n;
}

/* Three entries, one per class: 20-, 100- and 200-byte names. */
static const size_t class_len[XDPDNS_CLASS_COUNT] = { 20, 100, 200 };

static void add_three(uint8_t tag)
{
	for (unsigned int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		struct xdpdns_key_l k = key_of("e", c, class_len[c], 1);
		struct xdpdns_answer a = answer_of(c, tag);

		cr_assert_eq(xdpdns_key_class(xdpdns_key_name_len(&k)), c);
		cr_assert_eq(map_writer_add(w, &k, &a), 0);
	}
}

TestSuite(writer, .init = setup, .fini = teardown);

Test(writer, initial_fill)
{
	struct map_writer_stats st;

	add_three(1);
	cr_assert_eq(map_writer_count(w), 3);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.desired, 3);
	cr_assert_eq(st.inserted, 3);
	cr_assert_eq(st.updated + st.unchanged + st.deleted + st.failed + st.syscalls_failed, 0);
	for (unsigned int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		struct xdpdns_key_l k = key_of("e", c, class_len[c], 1);
		struct xdpdns_answer a = answer_of(c, 1);

		cr_assert_eq(fake_count(c), 1, "class %u", c);
		assert_holds(&k, &a);
	}
	/* empty maps: one emptiness probe and one update per class; no lookup, no sweep */
	cr_assert_eq(count_calls('U'), 3);
	cr_assert_eq(count_calls('D'), 0);
	cr_assert_eq(fk.lookups, 0);
	cr_assert_eq(st.syscalls, 3 + 3);
}

Test(writer, noop_recommit_writes_nothing)
{
	struct map_writer_stats st;

	add_three(1);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(fk.n_log, 0, "a no-op commit made %u write/delete calls", fk.n_log);
	cr_assert_eq(st.unchanged, 3);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);

	/* The same desired state collected again: still nothing to write. */
	map_writer_reset(w);
	cr_assert_eq(map_writer_count(w), 0);
	add_three(1);
	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(fk.n_log, 0);
	cr_assert_eq(st.unchanged, 3);
}

Test(writer, compares_header_and_used_data_only)
{
	struct map_writer_stats st;
	struct fake_entry *e;

	add_three(1);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	/* Bytes the fast path never reads differ in the map: not a reason to rewrite. */
	e = fk.map[XDPDNS_CLASS_S];
	e->val.data[e->val.len + 3] = 0xaa;
	e->val.pad[1] = 7;
	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(fk.n_log, 0);
	cr_assert_eq(st.unchanged, 3);

	/* Each header field is compared. */
	e->val.nscount = 9;
	e = fk.map[XDPDNS_CLASS_M];
	e->val.csum ^= 1;
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.updated, 2);
	cr_assert_eq(st.unchanged, 1);
	/* the zone slot of a XDPDNS_ANS_ZONE_SOA entry too */
	e = fk.map[XDPDNS_CLASS_L];
	e->val.zone = 3;
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.updated, 1);
	cr_assert_eq(e->val.zone, 0);
}

Test(writer, changed_value_rewritten)
{
	struct map_writer_stats st;
	struct xdpdns_key_l k = key_of("e", 1, class_len[1], 1);
	struct xdpdns_answer changed = answer_of(1, 50);

	add_three(1);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	map_writer_reset(w);
	add_three(1);
	cr_assert_eq(map_writer_add(w, &k, &changed), 0);	/* replaces the value */
	cr_assert_eq(map_writer_count(w), 3);
	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.updated, 1);
	cr_assert_eq(st.unchanged, 2);
	cr_assert_eq(st.inserted + st.deleted, 0);
	cr_assert_eq(fk.n_log, 1);
	cr_assert_eq(fk.log[0].op, 'U');
	cr_assert_eq(fk.log[0].c, XDPDNS_CLASS_M);
	cr_assert_eq(fk.log[0].count, 1);
	assert_holds(&k, &changed);

	/* A shorter value: the old tail must not survive. */
	changed.len = 3;
	changed.csum = xdpdns_csum_partial(changed.data, 3);
	cr_assert_eq(map_writer_add(w, &k, &changed), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.updated, 1);
	assert_holds(&k, &changed);
}

Test(writer, removed_key_swept)
{
	struct map_writer_stats st;
	struct xdpdns_key_l gone = key_of("e", 2, class_len[2], 1);

	add_three(1);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	map_writer_reset(w);
	for (unsigned int c = 0; c < 2; c++) {
		struct xdpdns_key_l k = key_of("e", c, class_len[c], 1);
		struct xdpdns_answer a = answer_of(c, 1);

		cr_assert_eq(map_writer_add(w, &k, &a), 0);
	}
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.deleted, 1);
	cr_assert_eq(st.unchanged, 2);
	cr_assert_null(fake_find(XDPDNS_CLASS_L, &gone));
	cr_assert_eq(fake_total(), 2);

	/* An empty desired state empties the maps. */
	map_writer_reset(w);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.deleted, 2);
	cr_assert_eq(fake_total(), 0);
}

Test(writer, same_name_other_type_is_another_entry)
{
	struct map_writer_stats st;
	struct xdpdns_key_l a = key_of("n", 1, 30, 1), aaaa = key_of("n", 1, 30, 28);
	struct xdpdns_answer v = answer_of(1, 1);

	cr_assert_eq(map_writer_add(w, &a, &v), 0);
	cr_assert_eq(map_writer_add(w, &aaaa, &v), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted, 2);
	map_writer_reset(w);
	cr_assert_eq(map_writer_add(w, &aaaa, &v), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.deleted, 1);
	cr_assert_null(fake_find(XDPDNS_CLASS_S, &a));
	cr_assert_not_null(fake_find(XDPDNS_CLASS_S, &aaaa));
}

Test(writer, foreign_keys_swept)
{
	struct map_writer_stats st;
	struct xdpdns_key_l k = key_of("e", 0, class_len[0], 1);
	struct xdpdns_answer v = answer_of(0, 1);
	unsigned int count = 1;
	uint8_t junk[XDPDNS_KEY_S];

	/* A short name in the large map: the fast path never looks there for it. */
	cr_assert_eq(fake_update_batch(&fk, XDPDNS_CLASS_L, &k, &v, &count), 0);
	/* A key with bytes after the root label, and a key that is not a name at all. */
	memcpy(junk, &k, sizeof(junk));
	junk[sizeof(junk) - 1] = 'z';
	cr_assert_eq(fake_update_batch(&fk, XDPDNS_CLASS_S, junk, &v, &count), 0);
	memset(junk, 0xff, sizeof(junk));
	cr_assert_eq(fake_update_batch(&fk, XDPDNS_CLASS_S, junk, &v, &count), 0);

	cr_assert_eq(map_writer_add(w, &k, &v), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted, 1);
	cr_assert_eq(st.deleted, 3);
	cr_assert_eq(fake_count(XDPDNS_CLASS_L), 0);
	cr_assert_eq(fake_count(XDPDNS_CLASS_S), 1);
	assert_holds(&k, &v);
}

Test(writer, every_update_before_any_delete)
{
	struct map_writer_stats st;
	unsigned int n = 3000, last_update = 0, first_delete = FAKE_LOG_MAX;

	/* Before: names 0..n-1 in all classes. After: n/2..n+n/2-1, half of them changed. */
	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_key_l k = key_of("o", i, class_len[i % 3], 1);
		struct xdpdns_answer v = answer_of(i, 1);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	cr_assert_eq(map_writer_commit(w, &st), 0);
	map_writer_reset(w);
	for (unsigned int i = n / 2; i < n + n / 2; i++) {
		struct xdpdns_key_l k = key_of("o", i, class_len[i % 3], 1);
		struct xdpdns_answer v = answer_of(i, i % 2 ? 1 : 2);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted, n / 2);
	cr_assert_eq(st.updated, n / 4);
	cr_assert_eq(st.unchanged, n / 4);
	cr_assert_eq(st.deleted, n / 2);
	for (unsigned int i = 0; i < fk.n_log; i++) {
		if (fk.log[i].op == 'U')
			last_update = i;
		else if (first_delete == FAKE_LOG_MAX)
			first_delete = i;
	}
	cr_assert_gt(count_calls('U'), 3, "expected several update batches");
	cr_assert_gt(count_calls('D'), 0);
	cr_assert_lt(last_update, first_delete, "update call %u came after delete call %u",
		     last_update, first_delete);
	cr_assert_eq(fake_total(), n);
}

Test(writer, failed_update_counted_and_skipped)
{
	struct map_writer_stats st;
	struct xdpdns_answer v = answer_of(0, 1);

	/* 10 entries in one batch, one of which fails: the others still go in. */
	for (unsigned int i = 0; i < 10; i++) {
		struct xdpdns_key_l k = key_of("f", i, 20, i == 5 ? 99 : 1);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	fk.fail_update_qtype = 99;
	cr_assert_eq(map_writer_commit(w, &st), -E2BIG);
	cr_assert_eq(st.failed, 1);
	cr_assert_eq(st.unwritten, 1);
	cr_assert_eq(st.syscalls_failed, 1);
	cr_assert_eq(st.inserted, 9);
	cr_assert_eq(fake_total(), 9);
	cr_assert_leq(count_calls('U'), 2, "one call up to the failed element, one after it");

	/* Healed: the next commit writes only the missing entry. */
	fk.fail_update_qtype = 0;
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted, 1);
	cr_assert_eq(st.unchanged, 9);
	cr_assert_eq(st.failed + st.unwritten + st.syscalls_failed, 0);
}

Test(writer, diff_counts_and_writes_nothing)
{
	struct map_writer_stats st;
	struct xdpdns_key_l changed = key_of("d", 1, 20, 1), gone = key_of("d", 2, 100, 1),
			    added = key_of("d", 3, 200, 1), same = key_of("d", 4, 20, 1);
	struct xdpdns_answer v = answer_of(0, 1), v2 = answer_of(0, 2);

	/* Nothing in the maps: everything would be inserted, nothing is. */
	cr_assert_eq(map_writer_add(w, &changed, &v), 0);
	cr_assert_eq(map_writer_add(w, &gone, &v), 0);
	cr_assert_eq(map_writer_add(w, &same, &v), 0);
	cr_assert_eq(map_writer_diff(w, &st), 0);
	cr_assert_eq(st.inserted, 3);
	cr_assert_eq(st.updated + st.deleted + st.unchanged, 0);
	cr_assert_eq(fk.n_log, 0, "a diff made %u write/delete calls", fk.n_log);
	cr_assert_eq(fake_total(), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(map_writer_diff(w, &st), 0);
	cr_assert_eq(st.unchanged, 3);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);

	/* One changed, one gone, one added, one the same: counted as commit would do it. */
	map_writer_reset(w);
	cr_assert_eq(map_writer_add(w, &changed, &v2), 0);
	cr_assert_eq(map_writer_add(w, &added, &v), 0);
	cr_assert_eq(map_writer_add(w, &same, &v), 0);
	fake_forget_calls();
	cr_assert_eq(map_writer_diff(w, &st), 0);
	cr_assert_eq(fk.n_log, 0);
	cr_assert_eq(st.inserted, 1);
	cr_assert_eq(st.updated, 1);
	cr_assert_eq(st.deleted, 1);
	cr_assert_eq(st.unchanged, 1);
	cr_assert_not_null(fake_find(XDPDNS_CLASS_M, &gone), "the diff deleted");
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 3);
	cr_assert_null(fake_find(XDPDNS_CLASS_M, &gone));
}

Test(writer, failed_lookup_delete_iteration_counted)
{
	struct map_writer_stats st;
	struct xdpdns_key_l keep = key_of("k", 1, 20, 1), gone = key_of("k", 2, 20, 5),
			    gone2 = key_of("k", 3, 20, 1);
	struct xdpdns_answer v = answer_of(0, 1);

	cr_assert_eq(map_writer_add(w, &keep, &v), 0);
	cr_assert_eq(map_writer_add(w, &gone, &v), 0);
	cr_assert_eq(map_writer_add(w, &gone2, &v), 0);
	cr_assert_eq(map_writer_commit(w, &st), 0);

	/* A lookup that fails: counted, and the entry is written anyway. */
	fk.fail_lookup_qtype = 1;
	cr_assert_eq(map_writer_commit(w, &st), -EIO);
	cr_assert_eq(st.syscalls_failed, 2);
	cr_assert_eq(st.updated, 2);
	cr_assert_eq(st.unchanged, 1);
	fk.fail_lookup_qtype = 0;

	/* A delete that fails. */
	map_writer_reset(w);
	cr_assert_eq(map_writer_add(w, &keep, &v), 0);
	fk.fail_delete_qtype = 5;
	cr_assert_eq(map_writer_commit(w, &st), -EPERM);
	cr_assert_eq(st.failed, 1);
	cr_assert_eq(st.syscalls_failed, 1);
	cr_assert_eq(st.deleted, 1);
	cr_assert_not_null(fake_find(XDPDNS_CLASS_S, &gone));
	fk.fail_delete_qtype = 0;

	/* An iteration that breaks off after its first key: what was found is still swept. */
	fk.fail_next_key = -EBADF;
	cr_assert_eq(map_writer_commit(w, &st), -EBADF);
	cr_assert_eq(st.syscalls_failed, 1);
	cr_assert_leq(st.deleted, 1);
	fk.fail_next_key = 0;
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(fake_total(), 1);
	cr_assert_not_null(fake_find(XDPDNS_CLASS_S, &keep));
}

Test(writer, thousands_of_entries)
{
	struct map_writer_stats st;
	unsigned int n = 6000;

	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_key_l k = key_of("t", i, class_len[i % 3], i % 2 ? 1 : 28);
		struct xdpdns_answer v = answer_of(i, 3);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	cr_assert_eq(map_writer_count(w), n);
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.inserted, n);
	for (unsigned int c = 0; c < XDPDNS_CLASS_COUNT; c++)
		cr_assert_eq(fake_count(c), n / 3);
	/* Batched: 2000 entries per class in ceil(2000 / batch) calls, not 2000. */
	cr_assert_leq(count_calls('U'), 3 * 8);
	for (unsigned int i = 0; i < n; i += 97) {
		struct xdpdns_key_l k = key_of("t", i, class_len[i % 3], i % 2 ? 1 : 28);
		struct xdpdns_answer v = answer_of(i, 3);

		assert_holds(&k, &v);
	}

	fake_forget_calls();
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(fk.n_log, 0);
	cr_assert_eq(st.unchanged, n);

	map_writer_reset(w);
	for (unsigned int i = 0; i < n; i += 2) {
		struct xdpdns_key_l k = key_of("t", i, class_len[i % 3], 28);
		struct xdpdns_answer v = answer_of(i, 3);

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	cr_assert_eq(map_writer_commit(w, &st), 0);
	cr_assert_eq(st.deleted, n / 2);
	cr_assert_eq(st.unchanged, n / 2);
	cr_assert_eq(fake_total(), n / 2);
}

Test(writer, desired_state_is_compact)
{
	unsigned int n = 200000;
	struct mallinfo2 before, after;
	size_t used;

	before = mallinfo2();
	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_key_l k = key_of("pod", i, 40, 1);	/* 40-byte name */
		struct xdpdns_answer v = { .ancount = 1, .len = 16 };	/* an A record */

		cr_assert_eq(map_writer_add(w, &k, &v), 0);
	}
	after = mallinfo2();
	used = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
	/* 16-byte header + 40 + 16 bytes, plus 16-byte hash slots (pointer and hash, at most
	 * half full): far from sizeof key + value (656). */
	cr_assert_lt(used / n, 128, "%zu bytes per entry", used / n);
}

Test(writer, add_rejects_bad_input)
{
	struct xdpdns_key_l k = { 0 };
	struct xdpdns_answer v = { 0 };

	k.name[0] = 70;	/* label over 63 */
	cr_assert_eq(map_writer_add(w, &k, &v), -EINVAL);
	memset(k.name, 1, sizeof(k.name));	/* no root label */
	cr_assert_eq(map_writer_add(w, &k, &v), -EINVAL);
	k = key_of("b", 1, 20, 1);
	v.len = XDPDNS_ANSWER_MAX + 1;
	cr_assert_eq(map_writer_add(w, &k, &v), -EINVAL);
	v.len = XDPDNS_ANSWER_MAX;
	cr_assert_eq(map_writer_emit(w, &k, &v), 0);
	cr_assert_eq(map_writer_count(w), 1);
}

Test(writer, free_accepts_null)
{
	map_writer_free(NULL);
}

/* Real kernel maps, as root. */

static struct xdpdns_maps km = { { -1, -1, -1 }, -1, -1, -1, -1 };

static void kernel_maps_create(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, hash_opts, .map_flags = BPF_F_NO_PREALLOC);

	if (geteuid() != 0)
		cr_skip_test("needs root to create BPF maps");
	for (int c = 0; c < XDPDNS_CLASS_COUNT; c++) {
		km.answers[c] = bpf_map_create(BPF_MAP_TYPE_HASH, xdpdns_answer_map_names[c],
					       xdpdns_key_size(c), sizeof(struct xdpdns_answer),
					       XDPDNS_ANSWERS_MAX_ENTRIES, &hash_opts);
		if (km.answers[c] < 0)
			cr_skip_test("bpf_map_create: %s", strerror(errno));
	}
	km.zones = bpf_map_create(BPF_MAP_TYPE_ARRAY, XDPDNS_MAP_ZONES, 4,
				  sizeof(struct xdpdns_zone), XDPDNS_MAX_ZONES, NULL);
	km.config = bpf_map_create(BPF_MAP_TYPE_ARRAY, XDPDNS_MAP_CONFIG, 4,
				   sizeof(struct xdpdns_config), 1, NULL);
	cr_assert_geq(km.zones, 0);
	cr_assert_geq(km.config, 0);
}

static void kernel_maps_destroy(void)
{
	maps_close(&km);
}

static size_t kernel_count(enum xdpdns_key_class c)
{
	struct xdpdns_key_l a, b;
	void *prev = NULL, *next = &a;
	size_t n = 0;

	while (!bpf_map_get_next_key(km.answers[c], prev, next)) {
		n++;
		prev = next;
		next = next == (void *)&a ? (void *)&b : (void *)&a;
	}
	return n;
}

Test(kernel, reconcile_with_batch_ops, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct map_writer_bpf ctx = { .maps = &km };
	struct map_writer *kw = map_writer_new(&map_writer_bpf_ops, &ctx);
	struct map_writer_stats st;
	unsigned int n = 3000;

	cr_assert_not_null(kw);
	for (unsigned int i = 0; i < n; i++) {
		struct xdpdns_key_l k = key_of("k", i, class_len[i % 3], 1);
		struct xdpdns_answer v = answer_of(i, 4);

		cr_assert_eq(map_writer_add(kw, &k, &v), 0);
	}
	cr_assert_eq(map_writer_commit(kw, &st), 0, "failed syscalls: %lu", st.syscalls_failed);
	cr_assert_not(ctx.no_batch, "the kernel refused batch ops");
	cr_assert_eq(st.inserted, n);
	/* n lookups, a handful of batches, n + 3 iteration steps */
	cr_assert_lt(st.syscalls, 2 * n + 3 + 30, "%lu syscalls", st.syscalls);
	for (unsigned int c = 0; c < XDPDNS_CLASS_COUNT; c++)
		cr_assert_eq(kernel_count(c), n / 3);
	for (unsigned int i = 0; i < n; i += 7) {
		struct xdpdns_key_l k = key_of("k", i, class_len[i % 3], 1);
		struct xdpdns_answer v = answer_of(i, 4), got;

		cr_assert_eq(maps_lookup_answer(&km, &k, &got), 0, "entry %u", i);
		memset(v.data + v.len, 0, sizeof(v.data) - v.len);
		cr_assert_eq(memcmp(&got, &v, sizeof(v)), 0, "entry %u", i);
	}

	cr_assert_eq(map_writer_commit(kw, &st), 0);
	cr_assert_eq(st.unchanged, n);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);

	/* Keep the even half, change every fourth: batch deletes and updates. */
	map_writer_reset(kw);
	for (unsigned int i = 0; i < n; i += 2) {
		struct xdpdns_key_l k = key_of("k", i, class_len[i % 3], 1);
		struct xdpdns_answer v = answer_of(i, i % 4 ? 4 : 5);

		cr_assert_eq(map_writer_add(kw, &k, &v), 0);
	}
	cr_assert_eq(map_writer_commit(kw, &st), 0);
	cr_assert_not(ctx.no_batch);
	cr_assert_eq(st.deleted, n / 2);
	cr_assert_eq(st.updated, n / 4);
	cr_assert_eq(kernel_count(0) + kernel_count(1) + kernel_count(2), n / 2);
	map_writer_free(kw);
}

Test(kernel, writer_on_maps, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct map_writer *kw = map_writer_new_maps(&km);
	struct xdpdns_key_l k = key_of("m", 1, 20, 1);
	struct xdpdns_answer v = answer_of(1, 1), got;

	cr_assert_not_null(kw);
	cr_assert_eq(map_writer_add(kw, &k, &v), 0);
	cr_assert_eq(map_writer_commit(kw, NULL), 0);
	cr_assert_eq(maps_lookup_answer(&km, &k, &got), 0);
	cr_assert_eq(got.len, v.len);
	map_writer_free(kw);
}

static struct xdpdns_config config_get(void)
{
	struct xdpdns_config cfg;
	__u32 key = 0;

	cr_assert_eq(bpf_map_lookup_elem(km.config, &key, &cfg), 0);
	return cfg;
}

static struct xdpdns_zone zone_make(const char *wire, size_t len, uint8_t action)
{
	struct xdpdns_zone z = { .name_len = (uint16_t)len, .action = action, .soa_csum = 0x1234 };

	memcpy(z.name, wire, len);
	memset(z.soa, 0x5a, XDPDNS_SOA_LEN);
	return z;
}

Test(kernel, config_and_heartbeat, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct map_config c = { .port = 53, .stale_after_ns = 5000000000ULL, .n_v4 = 2, .n_v6 = 1 };
	struct xdpdns_config cfg;
	uint64_t hb;

	inet_pton(AF_INET, "169.254.20.10", &c.v4[0]);
	inet_pton(AF_INET, "10.96.0.10", &c.v4[1]);
	inet_pton(AF_INET6, "fd00::a", &c.v6[0]);
	cr_assert_eq(map_config_write(&km, &c), 0);
	cfg = config_get();
	cr_assert_eq(cfg.port, htons(53));
	cr_assert_eq(cfg.edns_size, XDPDNS_EDNS_SIZE);
	cr_assert_eq(cfg.stale_after_ns, 5000000000ULL);
	cr_assert_eq(cfg.n_v4, 2);
	cr_assert_eq(cfg.n_v6, 1);
	cr_assert_eq(cfg.v4[0], c.v4[0].s_addr);
	cr_assert_eq(cfg.v4[1], c.v4[1].s_addr);
	cr_assert_eq(memcmp(cfg.v6[0].b, c.v6[0].s6_addr, 16), 0);
	cr_assert_gt(cfg.heartbeat_ns, 0);
	hb = cfg.heartbeat_ns;
	usleep(1000);
	cr_assert_eq(map_heartbeat_write(&km), 0);
	cfg = config_get();
	cr_assert_gt(cfg.heartbeat_ns, hb);
	cr_assert_eq(cfg.port, htons(53));
	cr_assert_eq(cfg.n_v4, 2);

	c.n_v4 = XDPDNS_MAX_LISTEN + 1;
	cr_assert_eq(map_config_write(&km, &c), -EINVAL);
	c.n_v4 = 1;
	c.edns_size = 511;
	cr_assert_eq(map_config_write(&km, &c), -EINVAL);
}

Test(kernel, zone_table, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct xdpdns_zone zones[3] = {
		zone_make("\x07" "cluster\x05local", 15, XDPDNS_ZONE_AUTH),
		zone_make("\x03pod\x07" "Cluster\x05local", 19, XDPDNS_ZONE_PASS),
		zone_make("\x07in-addr\x04" "arpa", 14, XDPDNS_ZONE_AUTH),
	};
	struct map_config c = { .port = 53, .n_v4 = 1 };
	struct xdpdns_zone got;
	struct xdpdns_config cfg;
	uint64_t hb;
	__u32 i;

	cr_assert_eq(map_config_write(&km, &c), 0);
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cfg = config_get();
	cr_assert_eq(cfg.n_zones, 3);
	cr_assert_eq(cfg.port, htons(53), "config kept");
	i = 0;
	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	cr_assert_eq(got.name_len, 19, "longest first");
	cr_assert_eq(memcmp(got.name, "\x03pod\x07" "cluster\x05local", 19), 0, "lower-cased");
	cr_assert_eq(got.action, XDPDNS_ZONE_PASS);
	cr_assert_eq(got.soa_csum, 0x1234);
	cr_assert_eq(got.soa[XDPDNS_SOA_LEN - 1], 0x5a);
	i = 1;
	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	cr_assert_eq(got.name_len, 15);
	i = 2;
	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	cr_assert_eq(got.name_len, 14);

	/* The same table again writes nothing, not even the config. */
	hb = cfg.heartbeat_ns;
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_eq(config_get().heartbeat_ns, hb);

	/* A smaller table: the tail is cleared. */
	cr_assert_eq(map_zones_write(&km, zones, 1), 0);
	cr_assert_eq(config_get().n_zones, 1);
	i = 1;
	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	cr_assert_eq(got.name_len, 0);
	i = 0;
	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	cr_assert_eq(got.name_len, 15);

	/* The config writer keeps n_zones. */
	cr_assert_eq(map_config_write(&km, &c), 0);
	cr_assert_eq(config_get().n_zones, 1);

	/* Bad tables change nothing. */
	zones[1].action = 9;
	cr_assert_eq(map_zones_write(&km, zones, 2), -EINVAL);
	zones[1] = zones[0];
	cr_assert_eq(map_zones_write(&km, zones, 2), -EINVAL, "duplicate");
	zones[1].name_len = 14;
	cr_assert_eq(map_zones_write(&km, zones, 2), -EINVAL, "name_len disagrees");
	cr_assert_eq(map_zones_write(&km, zones, XDPDNS_MAX_ZONES + 1), -E2BIG);
	cr_assert_eq(config_get().n_zones, 1);
	cr_assert_eq(map_zones_write(&km, NULL, 0), 0);
	cr_assert_eq(config_get().n_zones, 0);
}

/* Entries name zones by slot: a table with other slots stops serving before they are written. */
Test(kernel, zone_table_prepare, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct xdpdns_zone zones[3] = {
		zone_make("\x07" "cluster\x05local", 15, XDPDNS_ZONE_AUTH),
		zone_make("\x03pod\x07" "cluster\x05local", 19, XDPDNS_ZONE_PASS),
		zone_make("\x07in-addr\x04" "arpa", 14, XDPDNS_ZONE_AUTH),
	};
	struct map_config c = { .port = 53, .n_v4 = 1 };
	uint64_t hb;

	cr_assert_eq(map_config_write(&km, &c), 0);
	cr_assert_eq(config_get().abi, XDPDNS_ABI, "every config write stamps the ABI");
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_eq(config_get().n_zones, 3);

	/* same names in the same slots (the SOA may differ): nothing written */
	hb = config_get().heartbeat_ns;
	zones[0].soa[37] = 0x99;
	cr_assert_eq(map_zones_prepare(&km, zones, 3), 0);
	cr_assert_eq(config_get().heartbeat_ns, hb);
	cr_assert_eq(config_get().n_zones, 3);

	/* a zone less, or one more: the table stops serving until it is written */
	cr_assert_eq(map_zones_prepare(&km, zones, 2), 0);
	cr_assert_eq(config_get().n_zones, 0);
	cr_assert_eq(map_zones_write(&km, zones, 2), 0);
	cr_assert_eq(config_get().n_zones, 2);
	cr_assert_eq(map_zones_prepare(&km, zones, 3), 0);
	cr_assert_eq(config_get().n_zones, 0);
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);

	/* bad tables are refused as by map_zones_write() and change nothing */
	zones[1] = zones[0];
	cr_assert_eq(map_zones_prepare(&km, zones, 2), -EINVAL);
	cr_assert_eq(map_zones_prepare(&km, zones, XDPDNS_MAX_ZONES + 1), -E2BIG);
	cr_assert_eq(config_get().n_zones, 3);
}

static struct xdpdns_zone zone_get(__u32 i)
{
	struct xdpdns_zone got;

	cr_assert_eq(bpf_map_lookup_elem(km.zones, &i, &got), 0);
	return got;
}

Test(kernel, zone_table_in_place, .init = kernel_maps_create, .fini = kernel_maps_destroy)
{
	struct xdpdns_zone zones[3] = {
		zone_make("\x07" "cluster\x05local", 15, XDPDNS_ZONE_AUTH),
		zone_make("\x03pod\x07" "cluster\x05local", 19, XDPDNS_ZONE_PASS),
		zone_make("\x07in-addr\x04" "arpa", 14, XDPDNS_ZONE_AUTH),
	};
	struct xdpdns_zone all[XDPDNS_MAX_ZONES];
	struct map_config c = { .port = 53, .n_v4 = 1 };
	uint64_t hb;

	cr_assert_eq(map_config_write(&km, &c), 0);
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_eq(map_zones_read(&km, all), 3);
	cr_assert_eq(all[0].name_len, 19);
	cr_assert_eq(all[3].name_len, 0);

	/*
	 * Only the SOAs change (a new serial), then only an action: the entries are rewritten
	 * where they are and the config is not written at all, so n_zones never drops to 0
	 * (which would pass every NXDOMAIN while the table is rewritten).
	 */
	hb = config_get().heartbeat_ns;
	for (int i = 0; i < 3; i++) {
		zones[i].soa[37] = 0x77;
		zones[i].soa_csum = 0x4321;
	}
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_eq(config_get().heartbeat_ns, hb, "the config was written");
	cr_assert_eq(config_get().n_zones, 3);
	for (__u32 i = 0; i < 3; i++) {
		cr_assert_eq(zone_get(i).soa[37], 0x77, "entry %u", i);
		cr_assert_eq(zone_get(i).soa_csum, 0x4321, "entry %u", i);
	}
	zones[0].action = XDPDNS_ZONE_PASS;
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_eq(config_get().heartbeat_ns, hb, "the config was written");
	cr_assert_eq(zone_get(1).action, XDPDNS_ZONE_PASS, "cluster.local is second");

	/* Another set of zones: n_zones went through 0, so the config was written. */
	usleep(1000);
	cr_assert_eq(map_zones_write(&km, zones, 2), 0);
	cr_assert_gt(config_get().heartbeat_ns, hb);
	cr_assert_eq(config_get().n_zones, 2);
	cr_assert_eq(zone_get(2).name_len, 0);
	hb = config_get().heartbeat_ns;
	usleep(1000);
	cr_assert_eq(map_zones_write(&km, zones, 3), 0);
	cr_assert_gt(config_get().heartbeat_ns, hb);
	cr_assert_eq(config_get().n_zones, 3);

	/* Two zones of one length swapped: the order changed, so not in place either. */
	zones[1] = zone_make("\x07" "example\x05local", 15, XDPDNS_ZONE_AUTH);
	cr_assert_eq(map_zones_write(&km, zones, 2), 0);
	cr_assert_eq(memcmp(zone_get(0).name, "\x07" "cluster", 8), 0);
	hb = config_get().heartbeat_ns;
	usleep(1000);
	{
		struct xdpdns_zone swapped[2] = { zones[1], zones[0] };

		cr_assert_eq(map_zones_write(&km, swapped, 2), 0);
	}
	cr_assert_gt(config_get().heartbeat_ns, hb);
	cr_assert_eq(memcmp(zone_get(0).name, "\x07" "example", 8), 0);
	cr_assert_eq(config_get().n_zones, 2);
}

/* After a full commit, a change writes only the keys it touched: no lookup, no iteration. */
Test(writer, changes_write_only_what_changed)
{
	struct map_writer_stats st;
	struct xdpdns_key_l k0 = key_of("e", 0, class_len[0], 1);
	struct xdpdns_key_l k1 = key_of("e", 1, class_len[1], 1);
	struct xdpdns_key_l k2 = key_of("e", 2, class_len[2], 1);
	struct xdpdns_key_l knew = key_of("n", 7, class_len[0], 28);
	struct xdpdns_answer changed = answer_of(1, 50), fresh = answer_of(0, 60), same;

	/* before any full commit, changes are a full commit */
	add_three(1);
	cr_assert_eq(map_writer_pending(w), 0);
	cr_assert_eq(map_writer_commit_changes(w, &st), 0);
	cr_assert_eq(st.inserted, 3);
	cr_assert_gt(fk.next_keys, 0, "a full commit sweeps");

	same = answer_of(0, 1);
	cr_assert_eq(map_writer_add(w, &k0, &same), 0);
	cr_assert_eq(map_writer_pending(w), 0, "an identical value is no change");
	cr_assert_eq(map_writer_add(w, &k1, &changed), 0);
	cr_assert_eq(map_writer_remove(w, &k2), 0);
	cr_assert_eq(map_writer_remove(w, &k2), 0, "absent: nothing to do");
	cr_assert_eq(map_writer_add(w, &knew, &fresh), 0);
	cr_assert_eq(map_writer_pending(w), 3);
	cr_assert_eq(map_writer_count(w), 3);
	fake_forget_calls();
	fk.lookups = fk.next_keys = 0;
	cr_assert_eq(map_writer_commit_changes(w, &st), 0);
	cr_assert_eq(st.updated, 2);
	cr_assert_eq(st.deleted, 1);
	cr_assert_eq(st.failed, 0);
	cr_assert_eq(fk.lookups + fk.next_keys, 0, "nothing read back");
	/* writes (one batch per class written) before the delete */
	cr_assert_eq(count_calls('U'), 2);
	cr_assert_eq(count_calls('D'), 1);
	cr_assert_eq(fk.log[fk.n_log - 1].op, 'D');
	assert_holds(&k0, &same);
	assert_holds(&k1, &changed);
	assert_holds(&knew, &fresh);
	cr_assert_null(fake_find(XDPDNS_CLASS_L, &k2));
	cr_assert_eq(map_writer_pending(w), 0);

	/* added and removed between two commits: never written, nothing to delete */
	cr_assert_eq(map_writer_add(w, &k2, &changed), 0);
	cr_assert_eq(map_writer_remove(w, &k2), 0);
	fake_forget_calls();
	cr_assert_eq(map_writer_commit_changes(w, &st), 0);
	cr_assert_eq(st.failed + st.deleted + st.updated, 0);

	/* the state is still exactly what a full commit finds */
	cr_assert_eq(map_writer_diff(w, &st), 0);
	cr_assert_eq(st.inserted + st.updated + st.deleted, 0);
	cr_assert_eq(st.unchanged, 3);
}

/* Removing from the open-addressed table keeps every other key findable. */
Test(writer, remove_keeps_the_table_whole)
{
	struct map_writer_stats st;
	struct xdpdns_answer a = answer_of(0, 9);

	for (unsigned int i = 0; i < 3000; i++) {
		struct xdpdns_key_l k = key_of("r", i, class_len[i % 3], 1);

		cr_assert_eq(map_writer_add(w, &k, &a), 0);
	}
	cr_assert_eq(map_writer_commit(w, &st), 0);
	for (unsigned int i = 0; i < 3000; i += 3) {
		struct xdpdns_key_l k = key_of("r", i, class_len[i % 3], 1);

		cr_assert_eq(map_writer_remove(w, &k), 0);
	}
	cr_assert_eq(map_writer_count(w), 2000);
	cr_assert_eq(map_writer_pending(w), 1000);
	/* every key left is found: adding it again with its value changes nothing */
	for (unsigned int i = 0; i < 3000; i++) {
		struct xdpdns_key_l k = key_of("r", i, class_len[i % 3], 1);

		if (i % 3)
			cr_assert_eq(map_writer_add(w, &k, &a), 0);
	}
	cr_assert_eq(map_writer_pending(w), 1000, "a key left became unfindable");
	cr_assert_eq(map_writer_count(w), 2000);
	cr_assert_eq(map_writer_commit_changes(w, &st), 0);
	cr_assert_eq(st.deleted, 1000);
	for (unsigned int i = 0; i < 3000; i++) {
		struct xdpdns_key_l k = key_of("r", i, class_len[i % 3], 1);

		cr_assert_eq(fake_find(xdpdns_key_class(class_len[i % 3]), &k) != NULL, i % 3 != 0,
			     "key %u", i);
	}
}
