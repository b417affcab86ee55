// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server/kubedns: kube-dns's upstreamNameservers and stubDomains files into --upstream and
 * --forward values, "not set" for missing or empty files, every refusal with its exact
 * message naming the file, and the precedence of the daemon's own flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "userspace/server/kubedns.h"

static char dir[] = "/tmp/xdpdns-kubedns.XXXXXX";
static struct kubedns_config kd;
static char err[FORWARD_ERR_MAX];

static void rm_files(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/upstreamNameservers", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/stubDomains", dir);
	unlink(p);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
	kubedns_config_release(&kd);
	rm_files();
	rmdir(dir);
}

TestSuite(kubedns, .init = setup, .fini = teardown);

/* name's content; NULL: no such file. */
static void put(const char *name, const char *text)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
	if (!text)
		return;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "open %s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(kubedns, both_keys)
{
	put("upstreamNameservers", "[\"8.8.8.8\", \"8.8.4.4:5353\"]\n");
	put("stubDomains", "{\"acme.local\": [\"1.2.3.4\"],\n \"corp.example\": "
			   "[\"[2001:db8::1]:53\", \"192.0.2.1\"]}");
	put("federations", "this file is not read");
	cr_assert_eq(kubedns_config_read(&kd, dir, err), 0, "%s", err);
	cr_expect_str_eq(kd.upstream, "8.8.8.8,8.8.4.4:5353");
	cr_assert_eq(kd.n_stubs, 2);
	cr_expect_str_eq(kd.stubs[0], "acme.local=1.2.3.4");
	cr_expect_str_eq(kd.stubs[1], "corp.example=[2001:db8::1]:53,192.0.2.1");
	unlink("federations");
}

Test(kubedns, not_set)
{
	static const char *const empty[] = { NULL, "", " \n\t", "null", "[]" };
	static const char *const empty_obj[] = { NULL, "", "\n", "null\n", "{}" };

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		put("upstreamNameservers", empty[i]);
		put("stubDomains", empty_obj[i]);
		cr_assert_eq(kubedns_config_read(&kd, dir, err), 0, "case %zu: %s", i, err);
		cr_expect_null(kd.upstream, "case %zu", i);
		cr_expect_eq(kd.n_stubs, 0, "case %zu", i);
		kubedns_config_release(&kd);
	}
}

struct bad_case {
	const char *upstreams, *stubs;
	const char *msg;	/* after "DIR/" */
};

static const struct bad_case bad_cases[] = {
	{ "[\"8.8.8.8\"", NULL, "upstreamNameservers: not valid JSON: unexpected end of data" },
	{ "[8.8.8.8]", NULL, "upstreamNameservers: not valid JSON: number expected" },
	{ "[\"8.8.8.8\"] x", NULL, "upstreamNameservers: not valid JSON: text after the value" },
	{ "\"8.8.8.8\"", NULL, "upstreamNameservers: expected a JSON list of addresses, e.g. "
			       "[\"8.8.8.8\", \"8.8.4.4\"]" },
	{ "[\"1.1.1.1\", \"1.0.0.1\", \"8.8.8.8\", \"8.8.4.4\"]", NULL,
	  "upstreamNameservers: more than 3 nameservers" },
	{ "[\"8.8.8.300\"]", NULL,
	  "upstreamNameservers: '8.8.8.300' is not an IPv4 or IPv6 address" },
	{ "[\"8.8.8.8:0\"]", NULL,
	  "upstreamNameservers: '8.8.8.8:0': port '0' is not a number from 1 to 65535" },
	{ "[53]", NULL,
	  "upstreamNameservers: expected addresses as strings, e.g. \"192.0.2.1\"" },
	{ "[\"8.8.8.8\", \"8.8.8.8:53\"]", NULL,
	  "upstreamNameservers: --upstream: 8.8.8.8:53 is listed twice" },
	{ NULL, "[\"acme.local\"]", "stubDomains: expected a JSON object of domains to address "
				    "lists, e.g. {\"acme.local\": [\"192.0.2.1\"]}" },
	{ NULL, "{\"acme.local\": \"1.2.3.4\"}",
	  "stubDomains: acme.local: expected a list of addresses, e.g. [\"192.0.2.1\"]" },
	{ NULL, "{\"acme.local\": []}", "stubDomains: acme.local: no nameserver given" },
	{ NULL, "{\"acme.local\": [\"ns.acme.local\"]}",
	  "stubDomains: acme.local: 'ns.acme.local' is not an IPv4 or IPv6 address" },
	{ NULL, "{\"acme..local\": [\"1.2.3.4\"]}",
	  "stubDomains: 'acme..local' is not a valid domain name" },
	{ NULL, "{\"\": [\"1.2.3.4\"]}", "stubDomains: '' is not a valid domain name" },
	{ NULL, "{\".\": [\"1.2.3.4\"]}", "stubDomains: the root is not a stub domain "
					  "(upstreamNameservers sets the default upstreams)" },
	{ NULL, "{\"acme.local\": [\"1.2.3.4\"], \"ACME.local.\": [\"1.2.3.5\"]}",
	  "stubDomains: --forward: zone 'ACME.local.' is given twice" },
	{ NULL, "{\"acme.local\": [\"1.2.3.4\"]", "stubDomains: not valid JSON: unexpected end "
						  "of data" },
};

