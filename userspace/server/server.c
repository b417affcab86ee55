// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The slow-path server: workers, sockets, UDP batches, TCP connections. See server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "userspace/util/log.h"
#include "answer.h"
#include "server.h"

#define MAX_SOCKS		(2 * XDPDNS_MAX_LISTEN)
#define UDP_RECV_MAX		DNS_MSG_MAX	/* a query may be any size */
#define CTL_LEN			CMSG_SPACE(sizeof(struct in6_pktinfo))
#define TCP_FRAME_MAX		(2 + DNS_MSG_MAX)
#define TCP_WBUF_HIGH		(4 * TCP_FRAME_MAX)	/* stop reading a client above this */
#define TCP_ACCEPT_BATCH	64
#define EPOLL_EVENTS		64

enum ev_kind { EV_STOP, EV_UDP, EV_LISTEN, EV_CONN, EV_RESOLVER };

struct ev {
	enum ev_kind kind;
	int fd;
};

struct worker;

/* A query handed to the resolver: what the reply needs. */
struct pending {
	struct worker *w;
	struct conn *conn;		/* TCP, or NULL for UDP */
	struct pending *prev, *next;	/* the conn's list */
	struct dns_query q;		/* for SERVFAIL and the UDP size */
	uint8_t *chase;			/* an ExternalName chase: the answer so far (answer.h) */
	size_t chase_len;
	int fd;				/* UDP */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint8_t ctl[CTL_LEN];
	size_t ctl_len;
};

struct conn {
	struct ev ev;			/* first: epoll hands back &conn->ev */
	struct worker *w;
	struct conn *prev, *next;	/* idle order: head is the longest idle */
	uint64_t last_ms;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t woff, wlen, wcap;	/* bytes wbuf[woff..wlen) not yet written */
	struct pending *pending;	/* queries at the resolver */
	uint32_t events;		/* epoll mask now */
	bool eof;			/* the client closed its side */
	bool busy;			/* in conn_event(): it flushes, or closes when broken */
	bool broken;			/* a reply could not be queued: close */
};

struct worker {
	struct server *srv;
	unsigned int id;
	pthread_t thread;
	bool started;
	int epfd;
	struct ev stop;
	struct ev udp[MAX_SOCKS], tcp[MAX_SOCKS];
	unsigned int n_socks;
	struct server_resolver res;
	bool has_res;
	struct ev res_ev;
	struct conn *idle_head, *idle_tail;
	/* UDP batch buffers, allocated once */
	struct mmsghdr rmsg[SERVER_UDP_BATCH], smsg[SERVER_UDP_BATCH];
	struct iovec riov[SERVER_UDP_BATCH], siov[SERVER_UDP_BATCH];
	struct sockaddr_storage raddr[SERVER_UDP_BATCH];
	uint8_t rctl[SERVER_UDP_BATCH][CTL_LEN], sctl[SERVER_UDP_BATCH][CTL_LEN];
	uint8_t *rbuf;			/* SERVER_UDP_BATCH * UDP_RECV_MAX */
	uint8_t *sbuf;			/* SERVER_UDP_BATCH * XDPDNS_EDNS_SIZE */
	uint8_t scratch[2 + DNS_MSG_MAX];	/* a whole answer before truncation/framing */
};

