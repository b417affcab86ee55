// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "forward.h"
#include "userspace/util/log.h"

#define EPOLL_BATCH		64
#define OPT_RR_LEN		11	/* root owner, TYPE, CLASS, TTL, RDLENGTH 0 */
#define RNG_BYTES		256
#define QUERY_WIRE_MAX		(DNS_HDR_LEN + DNS_NAME_MAX + 4 + OPT_RR_LEN)

struct upstream {
	_Atomic uint32_t fails;		/* consecutive */
	_Atomic uint64_t down_until_ms;	/* 0: up */
	_Atomic uint64_t probe_until_ms;	/* a probe of a down upstream is in flight */
	_Atomic uint64_t queries, failures;
};

struct forward_shared {
	struct forward_config cfg;
	struct cache *cache;
	struct upstream up[FORWARD_MAX_UPSTREAMS];
};

enum qstate { Q_UDP, Q_TCP_CONNECT, Q_TCP_WRITE, Q_TCP_READ };

struct query {
	struct query *prev, *next;	/* deadline order */
	struct forward *f;
	forward_done_fn done;		/* NULL: prefetch, or cancelled */
	void *arg;
	bool prefetch;
	struct cache_key key;
	uint8_t qname[DNS_NAME_MAX];	/* the client's case */
	size_t qname_len;
	uint16_t qtype, qclass;
	uint16_t client_id, client_flags;
	bool client_edns, client_do;
	const struct forward_list *list;
	uint32_t tried;			/* bit i: list->idx[i] tried this round */
	unsigned int tries, max_tries;
	int up;				/* upstream of the current try */
	int fd;
	enum qstate state;
	uint64_t deadline_ms;
	bool upstream_said_fail;	/* an upstream answered SERVFAIL or similar */
	uint8_t wire[2 + QUERY_WIRE_MAX];	/* TCP length prefix, then the query */
	size_t wire_len;		/* without the prefix */
	size_t io_off;			/* TCP: bytes written or read so far */
	uint8_t lenbuf[2];		/* TCP: the reply's length prefix */
	uint8_t *tcp_buf;		/* TCP: the reply, once its length is known */
	size_t tcp_need;
};

struct forward {
	struct forward_shared *sh;
	int ep;
	struct query *head, *tail;
	unsigned int n_pending;
	uint8_t rng[RNG_BYTES];
	size_t rng_pos;
	uint8_t *rbuf;			/* a received message */
	uint8_t *obuf;			/* a rendered response */
	struct forward_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- shared state ---- */

struct forward_shared *forward_shared_new(const struct forward_config *cfg, struct cache *cache)
{
	struct forward_shared *sh;

	if (!cfg->timeout_ms || !cfg->fail_threshold || cfg->edns_size < DNS_UDP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->cfg = *cfg;
	sh->cache = cache;
	return sh;
}

void forward_shared_free(struct forward_shared *sh)
{
	free(sh);
}

int forward_upstream_health_get(struct forward_shared *sh, unsigned int i,
				struct forward_upstream_health *h)
{
	struct upstream *u;

