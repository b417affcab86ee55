// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server/forward_config: --upstream and --forward parsing with their error messages,
 * resolv.conf reading, loop detection and stub-zone routing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "userspace/server/forward_config.h"
#include "userspace/server/forward_opts.h"

static struct forward_config cfg;
static char err[FORWARD_ERR_MAX];

static void init(void)
{
	forward_config_init(&cfg);
	err[0] = '\0';
}

TestSuite(forward_config, .init = init);

static const char *str(const struct forward_addr *a)
{
	static char buf[64];

	return forward_addr_str(a, buf);
}

static struct forward_addr addr(const char *s)
{
	struct forward_addr a;

	cr_assert_eq(forward_addr_parse(s, 53, &a, err), 0, "%s: %s", s, err);
	return a;
}

Test(forward_config, addr_forms)
{
	static const char *const in[][2] = {
		{ "192.0.2.1", "192.0.2.1:53" },
		{ "192.0.2.1:5353", "192.0.2.1:5353" },
		{ "2001:db8::1", "[2001:db8::1]:53" },
		{ "[2001:db8::1]", "[2001:db8::1]:53" },
		{ "[2001:db8::1]:853", "[2001:db8::1]:853" },
		{ "::1", "[::1]:53" },
		{ "127.0.0.1:65535", "127.0.0.1:65535" },
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct forward_addr a = addr(in[i][0]);

		cr_expect_str_eq(str(&a), in[i][1], "%s", in[i][0]);
	}
}

Test(forward_config, addr_errors_name_the_problem)
{
	static const char *const bad[][2] = {
		{ "", "is not an IPv4 or IPv6 address" },
		{ "dns.example", "'dns.example' is not an IPv4 or IPv6 address" },
		{ "192.0.2.1:0", "port '0' is not a number from 1 to 65535" },
		{ "192.0.2.1:65536", "port '65536'" },
		{ "192.0.2.1:", "port ''" },
		{ "192.0.2.1:53x", "port '53x'" },
		{ "192.0.2.1:-1", "port '-1'" },
		{ "[2001:db8::1", "missing ']'" },
		{ "[2001:db8::1]53", "expected ':PORT' after ']'" },
		{ "[192.0.2.300]:53", "'192.0.2.300' is not an IPv4 or IPv6 address" },
		{ "2001:db8::1::2", "is not an IPv4 or IPv6 address" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct forward_addr a;

		err[0] = '\0';
		cr_expect_eq(forward_addr_parse(bad[i][0], 53, &a, err), -EINVAL, "'%s'", bad[i][0]);
		cr_expect_not_null(strstr(err, bad[i][1]), "'%s': message '%s'", bad[i][0], err);
	}
}

Test(forward_config, upstream_list)
{
	cr_assert_eq(forward_config_add_upstreams(&cfg, "192.0.2.1,[2001:db8::53]:5353", err), 0,
		     "%s", err);
	cr_assert_eq(cfg.defaults.n, 2);
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[0]]), "192.0.2.1:53");
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[1]]), "[2001:db8::53]:5353");

	init();
	cr_assert_eq(forward_config_add_upstreams(&cfg, "192.0.2.1,192.0.2.1:53", err), -EINVAL);
	cr_assert_str_eq(err, "--upstream: 192.0.2.1:53 is listed twice");
	init();
	cr_assert_eq(forward_config_add_upstreams(&cfg, "", err), -EINVAL);
	cr_assert_str_eq(err, "--upstream: no address given");
	init();
	cr_assert_eq(forward_config_add_upstreams(&cfg, "192.0.2.1,nope", err), -EINVAL);
	cr_assert_str_eq(err, "--upstream: 'nope' is not an IPv4 or IPv6 address");
	init();
	cr_assert_eq(forward_config_add_upstreams(
			     &cfg, "192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5,192.0.2.6,"
				   "192.0.2.7,192.0.2.8,192.0.2.9", err),
		     -E2BIG);
	cr_assert_str_eq(err, "--upstream: more than 8 addresses");
}

