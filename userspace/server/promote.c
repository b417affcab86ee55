// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "maps/maps.h"
#include "promote.h"

#define NS_PER_MS	1000000ull
#define TTL_FIELD_OFF	6	/* owner pointer, TYPE, CLASS */

struct promote {
	struct cache *cache;
	int map_fd;
	struct promote_stats st;
	struct cache_top_entry *top;		/* XDPDNS_CACHE_MAX_ENTRIES */
	struct xdpdns_key_m *keys;		/* the set of this tick */
	struct xdpdns_cache_val *vals;		/* their values */
	struct xdpdns_key_m *sorted;		/* keys[], sorted for bsearch() */
	struct xdpdns_key_m *gone;		/* map keys outside the set */
	size_t n_gone_max;
	uint8_t msg[CACHE_MSG_MAX];
};

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Append one RR owned by the question: pointer, TYPE, CLASS IN, TTL 0, RDLENGTH, rdata. */
static int rr_append(struct xdpdns_cache_val *v, uint16_t type, const uint8_t *rdata,
		     size_t rdlen)
{
	struct xdpdns_answer *a = &v->ans;
	uint8_t *d = a->data + a->len;

	if (v->n_ttls >= XDPDNS_CACHE_TTLS_MAX)
		return -ENOTSUP;
	if (a->len + 2 + DNS_RR_FIXED_LEN + rdlen > XDPDNS_ANSWER_MAX)
		return -ENOTSUP;
	wr16(d, DNS_PTR_QNAME);
	wr16(d + 2, type);
	wr16(d + 4, DNS_CLASS_IN);
	memset(d + TTL_FIELD_OFF, 0, 4);
	wr16(d + 10, (uint16_t)rdlen);
	memcpy(d + 12, rdata, rdlen);
	v->ttl_off[v->n_ttls++] = (uint16_t)(a->len + TTL_FIELD_OFF);
	a->len = (uint16_t)(a->len + 2 + DNS_RR_FIXED_LEN + rdlen);
	a->ancount++;
	return 0;
}

int promote_render(const uint8_t *msg, size_t len, struct xdpdns_key_m *key,
		   struct xdpdns_cache_val *out)
{
	struct dns_question q;
	struct xdpdns_key_l kl;
	struct dns_parser p;
	struct dns_rr rr;
	int err;

	memset(out, 0, sizeof(*out));
	err = dns_parser_init(&p, msg, len);
	if (err)
		return err;
	if (!(p.hdr.flags & DNS_FLAG_QR) || DNS_OPCODE(p.hdr.flags) != DNS_OPCODE_QUERY ||
	    p.hdr.count[DNS_SEC_QUESTION] != 1)
		return -EBADMSG;
	/* AD: the slow path would pass it on to a client that asks; we could not */
	if ((p.hdr.flags & (DNS_FLAG_TC | DNS_FLAG_AD)) ||
	    (p.hdr.flags & DNS_FLAG_RCODE_MASK) != DNS_RCODE_NOERROR ||
	    !p.hdr.count[DNS_SEC_ANSWER] || p.hdr.count[DNS_SEC_ANSWER] > XDPDNS_CACHE_TTLS_MAX)
		return -ENOTSUP;
	err = dns_parser_question(&p, &q);
	if (err)
		return err;
	if (q.qclass != DNS_CLASS_IN ||
	    (q.qtype != DNS_TYPE_A && q.qtype != DNS_TYPE_AAAA && q.qtype != DNS_TYPE_PTR))
		return -ENOTSUP;
	err = xdpdns_key_build(&kl, q.name, q.name_len, q.qtype);
	if (err)
		return -EBADMSG;
	err = maps_cache_key(&kl, key);
	if (err)
		return err == -ENAMETOOLONG ? -ENOTSUP : -EBADMSG;

	for (unsigned int i = 0; i < p.hdr.count[DNS_SEC_ANSWER]; i++) {
		uint8_t target[DNS_NAME_MAX];
		size_t tlen;

		err = dns_parser_rr(&p, &rr);
		if (err)
			return err == -ENOENT ? -EBADMSG : err;
		if (rr.type != q.qtype || rr.rclass != DNS_CLASS_IN ||
		    !dns_name_eq(rr.name, rr.name_len, q.name, q.name_len))
			return -ENOTSUP;	/* a CNAME chain, or something stranger */
		if (rr.type == DNS_TYPE_PTR) {
			/* its target may point anywhere into the upstream's message */
			err = dns_rr_target(&p, &rr, target, &tlen);
			if (err)
				return err;
			err = rr_append(out, rr.type, target, tlen);
		} else {
			err = rr_append(out, rr.type, rr.rdata, rr.rdlen);
		}
		if (err)
			return err;
	}
	out->ans.rcode = DNS_RCODE_NOERROR;
	out->ans.csum = xdpdns_csum_partial(out->ans.data, out->ans.len);
	return 0;
}

