// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kubernetes API configuration: a kubeconfig's current context (libyaml document API) or
 * the in-cluster service account, and the rotating bearer token. Contract in config.h.
 *
 * The kubeconfig is walked along fixed paths (top level -> contexts/clusters/users -> one
 * entry -> its fields), never recursively, so a document whose aliases form a cycle cannot
 * loop; merge keys, the one place that follows aliases further, have a depth and a work
 * bound. Semantics follow client-go's clientcmd (loader.go ResolvePaths, validation.go).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "userspace/util/log.h"
#include "config.h"

#define MERGE_DEPTH_MAX		8	/* "<<" inside a merged mapping inside ... */
#define MERGE_VISITS_MAX	256	/* mappings one lookup may search through merge keys */
#define WHAT_MAX		320	/* "cluster \"<name>\"" for log lines */

/* One kubeconfig being parsed. */
struct kc {
	const char *path;	/* as given, for log lines */
	char *dir;		/* absolute directory of path: relative file names start here */
	yaml_document_t doc;
	unsigned int merge_visits;
	bool logged;		/* kc_err() ran: the one log line is written */
};

static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The one log line of a failed kube_config_from_kubeconfig(); names in it cannot break it. */
__attribute__((format(printf, 2, 3)))
static void kc_err(struct kc *k, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (k->logged)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	log_err("kubeconfig %s: %s", k->path, msg);
	k->logged = true;
}

/* ---- files ---- */

/*
 * Read the whole file at path (at most max bytes) into a malloc()ed NUL-terminated buffer.
 * *st (optional) is fstat() of the descriptor read, taken before reading: if the file
 * changes while it is read, the next stat() differs from it. 0, or -errno (-EFBIG when
 * longer than max, -EISDIR for a directory).
 */
static int file_read(const char *path, size_t max, char **out, size_t *out_len,
		     struct stat *st)
{
	size_t cap, len = 0;
	struct stat sb;
	char *buf, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		goto out_close_fd;
	}
	if (S_ISDIR(sb.st_mode)) {
		err = -EISDIR;
		goto out_close_fd;
	}
	cap = S_ISREG(sb.st_mode) && sb.st_size > 0 && (size_t)sb.st_size < max ?
		(size_t)sb.st_size + 1 : 4096;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_close_fd;
	}
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				err = -EFBIG;
				goto out_free_buf;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				err = -ENOMEM;
				goto out_free_buf;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		err = -EFBIG;
		goto out_free_buf;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	if (out_len)
		*out_len = len;
	if (st)
		*st = sb;
	return 0;

out_free_buf:
	free(buf);
out_close_fd:
	close(fd);
	return err;
}

/* A file the config names must exist and be readable now: 0 or -errno. */
static int file_check_readable(const char *path)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	close(fd);
	return err;
}

/* dir/name, or name itself when absolute. NULL + errno. */
static char *path_resolve(const char *dir, const char *name)
{
	char *p;

	if (name[0] == '/')
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* ---- strings ---- */

static bool is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trim ASCII whitespace at both ends, in place. */
static void trim(char *s)
{
	size_t start = 0, end = strlen(s);

	while (end > 0 && is_space((unsigned char)s[end - 1]))
		end--;
	while (start < end && is_space((unsigned char)s[start]))
		start++;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
}

/* A bearer token goes into an HTTP header: printable ASCII without spaces only (RFC 6750). */
static bool token_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int kube_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	unsigned int q = 0, pad = 0;	/* position in the 4-character quantum, '='s seen */
	bool done = false;		/* a padded quantum ends the data */
	uint32_t acc = 0;
	size_t i, o = 0;
	char *buf;
	int v;

	buf = malloc(len / 4 * 3 + 4);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (is_space(ch))
			continue;
		if (done)
			goto out_bad;
		if (ch == '=') {
			if (q < 2)	/* "=" can only stand for the 3rd and 4th character */
				goto out_bad;
			pad++;
		} else {
			v = b64_value(ch);
			if (v < 0 || pad)
				goto out_bad;
			acc = acc << 6 | (uint32_t)v;
		}
		if (++q < 4)
			continue;
		/* 4 - pad sextets carry 3 - pad bytes; bits below them are ignored, as Go does */
		acc <<= 6 * pad;
		buf[o++] = (char)(acc >> 16);
		if (pad < 2)
			buf[o++] = (char)(acc >> 8);
		if (pad < 1)
			buf[o++] = (char)acc;
		done = pad > 0;
		q = 0;
		acc = 0;
	}
	if (q)
		goto out_bad;
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;

