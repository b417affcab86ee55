// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * zone_build(): objects -> names and records, per /work/shared/k8s-dns-spec.md sections
 * 2, 4 and 7 (CoreDNS's answers, with the xdpdns column of section 4's table).
 *
 * Incremental (zone_internal.h, "units and names"): an object change marks the units it
 * feeds dirty, and a build takes each dirty unit's contributions away and adds what it
 * contributes now, then deletes the names left with nothing and sorts the records of every
 * name that changed. A service's unit is the Service with its EndpointSlices (indexed by
 * namespace and kubernetes.io/service-name), a namespace's unit its names, a pod's unit its
 * record; the static unit holds what the config implies. The first build is the same walk
 * with every unit dirty. Every new name gets its missing ancestors up to its zone's apex as
 * empty non-terminals, which live as long as a name below them does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "userspace/util/log.h"
#include "zone_internal.h"

#define SRV_PRIORITY	0
#define SRV_WEIGHT_SUM	100	/* weight = floor(100 / N), at least 1 (spec 2.3) */

struct wname {
	size_t len;
	uint8_t b[DNS_NAME_MAX];
};

enum zunit_kind { ZUNIT_STATIC, ZUNIT_NAMESPACE, ZUNIT_SERVICE, ZUNIT_POD };

static const char zunit_letter[] = "-NSP";

struct zunit {
	UT_hash_handle hh;
	struct zrr *rrs;		/* its contributions, through unext */
	struct zunit *dnext;		/* z->dirty */
	bool dirty;
	enum zunit_kind kind;
	char key[];			/* "S/ns/name", "N/ns/", "P/ns/name", "-//" */
};

struct zns_count {
	UT_hash_handle hh;
	unsigned int n;			/* objects in the namespace, the Namespace included */
	char name[];
};

struct zslices {
	UT_hash_handle hh;
	const struct zobj **v;
	size_t n, cap;
	char key[];			/* "ns/service" */
};

/* One (address, port) pair that an SRV question can return, before deduplication. */
struct srv_ent {
	const struct zport *port;
	const uint8_t *target;		/* a node's name: stable while the node lives */
	uint8_t target_len;
	struct zaddr addr;
};

struct zbuild {
	struct zone *z;
	struct zunit *unit;		/* the unit being built owns what is added */
	struct srv_ent *srv;
	size_t n_srv, srv_cap;
	struct zrr **sort;
	size_t sort_cap;
};

/* ---- names and records ---- */

static int wname_join(struct wname *out, const char *label, const uint8_t *suffix, size_t slen)
{
	size_t l = strlen(label);

	if (l == 0 || l > DNS_LABEL_MAX)
		return -EINVAL;
	if (1 + l + slen > DNS_NAME_MAX)
		return -ENAMETOOLONG;
	/* suffix may be out->b itself: move it before writing the label */
	memmove(out->b + 1 + l, suffix, slen);
	out->b[0] = (uint8_t)l;
	memcpy(out->b + 1, label, l);
	out->len = 1 + l + slen;
	return 0;
}

