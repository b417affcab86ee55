// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdpdns.skel.h"
#include "loader/loader.h"
#include "tests/lib/fixture.h"
#include "tests/lib/pkt.h"

#define DNS_TYPE_SOA	6
#define DNS_CLASS_IN	1
#define RR_FIXED_LEN	10	/* TYPE CLASS TTL RDLENGTH */

static void fds_reset(struct fixture *f)
{
	for (int i = 0; i < XDPDNS_CLASS_COUNT; i++)
		f->maps.answers[i] = -1;
	f->maps.zones = f->maps.config = f->maps.stats = f->maps.cache = -1;
	f->prog_fd = -1;
}

int fixture_load(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	fds_reset(f);
	f->skel = loader_load_unpinned(&f->maps);
	if (!f->skel) {
		fds_reset(f);
		return -errno;
	}
	f->prog_fd = bpf_program__fd(f->skel->progs.xdpdns_xdp);
	return 0;
}

void fixture_destroy(struct fixture *f)
{
	if (f->skel) {
		xdpdns__destroy(f->skel);	/* owns the fds */
		f->skel = NULL;
	} else {
		maps_close(&f->maps);
		if (f->prog_fd >= 0)
			close(f->prog_fd);
	}
	fds_reset(f);
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	return snprintf(buf, len, "%s/%s", dir, name) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Pins in the order of struct xdpdns_maps plus the program. */
static const char *const pin_names[] = {
	XDPDNS_MAP_ANSWERS_S, XDPDNS_MAP_ANSWERS_M, XDPDNS_MAP_ANSWERS_L, XDPDNS_MAP_ZONES,
	XDPDNS_MAP_CONFIG,    XDPDNS_MAP_STATS,	    XDPDNS_MAP_CACHE,	  FIXTURE_PROG_PIN,
};

int fixture_share(struct fixture *f)
{
	const int fds[] = { f->maps.answers[0], f->maps.answers[1], f->maps.answers[2],
			    f->maps.zones,	f->maps.config,	    f->maps.stats,
			    f->maps.cache,	f->prog_fd };
	char path[PATH_MAX];
	int err;

	/* Private: neither the mount nor the pins are ever visible outside this process tree,
	 * and nothing is created on a real filesystem, so a killed run leaves nothing behind. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("bpf", FIXTURE_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	snprintf(f->pin_dir, sizeof(f->pin_dir), "%s/xdpdns-test", FIXTURE_BPFFS);
	if (mkdir(f->pin_dir, 0700)) {
		err = -errno;
		goto out_unmount;
	}
	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		err = pin_path(path, sizeof(path), f->pin_dir, pin_names[i]);
		if (!err && bpf_obj_pin(fds[i], path))
			err = -errno;
		if (err)
			goto out_unmount;
	}
	if (setenv(FIXTURE_ENV_PIN_DIR, f->pin_dir, 1)) {
		err = -errno;
		goto out_unmount;
	}
	return 0;

out_unmount:
	umount2(FIXTURE_BPFFS, MNT_DETACH);	/* drops the directory and every pin in it */
	f->pin_dir[0] = '\0';
	return err;
}

void fixture_unshare(struct fixture *f)
{
	char path[PATH_MAX];

	if (!f->pin_dir[0])
		return;
	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (!pin_path(path, sizeof(path), f->pin_dir, pin_names[i]))
			unlink(path);
	rmdir(f->pin_dir);
	umount2(FIXTURE_BPFFS, MNT_DETACH);
	unsetenv(FIXTURE_ENV_PIN_DIR);
	f->pin_dir[0] = '\0';
}

int fixture_attach(struct fixture *f)
{
	const char *dir = getenv(FIXTURE_ENV_PIN_DIR);
	char path[PATH_MAX];
	int err;

	memset(f, 0, sizeof(*f));
	fds_reset(f);
	if (!dir)
		return -ENOENT;
	err = maps_open_pinned(&f->maps, dir);
	if (err)
		return err;
	err = pin_path(path, sizeof(path), dir, FIXTURE_PROG_PIN);
	if (!err) {
		f->prog_fd = bpf_obj_get(path);
		if (f->prog_fd < 0)
			err = -errno;
	}
	if (err)
		maps_close(&f->maps);
	return err;
}

uint64_t fixture_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fixture_config_default(struct xdpdns_config *c)
{
	memset(c, 0, sizeof(*c));
	c->heartbeat_ns = fixture_now_ns();
	c->stale_after_ns = FIXTURE_STALE_NS;
	c->port = htons(FIXTURE_PORT);
	c->edns_size = XDPDNS_EDNS_SIZE;
	c->n_v4 = 1;
	inet_pton(AF_INET, FIXTURE_LISTEN4, &c->v4[0]);
	c->n_v6 = 1;
	inet_pton(AF_INET6, FIXTURE_LISTEN6, c->v6[0].b);
}

int fixture_config_write(const struct fixture *f, const struct xdpdns_config *c)
{
	__u32 key = 0;

	return bpf_map_update_elem(f->maps.config, &key, c, BPF_ANY) ? -errno : 0;
}

int fixture_rr_add(struct xdpdns_answer *a, enum fixture_section sec, const void *owner,
		   size_t owner_len, uint16_t type, uint32_t ttl, const void *rdata, size_t rdlen)
{
	uint8_t *p = a->data + a->len;

	if ((sec == FIXTURE_AN && (a->nscount || a->arcount)) ||
	    (sec == FIXTURE_NS && a->arcount) || rdlen > 0xffff)
		return -EINVAL;
	if (a->len + owner_len + RR_FIXED_LEN + rdlen > XDPDNS_ANSWER_MAX)
		return -ENOSPC;
	memcpy(p, owner, owner_len);
	p += owner_len;
	put16(p, type);
	put16(p + 2, DNS_CLASS_IN);
	put32(p + 4, ttl);
	put16(p + 8, (uint32_t)rdlen);
	memcpy(p + RR_FIXED_LEN, rdata, rdlen);
	a->len += (uint16_t)(owner_len + RR_FIXED_LEN + rdlen);
	if (sec == FIXTURE_AN)
		a->ancount++;
	else if (sec == FIXTURE_NS)
		a->nscount++;
	else
		a->arcount++;
	return 0;
}

void fixture_soa_build(uint8_t out[XDPDNS_SOA_LEN], uint16_t ptr, const struct fixture_soa *s)
{
	memset(out, 0, XDPDNS_SOA_LEN);
	put16(out + XDPDNS_SOA_PTR_OWNER, ptr);
	put16(out + 2, DNS_TYPE_SOA);
	put16(out + 4, DNS_CLASS_IN);
	put32(out + 6, s->ttl);
	put16(out + 10, XDPDNS_SOA_LEN - 12);
	memcpy(out + 12, "\x02ns\x03" "dns", 7);
	put16(out + XDPDNS_SOA_PTR_MNAME, ptr);
	memcpy(out + 21, "\x0ahostmaster", 11);
	put16(out + XDPDNS_SOA_PTR_RNAME, ptr);
	put32(out + 34, s->serial);
	put32(out + 38, s->refresh);
	put32(out + 42, s->retry);
	put32(out + 46, s->expire);
	put32(out + 50, s->minimum);
}

int fixture_answer_put(const struct fixture *f, const uint8_t *name, size_t name_len,
		       uint16_t qtype, struct xdpdns_answer *a)
{
	struct xdpdns_key_l key;
	int err;

	if (a->len > XDPDNS_ANSWER_MAX)
		return -EINVAL;
	err = xdpdns_key_build(&key, name, name_len, qtype);
	if (err)
		return err;
	a->csum = xdpdns_csum_partial(a->data, a->len);
	memset(a->pad, 0, sizeof(a->pad));
	if (bpf_map_update_elem(f->maps.answers[xdpdns_key_class(name_len)], &key, a, BPF_ANY))
		return -errno;
	return 0;
}

int fixture_zone_put(const struct fixture *f, uint32_t idx, const uint8_t *apex, size_t apex_len,
		     uint8_t action, const struct fixture_soa *s)
{
	struct xdpdns_zone z;

	if (!apex_len || apex_len > sizeof(z.name))
		return -EINVAL;
	memset(&z, 0, sizeof(z));
	for (size_t i = 0; i < apex_len; i++)
		z.name[i] = apex[i] >= 'A' && apex[i] <= 'Z' ? apex[i] | 0x20 : apex[i];
	z.name_len = (uint16_t)apex_len;
	z.action = action;
	fixture_soa_build(z.soa, 0, s);
	z.soa_csum = xdpdns_csum_partial(z.soa, XDPDNS_SOA_LEN);
	return bpf_map_update_elem(f->maps.zones, &idx, &z, BPF_ANY) ? -errno : 0;
}

/* Per-CPU values of all XDPDNS_R_MAX counters in one batch call, or one call per key. */
int fixture_counters_reset(const struct fixture *f)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 0)
		return ncpu;
	size_t row = (size_t)ncpu * sizeof(uint64_t);
	__u32 keys[XDPDNS_R_MAX], count = XDPDNS_R_MAX;
	uint64_t *zero = calloc(XDPDNS_R_MAX, row);
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (__u32 k = 0; k < XDPDNS_R_MAX; k++)
		keys[k] = k;
	if (bpf_map_update_batch(f->maps.stats, keys, zero, &count, NULL)) {
		for (__u32 k = 0; k < XDPDNS_R_MAX && !err; k++)
			if (bpf_map_update_elem(f->maps.stats, &k, zero, BPF_ANY))
				err = -errno;
	}
	free(zero);
	return err;
}

