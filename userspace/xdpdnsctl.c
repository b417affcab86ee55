// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpdnsctl - read what a running xdpdns fast path holds, through its pinned maps.
 *
 *   xdpdnsctl [--pin-dir DIR] stats              every counter, "name value" per line
 *   xdpdnsctl [--pin-dir DIR] lookup NAME TYPE   the fast path's answer to one question
 *
 * lookup walks the maps in the order bpf/xdpdns.bpf.c does: the (name, type) entry, then
 * the name's existence entry (NODATA), then the zone table, then for names in no zone the
 * promoted cache map (TTLs as the fast path would send them now); it decodes the pre-rendered
 * records with libldns and names the counter the query would bump. It does not send
 * anything. Exit status: 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <ldns/ldns.h>

#include "maps.h"

#define DNS_CLASS_IN	1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_HDR_LEN	12
#define DNS_UDP_MIN	512	/* the limit without EDNS, RFC 1035 4.2.1 */
#define OPT_RR_LEN	11	/* the OPT record the fast path appends */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdpdnsctl [--pin-dir DIR] COMMAND\n"
		"\n"
		"Read the maps of a running xdpdns (pinned under DIR, default %s).\n"
		"\n"
		"commands:\n"
		"  stats              every fast-path counter as 'name value', summed over CPUs\n"
		"  lookup NAME TYPE   what the fast path answers for NAME TYPE (class IN): the\n"
		"                     map entry and its records, the name's NODATA entry, or the\n"
		"                     zone-table decision, or the promoted cache entry, in the\n"
		"                     order the fast path looks\n"
		"                     TYPE: A, AAAA, SRV, PTR, TXT, CNAME, NS, SOA, any type\n"
		"                     name, or a number\n"
		"\n"
		"options:\n"
		"  -p, --pin-dir DIR  bpffs directory of the maps\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 on success, 1 on a usage error or a failure.\n",
		XDPDNS_PIN_DIR_DEFAULT);
}

static int cmd_stats(const struct xdpdns_maps *m)
{
	uint64_t v[XDPDNS_R_MAX];
	int err;

	err = maps_read_counters(m, v);
	if (err) {
		fprintf(stderr, "xdpdnsctl: reading the counters: %s\n", strerror(-err));
		return 1;
	}
	/* Every counter of maps/reasons.h, in value order, named by the same list. */
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++)
		if (xdpdns_reason_name(r))
			printf("%s %" PRIu64 "\n", xdpdns_reason_name(r), v[r]);
	return 0;
}

static const char *verdict_name(unsigned int reason)
{
	if (reason < XDPDNS_R_FIRST_DROP)
		return "XDP_TX";
	return reason < XDPDNS_R_FIRST_PASS ? "XDP_DROP" : "XDP_PASS";
}

/* A presentation-format name from wire bytes; caller frees. */
static char *name_str(const uint8_t *wire, unsigned int len)
{
	ldns_rdf *rdf = ldns_dname_new_frm_data((uint16_t)len, wire);
	char *s = rdf ? ldns_rdf2str(rdf) : NULL;

	ldns_rdf_deep_free(rdf);
	return s ? s : strdup("(malformed name)");
}

static void type_print(uint16_t qtype)
{
	char *s = ldns_rr_type2str((ldns_rr_type)qtype);

	fputs(s ? s : "?", stdout);
	free(s);
}

static const char *rcode_name(unsigned int rcode)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	return lt ? lt->name : "RCODE?";
}

static void hex_print(const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		printf("%s%02x", i % 16 ? " " : "  ", p[i]);
	if (len)
		putchar('\n');
}

static void rr_list_print(const char *section, const ldns_rr_list *l)
{
	size_t n = ldns_rr_list_rr_count(l);

	if (!n)
		return;
	printf("%s\n", section);
	for (size_t i = 0; i < n; i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));

		printf("  %s", s ? s : "(unprintable record)\n");
		free(s);
	}
}

/*
 * Decode records as the client would see them: a header with the given counts, the question
 * (compression pointers in data point into it), then data. Prints the sections; -EBADMSG
 * (with the data in hex) when they do not decode.
 */
