// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * zone: Kubernetes objects -> answers. One test per rule of k8s-dns-spec.md section 7
 * and per xdpdns choice in section 4; answers are parsed with libldns (zone_helpers.h).
 * Object loading robustness, projection and scale are in test_zone_project.c.
 */
#include "zone_helpers.h"

#define CL "cluster.local"
#define RZ "10.in-addr.arpa"

static const char *const fixture_rz[] = { RZ, NULL };

/* The cluster most tests ask. */
static const char fixture_json[] =
	"{'apiVersion':'v1','kind':'List','items':["
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'default'}},"
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'kube-system'}},"
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'empty-ns'}},"
	/* ClusterIP, two ports, 3 endpoints (one not ready), endpoint port 8080 */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'default'},"
	" 'spec':{'type':'ClusterIP','clusterIP':'10.96.0.5','clusterIPs':['10.96.0.5'],"
	"  'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
	"           {'name':'https','port':443,'protocol':'TCP'}]}},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'web-abc','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'web'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.1.1'],'conditions':{'ready':true}},"
	"  {'addresses':['10.0.1.2'],'hostname':'a','conditions':{'ready':true}},"
	"  {'addresses':['10.0.1.3'],'conditions':{'ready':false,'serving':true}}],"
	" 'ports':[{'name':'http','port':8080,'protocol':'TCP'}]},"
	/* dual-stack ClusterIP */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'dual','namespace':'default'},"
	" 'spec':{'clusterIP':'10.96.0.6','clusterIPs':['10.96.0.6','fd00:10:96::6'],"
	"  'ports':[{'name':'http','port':80}]}},"
	/* no endpoints at all, one unnamed UDP port */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'noeps','namespace':'default'},"
	" 'spec':{'clusterIP':'10.96.0.7','ports':[{'port':9000,'protocol':'UDP'}]}},"
	/* headless: ready, nil, unready+terminating, no hostname; a 2nd slice repeats web-0
	 * and gives hostname web-0 a second address */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'hdl','namespace':'default'},"
	" 'spec':{'clusterIP':'None','clusterIPs':['None'],'ports':[{'name':'http','port':80}]}},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'hdl-1','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'hdl'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.2.1'],'hostname':'web-0','conditions':{'ready':true}},"
	"  {'addresses':['10.0.2.2'],'hostname':'web-1'},"
	"  {'addresses':['10.0.2.3'],'hostname':'web-2',"
	"   'conditions':{'ready':false,'serving':true,'terminating':true}},"
	"  {'addresses':['10.0.2.4'],'conditions':{'ready':null}}],"
	" 'ports':[{'name':'http','port':8080,'protocol':'TCP'}]},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'hdl-2','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'hdl'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.2.1'],'hostname':'web-0','conditions':{'ready':true}},"
	"  {'addresses':['10.0.2.5'],'hostname':'web-0'}],"
	" 'ports':[{'name':'http','port':8080,'protocol':'TCP'}]},"
	/* dual-stack headless */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'hdl6','namespace':'default'},"
	" 'spec':{'clusterIP':'None','ports':[{'name':'grpc','port':9090}]}},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'hdl6-v4','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'hdl6'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.3.1'],'hostname':'h-0'}],"
	" 'ports':[{'name':'grpc','port':9090,'protocol':'TCP'}]},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'hdl6-v6','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'hdl6'}},'addressType':'IPv6',"
	" 'endpoints':[{'addresses':['fd00:10:244::3:1'],'hostname':'h-0'},"
	"  {'addresses':['fd00:10:244::3:2']},{'addresses':['fd00:10:244::']}],"
	" 'ports':[{'name':'grpc','port':9090,'protocol':'TCP'}]},"
	/* headless without ready endpoints */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'unready','namespace':'default'},"
	" 'spec':{'clusterIP':'None','ports':[{'name':'http','port':80}]}},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'unready-1','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'unready'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.5.1'],'hostname':'u-0','conditions':{'ready':false}}],"
	" 'ports':[{'name':'http','port':80,'protocol':'TCP'}]},"
	/* headless whose slice has no ports */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'noport','namespace':'default'},"
	" 'spec':{'clusterIP':'None'}},"
	"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice',"
	" 'metadata':{'name':'noport-1','namespace':'default',"
	"  'labels':{'kubernetes.io/service-name':'noport'}},'addressType':'IPv4',"
	" 'endpoints':[{'addresses':['10.0.4.1']}],'ports':null},"
	/* ExternalName, mixed case and a final dot */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'ext','namespace':'default'},"
	" 'spec':{'type':'ExternalName','externalName':'Example.COM.'}},"
	/* kube-dns: dual-stack, three ports */
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'kube-dns',"
	"'namespace':'kube-system'},"
	" 'spec':{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','fd00:10:96::a'],"
	"  'ports':[{'name':'dns','port':53,'protocol':'UDP'},{'name':'dns-tcp','port':53,"
	"'protocol':'TCP'},"
	"           {'name':'metrics','port':9153,'protocol':'TCP'}]}},"
	/* pods: dual-stack, terminating, another namespace, a namespace only pods live in */
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'pod-a','namespace':'default'},"
	" 'status':{'podIP':'10.0.9.1','podIPs':[{'ip':'10.0.9.1'},{'ip':'fd00:10:244::9:1'}]}},"
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'pod-b','namespace':'default',"
	"  'deletionTimestamp':'2025-01-01T00:00:00Z'},'status':{'podIP':'10.0.9.2'}},"
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'pod-c','namespace':'kube-system'},"
	" 'status':{'podIP':'10.0.9.3'}},"
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','namespace':'only-pods'},"
	" 'status':{'podIP':'10.0.9.4'}}"
	"]}";

