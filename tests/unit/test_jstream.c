// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util/jstream: yajl's events into json-c objects. What it builds must equal what json-c's own
 * tokener builds from the same text, however the bytes are split; lists and event streams are
 * handed over one value at a time; metadata.managedFields is never built.
 */
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include <criterion/criterion.h>

#include "userspace/util/jstream.h"

#define DEPTH 32

struct got {
	struct json_object *v[16];
	size_t n;
	size_t stop_at;	/* stop when this many were handed over (0: never) */
};

static int collect(void *ctx, struct json_object *v)
{
	struct got *g = ctx;

	cr_assert_lt(g->n, 16);
	g->v[g->n++] = json_object_get(v);
	return g->stop_at && g->n == g->stop_at;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		json_object_put(g->v[i]);
	g->n = 0;
}

static struct jstream *mk(enum jstream_mode mode, struct got *g)
{
	struct jstream_opts o = {
		.mode = mode,
		.max_depth = DEPTH,
		.skip_in = "metadata",
		.skip = "managedFields",
		.fn = collect,
		.ctx = g,
	};
	struct jstream *js = jstream_new(&o);

	cr_assert_not_null(js);
	return js;
}

/* Feeds text in pieces of `step` bytes (0: at once); returns the first error, or jstream_end's. */
static int feed(struct jstream *js, const char *text, size_t step)
{
	size_t len = strlen(text), off = 0;
	int err;

	while (off < len) {
		size_t n = step && len - off > step ? step : len - off;

		err = jstream_feed(js, text + off, n);
		if (err)
			return err;
		off += n;
	}
	return jstream_end(js);
}

static const char *const docs[] = {
	"{}",
	"[]",
	"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	"{\"n\":[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615,"
	"99999999999999999999,-99999999999999999999,1.5,-2.25e3,1E-2,-0]}",
	"{\"s\":\"tab\\t quote\\\" back\\\\ slash\\/ uni\\u00e9\\ud83d\\ude00 nul\\u0000end\"}",
	"{\"deep\":[[[[{\"x\":[{}]}]]]],\"empty\":{},\"e2\":[]}",
	"  {\"ws\" : [ 1 , 2 ] }  \n",
	"{\"dup\":1,\"dup\":2}",
	"\"just a string\"",
	"42",
};

Test(jstream, builds_what_json_c_builds_however_split)
{
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct json_object *want = json_tokener_parse(docs[i]);
		size_t steps[] = { 0, 1, 2, 7 };

		cr_assert_not_null(want, "json-c refuses %s", docs[i]);
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct got g = { 0 };
			struct jstream *js = mk(JSTREAM_ONE, &g);
			struct json_object *v;

			cr_assert_eq(feed(js, docs[i], steps[k]), 0, "%s (step %zu): %s", docs[i],
				     steps[k], jstream_error(js));
			v = jstream_take(js);
			cr_assert(json_object_equal(v, want), "%s (step %zu): built %s", docs[i],
				  steps[k], json_object_to_json_string(v));
			cr_assert_eq(g.n, 0);
			json_object_put(v);
			jstream_free(js);
		}
		json_object_put(want);
	}
}

Test(jstream, values_are_handed_over_in_order)
{
	const char *text = "{\"type\":\"ADDED\",\"object\":{\"a\":1}}\n"
			   "{\"type\":\"BOOKMARK\"}\n\"x\"\n[1,2]\nnull\n";
	size_t steps[] = { 0, 1, 5 };

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct got g = { 0 };
		struct jstream *js = mk(JSTREAM_VALUES, &g);

		cr_assert_eq(feed(js, text, steps[k]), 0, "%s", jstream_error(js));
		cr_assert_eq(g.n, 5);
		cr_assert_str_eq(json_object_get_string(json_object_object_get(g.v[0], "type")),
				 "ADDED");
		cr_assert_str_eq(json_object_get_string(json_object_object_get(g.v[1], "type")),
				 "BOOKMARK");
		cr_assert_str_eq(json_object_get_string(g.v[2]), "x");
		cr_assert_eq(json_object_array_length(g.v[3]), 2);
		cr_assert_null(g.v[4]);
		cr_assert_null(jstream_take(js));
		got_free(&g);
		jstream_free(js);
	}
}

