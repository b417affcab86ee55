// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * zone_build(): objects -> names and records, per /work/shared/k8s-dns-spec.md sections
 * 2, 4 and 7 (CoreDNS's answers, with the xdpdns column of section 4's table).
 *
 * One pass over the objects, O(objects + records) with hash lookups: namespaces are
 * collected, slices are indexed by (namespace, kubernetes.io/service-name), every service
 * then emits its records, and a last pass sorts and deduplicates each name's records.
 * Every new name gets its missing ancestors up to its zone's apex as empty non-terminals.
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

struct zns {
	UT_hash_handle hh;
	const char *name;
};

struct zslice_ref {
	struct zslice_ref *next;
	const struct zobj *slice;
};

struct zslices {
	UT_hash_handle hh;
	struct zslice_ref *head;
	char key[];			/* "ns/service" */
};

/* One (address, port) pair that an SRV question can return, before deduplication. */
struct srv_ent {
	const struct zport *port;
	const uint8_t *target;		/* a node's name: stable in the arena */
	uint8_t target_len;
	struct zaddr addr;
};

struct build {
	struct zone *z;
	struct zns *nss;
	struct zslices *slices;
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

static struct znode *node_new(struct zone *z, const uint8_t *name, size_t len, int zone,
			      uint8_t flags)
{
	struct znode *n = zone_arena_alloc(&z->arena, sizeof(*n) + len);

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(n->name, name, len);
	n->len = (uint8_t)len;
	n->zone = (int8_t)zone;
	n->flags = flags;
	zone_hash_oom = 0;
	HASH_ADD(hh, z->names, name, len, n);
	if (zone_hash_oom) {
		errno = ENOMEM;
		return NULL;
	}
	z->n_names++;
	return n;
}

/* The node of a lower-case name, created with its missing ancestors up to the apex. */
static struct znode *node_get(struct zone *z, const uint8_t *name, size_t len)
{
	struct znode *n = zone_node_find(z, name, len);
	size_t off = 0, zlen;
	int zi;

