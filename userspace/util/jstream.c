// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util/jstream.c - yajl's events built into json-c objects, handed over one at a time
 * (jstream.h). A container is added to its parent when it opens, so a frame needs no key;
 * only the top-level value and the elements of a List's "items" wait for their end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "userspace/util/jstream.h"

enum handover { H_NONE, H_TOP, H_ITEM };

struct frame {
	struct json_object *o;
	enum handover handover;	/* what to do with o when it closes */
	bool is_skip_in;	/* an object under the key skip_in */
	bool is_items;		/* the List's "items" array: its elements are handed over */
};

struct jstream {
	struct jstream_opts o;
	yajl_handle h;
	struct frame *stack;
	unsigned int depth;	/* frames open */
	unsigned int skipping;	/* containers open inside a skipped value */
	bool skip_next;		/* the next value is skipped */
	char *key;		/* the pending key of the innermost object, NUL-terminated */
	size_t key_size;
	struct json_object *kept;
	bool has_kept;
	size_t items;
	int failed;		/* -errno once something failed */
	char err[160];
};

static int fail(struct jstream *js, int err, const char *fmt, const char *arg)
{
	if (!js->failed) {
		js->failed = err;
		snprintf(js->err, sizeof(js->err), fmt, arg);
	}
	return 0;	/* yajl: stop */
}

static int hand(struct jstream *js, struct json_object *v)
{
	int rc = js->o.fn ? js->o.fn(js->o.ctx, v) : 0;

	json_object_put(v);
	if (rc)
		return fail(js, -ECANCELED, "%s", "stopped by the consumer");
	return 1;
}

/* A finished top-level value. */
static int top_done(struct jstream *js, struct json_object *v)
{
	if (js->o.mode == JSTREAM_VALUES)
		return hand(js, v);
	js->kept = v;
	js->has_kept = true;
	return 1;
}

/*
 * A new value v in the innermost frame; container: v is an array or object now opening.
 * Returns yajl's 1 (go on) or 0 (stop, js->failed says why).
 */
static int add(struct jstream *js, struct json_object *v, bool container)
{
	struct frame *p = js->depth ? &js->stack[js->depth - 1] : NULL, *f;
	enum handover h = H_NONE;
	bool under_key = p && json_object_is_type(p->o, json_type_object);

	if (!v && container)
		return fail(js, -ENOMEM, "%s", "out of memory");
	if (!p) {
		h = H_TOP;
	} else if (p->is_items) {
		h = H_ITEM;
	} else if (under_key) {
		if (json_object_object_add(p->o, js->key, v)) {
			json_object_put(v);
			return fail(js, -ENOMEM, "%s", "out of memory");
		}
	} else if (json_object_array_add(p->o, v)) {
		json_object_put(v);
		return fail(js, -ENOMEM, "%s", "out of memory");
	}
	if (!container) {
		if (h == H_TOP)
			return top_done(js, v);
		if (h == H_ITEM) {
			js->items++;
			return hand(js, v);
		}
		return 1;
	}
	if (js->depth >= js->o.max_depth) {
		if (h != H_NONE)
			json_object_put(v);
		return fail(js, -EBADMSG, "%s", "nested too deeply");
	}
	f = &js->stack[js->depth++];
	*f = (struct frame){ .o = v, .handover = h };
	if (under_key && js->o.skip_in && json_object_is_type(v, json_type_object))
		f->is_skip_in = !strcmp(js->key, js->o.skip_in);
	if (js->o.mode == JSTREAM_ITEMS && js->depth == 2 && under_key &&
	    json_object_is_type(v, json_type_array))
		f->is_items = !strcmp(js->key, "items");
	return 1;
}

/* A scalar: built unless skipped. */
static int scalar(struct jstream *js, struct json_object *v, bool is_null)
{
	if (js->skipping || js->skip_next) {
		js->skip_next = false;
		json_object_put(v);
		return 1;
	}
	if (!v && !is_null)
		return fail(js, -ENOMEM, "%s", "out of memory");
	return add(js, v, false);
}

static int open_container(struct jstream *js, bool is_map)
{
	if (js->skipping || js->skip_next) {
		js->skip_next = false;
		if (js->depth + ++js->skipping > js->o.max_depth)
			return fail(js, -EBADMSG, "%s", "nested too deeply");
		return 1;
	}
	return add(js, is_map ? json_object_new_object() : json_object_new_array(), true);
}

static int close_container(void *ctx)
{
	struct jstream *js = ctx;
	struct frame *f;

	if (js->skipping) {
		js->skipping--;
		return 1;
	}
	f = &js->stack[--js->depth];
	if (f->handover == H_TOP)
		return top_done(js, f->o);
	if (f->handover == H_ITEM) {
		js->items++;
		return hand(js, f->o);
	}
	return 1;
}

static int on_null(void *ctx)
{
	return scalar(ctx, NULL, true);
}

static int on_boolean(void *ctx, int b)
{
	struct jstream *js = ctx;

	if (js->skipping || js->skip_next)
		return scalar(js, NULL, true);
	return scalar(js, json_object_new_boolean(b), false);
}

/* As json-c's tokener: an integer is an int64, or a uint64 above INT64_MAX, clamped to
 * [INT64_MIN, UINT64_MAX]; anything else is a double. */
