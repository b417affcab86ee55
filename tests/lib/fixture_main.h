/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/lib/fixture_main.h - the runner of a Criterion test binary on one shared fixture.
 *
 * main() is `return fixture_main(argc, argv, fill);`: as root it loads the XDP program once,
 * calls fill(f) to write its maps (0 or -errno), pins program and maps into a private bpffs
 * (fixture_share()) and runs the tests one at a time (they share the counters). A test suite
 * uses `.init = fixture_worker_init, .fini = fixture_worker_fini`: each Criterion worker then
 * finds the maps in fixture_worker, or skips cleanly (not root, BPF not permitted) or fails
 * (the load or fill failed), with the reason.
 */
#ifndef XDPDNS_TESTS_FIXTURE_MAIN_H
#define XDPDNS_TESTS_FIXTURE_MAIN_H

#include "fixture.h"

extern struct fixture fixture_worker;

int fixture_main(int argc, char *argv[], int (*fill)(struct fixture *f));
void fixture_worker_init(void);
void fixture_worker_fini(void);

#endif
