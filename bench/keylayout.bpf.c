// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/keylayout.bpf.c - bench-only: the cost of the answer key's size, 64 vs 264 bytes.
 *
 * Each program builds a lookup key from the question name in the packet the way the engine
 * does (zero the key's words in a per-CPU scratch, bpf_xdp_load_bytes the name after the
 * qtype, lower-case the used words eight bytes at a time) and, in the *_lookup variants,
 * looks it up in a hash map whose key is that size. Both maps are declared like the answer
 * maps (BPF_F_NO_PREALLOC, XDPDNS_ANSWERS_MAX_ENTRIES, struct xdpdns_answer values) and hold
 * the same entries. key_nop is the test-run floor. The packet is not modified, so repeats
 * need no restore.
 *
 * name_off / name_len (.bss, set by userspace) say where the wire name is; hits counts the
 * lookups that found an entry, so userspace can check what was timed.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdpdns.h"

#define KEY_WORDS	(XDPDNS_KEY_L / 8 + 1)

struct key_scratch {
	__u64 kw[KEY_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct key_scratch);
} key_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPDNS_ANSWERS_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpdns_key_s);
	__type(value, struct xdpdns_answer);
} keys64 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPDNS_ANSWERS_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpdns_key_l);
	__type(value, struct xdpdns_answer);
} keys264 SEC(".maps");

__u32 name_off;
__u32 name_len;
__u64 hits;

static __always_inline __u64 lower64(__u64 w)
{
	__u64 heptets = w & 0x7f7f7f7f7f7f7f7fULL;
	__u64 ge_a = heptets + 0x3f3f3f3f3f3f3f3fULL;
	__u64 gt_z = heptets + 0x2525252525252525ULL;

	return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080ULL) >> 2);
}

/* The key of key_size bytes in s->kw, as xdpdns_build_key() makes it; NULL on failure. */
static __always_inline struct key_scratch *key_build(struct xdp_md *ctx, __u32 key_size)
{
	__u32 zero = 0, len = name_len, words = key_size / 8 + 1, used;
	struct key_scratch *s = bpf_map_lookup_elem(&key_scratch, &zero);

	if (!s || len == 0 || len > key_size - 2)
		return NULL;
	for (__u32 i = 0; i < KEY_WORDS; i++) {
		if (i >= words)
			break;
		s->kw[i] = 0;
	}
	if (bpf_xdp_load_bytes(ctx, name_off, (__u8 *)s->kw + 2, len))
		return NULL;
	used = (2 + len + 7) / 8;
	for (__u32 i = 0; i < KEY_WORDS; i++) {
		if (i >= used)
			break;
		s->kw[i] = lower64(s->kw[i]);
	}
	*(__be16 *)s->kw = bpf_htons(1);
	return s;
}

SEC("xdp")
int key64_build(struct xdp_md *ctx)
{
	return key_build(ctx, XDPDNS_KEY_S) ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int key264_build(struct xdp_md *ctx)
{
	return key_build(ctx, XDPDNS_KEY_L) ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int key64_lookup(struct xdp_md *ctx)
{
	struct key_scratch *s = key_build(ctx, XDPDNS_KEY_S);

	if (!s)
		return XDP_ABORTED;
	if (bpf_map_lookup_elem(&keys64, s->kw))
		hits++;
	return XDP_PASS;
}

SEC("xdp")
int key264_lookup(struct xdp_md *ctx)
{
	struct key_scratch *s = key_build(ctx, XDPDNS_KEY_L);

	if (!s)
		return XDP_ABORTED;
	if (bpf_map_lookup_elem(&keys264, s->kw))
		hits++;
	return XDP_PASS;
}

SEC("xdp")
int key_nop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