struct server {
	struct server_config cfg;
	struct zone *zone;
	pthread_rwlock_t lock;
	atomic_uint n_conns;
	unsigned int n_workers;
	struct worker *workers[SERVER_MAX_WORKERS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the zone ---- */

void server_zone_lock(struct server *s)
{
	if (s)
		pthread_rwlock_wrlock(&s->lock);
}

void server_zone_unlock(struct server *s)
{
	if (s)
		pthread_rwlock_unlock(&s->lock);
}

void server_zone_set(struct server *s, struct zone *z)
{
	server_zone_lock(s);
	s->zone = z;
	server_zone_unlock(s);
}

static enum server_verdict answer(struct worker *w, const uint8_t *msg, size_t len,
				  struct dns_query *q, uint8_t *out, size_t cap, size_t *out_len)
{
	enum server_verdict v;

	pthread_rwlock_rdlock(&w->srv->lock);
	v = server_answer(w->srv->zone, w->has_res, msg, len, q, out, cap, out_len);
	pthread_rwlock_unlock(&w->srv->lock);
	return v;
}

/* ---- UDP ---- */

/* The source for a reply: the query's destination address, from its pktinfo. */
static size_t reply_ctl(const struct msghdr *rm, uint8_t *ctl)
{
	struct msghdr m = { .msg_control = ctl, .msg_controllen = CTL_LEN };
	struct cmsghdr *c, *o;

	memset(ctl, 0, CTL_LEN);
	for (c = CMSG_FIRSTHDR(rm); c; c = CMSG_NXTHDR((struct msghdr *)rm, c)) {
		o = CMSG_FIRSTHDR(&m);
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;	/* routed as usual, from that address */
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			/* address and interface as received: link-local scopes stay right */
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

/* Cut msg to the client's UDP size; 0 when it cannot be sent at all. */
static size_t udp_fit(const struct dns_query *q, uint8_t *msg, size_t len)
{
	int n = dns_msg_truncate(msg, len, dns_query_udp_limit(q, XDPDNS_EDNS_SIZE));

	return n > 0 ? (size_t)n : 0;
}

static void pending_free(struct pending *p);
static void resolver_done(void *arg, const uint8_t *msg, size_t len);

/*
 * Hand a query to the resolver: the client's own (SERVER_RESOLVE), or for SERVER_CHASE the
 * query for the target of the answer so far, part[0..part_len) (kept in p). 0, or -errno:
 * the caller answers SERVFAIL.
 */
static int resolve(struct worker *w, struct pending *p, enum server_verdict v,
		   const uint8_t *msg, size_t len, const uint8_t *part, size_t part_len)
{
	uint8_t sub[DNS_HDR_LEN + DNS_NAME_MAX + 4 + DNS_OPT_LEN];
	int err;

	if (v == SERVER_CHASE) {
		len = server_chase_query(&p->q, part, part_len, sub, sizeof(sub));
		p->chase = malloc(part_len);
		if (!len || !p->chase)
			return -ENOMEM;
		memcpy(p->chase, part, part_len);
		p->chase_len = part_len;
		msg = sub;
	}
	err = w->res.resolve(w->res.ctx, msg, len, resolver_done, p);
	if (err)
		log_debug("server: worker %u: resolve: %s", w->id, strerror(-err));
	return err;
}

static void udp_read(struct worker *w, struct ev *ev)
{
	unsigned int n_send = 0;
	struct dns_query q;
	int n;

	for (int i = 0; i < SERVER_UDP_BATCH; i++) {
		w->riov[i] = (struct iovec){ w->rbuf + (size_t)i * UDP_RECV_MAX, UDP_RECV_MAX };
		w->rmsg[i].msg_hdr = (struct msghdr){
			.msg_name = &w->raddr[i], .msg_namelen = sizeof(w->raddr[i]),
			.msg_iov = &w->riov[i], .msg_iovlen = 1,
			.msg_control = w->rctl[i], .msg_controllen = CTL_LEN,
		};
	}
	n = recvmmsg(ev->fd, w->rmsg, SERVER_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		struct msghdr *rm = &w->rmsg[i].msg_hdr;
		uint8_t *out = w->sbuf + (size_t)n_send * XDPDNS_EDNS_SIZE;
		size_t len = 0;
		enum server_verdict v;

		if (rm->msg_flags & MSG_TRUNC)
			continue;	/* over 64 KiB: no DNS message */
		v = answer(w, w->riov[i].iov_base, w->rmsg[i].msg_len, &q, w->scratch,
			   DNS_MSG_MAX, &len);
		if (v == SERVER_RESOLVE || v == SERVER_CHASE) {
			struct pending *p = calloc(1, sizeof(*p));

			if (p) {
				p->w = w;
				p->q = q;
				p->fd = ev->fd;
				memcpy(&p->peer, rm->msg_name, rm->msg_namelen);
				p->peer_len = rm->msg_namelen;
				p->ctl_len = reply_ctl(rm, p->ctl);
				if (!resolve(w, p, v, w->riov[i].iov_base, w->rmsg[i].msg_len,
					     w->scratch, len))
					continue;
				pending_free(p);
			}
			len = server_answer_rcode(&q, DNS_RCODE_SERVFAIL, w->scratch, DNS_MSG_MAX);
		} else if (v == SERVER_DROP) {
			continue;
		}
		len = udp_fit(&q, w->scratch, len);
		if (!len || len > XDPDNS_EDNS_SIZE)
			continue;
		memcpy(out, w->scratch, len);
		w->siov[n_send] = (struct iovec){ out, len };
		w->smsg[n_send].msg_hdr = (struct msghdr){
			.msg_name = rm->msg_name, .msg_namelen = rm->msg_namelen,
			.msg_iov = &w->siov[n_send], .msg_iovlen = 1,
			.msg_control = w->sctl[n_send],
		};
		w->smsg[n_send].msg_hdr.msg_controllen = reply_ctl(rm, w->sctl[n_send]);
		if (!w->smsg[n_send].msg_hdr.msg_controllen)
			w->smsg[n_send].msg_hdr.msg_control = NULL;
		n_send++;
	}
	for (unsigned int done = 0; done < n_send;) {
		int s = sendmmsg(ev->fd, w->smsg + done, n_send - done, MSG_DONTWAIT);

		if (s <= 0) {
			done++;		/* skip the one the kernel refused (e.g. no route) */
			continue;
		}
		done += (unsigned int)s;
	}
}

/* ---- TCP ---- */

static void idle_unlink(struct worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->idle_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->idle_tail = c->prev;
	c->prev = c->next = NULL;
}

static void idle_touch(struct worker *w, struct conn *c)
{
	idle_unlink(w, c);
	c->last_ms = now_ms();
	c->prev = w->idle_tail;
	if (w->idle_tail)
		w->idle_tail->next = c;
	else
		w->idle_head = c;
	w->idle_tail = c;
}

static void conn_close(struct conn *c)
{
	struct worker *w = c->w;

	while (c->pending) {
		struct pending *p = c->pending;

		if (w->has_res && w->res.cancel)
			w->res.cancel(w->res.ctx, p);
		pending_free(p);
	}
	idle_unlink(w, c);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->ev.fd, NULL);
	close(c->ev.fd);
	atomic_fetch_sub(&w->srv->n_conns, 1);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

/* Queue one framed reply. -ENOMEM closes the connection. */
static int conn_queue(struct conn *c, const uint8_t *msg, size_t len)
{
	if (c->woff && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen + 2 + len > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		uint8_t *b;

		if (c->woff) {		/* reclaim what was written first */
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		while (cap < c->wlen + 2 + len)
			cap *= 2;
		if (cap != c->wcap) {
			b = realloc(c->wbuf, cap);
			if (!b)
				return -ENOMEM;
			c->wbuf = b;
			c->wcap = cap;
		}
	}
	c->wbuf[c->wlen] = (uint8_t)(len >> 8);
	c->wbuf[c->wlen + 1] = (uint8_t)len;
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += 2 + len;
	return 0;
}

/* Write what can be written, then set the epoll mask. Returns -errno when the connection
 * must be closed. */
static int conn_flush(struct conn *c)
{
	uint32_t ev = 0;

	while (c->woff < c->wlen) {
		ssize_t n = send(c->ev.fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->woff += (size_t)n;
		idle_touch(c->w, c);
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->eof && !c->wlen && !c->pending)
		return -ECONNRESET;	/* the client is done and so are we */
	if (c->wlen)
		ev |= EPOLLOUT;
	if (!c->eof && c->wlen - c->woff < TCP_WBUF_HIGH)
		ev |= EPOLLIN;
	if (ev != c->events) {
		struct epoll_event e = { .events = ev, .data.ptr = &c->ev };

		if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->ev.fd, &e))
			return -errno;
		c->events = ev;
	}
	return 0;
}

/* Answer every complete frame in rbuf. -errno: close. */
static int conn_process(struct conn *c)
{
	struct worker *w = c->w;
	size_t off = 0;
	int err = 0;

	while (c->rlen - off >= 2) {
		size_t flen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1], len = 0;
		const uint8_t *msg = c->rbuf + off + 2;
		enum server_verdict v;
		struct dns_query q;

		if (flen < DNS_HDR_LEN) {
			err = -EBADMSG;		/* not DNS: nothing sensible follows */
			break;
		}
		if (c->rlen - off - 2 < flen)
			break;
		off += 2 + flen;
		v = answer(w, msg, flen, &q, w->scratch, DNS_MSG_MAX, &len);
		if (v == SERVER_RESOLVE || v == SERVER_CHASE) {
			struct pending *p = calloc(1, sizeof(*p));

			if (p) {
				p->w = w;
				p->q = q;
				p->conn = c;
				p->next = c->pending;
				if (c->pending)
					c->pending->prev = p;
				c->pending = p;
				if (!resolve(w, p, v, msg, flen, w->scratch, len))
					continue;
				pending_free(p);
			}
			len = server_answer_rcode(&q, DNS_RCODE_SERVFAIL, w->scratch, DNS_MSG_MAX);
		} else if (v == SERVER_DROP) {
			continue;
		}
		if (len) {
			err = conn_queue(c, w->scratch, len);
			if (err)
				break;
		}
		if (c->wlen - c->woff >= TCP_WBUF_HIGH)
			break;	/* the client reads slowly: the rest waits in rbuf */
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return err;
}

static int conn_read(struct conn *c)
{
	int err;

	for (int i = 0; i < 16; i++) {
		ssize_t n;

		if (c->rlen == c->rcap) {
			size_t cap = c->rcap ? c->rcap * 4 : 1024;
			uint8_t *b;

			if (cap > TCP_FRAME_MAX)
				cap = TCP_FRAME_MAX;
			if (cap == c->rcap)
				break;	/* a whole frame is buffered: answer it first */
			b = realloc(c->rbuf, cap);
			if (!b)
				return -ENOMEM;
			c->rbuf = b;
			c->rcap = cap;
		}
		n = recv(c->ev.fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->rlen += (size_t)n;
		idle_touch(c->w, c);
		err = conn_process(c);
		if (err)
			return err;
		if (c->wlen - c->woff >= TCP_WBUF_HIGH)
			break;
	}
	return conn_process(c);
}

static void conn_event(struct conn *c, uint32_t events)
{
	int err = 0;

	c->busy = true;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		err = conn_read(c);
	else if (c->rlen)
		err = conn_process(c);	/* reading was paused while the client did not read */
	c->busy = false;
	if (!err && c->broken)
		err = -ENOMEM;
	if (!err)
		err = conn_flush(c);
	if (err)
		conn_close(c);
}

static void tcp_accept(struct worker *w, struct ev *ev)
{
	struct server *s = w->srv;

	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct epoll_event e;
		struct conn *c;

		if (fd < 0)
			return;
		if (atomic_fetch_add(&s->n_conns, 1) >= s->cfg.tcp_max_conns) {
			atomic_fetch_sub(&s->n_conns, 1);
			close(fd);	/* over the limit: the client sees the close at once */
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			atomic_fetch_sub(&s->n_conns, 1);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->ev = (struct ev){ EV_CONN, fd };
		c->w = w;
		c->events = EPOLLIN;
		e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &c->ev };
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e)) {
			atomic_fetch_sub(&s->n_conns, 1);
			close(fd);
			free(c);
			continue;
		}
		idle_touch(w, c);
	}
}

/* ---- the resolver's answers ---- */

static void pending_free(struct pending *p)
{
	struct conn *c = p->conn;

	if (c) {
		if (p->prev)
			p->prev->next = p->next;
		else
			c->pending = p->next;
		if (p->next)
			p->next->prev = p->prev;
	}
	free(p->chase);
	free(p);
}

static void resolver_done(void *arg, const uint8_t *msg, size_t len)
{
	struct pending *p = arg;
	struct worker *w = p->w;
	struct conn *c = p->conn;
	size_t n = 0;

	if (p->chase) {
		n = server_chase_finish(&p->q, p->chase, p->chase_len, msg, len, w->scratch,
					DNS_MSG_MAX);
	} else if (msg && len >= DNS_HDR_LEN && len <= DNS_MSG_MAX) {
		memcpy(w->scratch, msg, len);
		n = len;
	}
	if (!n)
		n = server_answer_rcode(&p->q, DNS_RCODE_SERVFAIL, w->scratch, DNS_MSG_MAX);
	if (c) {
		pending_free(p);
		if (conn_queue(c, w->scratch, n))
			c->broken = true;
		/* inside conn_event() (a cache hit), that flushes; else flush here */
		if (!c->busy && (c->broken || conn_flush(c)))
			conn_close(c);
		return;
	}
	n = udp_fit(&p->q, w->scratch, n);
	if (n) {
		struct iovec iov = { w->scratch, n };
		struct msghdr m = { .msg_name = &p->peer, .msg_namelen = p->peer_len,
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = p->ctl_len ? p->ctl : NULL,
				    .msg_controllen = p->ctl_len };

		sendmsg(p->fd, &m, MSG_DONTWAIT);
	}
	pending_free(p);
}

/* ---- the loop ---- */

/* Close connections idle past the timeout; returns ms until the next one is due, or -1. */
static int idle_expire(struct worker *w)
{
	uint64_t now = now_ms(), idle = w->srv->cfg.tcp_idle_ms;
	struct conn *c = w->idle_head, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->last_ms + idle > now)
			return (int)(c->last_ms + idle - now);
		if (c->pending)
			idle_touch(w, c);	/* waiting for the resolver is not idle */
		else
			conn_close(c);
	}
	return -1;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EPOLL_EVENTS];

	for (;;) {
		int timeout = idle_expire(w), n;

		if (w->has_res && w->res.timeout_ms) {
			int t = w->res.timeout_ms(w->res.ctx);

			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		n = epoll_wait(w->epfd, evs, EPOLL_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("server: worker %u: epoll_wait: %s", w->id, strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ev *ev = evs[i].data.ptr;

			switch (ev->kind) {
			case EV_STOP:
				return NULL;
			case EV_UDP:
				udp_read(w, ev);
				break;
			case EV_LISTEN:
				tcp_accept(w, ev);
				break;
			case EV_CONN:
				conn_event((struct conn *)ev, evs[i].events);
				break;
			case EV_RESOLVER:
				break;	/* processed below */
			}
		}
		if (w->has_res && w->res.process)
			w->res.process(w->res.ctx);
	}
	return NULL;
}

/* ---- setup ---- */

static int sock_open(int family, int type, const struct sockaddr *sa, socklen_t sl)
{
	int fd, one = 1, err;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    /* bind before the address is up (a restart while an interface flaps) */
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)))
		goto out_errno;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto out_errno;
	if (type == SOCK_DGRAM &&
	    (family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
			       : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))))
		goto out_errno;
	if (bind(fd, sa, sl))
		goto out_errno;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN))
		goto out_errno;
	return fd;