	if (i >= sh->cfg.n_upstreams)
		return -ENOENT;
	u = &sh->up[i];
	h->consecutive_failures = atomic_load(&u->fails);
	h->down = atomic_load(&u->down_until_ms) != 0;
	h->queries = atomic_load(&u->queries);
	h->failures = atomic_load(&u->failures);
	return 0;
}

/* May a query go to upstream i now, before the untried healthy ones run out? */
static bool upstream_usable(struct forward_shared *sh, int i, uint64_t now)
{
	struct upstream *u = &sh->up[i];
	uint64_t down = atomic_load(&u->down_until_ms), probe;

	if (!down)
		return true;
	if (now < down)
		return false;
	/* Down period over: one probe at a time, whichever worker gets here first. */
	probe = atomic_load(&u->probe_until_ms);
	if (now < probe)
		return false;
	return atomic_compare_exchange_strong(&u->probe_until_ms, &probe,
					      now + sh->cfg.timeout_ms * 2ull);
}

static void upstream_result(struct forward_shared *sh, int i, bool ok)
{
	struct upstream *u = &sh->up[i];
	char buf[64];

	if (ok) {
		if (atomic_exchange(&u->down_until_ms, 0))
			log_info("upstream %s is back",
				 forward_addr_str(&sh->cfg.upstreams[i], buf));
		atomic_store(&u->fails, 0);
		atomic_store(&u->probe_until_ms, 0);
		return;
	}
	atomic_fetch_add(&u->failures, 1);
	if (atomic_fetch_add(&u->fails, 1) + 1 >= sh->cfg.fail_threshold) {
		if (!atomic_exchange(&u->down_until_ms, now_ms() + sh->cfg.down_ms))
			log_warn("upstream %s is down after %u consecutive failures",
				 forward_addr_str(&sh->cfg.upstreams[i], buf),
				 atomic_load(&u->fails));
		atomic_store(&u->probe_until_ms, 0);
	}
}

/* ---- reply matching ---- */

enum forward_reply_verdict forward_reply_match(const struct forward_addr *to,
					       const struct sockaddr *from, socklen_t from_len,
					       const uint8_t *msg, size_t len, uint16_t id,
					       const uint8_t *qname, size_t qname_len,
					       uint16_t qtype, uint16_t qclass)
{
	struct dns_question q;
	struct dns_parser p;

	if (from) {
		struct forward_addr fa = { .len = from_len };

		if (from_len > sizeof(fa.sa))
			return FORWARD_REPLY_BAD_SOURCE;
		memcpy(&fa.sa, from, from_len);
		if (!forward_addr_eq(&fa, to))
			return FORWARD_REPLY_BAD_SOURCE;
	}
	if (dns_parser_init(&p, msg, len))
		return FORWARD_REPLY_MALFORMED;
	if (!(p.hdr.flags & DNS_FLAG_QR) || (p.hdr.flags & DNS_FLAG_OPCODE_MASK))
		return FORWARD_REPLY_MALFORMED;
	if (p.hdr.id != id)
		return FORWARD_REPLY_BAD_ID;
	if (p.hdr.count[DNS_SEC_QUESTION] != 1)
		return FORWARD_REPLY_BAD_QUESTION;
	if (dns_parser_question(&p, &q))
		return FORWARD_REPLY_MALFORMED;
	if (q.qtype != qtype || q.qclass != qclass ||
	    !dns_name_eq(q.name, q.name_len, qname, qname_len))
		return FORWARD_REPLY_BAD_QUESTION;
	/* The body too: nothing malformed reaches the cache or a client. */
	if (dns_msg_validate(msg, len))
		return FORWARD_REPLY_MALFORMED;
	return FORWARD_REPLY_OK;
}

/* ---- instance ---- */

struct forward *forward_new(struct forward_shared *sh)
{
	struct forward *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return NULL;
	f->sh = sh;
	f->rng_pos = RNG_BYTES;
	f->rbuf = malloc(DNS_MSG_MAX);
	f->obuf = malloc(DNS_MSG_MAX);
	if (!f->rbuf || !f->obuf) {
		err = ENOMEM;
		goto out_free_bufs;
	}
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	if (f->ep < 0) {
		err = errno;
		goto out_free_bufs;
	}
	return f;

out_free_bufs:
	free(f->rbuf);
	free(f->obuf);
	free(f);
	errno = err;
	return NULL;
}

static void query_close_fd(struct query *q)
{
	if (q->fd >= 0) {
		/* close() removes it from the epoll set: nobody else holds the fd. */
		close(q->fd);
		q->fd = -1;
	}
	free(q->tcp_buf);
	q->tcp_buf = NULL;
}

static void list_unlink(struct forward *f, struct query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		f->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		f->tail = q->prev;
	q->prev = q->next = NULL;
}

/* Deadlines are mostly appended in order: walk from the tail. */
static void list_insert(struct forward *f, struct query *q)
{
	struct query *after = f->tail;

	while (after && after->deadline_ms > q->deadline_ms)
		after = after->prev;
	q->prev = after;
	q->next = after ? after->next : f->head;
	if (q->next)
		q->next->prev = q;
	else
		f->tail = q;
	if (after)
		after->next = q;
	else
		f->head = q;
}

static void set_deadline(struct forward *f, struct query *q)
{
	list_unlink(f, q);
	q->deadline_ms = now_ms() + f->sh->cfg.timeout_ms;
	list_insert(f, q);
}

static void query_free(struct forward *f, struct query *q)
{
	list_unlink(f, q);
	query_close_fd(q);
	f->n_pending--;
	free(q);
}

void forward_free(struct forward *f)
{
	if (!f)
		return;
	while (f->head)
		query_free(f, f->head);
	close(f->ep);
	free(f->rbuf);
	free(f->obuf);
	free(f);
}

static int rng_u16(struct forward *f, uint16_t *v)
{
	if (f->rng_pos + 2 > RNG_BYTES) {
		if (getrandom(f->rng, RNG_BYTES, 0) != RNG_BYTES)
			return -EIO;
		f->rng_pos = 0;
	}
	memcpy(v, f->rng + f->rng_pos, 2);
	f->rng_pos += 2;
	return 0;
}

/* ---- responses ---- */

/*
 * Upstream reply -> the normalised form the cache stores: ID 0, question lower-cased, no
 * OPT record. The OPT must be the last record (RFC 6891 does not require it, but every
 * server puts it there unless TSIG follows, which we never ask for); an extended RCODE makes
 * the reply unusable. Returns the new length or -EBADMSG.
 */
static int normalise(uint8_t *msg, size_t len)
{
	struct dns_question q;
	struct dns_parser p;
	struct dns_rr rr;
	int err;

	err = dns_parser_init(&p, msg, len);
	if (err)
		return err;
	err = dns_parser_question(&p, &q);
	if (err)
		return err;
	while ((err = dns_parser_rr(&p, &rr)) == 0) {
		size_t start;

		if (rr.type != DNS_TYPE_OPT)
			continue;
		start = rr.rdata_off - DNS_RR_FIXED_LEN - 1;
		if (rr.section != DNS_SEC_ADDITIONAL || rr.name_len != 1 ||
		    rr.rdata_off + rr.rdlen != len || msg[start] != 0 || (rr.ttl >> 24))
			return -EBADMSG;
		p.hdr.count[DNS_SEC_ADDITIONAL]--;
		len = start;
		break;
	}
	if (err && err != -ENOENT)
		return err;
	p.hdr.id = 0;
	dns_hdr_encode(msg, &p.hdr);
	dns_name_lower(msg + DNS_HDR_LEN, q.name_len);
	return (int)len;
}

/* The normalised msg as the answer to q's client, into f->obuf. Returns the length. */
static size_t render(struct forward *f, const struct query *q, const uint8_t *msg, size_t len)
{
	uint8_t *out = f->obuf;
	struct dns_hdr h;
	uint16_t keep = DNS_FLAG_QR | DNS_FLAG_RCODE_MASK;

	memcpy(out, msg, len);
	dns_hdr_decode(out, len, &h);
	if (q->client_do || (q->client_flags & DNS_FLAG_AD))
		keep |= DNS_FLAG_AD;	/* RFC 6840 5.8 */
	h.id = q->client_id;
	h.flags = (uint16_t)((h.flags & keep) | DNS_FLAG_QR | DNS_FLAG_RA |
			     (q->client_flags & (DNS_FLAG_RD | DNS_FLAG_CD)));
	/* Same name but for case: the client's bytes, so 0x20 randomisation survives. */
	memcpy(out + DNS_HDR_LEN, q->qname, q->qname_len);
	if (q->client_edns && len + OPT_RR_LEN <= DNS_MSG_MAX) {
		uint8_t *o = out + len;

		o[0] = 0;
		wr16(o + 1, DNS_TYPE_OPT);
		wr16(o + 3, f->sh->cfg.edns_size);
		o[5] = 0;	/* extended RCODE */
		o[6] = 0;	/* version */
		wr16(o + 7, q->client_do ? 0x8000 : 0);
		wr16(o + 9, 0);
		len += OPT_RR_LEN;
		h.count[DNS_SEC_ADDITIONAL]++;
	}
	dns_hdr_encode(out, &h);
	return len;
}

/* Answer q from the cache; true when it was. */
static bool answer_from_cache(struct forward *f, struct query *q, unsigned int flags,
			      struct cache_hit *hit)
{
	int len;

