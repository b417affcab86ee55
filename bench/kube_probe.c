// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/kube_probe.c - the DNS prober of the live-sync benchmarks (bench/kube_sync.py): sends
 * one UDP query every interval to the server and timestamps, with CLOCK_MONOTONIC, the first
 * answer that shows the data it waits for. Run in the client network namespace; the driver
 * talks to it over stdin/stdout, one line per command and per result.
 *
 * usage: kube_probe [-s server] [-p port] [-i interval_us] [-t timeout_ms]
 *   -s  IPv4 address queried (default 198.18.0.1), -p its UDP port (default 53)
 *   -i  microseconds between two queries (default 200, 20..1000000)
 *   -t  how long a command probes before it gives up (default 10000 ms)
 *
 * Commands (stdin), names are text names, TYPE is A or AAAA, COND is one of
 *   has=ADDR      NOERROR and ADDR among the answer records of TYPE
 *   lacks=ADDR    NOERROR, at least one answer record of TYPE, none of them ADDR
 *   rcode=NAME    the response code is NAME (NOERROR, NXDOMAIN, SERVFAIL, REFUSED)
 *
 *   now                   -> "now T"
 *   wait NAME TYPE COND   -> probe until an answer meets COND:
 *                            "match T_RECV T_SENT SENT RECV" or "timeout T SENT RECV"
 *   arm NAME TYPE COND    -> probe until an answer does NOT meet COND (the old data):
 *                            "armed T" (or "already T" when the first answer meets COND, or
 *                            "timeout ..."), then, without waiting for a command, go on
 *                            probing until an answer meets COND: "match ..." or "timeout ..."
 *   quit                  -> exits 0
 * T values are CLOCK_MONOTONIC in ns (the clock Python's time.monotonic_ns() reads).
 * T_RECV is when the matching answer was received, T_SENT when its query was sent: the data
 * reached the server between the send of the query before (T_SENT - interval) and T_RECV.
 * SENT and RECV count the queries sent and the answers for this command (queries sent before
 * the command are ignored by ID). Malformed answers and ICMP errors (nothing listening yet)
 * are not answers. Anything wrong with a command line prints "error TEXT" and the prober goes
 * on; a failing socket or stdin ends it with status 1.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "userspace/dns/dns.h"

#define PROBE_SERVER_DEFAULT	"198.18.0.1"
#define PROBE_PORT_DEFAULT	53
#define PROBE_INTERVAL_US	200
#define PROBE_INTERVAL_MIN_US	20
#define PROBE_INTERVAL_MAX_US	1000000
#define PROBE_TIMEOUT_MS	10000
#define PROBE_LINE_MAX		1024
#define PROBE_IDS		65536	/* one send time per DNS ID */

enum cond_kind { COND_HAS, COND_LACKS, COND_RCODE };

struct cond {
	enum cond_kind kind;
	uint16_t qtype;
	uint8_t addr[16];	/* COND_HAS, COND_LACKS */
	size_t addr_len;	/* 4 or 16 */
	unsigned int rcode;	/* COND_RCODE */
};

struct probe {
	int fd;
	uint64_t interval_ns;
	uint64_t timeout_ns;
	uint16_t next_id;
	uint8_t query[DNS_UDP_MAX];
	size_t query_len;
	uint8_t qname[DNS_NAME_MAX];
	size_t qname_len;
	struct cond cond;
	uint16_t first_id;	/* first ID of the current command */
	unsigned long sent, recv;
	uint64_t sent_at[PROBE_IDS];
};

/* What one answer says about the condition. */
enum verdict { V_IGNORE, V_NOT_MET, V_MET };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_rcode(const char *s, unsigned int *rcode)
{
	static const char *const names[] = {
		[DNS_RCODE_NOERROR] = "NOERROR", [DNS_RCODE_FORMERR] = "FORMERR",
		[DNS_RCODE_SERVFAIL] = "SERVFAIL", [DNS_RCODE_NXDOMAIN] = "NXDOMAIN",
		[DNS_RCODE_NOTIMP] = "NOTIMP", [DNS_RCODE_REFUSED] = "REFUSED",
	};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*rcode = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "NAME TYPE COND" into the query to send and the condition. */
static int command_parse(struct probe *p, char *args)
{
	char *save = NULL, *name, *type, *cond, *val;
	struct dns_writer w;
	struct dns_hdr h = { .count = { 1, 0, 0, 0 } };
	int n;

	name = strtok_r(args, " \t", &save);
	type = strtok_r(NULL, " \t", &save);
	cond = strtok_r(NULL, " \t", &save);
	if (!name || !type || !cond || strtok_r(NULL, " \t", &save))
		return -EINVAL;
	if (!strcmp(type, "A"))
		p->cond.qtype = DNS_TYPE_A;
	else if (!strcmp(type, "AAAA"))
		p->cond.qtype = DNS_TYPE_AAAA;
	else
		return -EINVAL;
	val = strchr(cond, '=');
	if (!val)
		return -EINVAL;
	*val++ = '\0';
	if (!strcmp(cond, "has") || !strcmp(cond, "lacks")) {
		p->cond.kind = !strcmp(cond, "has") ? COND_HAS : COND_LACKS;
		p->cond.addr_len = p->cond.qtype == DNS_TYPE_A ? 4 : 16;
		if (inet_pton(p->cond.qtype == DNS_TYPE_A ? AF_INET : AF_INET6, val,
			      p->cond.addr) != 1)
			return -EINVAL;
	} else if (!strcmp(cond, "rcode")) {
		p->cond.kind = COND_RCODE;
		if (parse_rcode(val, &p->cond.rcode))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	n = dns_name_from_text(p->qname, sizeof(p->qname), name);
	if (n < 0)
		return n;
	p->qname_len = (size_t)n;
	dns_writer_init(&w, p->query, sizeof(p->query));
	if (dns_write_hdr(&w, &h) ||
	    dns_write_question(&w, p->qname, p->qname_len, p->cond.qtype, DNS_CLASS_IN))
		return -EINVAL;
	p->query_len = w.len;
	return 0;
}

static int probe_send(struct probe *p)
{
	uint16_t id = p->next_id++;

	p->query[0] = (uint8_t)(id >> 8);
	p->query[1] = (uint8_t)id;
	p->sent_at[id] = now_ns();
	if (send(p->fd, p->query, p->query_len, 0) < 0) {
		/* an ICMP error of an earlier query is reported here: not this query's fault */
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH)
			return -errno;
	}
	p->sent++;
	return 0;
}

/* Is msg an answer to one of this command's queries, and does it meet the condition? */
static enum verdict judge(struct probe *p, const uint8_t *msg, size_t len, uint16_t *id)
{
	struct dns_parser ps;
	struct dns_question q;
	struct dns_rr rr;
	unsigned int rcode, n_type = 0;
	bool found = false;
	int err;

	if (dns_parser_init(&ps, msg, len) || !(ps.hdr.flags & DNS_FLAG_QR))
		return V_IGNORE;
	*id = ps.hdr.id;
	if ((uint16_t)(ps.hdr.id - p->first_id) >= (uint16_t)(p->next_id - p->first_id))
		return V_IGNORE;	/* a query of an earlier command */
	if (ps.hdr.count[DNS_SEC_QUESTION] != 1 || dns_parser_question(&ps, &q) ||
	    !dns_name_eq(q.name, q.name_len, p->qname, p->qname_len) ||
	    q.qtype != p->cond.qtype)
		return V_IGNORE;
	p->recv++;
	rcode = ps.hdr.flags & DNS_FLAG_RCODE_MASK;
	if (p->cond.kind == COND_RCODE)
		return rcode == p->cond.rcode ? V_MET : V_NOT_MET;
	while (!(err = dns_parser_rr(&ps, &rr))) {
		if (rr.section != DNS_SEC_ANSWER || rr.type != p->cond.qtype)
			continue;
		n_type++;
		if (rr.rdlen == p->cond.addr_len && !memcmp(rr.rdata, p->cond.addr, rr.rdlen))
			found = true;
	}
	if (err != -ENOENT)
		return V_NOT_MET;	/* malformed: certainly not the data waited for */
	if (rcode != DNS_RCODE_NOERROR)
		return V_NOT_MET;
	if (p->cond.kind == COND_HAS)
		return found ? V_MET : V_NOT_MET;
	return n_type > 0 && !found ? V_MET : V_NOT_MET;
}

/*
 * Probes until an answer's verdict is want (V_MET, or V_IGNORE for the first answer whatever
 * it says). 1 with *got, *t_recv and *t_sent set, 0 on timeout, -errno when the socket fails.
 */
static int probe_until(struct probe *p, enum verdict want, enum verdict *got, uint64_t *t_recv,
		       uint64_t *t_sent)
{
	uint64_t deadline = now_ns() + p->timeout_ns, next = 0, t;
	uint8_t buf[DNS_MSG_MAX];
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct timespec ts;
	enum verdict v;
	uint16_t id;
	ssize_t n;
	int err;

	for (;;) {
		t = now_ns();
		if (t >= deadline)
			return 0;
		if (t >= next) {
			err = probe_send(p);
			if (err)
				return err;
			next = next ? next + p->interval_ns : t + p->interval_ns;
			if (next <= t)		/* fell behind: no burst to catch up */
				next = t + p->interval_ns;
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(next - t);
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
			return -errno;
		for (;;) {
			n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
				    errno == ENETUNREACH || errno == EINTR)
					continue;	/* nothing listening (yet) */
				return -errno;
			}
			t = now_ns();
			v = judge(p, buf, (size_t)n, &id);
			if (v == V_IGNORE || (want != V_IGNORE && v != want))
				continue;
			*got = v;
			*t_recv = t;
			*t_sent = p->sent_at[id];
			return 1;
		}
	}
}

static void command_start(struct probe *p)
{
	p->first_id = p->next_id;
	p->sent = 0;
	p->recv = 0;
}

/* One command line; 0, or -errno when the prober cannot go on. */
static int command_run(struct probe *p, char *line)
{
	uint64_t t_recv, t_sent;
	enum verdict got;
	char *args;
	bool arm;
	int r;

	line[strcspn(line, "\r\n")] = '\0';
	args = strchr(line, ' ');
	if (args)
		*args++ = '\0';
	if (!strcmp(line, "now")) {
		printf("now %llu\n", (unsigned long long)now_ns());
		return 0;
	}
	if (!strcmp(line, "quit"))
		return 1;
	arm = !strcmp(line, "arm");
	if ((!arm && strcmp(line, "wait")) || !args || command_parse(p, args)) {
		printf("error cannot parse the command (see bench/kube_probe.c)\n");
		return 0;
	}
	command_start(p);
	if (arm) {
		r = probe_until(p, V_IGNORE, &got, &t_recv, &t_sent);
		if (r < 0)
			return r;
		if (r == 0) {
			printf("timeout %llu %lu %lu\n", (unsigned long long)now_ns(), p->sent,
			       p->recv);
			return 0;
		}
		if (got == V_MET) {
			printf("already %llu\n", (unsigned long long)t_recv);
			return 0;
		}
		printf("armed %llu\n", (unsigned long long)t_recv);
		fflush(stdout);
	}
	r = probe_until(p, V_MET, &got, &t_recv, &t_sent);
	if (r < 0)
		return r;
	if (r == 0)
		printf("timeout %llu %lu %lu\n", (unsigned long long)now_ns(), p->sent, p->recv);
	else
		printf("match %llu %llu %lu %lu\n", (unsigned long long)t_recv,
		       (unsigned long long)t_sent, p->sent, p->recv);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: kube_probe [-s server] [-p port] [-i interval_us] "
			"[-t timeout_ms]\n");
}

