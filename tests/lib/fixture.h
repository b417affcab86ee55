/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/lib/fixture.h - the real XDP program (skeleton struct xdpdns) loaded for tests and
 * benchmarks, its maps, and hand-built map contents.
 *
 * fixture_load() opens and loads the skeleton with pinning disabled on every map, so a test
 * never touches /sys/fs/bpf or a running instance; fixture_destroy() unloads it.
 * Criterion runs each test in a re-executed worker process that inherits no descriptors:
 * fixture_share() (runner, before the tests) enters a private mount namespace, mounts a
 * fresh bpffs over FIXTURE_BPFFS there (the host's bpffs, if any, is neither seen nor
 * touched), pins program and maps under it and exports the directory in
 * FIXTURE_ENV_PIN_DIR; fixture_attach() (worker, same namespace) opens those pins;
 * fixture_unshare() removes pins and mount. The program is verified once per test binary.
 *
 * Answers are written exactly as the control plane would, but built by hand here (no
 * userspace/dns code): fixture_rr_add() appends one RR in wire format, fixture_answer_put()
 * sets csum (xdpdns_csum_partial()) and writes key/value into the map of the name's key class.
 * int functions return 0 or -errno.
 */
#ifndef XDPDNS_TESTS_FIXTURE_H
#define XDPDNS_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "maps.h"

#define FIXTURE_ENV_PIN_DIR	"XDPDNS_TEST_PIN_DIR"
#define FIXTURE_PROG_PIN	XDPDNS_PROG_PIN
#define FIXTURE_BPFFS		"/sys/fs/bpf"	/* mount point, private to the test */
#define FIXTURE_PORT		53
#define FIXTURE_LISTEN4		"198.18.0.1"
#define FIXTURE_LISTEN6		"fd00:198:18::1"
#define FIXTURE_STALE_NS	(3600ull * 1000000000ull)	/* far beyond a test run */

struct xdpdns;

struct fixture {
	struct xdpdns *skel;		/* NULL in a worker attached through the pins */
	struct xdpdns_maps maps;
	int prog_fd;
	char pin_dir[64];		/* pins in the private bpffs, "" when not shared */
};

/* Load the skeleton (pinning disabled). On error nothing stays loaded. */
int fixture_load(struct fixture *f);
/* Close or unload whatever f holds; safe after any fixture_load() / fixture_attach(). */
void fixture_destroy(struct fixture *f);

int fixture_share(struct fixture *f);
int fixture_attach(struct fixture *f);
void fixture_unshare(struct fixture *f);

/* CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get_ns(). */
uint64_t fixture_now_ns(void);

/* Port 53, listen FIXTURE_LISTEN4 / FIXTURE_LISTEN6, edns 1232, heartbeat now, fresh. */
void fixture_config_default(struct xdpdns_config *c);
int fixture_config_write(const struct fixture *f, const struct xdpdns_config *c);

enum fixture_section {
	FIXTURE_AN,
	FIXTURE_NS,
	FIXTURE_AR,
};

/*
 * Append one RR (owner bytes as given, e.g. "\xc0\x0c", TYPE, CLASS IN, TTL, RDLENGTH,
 * RDATA) to a->data and count it in its section; RRs must come in section order.
 * Returns 0, -ENOSPC (data[] would pass XDPDNS_ANSWER_MAX bytes; a is left unchanged) or
 * -EINVAL (section out of order).
 */
int fixture_rr_add(struct xdpdns_answer *a, enum fixture_section sec, const void *owner,
		   size_t owner_len, uint16_t type, uint32_t ttl, const void *rdata, size_t rdlen);

struct fixture_soa {
	uint32_t ttl, serial, refresh, retry, expire, minimum;
};

/*
 * The 54-byte SOA RR of maps/xdpdns.h ("ns.dns.<apex>", "hostmaster.<apex>") with ptr
 * (0 for the zone table, 0xc000 | offset for a pre-rendered NODATA answer) in its owner,
 * MNAME and RNAME pointers.
 */
void fixture_soa_build(uint8_t out[XDPDNS_SOA_LEN], uint16_t ptr, const struct fixture_soa *s);

/*
 * Key {qtype, name}, csum of a->data, pad zeroed; written to the name's class map.
 * -EINVAL, nothing written, for a->len over XDPDNS_ANSWER_MAX (as map_writer_add()).
 */
int fixture_answer_put(const struct fixture *f, const uint8_t *name, size_t name_len,
		       uint16_t qtype, struct xdpdns_answer *a);

/* xdpdns_zones[idx] = apex (wire, any case: stored lower-cased), action, SOA (pointers 0). */
int fixture_zone_put(const struct fixture *f, uint32_t idx, const uint8_t *apex, size_t apex_len,
		     uint8_t action, const struct fixture_soa *s);

/* Zero every per-CPU counter / read all XDPDNS_R_MAX of them summed over CPUs. */
int fixture_counters_reset(const struct fixture *f);
int fixture_counters_read(const struct fixture *f, uint64_t out[XDPDNS_R_MAX]);

/*
 * One BPF_PROG_TEST_RUN of the program over in[0..in_len). *out_len: capacity of out in,
 * bytes written out. *verdict: the XDP action.
 */
int fixture_run(const struct fixture *f, const void *in, size_t in_len, void *out,
		size_t *out_len, uint32_t *verdict);

#endif