	if (!f->sh->cache)
		return false;
	len = cache_lookup(f->sh->cache, &q->key, flags, f->rbuf, DNS_MSG_MAX, hit);
	if (len < 0)
		return false;
	q->done(q->arg, f->obuf, render(f, q, f->rbuf, (size_t)len));
	return true;
}

/* ---- sending ---- */

static int build_query(struct forward *f, struct query *q)
{
	struct dns_hdr h = { .flags = DNS_FLAG_RD | (q->client_flags & DNS_FLAG_CD) };
	struct dns_writer w;
	uint8_t opt[OPT_RR_LEN];
	int err;

	err = rng_u16(f, &h.id);
	if (err)
		return err;
	h.count[DNS_SEC_QUESTION] = 1;
	h.count[DNS_SEC_ADDITIONAL] = 1;
	dns_writer_init(&w, q->wire + 2, QUERY_WIRE_MAX);
	opt[0] = 0;
	wr16(opt + 1, DNS_TYPE_OPT);
	wr16(opt + 3, f->sh->cfg.edns_size);
	opt[5] = opt[6] = 0;
	wr16(opt + 7, q->client_do ? 0x8000 : 0);
	wr16(opt + 9, 0);
	err = dns_write_hdr(&w, &h);
	if (!err)
		err = dns_write_question(&w, q->key.name, q->key.name_len, q->qtype, q->qclass);
	if (!err)
		err = dns_write_bytes(&w, opt, sizeof(opt));
	if (err)
		return err;
	q->wire_len = w.len;
	wr16(q->wire, (uint16_t)w.len);
	return 0;
}

static uint16_t query_id(const struct query *q)
{
	return rd16(q->wire + 2);
}

/* A fresh socket for q's upstream, registered for events. */
static int open_socket(struct forward *f, struct query *q, int type, uint32_t events)
{
	const struct forward_addr *a = &f->sh->cfg.upstreams[q->up];
	struct epoll_event ev = { .events = events, .data.ptr = q };
	int fd, err;

	fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) && errno != EINPROGRESS) {
		err = -errno;
		goto out_close_fd;
	}
	if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		goto out_close_fd;
	}
	q->fd = fd;
	return 0;

