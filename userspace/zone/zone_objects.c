// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kubernetes JSON -> struct zobj. Every field is read defensively: a missing field, a
 * null, a wrong JSON type or a value Kubernetes itself would reject either drops that
 * field (one log line) or skips the whole object (one log line, counted).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <json-c/json.h>

#include "userspace/util/jstream.h"
#include "userspace/util/log.h"
#include "zone_internal.h"

#define ZOBJ_NAME_MAX		253	/* Kubernetes object names (DNS subdomain) */
#define SLICE_SERVICE_LABEL	"kubernetes.io/service-name"
/* json-c's default depth of 32 is too shallow for objects carrying managedFields */
#define ZONE_JSON_DEPTH_MAX	256

const char *const zobj_kind_names[ZOBJ_KIND_COUNT] = {
	[ZOBJ_NAMESPACE] = "Namespace",
	[ZOBJ_SERVICE] = "Service",
	[ZOBJ_SLICE] = "EndpointSlice",
	[ZOBJ_POD] = "Pod",
};

/* What is being parsed, for log lines. */
struct pctx {
	const char *kind;
	const char *ns;
	const char *name;
	char why[256];		/* the reason an object is skipped */
	char notes[512];	/* fields dropped while the object is kept, "; "-separated */
};

/* Records why the object is skipped; the caller logs it. Returns -EINVAL. */
static int __attribute__((format(printf, 2, 3))) skip(struct pctx *pc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Note a field that is dropped while the object is kept. The notes of one object go out in
 * one log line once it is parsed (pctx_log()), or with its skip line: one line per object.
 */
static void __attribute__((format(printf, 2, 3))) field_warn(struct pctx *pc, const char *fmt, ...)
{
	size_t used = strlen(pc->notes);
	va_list ap;

	if (used && used + 2 < sizeof(pc->notes))
		used += (size_t)snprintf(pc->notes + used, sizeof(pc->notes) - used, "; ");
	if (used + 1 >= sizeof(pc->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(pc->notes + used, sizeof(pc->notes) - used, fmt, ap);
	va_end(ap);
}

/* The one log line of an object that was skipped, or kept with fields dropped. */
static void pctx_log(const struct pctx *pc, bool skipped)
{
	const char *sep = *pc->ns ? "/" : "";

	if (skipped)
		log_warn("skipping %s %s%s%s: %s%s%s%s", pc->kind, pc->ns, sep, pc->name, pc->why,
			 *pc->notes ? " (" : "", pc->notes, *pc->notes ? ")" : "");
	else if (*pc->notes)
		log_warn("%s %s%s%s: %s", pc->kind, pc->ns, sep, pc->name, pc->notes);
}

/* ---- json helpers: NULL when missing or of another type ---- */

static struct json_object *jget(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* Present and not null? (a field of the wrong type is "present") */
static bool jhas(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, &v) && v != NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static char *strdup_lower(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p |= 0x20;
	return d;
}

static void copy_lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] | 0x20 : src[i];
	dst[i] = '\0';
}

static bool is_label(const char *s)
{
	return s && dns_label_is_ldh(s, strlen(s));
}

static int addr_parse(const char *s, int want_family, struct zaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (want_family != 6 && inet_pton(AF_INET, s, a->b) == 1) {
		a->family = 4;
		return 0;
	}
	if (want_family != 4 && inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = 6;
		return 0;
	}
	return -EINVAL;
}

static const char *proto_parse(const char *s)
{
	if (!s || !strcasecmp(s, "TCP"))	/* Kubernetes defaults the protocol to TCP */
		return "tcp";
	if (!strcasecmp(s, "UDP"))
		return "udp";
	if (!strcasecmp(s, "SCTP"))
		return "sctp";
	return NULL;
}

/*
 * ports[] of a Service (number required) or an EndpointSlice (number may be null). Bad
 * entries are dropped with a log line; a name that cannot be an SRV label is dropped from
 * its port, which then only serves the bare-name SRV.
 */
static int ports_parse(struct pctx *pc, struct json_object *parent, bool number_required,
		       struct zport **out, unsigned int *n_out)
{
	struct json_object *arr = jget(parent, "ports", json_type_array);
	struct zport *ports;
	size_t n, used = 0;

	*out = NULL;
	*n_out = 0;
	if (!arr) {
		if (jhas(parent, "ports"))
			field_warn(pc, "ignoring ports: not an array");
		return 0;
	}
	n = json_object_array_length(arr);
	if (!n)
		return 0;
	ports = calloc(n, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(arr, i), *num;
		const char *name = jstr(p, "name"), *proto;
		struct zport *zp = &ports[used];
		int64_t v;

		if (!p || !json_object_is_type(p, json_type_object)) {
			field_warn(pc, "ignoring ports[%zu]: not an object", i);
			continue;
		}
		proto = proto_parse(jstr(p, "protocol"));
		if (!proto || (jhas(p, "protocol") && !jstr(p, "protocol"))) {
			field_warn(pc, "ignoring ports[%zu]: unknown protocol", i);
			continue;
		}
		num = jget(p, "port", json_type_int);
		if (num) {
			v = json_object_get_int64(num);
			if (v < 1 || v > 65535) {
				field_warn(pc, "ignoring ports[%zu]: port %lld out of range", i,
					   (long long)v);
				continue;
			}
			zp->port = (int32_t)v;
		} else if (number_required || jhas(p, "port")) {
			field_warn(pc, "ignoring ports[%zu]: no port number", i);
			continue;
		} else {
			zp->port = ZPORT_NONE;
		}
		strcpy(zp->proto, proto);
		if (name && *name) {
			if (strlen(name) < DNS_LABEL_MAX && dns_label_is_ldh(name, strlen(name)))
				copy_lower(zp->name, name, sizeof(zp->name));
			else
				field_warn(pc,
					   "ports[%zu]: name \"%.64s\" is not a DNS label, no SRV "
					   "name for it",
					   i, name);
		} else if (jhas(p, "name") && !name) {
			field_warn(pc, "ports[%zu]: name is not a string, no SRV name for it", i);
		}
		used++;
	}
	if (!used) {
		free(ports);
		return 0;
	}
	*out = ports;
	*n_out = (unsigned int)used;
	return 0;
}

/* An IP list field (array of strings, or array of {ip: string} when key_ip is set). */
static int ips_parse(struct pctx *pc, struct json_object *arr, const char *field,
		     const char *key_ip, int family, struct zaddr **out, unsigned int *n_out)
{
	size_t n = json_object_array_length(arr), used = 0;
	struct zaddr *ips;

	*out = NULL;
	*n_out = 0;
	if (!n)
		return 0;
	ips = calloc(n, sizeof(*ips));
	if (!ips)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *s = NULL;

		if (key_ip)
			s = jstr(e, key_ip);
		else if (e && json_object_is_type(e, json_type_string))
			s = json_object_get_string(e);
		if (addr_parse(s, family, &ips[used])) {
			field_warn(pc, "ignoring %s[%zu] \"%.64s\": not an IPv%s address", field, i,
				   s ? s : "(not a string)", family == 4 ? "4" : family == 6 ? "6"
										: "4/6");
			continue;
		}
		used++;
	}
	if (!used) {
		free(ips);
		return 0;
	}
	*out = ips;
	*n_out = (unsigned int)used;
	return 0;
}

static int service_parse(struct pctx *pc, struct zobj *o, struct json_object *j)
{
	struct json_object *spec = jget(j, "spec", json_type_object), *ips;
	const char *type, *cip;
	int err;

	if (!spec)
		return skip(pc, "spec missing");
	if (!is_label(o->name))
		return skip(pc, "name is not a DNS label");
	type = jstr(spec, "type");
	if (type && !strcmp(type, "ExternalName")) {
		const char *ext = jstr(spec, "externalName");
		int len;

		o->svc.type = ZSVC_EXTERNAL_NAME;
		if (!ext)
			return skip(pc, "spec.externalName missing");
		len = dns_name_from_text(o->svc.ext, sizeof(o->svc.ext), ext);
		if (len <= 1)
			return skip(pc, "spec.externalName \"%.64s\" is not a DNS name", ext);
		dns_name_lower(o->svc.ext, len);
		o->svc.ext_len = (size_t)len;
		return 0;
	}
	if (type && strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
	    strcmp(type, "LoadBalancer"))
		return skip(pc, "spec.type \"%.32s\" is unknown", type);

	ips = jget(spec, "clusterIPs", json_type_array);
	cip = jstr(spec, "clusterIP");
	if (ips && json_object_array_length(ips) > 0) {
		struct json_object *first = json_object_array_get_idx(ips, 0);

		if (first && json_object_is_type(first, json_type_string))
			cip = json_object_get_string(first);
	} else {
		ips = NULL;
	}
	if (!cip)
		return skip(pc, "spec.clusterIP missing");
	if (!strcmp(cip, "None")) {
		o->svc.type = ZSVC_HEADLESS;
	} else {
		o->svc.type = ZSVC_CLUSTER_IP;
		if (ips) {
			err = ips_parse(pc, ips, "spec.clusterIPs", NULL, 0, &o->svc.ips,
					&o->svc.n_ips);
			if (err)
				return err;
		} else {
			o->svc.ips = calloc(1, sizeof(*o->svc.ips));
			if (!o->svc.ips)
				return -ENOMEM;
			if (!addr_parse(cip, 0, o->svc.ips))
				o->svc.n_ips = 1;
		}
		if (!o->svc.n_ips)
			return skip(pc, "no usable spec.clusterIP (\"%.64s\")", cip);
	}
	return ports_parse(pc, spec, true, &o->svc.ports, &o->svc.n_ports);
}

static int endpoint_parse(struct pctx *pc, struct json_object *e, size_t idx, int family,
			  struct zendpoint *ep)
{
	struct json_object *addrs = jget(e, "addresses", json_type_array), *cond, *ready;
	const char *hostname;
	char field[48];
	int err;

	if (!e || !json_object_is_type(e, json_type_object)) {
		field_warn(pc, "ignoring endpoints[%zu]: not an object", idx);
		return -EINVAL;
	}
	if (!addrs) {
		field_warn(pc, "ignoring endpoints[%zu]: no addresses array", idx);
		return -EINVAL;
	}
	ep->ready = true;	/* nil means ready (spec 3.2) */
	cond = jget(e, "conditions", json_type_object);
	if (!cond && jhas(e, "conditions")) {
		field_warn(pc, "ignoring endpoints[%zu]: conditions is not an object", idx);
		return -EINVAL;
	}
	ready = jget(cond, "ready", json_type_boolean);
	if (ready)
		ep->ready = json_object_get_boolean(ready);
	else if (jhas(cond, "ready")) {
		field_warn(pc, "ignoring endpoints[%zu]: conditions.ready is not a boolean", idx);
		return -EINVAL;
	}
	hostname = jstr(e, "hostname");
	if (hostname) {
		if (is_label(hostname))
			copy_lower(ep->hostname, hostname, sizeof(ep->hostname));
		else
			field_warn(pc, "endpoints[%zu]: hostname \"%.64s\" is not a DNS label, "
				   "using the address", idx, hostname);
	} else if (jhas(e, "hostname")) {
		field_warn(pc, "endpoints[%zu]: hostname is not a string, using the address", idx);
	}
	snprintf(field, sizeof(field), "endpoints[%zu].addresses", idx);
	err = ips_parse(pc, addrs, field, NULL, family, &ep->addrs, &ep->n_addrs);
	if (err)
		return err;
	return ep->n_addrs ? 0 : -EINVAL;
}

static int slice_parse(struct pctx *pc, struct zobj *o, struct json_object *j)
{
	struct json_object *labels = jget(jget(j, "metadata", json_type_object), "labels",
					  json_type_object);
	const char *svc = jstr(labels, SLICE_SERVICE_LABEL), *at = jstr(j, "addressType");
	struct json_object *eps = jget(j, "endpoints", json_type_array);
	int family = 0, err;
	size_t n;

	if (!svc)
		return skip(pc, "no " SLICE_SERVICE_LABEL " label");
	if (!is_label(svc))
		return skip(pc, SLICE_SERVICE_LABEL " \"%.64s\" is not a DNS label", svc);
	copy_lower(o->slice.service, svc, sizeof(o->slice.service));
	if (at && !strcmp(at, "IPv4"))
		family = 4;
	else if (at && !strcmp(at, "IPv6"))
		family = 6;
	else if (at)
		return skip(pc, "addressType \"%.16s\" is not IPv4 or IPv6", at);
	else if (jhas(j, "addressType"))
		return skip(pc, "addressType is not a string");

	if (!eps && jhas(j, "endpoints"))
		field_warn(pc, "ignoring endpoints: not an array");
	n = eps ? json_object_array_length(eps) : 0;
	if (n) {
		o->slice.eps = calloc(n, sizeof(*o->slice.eps));
		if (!o->slice.eps)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct zendpoint *ep = &o->slice.eps[o->slice.n_eps];

		err = endpoint_parse(pc, json_object_array_get_idx(eps, i), i, family, ep);
		if (err == -ENOMEM)
			return err;
		if (!err)
			o->slice.n_eps++;
		else
			memset(ep, 0, sizeof(*ep));	/* ep->addrs is NULL: nothing held */
	}
	return ports_parse(pc, j, false, &o->slice.ports, &o->slice.n_ports);
}

static int pod_parse(struct pctx *pc, struct zobj *o, struct json_object *j)
{
	struct json_object *meta = jget(j, "metadata", json_type_object);
	struct json_object *status = jget(j, "status", json_type_object);
	struct json_object *ips = jget(status, "podIPs", json_type_array);
	const char *ip = jstr(status, "podIP");

	o->pod.deleting = jhas(meta, "deletionTimestamp");
	if (ips && json_object_array_length(ips))
		return ips_parse(pc, ips, "status.podIPs", "ip", 0, &o->pod.ips, &o->pod.n_ips);
	if (!ip) {
		if (jhas(status, "podIP") || jhas(status, "podIPs"))
			field_warn(pc, "ignoring status.podIP(s): wrong type");
		return 0;
	}
	o->pod.ips = calloc(1, sizeof(*o->pod.ips));
	if (!o->pod.ips)
		return -ENOMEM;
	if (addr_parse(ip, 0, o->pod.ips))
		field_warn(pc, "ignoring status.podIP \"%.64s\": not an IP address", ip);
	else
		o->pod.n_ips = 1;
	return 0;
}

void zobj_free(struct zobj *o)
{
	if (!o)
		return;
	switch (o->kind) {
	case ZOBJ_SERVICE:
		free(o->svc.ips);
		free(o->svc.ports);
		break;
	case ZOBJ_SLICE:
		for (unsigned int i = 0; i < o->slice.n_eps; i++)
			free(o->slice.eps[i].addrs);
		free(o->slice.eps);
		free(o->slice.ports);
		break;
	case ZOBJ_POD:
		free(o->pod.ips);
		break;
	default:
		break;
	}
	free(o->key);
	free(o->ns);
	free(o->name);
	free(o);
}

static int kind_parse(const char *kind)
{
	for (int k = 0; k < ZOBJ_KIND_COUNT; k++)
		if (kind && !strcmp(kind, zobj_kind_names[k]))
			return k;
	return -1;
}

static bool api_version_ok(enum zobj_kind kind, const char *v)
{
	if (!v)		/* items of typed lists (ServiceList, ...) carry no apiVersion */
		return true;
	if (kind == ZOBJ_SLICE)
		return !strcmp(v, "discovery.k8s.io/v1") || !strcmp(v, "discovery.k8s.io/v1beta1");
	return !strcmp(v, "v1");
}

static char *obj_key(enum zobj_kind kind, const char *ns, const char *name)
{
	char *key;

	if (asprintf(&key, "%s/%s/%s", zobj_kind_names[kind], ns, name) < 0)
		return NULL;
	return key;
}

/* Every object leaves z->objs through here, so the units it fed are built again. */
static void obj_remove(struct zone *z, struct zobj *o)
{
	zone_obj_unlink(z, o);
	HASH_DEL(z->objs, o);
	zobj_free(o);
	z->n_objs--;
}

/* o replaces its namesake (taken: freed on error). 0 or -ENOMEM. */
static int obj_replace(struct zone *z, struct zobj *o)
{
	struct zobj *old;

	HASH_FIND_STR(z->objs, o->key, old);
	if (old)
		obj_remove(z, old);
	zone_hash_oom = 0;
	HASH_ADD_KEYPTR(hh, z->objs, o->key, strlen(o->key), o);
	if (zone_hash_oom) {
		zobj_free(o);
		return -ENOMEM;
	}
	z->n_objs++;
	return zone_obj_link(z, o);
}

/* One object; kind_hint is the item kind of a typed list. -ENOMEM is the only error. */
static int object_load(struct zone *z, struct json_object *j, const char *kind_hint,
		       size_t idx)
{
	struct json_object *meta = jget(j, "metadata", json_type_object);
	const char *kind = jstr(j, "kind"), *ns = jstr(meta, "namespace");
	const char *name = jstr(meta, "name");
	struct pctx pc = { .kind = kind ? kind : kind_hint ? kind_hint : "?",
			   .ns = ns ? ns : "", .name = name ? name : "?" };
	struct zobj *o = NULL;
	int k, err;

	if (!j || !json_object_is_type(j, json_type_object)) {
		log_warn("skipping List item %zu: not a JSON object", idx);
		z->skipped++;
		return 0;
	}
	if (!kind)
		kind = kind_hint;
	k = kind_parse(kind);
	if (k < 0) {
		err = skip(&pc, "%s", kind ? "unsupported kind" : "no kind");
		goto out_skip;
	}
	if (!api_version_ok(k, jstr(j, "apiVersion"))) {
		err = skip(&pc, "unsupported apiVersion \"%.40s\"", jstr(j, "apiVersion"));
		goto out_skip;
	}
	if (!meta) {
		err = skip(&pc, "metadata missing");
		goto out_skip;
	}
	if (!name || !*name || strlen(name) > ZOBJ_NAME_MAX) {
		err = skip(&pc, "metadata.name missing or invalid");
		goto out_skip;
	}
	if (k == ZOBJ_NAMESPACE) {
		ns = "";
		pc.ns = "";
		if (!is_label(name)) {
			err = skip(&pc, "name is not a DNS label");
			goto out_skip;
		}
	} else if (!ns || !is_label(ns)) {
		err = skip(&pc, "metadata.namespace missing or not a DNS label");
		goto out_skip;
	}

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = k;
	o->ns = strdup_lower(ns);
	o->name = strdup_lower(name);
	if (!o->ns || !o->name) {
		err = -ENOMEM;
		goto out_free_obj;
	}
	switch (k) {
	case ZOBJ_SERVICE:
		err = service_parse(&pc, o, j);
		break;
	case ZOBJ_SLICE:
		err = slice_parse(&pc, o, j);
		break;
	case ZOBJ_POD:
		err = pod_parse(&pc, o, j);
		break;
	default:
		err = 0;
		break;
	}
	if (err)
		goto out_skip;
	o->key = obj_key(k, o->ns, o->name);
	if (!o->key) {
		err = -ENOMEM;
		goto out_free_obj;
	}
	err = obj_replace(z, o);
	if (err)
		return err;	/* o is freed */
	pctx_log(&pc, false);
	return 0;

out_skip:
	if (err != -ENOMEM) {
		pctx_log(&pc, true);
		z->skipped++;
		err = 0;
	}
out_free_obj:
	zobj_free(o);
	return err;
}

/* The item kind a list's kind implies: "Service" for "ServiceList", NULL for "List". */
static const char *list_hint(const char *kind, char *hint, size_t size)
{
	size_t klen = kind ? strlen(kind) : 0;

	if (klen <= 4 || strcmp(kind + klen - 4, "List") || klen - 4 >= size)
		return NULL;
	memcpy(hint, kind, klen - 4);
	hint[klen - 4] = '\0';
	return hint;
}

static bool is_list_kind(const char *kind)
{
	size_t klen = kind ? strlen(kind) : 0;

	return klen >= 4 && !strcmp(kind + klen - 4, "List");
}

int zone_load_json(struct zone *z, struct json_object *j)
{
	struct json_object *items;
	const char *kind, *hint;
	char buf[64];
	size_t n;
	int err;

	if (!j || !json_object_is_type(j, json_type_object))
		return -EINVAL;
	kind = jstr(j, "kind");
	items = jget(j, "items", json_type_array);
	if (!is_list_kind(kind))
		return object_load(z, j, NULL, 0);
	if (!items) {
		if (!jhas(j, "items")) /* an empty list printed as {"items": null} or without */
			return 0;
		log_warn("skipping %s: items is not an array", kind);
		z->skipped++;
		return 0;
	}
	/* "ServiceList" from the API: its items carry neither kind nor apiVersion. */
	hint = list_hint(kind, buf, sizeof(buf));
	n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++) {
		err = object_load(z, json_object_array_get_idx(items, i), hint, i);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A file is read in pieces and its list items loaded one by one as util/jstream completes
 * them, so a large List is never one tree. The item kind a typed list implies ("ServiceList")
 * is known only once its "kind" has been read: items without a kind of their own that come
 * before it (kubectl prints "items" first, but its items carry their kind) wait for it.
 */
struct file_load {
	struct zone *z;
	struct jstream *js;
	struct json_object *pending;	/* items waiting for the list's kind, or NULL */
	int err;
};

static int file_item(void *ctx, struct json_object *it)
{
	struct file_load *fl = ctx;
	struct json_object *body_kind = NULL;
	const char *hint;
	char buf[64];

	if (json_object_is_type(it, json_type_object) && !jstr(it, "kind")) {
		/* the list's kind, if read already (the body is built around the items) */
		body_kind = jstream_peek(fl->js, "kind");
		if (!body_kind) {
			if (!fl->pending)
				fl->pending = json_object_new_array();
			if (!fl->pending || json_object_array_add(fl->pending, it)) {
				fl->err = -ENOMEM;
				return -1;
			}
			json_object_get(it);	/* the pending array's reference */
			return 0;
		}
	}
	hint = list_hint(body_kind ? json_object_get_string(body_kind) : NULL, buf, sizeof(buf));
	fl->err = object_load(fl->z, it, hint, jstream_items(fl->js) - 1);
	return fl->err ? -1 : 0;
}

int zone_load_file(struct zone *z, const char *path)
{
	struct file_load fl = { .z = z };
	struct jstream_opts o = {
		.mode = JSTREAM_ITEMS,
		.max_depth = ZONE_JSON_DEPTH_MAX,
		.fn = file_item,
		.ctx = &fl,
	};
	struct json_object *body = NULL;
	char buf[1 << 16];
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out_close_fd;
	}
	fl.js = jstream_new(&o);
	if (!fl.js) {
		err = -errno;
		goto out_close_fd;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out_free;
		}
		err = r ? jstream_feed(fl.js, buf, (size_t)r) : jstream_end(fl.js);
		if (err || !r)
			break;
	}
	if (err == -ECANCELED) {	/* an item could not be loaded */
		err = fl.err;
		goto out_free;
	}
	if (err) {
		log_err("%s: not JSON: %s", path, jstream_error(fl.js));
		err = err == -ENOMEM ? err : -EBADMSG;
		goto out_free;
	}
	body = jstream_take(fl.js);
	if (fl.pending) {
		/* the list's kind came after these items: they are its items now */
		if (json_object_object_add(body, "items", fl.pending)) {
			err = -ENOMEM;
			goto out_free;
		}
		fl.pending = NULL;
	}
	err = zone_load_json(z, body);
	if (err == -EINVAL)
		log_err("%s: not a Kubernetes object or List", path);
out_free:
	json_object_put(body);
	json_object_put(fl.pending);
	jstream_free(fl.js);
out_close_fd:
	close(fd);
	return err;
}