out_bad:
	free(buf);
	return -EINVAL;
}

/* ---- YAML nodes ---- */

static yaml_node_t *kc_node(struct kc *k, int index)
{
	return yaml_document_get_node(&k->doc, index);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s);

	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
	       !memcmp(n->data.scalar.value, s, len);
}

static bool tag_is(const yaml_node_t *n, const char *tag)
{
	return n->tag && !strcmp((const char *)n->tag, tag);
}

/* Absent, YAML null ("", "~", "null" plain or !!null), or an empty sequence or mapping. */
static bool node_is_empty(const yaml_node_t *n)
{
	const char *v;

	if (!n)
		return true;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (tag_is(n, YAML_NULL_TAG))
			return true;
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return false;
		v = (const char *)n->data.scalar.value;
		return !n->data.scalar.length || !strcmp(v, "~") || !strcmp(v, "null") ||
		       !strcmp(v, "Null") || !strcmp(v, "NULL");
	case YAML_SEQUENCE_NODE:
		return n->data.sequence.items.top == n->data.sequence.items.start;
	case YAML_MAPPING_NODE:
		return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
	default:
		return true;
	}
}

static bool is_merge_key(const yaml_node_t *n)
{
	return scalar_is(n, "<<") && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int map_find(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		    yaml_node_t **out, unsigned int depth);

/* Search one merge value ("<<: *a" or "<<: [*a, *b]") for key. */
static int merge_find(struct kc *k, yaml_node_t *v, const char *key, const char *what,
		      yaml_node_t **out, unsigned int depth)
{
	yaml_node_item_t *it;
	yaml_node_t *m;
	int err;

	if (v && v->type == YAML_MAPPING_NODE)
		return map_find(k, v, key, what, out, depth + 1);
	if (!v || v->type != YAML_SEQUENCE_NODE) {
		kc_err(k, "%s: a merge key (<<) must merge a mapping or a list of mappings", what);
		return -EINVAL;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		m = kc_node(k, *it);
		if (!m || m->type != YAML_MAPPING_NODE) {
			kc_err(k, "%s: a merge key (<<) lists something that is not a mapping",
			       what);
			return -EINVAL;
		}
		err = map_find(k, m, key, what, out, depth + 1);
		if (err || *out)
			return err;
	}
	return 0;
}

static int map_find(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		    yaml_node_t **out, unsigned int depth)
{
	yaml_node_t *found = NULL;
	yaml_node_pair_t *p;
	bool merges = false;
	int err;

	*out = NULL;
	if (depth > MERGE_DEPTH_MAX || ++k->merge_visits > MERGE_VISITS_MAX) {
		kc_err(k, "%s: merge keys (<<) nest too deep or too wide", what);
		return -EINVAL;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = kc_node(k, p->key);

		if (is_merge_key(kn))
			merges = true;
		if (!scalar_is(kn, key))
			continue;
		if (found) {
			kc_err(k, "%s: key \"%s\" appears twice", what, key);
			return -EINVAL;
		}
		found = kc_node(k, p->value);
	}
	if (found || !merges) {
		*out = found;
		return 0;
	}
	/* Keys of the mapping itself win over merged ones; earlier merges win over later. */
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		if (!is_merge_key(kc_node(k, p->key)))
			continue;
		err = merge_find(k, kc_node(k, p->value), key, what, out, depth);
		if (err || *out)
			return err;
	}
	return 0;
}

