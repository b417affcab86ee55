// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/keylayout.c - size-classed 64-byte answer keys vs one flat 264-byte key.
 *
 * Fills two hash maps (bench/keylayout.bpf.c, declared like the answer maps) with the same
 * ENTRIES names, one with 64-byte keys and one with 264-byte zero-padded keys, then times
 * through BPF_PROG_TEST_RUN (repeat times per run, median of rounds rounds, every program
 * once per round) for probe names of typical cluster lengths:
 *   build    the key built in a per-CPU scratch as the engine does (zero, load, lower-case)
 *   lookup   the same plus bpf_map_lookup_elem() in the map of that key size
 * and prints ns per run of each, the 264-64 difference, and lookup minus build (the hash
 * lookup alone). Each timed lookup run must count exactly repeat hits (0 for the miss probe).
 * Figures are printed, never asserted.
 *
 * usage: keylayout [-r rounds] [-n repeat]   (needs root)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "bench/lib/bench.h"
#include "userspace/dns/dns.h"
#include "keylayout.skel.h"

#define ENTRIES		100000
#define BATCH		4096

struct probe {
	const char *name;
	bool hit;	/* loaded into the maps */
};

static const struct probe probes[] = {
	{ "web.default.svc.cluster.local", true },
	{ "google.com.default.svc.cluster.local", false },
	{ "kube-dns.kube-system.svc.cluster.local", true },
	{ "_http._tcp.web.default.svc.cluster.local", true },
	{ "_http._tcp.prometheus.monitoring.svc.cluster.local", true },
};

enum prog { P_NOP, P_BUILD64, P_BUILD264, P_LOOKUP64, P_LOOKUP264, P_COUNT };

static const char *const prog_names[P_COUNT] = {
	"nop", "build 64", "build 264", "lookup 64", "lookup 264",
};

struct fill {
	int fd64, fd264;
	unsigned int n;
	struct xdpdns_key_s k64[BATCH];
	struct xdpdns_key_l k264[BATCH];
	struct xdpdns_answer vals[BATCH];
};

static int fill_flush(struct fill *f)
{
	__u32 n = f->n;

	if (n && bpf_map_update_batch(f->fd64, f->k64, f->vals, &n, NULL))
		return -errno;
	n = f->n;
	if (n && bpf_map_update_batch(f->fd264, f->k264, f->vals, &n, NULL))
		return -errno;
	f->n = 0;
	return 0;
}

/* The same entry into both maps: key {A, name}, a 16-byte A answer. */
static int fill_add(struct fill *f, const char *text)
{
	uint8_t wire[XDPDNS_NAME_MAX];
	struct xdpdns_key_l key;
	struct xdpdns_answer *a = &f->vals[f->n];
	int len = dns_name_from_text(wire, sizeof(wire), text);

	if (len < 0 || len > XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_S))
		return -EINVAL;
	if (xdpdns_key_build(&key, wire, len, 1))
		return -EINVAL;
	memcpy(&f->k64[f->n], &key, sizeof(f->k64[0]));
	f->k264[f->n] = key;
	memset(a, 0, sizeof(*a));
	memcpy(a->data, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\x0a\x60\x00\x0a", 16);
	a->len = 16;
	a->ancount = 1;
	a->csum = xdpdns_csum_partial(a->data, a->len);
	return ++f->n == BATCH ? fill_flush(f) : 0;
}

static int maps_fill(struct keylayout *skel)
{
	struct fill *f = calloc(1, sizeof(*f));
	unsigned int n = 0;
	char text[128];
	int err = 0;

	if (!f)
		return -ENOMEM;
	f->fd64 = bpf_map__fd(skel->maps.keys64);
	f->fd264 = bpf_map__fd(skel->maps.keys264);
	for (size_t i = 0; i < ARRAY_SIZE(probes) && !err; i++)
		if (probes[i].hit) {
			err = fill_add(f, probes[i].name);
			n++;
		}
	for (unsigned int i = 0; n < ENTRIES && !err; i++, n++) {
		snprintf(text, sizeof(text), "svc-%05u.ns-%04u.svc.cluster.local", i, i / 100);
		err = fill_add(f, text);
	}
	if (!err)
		err = fill_flush(f);
	free(f);
	return err;
}