out_close_fd:
	close(fd);
	return err;
}

/* Next upstream for q: untried healthy ones in order, then untried down ones, then again. */
static int pick_upstream(struct forward *f, struct query *q)
{
	const struct forward_list *l = q->list;
	uint64_t now = now_ms();

	if (q->tries >= q->max_tries)
		return -1;
	for (int round = 0; round < 3; round++) {
		if (round == 2)
			q->tried = 0;	/* everyone had a try: start over */
		for (unsigned int i = 0; i < l->n; i++) {
			if (q->tried & (1u << i))
				continue;
			if (round != 1 && !upstream_usable(f->sh, l->idx[i], now))
				continue;
			q->tried |= 1u << i;
			return l->idx[i];
		}
	}
	return -1;
}

static void finish_failed(struct forward *f, struct query *q);

/* Start the next try of q (UDP), failing over through its list. */
static void try_next(struct forward *f, struct query *q)
{
	int err;

	query_close_fd(q);
	for (;;) {
		q->up = pick_upstream(f, q);
		if (q->up < 0) {
			finish_failed(f, q);
			return;
		}
		if (q->tries++)
			f->st.failovers++;
		q->state = Q_UDP;
		atomic_fetch_add(&f->sh->up[q->up].queries, 1);
		err = build_query(f, q);
		if (!err)
			err = open_socket(f, q, SOCK_DGRAM, EPOLLIN);
		if (!err && send(q->fd, q->wire + 2, q->wire_len, 0) != (ssize_t)q->wire_len)
			err = -errno;
		if (!err) {
			f->st.sent_udp++;
			set_deadline(f, q);
			return;
		}
		if (err == -ECONNREFUSED)
			f->st.refused++;
		query_close_fd(q);
		upstream_result(f->sh, q->up, false);
	}
}