static struct zone *z;

static void setup(void)
{
	z = zone_from(ZONE_PODS_VERIFIED, fixture_rz, fixture_json);
	cr_assert_eq(zone_skipped(z), 0);
}

static void teardown(void)
{
	zone_free(z);
	z = NULL;
}

TestSuite(zone, .init = setup, .fini = teardown);

/* ---- 2.3 ClusterIP services ---- */

Test(zone, clusterip_a_and_other_family_nodata)
{
	expect_answer(z, "web.default.svc." CL, A, RRS("web.default.svc." CL ". 5 IN A 10.96.0.5"));
	expect_nodata(z, "web.default.svc." CL, AAAA, CL);
	expect_nodata(z, "web.default.svc." CL, TXT, CL);
	expect_nodata(z, "web.default.svc." CL, HINFO, CL);
}

Test(zone, clusterip_dual_stack)
{
	expect_answer(z, "dual.default.svc." CL, A,
		      RRS("dual.default.svc." CL ". 5 IN A 10.96.0.6"));
	expect_answer(z, "dual.default.svc." CL, AAAA,
		      RRS("dual.default.svc." CL ". 5 IN AAAA fd00:10:96::6"));
}

Test(zone, clusterip_one_record_per_address)
{
	/* two ports, one address: one A */
	expect_answer(z, "kube-dns.kube-system.svc." CL, A,
		      RRS("kube-dns.kube-system.svc." CL ". 5 IN A 10.96.0.10"));
}

Test(zone, clusterip_without_endpoints_resolves)
{
	expect_answer(z, "noeps.default.svc." CL, A,
		      RRS("noeps.default.svc." CL ". 5 IN A 10.96.0.7"));
}

Test(zone, clusterip_endpoint_names)
{
	expect_answer(z, "10-0-1-1.web.default.svc." CL, A,
		      RRS("10-0-1-1.web.default.svc." CL ". 5 IN A 10.0.1.1"));
	expect_answer(z, "a.web.default.svc." CL, A,
		      RRS("a.web.default.svc." CL ". 5 IN A 10.0.1.2"));
	/* the dashed form only for endpoints without hostname; not-ready endpoints: none */
	expect_nxdomain(z, "10-0-1-2.web.default.svc." CL, A, CL);
	expect_nxdomain(z, "10-0-1-3.web.default.svc." CL, A, CL);
}

/* ---- 2.4 headless ---- */

Test(zone, headless_ready_nil_unready_dedup)
{
	/* ready, nil, ready:null count; ready:false (terminating) does not; 10.0.2.1 is in two
	 * slices: one record */
	expect_answer(z, "hdl.default.svc." CL, A,
		      RRS("hdl.default.svc." CL ". 5 IN A 10.0.2.1",
			  "hdl.default.svc." CL ". 5 IN A 10.0.2.2",
			  "hdl.default.svc." CL ". 5 IN A 10.0.2.4",
			  "hdl.default.svc." CL ". 5 IN A 10.0.2.5"));
	expect_nodata(z, "hdl.default.svc." CL, AAAA, CL);
}

Test(zone, headless_no_ready_endpoints_nxdomain)
{
	expect_nxdomain(z, "unready.default.svc." CL, A, CL);
	expect_nxdomain(z, "unready.default.svc." CL, AAAA, CL);
	expect_nxdomain(z, "unready.default.svc." CL, SRV, CL);
	expect_nxdomain(z, "u-0.unready.default.svc." CL, A, CL);
	expect_nxdomain(z, "_http._tcp.unready.default.svc." CL, SRV, CL);
}

Test(zone, headless_hostnames)
{
	/* two addresses with one hostname: two records */
	expect_answer(z, "web-0.hdl.default.svc." CL, A,
		      RRS("web-0.hdl.default.svc." CL ". 5 IN A 10.0.2.1",
			  "web-0.hdl.default.svc." CL ". 5 IN A 10.0.2.5"));
	expect_answer(z, "web-1.hdl.default.svc." CL, A,
		      RRS("web-1.hdl.default.svc." CL ". 5 IN A 10.0.2.2"));
	expect_nxdomain(z, "web-2.hdl.default.svc." CL, A, CL);
	expect_answer(z, "10-0-2-4.hdl.default.svc." CL, A,
		      RRS("10-0-2-4.hdl.default.svc." CL ". 5 IN A 10.0.2.4"));
	/* spec 4 #10: no dashed name for an endpoint that has a hostname */
	expect_nxdomain(z, "10-0-2-1.hdl.default.svc." CL, A, CL);
}

