// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The userspace accessors of the map contract (maps/maps.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "maps.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t www_example[] = "\x03WwW\x07" "ExAmPlE\x03" "CoM";	/* + root */

Test(key_build, lower_cases_and_zero_fills)
{
	struct xdpdns_key_l k;

	memset(&k, 0xee, sizeof(k));
	cr_assert_eq(xdpdns_key_build(&k, www_example, sizeof(www_example), 28), 0);
	cr_assert_eq(k.qtype, htons(28), "qtype in network order");
	cr_assert_eq(memcmp(k.name, "\x03www\x07" "example\x03" "com", sizeof(www_example)), 0);
	for (size_t i = sizeof(www_example); i < sizeof(k.name); i++)
		cr_assert_eq(k.name[i], 0, "byte %zu not zero", i);
	cr_assert_eq(xdpdns_key_name_len(&k), sizeof(www_example));
}

Test(key_build, only_ascii_letters_change)
{
	/* '@' and '[' border 'A'..'Z'; 0xc1 is 'A' | 0x80; length bytes 'A' (65) can't occur */
	static const uint8_t name[] = "\x08@AZ[`az{\x02\xc1\xda";
	static const uint8_t want[] = "\x08@az[`az{\x02\xc1\xda";
	struct xdpdns_key_l k;

	cr_assert_eq(xdpdns_key_build(&k, name, sizeof(name), 1), 0);
	cr_assert_eq(memcmp(k.name, want, sizeof(want)), 0);
}

Test(key_build, root_and_longest_names)
{
	uint8_t name[XDPDNS_NAME_MAX + 1];
	struct xdpdns_key_l k;
	size_t pos = 0;

	cr_assert_eq(xdpdns_key_build(&k, (const uint8_t *)"", 1, 2), 0, "the root name");
	cr_assert_eq(xdpdns_key_name_len(&k), 1);

	/* 3 labels of 63 and one of 61: 4 * 64 - 2 + 1 = 255 bytes */
	for (int i = 0; i < 4; i++) {
		unsigned int l = i < 3 ? 63 : 61;

		name[pos++] = (uint8_t)l;
		memset(name + pos, 'a' + i, l);
		pos += l;
	}
	name[pos++] = 0;
	cr_assert_eq(pos, XDPDNS_NAME_MAX);
	cr_assert_eq(xdpdns_key_build(&k, name, pos, 1), 0);
	cr_assert_eq(xdpdns_key_name_len(&k), XDPDNS_NAME_MAX);
	cr_assert_eq(k.name[XDPDNS_NAME_MAX - 1], 0);

	/* one byte more */
	name[pos - 1] = 'z';
	name[pos - 1 - 61 - 1] = 62;
	name[pos] = 0;
	cr_assert_eq(xdpdns_key_build(&k, name, pos + 1, 1), -EINVAL, "256-byte name");
}

struct bad_name {
	const char *what;
	const char *wire;
	size_t len;
};

static const struct bad_name bad_names[] = {
	{ "empty", "", 0 },
	{ "no root label", "\x03" "abc", 4 },
	{ "label runs past the end", "\x05" "abc", 4 },
	{ "label of 64", "\x40", 1 },
	{ "compression pointer", "\xc0\x0c", 2 },
	{ "extended label type", "\x41", 1 },
	{ "bytes after the root", "\x01" "a\x00\x00", 4 },
	{ "length short of the root", "\x01" "a\x00", 2 },
	{ "pointer after a label", "\x01" "a\xc0\x0c", 4 },
};

Test(key_build, rejects_malformed_names)
{
	struct xdpdns_key_l k;
	uint8_t long_name[300];

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		memset(&k, 0xee, sizeof(k));
		cr_assert_eq(xdpdns_key_build(&k, (const uint8_t *)bad_names[i].wire,
					      bad_names[i].len, 1),
			     -EINVAL, "%s", bad_names[i].what);
		cr_assert_eq(k.qtype, 0, "%s: key not zeroed", bad_names[i].what);
	}
	memset(long_name, 1, sizeof(long_name));
	long_name[sizeof(long_name) - 1] = 0;
	cr_assert_eq(xdpdns_key_build(&k, long_name, sizeof(long_name), 1), -EINVAL);
}

