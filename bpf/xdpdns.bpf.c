// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdpdns.bpf.c - the XDP entry point of the answer engine (bpf/lib/engine.bpf.h). */
#include "engine.bpf.h"

SEC("xdp")
int xdpdns_xdp(struct xdp_md *ctx)
{
	return xdpdns_engine(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