Test(forward_config, stub_zones_and_routing)
{
	uint8_t n[DNS_NAME_MAX];
	const struct forward_list *l;
	int len;

	cr_assert_eq(forward_config_add_upstreams(&cfg, "192.0.2.53", err), 0);
	cr_assert_eq(forward_config_add_zone(&cfg, "Example.Internal=127.0.0.1:5353", err), 0,
		     "%s", err);
	cr_assert_eq(forward_config_add_zone(&cfg, "deep.example.internal=192.0.2.9,192.0.2.53",
					     err), 0, "%s", err);
	cr_assert_eq(cfg.n_zones, 2);
	/* 192.0.2.53 is one upstream, shared by the default list and a zone: one health. */
	cr_assert_eq(cfg.n_upstreams, 3);

	len = dns_name_from_text(n, sizeof(n), "a.EXAMPLE.internal");
	l = forward_config_route(&cfg, n, (size_t)len);
	cr_assert_eq(l->n, 1);
	cr_assert_str_eq(str(&cfg.upstreams[l->idx[0]]), "127.0.0.1:5353");

	len = dns_name_from_text(n, sizeof(n), "x.deep.example.internal");
	l = forward_config_route(&cfg, n, (size_t)len);
	cr_assert_eq(l->n, 2, "the longest zone wins");
	cr_assert_str_eq(str(&cfg.upstreams[l->idx[0]]), "192.0.2.9:53");

	len = dns_name_from_text(n, sizeof(n), "notexample.internal");
	l = forward_config_route(&cfg, n, (size_t)len);
	cr_assert_eq(l, &cfg.defaults, "a label boundary, not a string suffix");

	len = dns_name_from_text(n, sizeof(n), "example.internal");
	l = forward_config_route(&cfg, n, (size_t)len);
	cr_assert_str_eq(str(&cfg.upstreams[l->idx[0]]), "127.0.0.1:5353", "the apex too");
}

Test(forward_config, stub_zone_errors)
{
	static const char *const bad[][2] = {
		{ "example.internal", "expected ZONE=ADDR[:PORT][,ADDR...]" },
		{ "=192.0.2.1", "'' is not a valid zone name" },
		{ "bad..zone=192.0.2.1", "'bad..zone' is not a valid zone name" },
		{ "example.internal=", "--forward example.internal: no address given" },
		{ "example.internal=192.0.2.1:99999",
		  "--forward example.internal: '192.0.2.1:99999': port '99999'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		init();
		cr_expect_eq(forward_config_add_zone(&cfg, bad[i][0], err), -EINVAL, "%s", bad[i][0]);
		cr_expect_not_null(strstr(err, bad[i][1]), "'%s': message '%s'", bad[i][0], err);
		cr_expect_eq(cfg.n_zones, 0);
	}
	init();
	cr_assert_eq(forward_config_add_zone(&cfg, "a.example=192.0.2.1", err), 0);
	cr_assert_eq(forward_config_add_zone(&cfg, "A.Example.=192.0.2.2", err), -EINVAL);
	cr_assert_str_eq(err, "--forward: zone 'A.Example.' is given twice");
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/xdpdns-resolv.XXXXXX");
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(forward_config, resolv_conf)
{
	char *path = write_tmp("# generated\n"
			       "search default.svc.cluster.local svc.cluster.local\n"
			       "nameserver 192.0.2.10\n"
			       "nameserver\t2001:db8::10  \n"
			       "options ndots:5\n"
			       "nameserver fe80::1%eth0\n"
			       "nameserver 192.0.2.10\n"
			       ";nameserver 192.0.2.99\n"
			       "nameserver 192.0.2.11\n");

	cr_assert_eq(forward_config_read_resolv_conf(&cfg, path, NULL, 0, err), 0, "%s", err);
	cr_assert_eq(cfg.defaults.n, 3);
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[0]]), "192.0.2.10:53");
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[1]]), "[2001:db8::10]:53");
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[2]]), "192.0.2.11:53");
	unlink(path);
	free(path);
}

Test(forward_config, resolv_conf_skips_ourselves)
{
	struct forward_addr listen[2] = { addr("169.254.20.10"), addr("10.96.0.10") };
	char *path = write_tmp("nameserver 169.254.20.10\nnameserver 192.0.2.10\n");

	cr_assert_eq(forward_config_read_resolv_conf(&cfg, path, listen, 2, err), 0, "%s", err);
	cr_assert_eq(cfg.defaults.n, 1);
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[0]]), "192.0.2.10:53");
	unlink(path);
	free(path);
}