Test(key_name_len, malformed_keys)
{
	struct xdpdns_key_l k = { 0 };

	k.name[0] = 64;
	cr_assert_eq(xdpdns_key_name_len(&k), 0, "label over 63");
	memset(k.name, 1, sizeof(k.name));
	cr_assert_eq(xdpdns_key_name_len(&k), 0, "no root label in the key");
	k.name[0] = 0xc0;
	cr_assert_eq(xdpdns_key_name_len(&k), 0, "pointer");
}

Test(key_class, boundaries)
{
	static const struct {
		unsigned int len;
		enum xdpdns_key_class c;
	} cases[] = {
		{ 1, XDPDNS_CLASS_S },	 { 62, XDPDNS_CLASS_S },  { 63, XDPDNS_CLASS_M },
		{ 126, XDPDNS_CLASS_M }, { 127, XDPDNS_CLASS_L }, { 255, XDPDNS_CLASS_L },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum xdpdns_key_class c = xdpdns_key_class(cases[i].len);

		cr_assert_eq(c, cases[i].c, "length %u", cases[i].len);
		/* the class's key holds the name and its qtype */
		cr_assert_geq(xdpdns_key_size(c), cases[i].len + 2, "length %u", cases[i].len);
	}
	cr_assert_eq(xdpdns_key_size(XDPDNS_CLASS_S), sizeof(struct xdpdns_key_s));
	cr_assert_eq(xdpdns_key_size(XDPDNS_CLASS_M), sizeof(struct xdpdns_key_m));
	cr_assert_eq(xdpdns_key_size(XDPDNS_CLASS_L), sizeof(struct xdpdns_key_l));
	cr_assert_str_eq(xdpdns_answer_map_names[XDPDNS_CLASS_S], XDPDNS_MAP_ANSWERS_S);
	cr_assert_str_eq(xdpdns_answer_map_names[XDPDNS_CLASS_M], XDPDNS_MAP_ANSWERS_M);
	cr_assert_str_eq(xdpdns_answer_map_names[XDPDNS_CLASS_L], XDPDNS_MAP_ANSWERS_L);
}

/* RFC 1071 the textbook way: big-endian words, end-around carry; the native-order sum is
 * the same sum byte-swapped (RFC 1071 section 2(B)). */
static uint16_t csum_reference(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		if (sum > 0xffff)
			sum -= 0xffff;
	}
	return htons((uint16_t)sum);
}

Test(csum, matches_reference_on_random_data)
{
	static uint8_t buf[2048 + 1];
	unsigned int seed = 20240601;

	srand(seed);
	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)rand() % 1600;
		size_t off = (size_t)rand() % 2;	/* odd start address too */

		for (size_t i = 0; i < len; i++)
			buf[off + i] = (uint8_t)rand();
		cr_assert_eq(xdpdns_csum_partial(buf + off, len), csum_reference(buf + off, len),
			     "round %d (seed %u): len %zu off %zu", round, seed, len, off);
	}
}

Test(csum, edge_values)
{
	static uint8_t ones[1500], zeros[7];
	static const uint8_t one_byte[] = { 0xab };

	memset(ones, 0xff, sizeof(ones));
	cr_assert_eq(xdpdns_csum_partial(zeros, 0), 0);
	cr_assert_eq(xdpdns_csum_partial(zeros, sizeof(zeros)), 0);
	cr_assert_eq(xdpdns_csum_partial(ones, sizeof(ones)), 0xffff);
	cr_assert_eq(xdpdns_csum_partial(ones, 1), htons(0xff00), "odd tail padded with zero");
	cr_assert_eq(xdpdns_csum_partial(one_byte, 1), htons(0xab00));
	/* carries wrap around: 0xffff + 0x0001 = 0x0001 in one's complement */
	cr_assert_eq(xdpdns_csum_partial("\xff\xff\x00\x01", 4), htons(0x0001));
}

