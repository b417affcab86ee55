// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "tests/lib/pkt.h"

const uint8_t pkt_mac_server[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t pkt_mac_client[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define IP4_HLEN	20
#define IP6_HLEN	40
#define IP6_EXT_LEN	8
#define UDP_HLEN	8
#define TCP_HLEN	20
#define DNS_HLEN	12
#define ARP_BODY_LEN	28
#define PROTO_TCP	6
#define PROTO_UDP	17
#define DNS_CLASS_IN	1
#define DNS_TYPE_OPT	41

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t sum_be(const uint8_t *p, size_t len, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t pkt_csum_fold(const void *data, size_t len, uint32_t seed)
{
	return fold(sum_be(data, len, seed));
}

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

int pkt_name_encode(const char *text, uint8_t *out, size_t cap)
{
	const char *p = text ? text : "";
	size_t pos = 0;

	if (p[0] == '.' && p[1] == '\0')
		p++;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 255)
			return -EINVAL;
		if (pos + 1 + l + 1 > cap)
			return -ENOSPC;
		out[pos++] = (uint8_t)l;
		memcpy(out + pos, p, l);
		pos += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (pos + 1 > cap)
		return -ENOSPC;
	out[pos++] = 0;
	return (int)pos;
}

/* The DNS payload of s into out; offsets relative to the DNS header. */
static int build_dns(const struct pkt_spec *s, uint8_t *out, size_t cap, struct pkt_layout *lay)
{
	const struct pkt_opt *o = &s->opt;
	size_t len = DNS_HLEN;
	int n;

	lay->qname = lay->qname_len = lay->opt = 0;
	if (s->dns_raw) {
		if (s->dns_raw_len > cap)
			return -ENOSPC;
		memcpy(out, s->dns_raw, s->dns_raw_len);
		len = s->dns_raw_len;
		goto cut;
	}
	if (cap < DNS_HLEN + 4)
		return -ENOSPC;
	put16(out, s->id);
	put16(out + 2, PKT_IS_SET(s->dns_flags) ? PKT_VAL(s->dns_flags) : PKT_DNS_RD);
	put16(out + 4, PKT_IS_SET(s->qdcount) ? PKT_VAL(s->qdcount) : 1);
	put16(out + 6, PKT_IS_SET(s->ancount) ? PKT_VAL(s->ancount) : 0);
	put16(out + 8, PKT_IS_SET(s->nscount) ? PKT_VAL(s->nscount) : 0);
	put16(out + 10, PKT_IS_SET(s->arcount) ? PKT_VAL(s->arcount) : (o->present ? 1 : 0));

	if (s->qname_wire) {
		if (len + s->qname_wire_len + 4 > cap)
			return -ENOSPC;
		memcpy(out + len, s->qname_wire, s->qname_wire_len);
		n = s->qname_wire_len;
	} else {
		n = pkt_name_encode(s->qname, out + len, cap - len - 4);
		if (n < 0)
			return n;
	}
	lay->qname = (uint16_t)len;
	lay->qname_len = (uint16_t)n;
	len += n;
	put16(out + len, s->qtype);
	put16(out + len + 2, PKT_IS_SET(s->qclass) ? PKT_VAL(s->qclass) : DNS_CLASS_IN);
	len += 4;

	if (o->present) {
		size_t owner_len = o->owner ? o->owner_len : 1;

		if (len + owner_len + 10 + o->options_len > cap)
			return -ENOSPC;
		lay->opt = (uint16_t)len;
		if (o->owner)
			memcpy(out + len, o->owner, owner_len);
		else
			out[len] = 0;
		len += owner_len;
		put16(out + len, PKT_IS_SET(o->type) ? PKT_VAL(o->type) : DNS_TYPE_OPT);
		put16(out + len + 2, o->udp_size);
		out[len + 4] = o->ext_rcode;
		out[len + 5] = o->version;
		put16(out + len + 6, o->flags);
		put16(out + len + 8,
		      PKT_IS_SET(o->rdlength) ? PKT_VAL(o->rdlength) : o->options_len);
		len += 10;
		if (o->options_len)
			memcpy(out + len, o->options, o->options_len);
		len += o->options_len;
	}
	if (s->tail_len) {
		if (len + s->tail_len > cap)
			return -ENOSPC;
		memcpy(out + len, s->tail, s->tail_len);
		len += s->tail_len;
	}
cut:
	if (PKT_IS_SET(s->dns_len)) {
		if (PKT_VAL(s->dns_len) > len)
			return -EINVAL;
		len = PKT_VAL(s->dns_len);
	}
	return (int)len;
}

static int addr_parse(int family, const char *text, const char *def, uint8_t *out)
{
	return inet_pton(family == 6 ? AF_INET6 : AF_INET, text ? text : def, out) == 1 ? 0
										   : -EINVAL;
}

/* Sum of the pseudo-header (RFC 768, RFC 8200 8.1) for an L4 segment of len bytes. */
static uint64_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			   uint32_t len)
{
	int alen = family == 6 ? 16 : 4;
	uint64_t sum = sum_be(src, alen, 0);

	sum = sum_be(dst, alen, sum);
	return sum + proto + (len >> 16) + (len & 0xffff);
}

static int cut_base(const struct pkt_layout *l, uint8_t at)
{
	switch (at) {
	case PKT_AT_ETH:
		return 0;
	case PKT_AT_VLAN:
		return 12;
	case PKT_AT_L3:
		return l->l3;
	case PKT_AT_L4:
		return l->l4 ? l->l4 : -EINVAL;
	case PKT_AT_DNS:
		return l->dns ? l->dns : -EINVAL;
	case PKT_AT_OPT:
		return l->opt ? l->opt : -EINVAL;
	default:
		return -EINVAL;
	}
}

int pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay)
{
	int family = s->family == 6 ? 6 : 4;
	uint8_t src[16], dst[16], dns[PKT_MAX];
	uint32_t proto = PKT_IS_SET(s->l4_proto) ? PKT_VAL(s->l4_proto) : PROTO_UDP;
	uint16_t ethertype = family == 6 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP;
	struct pkt_layout l = {};
	size_t off, l3_hlen, l4_len;
	int dns_len, err;

	if (s->n_vlan > 3 || s->ip4_opt_len % 4 || s->ip4_opt_len > 40)
		return -EINVAL;
	if (PKT_IS_SET(s->ethertype))
		ethertype = (uint16_t)PKT_VAL(s->ethertype);
	err = addr_parse(family, s->src, family == 6 ? PKT_DEF_CLIENT6 : PKT_DEF_CLIENT4, src);
	if (!err)
		err = addr_parse(family, s->dst, family == 6 ? PKT_DEF_SERVER6 : PKT_DEF_SERVER4,
				 dst);
	if (err)
		return err;
	dns_len = build_dns(s, dns, sizeof(dns), &l);
	if (dns_len < 0)
		return dns_len;
	if (cap < (size_t)(ETH_HLEN + 3 * VLAN_HLEN + 60 + IP6_EXT_LEN + TCP_HLEN + dns_len) +
			  s->eth_pad)
		return -ENOSPC;
	memset(buf, 0, cap < PKT_MAX ? cap : PKT_MAX);

	memcpy(buf, pkt_mac_server, 6);
	memcpy(buf + 6, pkt_mac_client, 6);
	off = 12;
	l.vlan = s->n_vlan ? 12 : 0;
	for (int i = 0; i < s->n_vlan; i++) {
		put16(buf + off, s->vlan_tpid[i] ? s->vlan_tpid[i] : PKT_ETH_P_8021Q);
		put16(buf + off + 2, s->vlan_tci[i]);
		off += VLAN_HLEN;
	}
	put16(buf + off, ethertype);
	off += 2;
	l.l3 = (uint16_t)off;

	if (PKT_IS_SET(s->ethertype) && ethertype != PKT_ETH_P_IP && ethertype != PKT_ETH_P_IPV6) {
		uint8_t *a = buf + off;	/* ARP request: who has 198.18.0.1 */

		put16(a, 1);
		put16(a + 2, PKT_ETH_P_IP);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1);
		memcpy(a + 8, pkt_mac_client, 6);
		inet_pton(AF_INET, PKT_DEF_CLIENT4, a + 14);
		inet_pton(AF_INET, PKT_DEF_SERVER4, a + 24);
		off += ARP_BODY_LEN;
		l.ip_end = (uint16_t)off;
		l.qname = l.qname_len = l.opt = l.dns_len = 0;
		goto pad;
	}

	l3_hlen = family == 6 ? IP6_HLEN + (PKT_IS_SET(s->ip6_ext) ? IP6_EXT_LEN : 0)
			      : IP4_HLEN + s->ip4_opt_len;
	l.l4 = (uint16_t)(off + l3_hlen);
	if (proto == PROTO_TCP) {
		uint8_t *t = buf + l.l4;

		put16(t, s->sport ? s->sport : PKT_DEF_SPORT);
		put16(t + 2, s->dport ? s->dport : PKT_DEF_DPORT);
		put32(t + 4, 0x01020304);
		t[12] = (TCP_HLEN / 4) << 4;
		t[13] = 0x02;	/* SYN */
		put16(t + 14, 65535);
		put16(t + 16, (uint16_t)~fold(sum_be(t, TCP_HLEN,
						     pseudo_sum(family, src, dst, PROTO_TCP,
								TCP_HLEN))));
		l4_len = TCP_HLEN;
		l.qname = l.qname_len = l.opt = 0;
		l.dns_len = 0;
	} else {
		uint8_t *u = buf + l.l4;
		uint16_t csum;

		l4_len = UDP_HLEN + dns_len;
		put16(u, s->sport ? s->sport : PKT_DEF_SPORT);
		put16(u + 2, s->dport ? s->dport : PKT_DEF_DPORT);
		put16(u + 4, PKT_IS_SET(s->udp_len) ? PKT_VAL(s->udp_len) : l4_len);
		memcpy(u + UDP_HLEN, dns, dns_len);
		csum = (uint16_t)~fold(sum_be(u, l4_len, pseudo_sum(family, src, dst, PROTO_UDP,
								     l4_len)));
		if (s->udp_csum_zero)
			csum = 0;
		else if (csum == 0)
			csum = 0xffff;
		put16(u + 6, csum);
		l.dns = (uint16_t)(l.l4 + UDP_HLEN);
		l.dns_len = (uint16_t)dns_len;
		if (l.qname_len)
			l.qname += l.dns;
		if (l.opt)
			l.opt += l.dns;
		if (l.qname_len) {
			int q = dns_len - DNS_HLEN;

			q = q < 0 ? 0 : q > l.qname_len + 4 ? l.qname_len + 4 : q;
			l.question_len = (uint16_t)q;
		}
	}

	if (family == 6) {
		uint8_t *ip = buf + off;

		ip[0] = 0x60;
		put16(ip + 4, PKT_IS_SET(s->ip_len) ? PKT_VAL(s->ip_len)
						    : l3_hlen - IP6_HLEN + l4_len);
		ip[6] = PKT_IS_SET(s->ip6_ext) ? (uint8_t)PKT_VAL(s->ip6_ext) : (uint8_t)proto;
		ip[7] = s->ttl ? s->ttl : PKT_DEF_TTL;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		if (PKT_IS_SET(s->ip6_ext)) {
			uint8_t *x = ip + IP6_HLEN;

			x[0] = (uint8_t)proto;
			x[1] = 0;	/* 8 bytes */
			if (PKT_VAL(s->ip6_ext) == 44) {
				put32(x + 4, 0xdeadbeef);	/* fragment id, offset 0, M 0 */
			} else {
				x[2] = 1;	/* PadN over the remaining 4 bytes */
				x[3] = 4;
			}
		}
	} else {
		uint8_t *ip = buf + off;
		uint32_t ihl = PKT_IS_SET(s->ip4_ihl) ? PKT_VAL(s->ip4_ihl) : l3_hlen / 4;

		ip[0] = (uint8_t)(0x40 | (ihl & 0x0f));
		put16(ip + 2, PKT_IS_SET(s->ip_len) ? PKT_VAL(s->ip_len) : l3_hlen + l4_len);
		put16(ip + 4, 0x4242);
		put16(ip + 6, s->ip4_frag);
		ip[8] = s->ttl ? s->ttl : PKT_DEF_TTL;
		ip[9] = (uint8_t)proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(ip + IP4_HLEN, 1, s->ip4_opt_len);	/* NOP options */
		put16(ip + 10, (uint16_t)~fold(sum_be(ip, l3_hlen, 0)));
	}
	off += l3_hlen + l4_len;
	l.ip_end = (uint16_t)off;
