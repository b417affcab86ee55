// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpdns - the node daemon: compile the Kubernetes objects into the zone, attach the XDP
 * answer engine, fill its maps and keep the heartbeat going. The objects come from a file
 * (--objects; SIGHUP reloads it) or from the Kubernetes API (--kubeconfig, or in-cluster):
 * listed and watched (kube/watch.h), applied to the zone as they arrive, and published after
 * every loop iteration that changed something. XDP is attached only after the first full
 * sync of every resource. Fresh maps (no earlier instance's pins) are filled while the lists
 * arrive, the kernel's writes on a second thread (maps/fill.h), so that ready follows the
 * last list closely; reused maps get only the complete zone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "maps/fill.h"
#include "maps/writer.h"
#include "userspace/kube/config.h"
#include "userspace/kube/watch.h"
#include "userspace/server/forward_opts.h"
#include "userspace/server/kubedns.h"
#include "userspace/server/promote.h"
#include "userspace/server/server.h"
#include "userspace/metrics/metrics.h"
#include "userspace/util/log.h"
#include "userspace/util/optfile.h"
#include "userspace/zone/publish.h"
#include "userspace/zone/zone.h"

#define MAX_REVERSE_ZONES 8
#define TICK_MS			1000	/* heartbeat, publish_retry(), longest wait */
#define FILL_PUBLISH_MS		100	/* fresh maps: publish at most this often while listing */
#define FILL_QUEUE_MAX		(32u << 20)	/* bytes of map writes queued for the fill thread */

struct opts {
	char *ifnames[LOADER_MAX_IFACES];
	int ifindex[LOADER_MAX_IFACES];
	int n_ifaces;
	struct map_config mc;
	const char *objects;
	const char *kubeconfig;
	bool in_cluster;	/* neither --objects nor --kubeconfig, KUBERNETES_SERVICE_HOST set */
	const char *zone;
	const char *pin_dir;
	const char *reverse[MAX_REVERSE_ZONES + 1];
	unsigned int ttl;
	enum zone_pods_mode pods;
	enum loader_mode mode;
	unsigned int stale_after_s;
	unsigned int watch_timeout_s;	/* 0: the watch engine's default */
	unsigned int tcp_idle_s, tcp_max_conns;
	struct metrics_addr http;
	struct forward_opts fwd;
	bool no_forward;	/* --upstream none */
	const char *kubedns_dir;	/* --kube-dns-config */
};

/* getopt_long's value for the forwarding flags, which forward_opts_set() takes by name */
#define OPT_FORWARD 0x100
#define OPT_KUBEDNS 0x101

/* Every flag. A --config file takes each one that has a value as a key (optfile.h). */
static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "interface", required_argument, NULL, 'i' },
	{ "listen", required_argument, NULL, 'l' },
	{ "objects", required_argument, NULL, 'o' },
	{ "kubeconfig", required_argument, NULL, 'k' },
	{ "zone", required_argument, NULL, 'z' },
	{ "ttl", required_argument, NULL, 't' },
	{ "pods", required_argument, NULL, 'P' },
	{ "port", required_argument, NULL, 'p' },
	{ "xdp-mode", required_argument, NULL, 'm' },
	{ "pin-dir", required_argument, NULL, 'd' },
	{ "reverse-zone", required_argument, NULL, 'r' },
	{ "stale-after", required_argument, NULL, 's' },
	{ "watch-timeout", required_argument, NULL, 'W' },
	{ "http", required_argument, NULL, 'H' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "tcp-idle-timeout", required_argument, NULL, 'T' },
	{ "tcp-max-conns", required_argument, NULL, 'C' },
	{ "upstream", required_argument, NULL, OPT_FORWARD },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "resolv-conf", required_argument, NULL, OPT_FORWARD },
	{ "upstream-timeout", required_argument, NULL, OPT_FORWARD },
	{ "cache-size", required_argument, NULL, OPT_FORWARD },
	{ "cache-max-ttl", required_argument, NULL, OPT_FORWARD },
	{ "serve-stale", required_argument, NULL, OPT_FORWARD },
	{ "kube-dns-config", required_argument, NULL, OPT_KUBEDNS },
	{ "help", no_argument, NULL, 'h' },
	{},
};
#define SHORTOPTS "c:i:l:o:k:z:t:P:p:m:d:r:s:W:H:L:T:C:h"

/* In a --config file: flags taking A[,B...] also take a YAML list, --forward a list or a
 * mapping ZONE: [ADDR...]; --config itself is not a key. */
static const char *const conf_lists[] = { "interface", "listen", "reverse-zone", "upstream",
					  NULL };
static const char *const conf_repeats[] = { "forward", NULL };
static const char *const conf_not_keys[] = { "config", NULL };