out_errno:
	err = -errno;
	close(fd);
	return err;
}

static int worker_add(struct worker *w, struct ev *ev, enum ev_kind kind, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };

	ev->kind = kind;
	ev->fd = fd;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

/* One UDP socket and one TCP listener on sa, registered with w. */
static int worker_bind(struct worker *w, const struct sockaddr *sa, socklen_t sl)
{
	char text[INET6_ADDRSTRLEN] = "?";
	int fd, err;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
			  sizeof(text));
	for (int i = 0; i < 2; i++) {
		int type = i ? SOCK_STREAM : SOCK_DGRAM;
		struct ev *ev = i ? &w->tcp[w->n_socks] : &w->udp[w->n_socks];

		fd = sock_open(sa->sa_family, type, sa, sl);
		if (fd < 0) {
			log_err("server: cannot listen on %s port %u (%s): %s", text,
				w->srv->cfg.port, type == SOCK_DGRAM ? "UDP" : "TCP", strerror(-fd));
			return fd;
		}
		err = worker_add(w, ev, type == SOCK_DGRAM ? EV_UDP : EV_LISTEN, fd);
		if (err) {
			close(fd);
			return err;
		}
	}
	w->n_socks++;
	return 0;
}

static void worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->started) {
		uint64_t one = 1;

		if (write(w->stop.fd, &one, sizeof(one)) != sizeof(one))
			log_err("server: cannot stop worker %u", w->id);
		pthread_join(w->thread, NULL);
	}
	while (w->idle_head)
		conn_close(w->idle_head);
	if (w->has_res && w->srv->cfg.free_resolver)
		w->srv->cfg.free_resolver(w->srv->cfg.resolver_arg, w->id, &w->res);
	for (unsigned int i = 0; i < MAX_SOCKS; i++) {
		if (w->udp[i].fd > 0)
			close(w->udp[i].fd);
		if (w->tcp[i].fd > 0)
			close(w->tcp[i].fd);
	}
	if (w->stop.fd > 0)
		close(w->stop.fd);
	if (w->epfd > 0)
		close(w->epfd);
	free(w->rbuf);
	free(w->sbuf);
	free(w);
}