Test(forward_config, resolv_conf_only_ourselves_is_refused)
{
	struct forward_addr listen[1] = { addr("0.0.0.0") };
	char *path = write_tmp("nameserver 127.0.0.53\nnameserver 127.0.0.1\n");

	cr_assert_eq(forward_config_read_resolv_conf(&cfg, path, listen, 1, err), -ENODATA);
	cr_assert_not_null(strstr(err, "every nameserver is this server (127.0.0.53:53, "
					"127.0.0.1:53): pass --upstream"), "%s", err);
	unlink(path);
	free(path);
}

Test(forward_config, resolv_conf_errors)
{
	char *path = write_tmp("search example\n");

	cr_assert_eq(forward_config_read_resolv_conf(&cfg, path, NULL, 0, err), -ENODATA);
	cr_assert_not_null(strstr(err, "names no nameserver: pass --upstream"), "%s", err);
	unlink(path);
	cr_assert_eq(forward_config_read_resolv_conf(&cfg, path, NULL, 0, err), -ENOENT);
	cr_assert_not_null(strstr(err, "cannot read"), "%s", err);
	free(path);
}

Test(forward_config, loop_detection)
{
	struct forward_addr ours[2] = { addr("192.0.2.1"), addr("[2001:db8::1]:5353") };
	struct forward_addr wild4 = addr("0.0.0.0"), wild6 = addr("::");
	struct forward_addr lo = addr("127.0.0.1");

	cr_assert(forward_addr_is_self(&ours[0], ours, 2));
	cr_assert(forward_addr_is_self(&ours[1], ours, 2));
	struct forward_addr other_port = addr("192.0.2.1:5353");
	cr_assert_not(forward_addr_is_self(&other_port, ours, 2), "another port is not us");
	cr_assert_not(forward_addr_is_self(&lo, ours, 2), "loopback, but we do not listen there");
	cr_assert(forward_addr_is_self(&lo, &wild4, 1), "loopback while we listen on 0.0.0.0");
	struct forward_addr lo6 = addr("::1");
	cr_assert(forward_addr_is_self(&lo6, &wild6, 1));
	cr_assert_not(forward_addr_is_self(&lo6, &wild4, 1), "another family");
	struct forward_addr lo53 = addr("127.0.0.53");
	cr_assert_not(forward_addr_is_self(&lo53, &lo, 1), "127.0.0.53 is not 127.0.0.1");

	cr_assert_eq(forward_config_add_upstreams(&cfg, "192.0.2.9,192.0.2.1", err), 0);
	cr_assert_eq(forward_config_check_loops(&cfg, ours, 2, err), -ELOOP);
	cr_assert_str_eq(err, "upstream 192.0.2.1:53 is this server's own listen address: a "
			      "forwarding loop");
	init();
	cr_assert_eq(forward_config_add_zone(&cfg, "corp=[2001:db8::1]:5353", err), 0);
	cr_assert_eq(forward_config_check_loops(&cfg, ours, 2, err), -ELOOP);
	cr_assert_not_null(strstr(err, "[2001:db8::1]:5353"), "%s", err);
}

Test(forward_config, build_from_flags)
{
	struct forward_addr listen[1] = { addr("198.18.0.1") };
	const char *zones[] = { "corp.internal=192.0.2.7" };
	char *path = write_tmp("nameserver 198.18.0.1\nnameserver 192.0.2.10\n");

	cr_assert_eq(forward_config_build(&cfg, NULL, zones, 1, path, listen, 1, err), 0, "%s",
		     err);
	cr_assert_eq(cfg.defaults.n, 1, "resolv.conf, without ourselves");
	cr_assert_eq(cfg.n_zones, 1);
	cr_assert_eq(forward_config_build(&cfg, "192.0.2.20", zones, 1, path, listen, 1, err), 0);
	cr_assert_eq(cfg.defaults.n, 1);
	cr_assert_str_eq(str(&cfg.upstreams[cfg.defaults.idx[0]]), "192.0.2.20:53",
			 "--upstream replaces resolv.conf");
	cr_assert_eq(forward_config_build(&cfg, "198.18.0.1", NULL, 0, path, listen, 1, err),
		     -ELOOP, "an explicit upstream that is us is refused, not skipped");
	zones[0] = "corp.internal=198.18.0.1";
	cr_assert_eq(forward_config_build(&cfg, "192.0.2.20", zones, 1, path, listen, 1, err),
		     -ELOOP);
	unlink(path);
	free(path);
}

