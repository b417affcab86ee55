// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/helpers.c - the cost of the engine's building blocks on their own (helper calls, a
 * per-CPU lookup, a tail call, copying the question name in by helper or by direct packet
 * access), from bench/helpers.bpf.c, to explain the stage figures of xdp_cost.
 *
 * Every program runs through BPF_PROG_TEST_RUN repeat times per run, median of rounds rounds
 * (each program once per round), and is printed as ns per run and ns above h_nop. The last
 * verdict of every run must be XDP_PASS (XDP_TX for the tail call target). Figures are
 * printed, never asserted.
 *
 * usage: helpers [-r rounds] [-n repeat]   (needs root)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench/lib/bench.h"
#include "helpers.skel.h"

struct item {
	const char *what;
	int which;		/* index into fds[] */
	unsigned int len;	/* copy_len; 0: not used */
	uint32_t ns[BENCH_ROUNDS_MAX];
};

enum { H_NOP, H_PERCPU, H_GETLEN, H_ADJUST, H_LOAD, H_DIRECT, H_STORE, H_TAIL, H_COUNT };

static struct item items[] = {
	{ "test_run floor (return XDP_PASS)", H_NOP, 0 },
	{ "per-CPU array lookup (scratch)", H_PERCPU, 0 },
	{ "bpf_xdp_get_buff_len()", H_GETLEN, 0 },
	{ "bpf_xdp_adjust_tail(ctx, 0)", H_ADJUST, 0 },
	{ "bpf_tail_call() to a nop", H_TAIL, 0 },
	{ "bpf_xdp_load_bytes(), 31-byte name", H_LOAD, 31 },
	{ "direct packet copy, 31-byte name", H_DIRECT, 31 },
	{ "bpf_xdp_store_bytes(), 31 bytes", H_STORE, 31 },
	{ "bpf_xdp_load_bytes(), 52-byte name", H_LOAD, 52 },
	{ "direct packet copy, 52-byte name", H_DIRECT, 52 },
	{ "bpf_xdp_store_bytes(), 52 bytes", H_STORE, 52 },
};

int main(int argc, char **argv)
{
	struct bench_opts opts = BENCH_OPTS_DEFAULT;
	uint8_t frame[BENCH_QNAME_OFF + 64 + 4];
	struct helpers *skel;
	int fds[H_COUNT], err = 0;
	__u32 zero = 0;

	if (bench_opts_parse(&opts, argc, argv, "helpers"))
		return 2;
	if (bench_init("helpers", "BPF program load, BPF_PROG_TEST_RUN"))
		return 1;

	skel = helpers__open_and_load();
	if (!skel) {
		fprintf(stderr, "helpers: load: %s\n", strerror(errno));
		return 1;
	}
	fds[H_NOP] = bpf_program__fd(skel->progs.h_nop);
	fds[H_PERCPU] = bpf_program__fd(skel->progs.h_percpu_lookup);
	fds[H_GETLEN] = bpf_program__fd(skel->progs.h_get_buff_len);
	fds[H_ADJUST] = bpf_program__fd(skel->progs.h_adjust_tail);
	fds[H_LOAD] = bpf_program__fd(skel->progs.h_load_bytes);
	fds[H_DIRECT] = bpf_program__fd(skel->progs.h_copy_direct);
	fds[H_STORE] = bpf_program__fd(skel->progs.h_store_bytes);
	fds[H_TAIL] = bpf_program__fd(skel->progs.h_tail_call);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.h_target), &zero, &fds[H_NOP], BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "helpers: prog array: %s\n", strerror(errno));
		goto out_destroy;
	}
	/* the bytes do not matter, only where the name is and how long */
	memset(frame, 'a', sizeof(frame));
	skel->bss->copy_off = BENCH_QNAME_OFF;

	for (unsigned int r = 0; r < opts.rounds; r++) {
		for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
				    .data_size_in = sizeof(frame), .repeat = opts.repeat);

			skel->bss->copy_len = items[i].len;
			if (bpf_prog_test_run_opts(fds[items[i].which], &o)) {
				err = -errno;
				fprintf(stderr, "helpers: %s: %s\n", items[i].what,
					strerror(errno));
				goto out_destroy;
			}
			if (o.retval != XDP_PASS) {
				err = -EBADMSG;
				fprintf(stderr, "helpers: %s: verdict %u\n", items[i].what,
					o.retval);
				goto out_destroy;
			}
			items[i].ns[r] = o.duration;
		}
	}

	printf("helpers: BPF_PROG_TEST_RUN repeat %u, median of %u rounds\n", opts.repeat,
	       opts.rounds);
	printf("%-40s %9s %10s\n", "operation (once per run)", "ns/run", "above nop");
	{
		uint32_t nop = bench_median_u32(items[0].ns, opts.rounds);

		for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
			uint32_t m = bench_median_u32(items[i].ns, opts.rounds);

			printf("%-40s %9u %10d\n", items[i].what, m, (int)m - (int)nop);
		}
	}

out_destroy:
	helpers__destroy(skel);
	return err ? 1 : 0;
}
