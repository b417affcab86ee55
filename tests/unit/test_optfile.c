// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util/optfile: a YAML settings file into "--name=value" arguments: scalars as written, lists
 * for comma-list flags, lists and mappings for repeatable flags, keys the command line gives
 * left out, and every refusal with its exact "PATH:LINE: KEY: problem" message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "userspace/util/optfile.h"

/* A daemon-like table: values, a flag without one, short-only values do not matter. */
static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "zone", required_argument, NULL, 'z' },
	{ "ttl", required_argument, NULL, 't' },
	{ "http", required_argument, NULL, 'H' },
	{ "listen", required_argument, NULL, 'l' },
	{ "reverse-zone", required_argument, NULL, 'r' },
	{ "forward", required_argument, NULL, 0x100 },
	{ "help", no_argument, NULL, 'h' },
	{},
};
static const char *const lists[] = { "listen", "reverse-zone", NULL };
static const char *const repeats[] = { "forward", NULL };
static const char *const not_keys[] = { "config", NULL };
static const struct optfile_spec spec = { opts, lists, repeats, not_keys };

static char dir[] = "/tmp/xdpdns-optfile.XXXXXX";
static char path[64];
static struct optfile f;
static char err[OPTFILE_ERR_MAX];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
}

static void teardown(void)
{
	optfile_release(&f);
	unlink(path);
	rmdir(dir);
}

TestSuite(optfile, .init = setup, .fini = teardown);