int main(int argc, char **argv)
{
	static uint32_t ns[ARRAY_SIZE(probes)][P_COUNT][BENCH_ROUNDS_MAX];
	struct bench_opts opts = BENCH_OPTS_DEFAULT;
	uint8_t frames[ARRAY_SIZE(probes)][BENCH_QNAME_OFF + XDPDNS_NAME_MAX + 4];
	int name_len[ARRAY_SIZE(probes)], fds[P_COUNT], err;
	struct keylayout *skel;

	if (bench_opts_parse(&opts, argc, argv, "keylayout"))
		return 2;
	if (bench_init("keylayout", "BPF program load, BPF_PROG_TEST_RUN"))
		return 1;

	skel = keylayout__open_and_load();
	if (!skel) {
		fprintf(stderr, "keylayout: load: %s\n", strerror(errno));
		return 1;
	}
	err = maps_fill(skel);
	if (err) {
		fprintf(stderr, "keylayout: fill: %s\n", strerror(-err));
		goto out_destroy;
	}
	fds[P_NOP] = bpf_program__fd(skel->progs.key_nop);
	fds[P_BUILD64] = bpf_program__fd(skel->progs.key64_build);
	fds[P_BUILD264] = bpf_program__fd(skel->progs.key264_build);
	fds[P_LOOKUP64] = bpf_program__fd(skel->progs.key64_lookup);
	fds[P_LOOKUP264] = bpf_program__fd(skel->progs.key264_lookup);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		memset(frames[i], 0, sizeof(frames[i]));
		name_len[i] = dns_name_from_text(frames[i] + BENCH_QNAME_OFF,
						 sizeof(frames[i]) - BENCH_QNAME_OFF - 4,
						 probes[i].name);
		if (name_len[i] < 0) {
			err = name_len[i];
			goto out_destroy;
		}
	}
	skel->bss->name_off = BENCH_QNAME_OFF;

	for (unsigned int r = 0; r < opts.rounds; r++) {
		for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
			skel->bss->name_len = name_len[i];
			for (int p = 0; p < P_COUNT; p++) {
				LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[i],
					    .data_size_in = BENCH_QNAME_OFF + name_len[i] + 4,
					    .repeat = opts.repeat);
				uint64_t before = skel->bss->hits, want = 0;

				if (bpf_prog_test_run_opts(fds[p], &o)) {
					err = -errno;
					fprintf(stderr, "keylayout: test run: %s\n",
						strerror(errno));
					goto out_destroy;
				}
				if ((p == P_LOOKUP64 || p == P_LOOKUP264) && probes[i].hit)
					want = opts.repeat;
				if (o.retval != XDP_PASS || skel->bss->hits - before != want) {
					fprintf(stderr, "keylayout: %s %s: verdict %u, %llu hits "
						"of %llu wanted\n", prog_names[p], probes[i].name,
						o.retval,
						(unsigned long long)(skel->bss->hits - before),
						(unsigned long long)want);
					err = -EBADMSG;
					goto out_destroy;
				}
				ns[i][p][r] = o.duration;
			}
		}
	}

	printf("keylayout: %u entries in each map (BPF_F_NO_PREALLOC, max_entries %u), "
	       "BPF_PROG_TEST_RUN repeat %u, median of %u rounds, ns per run\n",
	       ENTRIES, XDPDNS_ANSWERS_MAX_ENTRIES, opts.repeat, opts.rounds);
	printf("%-52s %4s %4s %8s %9s %9s %10s %8s %11s %12s\n", "probe name", "len", "nop",
	       "build64", "build264", "lookup64", "lookup264", "264-64", "64 lookup", "264 lookup");
	printf("%-52s %4s %4s %8s %9s %9s %10s %8s %11s %12s\n", "", "", "", "", "", "", "",
	       "", "-build", "-build");
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		uint32_t m[P_COUNT];
		char label[64];

		for (int p = 0; p < P_COUNT; p++)
			m[p] = bench_median_u32(ns[i][p], opts.rounds);
		snprintf(label, sizeof(label), "%s%s", probes[i].name,
			 probes[i].hit ? "" : " (miss)");
		printf("%-52s %4d %4u %8u %9u %9u %10u %8d %11d %12d\n", label, name_len[i],
		       m[P_NOP], m[P_BUILD64], m[P_BUILD264], m[P_LOOKUP64], m[P_LOOKUP264],
		       (int)m[P_LOOKUP264] - (int)m[P_LOOKUP64],
		       (int)m[P_LOOKUP64] - (int)m[P_BUILD64],
		       (int)m[P_LOOKUP264] - (int)m[P_BUILD264]);
	}

out_destroy:
	keylayout__destroy(skel);
	return err ? 1 : 0;
}