/* Same upstream, over TCP (RFC 7766), after a TC=1 reply. */
static void go_tcp(struct forward *f, struct query *q)
{
	int err;

	query_close_fd(q);
	f->st.tc_fallbacks++;
	err = build_query(f, q);	/* a new ID for the new exchange */
	if (!err)
		err = open_socket(f, q, SOCK_STREAM, EPOLLOUT);
	if (err) {
		upstream_result(f->sh, q->up, false);
		try_next(f, q);
		return;
	}
	q->state = Q_TCP_CONNECT;
	q->io_off = 0;
	q->tcp_need = 0;
	f->st.sent_tcp++;
	set_deadline(f, q);
}

/* ---- completion ---- */

static void finish_failed(struct forward *f, struct query *q)
{
	struct cache_hit hit;

	if (q->prefetch) {
		if (f->sh->cache)
			cache_prefetch_failed(f->sh->cache, &q->key);
	} else if (q->done) {
		if (answer_from_cache(f, q, CACHE_STALE_OK, &hit)) {
			if (hit.stale)
				f->st.stale_answers++;
		} else {
			f->st.failures++;
			q->done(q->arg, NULL, 0);
		}
	}
	query_free(f, q);
}

/* A matched reply in f->rbuf[0..len). */
static void handle_reply(struct forward *f, struct query *q, size_t len, bool tcp)
{
	uint16_t flags = rd16(f->rbuf + 2);
	unsigned int rcode = flags & DNS_FLAG_RCODE_MASK;
	int n;

	if ((flags & DNS_FLAG_TC) && !tcp) {
		go_tcp(f, q);
		return;
	}
	if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) {
		f->st.upstream_errors++;
		q->upstream_said_fail = true;
		upstream_result(f->sh, q->up, false);
		try_next(f, q);
		return;
	}
	n = normalise(f->rbuf, len);
	if (n < 0) {
		f->st.upstream_errors++;
		upstream_result(f->sh, q->up, false);
		try_next(f, q);
		return;
	}
	upstream_result(f->sh, q->up, true);
	if (f->sh->cache && !cache_insert(f->sh->cache, &q->key, f->rbuf, (size_t)n) && q->done) {
		struct cache_hit hit;
		int clamped;

		/* As cached: TTLs clamped, so no client keeps it longer than we do. */
		clamped = cache_lookup(f->sh->cache, &q->key, CACHE_PEEK, f->rbuf, DNS_MSG_MAX,
				       &hit);
		if (clamped > 0)
			n = clamped;
	}
	if (q->done)
		q->done(q->arg, f->obuf, render(f, q, f->rbuf, (size_t)n));
	query_free(f, q);
}

static bool check_reply(struct forward *f, struct query *q, const struct sockaddr *from,
			socklen_t from_len, size_t len)
{
	switch (forward_reply_match(&f->sh->cfg.upstreams[q->up], from, from_len, f->rbuf, len,
				    query_id(q), q->key.name, q->key.name_len, q->qtype,
				    q->qclass)) {
	case FORWARD_REPLY_OK:
		return true;
	case FORWARD_REPLY_BAD_SOURCE:
		f->st.drop_source++;
		break;
	case FORWARD_REPLY_MALFORMED:
		f->st.drop_malformed++;
		break;
	case FORWARD_REPLY_BAD_ID:
		f->st.drop_id++;
		break;
	case FORWARD_REPLY_BAD_QUESTION:
		f->st.drop_question++;
		break;
	}
	return false;
}

