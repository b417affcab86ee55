/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* maps/xdpdns.bpf.h - the only definitions of the xdpdns maps (layouts in xdpdns.h). */
#ifndef XDPDNS_MAPS_BPF_H
#define XDPDNS_MAPS_BPF_H

#ifndef __bpf__
#error "BPF-only header; userspace opens the maps through the skeleton or the pins"
#endif

#include "xdpdns.h"

#define XDPDNS_ANSWER_MAP(ident, keytype)					\
	struct {								\
		__uint(type, BPF_MAP_TYPE_HASH);				\
		__uint(max_entries, XDPDNS_ANSWERS_MAX_ENTRIES);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);				\
		__type(key, keytype);						\
		__type(value, struct xdpdns_answer);				\
		__uint(pinning, LIBBPF_PIN_BY_NAME);				\
	} ident SEC(".maps")

XDPDNS_ANSWER_MAP(xdpdns_ans_s, struct xdpdns_key_s);
XDPDNS_ANSWER_MAP(xdpdns_ans_m, struct xdpdns_key_m);
XDPDNS_ANSWER_MAP(xdpdns_ans_l, struct xdpdns_key_l);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPDNS_MAX_ZONES);
	__type(key, __u32);
	__type(value, struct xdpdns_zone);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpdns_zones SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpdns_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpdns_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPDNS_CACHE_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpdns_key_m);
	__type(value, struct xdpdns_cache_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpdns_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPDNS_R_MAX);
	__type(key, __u32);
	__type(value, __u64);			/* packets */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpdns_stats SEC(".maps");

#endif