pad:
	memset(buf + off, s->eth_pad_byte, s->eth_pad);
	off += s->eth_pad;
	l.full_len = l.len = (uint16_t)off;
	if (s->cut.at != PKT_AT_NONE) {
		int base = cut_base(&l, s->cut.at);

		if (base < 0 || (size_t)base + s->cut.off > off)
			return -EINVAL;
		l.len = (uint16_t)(base + s->cut.off);
	}
	if (lay)
		*lay = l;
	return l.len;
}

int pkt_parse(const uint8_t *f, size_t len, struct pkt_view *v, char *why, size_t why_len)
{
	size_t off = 12, l4;
	uint16_t type;

	memset(v, 0, sizeof(*v));
	v->frame = f;
	v->len = (uint16_t)len;
	if (len < ETH_HLEN || len > PKT_MAX) {
		say(why, why_len, "frame length %zu", len);
		return -EBADMSG;
	}
	type = get16(f + off);
	while (type == PKT_ETH_P_8021Q || type == PKT_ETH_P_8021AD) {
		if (v->n_vlan == 2 || off + VLAN_HLEN + 2 > len) {
			say(why, why_len, "VLAN tags: more than 2 or truncated");
			return -EBADMSG;
		}
		v->vlan_tpid[v->n_vlan] = type;
		v->vlan_tci[v->n_vlan] = get16(f + off + 2);
		v->n_vlan++;
		off += VLAN_HLEN;
		type = get16(f + off);
	}
	off += 2;
	v->ethertype = type;
	v->l3 = (uint16_t)off;
	if (type == PKT_ETH_P_IP) {
		const uint8_t *ip = f + off;

		v->family = 4;
		if (len < off + IP4_HLEN || ip[0] != 0x45) {
			say(why, why_len, "IPv4 header missing or not version 4 / ihl 5");
			return -EBADMSG;
		}
		if (get16(ip + 2) != len - off) {
			say(why, why_len, "IPv4 tot_len %u, frame carries %zu", get16(ip + 2),
			    len - off);
			return -EBADMSG;
		}
		if (get16(ip + 6) & 0x3fff) {
			say(why, why_len, "IPv4 fragment bits 0x%04x", get16(ip + 6));
			return -EBADMSG;
		}
		if (ip[9] != PROTO_UDP) {
			say(why, why_len, "IPv4 protocol %u", ip[9]);
			return -EBADMSG;
		}
		l4 = off + IP4_HLEN;
	} else if (type == PKT_ETH_P_IPV6) {
		const uint8_t *ip = f + off;

		v->family = 6;
		if (len < off + IP6_HLEN || (ip[0] >> 4) != 6) {
			say(why, why_len, "IPv6 header missing or not version 6");
			return -EBADMSG;
		}
		if (get16(ip + 4) != len - off - IP6_HLEN) {
			say(why, why_len, "IPv6 payload_len %u, frame carries %zu", get16(ip + 4),
			    len - off - IP6_HLEN);
			return -EBADMSG;
		}
		if (ip[6] != PROTO_UDP) {
			say(why, why_len, "IPv6 next header %u", ip[6]);
			return -EBADMSG;
		}
		l4 = off + IP6_HLEN;
	} else {
		say(why, why_len, "EtherType 0x%04x", type);
		return -EBADMSG;
	}
	if (len < l4 + UDP_HLEN || get16(f + l4 + 4) != len - l4) {
		say(why, why_len, "UDP length %u, IP payload %zu", len < l4 + UDP_HLEN ? 0 :
			get16(f + l4 + 4), len - l4);
		return -EBADMSG;
	}
	v->l4 = (uint16_t)l4;
	v->dns = (uint16_t)(l4 + UDP_HLEN);
	v->dns_len = (uint16_t)(len - v->dns);
	return 0;
}