Test(zone, headless_dual_stack)
{
	expect_answer(z, "hdl6.default.svc." CL, A,
		      RRS("hdl6.default.svc." CL ". 5 IN A 10.0.3.1"));
	expect_answer(z, "hdl6.default.svc." CL, AAAA,
		      RRS("hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::3:1",
			  "hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::3:2",
			  "hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::"));
	expect_answer(z, "h-0.hdl6.default.svc." CL, A,
		      RRS("h-0.hdl6.default.svc." CL ". 5 IN A 10.0.3.1"));
	expect_answer(z, "h-0.hdl6.default.svc." CL, AAAA,
		      RRS("h-0.hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::3:1"));
	/* dashed IPv6: ':' -> '-', a trailing '-' gets a '0' */
	expect_answer(z, "fd00-10-244--3-2.hdl6.default.svc." CL, AAAA,
		      RRS("fd00-10-244--3-2.hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::3:2"));
	expect_answer(z, "fd00-10-244--0.hdl6.default.svc." CL, AAAA,
		      RRS("fd00-10-244--0.hdl6.default.svc." CL ". 5 IN AAAA fd00:10:244::"));
	expect_nodata(z, "fd00-10-244--0.hdl6.default.svc." CL, A, CL);
}

Test(zone, headless_slice_without_ports)
{
	expect_answer(z, "noport.default.svc." CL, A,
		      RRS("noport.default.svc." CL ". 5 IN A 10.0.4.1"));
	expect_answer(z, "10-0-4-1.noport.default.svc." CL, A,
		      RRS("10-0-4-1.noport.default.svc." CL ". 5 IN A 10.0.4.1"));
	expect_nodata(z, "noport.default.svc." CL, SRV, CL);
}

/* ---- SRV ---- */

Test(zone, srv_clusterip_named_ports_use_service_port)
{
	expect_answer(z, "_http._tcp.web.default.svc." CL, SRV,
		      RRS("_http._tcp.web.default.svc." CL ". 5 IN SRV 0 100 80 web.default.svc." CL
			  "."));
	expect_answer(z, "_https._tcp.web.default.svc." CL, SRV,
		      RRS("_https._tcp.web.default.svc." CL
			  ". 5 IN SRV 0 100 443 web.default.svc." CL "."));
	/* the SRV name has no address records; the protocol level is an ENT (RFC 8020) */
	expect_nodata(z, "_http._tcp.web.default.svc." CL, A, CL);
	expect_nodata(z, "_tcp.web.default.svc." CL, SRV, CL);
	/* no such port or protocol */
	expect_nxdomain(z, "_http._udp.web.default.svc." CL, SRV, CL);
	expect_nxdomain(z, "_ftp._tcp.web.default.svc." CL, SRV, CL);
	/* without the underscore it is an endpoint name that does not exist */
	expect_nxdomain(z, "http.tcp.web.default.svc." CL, SRV, CL);
}

Test(zone, srv_bare_name_all_ports)
{
	expect_answer(z, "web.default.svc." CL, SRV,
		      RRS("web.default.svc." CL ". 5 IN SRV 0 50 80 web.default.svc." CL ".",
			  "web.default.svc." CL ". 5 IN SRV 0 50 443 web.default.svc." CL "."));
}

Test(zone, srv_unnamed_port_bare_only)
{
	expect_answer(z, "noeps.default.svc." CL, SRV,
		      RRS("noeps.default.svc." CL ". 5 IN SRV 0 100 9000 noeps.default.svc." CL
			  "."));
	expect_nxdomain(z, "_udp.noeps.default.svc." CL, SRV, CL);
	expect_nxdomain(z, "_._udp.noeps.default.svc." CL, SRV, CL);
}

Test(zone, srv_weights_count_ports_times_ips)
{
	/* dual-stack, one port: N = 2 -> 50, both entries collapse into one RR */
	expect_answer(z, "_http._tcp.dual.default.svc." CL, SRV,
		      RRS("_http._tcp.dual.default.svc." CL
			  ". 5 IN SRV 0 50 80 dual.default.svc." CL "."));
	/* kube-dns: 3 ports x 2 IPs = 6 -> 16; port 53 twice (UDP, TCP) is one RR */
	expect_answer(z, "kube-dns.kube-system.svc." CL, SRV,
		      RRS("kube-dns.kube-system.svc." CL
			  ". 5 IN SRV 0 16 53 kube-dns.kube-system.svc." CL ".",
			  "kube-dns.kube-system.svc." CL
			  ". 5 IN SRV 0 16 9153 kube-dns.kube-system.svc." CL "."));
	expect_answer(z, "_dns._udp.kube-dns.kube-system.svc." CL, SRV,
		      RRS("_dns._udp.kube-dns.kube-system.svc." CL
			  ". 5 IN SRV 0 50 53 kube-dns.kube-system.svc." CL "."));
	expect_answer(z, "_dns-tcp._tcp.kube-dns.kube-system.svc." CL, SRV,
		      RRS("_dns-tcp._tcp.kube-dns.kube-system.svc." CL
			  ". 5 IN SRV 0 50 53 kube-dns.kube-system.svc." CL "."));
	expect_nxdomain(z, "_dns._tcp.kube-dns.kube-system.svc." CL, SRV, CL);
}

