// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/bpf/xdp_pass.bpf.c - the pass-through XDP program for the client side of a veth pair.
 *
 * veth delivers XDP_TX frames to its peer only when the peer runs an XDP program of its own
 * (without one, the frames wait in the peer's ring and are never seen). The netns tests and
 * `make run` attach this program to the client veth so that xdpdns answers arrive. It lets
 * every frame through unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