int main(int argc, char **argv)
{
	static struct probe p;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PROBE_PORT_DEFAULT) };
	const char *server = PROBE_SERVER_DEFAULT;
	unsigned long interval = PROBE_INTERVAL_US, timeout = PROBE_TIMEOUT_MS, port;
	char line[PROBE_LINE_MAX], *end;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "s:p:i:t:")) != -1) {
		errno = 0;
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (errno || *end || !port || port > 65535)
				goto out_usage;
			sin.sin_port = htons((uint16_t)port);
			break;
		case 'i':
			interval = strtoul(optarg, &end, 10);
			if (errno || *end || interval < PROBE_INTERVAL_MIN_US ||
			    interval > PROBE_INTERVAL_MAX_US)
				goto out_usage;
			break;
		case 't':
			timeout = strtoul(optarg, &end, 10);
			if (errno || *end || !timeout || timeout > 3600000)
				goto out_usage;
			break;
		default:
			goto out_usage;
		}
	}
	if (optind != argc || inet_pton(AF_INET, server, &sin.sin_addr) != 1)
		goto out_usage;
	p.interval_ns = interval * 1000;
	p.timeout_ns = timeout * 1000000;
	p.next_id = (uint16_t)getpid();
	/* wake-ups within a few microseconds of the interval, not the default 50 */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);

	p.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.fd < 0) {
		perror("kube_probe: socket");
		return 1;
	}
	if (connect(p.fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("kube_probe: connect");
		goto out_close_fd;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		err = command_run(&p, line);
		fflush(stdout);
		if (err)
			break;
	}
	close(p.fd);
	if (err < 0) {
		fprintf(stderr, "kube_probe: %s\n", strerror(-err));
		return 1;
	}
	return 0;

out_close_fd:
	close(p.fd);
	return 1;
out_usage:
	usage();
	return 2;
}