Test(zone, srv_headless_endpoint_targets_and_slice_port)
{
	/* entries: web-0/10.0.2.1, web-1, 10-0-2-4, web-0/10.0.2.5 = 4 -> weight 25; the
	 * repeated 10.0.2.1 is one entry; web-0 twice is one RR (target, port); the port is
	 * the slice's 8080, not the Service's 80 */
	const char *const want[] = {
		"_http._tcp.hdl.default.svc." CL ". 5 IN SRV 0 25 8080 web-0.hdl.default.svc." CL
		".",
		"_http._tcp.hdl.default.svc." CL ". 5 IN SRV 0 25 8080 web-1.hdl.default.svc." CL
		".",
		"_http._tcp.hdl.default.svc." CL ". 5 IN SRV 0 25 8080 10-0-2-4.hdl.default.svc." CL
		".",
		NULL,
	};

	expect_answer(z, "_http._tcp.hdl.default.svc." CL, SRV, want);
	expect_answer(
		z, "hdl.default.svc." CL, SRV,
		RRS("hdl.default.svc." CL ". 5 IN SRV 0 25 8080 web-0.hdl.default.svc." CL ".",
		    "hdl.default.svc." CL ". 5 IN SRV 0 25 8080 web-1.hdl.default.svc." CL ".",
		    "hdl.default.svc." CL ". 5 IN SRV 0 25 8080 10-0-2-4.hdl.default.svc." CL "."));
	/* dual-stack headless: h-0 twice (v4, v6) is one RR, N = 4 (h-0 x2, 2 dashed) */
	expect_answer(z, "_grpc._tcp.hdl6.default.svc." CL, SRV,
		      RRS("_grpc._tcp.hdl6.default.svc." CL
			  ". 5 IN SRV 0 25 9090 h-0.hdl6.default.svc." CL ".",
			  "_grpc._tcp.hdl6.default.svc." CL
			  ". 5 IN SRV 0 25 9090 fd00-10-244--3-2.hdl6.default.svc." CL ".",
			  "_grpc._tcp.hdl6.default.svc." CL
			  ". 5 IN SRV 0 25 9090 fd00-10-244--0.hdl6.default.svc." CL "."));
}

Test(zone, srv_weight_six_endpoints_and_minimum_one)
{
	static const char hdr[] =
		"{'kind':'List','items':["
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'s','namespace':'n'},"
		" 'spec':{'clusterIP':'None'}},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'s-1',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'s'}},"
		"'addressType':'IPv4',"
		" 'ports':[{'name':'p','port':1,'protocol':'TCP'}],'endpoints':[";
	uint8_t qn[DNS_NAME_MAX], buf[8192];
	struct zone_reply r;
	struct dns_parser p;
	struct dns_question q;
	struct dns_rr rr;
	size_t ql, tl;
	uint8_t target[DNS_NAME_MAX];
	uint16_t prio, weight, port;
	unsigned int counts[] = { 6, 101 }, weights[] = { 16, 1 };

	for (size_t t = 0; t < ARRAY_SIZE(counts); t++) {
		char *json = malloc(sizeof(hdr) + 64 * counts[t] + 8), *o;
		struct zone *zz = zone_make(ZONE_PODS_DISABLED, NULL, 5);
		struct dns_writer w;
		struct dns_hdr h = { .flags = DNS_FLAG_QR };
		uint8_t msg[8192];

		o = json + sprintf(json, "%s", hdr);
		for (unsigned int i = 0; i < counts[t]; i++)
			o += sprintf(o, "%s{'addresses':['10.1.%u.%u']}", i ? "," : "", i / 250,
				     i % 250 + 1);
		strcpy(o, "]}]}");
		cr_assert_eq(zone_load_sq(zz, json), 0);
		cr_assert_eq(zone_build(zz), 0);
		free(json);

		ql = qwire(qn, "_p._tcp.s.n.svc." CL);
		cr_assert_eq(zone_answer_buf(zz, qn, ql, SRV, &r, buf, sizeof(buf)), 0);
		cr_assert_eq(r.ancount, counts[t]);
		h.count[0] = 1;
		h.count[1] = r.ancount;
		dns_writer_init(&w, msg, sizeof(msg));
		dns_write_hdr(&w, &h);
		dns_write_question(&w, qn, ql, SRV, DNS_CLASS_IN);
		cr_assert_eq(dns_write_bytes(&w, buf, r.len), 0);
		cr_assert_eq(dns_parser_init(&p, msg, w.len), 0);
		cr_assert_eq(dns_parser_question(&p, &q), 0);
		while (dns_parser_rr(&p, &rr) == 0) {
			cr_assert_eq(dns_rr_srv(&p, &rr, &prio, &weight, &port, target, &tl), 0);
			cr_assert_eq(prio, 0);
			cr_assert_eq(weight, weights[t], "N=%u: weight %u", counts[t], weight);
			cr_assert_eq(port, 1);
		}
		cr_assert_eq(dns_parser_end(&p), 0);
		zone_free(zz);
	}
}

/* ---- 2.5 ExternalName ---- */

Test(zone, externalname_cname_and_pass)
{
	expect_answer(z, "ext.default.svc." CL, CNAME,
		      RRS("ext.default.svc." CL ". 5 IN CNAME example.com."));
	/* other types chase the CNAME in the slow path */
	expect_pass(z, "ext.default.svc." CL, A);
	expect_pass(z, "ext.default.svc." CL, AAAA);
	expect_pass(z, "ext.default.svc." CL, SRV);
	/* nothing exists below it */
	expect_nxdomain(z, "foo.ext.default.svc." CL, A, CL);
	expect_nxdomain(z, "_http._tcp.ext.default.svc." CL, SRV, CL);
}

/* ---- 2.6 PTR ---- */

