// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward_config.h"
#include "userspace/util/addr.h"
#include "userspace/util/log.h"

static int fail(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, FORWARD_ERR_MAX, fmt, ap);
	va_end(ap);
	return code;
}

void forward_config_init(struct forward_config *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = FORWARD_TIMEOUT_MS;
	c->fail_threshold = FORWARD_FAIL_THRESHOLD;
	c->down_ms = FORWARD_DOWN_MS;
	c->edns_size = FORWARD_EDNS_SIZE;
}

int forward_addr_parse(const char *s, uint16_t def_port, struct forward_addr *out, char *err)
{
	memset(out, 0, sizeof(*out));
	return addr_parse(s, def_port, &out->sa, &out->len, err, FORWARD_ERR_MAX);
}

const char *forward_addr_str(const struct forward_addr *a, char *buf)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->sa;

		inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof(ip));
		snprintf(buf, 64, "%s:%u", ip, ntohs(in4->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, 64, "[%s]:%u", ip, ntohs(in6->sin6_port));
	}
	return buf;
}

static uint16_t addr_port(const struct forward_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

bool forward_addr_eq(const struct forward_addr *a, const struct forward_addr *b)
{
	if (a->sa.ss_family != b->sa.ss_family || addr_port(a) != addr_port(b))
		return false;
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->sa)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr,
		       &((const struct sockaddr_in6 *)&b->sa)->sin6_addr, 16);
}

static bool addr_is_loopback(const struct forward_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
}

static bool addr_is_any(const struct forward_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
}

bool forward_addr_is_self(const struct forward_addr *a, const struct forward_addr *listen,
			  unsigned int n_listen)
{
	for (unsigned int i = 0; i < n_listen; i++) {
		const struct forward_addr *l = &listen[i];

		if (addr_port(l) != addr_port(a))
			continue;
		if (forward_addr_eq(a, l))
			return true;
		/* A wildcard socket answers every loopback address of its family. */
		if (l->sa.ss_family == a->sa.ss_family && addr_is_any(l) && addr_is_loopback(a))
			return true;
	}
	return false;
}

/* Index of a in the upstream table, appended when new. */
static int upstream_index(struct forward_config *c, const struct forward_addr *a, char *err)
{
	char buf[64];

	for (unsigned int i = 0; i < c->n_upstreams; i++)
		if (forward_addr_eq(&c->upstreams[i], a))
			return (int)i;
	if (c->n_upstreams >= FORWARD_MAX_UPSTREAMS)
		return fail(err, -E2BIG, "%s: more than %d upstreams in all",
			    forward_addr_str(a, buf), FORWARD_MAX_UPSTREAMS);
	c->upstreams[c->n_upstreams] = *a;
	return (int)c->n_upstreams++;
}

static int list_add(struct forward_config *c, struct forward_list *l, const struct forward_addr *a,
		    const char *what, char *err)
{
	char buf[64];
	int ix;

	ix = upstream_index(c, a, err);
	if (ix < 0)
		return ix;
	for (unsigned int i = 0; i < l->n; i++)
		if (l->idx[i] == ix)
			return fail(err, -EINVAL, "%s: %s is listed twice", what,
				    forward_addr_str(a, buf));
	if (l->n >= FORWARD_MAX_ADDRS)
		return fail(err, -E2BIG, "%s: more than %d addresses", what, FORWARD_MAX_ADDRS);
	l->idx[l->n++] = (uint16_t)ix;
	return 0;
}

/* Comma-separated addresses into l. */
static int parse_list(struct forward_config *c, struct forward_list *l, const char *list,
		      const char *what, char *err)
{
	char addr_err[FORWARD_ERR_MAX];
	char *copy, *save = NULL;
	int ret = 0;

	copy = strdup(list);
	if (!copy)
		return fail(err, -ENOMEM, "%s: out of memory", what);
	if (!*copy) {
		ret = fail(err, -EINVAL, "%s: no address given", what);
		goto out_free_copy;
	}
	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		struct forward_addr fa;

		ret = forward_addr_parse(a, FORWARD_DEFAULT_PORT, &fa, addr_err);
		if (ret) {
			fail(err, ret, "%s: %s", what, addr_err);
			goto out_free_copy;
		}
		ret = list_add(c, l, &fa, what, err);
		if (ret)
			goto out_free_copy;
	}
	if (!l->n)
		ret = fail(err, -EINVAL, "%s: no address given", what);
out_free_copy:
	free(copy);
	return ret;
}

int forward_config_add_upstreams(struct forward_config *c, const char *list, char *err)
{
	return parse_list(c, &c->defaults, list, "--upstream", err);
}

