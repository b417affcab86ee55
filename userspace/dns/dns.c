// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* DNS names and the message writer; the parser is in dns_parse.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}

static inline bool text_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dns_name_from_text(uint8_t *out, size_t cap, const char *text)
{
	size_t tlen = strlen(text), pos = 0, i = 0;

	/* "" and "." are the root; a single trailing dot is allowed. */
	if (tlen && text[tlen - 1] == '.')
		tlen--;
	while (i < tlen) {
		size_t start = i, l;

		while (i < tlen && text[i] != '.') {
			if (!text_char_ok((unsigned char)text[i]))
				return -EINVAL;
			i++;
		}
		l = i - start;
		if (l == 0 || l > DNS_LABEL_MAX)
			return -EINVAL;
		if (pos + 1 + l + 1 > DNS_NAME_MAX)
			return -ENAMETOOLONG;
		if (pos + 1 + l + 1 > cap)
			return -ENOSPC;
		out[pos] = (uint8_t)l;
		memcpy(out + pos + 1, text + start, l);
		pos += 1 + l;
		if (i < tlen) {
			i++;		/* the dot */
			if (i == tlen)	/* "a..": an empty label before the final dot */
				return -EINVAL;
		}
	}
	if (pos + 1 > cap)
		return -ENOSPC;
	out[pos++] = 0;
	return (int)pos;
}

