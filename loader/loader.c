// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/if_link.h>
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

/* DIR/NAME of a pin; loader_open() bounds pin_dir so that this never truncates. */
#define PIN_PATH_MAX (PATH_MAX + 64)
static const char *pin_path(const char *dir, const char *name, char buf[PIN_PATH_MAX])
{
	snprintf(buf, PIN_PATH_MAX, "%s/%s", dir, name);
	return buf;
}

/* The fds of the maps of a loaded skeleton (owned by the skeleton). */
static void loader_maps_of(const struct xdpdns *skel, struct xdpdns_maps *m)
{
	m->answers[XDPDNS_CLASS_S] = bpf_map__fd(skel->maps.xdpdns_ans_s);
	m->answers[XDPDNS_CLASS_M] = bpf_map__fd(skel->maps.xdpdns_ans_m);
	m->answers[XDPDNS_CLASS_L] = bpf_map__fd(skel->maps.xdpdns_ans_l);
	m->zones = bpf_map__fd(skel->maps.xdpdns_zones);
	m->config = bpf_map__fd(skel->maps.xdpdns_config);
	m->stats = bpf_map__fd(skel->maps.xdpdns_stats);
	m->cache = bpf_map__fd(skel->maps.xdpdns_cache);
}

struct xdpdns *loader_load_unpinned(struct xdpdns_maps *m)
{
	struct xdpdns *skel = xdpdns__open();
	struct bpf_map *map;
	int err = 0;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			goto out_destroy_skel;
	}
	err = xdpdns__load(skel);
	if (err)
		goto out_destroy_skel;
	loader_maps_of(skel, m);
	return skel;

out_destroy_skel:
	xdpdns__destroy(skel);
	errno = -err;
	return NULL;
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

/*
 * Pins left by a build with another map layout cannot be reused: libbpf would refuse them
 * and the start would fail, stalling an upgrade. Pins whose entries mean something else
 * (another XDPDNS_ABI in the config map) would be misread. Remove them (maps and program):
 * a program still attached keeps its maps alive, and answering, until ours replaces it.
 */
/* The pinned config map (our layout) was written by a build of our XDPDNS_ABI. A config
 * never written (a start that failed early) reads as ABI 0: replaced, which costs nothing. */
static bool abi_same(int config_fd)
{
	struct xdpdns_config cfg;
	__u32 key = 0;

	return !bpf_map_lookup_elem(config_fd, &key, &cfg) && cfg.abi == XDPDNS_ABI;
}

static void drop_incompatible_pins(struct loader *ld)
{
	char path[PIN_PATH_MAX];
	struct bpf_map *map;
	bool stale = false;

	bpf_object__for_each_map(map, ld->skel->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		const char *pin = bpf_map__pin_path(map);
		int fd = pin ? bpf_obj_get(pin) : -1;

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		     info.value_size != bpf_map__value_size(map) ||
		     info.max_entries != bpf_map__max_entries(map) ||
		     info.map_flags != bpf_map__map_flags(map)))
			stale = true;
		else if (!strcmp(bpf_map__name(map), XDPDNS_MAP_CONFIG) && !abi_same(fd))
			stale = true;
		close(fd);
	}
	if (!stale)
		return;
	log_warn("the maps pinned under %s have another layout or ABI (another xdpdns version): "
		 "replacing them", ld->pin_dir);
	bpf_object__for_each_map(map, ld->skel->obj) {
		const char *pin = bpf_map__pin_path(map);

		if (pin && unlink(pin) && errno != ENOENT)
			log_warn("cannot remove %s: %s", pin, strerror(errno));
	}
	unlink(pin_path(ld->pin_dir, XDPDNS_PROG_PIN, path));
}