	if (n)
		return n;
	zi = zone_find(z, name, len, true);
	if (zi < 0)	/* no SOA for it: the fast path answers what we have, passes the rest */
		return node_new(z, name, len, ZNODE_NO_ZONE, ZNODE_PASS);
	n = node_new(z, name, len, zi, 0);
	if (!n)
		return NULL;
	zlen = z->zones[zi].len;
	while (len - off > zlen) {
		off += name[off] + 1;
		if (len - off == zlen || zone_node_find(z, name + off, len - off))
			break; /* the apex and every existing node have their ancestors */
		if (!node_new(z, name + off, len - off, zi, 0))
			return NULL;
	}
	return n;
}

static int rr_add(struct zone *z, struct znode *n, uint16_t type, uint32_t ttl, uint8_t rank,
		  const void *rdata, size_t rdlen)
{
	struct zrr *r = zone_arena_alloc(&z->arena, sizeof(*r) + rdlen);

	if (!r)
		return -ENOMEM;
	r->ttl = ttl;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->rank = rank;
	if (rdlen)	/* the SOA placeholder has no rdata (and rdata NULL) */
		memcpy(r->rdata, rdata, rdlen);
	r->next = n->rrs;
	n->rrs = r;
	return 0;
}

static int name_add_rr(struct zone *z, const struct wname *name, uint16_t type, uint8_t rank,
		       const void *rdata, size_t rdlen)
{
	struct znode *n = node_get(z, name->b, name->len);

	return n ? rr_add(z, n, type, z->ttl, rank, rdata, rdlen) : -ENOMEM;
}

static int name_add_addr(struct zone *z, const struct wname *name, const struct zaddr *a)
{
	return name_add_rr(z, name, a->family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA, 0, a->b,
			   a->family == 4 ? 4 : 16);
}

static int name_ensure(struct zone *z, const struct wname *name)
{
	return node_get(z, name->b, name->len) ? 0 : -ENOMEM;
}

static int ptr_add(struct zone *z, const struct zaddr *a, const struct wname *target,
		   uint8_t rank)
{
	struct wname rev;
	int len;

	len = a->family == 4 ? dns_name_from_ip4(rev.b, sizeof(rev.b), a->b)
			     : dns_name_from_ip6(rev.b, sizeof(rev.b), a->b);
	if (len < 0)
		return len;
	rev.len = (size_t)len;
	return name_add_rr(z, &rev, DNS_TYPE_PTR, rank, target->b, target->len);
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

static int build_apexes(struct zone *z)
{
	static const char *const ents[] = { "svc", "pod" };
	static const uint8_t txt_version[] = "\x05" ZONE_SCHEMA_VERSION;
	struct wname nm;
	struct znode *n;
	int err;

	for (unsigned int i = 0; i < z->n_zones; i++) {
		if (z->zones[i].action != XDPDNS_ZONE_AUTH)
			continue;
		n = node_new(z, z->zones[i].name, z->zones[i].len, (int)i, ZNODE_APEX);
		if (!n)
			return -ENOMEM;
		/* SOA rdata is rendered per answer (its pointers depend on the question). */
		err = rr_add(z, n, DNS_TYPE_SOA, z->ttl, 0, NULL, 0);
		if (!err)
			err = rr_add(z, n, DNS_TYPE_NS, z->ttl, 0, z->ns_name, z->ns_name_len);
		if (err)
			return err;
	}
	memcpy(nm.b, z->ns_name, z->ns_name_len);
	nm.len = z->ns_name_len;
	err = name_ensure(z, &nm);
	for (unsigned int i = 0; !err && i < z->n_v4; i++)
		err = name_add_rr(z, &nm, DNS_TYPE_A, 0, z->v4[i], 4);
	for (unsigned int i = 0; !err && i < z->n_v6; i++)
		err = name_add_rr(z, &nm, DNS_TYPE_AAAA, 0, z->v6[i], 16);
	if (err)
		return err;

	err = wname_join(&nm, "dns-version", z->apex, z->apex_len);
	if (!err) {
		n = node_get(z, nm.b, nm.len);
		err = n ? rr_add(z, n, DNS_TYPE_TXT, ZONE_TXT_TTL, 0, txt_version,
				 sizeof(txt_version) - 1)
			: -ENOMEM;
	}
	for (unsigned int i = 0; !err && i < sizeof(ents) / sizeof(ents[0]); i++) {
		err = wname_join(&nm, ents[i], z->apex, z->apex_len);
		if (!err)
			err = name_ensure(z, &nm);
	}
	/* zone_new() checked the apex leaves room for these labels */
	return err;
}

/* ---- namespaces ---- */

static int ns_collect(struct build *b)
{
	struct zone *z = b->z;
	struct zobj *o, *tmp;
	struct zns *e;

	HASH_ITER(hh, z->objs, o, tmp) {
		const char *ns = o->kind == ZOBJ_NAMESPACE ? o->name : o->ns;

		HASH_FIND_STR(b->nss, ns, e);
		if (e)
			continue;
		e = zone_arena_alloc(&z->arena, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->name = ns;
		zone_hash_oom = 0;
		HASH_ADD_KEYPTR(hh, b->nss, e->name, strlen(e->name), e);
		if (zone_hash_oom)
			return -ENOMEM;
	}
	return 0;
}

static int ns_build(struct build *b)
{
	struct zone *z = b->z;
	struct wname svc, pod, nm;
	struct zns *e, *tmp;
	int err;

	err = wname_join(&svc, "svc", z->apex, z->apex_len);
	if (!err)
		err = wname_join(&pod, "pod", z->apex, z->apex_len);
	if (err)
		return err;
	HASH_ITER(hh, b->nss, e, tmp) {
		if (wname_join(&nm, e->name, svc.b, svc.len)) {
			log_warn("namespace %s: name over %d bytes", e->name, DNS_NAME_MAX);
			continue;
		}
		err = name_ensure(z, &nm);
		if (!err && z->pods != ZONE_PODS_DISABLED &&
		    !wname_join(&nm, e->name, pod.b, pod.len))
			err = name_ensure(z, &nm);
		if (err)
			return err;
	}
	return 0;
}

/* ---- services ---- */

static int slices_index(struct build *b)
{
	struct zone *z = b->z;
	struct zobj *o, *tmp;
	char key[2 * DNS_LABEL_MAX + 2];

	HASH_ITER(hh, z->objs, o, tmp) {
		struct zslice_ref *ref;
		struct zslices *s;
		size_t klen;

		if (o->kind != ZOBJ_SLICE)
			continue;
		klen = (size_t)snprintf(key, sizeof(key), "%s/%s", o->ns, o->slice.service);
		HASH_FIND(hh, b->slices, key, klen, s);
		if (!s) {
			s = zone_arena_alloc(&z->arena, sizeof(*s) + klen + 1);
			if (!s)
				return -ENOMEM;
			memset(s, 0, sizeof(*s));
			memcpy(s->key, key, klen + 1);
			zone_hash_oom = 0;
			HASH_ADD(hh, b->slices, key, klen, s);
			if (zone_hash_oom)
				return -ENOMEM;
		}
		ref = zone_arena_alloc(&z->arena, sizeof(*ref));
		if (!ref)
			return -ENOMEM;
		ref->slice = o;
		ref->next = s->head;
		s->head = ref;
	}
	return 0;
}

static int srv_push(struct build *b, const struct zport *port, const uint8_t *target,
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

static int srv_rr_add(struct zone *z, struct znode *n, const struct srv_ent *e, size_t count)
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
	return rr_add(z, n, DNS_TYPE_SRV, z->ttl, 0, rd, 6 + e->target_len);
}

/*
 * SRV records from the (address, port) entries collected for a service (spec 2.3/2.4):
 * _<port>._<proto>.<svc> for each named port, and the bare <svc> name with every port.
 * N, the weight's divisor, counts the entries that match the question, deduplicated only
 * where an EndpointSlice repeats an endpoint; equal (target, port) records then collapse
 * into one when the name's records are deduplicated.
 */
static int srv_build(struct build *b, const struct zobj *svc, const struct wname *base)
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
		err = srv_rr_add(z, bare, &b->srv[i], n);
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
			err = srv_rr_add(z, node, &b->srv[k], j - i);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The ready endpoints of a ClusterIP or headless service: names, addresses, PTRs, SRV. */
static int endpoints_build(struct build *b, const struct zobj *svc, const struct wname *base,
			   const struct zslices *slices)
{
	bool headless = svc->svc.type == ZSVC_HEADLESS;
	struct zone *z = b->z;
	int err;

	for (const struct zslice_ref *ref = slices ? slices->head : NULL; ref; ref = ref->next) {
		const struct zobj *sl = ref->slice;

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
				err = name_add_addr(z, &nm, addr);
				if (!err)
					err = ptr_add(z, addr, &nm, ZRR_RANK_ENDPOINT);
				if (!err && headless)
					err = name_add_addr(z, base, addr);
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

static int service_build(struct build *b, const struct zobj *svc)
{
	struct zone *z = b->z;
	char key[2 * DNS_LABEL_MAX + 2];
	struct zslices *slices;
	struct wname base;
	size_t klen;
	int err;

	if (wname_join(&base, "svc", z->apex, z->apex_len) ||
	    wname_join(&base, svc->ns, base.b, base.len) ||
	    wname_join(&base, svc->name, base.b, base.len)) {
		name_too_long(svc, "the service name");
		return 0;
	}
	if (svc->svc.type == ZSVC_EXTERNAL_NAME) {
		/* The fast path answers the CNAME question; every other type chases the
		 * target in the slow path. Nothing exists below the name. */
		struct znode *n = node_get(z, base.b, base.len);

		if (!n)
			return -ENOMEM;
		n->flags |= ZNODE_PASS;
		return rr_add(z, n, DNS_TYPE_CNAME, z->ttl, 0, svc->svc.ext, svc->svc.ext_len);
	}
	b->n_srv = 0;
	if (svc->svc.type == ZSVC_CLUSTER_IP) {
		for (unsigned int i = 0; i < svc->svc.n_ips; i++) {
			const struct zaddr *ip = &svc->svc.ips[i];

			err = name_add_addr(z, &base, ip);
			if (!err)
				err = ptr_add(z, ip, &base, ZRR_RANK_CLUSTER_IP);
			if (err)
				return err;
		}
		/* node_get() above made base a node: its name is stable in the arena */
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
	klen = (size_t)snprintf(key, sizeof(key), "%s/%s", svc->ns, svc->name);
	HASH_FIND(hh, b->slices, key, klen, slices);
	err = endpoints_build(b, svc, &base, slices);
	if (err)
		return err;
	return srv_build(b, svc, &base);
}

/* ---- pods ---- */

static int pods_build(struct zone *z)
{
	struct zobj *o, *tmp;
	struct wname pod;
	int err;

	if (z->pods != ZONE_PODS_VERIFIED)
		return 0;
	err = wname_join(&pod, "pod", z->apex, z->apex_len);
	if (err)
		return err;
	HASH_ITER(hh, z->objs, o, tmp) {
		if (o->kind != ZOBJ_POD || o->pod.deleting)
			continue;
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
			err = name_add_addr(z, &nm, &o->pod.ips[i]);
			if (err)
				return err;
		}
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

static int node_finalize(struct build *b, struct znode *n, unsigned int *types)
{
	struct zrr **v, *r;
	size_t cnt = 0, out = 0;
	bool ptr_cluster = false;

	for (r = n->rrs; r; r = r->next)
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
	for (r = n->rrs; r; r = r->next)
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
			(*types)++;
	}
	return 0;
}

static void names_free(struct znode **names, struct zone_arena *arena)
{
	HASH_CLEAR(hh, *names);
	zone_arena_reset(arena);
}

/*
 * The new names are built next to the old ones, which stay in place when the build fails
 * (only allocation can fail), so a failed rebuild never empties the zone.
 */
int zone_build(struct zone *z)
{
	struct znode *old_names = z->names, *n, *ntmp;
	struct zone_arena old_arena = z->arena;
	unsigned int old_n_names = z->n_names, old_n_entries = z->n_entries;
	struct build b = { .z = z };
	struct zobj *o, *otmp;
	unsigned int types = 0;
	int err;

	z->names = NULL;
	memset(&z->arena, 0, sizeof(z->arena));
	z->n_names = 0;
	err = build_apexes(z);
	if (!err)
		err = ns_collect(&b);
	if (!err)
		err = ns_build(&b);
	if (!err)
		err = slices_index(&b);
	HASH_ITER(hh, z->objs, o, otmp) {
		if (err)
			break;
		if (o->kind == ZOBJ_SERVICE)
			err = service_build(&b, o);
	}
	if (!err)
		err = pods_build(z);
	HASH_ITER(hh, z->names, n, ntmp) {
		if (err)
			break;
		err = node_finalize(&b, n, &types);
	}
	HASH_CLEAR(hh, b.nss);
	HASH_CLEAR(hh, b.slices);
	free(b.srv);
	free(b.sort);
	if (err) {
		log_err("zone build failed, keeping the previous records: %s", strerror(-err));
		names_free(&z->names, &z->arena);
		z->names = old_names;
		z->arena = old_arena;
		z->n_names = old_n_names;
		z->n_entries = old_n_entries;
		return err;
	}
	names_free(&old_names, &old_arena);
	z->n_entries = z->n_names + types;
	return 0;
}
