// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cache.h"

#define BUCKETS_PER_SHARD_MIN	64
#define ENTRY_BYTES_GUESS	512	/* sizes the hash tables: bytes of a typical entry */

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *lprev, *lnext;	/* LRU list, most recent at the head */
	uint64_t hash;
	struct cache_key key;
	uint64_t stored_ms;
	uint64_t prefetch_until_ms;	/* a refresh is in flight until then */
	uint64_t hits;
	uint32_t ttl;			/* s, > 0 */
	bool negative;
	uint16_t n_ttls;
	size_t len;
	size_t charge;			/* bytes counted against the bound */
	uint8_t msg[];			/* len bytes, then n_ttls TTL offsets (ttl_off_at()) */
};

struct shard {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t n_buckets;		/* power of two */
	struct entry *lru_head, *lru_tail;
	size_t bytes, max_bytes;
	uint64_t entries;
	struct cache_stats st;		/* entries and bytes unused here */
};

struct cache {
	struct cache_config cfg;
	uint64_t sip_k0, sip_k1;
	unsigned int n_shards;		/* power of two */
	struct shard shards[];
};

void cache_config_init(struct cache_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bytes = CACHE_MAX_BYTES;
	cfg->shards = CACHE_SHARDS;
	cfg->max_ttl = CACHE_MAX_TTL;
	cfg->neg_max_ttl = CACHE_NEG_MAX_TTL;
	cfg->stale_max_sec = CACHE_STALE_MAX_SEC;
	cfg->stale_ttl = CACHE_STALE_TTL;
	cfg->prefetch_pct = CACHE_PREFETCH_PCT;
	cfg->prefetch_min_hits = CACHE_PREFETCH_MIN_HITS;
}

static uint64_t mono_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ms(const struct cache *c)
{
	return c->cfg.now_ms(c->cfg.clock_arg);
}

/* ---- SipHash-2-4 (Aumasson, Bernstein) ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                           \
	do {                                                                               \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                  \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                     \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                     \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                  \
	} while (0)

static uint64_t siphash(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, end = len - (len % 8);

	for (i = 0; i < end; i += 8) {
		memcpy(&m, in + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t key_hash(const struct cache *c, const struct cache_key *k)
{
	uint8_t buf[DNS_NAME_MAX + 5];

	memcpy(buf, k->name, k->name_len);
	buf[k->name_len] = k->flags;
	buf[k->name_len + 1] = (uint8_t)(k->qtype >> 8);
	buf[k->name_len + 2] = (uint8_t)k->qtype;
	buf[k->name_len + 3] = (uint8_t)(k->qclass >> 8);
	buf[k->name_len + 4] = (uint8_t)k->qclass;
	return siphash(c->sip_k0, c->sip_k1, buf, k->name_len + 5u);
}

static bool key_eq(const struct cache_key *a, const struct cache_key *b)
{
	return a->name_len == b->name_len && a->flags == b->flags && a->qtype == b->qtype &&
	       a->qclass == b->qclass && !memcmp(a->name, b->name, a->name_len);
}

int cache_key_init(struct cache_key *k, const uint8_t *name, size_t name_len, uint16_t qtype,
		   uint16_t qclass, uint8_t flags)
{
	if (!name_len || name_len > DNS_NAME_MAX)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	memcpy(k->name, name, name_len);
	dns_name_lower(k->name, name_len);
	k->name_len = (uint8_t)name_len;
	k->flags = flags;
	k->qtype = qtype;
	k->qclass = qclass;
	return 0;
}

/* ---- lifecycle ---- */

struct cache *cache_new(const struct cache_config *cfg)
{
	unsigned int n = 1;
	uint64_t seed[2];
	struct cache *c;
	size_t per_shard, nb = BUCKETS_PER_SHARD_MIN;
	unsigned int i;

