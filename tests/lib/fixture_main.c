// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fixture_main.h"

/* How the runner tells Criterion's workers (re-executed processes) what went wrong. */
#define ENV_SKIP	"XDPDNS_TEST_SKIP"
#define ENV_FAIL	"XDPDNS_TEST_FAIL"

struct fixture fixture_worker;

void fixture_worker_init(void)
{
	const char *skip = getenv(ENV_SKIP), *fail = getenv(ENV_FAIL);
	int err;

	if (skip)
		cr_skip_test("%s", skip);
	cr_assert_null(fail, "test setup failed: %s", fail);
	err = fixture_attach(&fixture_worker);
	cr_assert_eq(err, 0, "fixture_attach: %s", strerror(-err));
}

void fixture_worker_fini(void)
{
	fixture_destroy(&fixture_worker);
}

/* Load once, fill the maps, share them with the workers; skip cleanly when not permitted. */
static int setup(struct fixture *f, int (*fill)(struct fixture *f))
{
	char msg[160];
	int err;

	if (geteuid() != 0) {
		setenv(ENV_SKIP, "needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)", 1);
		return 0;
	}
	err = fixture_load(f);
	if (err == -EPERM || err == -EACCES) {
		snprintf(msg, sizeof(msg), "BPF load not permitted: %s", strerror(-err));
		setenv(ENV_SKIP, msg, 1);
		return 0;
	}
	if (err) {
		snprintf(msg, sizeof(msg), "loading bpf/xdpdns.bpf.c: %s", strerror(-err));
		setenv(ENV_FAIL, msg, 1);
		return 0;
	}
	err = fill(f);
	if (err) {
		snprintf(msg, sizeof(msg), "filling the maps: %s", strerror(-err));
		setenv(ENV_FAIL, msg, 1);
		return 1;
	}
	err = fixture_share(f);
	if (err) {
		snprintf(msg, sizeof(msg), "private bpffs for the workers: %s", strerror(-err));
		setenv(err == -EPERM ? ENV_SKIP : ENV_FAIL, msg, 1);
	}
	return 1;
}

int fixture_main(int argc, char *argv[], int (*fill)(struct fixture *f))
{
	struct criterion_test_set *tests = criterion_initialize();
	struct fixture f;
	int ret = 0;

	if (criterion_handle_args(argc, argv, true)) {
		int loaded;

		criterion_options.jobs = 1;	/* the cases share the counters */
		loaded = setup(&f, fill);
		ret = !criterion_run_all_tests(tests);
		if (loaded) {
			fixture_unshare(&f);
			fixture_destroy(&f);
		}
	}
	criterion_finalize(tests);
	return ret;
}