static void on_udp(struct forward *f, struct query *q)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		n = recvfrom(q->fd, f->rbuf, DNS_MSG_MAX, 0, (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED: ICMP port unreachable, nothing listens there. */
			if (errno == ECONNREFUSED)
				f->st.refused++;
			upstream_result(f->sh, q->up, false);
			try_next(f, q);
			return;
		}
		if (check_reply(f, q, (struct sockaddr *)&from, from_len, (size_t)n)) {
			handle_reply(f, q, (size_t)n, false);
			return;
		}
	}
}

static void tcp_failed(struct forward *f, struct query *q, int err)
{
	if (err == ECONNREFUSED)
		f->st.refused++;
	upstream_result(f->sh, q->up, false);
	try_next(f, q);
}

static void on_tcp(struct forward *f, struct query *q, uint32_t events)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = q };
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n;

	if (q->state == Q_TCP_CONNECT) {
		if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			tcp_failed(f, q, soerr ? soerr : errno);
			return;
		}
		q->state = Q_TCP_WRITE;
	}
	if (q->state == Q_TCP_WRITE) {
		n = send(q->fd, q->wire + q->io_off, q->wire_len + 2 - q->io_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				tcp_failed(f, q, errno);
			return;
		}
		q->io_off += (size_t)n;
		if (q->io_off < q->wire_len + 2)
			return;
		if (epoll_ctl(f->ep, EPOLL_CTL_MOD, q->fd, &ev)) {
			tcp_failed(f, q, errno);
			return;
		}
		q->state = Q_TCP_READ;
		q->io_off = 0;
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* Q_TCP_READ: the 2-byte length prefix, then the message into tcp_buf. */
	for (;;) {
		uint8_t *dst = q->tcp_buf ? q->tcp_buf : q->lenbuf;
		size_t want = q->tcp_buf ? q->tcp_need : 2;

		n = recv(q->fd, dst + q->io_off, want - q->io_off, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				tcp_failed(f, q, errno);
			return;
		}
		if (n == 0) {
			tcp_failed(f, q, ECONNRESET);
			return;
		}
		q->io_off += (size_t)n;
		if (q->io_off < want)
			continue;
		if (!q->tcp_buf) {
			q->tcp_need = rd16(q->lenbuf);
			q->io_off = 0;
			if (q->tcp_need < DNS_HDR_LEN) {
				f->st.drop_malformed++;
				tcp_failed(f, q, EBADMSG);
				return;
			}
			q->tcp_buf = malloc(q->tcp_need);
			if (!q->tcp_buf) {
				tcp_failed(f, q, ENOMEM);
				return;
			}
			continue;
		}
		memcpy(f->rbuf, q->tcp_buf, q->tcp_need);
		if (!check_reply(f, q, NULL, 0, q->tcp_need)) {
			/* On a connection of our own a wrong reply is a broken upstream. */
			tcp_failed(f, q, EBADMSG);
			return;
		}
		handle_reply(f, q, q->tcp_need, true);
		return;
	}
}

/* ---- the server_resolver operations ---- */

static int start_query(struct forward *f, const struct cache_key *key, const uint8_t *qname,
		       size_t qname_len, const struct dns_hdr *h, bool edns, bool edo,
		       forward_done_fn done, void *arg)
{
	const struct forward_config *cfg = &f->sh->cfg;
	struct query *q;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->f = f;
	q->fd = -1;
	q->done = done;
	q->arg = arg;
	q->prefetch = !done;
	q->key = *key;
	memcpy(q->qname, qname, qname_len);
	q->qname_len = qname_len;
	q->qtype = key->qtype;
	q->qclass = key->qclass;
	q->client_id = h->id;
	q->client_flags = h->flags;
	q->client_edns = edns;
	q->client_do = edo;
	q->list = forward_config_route(cfg, key->name, key->name_len);
	q->max_tries = cfg->attempts ? cfg->attempts : (q->list->n > 2 ? q->list->n : 2);
	q->deadline_ms = UINT64_MAX;
	list_insert(f, q);
	f->n_pending++;
	try_next(f, q);	/* may finish q (no upstream at all) */
	return 0;
}