	while (n < cfg->shards && n < 1024)
		n <<= 1;
	c = calloc(1, sizeof(*c) + n * sizeof(struct shard));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (!c->cfg.now_ms)
		c->cfg.now_ms = mono_ms;
	c->n_shards = n;
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed))
		goto out_free_cache;
	c->sip_k0 = seed[0];
	c->sip_k1 = seed[1];
	per_shard = cfg->max_bytes / n;
	while (nb < per_shard / ENTRY_BYTES_GUESS && nb < (1u << 24))
		nb <<= 1;
	for (i = 0; i < n; i++) {
		struct shard *s = &c->shards[i];

		s->buckets = calloc(nb, sizeof(*s->buckets));
		if (!s->buckets)
			goto out_free_shards;
		s->n_buckets = nb;
		s->max_bytes = per_shard;
		pthread_mutex_init(&s->lock, NULL);
	}
	return c;

out_free_shards:
	while (i--) {
		pthread_mutex_destroy(&c->shards[i].lock);
		free(c->shards[i].buckets);
	}
	errno = ENOMEM;
out_free_cache:
	free(c);
	return NULL;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->n_shards; i++) {
		struct shard *s = &c->shards[i];
		struct entry *e = s->lru_head;

		while (e) {
			struct entry *next = e->lnext;

			free(e);
			e = next;
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}

/* ---- what a message is worth ---- */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Walks msg once: the TTL (see the header) and, when offs is not NULL, the offset of every
 * record's TTL field except OPT's (which holds flags, not a TTL).
 */
static int msg_scan(const struct cache_config *cfg, const uint8_t *msg, size_t len,
		    uint32_t *ttl, bool *negative, uint16_t *offs, uint16_t *n_offs)
{
	struct dns_parser p;
	struct dns_question q;
	struct dns_rr rr;
	uint32_t ans_ttl = UINT32_MAX, soa_ttl = UINT32_MAX;
	unsigned int rcode;
	bool have_soa = false;
	uint16_t n = 0;
	int err;

	err = dns_parser_init(&p, msg, len);
	if (err)
		return err;
	if (p.hdr.count[DNS_SEC_QUESTION] != 1)
		return -EBADMSG;
	err = dns_parser_question(&p, &q);
	if (err)
		return err;
	while ((err = dns_parser_rr(&p, &rr)) == 0) {
		if (rr.type == DNS_TYPE_OPT)
			continue;
		if (offs)
			offs[n] = (uint16_t)(rr.rdata_off - 6);	/* TTL, RDLENGTH, rdata */
		n++;
		if (rr.section == DNS_SEC_ADDITIONAL)
			continue;
		if (rr.section == DNS_SEC_AUTHORITY && rr.type == DNS_TYPE_SOA && rr.rdlen >= 20) {
			/* RFC 2308 5: the smaller of the SOA's TTL and its MINIMUM field. */
			soa_ttl = min32(soa_ttl, min32(rr.ttl, rd32(rr.rdata + rr.rdlen - 4)));
			have_soa = true;
			continue;
		}
		ans_ttl = min32(ans_ttl, rr.ttl);
	}
	if (err != -ENOENT)
		return err;
	err = dns_parser_end(&p);
	if (err)
		return err;
	if (n_offs)
		*n_offs = n;

	rcode = p.hdr.flags & DNS_FLAG_RCODE_MASK;
	if (p.hdr.flags & DNS_FLAG_TC)
		return -ENODATA;
	if (rcode == DNS_RCODE_NXDOMAIN || (rcode == DNS_RCODE_NOERROR &&
					    !p.hdr.count[DNS_SEC_ANSWER])) {
		if (!have_soa)
			return -ENODATA;
		*negative = true;
		*ttl = min32(min32(soa_ttl, ans_ttl), cfg->neg_max_ttl);
	} else if (rcode == DNS_RCODE_NOERROR) {
		*negative = false;
		/* A NODATA after a CNAME chain also carries the SOA: it bounds the whole. */
		*ttl = min32(min32(ans_ttl, soa_ttl), cfg->max_ttl);
	} else {
		return -ENODATA;
	}
	return *ttl ? 0 : -ENODATA;
}

int cache_msg_ttl(const struct cache_config *cfg, const uint8_t *msg, size_t len, uint32_t *ttl,
		  bool *negative)
{
	return msg_scan(cfg, msg, len, ttl, negative, NULL, NULL);
}

/* ---- shard internals (lock held) ---- */

static struct shard *shard_of(struct cache *c, uint64_t h)
{
	return &c->shards[(h >> 40) & (c->n_shards - 1)];
}

static struct entry **bucket_of(struct shard *s, uint64_t h)
{
	return &s->buckets[h & (s->n_buckets - 1)];
}

static void lru_unlink(struct shard *s, struct entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		s->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		s->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push_head(struct shard *s, struct entry *e)
{
	e->lprev = NULL;
	e->lnext = s->lru_head;
	if (s->lru_head)
		s->lru_head->lprev = e;
	s->lru_head = e;
	if (!s->lru_tail)
		s->lru_tail = e;
}

static struct entry *shard_find(struct shard *s, uint64_t h, const struct cache_key *k,
				struct entry ***link)
{
	struct entry **pp = bucket_of(s, h);

	for (; *pp; pp = &(*pp)->hnext) {
		if ((*pp)->hash == h && key_eq(&(*pp)->key, k)) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

static void shard_remove(struct shard *s, struct entry *e)
{
	struct entry **pp = bucket_of(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->bytes -= e->charge;
	s->entries--;
	free(e);
}

/* ---- insert, lookup ---- */

int cache_insert(struct cache *c, const struct cache_key *k, const uint8_t *msg, size_t len)
{
	uint16_t offs[DNS_MSG_MAX / (DNS_RR_FIXED_LEN + 1) + 1];
	uint64_t h = key_hash(c, k), hits = 0;
	struct shard *s = shard_of(c, h);
	struct entry *e, *old;
	bool negative = false;
	uint32_t ttl;
	uint16_t n;
	size_t charge;
	int err;

	if (len > CACHE_MSG_MAX || len < DNS_HDR_LEN)
		return -EMSGSIZE;
	err = msg_scan(&c->cfg, msg, len, &ttl, &negative, offs, &n);
	if (err) {
		pthread_mutex_lock(&s->lock);
		s->st.uncacheable++;
		pthread_mutex_unlock(&s->lock);
		return err;
	}
	charge = sizeof(*e) + len + n * sizeof(uint16_t);
	if (charge > s->max_bytes)
		return -EMSGSIZE;
	e = malloc(charge);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->key = *k;
	e->ttl = ttl;
	e->negative = negative;
	e->n_ttls = n;
	e->len = len;
	e->charge = charge;
	memcpy(e->msg, msg, len);
	memcpy(e->msg + len, offs, n * sizeof(uint16_t));
	/* No record outlives the entry. */
	for (uint16_t i = 0; i < n; i++)
		wr32(e->msg + offs[i], min32(rd32(e->msg + offs[i]), ttl));

	pthread_mutex_lock(&s->lock);
	e->stored_ms = now_ms(c);
	old = shard_find(s, h, k, NULL);
	if (old) {
		hits = old->hits;
		shard_remove(s, old);
		s->st.replaced++;
	}
	e->hits = hits;
	while (s->bytes + charge > s->max_bytes && s->lru_tail) {
		shard_remove(s, s->lru_tail);
		s->st.evictions++;
	}
	e->hnext = *bucket_of(s, h);
	*bucket_of(s, h) = e;
	lru_push_head(s, e);
	s->bytes += charge;
	s->entries++;
	s->st.inserts++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static uint16_t ttl_off_at(const struct entry *e, uint16_t i)
{
	uint16_t off;

	memcpy(&off, e->msg + e->len + i * sizeof(uint16_t), sizeof(off));
	return off;
}

int cache_lookup(struct cache *c, const struct cache_key *k, unsigned int flags, uint8_t *out,
		 size_t cap, struct cache_hit *hit)
{
	uint64_t h = key_hash(c, k), now, age_ms, ttl_ms;
	struct shard *s = shard_of(c, h);
	uint32_t elapsed;
	struct entry *e;
	int ret;

	memset(hit, 0, sizeof(*hit));
	pthread_mutex_lock(&s->lock);
	now = now_ms(c);
	e = shard_find(s, h, k, NULL);
	if (!e)
		goto out_miss;
	age_ms = now >= e->stored_ms ? now - e->stored_ms : 0;
	ttl_ms = (uint64_t)e->ttl * 1000;
	if (age_ms >= ttl_ms) {
		if (age_ms - ttl_ms >= (uint64_t)c->cfg.stale_max_sec * 1000) {
			/* Too old even to serve stale. */
			shard_remove(s, e);
			s->st.expired++;
			goto out_miss;
		}
		if (!(flags & CACHE_STALE_OK))
			goto out_miss;
		hit->stale = true;
	}
	if (e->len > cap) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	memcpy(out, e->msg, e->len);
	elapsed = (uint32_t)(age_ms / 1000);
	for (uint16_t i = 0; i < e->n_ttls; i++) {
		uint16_t off = ttl_off_at(e, i);
		uint32_t t = rd32(out + off);

		wr32(out + off, hit->stale ? c->cfg.stale_ttl : (t > elapsed ? t - elapsed : 0));
	}
	hit->negative = e->negative;
	hit->ttl_left = hit->stale ? c->cfg.stale_ttl : e->ttl - elapsed;
	hit->ms_left = hit->stale ? 0 : (uint32_t)(ttl_ms - age_ms);
	ret = (int)e->len;
	if (flags & CACHE_PEEK)
		goto out_unlock;
	e->hits++;
	s->st.hits++;
	if (hit->stale) {
		s->st.stale_hits++;
	} else if (c->cfg.prefetch_pct && e->hits >= c->cfg.prefetch_min_hits &&
		   (ttl_ms - age_ms) * 100 <= ttl_ms * c->cfg.prefetch_pct &&
		   now >= e->prefetch_until_ms) {
		e->prefetch_until_ms = now + CACHE_PREFETCH_HOLD_MS;
		hit->prefetch = true;
		s->st.prefetches++;
	}
	if (s->lru_head != e) {
		lru_unlink(s, e);
		lru_push_head(s, e);
	}
	goto out_unlock;

out_miss:
	if (!(flags & CACHE_PEEK))
		s->st.misses++;
	ret = -ENOENT;
out_unlock:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void cache_prefetch_failed(struct cache *c, const struct cache_key *k)
{
	uint64_t h = key_hash(c, k);
	struct shard *s = shard_of(c, h);
	struct entry *e;

	pthread_mutex_lock(&s->lock);
	e = shard_find(s, h, k, NULL);
	if (e)
		e->prefetch_until_ms = 0;
	pthread_mutex_unlock(&s->lock);
}

/* ---- popularity, stats ---- */

size_t cache_top(struct cache *c, const uint16_t *types, size_t n_types,
		 struct cache_top_entry *out, size_t n)
{
	size_t have = 0;

	if (!n)
		return 0;
	for (unsigned int i = 0; i < c->n_shards; i++) {
		struct shard *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		uint64_t now = now_ms(c);

		for (struct entry *e = s->lru_head; e; e = e->lnext) {
			uint64_t age_ms = now >= e->stored_ms ? now - e->stored_ms : 0;
			bool want = !n_types;
			size_t pos;

			for (size_t t = 0; t < n_types && !want; t++)
				want = e->key.qtype == types[t];
			if (!want || !e->hits || age_ms >= (uint64_t)e->ttl * 1000)
				continue;
			if (have == n && out[n - 1].hits >= e->hits)
				continue;
			/* Insertion into out[], kept sorted by hits, most first. */
			pos = have < n ? have++ : n - 1;
			while (pos && out[pos - 1].hits < e->hits) {
				out[pos] = out[pos - 1];
				pos--;
			}
			out[pos].key = e->key;
			out[pos].hits = e->hits;
			out[pos].ttl_left = e->ttl - (uint32_t)(age_ms / 1000);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return have;
}

void cache_stats_get(struct cache *c, struct cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < c->n_shards; i++) {
		struct shard *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		st->hits += s->st.hits;
		st->misses += s->st.misses;
		st->stale_hits += s->st.stale_hits;
		st->inserts += s->st.inserts;
		st->replaced += s->st.replaced;
		st->evictions += s->st.evictions;
		st->expired += s->st.expired;
		st->prefetches += s->st.prefetches;
		st->uncacheable += s->st.uncacheable;
		st->entries += s->entries;
		st->bytes += s->bytes;
		pthread_mutex_unlock(&s->lock);
	}
}