Test(zone, ptr_clusterip)
{
	expect_answer(z, "5.0.96.10.in-addr.arpa", PTR,
		      RRS("5.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc." CL "."));
	expect_answer(z, "10.0.96.10.in-addr.arpa", PTR,
		      RRS("10.0.96.10.in-addr.arpa. 5 IN PTR kube-dns.kube-system.svc." CL "."));
	expect_nodata(z, "5.0.96.10.in-addr.arpa", A, RZ);
}

Test(zone, ptr_endpoints_hostname_dashed_clusterip_service)
{
	expect_answer(z, "1.2.0.10.in-addr.arpa", PTR,
		      RRS("1.2.0.10.in-addr.arpa. 5 IN PTR web-0.hdl.default.svc." CL "."));
	expect_answer(z, "5.2.0.10.in-addr.arpa", PTR,
		      RRS("5.2.0.10.in-addr.arpa. 5 IN PTR web-0.hdl.default.svc." CL "."));
	expect_answer(z, "4.2.0.10.in-addr.arpa", PTR,
		      RRS("4.2.0.10.in-addr.arpa. 5 IN PTR 10-0-2-4.hdl.default.svc." CL "."));
	/* an endpoint of a ClusterIP service, without and with hostname */
	expect_answer(z, "1.1.0.10.in-addr.arpa", PTR,
		      RRS("1.1.0.10.in-addr.arpa. 5 IN PTR 10-0-1-1.web.default.svc." CL "."));
	expect_answer(z, "2.1.0.10.in-addr.arpa", PTR,
		      RRS("2.1.0.10.in-addr.arpa. 5 IN PTR a.web.default.svc." CL "."));
	/* not ready, or a pod-only IP: NXDOMAIN in the served reverse zone */
	expect_nxdomain(z, "3.2.0.10.in-addr.arpa", PTR, RZ);
	expect_nxdomain(z, "1.9.0.10.in-addr.arpa", PTR, RZ);
}

Test(zone, ptr_ipv6_outside_reverse_zones_passes)
{
	/* ip6.arpa is not configured: the PTR is answered, the rest passes, misses pass */
	expect_answer(
		z, "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa", PTR,
		RRS("6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 5 "
		    "IN "
		    "PTR dual.default.svc." CL "."));
	expect_pass(z, "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa",
		    A);
	expect_enoent(z, "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa",
		      PTR);
	expect_enoent(z, "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa",
		      PTR);
}

Test(zone, ptr_clusterip_first_service_wins_over_endpoints)
{
	struct zone *zz = zone_from(
		ZONE_PODS_DISABLED, fixture_rz,
		"{'kind':'List','items':["
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'bbb','namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.1.1'}},"
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'aaa','namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.1.1'}},"
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'h','namespace':'n'},"
		" 'spec':{'clusterIP':'None'}},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'h-1',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'h'}},"
		"'addressType':'IPv4',"
		" 'endpoints':[{'addresses':['10.96.1.1'],'hostname':'a'}]}]}");

	/* a.h.n.svc sorts before aaa.n.svc: only the ClusterIP rank keeps it out */
	expect_answer(zz, "1.1.96.10.in-addr.arpa", PTR,
		      RRS("1.1.96.10.in-addr.arpa. 5 IN PTR aaa.n.svc." CL "."));
	zone_free(zz);
}

Test(zone, ptr_ip_of_two_services)
{
	struct zone *zz = zone_from(
		ZONE_PODS_DISABLED, fixture_rz,
		"{'kind':'List','items':["
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'x','namespace':'n'},"
		" 'spec':{'clusterIP':'None'}},"
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'y','namespace':'n'},"
		" 'spec':{'clusterIP':'10.96.2.2'}},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'x-1',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'x'}},"
		"'addressType':'IPv4',"
		" 'endpoints':[{'addresses':['10.0.7.7'],'hostname':'m'}]},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'x-2',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'x'}},"
		"'addressType':'IPv4',"
		" 'endpoints':[{'addresses':['10.0.7.7'],'hostname':'m'}]},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1',"
		"'metadata':{'name':'y-1',"
		" 'namespace':'n','labels':{'kubernetes.io/service-name':'y'}},"
		"'addressType':'IPv4',"
		" 'endpoints':[{'addresses':['10.0.7.7']}]}]}");

	/* one per service; the repeat across x's two slices is one */
	expect_answer(zz, "7.7.0.10.in-addr.arpa", PTR,
		      RRS("7.7.0.10.in-addr.arpa. 5 IN PTR m.x.n.svc." CL ".",
			  "7.7.0.10.in-addr.arpa. 5 IN PTR 10-0-7-7.y.n.svc." CL "."));
	zone_free(zz);
}

Test(zone, reverse_zone_apex_ents_and_misses)
{
	char soa[256];

	soa_text(soa, sizeof(soa), RZ, 5);
	expect_answer(z, RZ, SOA, RRS(soa));
	expect_answer_ar(z, RZ, NS, RRS(RZ ". 5 IN NS ns.dns." CL "."),
			 RRS("ns.dns." CL ". 5 IN A 10.96.0.10",
			     "ns.dns." CL ". 5 IN AAAA fd00:10:96::a"));
	expect_nodata(z, "0.96.10.in-addr.arpa", PTR, RZ);
	expect_nodata(z, "96.10.in-addr.arpa", PTR, RZ);
	expect_nxdomain(z, "99.0.96.10.in-addr.arpa", PTR, RZ);
	expect_nxdomain(z, "1.2.3.10.in-addr.arpa", PTR, RZ);
	expect_enoent(z, "1.1.168.192.in-addr.arpa", PTR);
	expect_enoent(z, "in-addr.arpa", SOA);
}

