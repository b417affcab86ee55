/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * csum.bpf.h - RFC 1071 ones'-complement sums for building replies.
 *
 * Partial sums are kept in a __u64 of native-endian 16-bit (or wider) words as they lie in
 * memory, so network-order fields are added exactly as they are stored; the result of
 * csum_fold() can be stored into a header field without swapping. A block that starts at an
 * odd offset of the summed range contributes its even-aligned sum byte-swapped (RFC 1071 2(B)).
 */
#ifndef XDPDNS_CSUM_BPF_H
#define XDPDNS_CSUM_BPF_H

#include <linux/types.h>

/* Add a 64-bit word with end-around carry. */
static __always_inline __u64 csum_add64(__u64 sum, __u64 w)
{
	sum += w;
	return sum + (sum < w);
}

/* Fold a partial sum to 16 bits, not complemented. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u16 csum_swab16(__u16 v)
{
	return (__u16)((v << 8) | (v >> 8));
}

/* The contribution of a block whose even-aligned folded sum is s, placed at parity odd. */
static __always_inline __u16 csum_at(__u16 s, __u32 odd)
{
	return odd ? csum_swab16(s) : s;
}

/* The value to store in a checksum field: complement, and 0 sent as 0xffff (UDP, RFC 768). */
static __always_inline __u16 csum_finish(__u64 sum)
{
	__u16 c = (__u16)~csum_fold(sum);

	return c ? c : 0xffff;
}

#endif