static struct worker *worker_new(struct server *s, unsigned int id)
{
	const struct server_config *cfg = &s->cfg;
	struct worker *w = calloc(1, sizeof(*w));
	int err, fd;

	if (!w)
		return NULL;
	w->srv = s;
	w->id = id;
	w->rbuf = malloc((size_t)SERVER_UDP_BATCH * UDP_RECV_MAX);
	w->sbuf = malloc((size_t)SERVER_UDP_BATCH * XDPDNS_EDNS_SIZE);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->rbuf || !w->sbuf || w->epfd < 0 || fd < 0) {
		err = w->epfd < 0 || fd < 0 ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		goto out_free_worker;
	}
	err = worker_add(w, &w->stop, EV_STOP, fd);
	if (err) {
		close(fd);
		goto out_free_worker;
	}
	for (unsigned int i = 0; i < cfg->n_v4; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->port),
					  .sin_addr = cfg->v4[i] };

		err = worker_bind(w, (struct sockaddr *)&sa, sizeof(sa));
		if (err)
			goto out_free_worker;
	}
	for (unsigned int i = 0; i < cfg->n_v6; i++) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(cfg->port),
					   .sin6_addr = cfg->v6[i] };

		err = worker_bind(w, (struct sockaddr *)&sa, sizeof(sa));
		if (err)
			goto out_free_worker;
	}
	if (cfg->make_resolver) {
		err = cfg->make_resolver(cfg->resolver_arg, id, &w->res);
		if (err) {
			log_err("server: worker %u: cannot make its resolver: %s", id, strerror(-err));
			goto out_free_worker;
		}
		w->has_res = true;
		fd = w->res.fd ? w->res.fd(w->res.ctx) : -1;
		if (fd >= 0) {
			err = worker_add(w, &w->res_ev, EV_RESOLVER, fd);
			if (err)
				goto out_free_worker;
		}
	}
	return w;