static const char usage_text[] =
	"Usage: xdpdns --interface IF[,IF...] --listen ADDR[,ADDR...]\n"
	"              [--objects FILE | --kubeconfig FILE] [options]\n"
	"\n"
	"Answers the Kubernetes cluster zone from XDP: compiles Namespaces, Services,\n"
	"EndpointSlices (discovery.k8s.io/v1) and, with --pods verified, Pods into DNS records,\n"
	"attaches the answer engine to the interfaces and serves A, AAAA, SRV, PTR, NXDOMAIN and\n"
	"NODATA there. The objects come from one source:\n"
	"  --objects FILE     a kubectl List (kubectl get ns,svc,endpointslices,pods -A -o json);\n"
	"                     SIGHUP reloads it\n"
	"  --kubeconfig FILE  the API server of the file's current context, listed and watched;\n"
	"                     the zone follows every change (get/list/watch access is needed)\n"
	"  neither            in a pod (KUBERNETES_SERVICE_HOST set): the API server with the\n"
	"                     service account's token and CA, as --kubeconfig\n"
	"With the API, XDP is attached and \"ready\" logged after the first full list of every\n"
	"resource. SIGTERM or SIGINT detaches and removes the pins.\n"
	"\n"
	"  -i, --interface IF[,IF...]    interfaces to attach to (at most 16)\n"
	"  -l, --listen ADDR[,ADDR...]   IPv4/IPv6 addresses answered (at most 8 per family)\n"
	"  -o, --objects FILE            Kubernetes objects to serve\n"
	"  -k, --kubeconfig FILE         Kubernetes API to follow (not with --objects)\n"
	"  -z, --zone ZONE               cluster domain (default cluster.local)\n"
	"  -t, --ttl N                   record TTL and negative-caching TTL, 0..3600 (default 5)\n"
	"  -P, --pods MODE               pod records: insecure, verified or disabled (default insecure)\n"
	"  -p, --port N                  UDP and TCP port answered (default 53)\n"
	"  -m, --xdp-mode MODE           auto (native, else generic), native or generic (default auto)\n"
	"  -d, --pin-dir DIR             bpffs directory of the pinned maps (default " XDPDNS_PIN_DIR_DEFAULT ")\n"
	"  -r, --reverse-zone Z[,Z...]   reverse zones answered authoritatively (e.g. 96.10.in-addr.arpa);\n"
	"                                other PTR misses are passed to the slow path\n"
	"  -s, --stale-after SECONDS     pass everything once the daemon's heartbeat is older (default 30;\n"
	"                                0: never)\n"
	"  -W, --watch-timeout SECONDS   with the API: watches ask to end after this long, 1..3600\n"
	"                                (default 300); a watch or list silent for this plus a\n"
	"                                tenth (2..30 s more) is replaced\n"
	"  -T, --tcp-idle-timeout SECONDS  close idle TCP connections (default 10)\n"
	"  -C, --tcp-max-conns N         open TCP connections at most (default 1024)\n"
	"Names outside the served zones (and ExternalName targets) are forwarded and cached:\n"
	FORWARD_OPTS_USAGE
	"  --upstream none                no forwarding: names outside the served zones get\n"
	"                                 REFUSED (not with --forward)\n"
	"  -H, --http ADDR:PORT          /healthz, /readyz and /metrics over HTTP on IPv4:PORT\n"
	"                                or [IPv6]:PORT ([::]:PORT: all addresses); off (default)\n"
	"  -L, --log-level LEVEL         error, warn, info or debug (default info)\n"
	"  -c, --config FILE             settings as YAML, one key per flag above (without the\n"
	"                                dashes): `ttl: 5`, `listen: [ADDR, ...]`, `forward:\n"
	"                                {ZONE: [ADDR, ...]}`; flags given here override the file\n"
	"  --kube-dns-config DIR          kube-dns's ConfigMap mounted as files: upstreamNameservers\n"
	"                                 as --upstream, stubDomains as --forward (flags win)\n"
	"  -h, --help                    this text\n";

/* "FILE:LINE: " while parse_opts() is at a value from the --config file, else "". */
static char bad_where[PATH_MAX + 16];

/* A broken configuration is refused with one line that names the problem. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s%s (see xdpdns --help)", bad_where, msg);
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

/*
 * What the command line sets, before anything is parsed: given[i] for each longopts[i] it
 * names (those keys of the --config file are left out: the command line wins), and the
 * --config path (NULL: none). --help prints the usage and exits at once, whatever the file
 * holds. Values are parsed, and bad flags reported, by parse_opts()'s one pass.
 */