int dns_name_to_text(char *out, size_t cap, const uint8_t *name, size_t name_len)
{
	size_t pos = 0, o = 0;

	if (dns_name_len(name, name_len) < 0)
		return -EINVAL;
	if (name[0] == 0) {
		if (cap < 2)
			return -ENOSPC;
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (name[pos]) {
		unsigned int l = name[pos++];

		if (o && o + 1 < cap)
			out[o] = '.';
		if (o)
			o++;
		for (unsigned int j = 0; j < l; j++, pos++) {
			unsigned char c = name[pos];

			if (text_char_ok(c)) {
				if (o + 1 < cap)
					out[o] = (char)c;
				o++;
			} else {
				if (o + 4 < cap)
					snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
	}
	if (o >= cap)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

int dns_name_len(const uint8_t *name, size_t cap)
{
	size_t pos = 0;

	for (;;) {
		unsigned int l;

		if (pos >= cap || pos >= DNS_NAME_MAX)
			return -EBADMSG;
		l = name[pos];
		if (l == 0)
			return (int)pos + 1;
		if (l > DNS_LABEL_MAX)
			return -EBADMSG;
		pos += l + 1;
	}
}

bool dns_label_is_ldh(const char *s, size_t len)
{
	if (len == 0 || len > DNS_LABEL_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

void dns_name_lower(uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		name[i] = lower(name[i]);
}

/* Label length bytes are <= 63 and so never change under lower(); comparing every byte
 * case-insensitively is therefore exact for valid names. */
bool dns_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	if (a_len != b_len)
		return false;
	for (size_t i = 0; i < a_len; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

int dns_name_suffix_off(const uint8_t *name, size_t name_len, const uint8_t *zone,
			size_t zone_len)
{
	size_t pos = 0;

	if (zone_len > name_len)
		return -ENOENT;
	for (;;) {
		if (name_len - pos == zone_len) {
			if (!dns_name_eq(name + pos, zone_len, zone, zone_len))
				return -ENOENT;
			return (int)pos;
		}
		if (pos >= name_len || name[pos] == 0)
			return -ENOENT;
		pos += name[pos] + 1;
		if (pos > name_len)
			return -ENOENT;
	}
}

unsigned int dns_name_labels(const uint8_t *name, size_t len)
{
	unsigned int n = 0;
	size_t pos = 0;

	while (pos < len && name[pos]) {
		n++;
		pos += name[pos] + 1;
	}
	return n;
}

static int name_append_text_labels(uint8_t *out, size_t cap, size_t pos, const char *suffix)
{
	int l = dns_name_from_text(out + pos, cap - pos, suffix);

	return l < 0 ? l : (int)pos + l;
}

int dns_name_from_ip4(uint8_t *out, size_t cap, const uint8_t addr[4])
{
	size_t pos = 0;

	for (int i = 3; i >= 0; i--) {
		char lbl[4];
		int l = snprintf(lbl, sizeof(lbl), "%u", addr[i]);

		if (pos + 1 + l > cap)
			return -ENOSPC;
		out[pos] = (uint8_t)l;
		memcpy(out + pos + 1, lbl, l);
		pos += 1 + l;
	}
	return name_append_text_labels(out, cap, pos, "in-addr.arpa");
}

int dns_name_from_ip6(uint8_t *out, size_t cap, const uint8_t addr[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t pos = 0;

	if (cap < 64)
		return -ENOSPC;
	for (int i = 15; i >= 0; i--) {
		out[pos++] = 1;
		out[pos++] = hex[addr[i] & 0xf];
		out[pos++] = 1;
		out[pos++] = hex[addr[i] >> 4];
	}
	return name_append_text_labels(out, cap, pos, "ip6.arpa");
}

/* ---- writer ---- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
}

int dns_write_bytes(struct dns_writer *w, const void *data, size_t len)
{
	if (len > w->cap - w->len)
		return -EMSGSIZE;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	return 0;
}

void dns_hdr_encode(uint8_t *buf, const struct dns_hdr *h)
{
	put16(buf, h->id);
	put16(buf + 2, h->flags);
	for (int i = 0; i < DNS_SEC_COUNT; i++)
		put16(buf + 4 + 2 * i, h->count[i]);
}

int dns_write_hdr(struct dns_writer *w, const struct dns_hdr *h)
{
	uint8_t b[DNS_HDR_LEN];

	dns_hdr_encode(b, h);
	return dns_write_bytes(w, b, sizeof(b));
}

int dns_write_question(struct dns_writer *w, const uint8_t *name, size_t name_len,
		       uint16_t qtype, uint16_t qclass)
{
	uint8_t tail[4];

	if (dns_name_len(name, name_len) != (int)name_len)
		return -EINVAL;
	if (name_len + 4 > w->cap - w->len)
		return -EMSGSIZE;
	put16(tail, qtype);
	put16(tail + 2, qclass);
	dns_write_bytes(w, name, name_len);
	dns_write_bytes(w, tail, 4);
	return 0;
}

int dns_write_rr(struct dns_writer *w, struct dns_owner owner, uint16_t type, uint16_t rclass,
		 uint32_t ttl, const void *rdata, size_t rdlen)
{
	uint8_t ptr[2], fixed[DNS_RR_FIXED_LEN];
	const uint8_t *o = owner.name;
	size_t olen = owner.name_len;

	if (!o) {
		if (owner.ptr > DNS_PTR_MAX_OFF)
			return -EINVAL;
		put16(ptr, DNS_PTR(owner.ptr));
		o = ptr;
		olen = 2;
	}
	if (olen == 0 || rdlen > 0xffff)
		return -EINVAL;
	if (olen + DNS_RR_FIXED_LEN + rdlen > w->cap - w->len)
		return -EMSGSIZE;
	put16(fixed, type);
	put16(fixed + 2, rclass);
	put32(fixed + 4, ttl);
	put16(fixed + 8, (uint16_t)rdlen);
	dns_write_bytes(w, o, olen);
	dns_write_bytes(w, fixed, sizeof(fixed));
	dns_write_bytes(w, rdata, rdlen);
	return 0;
}

int dns_write_a(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, const uint8_t a[4])
{
	return dns_write_rr(w, owner, DNS_TYPE_A, DNS_CLASS_IN, ttl, a, 4);
}

int dns_write_aaaa(struct dns_writer *w, struct dns_owner owner, uint32_t ttl,
		   const uint8_t a[16])
{
	return dns_write_rr(w, owner, DNS_TYPE_AAAA, DNS_CLASS_IN, ttl, a, 16);
}

int dns_write_name_rr(struct dns_writer *w, struct dns_owner owner, uint16_t type, uint32_t ttl,
		      const uint8_t *target, size_t target_len)
{
	return dns_write_rr(w, owner, type, DNS_CLASS_IN, ttl, target, target_len);
}

int dns_write_srv(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, uint16_t prio,
		  uint16_t weight, uint16_t port, const uint8_t *target, size_t target_len)
{
	uint8_t rd[6 + DNS_NAME_MAX];

	if (target_len > DNS_NAME_MAX)
		return -EINVAL;
	put16(rd, prio);
	put16(rd + 2, weight);
	put16(rd + 4, port);
	memcpy(rd + 6, target, target_len);
	return dns_write_rr(w, owner, DNS_TYPE_SRV, DNS_CLASS_IN, ttl, rd, 6 + target_len);
}

int dns_write_txt(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, const char *text)
{
	size_t tlen = strlen(text), rdlen = 0;
	uint8_t rd[2048];

	/* An empty text is one empty character-string (RFC 1035 3.3.14 needs at least one). */
	do {
		size_t chunk = tlen > 255 ? 255 : tlen;

		if (rdlen + 1 + chunk > sizeof(rd))
			return -EMSGSIZE;
		rd[rdlen++] = (uint8_t)chunk;
		memcpy(rd + rdlen, text, chunk);
		rdlen += chunk;
		text += chunk;
		tlen -= chunk;
	} while (tlen);
	return dns_write_rr(w, owner, DNS_TYPE_TXT, DNS_CLASS_IN, ttl, rd, rdlen);
}

int dns_write_soa(struct dns_writer *w, struct dns_owner owner, uint32_t ttl,
		  const struct dns_soa *soa)
{
	uint8_t rd[2 * DNS_NAME_MAX + 20];
	size_t n = 0;

	if (soa->mname_len > DNS_NAME_MAX || soa->rname_len > DNS_NAME_MAX)
		return -EINVAL;
	memcpy(rd, soa->mname, soa->mname_len);
	n += soa->mname_len;
	memcpy(rd + n, soa->rname, soa->rname_len);
	n += soa->rname_len;
	put32(rd + n, soa->serial);
	put32(rd + n + 4, soa->refresh);
	put32(rd + n + 8, soa->retry);
	put32(rd + n + 12, soa->expire);
	put32(rd + n + 16, soa->minimum);
	n += 20;
	return dns_write_rr(w, owner, DNS_TYPE_SOA, DNS_CLASS_IN, ttl, rd, n);
}

const char *dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_NS:
		return "NS";
	case DNS_TYPE_CNAME:
		return "CNAME";
	case DNS_TYPE_SOA:
		return "SOA";
	case DNS_TYPE_PTR:
		return "PTR";
	case DNS_TYPE_HINFO:
		return "HINFO";
	case DNS_TYPE_MX:
		return "MX";
	case DNS_TYPE_TXT:
		return "TXT";
	case DNS_TYPE_AAAA:
		return "AAAA";
	case DNS_TYPE_SRV:
		return "SRV";
	case DNS_TYPE_OPT:
		return "OPT";
	case DNS_TYPE_IXFR:
		return "IXFR";
	case DNS_TYPE_AXFR:
		return "AXFR";
	case DNS_TYPE_ANY:
		return "ANY";
	default:
		return NULL;
	}
}