int loader_open(struct loader *ld, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = pin_dir);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .prog_name = PROG_NAME);
	char path[PIN_PATH_MAX];
	int err;

	memset(ld, 0, sizeof(*ld));
	/* Room for "/" and the longest pin name, so no path built below is ever truncated. */
	if (strlen(pin_dir) + 32 >= sizeof(ld->pin_dir))
		return -ENAMETOOLONG;
	strcpy(ld->pin_dir, pin_dir);
	err = bpffs_ensure(pin_dir);
	if (err)
		return err;
	ld->skel = xdpdns__open_opts(&oopts);
	if (!ld->skel) {
		err = -errno;
		log_err("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	drop_incompatible_pins(ld);
	ld->reused_maps = access(pin_path(pin_dir, XDPDNS_MAP_CONFIG, path), F_OK) == 0;
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
	pin_path(pin_dir, XDPDNS_PROG_PIN, path);
	if (unlink(path) && errno != ENOENT)
		log_warn("cannot remove the old program pin %s: %s", path, strerror(errno));
	err = bpf_program__pin(ld->skel->progs.xdpdns_xdp, path);
	if (err) {
		log_err("cannot pin the program at %s: %s", path, strerror(-err));
		goto out_close_prog;
	}
	loader_maps_of(ld->skel, &ld->maps);
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

static __u32 prog_id_of_fd(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int our_fd(const struct loader *ld)
{
	return bpf_program__fd(ld->skel->progs.xdpdns_xdp);
}

/* Detach every xdpdns program other than ours from a libxdp dispatcher on ifindex. */
static void detach_others(struct loader *ld, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	enum xdp_attach_mode mode;
	struct xdp_program *p;
	__u32 ours = prog_id_of_fd(our_fd(ld));

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

/*
 * When an earlier xdpdns program is attached alone (libxdp falls back to that when the
 * kernel refuses its dispatcher), swap ours in atomically, in the same mode: the interface
 * never goes without an answering program. Returns 1 if it did, 0 if there was nothing to
 * replace, or -errno.
 */
static int replace_legacy(struct loader *ld, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *old;
	enum xdp_attach_mode mode;
	int err = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	old = xdp_multiprog__is_legacy(mp) ? xdp_multiprog__main_prog(mp) : NULL;
	if (old && !strcmp(xdp_program__name(old), PROG_NAME)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(old));
		__u32 old_id = xdp_program__id(old);

		mode = xdp_multiprog__attach_mode(mp);
		err = bpf_xdp_attach(ifindex, our_fd(ld), XDP_FLAGS_REPLACE |
				     (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
				     &opts);
		if (!err) {
			ld->ifindex[ld->n_ifaces] = ifindex;
			ld->generic[ld->n_ifaces] = mode == XDP_MODE_SKB;
			ld->n_ifaces++;
			log_info("replaced an earlier xdpdns program (id %u) on ifindex %d", old_id,
				 ifindex);
			err = 1;
		}
	}
	xdp_multiprog__close(mp);
	return err;
}

int loader_attach(struct loader *ld, int ifindex, enum loader_mode mode)
{
	bool generic = mode == LOADER_MODE_GENERIC;
	int err;

	if (ld->n_ifaces >= LOADER_MAX_IFACES)
		return -E2BIG;
	err = replace_legacy(ld, ifindex);
	if (err)
		return err < 0 ? err : 0;
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

/* Is our program still attached to ifindex, alone or in a dispatcher? */
static bool attached_here(struct loader *ld, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	__u32 ours = prog_id_of_fd(our_fd(ld));
	struct xdp_program *p;
	bool found = false;

	if (!mp || libxdp_get_error(mp))
		return false;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		found = p && xdp_program__id(p) == ours;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p && !found; p = xdp_multiprog__next_prog(p, mp))
		found = xdp_program__id(p) == ours;
	xdp_multiprog__close(mp);
	return found;
}

void loader_detach(struct loader *ld)
{
	for (int i = 0; i < ld->n_ifaces; i++) {
		__u32 flags = ld->generic[i] ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = our_fd(ld));
		int err;

		/* A newer instance that took over the interface keeps it. */
		if (!attached_here(ld, ld->ifindex[i])) {
			log_info("ifindex %d is served by a newer program; leaving it", ld->ifindex[i]);
			continue;
		}
		err = xdp_program__detach(ld->prog, ld->ifindex[i],
					  ld->generic[i] ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
		/* Attached by replace_legacy(): only libbpf knows; detach only if still ours. */
		if (err)
			err = bpf_xdp_detach(ld->ifindex[i], flags | XDP_FLAGS_REPLACE, &opts);
		if (err)
			log_warn("cannot detach from ifindex %d: %s", ld->ifindex[i], strerror(-err));
	}
	ld->n_ifaces = 0;
}

/* Do the pins still belong to this instance, or has a newer one taken them over? */
static bool pins_ours(struct loader *ld)
{
	char path[PIN_PATH_MAX];
	bool ours;
	int fd;

	fd = bpf_obj_get(pin_path(ld->pin_dir, XDPDNS_PROG_PIN, path));
	if (fd < 0)
		return true;
	ours = prog_id_of_fd(fd) == prog_id_of_fd(our_fd(ld));
	close(fd);
	return ours;
}

void loader_close(struct loader *ld, bool unpin)
{
	if (unpin && ld->skel && !pins_ours(ld)) {
		log_info("the pins under %s belong to a newer instance; leaving them", ld->pin_dir);
		unpin = false;
	}
	if (unpin && ld->skel) {
		char path[PIN_PATH_MAX];
		int err;

		if (unlink(pin_path(ld->pin_dir, XDPDNS_PROG_PIN, path)) && errno != ENOENT)
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