static struct json_object *number(const char *s, size_t len)
{
	char buf[64], *copy = NULL;
	struct json_object *v;
	const char *z = buf;
	unsigned long long u;

	if (len < sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	} else {
		copy = strndup(s, len);
		if (!copy)
			return NULL;
		z = copy;
	}
	if (strpbrk(z, ".eE"))
		v = json_object_new_double(strtod(z, NULL));
	else if (*z == '-')
		v = json_object_new_int64(strtoll(z, NULL, 10));	/* clamps */
	else if ((u = strtoull(z, NULL, 10)) > INT64_MAX)
		v = json_object_new_uint64(u);	/* clamps */
	else
		v = json_object_new_int64((int64_t)u);
	free(copy);
	return v;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct jstream *js = ctx;

	if (js->skipping || js->skip_next)
		return scalar(js, NULL, true);
	return scalar(js, number(s, len), false);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct jstream *js = ctx;

	if (js->skipping || js->skip_next)
		return scalar(js, NULL, true);
	if (len > INT32_MAX)
		return fail(js, -EBADMSG, "%s", "string too long");
	return scalar(js, json_object_new_string_len((const char *)s, (int)len), false);
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, false);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct jstream *js = ctx;
	struct frame *f;

	if (js->skipping)
		return 1;
	if (len >= js->key_size) {
		size_t n = len + 64;
		char *k = realloc(js->key, n);

		if (!k)
			return fail(js, -ENOMEM, "%s", "out of memory");
		js->key = k;
		js->key_size = n;
	}
	memcpy(js->key, s, len);
	js->key[len] = '\0';
	f = &js->stack[js->depth - 1];
	if (f->is_skip_in && memchr(s, '\0', len) == NULL && !strcmp(js->key, js->o.skip))
		js->skip_next = true;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = close_container,
	.yajl_start_array = on_start_array,
	.yajl_end_array = close_container,
};

struct jstream *jstream_new(const struct jstream_opts *o)
{
	struct jstream *js;

	if (!o || !o->max_depth || (o->mode != JSTREAM_ONE && !o->fn) ||
	    (o->skip_in && !o->skip)) {
		errno = EINVAL;
		return NULL;
	}
	js = calloc(1, sizeof(*js));
	if (!js)
		goto nomem;
	js->o = *o;
	js->stack = calloc(o->max_depth, sizeof(*js->stack));
	js->key_size = 64;
	js->key = malloc(js->key_size);
	js->h = yajl_alloc(&callbacks, NULL, js);
	if (!js->stack || !js->key || !js->h)
		goto nomem;
	if (o->mode == JSTREAM_VALUES)
		yajl_config(js->h, yajl_allow_multiple_values, 1);
	return js;

nomem:
	jstream_free(js);
	errno = ENOMEM;
	return NULL;
}

static int status(struct jstream *js, yajl_status st, const void *buf, size_t len)
{
	unsigned char *msg;

	if (st == yajl_status_ok)
		return 0;
	if (js->failed)
		return js->failed;
	msg = yajl_get_error(js->h, 0, buf, len);
	fail(js, -EBADMSG, "%s", msg ? (const char *)msg : "malformed JSON");
	if (msg)
		yajl_free_error(js->h, msg);
	/* yajl ends its message with a newline */
	for (size_t n = strlen(js->err); n && (js->err[n - 1] == '\n' || js->err[n - 1] == ' ');)
		js->err[--n] = '\0';
	return js->failed;
}

int jstream_feed(struct jstream *js, const void *buf, size_t len)
{
	if (js->failed)
		return js->failed;
	return status(js, yajl_parse(js->h, buf, len), buf, len);
}

int jstream_end(struct jstream *js)
{
	int err;

	if (js->failed)
		return js->failed;
	err = status(js, yajl_complete_parse(js->h), NULL, 0);
	if (!err && js->o.mode != JSTREAM_VALUES && !js->has_kept) {
		fail(js, -EBADMSG, "%s", "no JSON value");
		err = js->failed;
	}
	return err;
}

struct json_object *jstream_take(struct jstream *js)
{
	struct json_object *v = js->kept;

	js->kept = NULL;
	return v;
}

struct json_object *jstream_peek(const struct jstream *js, const char *key)
{
	struct json_object *top = js->kept ? js->kept : js->depth ? js->stack[0].o : NULL, *v;

	if (!json_object_is_type(top, json_type_object) ||
	    !json_object_object_get_ex(top, key, &v))
		return NULL;
	return v;
}

size_t jstream_items(const struct jstream *js)
{
	return js->items;
}

const char *jstream_error(const struct jstream *js)
{
	return js->err;
}

void jstream_free(struct jstream *js)
{
	if (!js)
		return;
	if (js->h)
		yajl_free(js->h);
	/* frames still open: the top-level value and an unfinished list item are owned apart
	 * (an item is never added to "items"); the other frames belong to one of them */
	for (unsigned int i = 0; js->stack && i < js->depth; i++)
		if (js->stack[i].handover != H_NONE)
			json_object_put(js->stack[i].o);
	json_object_put(js->kept);
	free(js->stack);
	free(js->key);
	free(js);
}
