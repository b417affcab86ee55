/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * util/jstream.h - JSON from a byte stream into json-c objects, one object at a time.
 *
 * yajl's event parser reads the bytes as they arrive; the values are built as json-c objects,
 * and each finished one is handed to the caller, who never holds the whole document:
 *   JSTREAM_VALUES  every top-level value is handed over (a watch stream, one event per line);
 *   JSTREAM_ITEMS   one top-level object, a Kubernetes List: each element of its "items" array
 *                   is handed over when it is complete, and the rest of the object is kept
 *                   (jstream_take) with "items" an empty array;
 *   JSTREAM_ONE     one top-level value, kept (an error Status).
 * A value under the key `skip` in an object that is itself the value of the key `skip_in` is
 * parsed but never built ("managedFields" in "metadata": 80% of a List's bytes on a real API
 * server, read by nobody here). json-c's own tokener builds a tree of everything, and a list
 * page of them at once: on 208 MB of lists that was 5 s of the daemon's 12 s initial sync.
 *
 * Numbers are built as json-c's tokener builds them (integers int64 or uint64, clamped;
 * others double). Strings must be valid UTF-8.
 */
#ifndef XDPDNS_UTIL_JSTREAM_H
#define XDPDNS_UTIL_JSTREAM_H

#include <stddef.h>

#include <json-c/json.h>

enum jstream_mode {
	JSTREAM_VALUES,
	JSTREAM_ITEMS,
	JSTREAM_ONE,
};

/*
 * A finished value (NULL is JSON null), borrowed: put after the call, unless the callee takes a
 * json_object_get(). Return 0 to go on; anything else stops the parse, and jstream_feed()
 * returns -ECANCELED.
 */
typedef int (*jstream_fn)(void *ctx, struct json_object *v);

struct jstream_opts {
	enum jstream_mode mode;
	unsigned int max_depth;	/* open arrays and objects at once, skipped ones included */
	const char *skip_in;	/* NULL: skip nothing */
	const char *skip;
	jstream_fn fn;		/* VALUES and ITEMS */
	void *ctx;
};

struct jstream;

/* NULL + errno (EINVAL, ENOMEM). The opts strings must outlive the stream. */
struct jstream *jstream_new(const struct jstream_opts *o);

/*
 * The next bytes, any amount. 0; -EBADMSG when the JSON is malformed or too deep (the reason
 * is jstream_error()); -ECANCELED when the callback stopped it; -ENOMEM. After an error the
 * stream takes no more input.
 */
int jstream_feed(struct jstream *js, const void *buf, size_t len);

/* The input is complete: 0, or -EBADMSG when it ends inside a value (or is empty for ONE and
 * ITEMS). */
int jstream_end(struct jstream *js);

/* The kept top-level value of ONE and ITEMS, whose ownership moves to the caller; NULL when
 * it is not complete (or is JSON null). */
struct json_object *jstream_take(struct jstream *js);

/*
 * The value of key in the top-level object as far as it has been read (ONE and ITEMS: a
 * List's "kind" before or after its items), borrowed; NULL when it is not there (yet).
 */
struct json_object *jstream_peek(const struct jstream *js, const char *key);

/* Elements of "items" handed over so far (ITEMS). */
size_t jstream_items(const struct jstream *js);

/* Why the last call failed, "" when none did. */
const char *jstream_error(const struct jstream *js);

/* Accepts NULL. */
void jstream_free(struct jstream *js);

#endif