/*
 * The value of key in the mapping map (NULL map: nothing), following merge keys. 0 with
 * *out NULL when absent; -EINVAL (logged) for a key that appears twice or bad merges.
 * what names the mapping in log lines.
 */
static int map_get(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		   yaml_node_t **out)
{
	*out = NULL;
	if (!map)
		return 0;
	k->merge_visits = 0;
	return map_find(k, map, key, what, out, 0);
}

/* A string field: *out malloc()ed, or NULL when absent, null or "". */
static int get_str(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		   char **out)
{
	yaml_node_t *n;
	int err;

	*out = NULL;
	err = map_get(k, map, key, what, &n);
	if (err || node_is_empty(n))
		return err;
	if (n->type != YAML_SCALAR_NODE) {
		kc_err(k, "%s: %s is not a string", what, key);
		return -EINVAL;
	}
	if (!n->data.scalar.length)
		return 0;
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length)) {
		kc_err(k, "%s: %s contains a NUL byte", what, key);
		return -EINVAL;
	}
	*out = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return *out ? 0 : -ENOMEM;
}

/* A boolean field, false when absent or null. YAML 1.1 spellings, as go-yaml v2 resolves. */
static int get_bool(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		    bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					   "on", "On", "ON", "y", "Y" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off", "Off", "OFF", "n", "N" };
	yaml_node_t *n;
	size_t i;
	int err;

	*out = false;
	err = map_get(k, map, key, what, &n);
	if (err || node_is_empty(n))
		return err;
	/* a quoted "true" is a string, which kubectl refuses for a boolean field too */
	if (n->type == YAML_SCALAR_NODE &&
	    (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || tag_is(n, YAML_BOOL_TAG))) {
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (scalar_is(n, yes[i]))
				return *out = true, 0;
			if (scalar_is(n, no[i]))
				return 0;
		}
	}
	kc_err(k, "%s: %s is not a boolean", what, key);
	return -EINVAL;
}

/* A file name field, made absolute against the kubeconfig's directory; NULL when absent. */
static int get_path(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		    char **out)
{
	char *name;
	int err;

	err = get_str(k, map, key, what, &name);
	if (err || !name)
		return err;
	*out = path_resolve(k->dir, name);
	free(name);
	return *out ? 0 : -ENOMEM;
}

/* A *-data field: base64 of PEM text; *out is the PEM, NULL when absent. */
static int get_pem(struct kc *k, yaml_node_t *map, const char *key, const char *what,
		   char **out)
{
	char *text, *pem;
	size_t len;
	int err;

	*out = NULL;
	err = get_str(k, map, key, what, &text);
	if (err || !text)
		return err;
	err = kube_base64_decode(text, strlen(text), &pem, &len);
	free(text);
	if (err == -EINVAL)
		kc_err(k, "%s: %s is not valid base64", what, key);
	if (err)
		return err;
	if (memchr(pem, '\0', len) || !strstr(pem, "-----BEGIN ")) {
		kc_err(k, "%s: %s does not decode to PEM", what, key);
		free(pem);
		return -EINVAL;
	}
	*out = pem;
	return 0;
}

/* Options we do not implement must fail loudly, not be half-honoured. */
static int reject_keys(struct kc *k, yaml_node_t *map, const char *what,
		       const char *const *keys, const char *why)
{
	yaml_node_t *n;
	int err;

	for (; *keys; keys++) {
		err = map_get(k, map, *keys, what, &n);
		if (err)
			return err;
		if (!node_is_empty(n)) {
			kc_err(k, "%s: %s is not supported%s", what, *keys, why);
			return -ENOTSUP;
		}
	}
	return 0;
}

