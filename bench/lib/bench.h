/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench/lib/bench.h - the plumbing every program under bench/ shares: the -r/-n command
 * line, the root check and libbpf's log, medians, and unpinning a bench object's maps.
 *
 * Command line: -r rounds (1..BENCH_ROUNDS_MAX, default BENCH_ROUNDS_DEFAULT) and -n repeat
 * (>= 1, default BENCH_REPEAT_DEFAULT, the BPF_PROG_TEST_RUN repeat count). Values are read
 * with strtoul() and checked once parsing is over; anything wrong prints the usage line
 *   usage: NAME [-r rounds] [-n repeat] [MORE]
 * to stderr, and the program exits with status 2.
 * Setup: bench_init() refuses to run without root (exit status 1, one line naming why root
 * is needed) and leaves only libbpf's warnings on stderr.
 * Medians: of n values, 1 <= n <= BENCH_ROUNDS_MAX; the mean of the two middle values when
 * n is even (integer division for uint32_t). The input is not modified.
 * Pins: bench_obj_unpin() clears every map's pin path of a bench object before its load, so
 * a bench never touches /sys/fs/bpf; the xdpdns program itself is loaded unpinned with
 * loader_load_unpinned() (loader/loader.h).
 *
 * int functions return 0 or -errno; pointer functions return NULL and set errno.
 */
#ifndef XDPDNS_BENCH_H
#define XDPDNS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define BENCH_ROUNDS_DEFAULT	7
#define BENCH_ROUNDS_MAX	64
#define BENCH_REPEAT_DEFAULT	1000000
#define BENCH_OPTSTRING		"r:n:"	/* the options bench_opt_take() handles */
#define BENCH_QNAME_OFF		54	/* question name in a frame: Eth, IPv4, UDP, DNS header */

struct bpf_object;

struct bench_opts {
	unsigned int rounds;	/* -r: every case runs once per round; medians are over rounds */
	unsigned int repeat;	/* -n: BPF_PROG_TEST_RUN repeat per run */
};

#define BENCH_OPTS_DEFAULT	{ .rounds = BENCH_ROUNDS_DEFAULT, .repeat = BENCH_REPEAT_DEFAULT }

/* Stores the value of -r or -n (opt as getopt() returned it) and returns true; false for any
 * other opt, which the caller handles. */
bool bench_opt_take(struct bench_opts *o, int opt, const char *arg);

/* Are rounds and repeat in range? */
bool bench_opts_valid(const struct bench_opts *o);

/* "usage: name [-r rounds] [-n repeat]", then " more" when more is not NULL, on stderr. */
void bench_usage(const char *name, const char *more);

/* The whole command line of a bench that takes only -r and -n: 0, or the usage line and
 * -EINVAL for any other option or a value out of range. */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv, const char *name);

/* 0 when running as root, after routing libbpf's log to stderr, warnings only; else
 * "name: needs root (why)" on stderr and -EPERM. */
int bench_init(const char *name, const char *why);

uint32_t bench_median_u32(const uint32_t *v, unsigned int n);

/* lo and hi, when not NULL, receive the smallest and the largest value. */
double bench_median_dbl(const double *v, unsigned int n, double *lo, double *hi);

/* Clears the pin path of every map of obj (before its load): private maps only. */
int bench_obj_unpin(struct bpf_object *obj);



#endif