static const char list[] =
	"{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"7\",\"continue\":\"c1\"},"
	"\"items\":[{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"kubectl\","
	"\"fieldsV1\":{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":53}\":{}}}}}],"
	"\"labels\":{\"x\":\"y\"}},\"spec\":{\"clusterIP\":\"10.96.0.1\"}},"
	"{\"metadata\":{\"name\":\"b\"}},7]}";

Test(jstream, list_items_are_handed_over_and_the_rest_is_kept)
{
	size_t steps[] = { 0, 1, 3 };

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct got g = { 0 };
		struct jstream *js = mk(JSTREAM_ITEMS, &g);
		struct json_object *body, *meta;

		cr_assert_eq(feed(js, list, steps[k]), 0, "%s", jstream_error(js));
		cr_assert_eq(g.n, 3);
		cr_assert_eq(jstream_items(js), 3);
		meta = json_object_object_get(g.v[0], "metadata");
		cr_assert_str_eq(json_object_get_string(json_object_object_get(meta, "name")), "a");
		cr_assert_null(json_object_object_get(meta, "managedFields"));
		cr_assert_not_null(json_object_object_get(meta, "labels"));
		cr_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(g.v[0],
										      "spec"),
								  JSON_C_TO_STRING_PLAIN),
				 "{\"clusterIP\":\"10.96.0.1\"}");
		cr_assert_eq(json_object_get_int(g.v[2]), 7);
		body = jstream_take(js);
		cr_assert_str_eq(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
				 "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"7\","
				 "\"continue\":\"c1\"},\"items\":[]}");
		json_object_put(body);
		got_free(&g);
		jstream_free(js);
	}
}

/* Only "managedFields" directly in a "metadata" object is skipped; items deeper than the
 * top-level "items" are not handed over. */
Test(jstream, skips_only_metadata_managed_fields)
{
	const char *text = "{\"managedFields\":1,\"spec\":{\"managedFields\":2,\"items\":[3]},"
			   "\"metadata\":{\"x\":{\"managedFields\":4},\"managedFields\":{\"deep\":"
			   "[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]},\"name\":\"n\"}}";
	struct got g = { 0 };
	struct jstream *js = mk(JSTREAM_ITEMS, &g);
	struct json_object *v;

	cr_assert_eq(feed(js, text, 0), 0, "%s", jstream_error(js));
	v = jstream_take(js);
	cr_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			 "{\"managedFields\":1,\"spec\":{\"managedFields\":2,\"items\":[3]},"
			 "\"metadata\":{\"x\":{\"managedFields\":4},\"name\":\"n\"}}");
	cr_assert_eq(g.n, 0);
	json_object_put(v);
	jstream_free(js);
}

Test(jstream, refuses_malformed_input_and_says_why)
{
	const char *bad[] = {
		"{\"a\":1,}", "{\"a\" 1}", "[1 2]", "{\"a\":tru}", "{'a':1}", "{\"a\":\"\xff\"}",
		"{\"a\":1}}", "{\"a\":01}", "nul",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct got g = { 0 };
		struct jstream *js = mk(JSTREAM_ONE, &g);

		cr_assert_eq(feed(js, bad[i], 0), -EBADMSG, "%s", bad[i]);
		cr_assert_neq(jstream_error(js)[0], '\0');
		cr_assert_null(strchr(jstream_error(js), '\n'), "%s", jstream_error(js));
		cr_assert_eq(jstream_feed(js, "{}", 2), -EBADMSG, "no input after an error");
		jstream_free(js);
	}
}