/*
 * The entry named name in the top-level list (e.g. "clusters"), and its body (the
 * "cluster" field: a mapping, or NULL when null). -ENOENT without a log line when no entry
 * has that name; -EINVAL (logged) for a malformed list or a name defined twice.
 */
static int named_find(struct kc *k, yaml_node_t *root, const char *list, const char *field,
		      const char *name, yaml_node_t **out)
{
	yaml_node_t *l, *item, *nm, *body = NULL;
	yaml_node_item_t *it;
	char what[WHAT_MAX];
	bool found = false;
	int err;

	*out = NULL;
	err = map_get(k, root, list, "top level", &l);
	if (err)
		return err;
	if (node_is_empty(l))
		return -ENOENT;
	if (l->type != YAML_SEQUENCE_NODE) {
		kc_err(k, "%s is not a list", list);
		return -EINVAL;
	}
	for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
		snprintf(what, sizeof(what), "%s[%td]", list, it - l->data.sequence.items.start);
		item = kc_node(k, *it);
		if (!item || item->type != YAML_MAPPING_NODE) {
			kc_err(k, "%s is not a mapping", what);
			return -EINVAL;
		}
		err = map_get(k, item, "name", what, &nm);
		if (err)
			return err;
		if (nm && nm->type != YAML_SCALAR_NODE) {
			kc_err(k, "%s: name is not a string", what);
			return -EINVAL;
		}
		if (!scalar_is(nm, name))
			continue;
		if (found) {
			kc_err(k, "%s \"%s\" is defined twice", field, name);
			return -EINVAL;
		}
		found = true;
		err = map_get(k, item, field, what, &body);
		if (err)
			return err;
	}
	if (!found)
		return -ENOENT;
	if (node_is_empty(body))
		return 0;
	if (body->type != YAML_MAPPING_NODE) {
		kc_err(k, "%s \"%s\": %s is not a mapping", field, name, field);
		return -EINVAL;
	}
	*out = body;
	return 0;
}

/* ---- kubeconfig ---- */

