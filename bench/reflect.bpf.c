// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/reflect.bpf.c - the veth floor of bench/slowpath.sh's XDP rows: every IPv4 UDP frame
 * to port 53 goes back as its own "reply" (MACs, addresses and ports swapped, QR set, nothing
 * looked up) with XDP_TX. dnsperf counts it as a NOERROR answer, so the same run that times
 * xdpdns's program on a veth times what veth itself costs per query around any XDP responder.
 * The UDP checksum is cleared (allowed over IPv4): the query's may still be the partial sum
 * that checksum offload left on a veth.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/swap.bpf.h"

SEC("xdp")
int reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *dns = (void *)(udp + 1);

	if ((void *)(dns + 4) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(53) || (dns[2] & 0x80))
		return XDP_PASS;
	swap_ends(eth, ip, udp);
	dns[2] |= 0x80;
	udp->check = 0;		/* none (IPv4): the query's may be a partial one (veth offload) */
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
