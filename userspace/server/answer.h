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
 * ExternalName owners (zone flag XDPDNS_ANS_PASS): the CNAME alone, as the CNAME question
 * gets it; chasing the target through the resolver is the resolver's adapter's job (see
 * server.h).
 *
 * Returns SERVER_REPLY with *out_len set, SERVER_DROP, or SERVER_RESOLVE (the question is
 * well-formed, q is filled, and the zone does not answer it) when resolver is true.
 * The zone must not change during the call (server.h: the zone lock).
 */
#ifndef XDPDNS_SERVER_ANSWER_H
#define XDPDNS_SERVER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/dns/dns.h"
#include "userspace/zone/zone.h"

enum server_verdict { SERVER_REPLY, SERVER_DROP, SERVER_RESOLVE };

enum server_verdict server_answer(const struct zone *z, bool resolver, const uint8_t *msg,
				  size_t len, struct dns_query *q, uint8_t *out, size_t cap,
				  size_t *out_len);

/* A response with only the header and question of q (and an OPT when q had one): for
 * SERVFAIL when a resolver fails. Returns the length, or 0 when cap is too small. */
size_t server_answer_rcode(const struct dns_query *q, uint8_t rcode, uint8_t *out, size_t cap);

#endif