/* "https://host:port[/prefix]" without trailing slashes; no scheme means https. */
static int server_normalize(struct kc *k, const char *what, const char *raw, char **out)
{
	const char *sep = strstr(raw, "://"), *host;
	size_t n = strlen(raw), i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)raw[i] <= 0x20 || raw[i] == 0x7f) {
			kc_err(k, "%s: server \"%s\" contains a space or control character", what,
			       raw);
			return -EINVAL;
		}
	}
	while (n > 0 && raw[n - 1] == '/')
		n--;
	host = sep ? sep + 3 : raw;
	if (sep && !((sep - raw == 5 && !strncasecmp(raw, "https", 5)) ||
		     (sep - raw == 4 && !strncasecmp(raw, "http", 4)))) {
		kc_err(k, "%s: server \"%s\" is neither https:// nor http://", what, raw);
		return -EINVAL;
	}
	if (host >= raw + n || *host == '/') {
		kc_err(k, "%s: server \"%s\" has no host", what, raw);
		return -EINVAL;
	}
	if (sep)
		*out = strndup(raw, n);
	else if (asprintf(out, "https://%.*s", (int)n, raw) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

static int parse_cluster(struct kc *k, yaml_node_t *cl, const char *name, struct kube_config *c)
{
	static const char *const unsupported[] = { "tls-server-name", "proxy-url", NULL };
	char what[WHAT_MAX], *server;
	int err;

	snprintf(what, sizeof(what), "cluster \"%s\"", name);
	err = reject_keys(k, cl, what, unsupported, "");
	if (err)
		return err;
	err = get_str(k, cl, "server", what, &server);
	if (err)
		return err;
	if (!server) {
		kc_err(k, "%s has no server", what);
		return -EINVAL;
	}
	err = server_normalize(k, what, server, &c->server);
	free(server);
	if (err)
		return err;
	err = get_path(k, cl, "certificate-authority", what, &c->ca_file);
	if (err)
		return err;
	err = get_pem(k, cl, "certificate-authority-data", what, &c->ca_data);
	if (err)
		return err;
	err = get_bool(k, cl, "insecure-skip-tls-verify", what, &c->insecure_skip_tls_verify);
	if (err)
		return err;
	/* clientcmd validation.go refuses these combinations; so do we */
	if (c->ca_file && c->ca_data) {
		kc_err(k, "%s: certificate-authority and certificate-authority-data are both set",
		       what);
		return -EINVAL;
	}
	if (c->insecure_skip_tls_verify && (c->ca_file || c->ca_data)) {
		kc_err(k, "%s: insecure-skip-tls-verify together with a certificate authority "
		       "is not allowed", what);
		return -EINVAL;
	}
	if (c->ca_file) {
		err = file_check_readable(c->ca_file);
		if (err)
			kc_err(k, "%s: certificate-authority %s: %s", what, c->ca_file,
			       strerror(-err));
	}
	return err;
}

static int token_file_refresh(struct kube_config *c);

static const char *token_strerror(int err)
{
	if (err == -ENODATA)
		return "holds no token";
	if (err == -EILSEQ)
		return "holds characters a bearer token cannot have";
	return strerror(-err);
}

static int parse_user(struct kc *k, yaml_node_t *u, const char *name, struct kube_config *c)
{
	static const char *const unsupported[] = { "exec", "auth-provider", "username",
						   "password", "as", "as-uid", "as-groups",
						   "as-user-extra", NULL };
	char what[WHAT_MAX];
	int err;

	snprintf(what, sizeof(what), "user \"%s\"", name);
	err = reject_keys(k, u, what, unsupported,
			  " (use token, tokenFile or client-certificate and client-key)");
	if (err)
		return err;
	err = get_str(k, u, "token", what, &c->token);
	if (err)
		return err;
	if (c->token) {
		trim(c->token);
		if (!token_valid(c->token)) {
			kc_err(k, "%s: token holds characters a bearer token cannot have", what);
			return -EINVAL;
		}
	}
	err = get_path(k, u, "tokenFile", what, &c->token_file);
	if (!err)
		err = get_path(k, u, "client-certificate", what, &c->cert_file);
	if (!err)
		err = get_path(k, u, "client-key", what, &c->key_file);
	if (!err)
		err = get_pem(k, u, "client-certificate-data", what, &c->cert_data);
	if (!err)
		err = get_pem(k, u, "client-key-data", what, &c->key_data);
	if (err)
		return err;
	if (c->cert_file && c->cert_data) {
		kc_err(k, "%s: client-certificate and client-certificate-data are both set", what);
		return -EINVAL;
	}
	if (c->key_file && c->key_data) {
		kc_err(k, "%s: client-key and client-key-data are both set", what);
		return -EINVAL;
	}
	if (!(c->cert_file || c->cert_data) != !(c->key_file || c->key_data)) {
		kc_err(k, "%s: a client certificate needs both client-certificate(-data) and "
		       "client-key(-data)", what);
		return -EINVAL;
	}
	if (c->cert_file && (err = file_check_readable(c->cert_file))) {
		kc_err(k, "%s: client-certificate %s: %s", what, c->cert_file, strerror(-err));
		return err;
	}
	if (c->key_file && (err = file_check_readable(c->key_file))) {
		kc_err(k, "%s: client-key %s: %s", what, c->key_file, strerror(-err));
		return err;
	}
	if (c->token_file && (err = token_file_refresh(c))) {
		kc_err(k, "%s: tokenFile %s: %s", what, c->token_file, token_strerror(err));
		return err;
	}
	return 0;
}

static int parse_doc(struct kc *k, yaml_node_t *root, struct kube_config *c)
{
	char *cur, *cluster = NULL, *user = NULL;
	yaml_node_t *ctx, *cl, *u;
	char what[WHAT_MAX];
	int err;

	err = get_str(k, root, "current-context", "top level", &cur);
	if (err)
		return err;
	if (!cur) {
		kc_err(k, "current-context is not set");
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "context \"%s\"", cur);
	err = named_find(k, root, "contexts", "context", cur, &ctx);
	if (err == -ENOENT) {
		kc_err(k, "current-context \"%s\" names no context", cur);
		err = -EINVAL;
	}
	if (!err)
		err = get_str(k, ctx, "cluster", what, &cluster);
	if (!err)
		err = get_str(k, ctx, "user", what, &user);
	if (err)
		goto out_free;
	if (!cluster) {
		kc_err(k, "%s names no cluster", what);
		err = -EINVAL;
		goto out_free;
	}
	err = named_find(k, root, "clusters", "cluster", cluster, &cl);
	if (err == -ENOENT) {
		kc_err(k, "%s names cluster \"%s\", which is not in clusters", what, cluster);
		err = -EINVAL;
	}
	if (!err)
		err = parse_cluster(k, cl, cluster, c);
	if (err || !user)	/* a context without a user is anonymous, as in kubectl */
		goto out_free;
	err = named_find(k, root, "users", "user", user, &u);
	if (err == -ENOENT) {
		kc_err(k, "%s names user \"%s\", which is not in users", what, user);
		err = -EINVAL;
	}
	if (!err)
		err = parse_user(k, u, user, c);
out_free:
	free(user);
	free(cluster);
	free(cur);
	return err;
}

/* The absolute directory of k->path: kubectl resolves relative names against it. */
static int kc_dir(struct kc *k)
{
	const char *slash = strrchr(k->path, '/');
	char cwd[PATH_MAX];

	if (k->path[0] == '/') {
		k->dir = strndup(k->path, (size_t)(slash - k->path));
		return k->dir ? 0 : -ENOMEM;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (!slash)
		k->dir = strdup(cwd);
	else if (asprintf(&k->dir, "%s/%.*s", cwd, (int)(slash - k->path), k->path) < 0)
		k->dir = NULL;
	return k->dir ? 0 : -ENOMEM;
}

int kube_config_from_kubeconfig(struct kube_config *c, const char *path)
{
	struct kc k = { .path = path };
	yaml_parser_t parser;
	yaml_node_t *root;
	size_t len;
	char *buf;
	int err;

	memset(c, 0, sizeof(*c));
	err = file_read(path, KUBE_KUBECONFIG_MAX, &buf, &len, NULL);
	if (err) {
		kc_err(&k, "%s", strerror(-err));
		return err;
	}
	err = kc_dir(&k);
	if (err)
		goto out_free_buf;
	if (!yaml_parser_initialize(&parser)) {
		err = -ENOMEM;
		goto out_free_dir;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &k.doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			err = -ENOMEM;
		} else {
			kc_err(&k, "line %zu column %zu: %s%s%s", parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "YAML error",
			       parser.context ? " " : "", parser.context ? parser.context : "");
			err = -EINVAL;
		}
		goto out_delete_parser;
	}
	root = yaml_document_get_root_node(&k.doc);
	if (!root) {
		kc_err(&k, "is empty");
		err = -EINVAL;
	} else if (root->type != YAML_MAPPING_NODE) {
		kc_err(&k, "is not a YAML mapping");
		err = -EINVAL;
	} else {
		err = parse_doc(&k, root, c);
	}
	yaml_document_delete(&k.doc);
out_delete_parser:
	yaml_parser_delete(&parser);
out_free_dir:
	free(k.dir);
out_free_buf:
	free(buf);
	if (err) {
		kc_err(&k, "%s", strerror(-err));	/* only if nothing more precise was said */
		kube_config_release(c);
	}
	return err;
}

/* ---- in-cluster ---- */

/* Hostnames, IPv4 and IPv6 literals: what the kubelet can have put there. */
static bool host_valid(const char *h)
{
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' || *h == ':'))
			return false;
	return true;
}

static bool port_valid(const char *p)
{
	unsigned long v = 0;
	size_t n = strlen(p), i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

int kube_config_in_cluster(struct kube_config *c, const char *sa_dir)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *ca;
	int err;

	memset(c, 0, sizeof(*c));
	if (!sa_dir)
		sa_dir = KUBE_SA_DIR;
	if (!host || !*host || !port || !*port) {
		log_err("in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
			"are not set (not in a pod? use --kubeconfig)");
		return -ENOENT;
	}
	if (!host_valid(host) || !port_valid(port)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "KUBERNETES_SERVICE_HOST=%s KUBERNETES_SERVICE_PORT=%s",
			 host, port);
		sanitize(msg);
		log_err("in-cluster config: %s is not a host and port", msg);
		return -EINVAL;
	}
	err = -ENOMEM;
	/* net.JoinHostPort(), as client-go: an IPv6 literal is bracketed */
	if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		     port) < 0) {
		c->server = NULL;
		goto out_release;
	}
	if (asprintf(&c->token_file, "%s/token", sa_dir) < 0) {
		c->token_file = NULL;
		goto out_release;
	}
	if (asprintf(&ca, "%s/ca.crt", sa_dir) < 0)
		goto out_release;
	err = file_check_readable(ca);
	if (err) {
		log_warn("in-cluster config: %s: %s; the API server is verified against the "
			 "system CAs", ca, strerror(-err));
		free(ca);
	} else {
		c->ca_file = ca;
	}
	err = token_file_refresh(c);
	if (err) {
		log_err("in-cluster config: token %s: %s", c->token_file, token_strerror(err));
		goto out_release;
	}
	return 0;