struct promote *promote_new(struct cache *c, int map_fd)
{
	struct promote *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cache = c;
	p->map_fd = map_fd;
	p->top = calloc(XDPDNS_CACHE_MAX_ENTRIES, sizeof(*p->top));
	p->keys = calloc(XDPDNS_CACHE_MAX_ENTRIES, sizeof(*p->keys));
	p->vals = calloc(XDPDNS_CACHE_MAX_ENTRIES, sizeof(*p->vals));
	p->sorted = calloc(XDPDNS_CACHE_MAX_ENTRIES, sizeof(*p->sorted));
	p->n_gone_max = XDPDNS_CACHE_MAX_ENTRIES;
	p->gone = calloc(p->n_gone_max, sizeof(*p->gone));
	if (!p->top || !p->keys || !p->vals || !p->sorted || !p->gone) {
		promote_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void promote_free(struct promote *p)
{
	if (!p)
		return;
	free(p->top);
	free(p->keys);
	free(p->vals);
	free(p->sorted);
	free(p->gone);
	free(p);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xdpdns_key_m));
}

/* The set of this tick into keys[]/vals[] (and sorted[]); returns its size. */
static size_t select_set(struct promote *p, uint64_t now_ns)
{
	static const uint16_t types[] = { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR };
	size_t n_top, n = 0;

	n_top = cache_top(p->cache, types, sizeof(types) / sizeof(types[0]), p->top,
			  XDPDNS_CACHE_MAX_ENTRIES);
	for (size_t i = 0; i < n_top; i++) {
		const struct cache_top_entry *t = &p->top[i];
		struct cache_hit hit;
		int len;

		if (t->hits < PROMOTE_MIN_HITS)
			break;	/* most hit first */
		if (t->key.flags || t->key.qclass != DNS_CLASS_IN)
			continue;
		/* a peek: counts no hit, moves nothing */
		len = cache_lookup(p->cache, &t->key, CACHE_PEEK, p->msg, sizeof(p->msg), &hit);
		if (len < 0 || hit.stale || hit.negative || hit.ms_left < PROMOTE_MIN_TTL_MS)
			continue;
		if (promote_render(p->msg, (size_t)len, &p->keys[n], &p->vals[n])) {
			p->st.skipped++;
			continue;
		}
		/*
		 * The cache's clock read at least now_ns / 1 ms whole milliseconds at the
		 * lookup, and the entry is fresh while it reads less than that plus ms_left:
		 * so this is the entry's expiry to the millisecond, and never later.
		 */
		p->vals[n].expire_ns = (now_ns / NS_PER_MS + hit.ms_left) * NS_PER_MS;
		n++;
	}
	memcpy(p->sorted, p->keys, n * sizeof(*p->sorted));
	qsort(p->sorted, n, sizeof(*p->sorted), key_cmp);
	return n;
}

int promote_tick(struct promote *p, uint64_t now_ns)
{
	struct xdpdns_key_m k, next, *prev = NULL;
	size_t n = select_set(p, now_ns), n_gone = 0, in_map = 0;
	int ret = 0;

	p->st.ticks++;
	/* Delete first, so that the new set always fits the map. */
	while (!bpf_map_get_next_key(p->map_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bsearch(&k, p->sorted, n, sizeof(k), key_cmp) && n_gone < p->n_gone_max)
			p->gone[n_gone++] = k;
	}
	for (size_t i = 0; i < n_gone; i++) {
		if (bpf_map_delete_elem(p->map_fd, &p->gone[i]) && errno != ENOENT) {
			p->st.errors++;
			if (!ret)
				ret = -errno;
			continue;
		}
		p->st.deleted++;
	}
	for (size_t i = 0; i < n; i++) {
		struct xdpdns_cache_val old;

		if (!bpf_map_lookup_elem(p->map_fd, &p->keys[i], &old) &&
		    !memcmp(&old, &p->vals[i], sizeof(old))) {
			in_map++;
			continue;
		}
		if (bpf_map_update_elem(p->map_fd, &p->keys[i], &p->vals[i], BPF_ANY)) {
			p->st.errors++;
			if (!ret)
				ret = -errno;
			continue;
		}
		p->st.written++;
		in_map++;
	}
	p->st.promoted = in_map;
	return ret;
}

void promote_stats_get(const struct promote *p, struct promote_stats *out)
{
	*out = p->st;
}

int promote_map_clear(int map_fd)
{
	struct xdpdns_key_m k;
	int ret = 0;

	/* Deleting the first key each time: iteration after a deletion restarts anyway. */
	while (!bpf_map_get_next_key(map_fd, NULL, &k)) {
		if (bpf_map_delete_elem(map_fd, &k) && errno != ENOENT) {
			ret = -errno;
			break;
		}
	}
	return ret;
}