static void write_text(const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "open: %s", strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Load text; expect success and exactly the arguments want[] (NULL-ended) on lines[]. */
static void expect_args(const char *text, const bool *given, const char *const *want,
			const unsigned int *lines)
{
	unsigned int n = 0;

	write_text(text, strlen(text));
	cr_assert_eq(optfile_load(path, &spec, given, &f, err), 0, "%s: %s", text, err);
	while (want[n])
		n++;
	cr_assert_eq(f.n, n, "%s: %u arguments, want %u", text, f.n, n);
	for (unsigned int i = 0; i < n; i++) {
		cr_expect_str_eq(f.args[i], want[i], "%s: argument %u", text, i);
		if (lines)
			cr_expect_eq(f.lines[i], lines[i], "%s: line of %s", text, want[i]);
	}
	optfile_release(&f);
}

Test(optfile, scalars_as_written)
{
	expect_args("zone: cluster.local\nttl: 5\nhttp: off\n", NULL,
		    (const char *[]){ "--zone=cluster.local", "--ttl=5", "--http=off", NULL },
		    (const unsigned int[]){ 1, 2, 3 });
	/* Quoted text is taken as is, the empty string too (what --flag '' gives). */
	expect_args("zone: \"a b\"\nreverse-zone: ''\nttl: '007'\n", NULL,
		    (const char *[]){ "--zone=a b", "--reverse-zone=", "--ttl=007", NULL }, NULL);
	/* YAML's booleans and numbers are not resolved: the flag parses the text. */
	expect_args("http: yes\nttl: 0x10\n", NULL,
		    (const char *[]){ "--http=yes", "--ttl=0x10", NULL }, NULL);
}

Test(optfile, lists_join_with_commas)
{
	expect_args("listen: [198.18.0.1, \"fd00:198:18::1\"]\n", NULL,
		    (const char *[]){ "--listen=198.18.0.1,fd00:198:18::1", NULL }, NULL);
	expect_args("# comment\nlisten:\n  - 198.18.0.1\n  - 198.18.0.2\n", NULL,
		    (const char *[]){ "--listen=198.18.0.1,198.18.0.2", NULL },
		    (const unsigned int[]){ 3 });
	expect_args("listen: 198.18.0.1,198.18.0.2\n", NULL,
		    (const char *[]){ "--listen=198.18.0.1,198.18.0.2", NULL }, NULL);
	expect_args("reverse-zone: []\n", NULL, (const char *[]){ "--reverse-zone=", NULL },
		    NULL);
}

Test(optfile, repeatable_list_and_mapping)
{
	expect_args("forward:\n  - a.internal=192.0.2.1\n  - b.internal=192.0.2.2:5353\n", NULL,
		    (const char *[]){ "--forward=a.internal=192.0.2.1",
				      "--forward=b.internal=192.0.2.2:5353", NULL },
		    (const unsigned int[]){ 2, 3 });
	expect_args("forward:\n  a.internal: [192.0.2.1, \"[2001:db8::1]:53\"]\n"
		    "  b.internal: 192.0.2.2\n", NULL,
		    (const char *[]){ "--forward=a.internal=192.0.2.1,[2001:db8::1]:53",
				      "--forward=b.internal=192.0.2.2", NULL },
		    (const unsigned int[]){ 2, 3 });
	expect_args("forward: a.internal=192.0.2.1\n", NULL,
		    (const char *[]){ "--forward=a.internal=192.0.2.1", NULL }, NULL);
}

Test(optfile, command_line_wins)
{
	bool given[sizeof(opts) / sizeof(opts[0])] = {};

	given[2] = true;	/* ttl */
	given[4] = true;	/* listen */
	given[6] = true;	/* forward */
	expect_args("zone: z.local\nttl: 5\nlisten: [198.18.0.1]\nforward: [a=192.0.2.1]\n"
		    "http: off\n", given, (const char *[]){ "--zone=z.local", "--http=off", NULL },
		    (const unsigned int[]){ 1, 5 });
}

Test(optfile, empty_sets_nothing)
{
	expect_args("", NULL, (const char *[]){ NULL }, NULL);
	expect_args("# everything commented out\n# ttl: 5\n", NULL, (const char *[]){ NULL },
		    NULL);
	expect_args("{}\n", NULL, (const char *[]){ NULL }, NULL);
	expect_args("---\n...\n", NULL, (const char *[]){ NULL }, NULL);
}

struct bad_case {
	const char *text;
	const char *msg;	/* after "PATH:" */
};

static const struct bad_case bad_cases[] = {
	{ "zone: a\nttl2: 5\n", "2: ttl2: unknown key: keys are the long flag names, without the "
				"dashes" },
	{ "--ttl: 5\n", "1: --ttl: unknown key: keys are the long flag names, without the dashes" },
	{ "help: yes\n", "1: help: a command-line flag only, not a setting" },
	{ "config: other.yaml\n", "1: config: a command-line flag only, not a setting" },
	{ "zone: a\nttl: 5\nzone: b\n", "3: zone: given twice (first on line 1)" },
	{ "- ttl\n- 5\n", "1: expected a mapping of flag names to values, not a list" },
	{ "ttl 5\n", "1: expected a mapping of flag names to values, not a single value" },
	{ "ttl: [5]\n", "1: ttl: expected a single value, not a list" },
	{ "zone: {a: b}\n", "1: zone: expected a single value, not a mapping" },
	{ "listen: {a: b}\n", "1: listen: expected a value or a list, not a mapping" },
	{ "listen: [198.18.0.1, [198.18.0.2]]\n",
	  "1: listen: expected a list of single values, not a list" },
	{ "listen:\n  - 198.18.0.1\n  - ~\n", "3: listen: has no value" },
	{ "forward:\n  - [a, b]\n", "2: forward: expected a list of single values, not a list" },
	{ "forward:\n  a: 192.0.2.1\n  a: 192.0.2.2\n",
	  "3: forward: 'a' is given twice (first on line 2)" },
	{ "forward:\n  a: {b: c}\n", "2: forward: expected a value or a list, not a mapping" },
	{ "forward:\n  ~: 192.0.2.1\n", "2: forward: has no value" },
	{ "ttl:\nzone: a\n", "1: ttl: has no value" },
	{ "ttl: null\n", "1: ttl: has no value" },
	{ "zone: !!null x\n", "1: zone: has no value" },
	{ "? [a]\n: b\n", "1: a key must be a flag name, not a list" },
	{ "ttl: 5\n---\nzone: a\n", "3: a second YAML document: the file holds one mapping" },
	{ "ttl: 5\nzone: [a\n", "3: did not find expected ',' or ']' while parsing a flow "
			       "sequence" },
	{ "zone: \"a\\0b\"\n", "1: zone: the value contains a NUL byte" },
	{ "zone: \"a\\nb\"\nttl: [1]\n", "2: ttl: expected a single value, not a list" },
	{ "ttl: [\"a\\nb\"]\n", "1: ttl: expected a single value, not a list" },
	{ "\"z\\none\": 1\n", "1: z?one: unknown key: keys are the long flag names, without the "
			      "dashes" },
};

Test(optfile, refused_with_file_line_key)
{
	char want[OPTFILE_ERR_MAX + 64];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		write_text(c->text, strlen(c->text));
		err[0] = '\0';
		cr_expect_eq(optfile_load(path, &spec, NULL, &f, err), -EINVAL, "%s", c->text);
		snprintf(want, sizeof(want), "%s:%s", path, c->msg);
		cr_expect_str_eq(err, want, "%s", c->text);
		cr_expect_eq(f.n, 0, "%s: nothing kept", c->text);
		cr_expect_null(f.args, "%s: nothing kept", c->text);
	}
}

Test(optfile, unreadable)
{
	char want[OPTFILE_ERR_MAX + 64];

	cr_assert_eq(optfile_load("/nonexistent/x.yaml", &spec, NULL, &f, err), -ENOENT);
	cr_expect_str_eq(err, "cannot read /nonexistent/x.yaml: No such file or directory");
	cr_assert_eq(optfile_load(dir, &spec, NULL, &f, err), -EISDIR);
	snprintf(want, sizeof(want), "cannot read %s: Is a directory", dir);
	cr_expect_str_eq(err, want);
}

Test(optfile, too_large)
{
	size_t len = OPTFILE_MAX_BYTES + 1;
	char *big = malloc(len);

	cr_assert_not_null(big);
	memset(big, '#', len);
	write_text(big, len);
	free(big);
	cr_assert_eq(optfile_load(path, &spec, NULL, &f, err), -EFBIG);
}
