// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpdns - the node daemon: compile the Kubernetes objects into the zone, attach the XDP
 * answer engine, fill its maps, keep the heartbeat going, and on SIGHUP reload the objects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "maps/writer.h"
#include "userspace/util/log.h"
#include "userspace/zone/publish.h"
#include "userspace/zone/zone.h"

#define MAX_REVERSE_ZONES 8

struct opts {
	char *ifnames[LOADER_MAX_IFACES];
	int ifindex[LOADER_MAX_IFACES];
	int n_ifaces;
	struct map_config mc;
	const char *objects;
	const char *zone;
	const char *pin_dir;
	const char *reverse[MAX_REVERSE_ZONES + 1];
	unsigned int ttl;
	enum zone_pods_mode pods;
	enum loader_mode mode;
	unsigned int stale_after_s;
};

static const char usage_text[] =
	"Usage: xdpdns --interface IF[,IF...] --listen ADDR[,ADDR...] --objects FILE [options]\n"
	"\n"
	"Answers the Kubernetes cluster zone from XDP: compiles the objects in FILE (a kubectl\n"
	"List: kubectl get ns,svc,endpointslices,pods -A -o json) into DNS records, attaches the\n"
	"answer engine to the interfaces and serves A, AAAA, SRV, PTR, NXDOMAIN and NODATA there.\n"
	"SIGHUP reloads FILE; SIGTERM or SIGINT detaches and removes the pins.\n"
	"\n"
	"  -i, --interface IF[,IF...]    interfaces to attach to (at most 16)\n"
	"  -l, --listen ADDR[,ADDR...]   IPv4/IPv6 addresses answered (at most 8 per family)\n"
	"  -o, --objects FILE            Kubernetes objects to serve\n"
	"  -z, --zone ZONE               cluster domain (default cluster.local)\n"
	"  -t, --ttl N                   record TTL and negative-caching TTL, 0..3600 (default 5)\n"
	"  -P, --pods MODE               pod records: insecure, verified or disabled (default insecure)\n"
	"  -p, --port N                  UDP port answered (default 53)\n"
	"  -m, --xdp-mode MODE           auto (native, else generic), native or generic (default auto)\n"
	"  -d, --pin-dir DIR             bpffs directory of the pinned maps (default " XDPDNS_PIN_DIR_DEFAULT ")\n"
	"  -r, --reverse-zone Z[,Z...]   reverse zones answered authoritatively (e.g. 96.10.in-addr.arpa);\n"
	"                                other PTR misses are passed to the slow path\n"
	"  -s, --stale-after SECONDS     pass everything once the daemon's heartbeat is older (default 30;\n"
	"                                0: never)\n"
	"  -L, --log-level LEVEL         error, warn, info or debug (default info)\n"
	"  -h, --help                    this text\n";