int zone_node_changed(struct zone *z, struct znode *n)
{
	uint16_t types[64], nt = 0;

	if (n->flags & ZNODE_CHANGED)
		return 0;
	if (z->n_changed == z->changed_cap) {
		size_t cap = z->changed_cap ? 2 * z->changed_cap : 1024;
		struct znode **v = realloc(z->changed, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		z->changed = v;
		z->changed_cap = cap;
	}
	/* The types it has now, whose entries may have to go (a new name has none). */
	if (!(n->flags & ZNODE_NEW)) {
		for (const struct zrr *r = n->rrs; r; r = r->next)
			if ((!nt || types[nt - 1] != r->type) && nt < sizeof(types) / sizeof(*types))
				types[nt++] = r->type;
		if (nt) {
			n->was = malloc(nt * sizeof(*n->was));
			if (!n->was)
				return -ENOMEM;
			memcpy(n->was, types, nt * sizeof(*n->was));
		}
		n->n_was = nt;
	}
	n->flags |= ZNODE_CHANGED;
	z->changed[z->n_changed++] = n;
	return 0;
}

static struct znode *node_new(struct zone *z, const uint8_t *name, size_t len, int zone)
{
	struct znode *n = calloc(1, sizeof(*n) + len);

	if (!n)
		return NULL;
	memcpy(n->name, name, len);
	n->len = (uint8_t)len;
	n->zone = (int8_t)zone;
	/* outside every zone: the fast path answers what we have, passes the rest */
	n->flags = ZNODE_NEW | (zone == ZNODE_NO_ZONE ? ZNODE_PASS : 0);
	if (zone_node_changed(z, n))
		goto out_free_node;
	zone_hash_oom = 0;
	HASH_ADD(hh, z->names, name, len, n);
	if (zone_hash_oom) {
		z->n_changed--;
		goto out_free_node;
	}
	z->n_names++;
	z->n_entries++;		/* its existence entry */
	return n;

out_free_node:
	free(n);
	errno = ENOMEM;
	return NULL;
}

/* The node of a lower-case name, made with its missing ancestors up to the apex. */
static struct znode *node_get(struct zone *z, const uint8_t *name, size_t len)
{
	struct znode *n = zone_node_find(z, name, len), *child;
	size_t off = 0, zlen;
	int zi;

	if (n)
		return n;
	zi = zone_find(z, name, len, true);
	n = node_new(z, name, len, zi < 0 ? ZNODE_NO_ZONE : zi);
	if (!n || zi < 0)
		return n;
	zlen = z->zones[zi].len;
	for (child = n; len - off > zlen; child = child->parent) {
		struct znode *p;

		off += name[off] + 1;
		p = zone_node_find(z, name + off, len - off);
		child->parent = p ? p : node_new(z, name + off, len - off, zi);
		if (!child->parent)
			return NULL;	/* the names made so far have no refs: the build drops them */
		child->parent->refs++;
		if (p)
			break;	/* an existing node has its ancestors */
	}
	return n;
}

/* A contribution of the unit being built. */
static int rr_add(struct zbuild *b, struct znode *n, uint16_t type, uint32_t ttl, uint8_t rank,
		  const void *rdata, size_t rdlen)
{
	struct zrr *r;
	int err = zone_node_changed(b->z, n);

	if (err)
		return err;
	r = malloc(sizeof(*r) + rdlen);
	if (!r)
		return -ENOMEM;
	r->next = NULL;
	r->node = n;
	r->ttl = ttl;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->rank = rank;
	if (rdlen)	/* the SOA placeholder has no rdata (and rdata NULL) */
		memcpy(r->rdata, rdata, rdlen);
	r->rnext = n->raw;
	if (n->raw)
		n->raw->rprev = &r->rnext;
	r->rprev = &n->raw;
	n->raw = r;
	n->refs++;
	r->unext = b->unit->rrs;
	b->unit->rrs = r;
	return 0;
}

static int name_add_rr(struct zbuild *b, const struct wname *name, uint16_t type, uint8_t rank,
		       const void *rdata, size_t rdlen)
{
	struct znode *n = node_get(b->z, name->b, name->len);

	return n ? rr_add(b, n, type, b->z->ttl, rank, rdata, rdlen) : -ENOMEM;
}

static int name_add_addr(struct zbuild *b, const struct wname *name, const struct zaddr *a)
{
	return name_add_rr(b, name, a->family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA, 0, a->b,
			   a->family == 4 ? 4 : 16);
}

/* The name exists (an empty non-terminal at least) while the unit says so. */
static int name_ensure(struct zbuild *b, const struct wname *name)
{
	return name_add_rr(b, name, ZRR_EXISTS, 0, NULL, 0);
}

static int ptr_add(struct zbuild *b, const struct zaddr *a, const struct wname *target,
		   uint8_t rank)
{
	struct wname rev;
	int len;

	len = a->family == 4 ? dns_name_from_ip4(rev.b, sizeof(rev.b), a->b)
			     : dns_name_from_ip6(rev.b, sizeof(rev.b), a->b);
	if (len < 0)
		return len;
	rev.len = (size_t)len;
	return name_add_rr(b, &rev, DNS_TYPE_PTR, rank, target->b, target->len);
}

/* The "system-assigned" endpoint / pod name (spec 2.4): 10-0-0-1, fd00--1 ("fd00--" + "0") */
static void addr_dashed(const struct zaddr *a, char *out, size_t cap)
{
	size_t l;

	if (a->family == 4) {
		snprintf(out, cap, "%u-%u-%u-%u", a->b[0], a->b[1], a->b[2], a->b[3]);
		return;
	}
	if (!inet_ntop(AF_INET6, a->b, out, (socklen_t)cap)) {
		out[0] = '\0';
		return;
	}
	for (char *p = out; *p; p++)
		if (*p == ':' || *p == '.')	/* '.': the dotted tail of ::ffff:a.b.c.d */
			*p = '-';
	l = strlen(out);
	if (l && out[l - 1] == '-' && l + 1 < cap) {
		out[l] = '0';
		out[l + 1] = '\0';
	}
}

static void name_too_long(const struct zobj *o, const char *what)
{
	log_warn("%s %s/%s: no record for %s: name over %d bytes", zobj_kind_names[o->kind], o->ns,
		 o->name, what, DNS_NAME_MAX);
}

/* ---- static records ---- */

static int build_apexes(struct zbuild *b)
{
	struct zone *z = b->z;
	static const char *const ents[] = { "svc", "pod" };
	static const uint8_t txt_version[] = "\x05" ZONE_SCHEMA_VERSION;
	struct wname nm;
	struct znode *n;
	int err;

	for (unsigned int i = 0; i < z->n_zones; i++) {
		if (z->zones[i].action != XDPDNS_ZONE_AUTH)
			continue;
		n = node_get(z, z->zones[i].name, z->zones[i].len);
		if (!n)
			return -ENOMEM;
		n->flags |= ZNODE_APEX;
		/* SOA rdata is rendered per answer (its pointers depend on the question). */
		err = rr_add(b, n, DNS_TYPE_SOA, z->ttl, 0, NULL, 0);
		if (!err)
			err = rr_add(b, n, DNS_TYPE_NS, z->ttl, 0, z->ns_name, z->ns_name_len);
		if (err)
			return err;
	}
	memcpy(nm.b, z->ns_name, z->ns_name_len);
	nm.len = z->ns_name_len;
	err = name_ensure(b, &nm);
	for (unsigned int i = 0; !err && i < z->n_v4; i++)
		err = name_add_rr(b, &nm, DNS_TYPE_A, 0, z->v4[i], 4);
	for (unsigned int i = 0; !err && i < z->n_v6; i++)
		err = name_add_rr(b, &nm, DNS_TYPE_AAAA, 0, z->v6[i], 16);
	if (err)
		return err;

	err = wname_join(&nm, "dns-version", z->apex, z->apex_len);
	if (!err) {
		n = node_get(z, nm.b, nm.len);
		err = n ? rr_add(b, n, DNS_TYPE_TXT, ZONE_TXT_TTL, 0, txt_version,
				 sizeof(txt_version) - 1)
			: -ENOMEM;
	}
	for (unsigned int i = 0; !err && i < sizeof(ents) / sizeof(ents[0]); i++) {
		err = wname_join(&nm, ents[i], z->apex, z->apex_len);
		if (!err)
			err = name_ensure(b, &nm);
	}
	/* zone_new() checked the apex leaves room for these labels */
	return err;
}

/* ---- namespaces ---- */

/* <ns>.svc.<zone>, and <ns>.pod.<zone> unless pod records are disabled. */
static int ns_build(struct zbuild *b, const char *ns)
{
	struct zone *z = b->z;
	struct wname nm, base;
	int err;

	err = wname_join(&base, "svc", z->apex, z->apex_len);
	if (err)
		return err;
	if (wname_join(&nm, ns, base.b, base.len)) {
		log_warn("namespace %s: name over %d bytes", ns, DNS_NAME_MAX);
		return 0;
	}
	err = name_ensure(b, &nm);
	if (err || z->pods == ZONE_PODS_DISABLED)
		return err;
	err = wname_join(&base, "pod", z->apex, z->apex_len);
	if (!err && !wname_join(&nm, ns, base.b, base.len))
		err = name_ensure(b, &nm);
	return err;
}

/* ---- services ---- */

static int srv_push(struct zbuild *b, const struct zport *port, const uint8_t *target,
		    size_t target_len, const struct zaddr *addr)
{
	struct srv_ent *e;

	if (b->n_srv == b->srv_cap) {
		size_t cap = b->srv_cap ? 2 * b->srv_cap : 64;
		struct srv_ent *p = realloc(b->srv, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->srv = p;
		b->srv_cap = cap;
	}
	e = &b->srv[b->n_srv++];
	e->port = port;
	e->target = target;
	e->target_len = (uint8_t)target_len;
	e->addr = *addr;
	return 0;
}

static int srv_ent_cmp(const void *pa, const void *pb)
{
	const struct srv_ent *a = pa, *b = pb;
	int c;

	c = strcmp(a->port->name, b->port->name);
	if (!c)
		c = strcmp(a->port->proto, b->port->proto);
	if (!c)
		c = a->port->port - b->port->port;
	if (!c)
		c = a->target_len - b->target_len;
	if (!c)
		c = memcmp(a->target, b->target, a->target_len);
	if (!c)
		c = memcmp(&a->addr, &b->addr, sizeof(a->addr));
	return c;
}

static int srv_rr_add(struct zbuild *b, struct znode *n, const struct srv_ent *e, size_t count)
{
	uint16_t weight = (uint16_t)(count >= SRV_WEIGHT_SUM ? 1 : SRV_WEIGHT_SUM / count);
	uint8_t rd[6 + DNS_NAME_MAX];

	rd[0] = SRV_PRIORITY >> 8;
	rd[1] = SRV_PRIORITY & 0xff;
	rd[2] = weight >> 8;
	rd[3] = weight & 0xff;
	rd[4] = (uint8_t)(e->port->port >> 8);
	rd[5] = e->port->port & 0xff;
	memcpy(rd + 6, e->target, e->target_len);
	return rr_add(b, n, DNS_TYPE_SRV, b->z->ttl, 0, rd, 6 + e->target_len);
}

/*
 * SRV records from the (address, port) entries collected for a service (spec 2.3/2.4):
 * _<port>._<proto>.<svc> for each named port, and the bare <svc> name with every port.
 * N, the weight's divisor, counts the entries that match the question, deduplicated only
 * where an EndpointSlice repeats an endpoint; equal (target, port) records then collapse
 * into one when the name's records are deduplicated.
 */
static int srv_build(struct zbuild *b, const struct zobj *svc, const struct wname *base)
{
	struct zone *z = b->z;
	struct znode *bare;
	size_t n = 0;
	int err;

	if (!b->n_srv)
		return 0;
	qsort(b->srv, b->n_srv, sizeof(*b->srv), srv_ent_cmp);
	for (size_t i = 0; i < b->n_srv; i++)
		if (!n || srv_ent_cmp(&b->srv[i], &b->srv[n - 1]))
			b->srv[n++] = b->srv[i];
	b->n_srv = n;

	bare = node_get(z, base->b, base->len);
	if (!bare)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = srv_rr_add(b, bare, &b->srv[i], n);
		if (err)
			return err;
	}
	for (size_t i = 0, j; i < n; i = j) {
		const struct zport *p = b->srv[i].port;
		char plabel[DNS_LABEL_MAX + 1], tlabel[8];
		struct wname nm;
		struct znode *node;

		for (j = i + 1; j < n && !strcmp(b->srv[j].port->name, p->name) &&
				!strcmp(b->srv[j].port->proto, p->proto);
		     j++)
			;
		if (!p->name[0])	/* unnamed ports only serve the bare name (spec 2.3.2) */
			continue;
		snprintf(plabel, sizeof(plabel), "_%s", p->name);
		snprintf(tlabel, sizeof(tlabel), "_%s", p->proto);
		if (wname_join(&nm, tlabel, base->b, base->len) ||
		    wname_join(&nm, plabel, nm.b, nm.len)) {
			name_too_long(svc, "an SRV name");
			continue;
		}
		node = node_get(z, nm.b, nm.len);
		if (!node)
			return -ENOMEM;
		for (size_t k = i; k < j; k++) {
			err = srv_rr_add(b, node, &b->srv[k], j - i);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The ready endpoints of a ClusterIP or headless service: names, addresses, PTRs, SRV. */
static int endpoints_build(struct zbuild *b, const struct zobj *svc, const struct wname *base,
			   const struct zslices *slices)
{
	bool headless = svc->svc.type == ZSVC_HEADLESS;
	struct zone *z = b->z;
	int err;

	for (size_t si = 0; slices && si < slices->n; si++) {
		const struct zobj *sl = slices->v[si];

		for (unsigned int i = 0; i < sl->slice.n_eps; i++) {
			const struct zendpoint *ep = &sl->slice.eps[i];

			if (!ep->ready)	/* serving and terminating are ignored (spec 2.4) */
				continue;
			for (unsigned int a = 0; a < ep->n_addrs; a++) {
				const struct zaddr *addr = &ep->addrs[a];
				char dashed[INET6_ADDRSTRLEN + 2];
				const char *label = ep->hostname;
				struct znode *epn;
				struct wname nm;

				if (!label[0]) {
					addr_dashed(addr, dashed, sizeof(dashed));
					label = dashed;
				}
				if (!dns_label_is_ldh(label, strlen(label)) ||
				    wname_join(&nm, label, base->b, base->len)) {
					name_too_long(svc, "an endpoint name");
					continue;
				}
				err = name_add_addr(b, &nm, addr);
				if (!err)
					err = ptr_add(b, addr, &nm, ZRR_RANK_ENDPOINT);
				if (!err && headless)
					err = name_add_addr(b, base, addr);
				if (err)
					return err;
				if (!headless)
					continue;
				epn = zone_node_find(z, nm.b, nm.len);
				for (unsigned int p = 0; p < sl->slice.n_ports; p++) {
					if (sl->slice.ports[p].port == ZPORT_NONE)
						continue;	/* A only; SRV gives NODATA */
					err = srv_push(b, &sl->slice.ports[p], epn->name, epn->len,
						       addr);
					if (err)
						return err;
				}
			}
		}
	}
	return 0;
}

static int service_build(struct zbuild *b, const struct zobj *svc, const struct zslices *slices)
{
	struct zone *z = b->z;
	struct wname base;
	int err;

	if (wname_join(&base, "svc", z->apex, z->apex_len) ||
	    wname_join(&base, svc->ns, base.b, base.len) ||
	    wname_join(&base, svc->name, base.b, base.len)) {
		name_too_long(svc, "the service name");
		return 0;
	}
	if (svc->svc.type == ZSVC_EXTERNAL_NAME) {
		/* The fast path answers the CNAME question; every other type chases the
		 * target in the slow path (a CNAME owner passes). Nothing exists below. */
		struct znode *n = node_get(z, base.b, base.len);

		if (!n)
			return -ENOMEM;
		return rr_add(b, n, DNS_TYPE_CNAME, z->ttl, 0, svc->svc.ext, svc->svc.ext_len);
	}
	b->n_srv = 0;
	if (svc->svc.type == ZSVC_CLUSTER_IP) {
		for (unsigned int i = 0; i < svc->svc.n_ips; i++) {
			const struct zaddr *ip = &svc->svc.ips[i];

			err = name_add_addr(b, &base, ip);
			if (!err)
				err = ptr_add(b, ip, &base, ZRR_RANK_CLUSTER_IP);
			if (err)
				return err;
		}
		/* name_add_addr() above made base a node: its name is stable */
		for (unsigned int i = 0; i < svc->svc.n_ips; i++) {
			const struct znode *n = zone_node_find(z, base.b, base.len);

			for (unsigned int p = 0; p < svc->svc.n_ports; p++) {
				err = srv_push(b, &svc->svc.ports[p], n->name, n->len,
					       &svc->svc.ips[i]);
				if (err)
					return err;
			}
		}
	}
	err = endpoints_build(b, svc, &base, slices);
	if (err)
		return err;
	return srv_build(b, svc, &base);
}

/* ---- pods ---- */

static int pod_build(struct zbuild *b, const struct zobj *o)
{
	struct zone *z = b->z;
	struct wname pod;
	int err;

	if (z->pods != ZONE_PODS_VERIFIED || o->pod.deleting)
		return 0;
	err = wname_join(&pod, "pod", z->apex, z->apex_len);
	if (err)
		return err;
	for (unsigned int i = 0; i < o->pod.n_ips; i++) {
		char dashed[INET6_ADDRSTRLEN + 2];
		struct wname nm;

		addr_dashed(&o->pod.ips[i], dashed, sizeof(dashed));
		if (!dns_label_is_ldh(dashed, strlen(dashed)) ||
		    wname_join(&nm, o->ns, pod.b, pod.len) ||
		    wname_join(&nm, dashed, nm.b, nm.len)) {
			name_too_long(o, "a pod address");
			continue;
		}
		err = name_add_addr(b, &nm, &o->pod.ips[i]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- finalize: sort, deduplicate, rank PTRs ---- */

static int rr_cmp(const void *pa, const void *pb)
{
	const struct zrr *a = *(const struct zrr *const *)pa, *b = *(const struct zrr *const *)pb;
	size_t l = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	int c;

	if (a->type != b->type)
		return a->type - b->type;
	c = memcmp(a->rdata, b->rdata, l);
	if (c)
		return c;
	if (a->rdlen != b->rdlen)
		return a->rdlen - b->rdlen;
	return a->rank - b->rank;
}

static bool rr_same(const struct zrr *a, const struct zrr *b)
{
	return a->type == b->type && a->rdlen == b->rdlen && !memcmp(a->rdata, b->rdata, a->rdlen);
}

/* The answer records from the contributions: sorted, deduplicated, PTRs ranked. */
static int node_finalize(struct zbuild *b, struct znode *n)
{
	struct zrr **v, *r;
	size_t cnt = 0, out = 0;
	bool ptr_cluster = false, cname = false;
	uint16_t types = 0;

	for (r = n->raw; r; r = r->rnext)
		cnt++;
	if (cnt > b->sort_cap) {
		v = realloc(b->sort, cnt * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->sort = v;
		b->sort_cap = cnt;
	}
	v = b->sort;
	cnt = 0;
	for (r = n->raw; r; r = r->rnext)
		if (r->type != ZRR_EXISTS)
			v[cnt++] = r;
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), rr_cmp);
	for (size_t i = 0; i < cnt; i++)
		if (v[i]->type == DNS_TYPE_PTR && v[i]->rank == ZRR_RANK_CLUSTER_IP)
			ptr_cluster = true;
	for (size_t i = 0; i < cnt; i++) {
		if (out && rr_same(v[i], v[out - 1]))
			continue;
		/* A ClusterIP's PTR: the first service wins (lowest target), endpoints lose. */
		if (ptr_cluster && v[i]->type == DNS_TYPE_PTR &&
		    (v[i]->rank != ZRR_RANK_CLUSTER_IP ||
		     (out && v[out - 1]->type == DNS_TYPE_PTR)))
			continue;
		v[out++] = v[i];
	}
	n->rrs = NULL;
	for (size_t i = out; i-- > 0;) {
		v[i]->next = n->rrs;
		n->rrs = v[i];
		if (i == 0 || v[i - 1]->type != v[i]->type)
			types++;
		if (v[i]->type == DNS_TYPE_CNAME)
			cname = true;
	}
	/* A CNAME owner (ExternalName) passes every other type to the slow path. */
	if (cname || n->zone == ZNODE_NO_ZONE)
		n->flags |= ZNODE_PASS;
	else
		n->flags &= (uint8_t)~ZNODE_PASS;
	b->z->n_entries += types;
	b->z->n_entries -= n->n_types;
	n->n_types = types;
	return 0;
}

/* A name with no contributions and nothing below: gone, and so maybe its parent. */
static void node_drop(struct zone *z, struct znode *n)
{
	while (n && !n->refs && !(n->flags & ZNODE_DEAD)) {
		struct znode *parent = n->parent;

		if (zone_node_changed(z, n)) {
			/* keep it, empty: it answers NODATA until a build can drop it */
			log_err("zone: out of memory dropping a name; it answers NODATA");
			return;
		}
		HASH_DEL(z->names, n);
		n->flags |= ZNODE_DEAD;
		n->rrs = NULL;
		z->n_names--;
		z->n_entries -= 1 + n->n_types;
		n->n_types = 0;
		if (parent)
			parent->refs--;
		n = parent;
	}
}

/* ---- units ---- */

static struct zunit *unit_find(const struct zone *z, const char *key, size_t klen)
{
	struct zunit *u;

	HASH_FIND(hh, z->units, key, klen, u);
	return u;
}

static size_t unit_key(char *key, size_t cap, enum zunit_kind kind, const char *ns,
		       const char *name)
{
	return (size_t)snprintf(key, cap, "%c/%s/%s", zunit_letter[kind], ns, name);
}

#define UNIT_KEY_MAX (4 + DNS_LABEL_MAX + DNS_NAME_MAX + 1)

/* Mark the unit (made if needed) to be built again. 0 or -ENOMEM. */
static int unit_dirty(struct zone *z, enum zunit_kind kind, const char *ns, const char *name)
{
	char key[UNIT_KEY_MAX];
	size_t klen = unit_key(key, sizeof(key), kind, ns, name);
	struct zunit *u = unit_find(z, key, klen);

	if (!u) {
		u = calloc(1, sizeof(*u) + klen + 1);
		if (!u)
			return -ENOMEM;
		u->kind = kind;
		memcpy(u->key, key, klen + 1);
		zone_hash_oom = 0;
		HASH_ADD(hh, z->units, key, klen, u);
		if (zone_hash_oom) {
			free(u);
			return -ENOMEM;
		}
	}
	if (!u->dirty) {
		u->dirty = true;
		u->dnext = z->dirty;
		z->dirty = u;
	}
	return 0;
}

/* Take the unit's contributions away (their names are noted as changed). */
static int unit_retract(struct zone *z, struct zunit *u)
{
	while (u->rrs) {
		struct zrr *r = u->rrs;
		int err = zone_node_changed(z, r->node);

		if (err)
			return err;
		u->rrs = r->unext;
		*r->rprev = r->rnext;
		if (r->rnext)
			r->rnext->rprev = r->rprev;
		r->node->refs--;
		free(r);
	}
	return 0;
}

static const struct zobj *obj_find(const struct zone *z, enum zobj_kind kind, const char *ns,
				   const char *name)
{
	char key[UNIT_KEY_MAX + 16];
	struct zobj *o;

	snprintf(key, sizeof(key), "%s/%s/%s", zobj_kind_names[kind], ns, name);
	HASH_FIND_STR(z->objs, key, o);
	return o;
}

static struct zslices *slices_find(const struct zone *z, const char *ns, const char *svc)
{
	char key[2 * DNS_LABEL_MAX + 3];
	size_t klen = (size_t)snprintf(key, sizeof(key), "%s/%s", ns, svc);
	struct zslices *s;

	HASH_FIND(hh, z->slices, key, klen, s);
	return s;
}

static struct zns_count *ns_find(const struct zone *z, const char *ns)
{
	struct zns_count *c;

	HASH_FIND_STR(z->ns_counts, ns, c);
	return c;
}

/*
 * What the unit contributes now. *needed says whether it must stay (something it is built
 * from exists), so a unit nothing refers to any more is freed.
 */
static int unit_build(struct zbuild *b, struct zunit *u, bool *needed)
{
	char ns[DNS_LABEL_MAX + 2], name[DNS_NAME_MAX + 1];
	const char *p = u->key + 2, *slash = strchr(p, '/');
	const struct zobj *o;
	struct zslices *sl;

	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - p), p);
	snprintf(name, sizeof(name), "%s", slash + 1);
	b->unit = u;
	*needed = true;
	switch (u->kind) {
	case ZUNIT_STATIC:
		return build_apexes(b);
	case ZUNIT_NAMESPACE:
		*needed = ns_find(b->z, ns) != NULL;
		return *needed ? ns_build(b, ns) : 0;
	case ZUNIT_SERVICE:
		o = obj_find(b->z, ZOBJ_SERVICE, ns, name);
		sl = slices_find(b->z, ns, name);
		*needed = o || sl;
		return o ? service_build(b, o, sl) : 0;
	case ZUNIT_POD:
		o = obj_find(b->z, ZOBJ_POD, ns, name);
		*needed = o != NULL;
		return o ? pod_build(b, o) : 0;
	}
	return 0;
}

/* ---- objects -> units ---- */

static int ns_ref(struct zone *z, const char *ns, bool up)
{
	struct zns_count *c = ns_find(z, ns);
	size_t len = strlen(ns);

	if (!c && !up)
		return 0;
	if (!c) {
		c = calloc(1, sizeof(*c) + len + 1);
		if (!c)
			return -ENOMEM;
		memcpy(c->name, ns, len + 1);
		zone_hash_oom = 0;
		HASH_ADD(hh, z->ns_counts, name, len, c);
		if (zone_hash_oom) {
			free(c);
			return -ENOMEM;
		}
	}
	if (up && c->n++)
		return 0;
	if (!up && --c->n)
		return 0;
	if (!c->n) {
		HASH_DEL(z->ns_counts, c);
		free(c);
	}
	return unit_dirty(z, ZUNIT_NAMESPACE, ns, "");	/* it appears or goes */
}

static int slices_add(struct zone *z, const struct zobj *o)
{
	struct zslices *s = slices_find(z, o->ns, o->slice.service);

	if (!s) {
		char key[2 * DNS_LABEL_MAX + 3];
		size_t klen = (size_t)snprintf(key, sizeof(key), "%s/%s", o->ns, o->slice.service);

		s = calloc(1, sizeof(*s) + klen + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s->key, key, klen + 1);
		zone_hash_oom = 0;
		HASH_ADD(hh, z->slices, key, klen, s);
		if (zone_hash_oom) {
			free(s);
			return -ENOMEM;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4;
		const struct zobj **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = o;
	return 0;
}

static void slices_remove(struct zone *z, const struct zobj *o)
{
	struct zslices *s = slices_find(z, o->ns, o->slice.service);

	for (size_t i = 0; s && i < s->n; i++) {
		if (s->v[i] != o)
			continue;
		s->v[i] = s->v[--s->n];
		if (!s->n) {
			HASH_DEL(z->slices, s);
			free(s->v);
			free(s);
		}
		return;
	}
}

/* The unit an object feeds (besides its namespace's). */
static int obj_unit_dirty(struct zone *z, const struct zobj *o)
{
	switch (o->kind) {
	case ZOBJ_SERVICE:
		return unit_dirty(z, ZUNIT_SERVICE, o->ns, o->name);
	case ZOBJ_SLICE:
		return unit_dirty(z, ZUNIT_SERVICE, o->ns, o->slice.service);
	case ZOBJ_POD:
		return z->pods == ZONE_PODS_VERIFIED ? unit_dirty(z, ZUNIT_POD, o->ns, o->name) : 0;
	default:
		return 0;
	}
}

int zone_obj_link(struct zone *z, const struct zobj *o)
{
	int err = ns_ref(z, o->kind == ZOBJ_NAMESPACE ? o->name : o->ns, true);

	if (!err && o->kind == ZOBJ_SLICE)
		err = slices_add(z, o);
	if (!err)
		err = obj_unit_dirty(z, o);
	return err;
}

/* The units exist (the object's link made them, a build keeps them while it exists), so
 * marking them allocates nothing but the dirty mark; only a failed link can leave one out. */
void zone_obj_unlink(struct zone *z, const struct zobj *o)
{
	int err;

	if (o->kind == ZOBJ_SLICE)
		slices_remove(z, o);
	err = obj_unit_dirty(z, o);
	if (!err)
		err = ns_ref(z, o->kind == ZOBJ_NAMESPACE ? o->name : o->ns, false);
	if (err)
		log_err("zone: %s %s/%s: out of memory; its records may outlive it until the "
			"next relist", zobj_kind_names[o->kind], o->ns, o->name);
}

/* ---- build ---- */

/*
 * Dirty units are built one at a time; a unit that fails (only allocation can) is taken
 * away again and stays dirty for the next build, so the zone never holds half a unit.
 */
int zone_build(struct zone *z)
{
	struct zbuild *b = z->scratch;
	struct zunit *u, *next, *retry = NULL;
	int err = 0, first = 0;

	if (!b) {
		b = z->scratch = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->z = z;
	}
	if (!z->built) {
		err = unit_dirty(z, ZUNIT_STATIC, "", "");
		if (err)
			return err;
		z->built = true;
	}
	for (u = z->dirty, z->dirty = NULL; u; u = next) {
		bool needed;

		next = u->dnext;
		u->dirty = false;
		err = unit_retract(z, u);
		if (!err)
			err = unit_build(b, u, &needed);
		if (err) {
			unit_retract(z, u);
			u->dirty = true;
			u->dnext = retry;
			retry = u;
			first = first ? first : err;
			continue;
		}
		if (!needed && !u->rrs) {
			HASH_DEL(z->units, u);
			free(u);
		}
	}
	z->dirty = retry;
	for (size_t i = 0; i < z->n_changed; i++)
		node_drop(z, z->changed[i]);
	for (size_t i = 0; i < z->n_changed; i++) {
		struct znode *n = z->changed[i];

		if (!(n->flags & ZNODE_DEAD)) {
			err = node_finalize(b, n);
			first = first ? first : err;
		}
	}
	if (first)
		log_err("zone build incomplete, retried at the next build: %s", strerror(-first));
	return first;
}

void zone_changes_clear(struct zone *z)
{
	for (size_t i = 0; i < z->n_changed; i++) {
		struct znode *n = z->changed[i];

		free(n->was);
		n->was = NULL;
		n->n_was = 0;
		n->flags &= (uint8_t)~(ZNODE_CHANGED | ZNODE_NEW);
		if (n->flags & ZNODE_DEAD)
			free(n);
	}
	z->n_changed = 0;
}

void zone_units_free(struct zone *z)
{
	struct zunit *u, *ut;
	struct znode *n, *nt;
	struct zns_count *c, *ct;
	struct zslices *s, *st;

	HASH_ITER(hh, z->units, u, ut) {
		for (struct zrr *r = u->rrs, *rn; r; r = rn) {
			rn = r->unext;
			free(r);
		}
		HASH_DEL(z->units, u);
		free(u);
	}
	zone_changes_clear(z);	/* frees the dead names */
	free(z->changed);
	HASH_ITER(hh, z->names, n, nt) {
		HASH_DEL(z->names, n);
		free(n);
	}
	HASH_ITER(hh, z->ns_counts, c, ct) {
		HASH_DEL(z->ns_counts, c);
		free(c);
	}
	HASH_ITER(hh, z->slices, s, st) {
		HASH_DEL(z->slices, s);
		free(s->v);
		free(s);
	}
	if (z->scratch) {
		free(z->scratch->srv);
		free(z->scratch->sort);
		free(z->scratch);
	}
}
