/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * loader/loader.h - owns the skeleton: open it with its maps pinned under one bpffs
 * directory (reusing the maps pinned there by an earlier run), attach the XDP program with
 * libxdp to interfaces, and detach and unpin on request.
 *
 * Restarts never stop answering: a new instance reuses the pinned maps, attaches its
 * program first and only then removes the programs an earlier xdpdns left on the interface.
 * int functions return 0 or -errno.
 */
#ifndef XDPDNS_LOADER_H
#define XDPDNS_LOADER_H

#include <limits.h>
#include <stdbool.h>

#include "maps.h"

#define LOADER_MAX_IFACES 16

enum loader_mode {
	LOADER_MODE_AUTO,	/* native, generic when the driver cannot */
	LOADER_MODE_NATIVE,
	LOADER_MODE_GENERIC,
};

struct loader {
	struct xdpdns *skel;
	struct xdp_program *prog;
	char pin_dir[PATH_MAX];
	bool reused_maps;			/* the maps were pinned already */
	struct xdpdns_maps maps;		/* fds of the skeleton's maps, not owned */
	int n_ifaces;
	int ifindex[LOADER_MAX_IFACES];
	bool generic[LOADER_MAX_IFACES];	/* attached in generic (skb) mode */
};

/* Mount bpffs if needed, create pin_dir, open and load the program, pin or reuse its maps. */
int loader_open(struct loader *ld, const char *pin_dir);

/* Attach to ifindex in mode; replaces any xdpdns program already attached there. */
int loader_attach(struct loader *ld, int ifindex, enum loader_mode mode);

/* Detach from every interface attached by this loader. */
void loader_detach(struct loader *ld);

/* Release everything; with unpin, also remove the pins and the pin directory. */
void loader_close(struct loader *ld, bool unpin);

struct xdpdns;

/*
 * Open and load the program with nothing pinned, for tests and benchmarks that must never
 * touch a running instance's pins; fills m. NULL and errno on error; free with
 * xdpdns__destroy().
 */
struct xdpdns *loader_load_unpinned(struct xdpdns_maps *m);

/* Parse "auto", "native" or "generic"; -EINVAL otherwise. */
int loader_mode_parse(const char *s, enum loader_mode *out);

#endif
