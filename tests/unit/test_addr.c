// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* util/addr: the one "address[:port]" parser of --upstream, --forward and --http. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "userspace/util/addr.h"

struct ok_case {
	const char *in;
	uint16_t def_port;
	int family;
	const char *addr;
	uint16_t port;
};

static const struct ok_case oks[] = {
	{ "198.18.0.1", 53, AF_INET, "198.18.0.1", 53 },
	{ "198.18.0.1:5353", 53, AF_INET, "198.18.0.1", 5353 },
	{ "198.18.0.1:9353", 0, AF_INET, "198.18.0.1", 9353 },
	{ "fd00:198:18::1", 53, AF_INET6, "fd00:198:18::1", 53 },
	{ "[fd00:198:18::1]", 53, AF_INET6, "fd00:198:18::1", 53 },
	{ "[fd00:198:18::1]:65535", 0, AF_INET6, "fd00:198:18::1", 65535 },
	{ "[::]:1", 0, AF_INET6, "::", 1 },
};

Test(addr, accepted)
{
	for (size_t i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		const struct ok_case *c = &oks[i];
		struct sockaddr_storage sa;
		char got[INET6_ADDRSTRLEN];
		socklen_t len;
		uint16_t port;

		cr_assert_eq(addr_parse(c->in, c->def_port, &sa, &len, NULL, 0), 0, "%s", c->in);
		cr_assert_eq(sa.ss_family, c->family, "%s", c->in);
		if (c->family == AF_INET) {
			const struct sockaddr_in *a = (const void *)&sa;

			cr_assert_eq(len, sizeof(*a));
			inet_ntop(AF_INET, &a->sin_addr, got, sizeof(got));
			port = ntohs(a->sin_port);
		} else {
			const struct sockaddr_in6 *a = (const void *)&sa;

			cr_assert_eq(len, sizeof(*a));
			inet_ntop(AF_INET6, &a->sin6_addr, got, sizeof(got));
			port = ntohs(a->sin6_port);
		}
		cr_assert_str_eq(got, c->addr, "%s", c->in);
		cr_assert_eq(port, c->port, "%s", c->in);
	}
}

Test(addr, refused_with_a_reason)
{
	static const struct {
		const char *in;
		uint16_t def_port;
		const char *why;
	} bad[] = {
		{ "198.18.0.1", 0, "a port is needed" },
		{ "fd00::1", 0, "a port is needed" },
		{ "[fd00::1]", 0, "a port is needed" },
		{ "[198.18.0.1]:53", 53, "not an IPv4 or IPv6 address" },
		{ "[fd00::1", 53, "missing ']'" },
		{ "[fd00::1]53", 53, "expected ':PORT' after ']'" },
		{ "198.18.0.1:0", 53, "not a number from 1 to 65535" },
		{ "198.18.0.1:65536", 53, "not a number from 1 to 65535" },
		{ "198.18.0.1:x", 53, "not a number from 1 to 65535" },
		{ "dns.example:53", 53, "not an IPv4 or IPv6 address" },
		{ "", 53, "not an IPv4 or IPv6 address" },
		{ "[]:53", 53, "not an IPv4 or IPv6 address" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sockaddr_storage sa;
		char err[256] = "";
		socklen_t len;

		cr_assert_eq(addr_parse(bad[i].in, bad[i].def_port, &sa, &len, err, sizeof(err)),
			     -EINVAL, "%s accepted", bad[i].in);
		cr_assert(strstr(err, bad[i].why), "%s: '%s'", bad[i].in, err);
		cr_assert_eq(len, 0);
	}
}