out_release:
	kube_config_release(c);
	return err;
}

/* ---- the token ---- */

static void file_id_set(struct kube_file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool file_id_eq(const struct kube_file_id *a, const struct kube_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/*
 * Make c->file_token the token file's current content, reading it only when stat() shows
 * another file than last time. 0, or -errno with c->file_token (the last good one) kept:
 * -ENODATA for an empty file, -EILSEQ for one that is no token.
 */
static int token_file_refresh(struct kube_config *c)
{
	struct kube_file_id id;
	struct stat st;
	char *buf;
	int err;

	if (stat(c->token_file, &st))
		return -errno;
	file_id_set(&id, &st);
	if (c->file_id_valid && c->file_token && file_id_eq(&id, &c->file_id))
		return 0;
	err = file_read(c->token_file, KUBE_TOKEN_MAX, &buf, NULL, &st);
	if (err)
		return err;
	trim(buf);
	if (!token_valid(buf)) {
		err = *buf ? -EILSEQ : -ENODATA;
		free(buf);
		return err;
	}
	free(c->file_token);
	c->file_token = buf;
	file_id_set(&c->file_id, &st);
	c->file_id_valid = true;
	return 0;
}

int kube_config_token(struct kube_config *c, const char **out)
{
	int err;

	*out = c->token;
	if (!c->token_file)
		return 0;
	err = token_file_refresh(c);
	if (!err) {
		if (c->file_err)
			log_info("token file %s is readable again", c->token_file);
		c->file_err = 0;
		*out = c->file_token;
		return 0;
	}
	/* Loading the config read the file once, so there is a last good token (client-go
	 * keeps its cached token on a read error too). */
	*out = c->file_token;
	if (err != c->file_err)
		log_warn("token file %s: %s; sending the last good token", c->token_file,
			 token_strerror(err));
	c->file_err = err;
	return err;
}

void kube_config_release(struct kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_data);
	free(c->key_data);
	free(c->token);
	free(c->token_file);
	free(c->file_token);
	memset(c, 0, sizeof(*c));
}