out_free_worker:
	worker_free(w);
	errno = -err;
	return NULL;
}

struct server *server_new(const struct server_config *cfg)
{
	pthread_rwlockattr_t la;
	struct server *s;
	long cpus;
	int err;

	if (!cfg->zone || !cfg->port || cfg->n_v4 > XDPDNS_MAX_LISTEN ||
	    cfg->n_v6 > XDPDNS_MAX_LISTEN || !(cfg->n_v4 + cfg->n_v6) ||
	    cfg->workers > SERVER_MAX_WORKERS) {
		log_err("server: bad configuration (zone, port, 1..%d addresses per family, at most "
			"%d workers)", XDPDNS_MAX_LISTEN, SERVER_MAX_WORKERS);
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	s->zone = cfg->zone;
	if (!s->cfg.tcp_idle_ms)
		s->cfg.tcp_idle_ms = SERVER_TCP_IDLE_MS;
	if (!s->cfg.tcp_max_conns)
		s->cfg.tcp_max_conns = SERVER_TCP_MAX_CONNS;
	/* the CPUs we may run on (taskset, a cgroup's cpuset), not every CPU online */
	{
		cpu_set_t set;

		cpus = sched_getaffinity(0, sizeof(set), &set) ? sysconf(_SC_NPROCESSORS_ONLN)
							       : CPU_COUNT(&set);
	}
	s->n_workers = cfg->workers ? cfg->workers : cpus > 0 ? (unsigned int)cpus : 1;
	if (s->n_workers > SERVER_MAX_WORKERS)
		s->n_workers = SERVER_MAX_WORKERS;
	/* Writers first: a busy server must not starve the zone's updates. */
	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	err = -pthread_rwlock_init(&s->lock, &la);
	pthread_rwlockattr_destroy(&la);
	if (err) {
		free(s);
		errno = -err;
		return NULL;
	}
	/* Every socket is bound before any worker runs: a bad address fails the start. */
	for (unsigned int i = 0; i < s->n_workers; i++) {
		s->workers[i] = worker_new(s, i);
		if (!s->workers[i]) {
			err = -errno;
			goto out_free_server;
		}
	}
	for (unsigned int i = 0; i < s->n_workers; i++) {
		err = -pthread_create(&s->workers[i]->thread, NULL, worker_run, s->workers[i]);
		if (err)
			goto out_free_server;
		s->workers[i]->started = true;
	}
	log_info("server: %u workers on port %u, UDP and TCP", s->n_workers, cfg->port);
	return s;

out_free_server:
	server_free(s);
	errno = -err;
	return NULL;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->n_workers; i++)
		worker_free(s->workers[i]);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}
