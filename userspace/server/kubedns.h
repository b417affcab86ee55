/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/kubedns.h - kube-dns's ConfigMap (kube-system/kube-dns) mounted as files, as
 * forwarding settings, the way NodeLocal DNSCache reads it from /etc/kube-dns.
 *
 * In the directory, one file per ConfigMap key; two are read:
 *   upstreamNameservers  a JSON list of at most 3 addresses, IP or IP:port
 *                        (["8.8.8.8", "8.8.4.4:53"]): the default upstreams, in place of
 *                        resolv.conf's, as --upstream 8.8.8.8,8.8.4.4:53 would set them;
 *   stubDomains          a JSON object, domain -> list of addresses
 *                        ({"acme.local": ["1.2.3.4"]}): one stub zone per domain, as
 *                        --forward acme.local=1.2.3.4 would.
 * A missing file, an empty one, JSON null, [] or {}: not set. Other keys (federations) are not
 * read. The files are read once, at start: a change takes effect when the daemon restarts.
 * kube-dns also took host names as stub nameservers; they are refused here, as NodeLocal
 * DNSCache refuses them (forwarding to a name needs a resolver to find it first).
 *
 * Precedence: the daemon's own settings (flags and --config) win. kubedns_config_apply() sets
 * --upstream from upstreamNameservers only when no --upstream is given, and a stub domain
 * only when no --forward names the same zone; with --upstream none nothing is forwarded and
 * both keys are ignored. What is ignored is logged as a warning naming the file. Like
 * node-local-dns, which puts upstreamNameservers only where its own Corefile says
 * __PILLAR__UPSTREAM__SERVERS__, an operator's explicit choice is kept, and a ConfigMap
 * edited by someone else can never stop the daemon from restarting by conflicting with it.
 *
 * Functions return 0 or -errno: -EINVAL for malformed JSON, a wrong shape or a bad value,
 * -errno for a directory or file that cannot be read (a missing directory is an error: it
 * is named on purpose), -E2BIG past FORWARD_MAX_ZONES stub zones in all. The message, in
 * err[FORWARD_ERR_MAX], names the file: "DIR/stubDomains: acme.local: '1.2.3' is not ...".
 */
#ifndef XDPDNS_KUBEDNS_H
#define XDPDNS_KUBEDNS_H

#include <stdbool.h>

#include "forward_config.h"
#include "forward_opts.h"

#define KUBEDNS_MAX_UPSTREAMS	3	/* kube-dns's own limit */
#define KUBEDNS_FILE_MAX	(64 * 1024)

struct kubedns_config {
	char *upstream;				/* "A,B" for --upstream; NULL: not set */
	char *stubs[FORWARD_MAX_ZONES];		/* "DOMAIN=A,B" for --forward */
	unsigned int n_stubs;
};

/* Read and validate dir's two files into c (zeroed first). On error c is empty. */
int kubedns_config_read(struct kubedns_config *c, const char *dir, char *err);

/*
 * Add to fo what it does not set itself (see the header); c must outlive fo (fo keeps
 * pointers). no_forward: --upstream none. dir names the files in the log lines.
 */
int kubedns_config_apply(const struct kubedns_config *c, const char *dir, struct forward_opts *fo,
			 bool no_forward, char *err);

/* Free what kubedns_config_read() filled in; accepts a zeroed struct. */
void kubedns_config_release(struct kubedns_config *c);

#endif
