// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A YAML settings file into "--name=value" arguments (libyaml's document API). Contract in
 * optfile.h. The document is walked to a fixed depth (mapping -> value -> list or mapping ->
 * list), never recursively, so aliases cannot make it loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "optfile.h"

struct load {
	const char *path;
	const struct optfile_spec *spec;
	yaml_document_t doc;
	struct optfile *out;
	unsigned int cap;
	char *err;
};

/* "PATH:LINE: KEY: problem" (key NULL: "PATH:LINE: problem"); -EINVAL. */
__attribute__((format(printf, 4, 5)))
static int fail(struct load *l, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	char msg[OPTFILE_ERR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, OPTFILE_ERR_MAX, "%s:%zu: %s%s%s", l->path,
		 n ? n->start_mark.line + 1 : 1, key ? key : "", key ? ": " : "", msg);
	/* Names and values from the file cannot break the one log line. */
	for (char *s = l->err; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	return -EINVAL;
}

static bool listed(const char *const *names, const char *s)
{
	for (; names && *names; names++)
		if (!strcmp(*names, s))
			return true;
	return false;
}

static yaml_node_t *node(struct load *l, int index)
{
	return yaml_document_get_node(&l->doc, index);
}

static const char *node_shape(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
}

/* A plain empty, ~ or null scalar, or one tagged !!null: YAML's null. */
static bool scalar_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* n is a usable single value (a scalar, not null, no NUL byte inside). */
static int check_scalar(struct load *l, const yaml_node_t *n, const char *key, const char *want)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, key, "expected %s, not %s", want, node_shape(n));
	if (scalar_is_null(n))
		return fail(l, n, key, "has no value");
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(l, n, key, "the value contains a NUL byte");
	return 0;
}

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Append "--name=value", from the line of node at. */
static int push(struct load *l, const char *name, const char *value, const yaml_node_t *at)
{
	struct optfile *o = l->out;

	if (o->n == l->cap) {
		unsigned int cap = l->cap ? 2 * l->cap : 16;
		char **args = realloc(o->args, cap * sizeof(*args));
		unsigned int *lines;

		if (!args)
			return -ENOMEM;
		o->args = args;
		lines = realloc(o->lines, cap * sizeof(*lines));
		if (!lines)
			return -ENOMEM;
		o->lines = lines;
		l->cap = cap;
	}
	if (asprintf(&o->args[o->n], "--%s=%s", name, value) < 0)
		return -ENOMEM;
	o->lines[o->n++] = (unsigned int)at->start_mark.line + 1;
	return 0;
}

/* A list of scalars joined with commas into a malloc()ed string (*out). */
static int join(struct load *l, const yaml_node_t *seq, const char *key, char **out)
{
	size_t len = 0, pos = 0;
	yaml_node_item_t *it;
	char *s;
	int err;

	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = node(l, *it);

		err = check_scalar(l, item, key, "a list of single values");
		if (err)
			return err;
		len += item->data.scalar.length + 1;
	}
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = node(l, *it);

		pos += (size_t)sprintf(s + pos, "%s%s", pos ? "," : "", text(item));
	}
	*out = s;
	return 0;
}

/* Scalar or list of scalars, as one comma-joined argument. */
static int value_list(struct load *l, const char *key, const yaml_node_t *v, const char *prefix)
{
	char *joined, *arg;
	int err;

	if (v->type == YAML_MAPPING_NODE)
		return fail(l, v, key, "expected a value or a list, not a mapping");
	if (v->type == YAML_SCALAR_NODE) {
		err = check_scalar(l, v, key, "a value");
		if (err)
			return err;
		joined = strdup(text(v));
		if (!joined)
			return -ENOMEM;
	} else {
		err = join(l, v, key, &joined);
		if (err)
			return err;
	}
	if (asprintf(&arg, "%s%s", prefix, joined) < 0) {
		free(joined);
		return -ENOMEM;
	}
	free(joined);
	err = push(l, key, arg, v);
	free(arg);
	return err;
}

/* A repeatable option: a value, a list of values, or a mapping NAME: value-or-list. */
static int value_repeat(struct load *l, const char *key, const yaml_node_t *v)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p, *q;
	char *prefix;
	int err;

	switch (v->type) {
	case YAML_SCALAR_NODE:
		err = check_scalar(l, v, key, "a value");
		return err ? err : push(l, key, text(v), v);
	case YAML_SEQUENCE_NODE:
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			const yaml_node_t *item = node(l, *it);

			err = check_scalar(l, item, key, "a list of single values");
			if (!err)
				err = push(l, key, text(item), item);
			if (err)
				return err;
		}
		return 0;
	default:
		break;
	}
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(l, p->key);

		err = check_scalar(l, k, key, "names as the keys of its mapping");
		if (err)
			return err;
		for (q = v->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(text(node(l, q->key)), text(k)))
				return fail(l, k, key, "'%s' is given twice (first on line %zu)",
					    text(k), node(l, q->key)->start_mark.line + 1);
		if (asprintf(&prefix, "%s=", text(k)) < 0)
			return -ENOMEM;
		err = value_list(l, key, node(l, p->value), prefix);
		free(prefix);
		if (err)
			return err;
	}
	return 0;
}