Test(jstream, truncated_input_is_incomplete_and_freed)
{
	const char *cut[] = { "", "{", "{\"items\":[{\"a\":[1,", "{\"items\":[{}", "[{\"a\":{" };
	size_t before = 0;

	/* 200 rounds: what an unreleased open frame leaks adds up in the heap in use */
	for (unsigned int round = 0; round < 200; round++) {
		if (round == 100)
			before = mallinfo2().uordblks;
		for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
			struct got g = { 0 };
			struct jstream *js = mk(JSTREAM_ITEMS, &g);

			cr_assert_eq(jstream_feed(js, cut[i], strlen(cut[i])), 0, "%s", cut[i]);
			cr_assert_null(jstream_take(js), "%s", cut[i]);
			cr_assert_eq(jstream_end(js), -EBADMSG, "%s", cut[i]);
			got_free(&g);
			jstream_free(js);	/* open frames are released */
		}
	}
	cr_assert_leq(mallinfo2().uordblks, before + 1024, "the heap grew by %zu bytes in 100 "
		      "rounds", mallinfo2().uordblks - before);
}

Test(jstream, depth_is_bounded_skipped_values_included)
{
	char deep[2 * DEPTH + 64];
	const char *prefix = "{\"metadata\":{\"managedFields\":";
	struct got g = { 0 };
	struct jstream *js;
	size_t n = 0;

	/* DEPTH open arrays: within the bound at the top ... */
	for (size_t i = 0; i < DEPTH; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	js = mk(JSTREAM_ONE, &g);
	cr_assert_eq(feed(js, deep, 0), 0, "%s", jstream_error(js));
	json_object_put(jstream_take(js));
	jstream_free(js);
	/* ... one more is refused */
	js = mk(JSTREAM_ONE, &g);
	cr_assert_eq(jstream_feed(js, "[", 1), 0);
	cr_assert_eq(feed(js, deep, 0), -EBADMSG);
	cr_assert_str_eq(jstream_error(js), "nested too deeply");
	jstream_free(js);
	/* and under a skipped key too */
	n = strlen(prefix);
	memcpy(deep, prefix, n);
	for (size_t i = 0; i < DEPTH; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	js = mk(JSTREAM_ONE, &g);
	cr_assert_eq(feed(js, deep, 0), -EBADMSG);
	cr_assert_str_eq(jstream_error(js), "nested too deeply");
	jstream_free(js);
}

Test(jstream, the_consumer_can_stop_it)
{
	struct got g = { .stop_at = 2 };
	struct jstream *js = mk(JSTREAM_VALUES, &g);

	cr_assert_eq(feed(js, "1 2 3 4", 0), -ECANCELED);
	cr_assert_eq(g.n, 2);
	got_free(&g);
	jstream_free(js);
}

Test(jstream, refuses_bad_options)
{
	struct jstream_opts o = { .mode = JSTREAM_VALUES, .max_depth = 8 };

	cr_assert_null(jstream_new(&o), "VALUES needs a callback");
	o.mode = JSTREAM_ONE;
	o.max_depth = 0;
	cr_assert_null(jstream_new(&o), "a depth is needed");
	o.max_depth = 8;
	o.skip_in = "metadata";
	cr_assert_null(jstream_new(&o), "skip_in needs skip");
	cr_assert_eq(errno, EINVAL);
	jstream_free(NULL);
}

Test(jstream, peek_reads_the_top_level_object_as_far_as_it_has_come)
{
	struct got g = { 0 };
	struct jstream *js = mk(JSTREAM_ITEMS, &g);
	struct json_object *body;

	cr_assert_null(jstream_peek(js, "kind"), "nothing read yet");
	cr_assert_eq(jstream_feed(js, "{\"items\":[{\"a\":1}", 17), 0);
	cr_assert_eq(g.n, 1);
	cr_assert_null(jstream_peek(js, "kind"), "the kind comes after the items");
	cr_assert_eq(jstream_feed(js, "],\"kind\":\"ServiceList\"", 22), 0);
	cr_assert_str_eq(json_object_get_string(jstream_peek(js, "kind")), "ServiceList");
	cr_assert_null(jstream_peek(js, "metadata"));
	cr_assert_eq(feed(js, "}", 0), 0);
	cr_assert_str_eq(json_object_get_string(jstream_peek(js, "kind")), "ServiceList");
	body = jstream_take(js);
	cr_assert_not_null(body);
	cr_assert_null(jstream_peek(js, "kind"), "taken");
	json_object_put(body);
	got_free(&g);
	jstream_free(js);
}
