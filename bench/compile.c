// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench/compile.c - time and memory of the control plane: Kubernetes objects -> zone ->
 * answer maps, the way the daemon does it.
 *
 * Phases, each timed on its own (CLOCK_MONOTONIC), iterations times over a fresh zone and a
 * fresh, unpinned xdpdns skeleton (its load is not timed):
 *   load      zone_load_file(): read the JSON List and load its objects as they stream in
 *   build     zone_build()
 *   project   zone_project() into a struct map_writer (the desired state)
 *   commit    map_writer_commit() into the kernel maps, which are empty (plus the zone
 *             table and config map: map_zones_write(), map_config_write())
 *   commit2   map_writer_commit() again, nothing changed: must write nothing
 *   resync    map_writer_reset() + zone_project() + map_writer_commit(), nothing changed:
 *             what a rebuild that changed nothing costs; must write nothing
 * Peak RSS is getrusage(RUSAGE_SELF).ru_maxrss after each phase of the first iteration (it
 * only grows; later iterations free and redo the same work); heap is what malloc has handed
 * out then (mallinfo2(): glibc keeps freed memory resident, so RSS would not show a free).
 * An aside times reading the maps back with BPF_MAP_LOOKUP_BATCH. Figures are medians over
 * the iterations, printed, never asserted; the exit status is non-zero only when something
 * fails or a no-change commit writes.
 *
 * usage: compile [-i iterations] objects.json   (needs root: real maps)
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "writer.h"
#include "bench/lib/bench.h"
#include "loader/loader.h"
#include "userspace/zone/zone.h"
#include "xdpdns.skel.h"

#define ITER_DEFAULT	3
#define ITER_MAX	16
_Static_assert(ITER_MAX <= BENCH_ROUNDS_MAX, "more iterations than a median takes");
#define LISTEN4		"198.18.0.1"
#define DUMP_BATCH	4096	/* entries per BPF_MAP_LOOKUP_BATCH */

enum phase { P_LOAD, P_BUILD, P_PROJECT, P_COMMIT, P_COMMIT2, P_RESYNC, P_COUNT };

static const char *const phase_names[P_COUNT] = {
	"JSON load (zone_load_file)",
	"zone_build",
	"zone_project -> map_writer",
	"map_writer_commit (empty maps)",
	"commit again, nothing changed",
	"resync: reset+project+commit",
};

struct result {
	double sec[P_COUNT][ITER_MAX];
	long rss_kb[P_COUNT];		/* ru_maxrss after the phase, first iteration */
	long cur_kb[P_COUNT];		/* heap in use (mallinfo2), first iteration */
	struct map_writer_stats st[P_COUNT];
	unsigned int objects, skipped, names;
	unsigned long entries;
	double verify_sec;		/* skeleton open+load, not part of any phase */
	double dump_sec;		/* dump_time() */
	unsigned long dumped, dump_syscalls;
	long slab_kb;			/* kernel slab grown by the first commit, first iteration */
};