Test(reason_name, every_reason)
{
	static const struct {
		unsigned int value;
		const char *name;
	} reasons[] = {
#define REASON_ROW(name, value, str) { value, str },
		XDPDNS_REASONS(REASON_ROW)
#undef REASON_ROW
	};
	unsigned int named = 0;

	cr_assert_gt(ARRAY_SIZE(reasons), 30);
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		const char *n = xdpdns_reason_name(reasons[i].value);
		const char *prefix = reasons[i].value < XDPDNS_R_FIRST_DROP ? "answer_"
				     : reasons[i].value < XDPDNS_R_FIRST_PASS ? "drop_"
									     : "pass_";

		cr_assert_not_null(n, "reason %u", reasons[i].value);
		cr_assert_str_eq(n, reasons[i].name);
		cr_assert_lt(reasons[i].value, XDPDNS_R_MAX, "%s outside xdpdns_stats", n);
		cr_assert_eq(strncmp(n, prefix, strlen(prefix)), 0, "%s: verdict range", n);
		cr_assert_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(n), "%s",
			     n);
		for (size_t j = 0; j < i; j++) {
			cr_assert_neq(reasons[j].value, reasons[i].value, "%s: value reused", n);
			cr_assert_str_neq(reasons[j].name, n, "name reused");
		}
	}
	for (unsigned int v = 0; v < 1024; v++)
		named += xdpdns_reason_name(v) != NULL;
	cr_assert_eq(named, ARRAY_SIZE(reasons), "names for values outside the list");
	cr_assert_null(xdpdns_reason_name(XDPDNS_R_OK));
	cr_assert_null(xdpdns_reason_name(XDPDNS_R_MAX));
	cr_assert_null(xdpdns_reason_name(~0u));
}

Test(maps, open_pinned_missing_dir)
{
	struct xdpdns_maps m;

	cr_assert_eq(maps_open_pinned(&m, "/nonexistent/xdpdns-test"), -ENOENT);
	cr_assert_eq(m.answers[0], -1);
	cr_assert_eq(m.answers[2], -1);
	cr_assert_eq(m.zones, -1);
	cr_assert_eq(m.config, -1);
	cr_assert_eq(m.stats, -1);
	cr_assert_eq(m.cache, -1);
}

Test(maps, lookup_rejects_malformed_key)
{
	struct xdpdns_maps m = { { -1, -1, -1 }, -1, -1, -1, -1 };
	struct xdpdns_key_l k = { 0 };
	struct xdpdns_answer a;

	k.name[0] = 0x40;
	cr_assert_eq(maps_lookup_answer(&m, &k, &a), -EINVAL);
}

Test(maps, read_counter_sums_cpus)
{
	struct xdpdns_maps m = { { -1, -1, -1 }, -1, -1, -1, -1 };
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = XDPDNS_R_NXDOMAIN;
	uint64_t got, want = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root to create a BPF map");
	cr_assert_gt(ncpu, 0);
	uint64_t vals[ncpu];

	m.stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, XDPDNS_MAP_STATS, 4, 8, XDPDNS_R_MAX,
				 NULL);
	if (m.stats < 0)
		cr_skip_test("bpf_map_create: %s", strerror(errno));
	for (int i = 0; i < ncpu; i++) {
		vals[i] = 1000u * (unsigned int)i + 7;
		want += vals[i];
	}
	cr_assert_eq(bpf_map_update_elem(m.stats, &key, vals, BPF_ANY), 0);
	cr_assert_eq(maps_read_counter(&m, XDPDNS_R_NXDOMAIN, &got), 0);
	cr_assert_eq(got, want);
	cr_assert_eq(maps_read_counter(&m, XDPDNS_R_ANSWER_A, &got), 0);
	cr_assert_eq(got, 0);
	cr_assert_lt(maps_read_counter(&m, XDPDNS_R_MAX, &got), 0, "index past the map");
	maps_close(&m);
	cr_assert_eq(m.stats, -1);
}