static int records_print(const uint8_t *qname, unsigned int qlen, uint16_t qtype,
			 unsigned int rcode, unsigned int an, unsigned int ns, unsigned int ar,
			 const uint8_t *data, unsigned int len)
{
	uint8_t msg[DNS_HDR_LEN + XDPDNS_NAME_MAX + 4 + XDPDNS_ANSWER_MAX];
	uint16_t hdr[6] = { 0, htons(0x8400 | rcode), htons(1), htons(an), htons(ns), htons(ar) };
	uint16_t qfix[2] = { htons(qtype), htons(DNS_CLASS_IN) };
	size_t pos = 0;
	ldns_pkt *pkt = NULL;
	ldns_status st;

	memcpy(msg, hdr, sizeof(hdr));
	pos += sizeof(hdr);
	memcpy(msg + pos, qname, qlen);
	pos += qlen;
	memcpy(msg + pos, qfix, sizeof(qfix));
	pos += sizeof(qfix);
	memcpy(msg + pos, data, len);
	pos += len;
	st = ldns_wire2pkt(&pkt, msg, pos);
	if (st != LDNS_STATUS_OK) {
		printf("records    do not decode (%s); data:\n", ldns_get_errorstr_by_id(st));
		hex_print(data, len);
		return -EBADMSG;
	}
	rr_list_print("answer", ldns_pkt_answer(pkt));
	rr_list_print("authority", ldns_pkt_authority(pkt));
	rr_list_print("additional", ldns_pkt_additional(pkt));
	ldns_pkt_free(pkt);
	return 0;
}

/* The fast path's reason for an entry it found. */
static unsigned int entry_reason(const struct xdpdns_answer *a, uint16_t qtype)
{
	if ((a->flags & XDPDNS_ANS_PASS) || a->len > XDPDNS_ANSWER_MAX)
		return XDPDNS_R_PASS_ENTRY;
	if (a->rcode == DNS_RCODE_NXDOMAIN)
		return XDPDNS_R_NXDOMAIN;
	if (!a->ancount)
		return XDPDNS_R_NODATA;
	switch (qtype) {
	case LDNS_RR_TYPE_A:
		return XDPDNS_R_ANSWER_A;
	case LDNS_RR_TYPE_AAAA:
		return XDPDNS_R_ANSWER_AAAA;
	case LDNS_RR_TYPE_SRV:
		return XDPDNS_R_ANSWER_SRV;
	case LDNS_RR_TYPE_PTR:
		return XDPDNS_R_ANSWER_PTR;
	default:
		return XDPDNS_R_ANSWER_OTHER;
	}
}

/*
 * The entry's header and the records the fast path sends for it (with the zone table's SOA
 * for XDPDNS_ANS_ZONE_SOA); *sent gets them. -EBADMSG when they do not decode, -ENOENT when
 * the entry's zone is not in the table (the fast path passes).
 */
static int entry_print(const struct xdpdns_key_l *key, unsigned int qlen, uint16_t qtype,
		       const struct xdpdns_answer *a, const struct xdpdns_zone *zones,
		       unsigned int n_zones, struct xdpdns_answer *sent)
{
	const unsigned int known = XDPDNS_ANS_PASS | XDPDNS_ANS_ZONE_SOA;
	uint16_t csum = xdpdns_csum_partial(a->data, a->len <= XDPDNS_ANSWER_MAX ? a->len : 0);

	printf("           rcode %s, flags %s%s", rcode_name(a->rcode),
	       a->flags & XDPDNS_ANS_PASS ? "PASS" : a->flags & known ? "" : "none",
	       a->flags & XDPDNS_ANS_ZONE_SOA ? (a->flags & XDPDNS_ANS_PASS ? "|ZONE_SOA" :
					      "ZONE_SOA") : "");
	if (a->flags & ~known)
		printf(" (unknown bits 0x%02x)", a->flags & ~known);
	printf(", ancount %u, nscount %u, arcount %u, len %u, csum 0x%04x (%s)\n", a->ancount,
	       a->nscount, a->arcount, a->len, a->csum, csum == a->csum ? "matches data" : "WRONG");
	if (a->len > XDPDNS_ANSWER_MAX || (a->flags & XDPDNS_ANS_PASS)) {
		*sent = *a;
		if (a->len > XDPDNS_ANSWER_MAX)
			printf("records    none: len is over %d, so the fast path passes the "
			       "query\n", XDPDNS_ANSWER_MAX);
		return 0;
	}
	if (xdpdns_answer_expand(a, zones, n_zones, qlen, sent)) {
		printf("records    the SOA of zone #%u, which the zone table (%u in use) cannot "
		       "give for this name\n", a->zone, n_zones);
		return -ENOENT;
	}
	if (a->flags & XDPDNS_ANS_ZONE_SOA)
		printf("           the SOA comes from zone #%u of the zone table\n", a->zone);
	return records_print(key->name, qlen, qtype, sent->rcode, sent->ancount, sent->nscount,
			     sent->arcount, sent->data, sent->len);
}