/* A broken configuration is refused with one line that names the problem. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s (see xdpdns --help)", msg);
	return -EINVAL;
}

static int parse_uint(const char *flag, const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || v > max)
		return bad("%s: '%s' is not a number from 0 to %lu", flag, s, max);
	*out = (unsigned int)v;
	return 0;
}

static int parse_listen(struct opts *o, char *list)
{
	char *save = NULL;

	for (char *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		struct map_config *mc = &o->mc;
		struct in_addr a4;
		struct in6_addr a6;

		if (inet_pton(AF_INET, a, &a4) == 1) {
			if (mc->n_v4 >= XDPDNS_MAX_LISTEN)
				return bad("--listen: more than %d IPv4 addresses", XDPDNS_MAX_LISTEN);
			mc->v4[mc->n_v4++] = a4;
		} else if (inet_pton(AF_INET6, a, &a6) == 1) {
			if (mc->n_v6 >= XDPDNS_MAX_LISTEN)
				return bad("--listen: more than %d IPv6 addresses", XDPDNS_MAX_LISTEN);
			mc->v6[mc->n_v6++] = a6;
		} else {
			return bad("--listen: '%s' is not an IPv4 or IPv6 address", a);
		}
	}
	return 0;
}

static int parse_ifaces(struct opts *o, char *list)
{
	char *save = NULL;

	for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		if (o->n_ifaces >= LOADER_MAX_IFACES)
			return bad("--interface: more than %d interfaces", LOADER_MAX_IFACES);
		o->ifindex[o->n_ifaces] = if_nametoindex(n);
		if (!o->ifindex[o->n_ifaces])
			return bad("--interface: no interface named '%s'", n);
		o->ifnames[o->n_ifaces++] = n;
	}
	return 0;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "objects", required_argument, NULL, 'o' },
		{ "zone", required_argument, NULL, 'z' },
		{ "ttl", required_argument, NULL, 't' },
		{ "pods", required_argument, NULL, 'P' },
		{ "port", required_argument, NULL, 'p' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "reverse-zone", required_argument, NULL, 'r' },
		{ "stale-after", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned int port = 53, n_rev = 0;
	char *save = NULL;
	int c, err;

	*o = (struct opts){ .zone = "cluster.local", .pin_dir = XDPDNS_PIN_DIR_DEFAULT, .ttl = 5,
			    .pods = ZONE_PODS_INSECURE, .mode = LOADER_MODE_AUTO,
			    .stale_after_s = 30 };
	while ((c = getopt_long(argc, argv, "i:l:o:z:t:P:p:m:d:r:s:L:h", longopts, NULL)) != -1) {
		err = 0;
		switch (c) {
		case 'i':
			err = parse_ifaces(o, optarg);
			break;
		case 'l':
			err = parse_listen(o, optarg);
			break;
		case 'o':
			o->objects = optarg;
			break;
		case 'z':
			o->zone = optarg;
			break;
		case 't':
			err = parse_uint("--ttl", optarg, 3600, &o->ttl);
			break;
		case 'P':
			if (!strcmp(optarg, "insecure"))
				o->pods = ZONE_PODS_INSECURE;
			else if (!strcmp(optarg, "verified"))
				o->pods = ZONE_PODS_VERIFIED;
			else if (!strcmp(optarg, "disabled"))
				o->pods = ZONE_PODS_DISABLED;
			else
				err = bad("--pods: '%s' is not insecure, verified or disabled", optarg);
			break;
		case 'p':
			err = parse_uint("--port", optarg, 65535, &port);
			if (!err && !port)
				err = bad("--port: 0 is not a port");
			break;
		case 'm':
			if (loader_mode_parse(optarg, &o->mode))
				err = bad("--xdp-mode: '%s' is not auto, native or generic", optarg);
			break;
		case 'd':
			o->pin_dir = optarg;
			break;
		case 'r':
			for (char *z = strtok_r(optarg, ",", &save); z; z = strtok_r(NULL, ",", &save)) {
				if (n_rev >= MAX_REVERSE_ZONES)
					return bad("--reverse-zone: more than %d zones", MAX_REVERSE_ZONES);
				o->reverse[n_rev++] = z;
			}
			break;
		case 's':
			err = parse_uint("--stale-after", optarg, 86400, &o->stale_after_s);
			break;
		case 'L':
			if (!strcmp(optarg, "error"))
				log_level_max = LOG_LVL_ERR;
			else if (!strcmp(optarg, "warn"))
				log_level_max = LOG_LVL_WARN;
			else if (!strcmp(optarg, "info"))
				log_level_max = LOG_LVL_INFO;
			else if (!strcmp(optarg, "debug"))
				log_level_max = LOG_LVL_DEBUG;
			else
				err = bad("--log-level: '%s' is not error, warn, info or debug", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		default:
			return bad("unknown option");
		}
		if (err)
			return err;
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (!o->n_ifaces)
		return bad("--interface is required");
	if (!o->mc.n_v4 && !o->mc.n_v6)
		return bad("--listen is required");
	if (!o->objects)
		return bad("--objects is required");
	if (access(o->objects, R_OK))
		return bad("--objects: cannot read '%s': %s", o->objects, strerror(errno));
	o->mc.port = (uint16_t)port;
	o->mc.edns_size = XDPDNS_EDNS_SIZE;
	o->mc.stale_after_ns = (uint64_t)o->stale_after_s * 1000000000ULL;
	return 0;
}

/* Compile the objects file into a new zone (publish_zone() sets its serial). NULL on error
 * (logged). */