static int one_key(struct load *l, const yaml_node_t *root, const yaml_node_pair_t *p,
		   const bool *given)
{
	const struct optfile_spec *spec = l->spec;
	const yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
	const struct option *opt;
	const char *key;
	int err;

	if (k->type != YAML_SCALAR_NODE)
		return fail(l, k, NULL, "a key must be a flag name, not %s", node_shape(k));
	err = check_scalar(l, k, NULL, "a flag name");
	if (err)
		return err;
	key = text(k);
	for (opt = spec->longopts; opt->name; opt++)
		if (!strcmp(opt->name, key))
			break;
	if (!opt->name)
		return fail(l, k, key, "unknown key: keys are the long flag names, without "
			    "the dashes");
	if (opt->has_arg != required_argument || listed(spec->not_keys, key))
		return fail(l, k, key, "a command-line flag only, not a setting");
	for (const yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++)
		if (!strcmp(text(node(l, q->key)), key))
			return fail(l, k, key, "given twice (first on line %zu)",
				    node(l, q->key)->start_mark.line + 1);
	if (given && given[opt - spec->longopts])
		return 0;	/* the command line wins */
	if (listed(spec->repeats, key))
		return value_repeat(l, key, v);
	if (listed(spec->lists, key))
		return value_list(l, key, v, "");
	err = check_scalar(l, v, key, "a single value");
	return err ? err : push(l, key, text(v), v);
}

/* The whole file (at most OPTFILE_MAX_BYTES) into a malloc()ed buffer. */
static int read_all(const char *path, char **out, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (ferror(f)) {
			err = errno ? -errno : -EIO;
			goto out_free_buf;
		}
		if (feof(f))
			break;
		if (cap >= OPTFILE_MAX_BYTES) {
			err = -EFBIG;
			goto out_free_buf;
		}
		nbuf = realloc(buf, 2 * cap);
		if (!nbuf) {
			err = -ENOMEM;
			goto out_free_buf;
		}
		buf = nbuf;
		cap *= 2;
	}
	fclose(f);
	*out = buf;
	*out_len = len;
	return 0;

out_free_buf:
	free(buf);
out_close:
	fclose(f);
	return err;
}

int optfile_load(const char *path, const struct optfile_spec *spec, const bool *given,
		 struct optfile *out, char *err)
{
	struct load l = { .path = path, .spec = spec, .out = out, .err = err };
	yaml_document_t extra;
	yaml_parser_t parser;
	yaml_node_t *root;
	size_t len = 0;
	char *buf = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_all(path, &buf, &len);
	if (ret) {
		snprintf(err, OPTFILE_ERR_MAX, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		goto out_free_buf;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &l.doc))
		goto out_yaml_error;
	root = yaml_document_get_root_node(&l.doc);
	if (root) {
		if (!yaml_parser_load(&parser, &extra)) {
			yaml_document_delete(&l.doc);
			goto out_yaml_error;
		}
		if (yaml_document_get_root_node(&extra))
			ret = fail(&l, yaml_document_get_root_node(&extra), NULL,
				   "a second YAML document: the file holds one mapping");
		yaml_document_delete(&extra);
	}
	if (root && root->type == YAML_SCALAR_NODE && scalar_is_null(root))
		root = NULL;	/* "---" alone: an empty document */
	if (!ret && root && root->type != YAML_MAPPING_NODE)
		ret = fail(&l, root, NULL, "expected a mapping of flag names to values, not %s",
			   root->type == YAML_SCALAR_NODE ? "a single value" : "a list");
	for (yaml_node_pair_t *p = root && !ret ? root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top && !ret; p++)
		ret = one_key(&l, root, p, given);
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	goto out_free_buf;

out_yaml_error:
	if (parser.error == YAML_MEMORY_ERROR) {
		ret = -ENOMEM;
	} else {
		snprintf(err, OPTFILE_ERR_MAX, "%s:%zu: %s%s%s", path,
			 parser.problem_mark.line + 1, parser.problem ? parser.problem : "YAML error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		ret = -EINVAL;
	}
	yaml_parser_delete(&parser);
out_free_buf:
	free(buf);
	if (ret == -ENOMEM)
		snprintf(err, OPTFILE_ERR_MAX, "%s: out of memory", path);
	if (ret)
		optfile_release(out);
	return ret;
}

void optfile_release(struct optfile *f)
{
	for (unsigned int i = 0; i < f->n; i++)
		free(f->args[i]);
	free(f->args);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}