int fixture_counters_read(const struct fixture *f, uint64_t out[XDPDNS_R_MAX])
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 0)
		return ncpu;
	__u32 keys[XDPDNS_R_MAX], count = XDPDNS_R_MAX, next;
	uint64_t *vals = calloc(XDPDNS_R_MAX, (size_t)ncpu * sizeof(uint64_t));
	int err = 0;

	if (!vals)
		return -ENOMEM;
	if ((bpf_map_lookup_batch(f->maps.stats, NULL, &next, keys, vals, &count, NULL) &&
	     errno != ENOENT) || count != XDPDNS_R_MAX) {
		for (unsigned int k = 0; k < XDPDNS_R_MAX && !err; k++)
			err = maps_read_counter(&f->maps, k, &out[k]);
		goto out_free;
	}
	for (unsigned int i = 0; i < XDPDNS_R_MAX; i++) {
		out[keys[i]] = 0;
		for (int c = 0; c < ncpu; c++)
			out[keys[i]] += vals[(size_t)i * ncpu + c];
	}
out_free:
	free(vals);
	return err;
}

int fixture_run(const struct fixture *f, const void *in, size_t in_len, void *out,
		size_t *out_len, uint32_t *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)in_len,
		    .data_out = out, .data_size_out = (__u32)*out_len, .repeat = 1);

	if (bpf_prog_test_run_opts(f->prog_fd, &o))
		return -errno;
	*out_len = o.data_size_out;
	*verdict = o.retval;
	return 0;
}
