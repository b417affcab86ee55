// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/helpers.bpf.c - bench-only: what the building blocks of the engine cost on their own,
 * each program doing one thing once per run (BPF_PROG_TEST_RUN, userspace subtracts h_nop).
 *
 * The packet is a query frame; copy_off / copy_len (.bss) say where the question name is and
 * how long it is. No program depends on the bytes another one (or an earlier repeat) wrote.
 * Each returns XDP_PASS on success and XDP_ABORTED when its operation failed, so userspace
 * can tell a measured failure from a measured success.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdpdns.h"

#define COPY_WORDS	(XDPDNS_KEY_L / 8)

struct copy_scratch {
	__u64 kw[COPY_WORDS + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct copy_scratch);
} copy_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} h_target SEC(".maps");

__u32 copy_off;
__u32 copy_len;

static __always_inline struct copy_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&copy_scratch, &zero);
}

SEC("xdp")
int h_nop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int h_percpu_lookup(struct xdp_md *ctx)
{
	return scratch() ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int h_get_buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx) ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int h_adjust_tail(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_tail(ctx, 0) ? XDP_ABORTED : XDP_PASS;
}

/* bpf_xdp_load_bytes() of the name into the scratch, as xdpdns_build_key() does. */
SEC("xdp")
int h_load_bytes(struct xdp_md *ctx)
{
	struct copy_scratch *s = scratch();
	__u32 len = copy_len;

	if (!s || len == 0 || len > XDPDNS_KEY_L - 2)
		return XDP_ABORTED;
	return bpf_xdp_load_bytes(ctx, copy_off, (__u8 *)s->kw + 2, len) ? XDP_ABORTED : XDP_PASS;
}

/* The same copy by direct packet access, eight bytes per bounds-checked load. */
SEC("xdp")
int h_copy_direct(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct copy_scratch *s = scratch();
	__u32 len = copy_len, off = copy_off & 0x3ff, words;

	if (!s || len == 0 || len > XDPDNS_KEY_L - 2)
		return XDP_ABORTED;
	words = (len + 7) / 8;
	for (__u32 i = 0; i < COPY_WORDS; i++) {
		__u64 *p = data + off + i * 8;

		if (i >= words)
			break;
		if ((void *)(p + 1) > end)
			return XDP_ABORTED;
		s->kw[i] = *p;
	}
	return XDP_PASS;
}

/* bpf_xdp_store_bytes() of copy_len bytes of the scratch over the name. */
SEC("xdp")
int h_store_bytes(struct xdp_md *ctx)
{
	struct copy_scratch *s = scratch();
	__u32 len = copy_len;

	if (!s || len == 0 || len > XDPDNS_KEY_L - 2)
		return XDP_ABORTED;
	return bpf_xdp_store_bytes(ctx, copy_off, s->kw, len) ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int h_tail_call(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &h_target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
