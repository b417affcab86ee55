/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench/lib/swap.bpf.h - the floor of an XDP reply: swap the Ethernet, IPv4 and UDP ends of
 * a frame in place, so it goes back where it came from with XDP_TX. The caller has checked
 * that eth, ip and udp lie inside the frame.
 */
#ifndef XDPDNS_BENCH_SWAP_BPF_H
#define XDPDNS_BENCH_SWAP_BPF_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

static __always_inline void swap_ends(struct ethhdr *eth, struct iphdr *ip, struct udphdr *udp)
{
	__u8 mac[ETH_ALEN];
	__be32 addr;
	__be16 port;

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
}

#endif