/*
 * Offset of the zone apex in the question name if the zone holds it (at a label boundary),
 * else -1. Like the fast path, which compares 8-byte words of two zero-filled names, a zone
 * name with bytes past name_len in its last word matches nothing.
 */
static int zone_suffix(const struct xdpdns_zone *z, const uint8_t *qname, unsigned int qlen)
{
	unsigned int off = 0, end = (z->name_len + 7u) / 8 * 8;

	if (z->name_len == 0 || z->name_len > qlen)
		return -1;
	for (unsigned int i = z->name_len; i < end && i < sizeof(z->name); i++)
		if (z->name[i])
			return -1;
	while (off < qlen - z->name_len)
		off += qname[off] + 1u;	/* the key's name is well-formed */
	if (off != qlen - z->name_len || memcmp(qname + off, z->name, z->name_len))
		return -1;
	return (int)off;
}

struct size_info {
	unsigned int plain;	/* reply bytes to a query without EDNS */
	unsigned int edns_size;	/* config: the largest reply we send */
};

static void verdict_print(unsigned int reason, const struct size_info *sz,
			  const struct xdpdns_config *cfg)
{
	struct timespec ts;
	uint64_t now;

	if (reason < XDPDNS_R_FIRST_DROP) {
		/* A reply over the client's limit goes to the slow path: 512 without EDNS,
		 * with EDNS max(512, its UDP size); both capped at our edns_size. */
		unsigned int opt = sz->plain + OPT_RR_LEN;
		unsigned int plain_max = sz->edns_size < DNS_UDP_MIN ? sz->edns_size : DNS_UDP_MIN;

		if (sz->plain > plain_max)
			printf("size       reply %u bytes: over %u, queries without EDNS get "
			       "pass_too_big\n", sz->plain, plain_max);
		if (opt > sz->edns_size)
			printf("size       reply %u bytes with OPT: over edns_size %u, every EDNS "
			       "query gets pass_too_big\n", opt, sz->edns_size);
		else if (opt > DNS_UDP_MIN)
			printf("size       reply %u bytes with OPT: EDNS queries offering less get "
			       "pass_too_big\n", opt);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (cfg->stale_after_ns && now > cfg->heartbeat_ns + cfg->stale_after_ns) {
		/* the heartbeat is checked before any lookup */
		printf("verdict    pass_stale_heartbeat (XDP_PASS): heartbeat %.1f s old, over "
		       "%.1f s; with a fresh heartbeat: %s (%s)\n",
		       (double)(now - cfg->heartbeat_ns) / 1e9, (double)cfg->stale_after_ns / 1e9,
		       xdpdns_reason_name(reason), verdict_name(reason));
		return;
	}
	printf("verdict    %s (%s)", xdpdns_reason_name(reason), verdict_name(reason));
	if (reason < XDPDNS_R_FIRST_DROP)
		printf(", reply %u bytes, %u with OPT", sz->plain, sz->plain + OPT_RR_LEN);
	putchar('\n');
}

static int question_parse(const char *name, const char *type, struct xdpdns_key_l *key,
			  uint16_t *qtype)
{
	ldns_rdf *rdf;
	char *end;
	unsigned long t;
	int err;

	errno = 0;
	t = strtoul(type, &end, 10);
	if (*type >= '0' && *type <= '9') {
		if (*end || errno || t > 65535) {
			fprintf(stderr, "xdpdnsctl: type %s: not a number from 0 to 65535\n", type);
			return -EINVAL;
		}
		*qtype = (uint16_t)t;
	} else {
		*qtype = ldns_get_rr_type_by_name(type);
		if (!*qtype) {
			fprintf(stderr, "xdpdnsctl: type %s: unknown\n", type);
			return -EINVAL;
		}
	}
	rdf = ldns_dname_new_frm_str(name);
	if (!rdf) {
		fprintf(stderr, "xdpdnsctl: name %s: not a valid domain name\n", name);
		return -EINVAL;
	}
	err = xdpdns_key_build(key, ldns_rdf_data(rdf), ldns_rdf_size(rdf), *qtype);
	ldns_rdf_deep_free(rdf);
	if (err)
		fprintf(stderr, "xdpdnsctl: name %s: not a valid domain name\n", name);
	return err;
}

static void entry_head(enum xdpdns_key_class c, const char *qname, uint16_t key_qtype)
{
	printf("entry      %s [%s ", xdpdns_answer_map_names[c], qname);
	if (key_qtype == XDPDNS_QTYPE_NAME)
		fputs("existence (qtype 0)", stdout);
	else
		type_print(key_qtype);
	putchar(']');
}

/* A name in no zone: the promoted cache map (queries without DO and CD). 0 or 1. */
static int cache_print(const struct xdpdns_maps *m, struct xdpdns_key_l *key, uint16_t qtype,
		       unsigned int qlen, const char *qname, struct size_info *sz,
		       const struct xdpdns_config *cfg)
{
	struct xdpdns_cache_val v;
	struct timespec ts;
	uint64_t now, left;
	int err;

	key->qtype = htons(qtype);
	printf("cache      %s [%s ", XDPDNS_MAP_CACHE, qname);
	type_print(qtype);
	putchar(']');
	err = maps_lookup_cache(m, key, &v);
	if (err == -ENOENT) {
		printf(": none\n");
		verdict_print(XDPDNS_R_PASS_NOT_AUTH, sz, cfg);
		return 0;
	}
	if (err) {
		putchar('\n');
		fprintf(stderr, "xdpdnsctl: reading %s: %s\n", XDPDNS_MAP_CACHE, strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	left = v.expire_ns > now ? (v.expire_ns - now) / 1000000000ULL : 0;
	printf(" (queries without DO and CD): %" PRIu64 " s left\n", left);
	if (v.ans.flags || v.ans.len > XDPDNS_ANSWER_MAX || v.n_ttls > XDPDNS_CACHE_TTLS_MAX) {
		verdict_print(XDPDNS_R_PASS_ENTRY, sz, cfg);
		return 0;
	}
	if (!left) {
		verdict_print(XDPDNS_R_PASS_CACHE_EXPIRED, sz, cfg);
		return 0;
	}
	for (unsigned int i = 0; i < v.n_ttls; i++) {
		uint32_t t = htonl((uint32_t)(left > 0x7fffffff ? 0x7fffffff : left));

		if (v.ttl_off[i] + 4u > v.ans.len) {
			fprintf(stderr, "xdpdnsctl: the cache entry's TTL offset %u is past its "
				"data\n", v.ttl_off[i]);
			return 1;
		}
		memcpy(v.ans.data + v.ttl_off[i], &t, 4);
	}
	if (records_print(key->name, qlen, qtype, v.ans.rcode, v.ans.ancount, v.ans.nscount,
			  v.ans.arcount, v.ans.data, v.ans.len)) {
		fprintf(stderr, "xdpdnsctl: the cache entry holds records that do not decode\n");
		return 1;
	}
	sz->plain += v.ans.len;
	verdict_print(XDPDNS_R_ANSWER_CACHED, sz, cfg);
	return 0;
}

static int cmd_lookup(const struct xdpdns_maps *m, struct xdpdns_key_l key, uint16_t qtype)
{
	struct xdpdns_zone zones[XDPDNS_MAX_ZONES];
	struct xdpdns_config cfg;
	struct xdpdns_answer a, sent;
	struct size_info sz = { 0 };
	enum xdpdns_key_class c;
	unsigned int qlen, n_zones;
	__u32 idx = 0;
	char *qname;
	int err, ret = 1;

	if (bpf_map_lookup_elem(m->config, &idx, &cfg)) {
		fprintf(stderr, "xdpdnsctl: reading %s: %s\n", XDPDNS_MAP_CONFIG, strerror(errno));
		return 1;
	}
	qlen = xdpdns_key_name_len(&key);
	c = xdpdns_key_class(qlen);
	qname = name_str(key.name, qlen);
	if (!qname) {
		fprintf(stderr, "xdpdnsctl: %s\n", strerror(ENOMEM));
		return 1;
	}
	printf("question   %s ", qname);
	type_print(qtype);
	printf(" (%u-byte name: map %s)\n", qlen, xdpdns_answer_map_names[c]);
	if (!cfg.n_v4 && !cfg.n_v6)
		printf("note       the config lists no listen address: every query gets "
		       "pass_not_listen\n");
	sz.edns_size = cfg.edns_size;
	sz.plain = DNS_HDR_LEN + qlen + 4;

	/* meta and query-only types are passed before any lookup */
	if (qtype == 0 || qtype == LDNS_RR_TYPE_OPT || (qtype >= 128 && qtype <= 255)) {
		verdict_print(XDPDNS_R_PASS_QTYPE, &sz, &cfg);
		ret = 0;
		goto out_free_name;
	}

	n_zones = cfg.n_zones <= XDPDNS_MAX_ZONES ? cfg.n_zones : XDPDNS_MAX_ZONES;
	for (idx = 0; idx < n_zones; idx++) {
		if (bpf_map_lookup_elem(m->zones, &idx, &zones[idx])) {
			fprintf(stderr, "xdpdnsctl: reading %s: %s\n", XDPDNS_MAP_ZONES,
				strerror(errno));
			goto out_free_name;
		}
	}

	/* the (name, type) entry, then the name's existence entry */
	for (int pass = 0; pass < 2; pass++) {
		uint16_t key_qtype = pass ? XDPDNS_QTYPE_NAME : qtype;

		key.qtype = htons(key_qtype);
		entry_head(c, qname, key_qtype);
		err = maps_lookup_answer(m, &key, &a);
		if (err == -ENOENT) {
			printf(": none\n");
			continue;
		}
		if (err) {
			putchar('\n');
			fprintf(stderr, "xdpdnsctl: reading %s: %s\n", xdpdns_answer_map_names[c],
				strerror(-err));
			goto out_free_name;
		}
		putchar('\n');
		err = entry_print(&key, qlen, qtype, &a, zones, n_zones, &sent);
		if (err == -ENOENT) {
			verdict_print(XDPDNS_R_PASS_ZONE_TABLE, &sz, &cfg);
			ret = 0;
			goto out_free_name;
		}
		if (err) {
			fprintf(stderr, "xdpdnsctl: the entry in %s holds records that do not "
				"decode\n", xdpdns_answer_map_names[c]);
			goto out_free_name;
		}
		sz.plain += sent.len;
		verdict_print(entry_reason(&sent, qtype), &sz, &cfg);
		ret = 0;
		goto out_free_name;
	}

	/* Still nothing: the first zone (longest first) that holds the name decides. */
	for (idx = 0; idx < n_zones; idx++) {
		const struct xdpdns_zone *z = &zones[idx];
		int off = zone_suffix(z, key.name, qlen);
		uint8_t soa[XDPDNS_SOA_LEN];
		char *zname;

		if (off < 0)
			continue;
		zname = name_str(z->name, z->name_len);
		printf("zone       %s (#%u of %u, %s)\n", zname ? zname : "?", idx, n_zones,
		       z->action == XDPDNS_ZONE_AUTH   ? "authoritative"
		       : z->action == XDPDNS_ZONE_PASS ? "pass rule"
						       : "unknown action: passed");
		free(zname);
		if (z->action != XDPDNS_ZONE_AUTH) {
			verdict_print(XDPDNS_R_PASS_ZONE_RULE, &sz, &cfg);
			ret = 0;
			goto out_free_name;
		}
		printf("           soa_csum 0x%04x (%s)\n", z->soa_csum,
		       xdpdns_csum_partial(z->soa, XDPDNS_SOA_LEN) == z->soa_csum ? "matches soa"
										  : "WRONG");
		xdpdns_zone_soa(z, qlen, soa);
		if (records_print(key.name, qlen, qtype, DNS_RCODE_NXDOMAIN, 0, 1, 0, soa,
				  sizeof(soa))) {
			fprintf(stderr, "xdpdnsctl: the SOA of zone #%u does not decode\n", idx);
			goto out_free_name;
		}
		sz.plain += XDPDNS_SOA_LEN;
		verdict_print(XDPDNS_R_NXDOMAIN, &sz, &cfg);
		ret = 0;
		goto out_free_name;
	}
	printf("zone       none of the %u zones holds the name\n", n_zones);
	ret = cache_print(m, &key, qtype, qlen, qname, &sz, &cfg);
out_free_name:
	free(qname);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pin_dir = XDPDNS_PIN_DIR_DEFAULT, *cmd;
	struct xdpdns_key_l key;
	struct xdpdns_maps m;
	uint16_t qtype = 0;
	int opt, err, ret;

	while ((opt = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pin_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "xdpdnsctl: no command given\n");
		usage(stderr);
		return 1;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "stats")) {
		if (argc - optind != 1) {
			fprintf(stderr, "xdpdnsctl: stats takes no arguments\n");
			return 1;
		}
	} else if (!strcmp(cmd, "lookup")) {
		if (argc - optind != 3) {
			fprintf(stderr, "xdpdnsctl: usage: xdpdnsctl lookup NAME TYPE\n");
			return 1;
		}
		if (question_parse(argv[optind + 1], argv[optind + 2], &key, &qtype))
			return 1;
	} else {
		fprintf(stderr, "xdpdnsctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 1;
	}

	err = maps_open_pinned(&m, pin_dir);
	if (err) {
		fprintf(stderr, "xdpdnsctl: cannot open the maps pinned under %s: %s%s\n", pin_dir,
			strerror(-err), err == -ENOENT ? " (is xdpdns running?)" : "");
		return 1;
	}
	if (!strcmp(cmd, "stats"))
		ret = cmd_stats(&m);
	else
		ret = cmd_lookup(&m, key, qtype);
	maps_close(&m);
	return ret;
}