/* ---- the daemon's flags (server/forward_opts.h) ---- */

Test(forward_opts, flags_and_errors)
{
	struct forward_opts o;

	forward_opts_init(&o);
	cr_assert_eq(forward_opts_set(&o, "upstream", "192.0.2.1", err), 0);
	cr_assert_eq(forward_opts_set(&o, "forward", "a.internal=192.0.2.2", err), 0);
	cr_assert_eq(forward_opts_set(&o, "forward", "b.internal=192.0.2.3", err), 0);
	cr_assert_eq(o.n_zones, 2);
	cr_assert_eq(forward_opts_set(&o, "cache-size", "16m", err), 0);
	cr_assert_eq(o.cache.max_bytes, 16u << 20);
	cr_assert_eq(forward_opts_set(&o, "cache-size", "0", err), 0);
	cr_assert_eq(o.cache.max_bytes, 0);
	cr_assert_eq(forward_opts_set(&o, "serve-stale", "0", err), 0);
	cr_assert_eq(o.cache.stale_max_sec, 0);
	cr_assert_eq(forward_opts_set(&o, "cache-max-ttl", "300", err), 0);
	cr_assert_eq(o.cache.max_ttl, 300);
	cr_assert_eq(forward_opts_set(&o, "upstream-timeout", "250", err), 0);
	cr_assert_eq(o.timeout_ms, 250);
	cr_assert_eq(forward_opts_set(&o, "listen", "192.0.2.1", err), -ENOENT, "not ours");

	cr_assert_eq(forward_opts_set(&o, "cache-size", "12q", err), -EINVAL);
	cr_assert_str_eq(err, "--cache-size: '12q' is not a number from 0 to 1099511627776 "
			      "(k, m, g allowed)");
	cr_assert_eq(forward_opts_set(&o, "upstream-timeout", "0", err), -EINVAL);
	cr_assert_str_eq(err, "--upstream-timeout: must be at least 1 ms");
	cr_assert_eq(forward_opts_set(&o, "upstream-timeout", "-5", err), -EINVAL);
	cr_assert_eq(forward_opts_set(&o, "cache-max-ttl", "604801", err), -EINVAL);
	cr_assert_eq(forward_opts_set(&o, "serve-stale", "", err), -EINVAL);
	cr_assert_eq(o.timeout_ms, 250, "a refused value changes nothing");
}

Test(forward_opts, build)
{
	struct forward_addr listen[1] = { addr("198.18.0.1") };
	struct forward_upstream_health h;
	struct forward_shared *sh;
	struct cache *c;
	struct forward_opts o;

	forward_opts_init(&o);
	cr_assert_eq(forward_opts_set(&o, "upstream", "198.18.0.1", err), 0);
	cr_assert_eq(forward_opts_build(&o, listen, 1, &sh, &c, err), -ELOOP);
	cr_assert_null(sh);
	cr_assert_null(c);
	cr_assert_not_null(strstr(err, "198.18.0.1:53"), "%s", err);

	cr_assert_eq(forward_opts_set(&o, "upstream", "198.18.0.53,198.18.0.54", err), 0);
	cr_assert_eq(forward_opts_build(&o, listen, 1, &sh, &c, err), 0, "%s", err);
	cr_assert_not_null(sh);
	cr_assert_not_null(c);
	cr_assert_eq(forward_upstream_health_get(sh, 1, &h), 0);
	cr_assert_eq(forward_upstream_health_get(sh, 2, &h), -ENOENT);
	forward_shared_free(sh);
	cache_free(c);

	cr_assert_eq(forward_opts_set(&o, "cache-size", "0", err), 0);
	cr_assert_eq(forward_opts_build(&o, listen, 1, &sh, &c, err), 0, "%s", err);
	cr_assert_null(c, "--cache-size 0: no cache");
	forward_shared_free(sh);
}