/* The loaded object kind/ns/name (ns ignored for Namespaces): 0 and *out, -ENOENT, -ENOMEM. */
static int obj_lookup(const struct zone *z, const char *kind, const char *ns, const char *name,
		      struct zobj **out)
{
	char *key, *lns = strdup_lower(ns ? ns : ""), *lname = strdup_lower(name ? name : "");
	int k = kind_parse(kind), err = 0;

	*out = NULL;
	if (!lns || !lname) {
		err = -ENOMEM;
		goto out_free_names;
	}
	if (k < 0) {
		err = -ENOENT;
		goto out_free_names;
	}
	key = obj_key(k, k == ZOBJ_NAMESPACE ? "" : lns, lname);
	if (!key) {
		err = -ENOMEM;
		goto out_free_names;
	}
	HASH_FIND_STR(z->objs, key, *out);
	free(key);
	if (!*out)
		err = -ENOENT;
out_free_names:
	free(lns);
	free(lname);
	return err;
}

int zone_delete(struct zone *z, const char *kind, const char *ns, const char *name)
{
	struct zobj *o;
	int err = obj_lookup(z, kind, ns, name, &o);

	if (err)
		return err;
	obj_remove(z, o);
	return 0;
}

int zone_sweep_begin(struct zone *z, const char *kind)
{
	int k = kind_parse(kind);
	struct zobj *o, *tmp;

	if (k < 0)
		return -ENOENT;
	HASH_ITER(hh, z->objs, o, tmp)
		if ((int)o->kind == k)
			o->seen = false;
	return 0;
}

int zone_mark_seen(struct zone *z, const char *kind, const char *ns, const char *name)
{
	struct zobj *o;
	int err = obj_lookup(z, kind, ns, name, &o);

	if (!err)
		o->seen = true;
	return err;
}

int zone_sweep(struct zone *z, const char *kind)
{
	int k = kind_parse(kind), n = 0;
	struct zobj *o, *tmp;

	if (k < 0)
		return -ENOENT;
	HASH_ITER(hh, z->objs, o, tmp) {
		if ((int)o->kind != k || o->seen)
			continue;
		log_info("%s %s%s%s: gone after a relist", zobj_kind_names[k], o->ns,
			 *o->ns ? "/" : "", o->name);
		obj_remove(z, o);
		n++;
	}
	return n;
}