/* Slab: from /proc/meminfo in KiB, or -1: the kernel memory the answer maps take. */
static long slab_kb(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

/* Heap bytes in use (glibc: freed memory may stay resident, so RSS would not show a free). */
static long heap_kb(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static int commit_all(struct map_writer *w, const struct zone *z, const struct xdpdns_maps *m,
		      struct map_writer_stats *st)
{
	struct map_config mc = { .port = 53, .n_v4 = 1 };
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	int n, err;

	err = map_writer_commit(w, st);
	if (err)
		return err;
	inet_pton(AF_INET, LISTEN4, &mc.v4[0]);
	err = map_config_write(m, &mc);
	if (err)
		return err;
	n = zone_project_zones(z, zones, XDPDNS_MAX_ZONES);
	if (n < 0)
		return n;
	return map_zones_write(m, zones, (unsigned int)n);
}

/*
 * An aside for the writer: how long reading every answer map back takes with
 * BPF_MAP_LOOKUP_BATCH (keys and values, DUMP_BATCH at a time), the syscall a diff could use
 * instead of one lookup per desired entry and one get_next_key per map entry.
 */
static int dump_time(const struct xdpdns_maps *m, struct result *res)
{
	struct xdpdns_answer *vals = malloc(DUMP_BATCH * sizeof(*vals));
	uint8_t *keys = malloc(DUMP_BATCH * (size_t)XDPDNS_KEY_L);
	double t = now();
	int err = 0;

	res->dumped = 0;
	res->dump_syscalls = 0;
	if (!vals || !keys) {
		err = -ENOMEM;
		goto out_free;
	}
	for (int c = 0; c < XDPDNS_CLASS_COUNT && !err; c++) {
		__u32 batch, count;
		void *in = NULL;

		for (;;) {
			count = DUMP_BATCH;
			res->dump_syscalls++;
			if (bpf_map_lookup_batch(m->answers[c], in, &batch, keys, vals, &count,
						 NULL)) {
				err = -errno;
				res->dumped += count;
				if (err == -ENOENT)
					err = 0;
				break;
			}
			res->dumped += count;
			in = &batch;
		}
	}
	res->dump_sec = now() - t;
out_free:
	free(vals);
	free(keys);
	if (err)
		fprintf(stderr, "compile: lookup_batch dump: %s\n", strerror(-err));
	return err;
}

/* What the daemon does after a rebuild: collect the desired state again and commit it. */
static int resync(struct map_writer *w, const struct zone *z, struct map_writer_stats *st)
{
	int err = zone_project(z, map_writer_emit, w);

	return err ? err : map_writer_commit(w, st);
}

static int iteration(const char *path, unsigned int it, struct result *res)
{
	static const char *const reverse[] = { "in-addr.arpa", "ip6.arpa", NULL };
	static const uint8_t listen4[1][4] = { { 198, 18, 0, 1 } };
	const struct zone_config zc = {
		.zone = "cluster.local",
		.ttl = 30,
		.pods = ZONE_PODS_INSECURE,	/* the CoreDNS default Corefile */
		.serial = 1,
		.reverse_zones = reverse,
		.listen_v4 = listen4,
		.n_v4 = 1,
	};
	struct map_writer_stats st;
	struct xdpdns_maps maps;
	struct map_writer *w = NULL;
	struct xdpdns *skel;
	struct zone *z;
	double t;
	int err;

	t = now();
	skel = loader_load_unpinned(&maps);
	if (!skel) {
		fprintf(stderr, "compile: load xdpdns: %s\n", strerror(errno));
		return -errno;
	}
	res->verify_sec = now() - t;
	z = zone_new(&zc);
	if (!z) {
		err = -errno;
		fprintf(stderr, "compile: zone_new: %s\n", strerror(errno));
		goto out_destroy_skel;
	}

#define PHASE(p, expr)								\
	do {									\
		t = now();							\
		err = (expr);							\
		res->sec[p][it] = now() - t;					\
		if (it == 0) {							\
			res->rss_kb[p] = maxrss_kb();				\
			res->cur_kb[p] = heap_kb();				\
		}								\
		if (err) {							\
			fprintf(stderr, "compile: %s: %s\n", phase_names[p],	\
				strerror(-err));				\
			goto out_free;						\
		}								\
	} while (0)

	PHASE(P_LOAD, zone_load_file(z, path));
	PHASE(P_BUILD, zone_build(z));
	w = map_writer_new_maps(&maps);
	if (!w) {
		err = -errno;
		goto out_free;
	}
	PHASE(P_PROJECT, zone_project(z, map_writer_emit, w));
	if (it == 0)
		res->slab_kb = -slab_kb();
	PHASE(P_COMMIT, commit_all(w, z, &maps, &st));
	res->st[P_COMMIT] = st;
	if (it == 0)
		res->slab_kb += slab_kb();
	PHASE(P_COMMIT2, map_writer_commit(w, &st));
	res->st[P_COMMIT2] = st;
	map_writer_reset(w);
	PHASE(P_RESYNC, resync(w, z, &st));
	res->st[P_RESYNC] = st;
#undef PHASE

	if (it == 0)
		err = dump_time(&maps, res);
	res->objects = zone_objects(z);
	res->skipped = zone_skipped(z);
	res->names = zone_names(z);
	res->entries = map_writer_count(w);
	for (int p = P_COMMIT2; p <= P_RESYNC; p++) {
		const struct map_writer_stats *s = &res->st[p];

		if (s->inserted || s->updated || s->deleted || s->failed) {
			fprintf(stderr, "compile: %s wrote %lu/%lu/%lu (ins/upd/del), %lu failed\n",
				phase_names[p], s->inserted, s->updated, s->deleted, s->failed);
			err = -EPROTO;
		}
	}

out_free:
	map_writer_free(w);
	zone_free(z);
out_destroy_skel:
	xdpdns__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	static struct result res;
	unsigned int iters = ITER_DEFAULT;
	double lo, hi;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "i:h")) != -1) {
		if (opt == 'i') {
			iters = (unsigned int)strtoul(optarg, NULL, 10);
			continue;
		}
		fprintf(stderr, "usage: compile [-i iterations] objects.json\n");
		return 2;
	}
	if (optind != argc - 1 || iters < 1 || iters > ITER_MAX) {
		fprintf(stderr, "usage: compile [-i iterations] objects.json\n");
		return 2;
	}
	if (bench_init("compile", "creates BPF maps"))
		return 1;

	printf("rss before: %ld KiB (ru_maxrss)\n", maxrss_kb());
	for (unsigned int i = 0; i < iters && !err; i++)
		err = iteration(argv[optind], i, &res);
	if (err)
		return 1;

	printf("objects %u loaded (%u skipped), %u names, %lu map entries "
	       "(+ zone table, config); median of %u iterations\n",
	       res.objects, res.skipped, res.names, res.entries, iters);
	printf("%-32s %9s %17s %10s %10s  %s\n", "phase", "seconds", "(min..max)", "peak KiB",
	       "heap KiB", "map writes (ins/upd/del/unchanged, syscalls)");
	for (int p = 0; p < P_COUNT; p++) {
		double m = bench_median_dbl(res.sec[p], iters, &lo, &hi);
		const struct map_writer_stats *s = &res.st[p];

		printf("%-32s %9.3f %8.3f..%-8.3f %10ld %10ld", phase_names[p], m, lo, hi,
		       res.rss_kb[p], res.cur_kb[p]);
		if (p >= P_COMMIT)
			printf("  %lu/%lu/%lu/%lu, %lu", s->inserted, s->updated, s->deleted,
			       s->unchanged, s->syscalls);
		printf("\n");
	}
	{
		double pr = bench_median_dbl(res.sec[P_PROJECT], iters, NULL, NULL);
		double cm = bench_median_dbl(res.sec[P_COMMIT], iters, NULL, NULL);

		printf("zone_project + map_writer_commit into empty maps: %.3f s\n", pr + cm);
	}
	printf("aside: reading all answer maps back with bpf_map_lookup_batch: %.3f s, "
	       "%lu entries, %lu syscalls (one run)\n", res.dump_sec, res.dumped,
	       res.dump_syscalls);
	printf("not in any phase: skeleton open+load (verifier) %.3f s\n", res.verify_sec);
	printf("peak RSS of the process: %ld KiB\n", maxrss_kb());
	printf("kernel slab grown by the first fill of the maps: %ld MiB for %lu entries "
	       "(%.0f bytes per entry; /proc/meminfo, other activity included)\n",
	       res.slab_kb / 1024, res.entries,
	       res.entries ? res.slab_kb * 1024.0 / (double)res.entries : 0.0);
	return 0;
}
