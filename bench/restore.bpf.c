// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/restore.bpf.c - bench-only XDP programs for timing xdpdns_xdp with BPF_PROG_TEST_RUN.
 *
 * BPF_PROG_TEST_RUN runs every repeat on the same buffer, so from the second repeat on a
 * responder would see its own reply (QR set) and time its pass path. bench_restore copies a
 * query back over the buffer (bpf_xdp_adjust_tail to the query's length, then
 * bpf_xdp_store_bytes) and tail-calls slot 0 of bench_target, which userspace fills with the
 * program under test: the real xdpdns_xdp, bench_floor or bench_nop. Every side pays the
 * same wrapper.
 *
 * Queries live in .bss (the skeleton maps it, so userspace writes them in place):
 * bench_queries[bench_first + k] for k in 0..bench_count, taken in turn, one per repeat, so
 * a case can rotate over many names. bench_restore returns XDP_ABORTED if anything fails
 * (bad slot, adjust_tail, store_bytes, empty prog array slot).
 *
 * bench_floor: the least a responder can do, swap MACs, IPv4 addresses and UDP ports and
 * return XDP_TX. bench_nop returns XDP_TX and touches nothing: the wrapper's own cost.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

#include "lib/swap.bpf.h"

#define BENCH_QUERY_MAX	190	/* frame bytes: an IPv6 PTR query with an OPT is 143 */
#define BENCH_QUERIES	16384	/* 3 MiB of .bss, under the 4 MiB array value limit */

struct bench_query {
	__u16	len;				/* frame bytes used in data[] */
	__u8	data[BENCH_QUERY_MAX];
};

struct bench_query bench_queries[BENCH_QUERIES];
__u32 bench_first;	/* first slot of the current case */
__u32 bench_count;	/* slots of the current case, >= 1 */
__u32 bench_next;	/* next slot, relative to bench_first */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

SEC("xdp")
int bench_restore(struct xdp_md *ctx)
{
	__u32 k = bench_next, slot = bench_first + k;
	struct bench_query *q;
	__u32 len;

	bench_next = k + 1 >= bench_count ? 0 : k + 1;
	if (slot >= BENCH_QUERIES)
		return XDP_ABORTED;
	q = &bench_queries[slot];
	len = q->len;
	if (len < ETH_HLEN || len > BENCH_QUERY_MAX)
		return XDP_ABORTED;
	/* XXX: ctx->data_end - ctx->data would be 32-bit pointer arithmetic to the verifier */
	if (bpf_xdp_adjust_tail(ctx, (int)len - (int)bpf_xdp_get_buff_len(ctx)))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, q->data, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_target, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	swap_ends(eth, ip, udp);
	return XDP_TX;
}

SEC("xdp")
int bench_nop(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