static struct zone *zone_compile(const struct opts *o)
{
	uint8_t v4[XDPDNS_MAX_LISTEN][4], v6[XDPDNS_MAX_LISTEN][16];
	struct zone_config zc = {
		.zone = o->zone, .ttl = o->ttl, .pods = o->pods,
		.reverse_zones = o->reverse, .listen_v4 = (const uint8_t(*)[4])v4,
		.n_v4 = o->mc.n_v4, .listen_v6 = (const uint8_t(*)[16])v6, .n_v6 = o->mc.n_v6,
	};
	struct zone *z;
	int err;

	for (unsigned int i = 0; i < o->mc.n_v4; i++)
		memcpy(v4[i], &o->mc.v4[i], 4);
	for (unsigned int i = 0; i < o->mc.n_v6; i++)
		memcpy(v6[i], &o->mc.v6[i], 16);
	z = zone_new(&zc);
	if (!z)
		return NULL;
	err = zone_load_file(z, o->objects);
	if (err) {
		log_err("cannot load %s: %s", o->objects, strerror(-err));
		goto out_free_zone;
	}
	err = zone_build(z);
	if (err) {
		log_err("cannot build the zone: %s", strerror(-err));
		goto out_free_zone;
	}
	log_info("zone %s: %u objects, %u skipped, %u names", o->zone, zone_objects(z),
		 zone_skipped(z), zone_names(z));
	return z;

out_free_zone:
	zone_free(z);
	return NULL;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_level_max < LOG_LVL_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct publish *p = NULL;
	struct zone *z = NULL;
	struct loader ld = {};
	struct opts o;
	sigset_t sigs;
	int err, sig = 0;

	if (parse_opts(&o, argc, argv))
		return EXIT_FAILURE;
	libbpf_set_print(libbpf_log);

	/* Signals are taken synchronously by sigtimedwait() in the heartbeat loop. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	z = zone_compile(&o);
	if (!z)
		return EXIT_FAILURE;
	err = loader_open(&ld, o.pin_dir);
	if (err)
		goto out_free_zone;
	p = publish_new(&ld.maps, NULL, NULL);
	if (!p) {
		err = -errno;
		log_err("cannot read the maps: %s", strerror(-err));
		goto out_close_loader;
	}
	/* Entries the maps refuse now are retried on every tick below (publish.h). */
	err = publish_zone(p, z, NULL);
	if (!err)
		err = map_config_write(&ld.maps, &o.mc);
	if (err) {
		log_err("cannot fill the maps: %s", strerror(-err));
		goto out_free_publish;
	}
	for (int i = 0; i < o.n_ifaces; i++) {
		err = loader_attach(&ld, o.ifindex[i], o.mode);
		if (err) {
			log_err("cannot attach to %s: %s", o.ifnames[i], strerror(-err));
			goto out_detach;
		}
		log_info("attached to %s (%s mode)", o.ifnames[i],
			 ld.generic[ld.n_ifaces - 1] ? "generic" : "native");
	}
	log_info("ready");

	for (;;) {
		struct timespec tick = { .tv_sec = 1 };

		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			struct zone *nz = zone_compile(&o);

			/* A file that cannot be used now keeps the last good zone serving. */
			if (nz && !publish_zone(p, nz, NULL)) {
				zone_free(z);
				z = nz;
			} else {
				log_warn("reload failed; still serving the previous objects");
				zone_free(nz);
			}
		}
		publish_retry(p, NULL);	/* logs once into and once out of trouble */
		err = map_heartbeat_write(&ld.maps);
		if (err)
			log_warn("heartbeat: %s", strerror(-err));
	}
	log_info("%s: detaching", strsignal(sig));
	err = 0;

out_detach:
	loader_detach(&ld);
out_free_publish:
	publish_free(p);
out_close_loader:
	/* A failed start leaves alone the pins an earlier instance may still answer from. */
	loader_close(&ld, sig || !ld.reused_maps);
out_free_zone:
	zone_free(z);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
