// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/stages.bpf.c - bench-only: the engine (bpf/lib/engine.bpf.h, unchanged) cut after
 * each of its stages, to see where the time of an answer goes.
 *
 *   stage_l4      config + scratch lookups, parse_l2_l4(), fresh()
 *   stage_query   + parse_query()
 *   stage_key     + xdpdns_build_key()
 *   stage_lookup  + the answer lookup for the question's type (must hit)
 *   stage_full    xdpdns_engine(): + reply() and the reason counter, as xdpdns_xdp
 *
 * Each returns XDP_TX when every stage it ran said go on (and stage_lookup found an entry),
 * XDP_ABORTED otherwise, so a timed run cannot silently measure an early exit. Userspace
 * points this object's answer, zone, config and stats maps at the xdpdns skeleton's maps
 * (bpf_map__reuse_fd) and tail-calls these programs from bench_restore like the real one.
 */
#include "engine.bpf.h"

static __always_inline int stage_run(struct xdp_md *ctx, int upto)
{
	__u32 zero = 0;
	struct xdpdns_config *cfg = bpf_map_lookup_elem(&xdpdns_config, &zero);
	struct scratch *s = bpf_map_lookup_elem(&xdpdns_scratch, &zero);
	struct pkt p = {};
	enum xdpdns_reason r;
	int cls;

	if (!cfg || !s)
		return XDP_ABORTED;
	r = parse_l2_l4(ctx, &p, cfg);
	if (r == XDPDNS_R_OK)
		r = fresh(cfg);
	if (r != XDPDNS_R_OK)
		return XDP_ABORTED;
	if (upto == 0)
		return XDP_TX;
	if (parse_query(ctx, &p, s) != XDPDNS_R_OK)
		return XDP_ABORTED;
	if (upto == 1)
		return XDP_TX;
	cls = xdpdns_build_key(ctx, s, p.dns_off + DNS_HDR_LEN);
	if (cls < 0)
		return XDP_ABORTED;
	p.qsum = s->qsum;
	*(__be16 *)s->kw = p.qtype;
	if (upto == 2)
		return XDP_TX;
	return lookup_answer(cls, s) ? XDP_TX : XDP_ABORTED;
}

SEC("xdp")
int stage_l4(struct xdp_md *ctx)
{
	return stage_run(ctx, 0);
}

SEC("xdp")
int stage_query(struct xdp_md *ctx)
{
	return stage_run(ctx, 1);
}

SEC("xdp")
int stage_key(struct xdp_md *ctx)
{
	return stage_run(ctx, 2);
}

SEC("xdp")
int stage_lookup(struct xdp_md *ctx)
{
	return stage_run(ctx, 3);
}

SEC("xdp")
int stage_full(struct xdp_md *ctx)
{
	return xdpdns_engine(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
