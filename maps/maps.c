// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

const char *const xdpdns_answer_map_names[XDPDNS_CLASS_COUNT] = {
	XDPDNS_MAP_ANSWERS_S,
	XDPDNS_MAP_ANSWERS_M,
	XDPDNS_MAP_ANSWERS_L,
};

const char *xdpdns_reason_name(unsigned int reason)
{
	switch (reason) {
#define XDPDNS_REASON_CASE(name, value, str)                                                      \
	case value:                                                                               \
		return str;
		XDPDNS_REASONS(XDPDNS_REASON_CASE)
#undef XDPDNS_REASON_CASE
	default:
		return NULL;
	}
}

unsigned int xdpdns_key_name_len(const struct xdpdns_key_l *key)
{
	unsigned int pos = 0;

	while (pos < sizeof(key->name)) {
		unsigned int l = key->name[pos];

		if (l == 0)
			return pos + 1;
		if (l > XDPDNS_LABEL_MAX)
			return 0;
		pos += l + 1;
	}
	return 0;
}

int xdpdns_key_build(struct xdpdns_key_l *key, const uint8_t *name, size_t name_len, uint16_t qtype)
{
	size_t pos = 0;

	memset(key, 0, sizeof(*key));
	if (name_len == 0 || name_len > XDPDNS_NAME_MAX)
		return -EINVAL;
	for (;;) {
		unsigned int l;

		if (pos >= name_len)
			return -EINVAL;
		l = name[pos];
		if (l > XDPDNS_LABEL_MAX)
			return -EINVAL;
		if (l == 0)
			break;
		pos += l + 1;
	}
	if (pos + 1 != name_len)
		return -EINVAL;
	for (pos = 0; pos < name_len; pos++) {
		uint8_t c = name[pos];

		key->name[pos] = (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
	}
	key->qtype = htons(qtype);
	return 0;
}

int xdpdns_zone_soa(const struct xdpdns_zone *z, unsigned int qname_len,
		    uint8_t out[XDPDNS_SOA_LEN])
{
	uint16_t ptr;

	if (!z->name_len || z->name_len > qname_len || qname_len > XDPDNS_NAME_MAX)
		return -EINVAL;
	ptr = htons((uint16_t)(0xc000 | (XDPDNS_QNAME_OFF + qname_len - z->name_len)));
	memcpy(out, z->soa, XDPDNS_SOA_LEN);
	memcpy(out + XDPDNS_SOA_PTR_OWNER, &ptr, 2);
	memcpy(out + XDPDNS_SOA_PTR_MNAME, &ptr, 2);
	memcpy(out + XDPDNS_SOA_PTR_RNAME, &ptr, 2);
	return 0;
}

int xdpdns_answer_expand(const struct xdpdns_answer *a, const struct xdpdns_zone *zones,
			 unsigned int n_zones, unsigned int qname_len, struct xdpdns_answer *out)
{
	*out = *a;
	if (!(a->flags & XDPDNS_ANS_ZONE_SOA))
		return 0;
	if (a->zone >= n_zones || a->zone >= XDPDNS_MAX_ZONES ||
	    xdpdns_zone_soa(&zones[a->zone], qname_len, out->data))
		return -EINVAL;
	out->flags &= (__u8)~XDPDNS_ANS_ZONE_SOA;
	out->zone = 0;
	out->len = XDPDNS_SOA_LEN;
	out->csum = xdpdns_csum_partial(out->data, XDPDNS_SOA_LEN);
	return 0;
}

uint16_t xdpdns_csum_partial(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		uint8_t tail[2] = { p[len - 1], 0 };

		memcpy(&w, tail, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

void maps_close(struct xdpdns_maps *m)
{
	int *fds[] = { &m->answers[0], &m->answers[1], &m->answers[2], &m->zones, &m->config,
		       &m->stats, &m->cache };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int maps_open_pinned(struct xdpdns_maps *m, const char *pin_dir)
{
	struct {
		int *fd;
		const char *name;
	} want[] = {
		{ &m->answers[0], XDPDNS_MAP_ANSWERS_S }, { &m->answers[1], XDPDNS_MAP_ANSWERS_M },
		{ &m->answers[2], XDPDNS_MAP_ANSWERS_L }, { &m->zones, XDPDNS_MAP_ZONES },
		{ &m->config, XDPDNS_MAP_CONFIG },	  { &m->stats, XDPDNS_MAP_STATS },
		{ &m->cache, XDPDNS_MAP_CACHE },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		*want[i].fd = -1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int fd = open_pin(pin_dir, want[i].name);

		if (fd < 0) {
			maps_close(m);
			return fd;
		}
		*want[i].fd = fd;
	}
	return 0;
}

int maps_read_counter(const struct xdpdns_maps *m, unsigned int reason, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = reason;

	if (ncpu < 0)
		return ncpu;
	uint64_t vals[ncpu];

	if (bpf_map_lookup_elem(m->stats, &key, vals))
		return -errno;
	*out = 0;
	for (int i = 0; i < ncpu; i++)
		*out += vals[i];
	return 0;
}

int maps_read_counters(const struct xdpdns_maps *m, uint64_t out[XDPDNS_R_MAX])
{
	int err;

	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++) {
		out[r] = 0;
		if (!xdpdns_reason_name(r))
			continue;
		err = maps_read_counter(m, r, &out[r]);
		if (err)
			return err;
	}
	return 0;
}

int maps_lookup_answer(const struct xdpdns_maps *m, const struct xdpdns_key_l *key,
		       struct xdpdns_answer *out)
{
	unsigned int len = xdpdns_key_name_len(key);

	if (!len)
		return -EINVAL;
	if (bpf_map_lookup_elem(m->answers[xdpdns_key_class(len)], key, out))
		return -errno;
	return 0;
}

int maps_cache_key(const struct xdpdns_key_l *key, struct xdpdns_key_m *out)
{
	unsigned int len = xdpdns_key_name_len(key);

	if (!len)
		return -EINVAL;
	if (len > XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_M))
		return -ENAMETOOLONG;
	memcpy(out, key, sizeof(*out));	/* zero-filled past the name */
	return 0;
}

int maps_lookup_cache(const struct xdpdns_maps *m, const struct xdpdns_key_l *key,
		      struct xdpdns_cache_val *out)
{
	struct xdpdns_key_m km;
	int err = maps_cache_key(key, &km);

	if (err)
		return err == -ENAMETOOLONG ? -ENOENT : err;
	if (bpf_map_lookup_elem(m->cache, &km, out))
		return -errno;
	return 0;
}