static const char *cmdline_scan(int argc, char **argv, bool *given)
{
	const char *config = NULL;
	int c, li;

	opterr = 0;
	optind = 0;
	for (;;) {
		li = -1;
		c = getopt_long(argc, argv, SHORTOPTS, longopts, &li);
		if (c == -1)
			break;
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		}
		if (li < 0)	/* a short option */
			for (li = 0; longopts[li].name && longopts[li].val != c; li++)
				;
		if (!longopts[li].name)
			continue;	/* unknown, or a value missing */
		given[li] = true;
		if (c == 'c')
			config = optarg;
	}
	opterr = 1;
	optind = 0;	/* GNU: start over, fully reinitialised */
	return config;
}

/*
 * The --config file's arguments ahead of the command line's, for the daemon's lifetime (opts
 * keeps pointers into them, as into argv).
 */
static struct optfile conf;
static char **conf_argv;
static struct kubedns_config kubedns;

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct optfile_spec conf_spec = { .longopts = longopts,
						       .lists = conf_lists,
						       .repeats = conf_repeats,
						       .not_keys = conf_not_keys };
	bool given[sizeof(longopts) / sizeof(longopts[0])] = {};
	char ferr[FORWARD_ERR_MAX], oerr[OPTFILE_ERR_MAX];
	unsigned int port = 53, n_rev = 0;
	const char *config;
	char *save = NULL;
	int c, err, nargc, li = 0;

	*o = (struct opts){ .zone = "cluster.local", .pin_dir = XDPDNS_PIN_DIR_DEFAULT, .ttl = 5,
			    .pods = ZONE_PODS_INSECURE, .mode = LOADER_MODE_AUTO,
			    .stale_after_s = 30, .tcp_idle_s = SERVER_TCP_IDLE_MS / 1000,
			    .tcp_max_conns = SERVER_TCP_MAX_CONNS };
	forward_opts_init(&o->fwd);

	config = cmdline_scan(argc, argv, given);
	if (config && optfile_load(config, &conf_spec, given, &conf, oerr))
		return bad("%s", oerr);
	nargc = 1 + (int)conf.n + argc - 1;
	conf_argv = calloc((size_t)nargc + 1, sizeof(*conf_argv));
	if (!conf_argv)
		return bad("out of memory");
	conf_argv[0] = argv[0];
	for (unsigned int i = 0; i < conf.n; i++)
		conf_argv[1 + i] = conf.args[i];
	for (int i = 1; i < argc; i++)
		conf_argv[conf.n + (unsigned int)i] = argv[i];

	/* One pass over both: a key of the file is its flag, with the flag's checks. */
	while ((c = getopt_long(nargc, conf_argv, SHORTOPTS, longopts, &li)) != -1) {
		/* Each file argument is one "--name=value" element, just before optind. */
		if (optind - 1 >= 1 && optind - 1 <= (int)conf.n)
			snprintf(bad_where, sizeof(bad_where), "%s:%u: ", config,
				 conf.lines[optind - 2]);
		else
			bad_where[0] = '\0';
		err = 0;
		switch (c) {
		case 'c':	/* read by cmdline_scan() */
			break;
		case OPT_KUBEDNS:
			o->kubedns_dir = optarg;
			break;
		case OPT_FORWARD:
			if (!strcmp(longopts[li].name, "upstream") && !strcmp(optarg, "none"))
				o->no_forward = true;
			else if (forward_opts_set(&o->fwd, longopts[li].name, optarg, ferr))
				err = bad("%s", ferr);
			break;
		case 'i':
			err = parse_ifaces(o, optarg);
			break;
		case 'l':
			err = parse_listen(o, optarg);
			break;
		case 'o':
			o->objects = optarg;
			break;
		case 'k':
			o->kubeconfig = optarg;
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
		case 'W':
			err = parse_uint("--watch-timeout", optarg, 3600, &o->watch_timeout_s);
			if (!err && !o->watch_timeout_s)
				err = bad("--watch-timeout: 0 is not a timeout");
			break;
		case 'T':
			err = parse_uint("--tcp-idle-timeout", optarg, 3600, &o->tcp_idle_s);
			if (!err && !o->tcp_idle_s)
				err = bad("--tcp-idle-timeout: 0 would close every connection");
			break;
		case 'C':
			err = parse_uint("--tcp-max-conns", optarg, 1000000, &o->tcp_max_conns);
			if (!err && !o->tcp_max_conns)
				err = bad("--tcp-max-conns: 0 would refuse every connection");
			break;
		case 'H':
			if (metrics_addr_parse(optarg, &o->http))
				err = bad("--http: '%s' is not IPv4:PORT, [IPv6]:PORT or off",
					  optarg);
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
	bad_where[0] = '\0';
	if (optind < nargc)
		return bad("unexpected argument '%s'", conf_argv[optind]);
	if (!o->n_ifaces)
		return bad("--interface is required");
	if (!o->mc.n_v4 && !o->mc.n_v6)
		return bad("--listen is required");
	if (o->objects && o->kubeconfig)
		return bad("--objects and --kubeconfig are two sources: give one");
	if (!o->objects && !o->kubeconfig) {
		if (!getenv("KUBERNETES_SERVICE_HOST"))
			return bad("--objects or --kubeconfig is required (outside a pod: "
				   "KUBERNETES_SERVICE_HOST is not set)");
		o->in_cluster = true;
	}
	if (o->objects && access(o->objects, R_OK))
		return bad("--objects: cannot read '%s': %s", o->objects, strerror(errno));
	if (o->kubedns_dir && (kubedns_config_read(&kubedns, o->kubedns_dir, ferr) ||
			       kubedns_config_apply(&kubedns, o->kubedns_dir, &o->fwd,
						    o->no_forward, ferr)))
		return bad("%s", ferr);
	o->mc.port = (uint16_t)port;
	o->mc.edns_size = XDPDNS_EDNS_SIZE;
	o->mc.stale_after_ns = (uint64_t)o->stale_after_s * 1000000000ULL;
	return 0;
}

/* The HTTP endpoint's view of the daemon (metrics.h); the loop hands it over every turn. */
static struct metrics_state mst;

/* publish_zone(), timed and counted for /metrics. */
static int publish_measured(struct publish *p, struct zone *z)
{
	struct timespec t0, t1;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = publish_zone(p, z, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mst.publish_ns = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
				    (t1.tv_nsec - t0.tv_nsec));
	if (!err) {
		mst.publishes++;
		mst.publish_ok_ms = metrics_now_ms();
	}
	return err;
}

/* Hand the loop's state to the HTTP endpoint (nothing when --http is off). */
static void metrics_update(struct metrics_server *hs, const struct zone *z,
			   const struct kube_watch *kw, const struct publish *p,
			   unsigned long events, bool attached)
{
	if (!hs)
		return;
	mst.loop_ms = metrics_now_ms();
	mst.attached = attached;
	mst.kube = kw != NULL;
	if (kw) {
		mst.kube_refused = kube_watch_refused(kw);
		mst.kube_unsynced = kube_watch_unsynced(kw);
		snprintf(mst.kube_status, sizeof(mst.kube_status), "%s", kube_watch_status(kw));
	}
	mst.degraded = publish_degraded(p);
	mst.kube_events = events;
	mst.zone_objects = zone_objects(z);
	mst.zone_skipped = zone_skipped(z);
	mst.zone_names = zone_names(z);
	mst.zone_entries = zone_entries(z);
	mst.soa_serial = publish_serial(p);
	metrics_server_publish(hs, &mst);
}

/* An empty zone with the configured name, TTL, pods mode, reverse zones and glue. NULL on
 * error (logged). */
static struct zone *zone_empty(const struct opts *o)
{
	uint8_t v4[XDPDNS_MAX_LISTEN][4], v6[XDPDNS_MAX_LISTEN][16];
	struct zone_config zc = {
		.zone = o->zone, .ttl = o->ttl, .pods = o->pods,
		.reverse_zones = o->reverse, .listen_v4 = (const uint8_t(*)[4])v4,
		.n_v4 = o->mc.n_v4, .listen_v6 = (const uint8_t(*)[16])v6, .n_v6 = o->mc.n_v6,
	};
	struct zone *z;

	for (unsigned int i = 0; i < o->mc.n_v4; i++)
		memcpy(v4[i], &o->mc.v4[i], 4);
	for (unsigned int i = 0; i < o->mc.n_v6; i++)
		memcpy(v6[i], &o->mc.v6[i], 16);
	z = zone_new(&zc);
	if (!z)
		log_err("cannot create the zone: %s", strerror(errno));
	return z;
}

/* Compile the objects file into a new zone (publish_zone() sets its serial). NULL on error
 * (logged). */
static struct zone *zone_compile(const struct opts *o)
{
	struct zone *z;
	int err;

	z = zone_empty(o);
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

/*
 * ---- following the API ----
 *
 * Events are applied to one struct zone in place; the loop rebuilds it and publishes it
 * after every iteration that changed it. publish.h asks the published zone to stay unchanged
 * until the next publish: it is only re-projected by publish_retry(), which the loop never
 * calls between a change and the publish that follows it in the same iteration, nor while
 * the zone could not be rebuilt (then its names may be incomplete).
 */
struct sync {
	struct zone *z;
	struct server *srv;	/* reads z: zone_build() and the serial change under its lock */
	bool dirty;		/* objects changed since the last build */
	bool unbuilt;		/* the last build failed: the zone's names are not usable */
	bool failing;		/* an event could not be applied (logged once until one is) */
	unsigned long events;	/* applied since start */
};

/* The resources followed; pods only when pod records are verified against them. */
static const struct kube_resource sync_resources[] = {
	{ "/api/v1/namespaces", "Namespace" },
	{ "/api/v1/services", "Service" },
	{ "/apis/discovery.k8s.io/v1/endpointslices", "EndpointSlice" },
	{ "/api/v1/pods", "Pod" },
};

static const char *obj_meta(struct json_object *obj, const char *key)
{
	struct json_object *meta, *v;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * ADDED/MODIFIED: the object replaces its namesake and is marked seen for a relist's sweep.
 * One that cannot be used (skipped, logged by the zone) takes its namesake's records away:
 * what the API holds now has none. DELETED forgets it.
 */
static void sync_event(void *ctx, const struct kube_resource *r, enum kube_event_type t,
		       struct json_object *obj)
{
	struct sync *s = ctx;
	const char *ns, *name;
	unsigned int skipped;
	int err = 0, n;

	switch (t) {
	case KUBE_RELIST_BEGIN:
		err = zone_sweep_begin(s->z, r->kind);
		log_debug("kube: %s: list begins", r->kind);
		break;
	case KUBE_RELIST_END:
		n = zone_sweep(s->z, r->kind);
		if (n > 0)
			s->dirty = true;
		err = n < 0 ? n : 0;
		log_debug("kube: %s: list complete, %d swept", r->kind, n);
		break;
	case KUBE_ADDED:
	case KUBE_MODIFIED:
	case KUBE_DELETED:
		ns = obj_meta(obj, "namespace");
		name = obj_meta(obj, "name");
		if (!name) {
			log_warn("skipping a %s event: metadata.name missing", r->kind);
			return;
		}
		s->dirty = true;
		s->events++;
		if (t == KUBE_DELETED) {
			err = zone_delete(s->z, r->kind, ns, name);
			if (err == -ENOENT)	/* it had been skipped */
				err = 0;
			break;
		}
		skipped = zone_skipped(s->z);
		err = zone_load_json(s->z, obj);
		if (err)
			break;
		if (zone_skipped(s->z) != skipped) {
			err = zone_delete(s->z, r->kind, ns, name);
			if (err == -ENOENT)
				err = 0;
			break;
		}
		err = zone_mark_seen(s->z, r->kind, ns, name);
		break;
	}
	if (err && !s->failing)
		log_err("kube: cannot apply a %s event: %s; the zone is out of date for that "
			"object until it changes again or is listed again", r->kind, strerror(-err));
	s->failing = err;
}

/* Rebuild the zone and publish it. 0, or -errno (logged); after a failure the zone stays
 * dirty, to be built and published again in the next iteration. */
static int sync_publish(struct sync *s, struct publish *p)
{
	struct timespec t0, t1;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	server_zone_lock(s->srv);
	err = zone_build(s->z);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->unbuilt = err;
	if (err) {
		server_zone_unlock(s->srv);
		log_err("cannot build the zone: %s; the maps keep the previous one", strerror(-err));
		return err;
	}
	log_debug("zone: %u objects, %u names, built in %.1f ms", zone_objects(s->z),
		  zone_names(s->z),
		  (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	err = publish_measured(p, s->z);	/* sets the serial the server reads */
	server_zone_unlock(s->srv);
	if (err) {
		log_err("cannot publish the zone: %s; the maps keep the previous one",
			strerror(-err));
		return err;
	}
	s->dirty = false;
	return 0;
}

/*
 * The lists are complete: wait for the fill thread to apply what is queued and stop it.
 * Writes it could not make are logged, and the next publish commits the zone in full, which
 * writes them or enters the degraded state of publish.h, before anything reads the maps.
 */
static void fill_finish(struct map_fill *fill, struct publish *p)
{
	struct map_fill_stats fs;
	struct timespec t0, t1;
	int err;

	if (!fill)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = map_fill_finish(fill, &fs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("maps: filled while listing: %lu entries written, %lu deleted, %lu failed in "
		 "%lu batches (at most %zu KiB queued, %lu waits for the fill thread), %.1f ms "
		 "to drain", fs.written, fs.deleted, fs.failed, fs.batches, fs.peak_bytes >> 10,
		 fs.waits, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (!err)
		return;
	log_warn("maps: %lu writes of the fill failed: %s; committing the zone in full",
		 fs.failed, strerror(-err));
	publish_recheck(p);
}

struct load_job {
	struct loader *ld;
	const char *pin_dir;
	int err;
	atomic_bool done;
};

static void *load_job_run(void *arg)
{
	struct load_job *j = arg;

	j->err = loader_open(j->ld, j->pin_dir);
	atomic_store(&j->done, true);
	return NULL;
}

/*
 * loader_open() while the lists begin: the verifier takes about 0.3 s, which the first pages
 * need not wait for. Their objects go into the zone; nothing is published before the maps
 * exist. A watch engine failure stops the pumping only: the main loop meets it again.
 */
static int loader_open_listing(struct loader *ld, const char *pin_dir, struct kube_watch *kw)
{
	struct load_job j = { .ld = ld, .pin_dir = pin_dir };
	pthread_t t;

	if (pthread_create(&t, NULL, load_job_run, &j))
		return loader_open(ld, pin_dir);
	while (!atomic_load(&j.done))
		if (kube_watch_run_once(kw, 5))
			break;
	pthread_join(t, NULL);
	return j.err;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One promoter pass (nothing when there is no cache); logs once into and out of trouble. */
static void promote_run(struct promote *pr)
{
	static int failing;
	struct timespec ts;
	int err;

	if (!pr)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	err = promote_tick(pr, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	if (err && !failing)
		log_warn("promoting cached answers into the fast path: %s", strerror(-err));
	else if (!err && failing)
		log_info("promoting cached answers into the fast path: working again");
	failing = err;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_level_max < LOG_LVL_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int attach_all(struct loader *ld, const struct opts *o)
{
	int err;

	for (int i = 0; i < o->n_ifaces; i++) {
		err = loader_attach(ld, o->ifindex[i], o->mode);
		if (err) {
			log_err("cannot attach to %s: %s", o->ifnames[i], strerror(-err));
			return err;
		}
		log_info("attached to %s (%s mode)", o->ifnames[i],
			 ld->generic[ld->n_ifaces - 1] ? "generic" : "native");
	}
	return 0;
}

/* Every pending signal from the signalfd: the last of SIGTERM/SIGINT wins, SIGHUP counts. */
static int signals_read(int sfd, bool *hup)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			*hup = true;
		else
			stop = (int)si.ssi_signo;
	}
	return stop;
}

static void reload_objects(const struct opts *o, struct publish *p, struct zone **z,
			   struct server *srv)
{
	struct zone *nz = zone_compile(o);

	/* A file that cannot be used now keeps the last good zone serving. */
	if (nz && !publish_measured(p, nz)) {
		server_zone_set(srv, nz);
		zone_free(*z);
		*z = nz;
	} else {
		log_warn("reload failed; still serving the previous objects");
		zone_free(nz);
	}
}

/*
 * The forwarder's shared state and cache (*sh NULL with --upstream none), built at start so
 * a broken upstream configuration (a loop to ourselves, no usable nameserver) is refused
 * before anything is attached. 0 or -EINVAL (logged, naming the problem).
 */
static int forwarder_build(const struct opts *o, struct forward_shared **sh, struct cache **cache)
{
	struct forward_addr listen[2 * XDPDNS_MAX_LISTEN];
	char err[FORWARD_ERR_MAX];
	unsigned int n = 0;

	*sh = NULL;
	*cache = NULL;
	if (o->no_forward)
		return o->fwd.n_zones ? bad("--upstream none: nothing is forwarded, so --forward "
					    "cannot be used with it") : 0;
	for (unsigned int i = 0; i < o->mc.n_v4; i++, n++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&listen[n].sa;

		memset(&listen[n], 0, sizeof(listen[n]));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(o->mc.port);
		sin->sin_addr = o->mc.v4[i];
		listen[n].len = sizeof(*sin);
	}
	for (unsigned int i = 0; i < o->mc.n_v6; i++, n++) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&listen[n].sa;

		memset(&listen[n], 0, sizeof(listen[n]));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(o->mc.port);
		sin6->sin6_addr = o->mc.v6[i];
		listen[n].len = sizeof(*sin6);
	}
	if (forward_opts_build(&o->fwd, listen, n, sh, cache, err))
		return bad("%s", err);
	return 0;
}

/* Each server worker's forwarder (struct server_resolver), over the shared state arg. */
static int resolver_make(void *arg, unsigned int worker, struct server_resolver *out)
{
	struct forward *f = forward_new(arg);

	(void)worker;
	if (!f)
		return -errno;
	*out = (struct server_resolver){ .ctx = f, .resolve = forward_resolve,
					 .cancel = forward_cancel, .fd = forward_fd,
					 .timeout_ms = forward_timeout_ms,
					 .process = forward_process };
	return 0;
}

static void resolver_free(void *arg, unsigned int worker, struct server_resolver *r)
{
	(void)arg;
	(void)worker;
	forward_free(r->ctx);
}

/* The slow-path server on the listen addresses, answering from z, forwarding through fsh
 * (NULL: names outside the zones get REFUSED). NULL + errno (logged). */
static struct server *server_start(const struct opts *o, struct zone *z,
				   struct forward_shared *fsh)
{
	struct server_config sc = {
		.v4 = o->mc.v4, .n_v4 = o->mc.n_v4, .v6 = o->mc.v6, .n_v6 = o->mc.n_v6,
		.port = o->mc.port, .tcp_idle_ms = o->tcp_idle_s * 1000,
		.tcp_max_conns = o->tcp_max_conns, .zone = z,
		.make_resolver = fsh ? resolver_make : NULL, .free_resolver = resolver_free,
		.resolver_arg = fsh,
	};
	struct server *s = server_new(&sc);

	if (!s)
		log_err("cannot start the DNS server: %s", strerror(errno));
	return s;
}

int main(int argc, char **argv)
{
	struct kube_config kc = {};
	struct kube_watch *kw = NULL;
	struct kube_watch_opts wo = {};
	struct sync sy = {};
	struct publish *p = NULL;
	struct map_writer_bpf fill_bpf = {};
	struct map_fill *fill = NULL;
	uint64_t fill_next = 0;
	struct metrics_server *hs = NULL;
	struct zone *z = NULL;
	struct loader ld = {};
	struct server *srv = NULL;
	struct forward_shared *fsh = NULL;
	struct cache *fcache = NULL;
	struct promote *pr = NULL;
	char status[KUBE_WATCH_STATUS_MAX] = "";
	bool attached = false;
	uint64_t next_tick = 0;
	struct opts o;
	sigset_t sigs;
	int err, sig = 0, sfd;

	if (parse_opts(&o, argc, argv) || forwarder_build(&o, &fsh, &fcache))
		return EXIT_FAILURE;
	wo.watch_timeout_sec = o.watch_timeout_s;
	libbpf_set_print(libbpf_log);

	/* Signals are taken synchronously from a signalfd, polled with the API's sockets. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return EXIT_FAILURE;
	}

	if (o.objects) {
		z = zone_compile(&o);
		if (!z) {
			err = -EINVAL;
			goto out_close_sfd;
		}
	} else {
		err = o.kubeconfig ? kube_config_from_kubeconfig(&kc, o.kubeconfig) :
				     kube_config_in_cluster(&kc, NULL);
		if (err)
			goto out_close_sfd;	/* logged */
		z = zone_empty(&o);
		if (!z) {
			err = -ENOMEM;
			goto out_release_config;
		}
		sy.z = z;
		/* Pods are listed only when pod records are verified against them. */
		kw = kube_watch_new(&kc, sync_resources,
				    o.pods == ZONE_PODS_VERIFIED ? 4 : 3, sync_event, &sy, &wo);
		if (!kw) {
			err = -errno;
			log_err("cannot start the Kubernetes watch: %s", strerror(-err));
			goto out_free_zone;
		}
		log_info("following the Kubernetes API at %s (%s)", kc.server,
			 o.kubeconfig ? o.kubeconfig : "in-cluster");
	}
	err = kw ? loader_open_listing(&ld, o.pin_dir, kw) : loader_open(&ld, o.pin_dir);
	if (err)
		goto out_free_watch;
	/*
	 * Fresh maps (no earlier instance's pins) are read by nothing until XDP is attached at
	 * ready: they are filled while the lists arrive, the kernel's inserts on a second thread
	 * (maps/fill.h). Reused maps are what the running program answers from: they get only
	 * the complete zone, at the end of the first sync, as before.
	 */
	if (kw && !ld.reused_maps) {
		fill_bpf.maps = &ld.maps;
		fill = map_fill_new(&map_writer_bpf_ops, &fill_bpf, FILL_QUEUE_MAX);
		if (!fill) {
			err = -errno;
			log_err("cannot start the map fill thread: %s", strerror(-err));
			goto out_close_loader;
		}
	}
	p = fill ? publish_new(&ld.maps, &map_fill_ops, fill) : publish_new(&ld.maps, NULL, NULL);
	if (!p) {
		err = -errno;
		log_err("cannot read the maps: %s", strerror(-err));
		goto out_free_fill;
	}
	/* Hot forwarded answers into the fast path; without a cache, none (promote.h). */
	pr = fcache ? promote_new(fcache, ld.maps.cache) : NULL;
	if (fcache && !pr) {
		err = -errno;
		log_err("cannot start the cache promoter: %s", strerror(-err));
		goto out_free_publish;
	}
	if (!pr)
		promote_map_clear(ld.maps.cache);
	if (o.http.enabled) {
		hs = metrics_server_start((const struct sockaddr *)&o.http.sa, o.http.len,
					  metrics_counters_maps, &ld.maps);
		if (!hs) {
			err = -errno;
			log_err("--http %s: cannot listen: %s", o.http.text, strerror(-err));
			goto out_free_publish;
		}
		log_info("http: /healthz, /readyz and /metrics on %s", o.http.text);
	}
	metrics_update(hs, z, kw, p, sy.events, false);

	for (;;) {
		uint64_t now = now_ms();
		bool hup = false;
		int wait_ms;

		/*
		 * Attach once the zone is complete: at once with a file, after the first full
		 * list of every resource with the API. Until then nothing is published into
		 * reused maps, so an earlier instance's program keeps answering with its last
		 * good data; fresh maps, which nothing reads yet, are filled as the lists arrive.
		 */
		if (!attached && (!kw || kube_watch_synced(kw))) {
			if (kw) {
				log_info("kube: first sync complete: %u objects, %u skipped, "
					 "%lu events", zone_objects(z), zone_skipped(z), sy.events);
				fill_finish(fill, p);	/* from here on, writes are synchronous */
				err = sync_publish(&sy, p);
			} else {
				/* Entries the maps refuse now are retried on every tick (publish.h). */
				err = publish_measured(p, z);
			}
			if (!err)
				err = map_config_write(&ld.maps, &o.mc);
			if (err) {
				log_err("cannot fill the maps: %s", strerror(-err));
				goto out_free_publish;
			}
			srv = server_start(&o, z, fsh);
			if (!srv) {
				err = -errno;
				goto out_free_publish;
			}
			sy.srv = srv;
			err = attach_all(&ld, &o);
			if (err)
				goto out_detach;
			attached = true;
			log_info("ready");
			next_tick = 0;
		}

		wait_ms = next_tick > now ? (int)(next_tick - now) : 0;
		if (kw) {
			struct curl_waitfd wfd = { .fd = sfd, .events = CURL_WAIT_POLLIN };

			err = kube_watch_run_once_fds(kw, &wfd, 1, wait_ms);
			if (err) {
				log_err("kube: the watch engine failed: %s", strerror(-err));
				goto out_detach;
			}
		} else {
			struct pollfd pfd = { .fd = sfd, .events = POLLIN };

			if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
				err = -errno;
				log_err("poll: %s", strerror(-err));
				goto out_detach;
			}
		}
		sig = signals_read(sfd, &hup);
		if (sig)
			break;
		if (hup && kw)
			log_info("SIGHUP: nothing to reload, the zone follows the Kubernetes API "
				 "(status: %s)", kube_watch_status(kw));
		else if (hup && attached)
			reload_objects(&o, p, &z, srv);

		if (kw) {
			const char *st = kube_watch_status(kw);

			/* Credentials or RBAC are wrong: say so (the engine logs transient
			 * trouble itself), and when everything is well again. */
			if (strcmp(st, status)) {
				if (strstr(st, "(401)") || strstr(st, "(403)"))
					log_warn("kube: status: %s; serving the last good data", st);
				else if (!strcmp(st, "ok") && *status)
					log_info("kube: status: ok");
				else
					log_debug("kube: status: %s", st);
				snprintf(status, sizeof(status), "%s", st);
			}
			if (attached && sy.dirty)
				sync_publish(&sy, p);
			else if (!attached && fill && sy.dirty && now_ms() >= fill_next) {
				/* fresh maps, still listing: publish what has arrived */
				sync_publish(&sy, p);
				fill_next = now_ms() + FILL_PUBLISH_MS;
			}
		}

		now = now_ms();
		if (attached && now >= next_tick) {
			next_tick = now + TICK_MS;
			if (!sy.unbuilt)
				publish_retry(p, NULL);	/* logs once into and out of trouble */
			err = map_heartbeat_write(&ld.maps);
			if (err)
				log_warn("heartbeat: %s", strerror(-err));
			promote_run(pr);
		} else if (!attached && now >= next_tick) {
			next_tick = now + TICK_MS;
		}
		metrics_update(hs, z, kw, p, sy.events, attached);
	}
	log_info("%s: detaching", strsignal(sig));
	err = 0;

out_detach:
	loader_detach(&ld);
	server_free(srv);
out_free_publish:
	metrics_server_stop(hs);	/* before the maps it reads are closed */
	promote_free(pr);
	publish_free(p);
out_free_fill:
	map_fill_free(fill);	/* after the writer that queues into it, before the maps */
out_close_loader:
	/* A failed start leaves alone the pins an earlier instance may still answer from. */
	loader_close(&ld, sig || !ld.reused_maps);
out_free_watch:
	kube_watch_free(kw);
out_free_zone:
	zone_free(z);
out_release_config:
	kube_config_release(&kc);
out_close_sfd:
	close(sfd);
	forward_shared_free(fsh);	/* after the server, whose workers used it */
	cache_free(fcache);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