bool pkt_ip4_csum_ok(const struct pkt_view *v)
{
	if (v->family != 4)
		return true;
	return fold(sum_be(v->frame + v->l3, IP4_HLEN, 0)) == 0xffff;
}

uint16_t pkt_udp_csum_expect(const struct pkt_view *v)
{
	const uint8_t *ip = v->frame + v->l3, *u = v->frame + v->l4;
	uint32_t len = v->len - v->l4;
	uint64_t sum;
	uint16_t c;

	if (v->family == 6)
		sum = pseudo_sum(6, ip + 8, ip + 24, PROTO_UDP, len);
	else
		sum = pseudo_sum(4, ip + 12, ip + 16, PROTO_UDP, len);
	sum = sum_be(u, 6, sum);	/* ports and length; the checksum field counts as 0 */
	sum = sum_be(u + UDP_HLEN, len - UDP_HLEN, sum);
	c = (uint16_t)~fold(sum);
	return c ? c : 0xffff;
}

uint16_t pkt_udp_csum_get(const struct pkt_view *v)
{
	return get16(v->frame + v->l4 + 6);
}

int pkt_reply_check(const uint8_t *q, const struct pkt_layout *ql, const struct pkt_view *r,
		    char *why, size_t why_len)
{
	const uint8_t *rf = r->frame, *qip = q + ql->l3, *rip = rf + r->l3;
	int alen = r->family == 6 ? 16 : 4, src = r->family == 6 ? 8 : 12;

	if (memcmp(rf, q + 6, 6) || memcmp(rf + 6, q, 6)) {
		say(why, why_len, "MAC addresses not swapped");
		return -EBADMSG;
	}
	if (r->l3 != ql->l3 || memcmp(rf + 12, q + 12, ql->l3 - 12)) {
		say(why, why_len, "VLAN tags / EtherType changed");
		return -EBADMSG;
	}
	if (memcmp(rip + src, qip + src + alen, alen) ||
	    memcmp(rip + src + alen, qip + src, alen)) {
		say(why, why_len, "IP addresses not swapped");
		return -EBADMSG;
	}
	if (rip[r->family == 6 ? 7 : 8] != 64) {
		say(why, why_len, "TTL / hop limit %u, want 64", rip[r->family == 6 ? 7 : 8]);
		return -EBADMSG;
	}
	if (!pkt_ip4_csum_ok(r)) {
		say(why, why_len, "IPv4 header checksum 0x%04x is wrong", get16(rip + 10));
		return -EBADMSG;
	}
	if (get16(rf + r->l4) != get16(q + ql->l4 + 2) || get16(rf + r->l4 + 2) !=
	    get16(q + ql->l4)) {
		say(why, why_len, "UDP ports not swapped");
		return -EBADMSG;
	}
	if (pkt_udp_csum_get(r) != pkt_udp_csum_expect(r)) {
		say(why, why_len, "UDP checksum 0x%04x, want 0x%04x", pkt_udp_csum_get(r),
		    pkt_udp_csum_expect(r));
		return -EBADMSG;
	}
	return 0;
}
