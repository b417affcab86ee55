// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench/lib/bench.c - the shared bench plumbing; the contract is in bench.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "maps.h"
#include "xdpdns.skel.h"
#include "bench/lib/bench.h"

bool bench_opt_take(struct bench_opts *o, int opt, const char *arg)
{
	if (opt == 'r')
		o->rounds = (unsigned int)strtoul(arg, NULL, 10);
	else if (opt == 'n')
		o->repeat = (unsigned int)strtoul(arg, NULL, 10);
	else
		return false;
	return true;
}

bool bench_opts_valid(const struct bench_opts *o)
{
	return o->rounds >= 1 && o->rounds <= BENCH_ROUNDS_MAX && o->repeat >= 1;
}

void bench_usage(const char *name, const char *more)
{
	fprintf(stderr, "usage: %s [-r rounds] [-n repeat]%s%s\n", name, more ? " " : "",
		more ? more : "");
}

int bench_opts_parse(struct bench_opts *o, int argc, char **argv, const char *name)
{
	int opt;

	while ((opt = getopt(argc, argv, BENCH_OPTSTRING "h")) != -1)
		if (!bench_opt_take(o, opt, optarg))
			goto out_usage;
	if (bench_opts_valid(o))
		return 0;
out_usage:
	bench_usage(name, NULL);
	return -EINVAL;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int bench_init(const char *name, const char *why)
{
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root (%s)\n", name, why);
		return -EPERM;
	}
	libbpf_set_print(print_libbpf);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

uint32_t bench_median_u32(const uint32_t *v, unsigned int n)
{
	uint32_t s[BENCH_ROUNDS_MAX];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_u32);
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double bench_median_dbl(const double *v, unsigned int n, double *lo, double *hi)
{
	double s[BENCH_ROUNDS_MAX];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_dbl);
	if (lo)
		*lo = s[0];
	if (hi)
		*hi = s[n - 1];
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int bench_obj_unpin(struct bpf_object *obj)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return err;
	}
	return 0;
}