int forward_resolve(void *ctx, const uint8_t *query, size_t len, forward_done_fn done, void *arg)
{
	struct forward *f = ctx;
	struct dns_question dq;
	struct cache_key key;
	struct cache_hit hit;
	struct dns_parser p;
	struct dns_rr rr;
	bool edns = false, edo = false;
	struct query tmp;
	int err;

	if (!done)
		return -EINVAL;
	err = dns_parser_init(&p, query, len);
	if (err)
		return err;
	if (p.hdr.count[DNS_SEC_QUESTION] != 1)
		return -EBADMSG;
	err = dns_parser_question(&p, &dq);
	if (err)
		return err;
	while ((err = dns_parser_rr(&p, &rr)) == 0) {
		if (rr.type == DNS_TYPE_OPT) {
			edns = true;
			edo = rr.ttl & 0x8000;
		}
	}
	if (err != -ENOENT)
		return err;
	err = cache_key_init(&key, dq.name, dq.name_len, dq.qtype, dq.qclass,
			     (edo ? CACHE_KEY_DO : 0) |
			     ((p.hdr.flags & DNS_FLAG_CD) ? CACHE_KEY_CD : 0));
	if (err)
		return err;
	f->st.questions++;

	if (f->sh->cache) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.done = done;
		tmp.arg = arg;
		tmp.key = key;
		memcpy(tmp.qname, dq.name, dq.name_len);
		tmp.qname_len = dq.name_len;
		tmp.client_id = p.hdr.id;
		tmp.client_flags = p.hdr.flags;
		tmp.client_edns = edns;
		tmp.client_do = edo;
		if (answer_from_cache(f, &tmp, 0, &hit)) {
			f->st.cache_hits++;
			if (hit.prefetch && !start_query(f, &key, key.name, key.name_len, &p.hdr,
							 edns, edo, NULL, NULL))
				f->st.prefetches++;
			return 0;
		}
	}
	return start_query(f, &key, dq.name, dq.name_len, &p.hdr, edns, edo, done, arg);
}

void forward_cancel(void *ctx, void *arg)
{
	struct forward *f = ctx;

	/* The upstream exchange goes on: its answer still fills the cache. */
	for (struct query *q = f->head; q; q = q->next) {
		if (q->done && q->arg == arg) {
			q->done = NULL;
			q->arg = NULL;
			f->st.cancelled++;
		}
	}
}

int forward_fd(void *ctx)
{
	return ((struct forward *)ctx)->ep;
}

int forward_timeout_ms(void *ctx)
{
	struct forward *f = ctx;
	uint64_t now;

	if (!f->head)
		return -1;
	now = now_ms();
	if (f->head->deadline_ms <= now)
		return 0;
	if (f->head->deadline_ms - now > INT32_MAX)
		return INT32_MAX;
	return (int)(f->head->deadline_ms - now);
}

void forward_process(void *ctx)
{
	struct forward *f = ctx;
	struct epoll_event evs[EPOLL_BATCH];
	int n;

	do {
		n = epoll_wait(f->ep, evs, EPOLL_BATCH, 0);
		for (int i = 0; i < n; i++) {
			struct query *q = evs[i].data.ptr;

			if (q->state == Q_UDP)
				on_udp(f, q);
			else
				on_tcp(f, q, evs[i].events);
		}
	} while (n == EPOLL_BATCH);

	for (uint64_t now = now_ms(); f->head && f->head->deadline_ms <= now;) {
		struct query *q = f->head;

		f->st.timeouts++;
		upstream_result(f->sh, q->up, false);
		try_next(f, q);
	}
}

void forward_stats_get(const struct forward *f, struct forward_stats *st)
{
	*st = f->st;
}

unsigned int forward_pending(const struct forward *f)
{
	return f->n_pending;
}