int forward_config_add_zone(struct forward_config *c, const char *spec, char *err)
{
	const char *eq = strchr(spec, '=');
	char zone_text[DNS_NAME_TEXT_MAX], what[DNS_NAME_TEXT_MAX + 16];
	struct forward_zone *z;
	size_t zlen;
	int len;

	if (!eq)
		return fail(err, -EINVAL, "--forward '%s': expected ZONE=ADDR[:PORT][,ADDR...]",
			    spec);
	zlen = (size_t)(eq - spec);
	if (zlen >= sizeof(zone_text))
		return fail(err, -EINVAL, "--forward: zone name too long");
	memcpy(zone_text, spec, zlen);
	zone_text[zlen] = '\0';
	if (c->n_zones >= FORWARD_MAX_ZONES)
		return fail(err, -E2BIG, "--forward %s: more than %d stub zones", zone_text,
			    FORWARD_MAX_ZONES);
	z = &c->zones[c->n_zones];
	memset(z, 0, sizeof(*z));
	len = zlen ? dns_name_from_text(z->name, sizeof(z->name), zone_text) : -EINVAL;
	if (len < 0)
		return fail(err, -EINVAL, "--forward: '%s' is not a valid zone name", zone_text);
	z->name_len = (size_t)len;
	dns_name_lower(z->name, z->name_len);
	for (unsigned int i = 0; i < c->n_zones; i++)
		if (dns_name_eq(c->zones[i].name, c->zones[i].name_len, z->name, z->name_len))
			return fail(err, -EINVAL, "--forward: zone '%s' is given twice",
				    zone_text);
	snprintf(what, sizeof(what), "--forward %s", zone_text);
	len = parse_list(c, &z->list, eq + 1, what, err);
	if (len)
		return len;
	c->n_zones++;
	return 0;
}

int forward_config_read_resolv_conf(struct forward_config *c, const char *path,
				    const struct forward_addr *listen, unsigned int n_listen,
				    char *err)
{
	char line[512], skipped[FORWARD_ERR_MAX / 2] = "";
	size_t skipped_len = 0;
	unsigned int lineno = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return fail(err, -ENOENT, "cannot read %s (%s): pass --upstream", path,
			    strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *kw, *val, addr_err[FORWARD_ERR_MAX], buf[64];
		struct forward_addr fa;

		lineno++;
		kw = strtok_r(line, " \t\r\n", &save);
		if (!kw || strcmp(kw, "nameserver"))
			continue;
		val = strtok_r(NULL, " \t\r\n", &save);
		if (!val)
			continue;
		/* resolv.conf has no ports and may carry a zone index (fe80::1%eth0). */
		if (strchr(val, '%') || forward_addr_parse(val, FORWARD_DEFAULT_PORT, &fa, addr_err)) {
			log_warn("%s:%u: skipping nameserver '%s': not a usable address", path,
				 lineno, val);
			continue;
		}
		if (forward_addr_is_self(&fa, listen, n_listen)) {
			log_warn("%s:%u: skipping nameserver %s: that is this server (a loop)",
				 path, lineno, forward_addr_str(&fa, buf));
			if (skipped_len < sizeof(skipped) - 1)
				skipped_len += (size_t)snprintf(skipped + skipped_len,
								sizeof(skipped) - skipped_len,
								"%s%s", skipped_len ? ", " : "",
								forward_addr_str(&fa, buf));
			continue;
		}
		if (c->defaults.n >= FORWARD_MAX_ADDRS)
			break;
		ret = list_add(c, &c->defaults, &fa, path, err);
		if (ret == -EINVAL)	/* listed twice: harmless in resolv.conf */
			ret = 0;
		if (ret)
			goto out_close;
	}
	if (!c->defaults.n)
		ret = skipped_len ? fail(err, -ENODATA,
					 "%s: every nameserver is this server (%s): pass --upstream",
					 path, skipped)
				  : fail(err, -ENODATA, "%s names no nameserver: pass --upstream",
					 path);
out_close:
	fclose(f);
	return ret;
}

int forward_config_check_loops(const struct forward_config *c, const struct forward_addr *listen,
			       unsigned int n_listen, char *err)
{
	char buf[64];

	for (unsigned int i = 0; i < c->n_upstreams; i++)
		if (forward_addr_is_self(&c->upstreams[i], listen, n_listen))
			return fail(err, -ELOOP,
				    "upstream %s is this server's own listen address: a forwarding loop",
				    forward_addr_str(&c->upstreams[i], buf));
	return 0;
}

int forward_config_build(struct forward_config *c, const char *upstreams,
			 const char *const *zones, unsigned int n_zones, const char *resolv_conf,
			 const struct forward_addr *listen, unsigned int n_listen, char *err)
{
	int ret;

	forward_config_init(c);
	for (unsigned int i = 0; i < n_zones; i++) {
		ret = forward_config_add_zone(c, zones[i], err);
		if (ret)
			return ret;
	}
	/* Explicit flags are checked before resolv.conf adds what it skipped for us. */
	ret = forward_config_check_loops(c, listen, n_listen, err);
	if (ret)
		return ret;
	if (upstreams) {
		ret = forward_config_add_upstreams(c, upstreams, err);
		if (ret)
			return ret;
		return forward_config_check_loops(c, listen, n_listen, err);
	}
	return forward_config_read_resolv_conf(c, resolv_conf ? resolv_conf : FORWARD_RESOLV_CONF,
					       listen, n_listen, err);
}

const struct forward_list *forward_config_route(const struct forward_config *c,
						const uint8_t *qname, size_t qname_len)
{
	const struct forward_zone *best = NULL;

	for (unsigned int i = 0; i < c->n_zones; i++) {
		const struct forward_zone *z = &c->zones[i];

		if (dns_name_suffix_off(qname, qname_len, z->name, z->name_len) < 0)
			continue;
		if (!best || z->name_len > best->name_len)
			best = z;
	}
	return best ? &best->list : &c->defaults;
}