Test(zone, ptr_without_reverse_zones)
{
	struct zone *zz = zone_from(ZONE_PODS_DISABLED, NULL, fixture_json);
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];

	expect_answer(zz, "5.0.96.10.in-addr.arpa", PTR,
		      RRS("5.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc." CL "."));
	expect_pass(zz, "5.0.96.10.in-addr.arpa", A);
	expect_enoent(zz, "0.96.10.in-addr.arpa", PTR);
	expect_enoent(zz, "3.2.0.10.in-addr.arpa", PTR);
	cr_assert_eq(zone_project_zones(zz, zones, XDPDNS_MAX_ZONES), 1);
	zone_free(zz);
}

/* ---- namespaces, ENTs, apex ---- */

Test(zone, namespace_nodata_vs_nxdomain)
{
	expect_nodata(z, "default.svc." CL, A, CL);
	expect_nodata(z, "kube-system.svc." CL, SRV, CL);
	expect_nodata(z, "empty-ns.svc." CL, A, CL); /* a Namespace object and nothing else */
	expect_nodata(z, "only-pods.svc." CL, A, CL); /* no Namespace object, a Pod lives there */
	expect_nxdomain(z, "nope.svc." CL, A, CL);
	expect_nxdomain(z, "web.nope.svc." CL, A, CL);
}

Test(zone, empty_non_terminals_nodata)
{
	expect_nodata(z, "svc." CL, A, CL);
	expect_nodata(z, "pod." CL, A, CL);
	expect_nodata(z, "svc." CL, NS, CL);
	expect_nodata(z, "dns." CL, A, CL);
	expect_nodata(z, "_tcp.hdl.default.svc." CL, A, CL);
}

Test(zone, apex_soa_ns_and_nodata)
{
	char soa[256];

	soa_text(soa, sizeof(soa), CL, 5);
	expect_answer(z, CL, SOA, RRS(soa));
	expect_answer_ar(z, CL, NS, RRS(CL ". 5 IN NS ns.dns." CL "."),
			 RRS("ns.dns." CL ". 5 IN A 10.96.0.10",
			     "ns.dns." CL ". 5 IN AAAA fd00:10:96::a"));
	expect_nodata(z, CL, A, CL);
	expect_nodata(z, CL, AAAA, CL);
	expect_nodata(z, CL, SRV, CL);
	expect_nodata(z, CL, HINFO, CL);
	expect_answer(z, "ns.dns." CL, A, RRS("ns.dns." CL ". 5 IN A 10.96.0.10"));
	expect_answer(z, "ns.dns." CL, AAAA, RRS("ns.dns." CL ". 5 IN AAAA fd00:10:96::a"));
}

Test(zone, soa_minimum_and_ttl_follow_config)
{
	struct zone *zz = zone_make(ZONE_PODS_DISABLED, NULL, 30);

	expect_negative(zz, "nope.svc." CL, A, LDNS_RCODE_NXDOMAIN, CL, 30);
	expect_negative(zz, "svc." CL, A, LDNS_RCODE_NOERROR, CL, 30);
	zone_free(zz);
}

Test(zone, soa_pointers_lead_to_the_apex_in_the_question)
{
	struct xdpdns_answer a;
	static const uint8_t off = 12 + 4 + 3;	/* "\x03abc\x02xy" then cluster.local */

	cr_assert_eq(zanswer(z, "abc.xy." CL, A, &a), 0);
	cr_assert_eq(a.rcode, 3);
	cr_assert_eq(a.len, XDPDNS_SOA_LEN);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_OWNER], 0xc0);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_OWNER + 1], off);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_MNAME], 0xc0);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_MNAME + 1], off);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_RNAME], 0xc0);
	cr_assert_eq(a.data[XDPDNS_SOA_PTR_RNAME + 1], off);
	cr_assert_eq(memcmp(a.data + 12, "\x02" "ns" "\x03" "dns", 7), 0);
	cr_assert_eq(memcmp(a.data + 21, "\x0a" "hostmaster", 11), 0);
}

Test(zone, dns_version_txt)
{
	expect_answer(z, "dns-version." CL, TXT, RRS("dns-version." CL ". 28800 IN TXT \"1.1.0\""));
	/* spec 4 #9: NODATA, not CoreDNS's NXDOMAIN */
	expect_nodata(z, "dns-version." CL, A, CL);
	expect_nodata(z, "web.default.svc." CL, TXT, CL);
}

Test(zone, search_path_names_nxdomain)
{
	expect_nxdomain(z, "google.com.default.svc." CL, A, CL);
	expect_nxdomain(z, "google.com.default.svc." CL, AAAA, CL);
	expect_nxdomain(z, "google.com.svc." CL, A, CL);
	expect_nxdomain(z, "google.com." CL, A, CL);
	expect_nxdomain(z, "foo." CL, A, CL);
	expect_nxdomain(z, "100.0.0.10." CL, A, CL);
	expect_nxdomain(z, "a.b.web.default.svc." CL, A, CL);
	expect_enoent(z, "google.com", A);
	expect_enoent(z, "local", A);
}