Test(kubedns, refused_naming_the_file)
{
	char want[FORWARD_ERR_MAX + 64];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		put("upstreamNameservers", c->upstreams);
		put("stubDomains", c->stubs);
		err[0] = '\0';
		cr_expect_lt(kubedns_config_read(&kd, dir, err), 0, "case %zu", i);
		snprintf(want, sizeof(want), "%s/%s", dir, c->msg);
		cr_expect_str_eq(err, want, "case %zu: got \"%s\"", i, err);
		cr_expect_null(kd.upstream, "case %zu: nothing kept", i);
		cr_expect_eq(kd.n_stubs, 0, "case %zu: nothing kept", i);
	}
}

Test(kubedns, directory_must_exist)
{
	char want[FORWARD_ERR_MAX + 64], p[128];

	cr_expect_eq(kubedns_config_read(&kd, "/nonexistent/kube-dns", err), -ENOENT);
	cr_expect_str_eq(err, "--kube-dns-config: cannot use '/nonexistent/kube-dns': No such "
			      "file or directory");
	put("stubDomains", "{}");
	snprintf(p, sizeof(p), "%s/stubDomains", dir);
	cr_expect_eq(kubedns_config_read(&kd, p, err), -ENOTDIR);
	snprintf(want, sizeof(want), "--kube-dns-config: cannot use '%s': Not a directory", p);
	cr_expect_str_eq(err, want);
}

static void read_both(void)
{
	put("upstreamNameservers", "[\"8.8.8.8\"]");
	put("stubDomains", "{\"acme.local\": [\"1.2.3.4\"], \"corp.example\": [\"1.2.3.5\"]}");
	cr_assert_eq(kubedns_config_read(&kd, dir, err), 0, "%s", err);
}

Test(kubedns, apply_sets_what_the_flags_do_not)
{
	struct forward_opts fo;

	read_both();
	forward_opts_init(&fo);
	cr_assert_eq(kubedns_config_apply(&kd, dir, &fo, false, err), 0, "%s", err);
	cr_expect_str_eq(fo.upstream, "8.8.8.8");
	cr_assert_eq(fo.n_zones, 2);
	cr_expect_str_eq(fo.zones[0], "acme.local=1.2.3.4");
	cr_expect_str_eq(fo.zones[1], "corp.example=1.2.3.5");
}

Test(kubedns, apply_explicit_flags_win)
{
	struct forward_opts fo;

	read_both();
	forward_opts_init(&fo);
	cr_assert_eq(forward_opts_set(&fo, "upstream", "192.0.2.53", err), 0);
	cr_assert_eq(forward_opts_set(&fo, "forward", "Corp.Example.=192.0.2.54", err), 0);
	cr_assert_eq(kubedns_config_apply(&kd, dir, &fo, false, err), 0, "%s", err);
	cr_expect_str_eq(fo.upstream, "192.0.2.53");
	cr_assert_eq(fo.n_zones, 2);
	cr_expect_str_eq(fo.zones[0], "Corp.Example.=192.0.2.54");
	cr_expect_str_eq(fo.zones[1], "acme.local=1.2.3.4");
}

Test(kubedns, apply_upstream_none_forwards_nothing)
{
	struct forward_opts fo;

	read_both();
	forward_opts_init(&fo);
	cr_assert_eq(kubedns_config_apply(&kd, dir, &fo, true, err), 0, "%s", err);
	cr_expect_null(fo.upstream);
	cr_expect_eq(fo.n_zones, 0);
}

/* The result goes through forward_config_build() like flags: it routes as they would. */
Test(kubedns, routes_like_the_flags)
{
	struct forward_config *fc = malloc(sizeof(*fc));
	const struct forward_list *l;
	struct forward_opts fo;
	uint8_t q[DNS_NAME_MAX];
	char buf[64];
	int len;

	cr_assert_not_null(fc);
	read_both();
	forward_opts_init(&fo);
	cr_assert_eq(kubedns_config_apply(&kd, dir, &fo, false, err), 0, "%s", err);
	cr_assert_eq(forward_config_build(fc, fo.upstream, fo.zones, fo.n_zones, NULL, NULL, 0,
					  err), 0, "%s", err);
	len = dns_name_from_text(q, sizeof(q), "www.acme.local");
	l = forward_config_route(fc, q, (size_t)len);
	cr_assert_eq(l->n, 1);
	cr_expect_str_eq(forward_addr_str(&fc->upstreams[l->idx[0]], buf), "1.2.3.4:53");
	len = dns_name_from_text(q, sizeof(q), "example.org");
	l = forward_config_route(fc, q, (size_t)len);
	cr_assert_eq(l->n, 1);
	cr_expect_str_eq(forward_addr_str(&fc->upstreams[l->idx[0]], buf), "8.8.8.8:53");
	free(fc);
}
