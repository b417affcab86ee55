/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/answer.h - the slow path's answer to one DNS message, transport aside.
 *
 * server_answer() reads a message strictly (dns_query_parse()) and writes the whole response
 * the zone gives, or an error response, or says that the message gets none or belongs to the
 * resolver. Responses from the zone are built exactly as the fast path builds them
 * (bpf/lib/engine.bpf.h reply()): ID kept, QR AA, opcode 0, RD and CD copied, RA Z AD clear,
 * the question as sent (decompressed, the client's case), the sections of
 * zone_answer_buf(), and when the query had an OPT a bare OPT with our size XDPDNS_EDNS_SIZE,
 * version 0 and the DO bit copied. So for every name the fast path answers, the socket's
 * bytes are the fast path's bytes.
 *
 * Error responses (RA=0, AA=0, RD copied):
 *  - nothing:  shorter than a header, or QR=1 (never answer a response: no loops);
 *  - NOTIMP:   an opcode other than QUERY (RFC 1035 4.1.1); the header alone, opcode kept;
 *  - FORMERR:  a malformed query (dns_query_parse()), QTYPE 0 or OPT; the header alone;
 *  - BADVERS:  an EDNS version above 0 (RFC 6891 6.1.3): question and an OPT of version 0
 *              with the extended RCODE 16;
 *  - REFUSED:  AXFR and IXFR (no zone transfers are offered), classes other than IN, and
 *              names the zone does not answer when there is no resolver;
 *  - NOTIMP:   the other meta types (RFC 6895 3.1: 128..254; TSIG/TKEY are not supported);
 *  - SERVFAIL: an answer that cannot be rendered (over 64 KiB).
 * ANY (RFC 8482 4.1): in the zone, one RRset of the name (the first of A, AAAA, CNAME, SRV,
 * PTR, TXT, SOA, NS that it has), else the name's negative answer; it is cheap to answer and
 * a client asking ANY of a cluster name wants "something", not every set.
 * ANY of an ExternalName owner is its CNAME alone (RFC 1034 4.3.2: ANY matches the CNAME).
 *
 * ExternalName owners (zone flag XDPDNS_ANS_PASS for every type but CNAME): the CNAME is
 * followed (RFC 1034 3.6.2 and 4.3.2 step 3a; k8s-dns-spec 2.5 and 4 #14, #17), CNAME first:
 *  - a target inside a served zone is answered from the zone in the same response: its
 *    records, or its NXDOMAIN / NODATA, whose rcode becomes the response's (RFC 6604) with
 *    the CNAMEs in the answer and the target zone's SOA in the authority section (RFC 2308);
 *    a target that is itself an ExternalName owner adds its CNAME and goes on;
 *  - at most SERVER_CHASE_MAX CNAMEs; a target already in the chain (a loop) or one past
 *    the limit ends the chase with the chain so far, NOERROR, as authoritative servers
 *    (BIND, Knot, CoreDNS's DuplicateCNAME) answer it: the client's resolver sees the loop;
 *  - a target outside every zone: without a resolver the chain so far (the CNAME alone,
 *    NOERROR, RA=0); with one, SERVER_CHASE: out[0..*out_len) holds the response so far
 *    (header, question, the CNAMEs), server_chase_query() builds the query for the target
 *    and server_chase_finish() adds the resolver's answer.
 * Every response of a chase has AA=1: RFC 1035 4.1.1 ties AA to the question's name, which is
 * ours (CoreDNS sets it on these answers too); RA=1 only when the resolver took part.
 * Records copied from another message (the zone's rendering for the target, the resolver's
 * answer) are decoded and written again: owners and the names in NS, CNAME, PTR, MX and SOA
 * rdata are compressed against names already in the response (RFC 1035 4.1.4), SRV targets
 * are written whole (RFC 2782), other rdata is copied as it is (RFC 3597 5: no compression
 * in other types). TTLs are kept.
 *
 * Returns SERVER_REPLY with *out_len set, SERVER_DROP, or when resolver is true
 * SERVER_RESOLVE (the question is well-formed, q is filled, and the zone does not answer it)
 * or SERVER_CHASE (above). The zone must not change during the call (server.h: the zone lock).
 */
#ifndef XDPDNS_SERVER_ANSWER_H
#define XDPDNS_SERVER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/dns/dns.h"
#include "userspace/zone/zone.h"

#define SERVER_CHASE_MAX	8	/* CNAMEs in one answer */

enum server_verdict { SERVER_REPLY, SERVER_DROP, SERVER_RESOLVE, SERVER_CHASE };

enum server_verdict server_answer(const struct zone *z, bool resolver, const uint8_t *msg,
				  size_t len, struct dns_query *q, uint8_t *out, size_t cap,
				  size_t *out_len);

/* A response with only the header and question of q (and an OPT when q had one): for
 * SERVFAIL when a resolver fails. Returns the length, or 0 when cap is too small. */
size_t server_answer_rcode(const struct dns_query *q, uint8_t rcode, uint8_t *out, size_t cap);

/*
 * The query for the target of a SERVER_CHASE: the last CNAME's target in part[0..part_len)
 * (server_answer()'s output), the client's QTYPE and class, RD=1 (we recurse for it), CD
 * and, with an OPT when the client had one, DO as the client sent them. The ID is the
 * client's: this message never leaves the process (the forwarder sends its own random ID).
 * Returns the length, or 0 when part holds no CNAME or cap is too small.
 */
size_t server_chase_query(const struct dns_query *q, const uint8_t *part, size_t part_len,
			  uint8_t *out, size_t cap);

/*
 * The client's response from part (as above) and the resolver's response resp[0..resp_len)
 * to server_chase_query()'s query: client ID, QR, opcode, AA, RD and CD copied, RA, TC when
 * resp had it; the question as sent; the CNAMEs of part, then resp's answer section, its
 * authority section when the answer is negative (NXDOMAIN, or no record of QTYPE: the SOA
 * of RFC 2308), its additional records but OPT; an OPT when the client had one; the rcode
 * is resp's (NOERROR or NXDOMAIN, RFC 6604). Records that do not fit in cap are left out
 * with TC=1. Returns the length, or 0 (the caller answers SERVFAIL) when resp is NULL,
 * malformed, for another question, or has another rcode.
 */
size_t server_chase_finish(const struct dns_query *q, const uint8_t *part, size_t part_len,
			   const uint8_t *resp, size_t resp_len, uint8_t *out, size_t cap);

#endif