Test(zone, wildcards_nxdomain)
{
	expect_nxdomain(z, "*.default.svc." CL, A, CL);
	expect_nxdomain(z, "any.default.svc." CL, A, CL);
	expect_nxdomain(z, "*.hdl.default.svc." CL, A, CL);
	expect_nxdomain(z, "*.*.svc." CL, A, CL);
	expect_nxdomain(z, "_*._tcp.web.default.svc." CL, SRV, CL);
}

Test(zone, case_insensitive_and_query_case_kept)
{
	ldns_pkt *pkt;
	char *owner;

	expect_answer(z, "WeB.DeFault.SVC.Cluster.LOCAL", A,
		      RRS("WeB.DeFault.SVC.Cluster.LOCAL. 5 IN A 10.96.0.5"));
	pkt = ask(z, "WeB.DeFault.SVC.Cluster.LOCAL", A);
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(pkt), 0)));
	cr_assert_str_eq(owner, "WeB.DeFault.SVC.Cluster.LOCAL.");
	free(owner);
	ldns_pkt_free(pkt);

	/* the SOA owner of a negative answer is the apex as the client wrote it */
	pkt = ask(z, "NoPe.Cluster.LOCAL", A);
	cr_assert_eq(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NXDOMAIN);
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_authority(pkt), 0)));
	cr_assert_str_eq(owner, "Cluster.LOCAL.");
	free(owner);
	ldns_pkt_free(pkt);

	expect_answer(z, "_HTTP._TCP.web.default.svc." CL, SRV,
		      RRS("_HTTP._TCP.web.default.svc." CL ". 5 IN SRV 0 100 80 web.default.svc." CL
			  "."));
	expect_answer(z, "WEB-0.HDL.default.svc." CL, A,
		      RRS("WEB-0.HDL.default.svc." CL ". 5 IN A 10.0.2.1",
			  "WEB-0.HDL.default.svc." CL ". 5 IN A 10.0.2.5"));
}

Test(zone, kubernetes_names_lower_cased)
{
	struct zone *zz = zone_from(
		ZONE_PODS_DISABLED, NULL,
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'MixedCase',"
		"'namespace':'NS'},"
		" 'spec':{'clusterIP':'10.96.3.3','ports':[{'name':'HTTP','port':80,"
		"'protocol':'tcp'}]}}");

	expect_answer(zz, "mixedcase.ns.svc." CL, A,
		      RRS("mixedcase.ns.svc." CL ". 5 IN A 10.96.3.3"));
	expect_answer(zz, "_http._tcp.mixedcase.ns.svc." CL, SRV,
		      RRS("_http._tcp.mixedcase.ns.svc." CL
			  ". 5 IN SRV 0 100 80 mixedcase.ns.svc." CL "."));
	zone_free(zz);
}

/* ---- pods ---- */

Test(zone, pods_verified)
{
	expect_answer(z, "10-0-9-1.default.pod." CL, A,
		      RRS("10-0-9-1.default.pod." CL ". 5 IN A 10.0.9.1"));
	/* spec 4 #11: the secondary IP too */
	expect_answer(z, "fd00-10-244--9-1.default.pod." CL, AAAA,
		      RRS("fd00-10-244--9-1.default.pod." CL ". 5 IN AAAA fd00:10:244::9:1"));
	expect_nodata(z, "10-0-9-1.default.pod." CL, AAAA, CL);
	/* terminating pod; IP of a pod in another namespace; no pod */
	expect_nxdomain(z, "10-0-9-2.default.pod." CL, A, CL);
	expect_nxdomain(z, "10-0-9-3.default.pod." CL, A, CL);
	expect_answer(z, "10-0-9-3.kube-system.pod." CL, A,
		      RRS("10-0-9-3.kube-system.pod." CL ". 5 IN A 10.0.9.3"));
	expect_nxdomain(z, "10-9-9-9.default.pod." CL, A, CL);
	expect_nodata(z, "default.pod." CL, A, CL);
	expect_nodata(z, "empty-ns.pod." CL, A, CL);
	expect_nxdomain(z, "nope.pod." CL, A, CL);
	expect_nodata(z, "pod." CL, A, CL);
}

