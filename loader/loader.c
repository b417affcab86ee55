// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "loader.h"
#include "xdpdns.skel.h"
#include "userspace/util/log.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define PROG_NAME "xdpdns_xdp"

int loader_mode_parse(const char *s, enum loader_mode *out)
{
	static const char *const names[] = { "auto", "native", "generic" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum loader_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* libxdp keeps its dispatcher state under /sys/fs/bpf; a fresh node may not have it mounted. */
static int bpffs_ensure(const char *pin_dir)
{
	if (!on_bpffs(BPFFS_ROOT)) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			log_err("cannot mount bpffs at %s: %s", BPFFS_ROOT, strerror(errno));
			return -errno;
		}
		log_info("mounted bpffs at %s", BPFFS_ROOT);
	}
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		log_err("cannot create pin directory %s: %s", pin_dir, strerror(errno));
		return -errno;
	}
	if (!on_bpffs(pin_dir)) {
		log_err("pin directory %s is not on a bpffs", pin_dir);
		return -EINVAL;
	}
	return 0;
}

int loader_open(struct loader *ld, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = pin_dir);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .prog_name = PROG_NAME);
	char probe[PATH_MAX];
	int err;

	memset(ld, 0, sizeof(*ld));
	/* Room for "/" and the longest pin name, so no path built below is ever truncated. */
	if (strlen(pin_dir) + 32 >= sizeof(ld->pin_dir))
		return -ENAMETOOLONG;
	strcpy(ld->pin_dir, pin_dir);
	err = bpffs_ensure(pin_dir);
	if (err)
		return err;
	snprintf(probe, sizeof(probe), "%s/%s", pin_dir, XDPDNS_MAP_CONFIG);
	ld->reused_maps = access(probe, F_OK) == 0;

	ld->skel = xdpdns__open_opts(&oopts);
	if (!ld->skel) {
		err = -errno;
		log_err("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	/* libxdp loads the object (and so creates or reuses the pinned maps) for us. */
	xopts.obj = ld->skel->obj;
	ld->prog = xdp_program__create(&xopts);
	if (!ld->prog) {
		err = -errno;
		log_err("cannot create the XDP program: %s", strerror(-err));
		goto out_destroy_skel;
	}
	err = bpf_object__load(ld->skel->obj);
	if (err) {
		log_err("cannot load the BPF program (see the verifier log above): %s",
			strerror(-err));
		goto out_close_prog;
	}
	/* The program is pinned beside its maps (bpftool prog show pinned DIR/xdpdns_prog);
	 * an earlier instance's pin is replaced: its program stays attached until ours is. */
	snprintf(probe, sizeof(probe), "%s/%s", pin_dir, XDPDNS_PROG_PIN);
	if (unlink(probe) && errno != ENOENT)
		log_warn("cannot remove the old program pin %s: %s", probe, strerror(errno));
	err = bpf_program__pin(ld->skel->progs.xdpdns_xdp, probe);
	if (err) {
		log_err("cannot pin the program at %s: %s", probe, strerror(-err));
		goto out_close_prog;
	}
	ld->maps.answers[XDPDNS_CLASS_S] = bpf_map__fd(ld->skel->maps.xdpdns_ans_s);
	ld->maps.answers[XDPDNS_CLASS_M] = bpf_map__fd(ld->skel->maps.xdpdns_ans_m);
	ld->maps.answers[XDPDNS_CLASS_L] = bpf_map__fd(ld->skel->maps.xdpdns_ans_l);
	ld->maps.zones = bpf_map__fd(ld->skel->maps.xdpdns_zones);
	ld->maps.config = bpf_map__fd(ld->skel->maps.xdpdns_config);
	ld->maps.stats = bpf_map__fd(ld->skel->maps.xdpdns_stats);
	log_info("%s maps under %s", ld->reused_maps ? "reusing the" : "pinned new", pin_dir);
	return 0;

out_close_prog:
	xdp_program__close(ld->prog);	/* does not close the skeleton's object */
	ld->prog = NULL;
out_destroy_skel:
	xdpdns__destroy(ld->skel);
	ld->skel = NULL;
	return err;
}

/* Detach every xdpdns program other than ours from ifindex (an earlier instance's). */
static void detach_others(struct loader *ld, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	enum xdp_attach_mode mode;
	struct xdp_program *p;
	__u32 ours = xdp_program__id(ld->prog);

	if (!mp || libxdp_get_error(mp))
		return;
	mode = xdp_multiprog__attach_mode(mp);
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		if (strcmp(xdp_program__name(p), PROG_NAME) || xdp_program__id(p) == ours)
			continue;
		if (xdp_program__detach(p, ifindex, mode, 0))
			log_warn("cannot detach an earlier xdpdns program (id %u) from ifindex %d",
				 xdp_program__id(p), ifindex);
		else
			log_info("replaced an earlier xdpdns program (id %u) on ifindex %d",
				 xdp_program__id(p), ifindex);
	}
	xdp_multiprog__close(mp);
}

int loader_attach(struct loader *ld, int ifindex, enum loader_mode mode)
{
	bool generic = mode == LOADER_MODE_GENERIC;
	int err;

	if (ld->n_ifaces >= LOADER_MAX_IFACES)
		return -E2BIG;
	err = xdp_program__attach(ld->prog, ifindex, generic ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
	if (err && mode == LOADER_MODE_AUTO) {
		log_warn("native XDP failed on ifindex %d (%s); falling back to generic mode",
			 ifindex, strerror(-err));
		generic = true;
		err = xdp_program__attach(ld->prog, ifindex, XDP_MODE_SKB, 0);
	}
	if (err)
		return err;
	ld->ifindex[ld->n_ifaces] = ifindex;
	ld->generic[ld->n_ifaces] = generic;
	ld->n_ifaces++;
	detach_others(ld, ifindex);
	return 0;
}

void loader_detach(struct loader *ld)
{
	for (int i = 0; i < ld->n_ifaces; i++) {
		int err = xdp_program__detach(ld->prog, ld->ifindex[i],
					      ld->generic[i] ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);

		if (err)
			log_warn("cannot detach from ifindex %d: %s", ld->ifindex[i], strerror(-err));
	}
	ld->n_ifaces = 0;
}

void loader_close(struct loader *ld, bool unpin)
{
	if (unpin && ld->skel) {
		char path[PATH_MAX];
		int err;

		if (snprintf(path, sizeof(path), "%s/%s", ld->pin_dir, XDPDNS_PROG_PIN) <
			    (int)sizeof(path) && unlink(path) && errno != ENOENT)
			log_warn("cannot remove %s: %s", path, strerror(errno));
		err = bpf_object__unpin_maps(ld->skel->obj, NULL);

		if (err)
			log_warn("cannot remove the pins under %s: %s", ld->pin_dir, strerror(-err));
		else if (rmdir(ld->pin_dir) && errno != ENOENT)
			log_warn("cannot remove %s: %s", ld->pin_dir, strerror(errno));
	}
	if (ld->prog)
		xdp_program__close(ld->prog);
	ld->prog = NULL;
	xdpdns__destroy(ld->skel);
	ld->skel = NULL;
}
