// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static int fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int port_parse(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse(const char *s, uint16_t def_port, struct sockaddr_storage *sa, socklen_t *len,
	       char *err, size_t errsz)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL, *whole = s;
	uint16_t port = def_port;
	bool bracket = *s == '[';
	size_t hlen;

	memset(sa, 0, sizeof(*sa));
	*len = 0;
	if (bracket) {
		const char *close = strchr(s, ']');

		if (!close)
			return fail(err, errsz, "'%s': missing ']'", s);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return fail(err, errsz, "'%s': expected ':PORT' after ']'", s);
		hlen = (size_t)(close - s - 1);
		s++;
	} else {
		const char *colon = strchr(s, ':');

		/* One colon: IPv4:PORT (or a name). More: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':'))
			port_s = colon + 1;
		hlen = port_s ? (size_t)(colon - s) : strlen(s);
	}
	if (!hlen || hlen >= sizeof(host))
		return fail(err, errsz, "'%s' is not an IPv4 or IPv6 address", s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port_s && port_parse(port_s, &port))
		return fail(err, errsz, "'%s': port '%s' is not a number from 1 to 65535", whole,
			    port_s);
	if (!port)
		return fail(err, errsz, "'%s': a port is needed (ADDR:PORT or [ADDR]:PORT)", whole);
	if (!bracket && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return fail(err, errsz, "'%s' is not an IPv4 or IPv6 address", host);
}