Test(zone, pods_insecure)
{
	struct zone *zz = zone_from(ZONE_PODS_INSECURE, fixture_rz, fixture_json);
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	int n;

	expect_nodata(zz, "pod." CL, A, CL);
	expect_nodata(zz, "default.pod." CL, A, CL);
	expect_nodata(zz, "empty-ns.pod." CL, A, CL);
	/* synthesised by the slow path: the fast path passes everything else below pod. */
	expect_enoent(zz, "10-0-9-1.default.pod." CL, A);
	expect_enoent(zz, "1-2-3-4.default.pod." CL, A);
	expect_enoent(zz, "nope.pod." CL, A);
	expect_nxdomain(zz, "nope.svc." CL, A, CL);

	/* ... which zone_answer_buf() answers (spec 2.7, CoreDNS insecure mode) */
	zh_slow_path = true;
	expect_answer(zz, "10-0-9-1.default.pod." CL, A,
		      RRS("10-0-9-1.default.pod." CL ". 5 IN A 10.0.9.1"));
	expect_answer(zz, "1-2-3-4.DEFAULT.pod." CL, A,
		      RRS("1-2-3-4.DEFAULT.pod." CL ". 5 IN A 1.2.3.4"));
	expect_answer(zz, "1-2-3-4.empty-ns.pod." CL, A,
		      RRS("1-2-3-4.empty-ns.pod." CL ". 5 IN A 1.2.3.4"));
	expect_answer(zz, "fd00-10-244--9-1.default.pod." CL, AAAA,
		      RRS("fd00-10-244--9-1.default.pod." CL ". 5 IN AAAA fd00:10:244::9:1"));
	expect_answer(zz, "fd00--1.default.pod." CL, AAAA,
		      RRS("fd00--1.default.pod." CL ". 5 IN AAAA fd00::1"));
	/* IPv4-mapped IPv6 is IPv4, as Go's To4() has it */
	expect_answer(zz, "--ffff-102-304.default.pod." CL, A,
		      RRS("--ffff-102-304.default.pod." CL ". 5 IN A 1.2.3.4"));
	/* the other family and other types: the name exists */
	expect_nodata(zz, "1-2-3-4.default.pod." CL, AAAA, CL);
	expect_nodata(zz, "1-2-3-4.default.pod." CL, TXT, CL);
	expect_nodata(zz, "fd00--1.default.pod." CL, A, CL);
	/* no such namespace; not an address; a label too many or too few */
	expect_nxdomain(zz, "1-2-3-4.nons.pod." CL, A, CL);
	expect_nxdomain(zz, "1-2-3-400.default.pod." CL, A, CL);
	expect_nxdomain(zz, "01-2-3-4.default.pod." CL, A, CL);
	expect_nxdomain(zz, "1-2-3-4-5.default.pod." CL, A, CL);
	/* four dashes are IPv6, even when they look like IPv4 to a human */
	expect_answer(zz, "1-2-3--4.default.pod." CL, AAAA,
		      RRS("1-2-3--4.default.pod." CL ". 5 IN AAAA 1:2:3::4"));
	expect_nxdomain(zz, "web.default.pod." CL, A, CL);
	expect_nxdomain(zz, "x.1-2-3-4.default.pod." CL, A, CL);
	expect_nxdomain(zz, "nope.pod." CL, A, CL);
	/* the existing names are unchanged */
	expect_nodata(zz, "default.pod." CL, A, CL);
	expect_nodata(zz, "pod." CL, A, CL);
	zh_slow_path = false;

	n = zone_project_zones(zz, zones, XDPDNS_MAX_ZONES);
	cr_assert_eq(n, 3);
	cr_assert_eq(zones[0].action, XDPDNS_ZONE_PASS);
	cr_assert_eq(zones[0].name_len, 19);
	cr_assert_eq(memcmp(zones[0].name, "\x03" "pod" "\x07" "cluster" "\x05" "local", 19), 0);
	zone_free(zz);
}

Test(zone, pods_disabled)
{
	struct zone *zz = zone_from(ZONE_PODS_DISABLED, fixture_rz, fixture_json);
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];

	expect_nodata(zz, "pod." CL, A, CL);
	expect_nxdomain(zz, "default.pod." CL, A, CL);
	expect_nxdomain(zz, "10-0-9-1.default.pod." CL, A, CL);
	cr_assert_eq(zone_project_zones(zz, zones, XDPDNS_MAX_ZONES), 2);
	cr_assert_eq(zones[0].action, XDPDNS_ZONE_AUTH);
	cr_assert_eq(zones[1].action, XDPDNS_ZONE_AUTH);
	zone_free(zz);
}

/* ---- answers that do not fit ---- */

Test(zone, answer_too_big_passes_and_slow_path_renders_it)
{
	char json[8192], *o = json;
	struct zone *zz = zone_make(ZONE_PODS_DISABLED, NULL, 5);
	uint8_t qn[DNS_NAME_MAX], buf[4096];
	struct xdpdns_answer a;
	struct zone_reply r;
	size_t ql;

	o += sprintf(
		o,
		"{'kind':'List','items':["
		"{'kind':'Service','apiVersion':'v1','metadata':{'name':'big','namespace':'n'},"
		" 'spec':{'clusterIP':'None'}},"
		"{'kind':'EndpointSlice','apiVersion':'discovery.k8s.io/v1','metadata':"
		" {'name':'big-1','namespace':'n','labels':{'kubernetes.io/service-name':'big'}},"
		" 'addressType':'IPv4','endpoints':[");
	for (int i = 0; i < 40; i++)	/* 40 x 16 bytes > XDPDNS_ANSWER_MAX (376) */
		o += sprintf(o, "%s{'addresses':['10.2.0.%d']}", i ? "," : "", i + 1);
	strcpy(o, "]}]}");
	cr_assert_eq(zone_load_sq(zz, json), 0);
	cr_assert_eq(zone_build(zz), 0);
	expect_pass(zz, "big.n.svc." CL, A);
	expect_nodata(zz, "big.n.svc." CL, AAAA, CL);
	ql = qwire(qn, "big.n.svc." CL);
	cr_assert_eq(zone_answer_buf(zz, qn, ql, A, &r, buf, sizeof(buf)), 0);
	cr_assert_eq(r.ancount, 40);
	cr_assert_eq(r.len, 40 * 16);
	cr_assert_eq(r.flags, 0);
	cr_assert_eq(zone_answer_buf(zz, qn, ql, A, &r, buf, 100), -EMSGSIZE);
	cr_assert_eq(zone_answer(zz, qn, 3, A, &a), -EINVAL);
	zone_free(zz);
}
