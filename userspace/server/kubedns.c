// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kube-dns's ConfigMap keys upstreamNameservers and stubDomains, read with json-c and checked
 * with the forwarder's own parsers. Contract in kubedns.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "userspace/util/log.h"
#include "kubedns.h"

#define UPSTREAMS_FILE	"upstreamNameservers"
#define STUBS_FILE	"stubDomains"

/* "DIR/FILE: problem" into err; returns code. */
__attribute__((format(printf, 5, 6)))
static int fail(char *err, int code, const char *dir, const char *file, const char *fmt, ...)
{
	char msg[FORWARD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, FORWARD_ERR_MAX, "%s/%s: %.*s", dir, file, FORWARD_ERR_MAX / 2, msg);
	for (char *s = err; *s; s++)	/* values from the files cannot break the log line */
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	return code;
}

/*
 * dir/file parsed as one JSON value into *out (NULL: not set, for a missing file, one of
 * only white space, or JSON null). 0 or -errno, err written.
 */
static int read_json(const char *dir, const char *file, struct json_object **out, char *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	char path[4096], buf[KUBEDNS_FILE_MAX + 2];	/* one byte over the limit, and a NUL */
	size_t len = 0, end;
	ssize_t n;
	int fd, ret = 0;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, -errno, dir, file, "cannot open: %s", strerror(errno));
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	if (n < 0)
		ret = fail(err, -errno, dir, file, "cannot read: %s", strerror(errno));
	else if (len > KUBEDNS_FILE_MAX)
		ret = fail(err, -EFBIG, dir, file, "larger than %d bytes", KUBEDNS_FILE_MAX);
	close(fd);
	if (ret)
		return ret;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return fail(err, -EINVAL, dir, file, "not valid JSON: a NUL byte");
	for (end = 0; end < len && isspace((unsigned char)buf[end]); end++)
		;
	if (end == len)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return fail(err, -ENOMEM, dir, file, "out of memory");
	/* The NUL too: it ends a literal or number at the end of the text. */
	*out = json_tokener_parse_ex(tok, buf, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		ret = fail(err, -EINVAL, dir, file, "not valid JSON: %s",
			   json_tokener_error_desc(jerr));
	} else {
		for (end = json_tokener_get_parse_end(tok); end < len; end++)
			if (!isspace((unsigned char)buf[end]))
				break;
		if (end < len)
			ret = fail(err, -EINVAL, dir, file, "not valid JSON: text after the value");
	}
	json_tokener_free(tok);
	if (ret) {
		json_object_put(*out);
		*out = NULL;
	}
	return ret;
}

/*
 * A JSON list of address strings (IP or IP:port) as "A,B,..." (malloc()ed into *out; NULL
 * for an empty list). what prefixes the messages ("" or "acme.local: ").
 */
static int addr_list(struct json_object *arr, const char *dir, const char *file,
		     const char *what, unsigned int max, char **out, char *err)
{
	size_t n = json_object_array_length(arr), len = 0;
	char aerr[FORWARD_ERR_MAX];
	char *s;

	*out = NULL;
	if (n > max)
		return fail(err, -EINVAL, dir, file, "%smore than %u nameservers", what, max);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct forward_addr fa;

		if (!json_object_is_type(e, json_type_string))
			return fail(err, -EINVAL, dir, file,
				    "%sexpected addresses as strings, e.g. \"192.0.2.1\"", what);
		if (forward_addr_parse(json_object_get_string(e), FORWARD_DEFAULT_PORT, &fa, aerr))
			return fail(err, -EINVAL, dir, file, "%s%s", what, aerr);
		len += strlen(json_object_get_string(e)) + 1;
	}
	if (!n)
		return 0;
	s = malloc(len);
	if (!s)
		return fail(err, -ENOMEM, dir, file, "out of memory");
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, json_object_get_string(json_object_array_get_idx(arr, i)));
	}
	*out = s;
	return 0;
}

static int read_upstreams(struct kubedns_config *c, const char *dir, char *err)
{
	struct json_object *v;
	int ret;

	ret = read_json(dir, UPSTREAMS_FILE, &v, err);
	if (ret || !v)
		return ret;
	if (!json_object_is_type(v, json_type_array))
		ret = fail(err, -EINVAL, dir, UPSTREAMS_FILE,
			   "expected a JSON list of addresses, e.g. [\"8.8.8.8\", \"8.8.4.4\"]");
	else
		ret = addr_list(v, dir, UPSTREAMS_FILE, "", KUBEDNS_MAX_UPSTREAMS, &c->upstream,
				err);
	json_object_put(v);
	return ret;
}

static int read_stubs(struct kubedns_config *c, const char *dir, char *err)
{
	uint8_t wire[DNS_NAME_MAX];
	struct json_object *v;
	char what[DNS_NAME_TEXT_MAX + 3];
	int ret;

	ret = read_json(dir, STUBS_FILE, &v, err);
	if (ret || !v)
		return ret;
	if (!json_object_is_type(v, json_type_object)) {
		ret = fail(err, -EINVAL, dir, STUBS_FILE, "expected a JSON object of domains to "
			   "address lists, e.g. {\"acme.local\": [\"192.0.2.1\"]}");
		goto out_put;
	}
	json_object_object_foreach(v, domain, list) {
		char *addrs;
		int len;

		snprintf(what, sizeof(what), "%s: ", domain);
		len = dns_name_from_text(wire, sizeof(wire), domain);
		if (len < 0 || !*domain) {
			ret = fail(err, -EINVAL, dir, STUBS_FILE, "'%s' is not a valid domain name",
				   domain);
			goto out_put;
		}
		if (len == 1) {
			ret = fail(err, -EINVAL, dir, STUBS_FILE, "the root is not a stub domain "
				   "(upstreamNameservers sets the default upstreams)");
			goto out_put;
		}
		if (!json_object_is_type(list, json_type_array)) {
			ret = fail(err, -EINVAL, dir, STUBS_FILE,
				   "%sexpected a list of addresses, e.g. [\"192.0.2.1\"]", what);
			goto out_put;
		}
		ret = addr_list(list, dir, STUBS_FILE, what, FORWARD_MAX_ADDRS, &addrs, err);
		if (ret)
			goto out_put;
		if (!addrs) {
			ret = fail(err, -EINVAL, dir, STUBS_FILE, "%sno nameserver given", what);
			goto out_put;
		}
		if (c->n_stubs >= FORWARD_MAX_ZONES) {
			free(addrs);
			ret = fail(err, -E2BIG, dir, STUBS_FILE, "more than %d stub domains",
				   FORWARD_MAX_ZONES);
			goto out_put;
		}
		len = asprintf(&c->stubs[c->n_stubs], "%s=%s", domain, addrs);
		free(addrs);
		if (len < 0) {
			ret = fail(err, -ENOMEM, dir, STUBS_FILE, "out of memory");
			goto out_put;
		}
		c->n_stubs++;
	}
out_put:
	json_object_put(v);
	return ret;
}

/* What is left (a domain given twice in other letter case, an address listed twice), with the
 * forwarder's own checks on a scratch configuration. */
static int check_whole(const struct kubedns_config *c, const char *dir, char *err)
{
	struct forward_config *fc = malloc(sizeof(*fc));	/* large */
	char ferr[FORWARD_ERR_MAX];
	int ret = 0;

	if (!fc)
		return fail(err, -ENOMEM, dir, STUBS_FILE, "out of memory");
	forward_config_init(fc);
	if (c->upstream && forward_config_add_upstreams(fc, c->upstream, ferr))
		ret = fail(err, -EINVAL, dir, UPSTREAMS_FILE, "%s", ferr);
	for (unsigned int i = 0; !ret && i < c->n_stubs; i++)
		if (forward_config_add_zone(fc, c->stubs[i], ferr))
			ret = fail(err, -EINVAL, dir, STUBS_FILE, "%s", ferr);
	free(fc);
	return ret;
}

int kubedns_config_read(struct kubedns_config *c, const char *dir, char *err)
{
	struct stat st;
	int ret;

	memset(c, 0, sizeof(*c));
	if (stat(dir, &st))
		ret = -errno;
	else
		ret = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (ret) {
		snprintf(err, FORWARD_ERR_MAX, "--kube-dns-config: cannot use '%s': %s", dir,
			 strerror(-ret));
		return ret;
	}
	ret = read_upstreams(c, dir, err);
	if (!ret)
		ret = read_stubs(c, dir, err);
	if (!ret)
		ret = check_whole(c, dir, err);
	if (ret)
		kubedns_config_release(c);
	return ret;
}

/* The zone of a "ZONE=ADDR,..." spec, lower-case wire form; 0 length when unparsable. */
static size_t spec_zone(const char *spec, uint8_t *wire)
{
	char text[DNS_NAME_TEXT_MAX];
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : 0;
	int len;

	if (!n || n >= sizeof(text))
		return 0;
	memcpy(text, spec, n);
	text[n] = '\0';
	len = dns_name_from_text(wire, DNS_NAME_MAX, text);
	if (len <= 0)
		return 0;
	dns_name_lower(wire, (size_t)len);
	return (size_t)len;
}

int kubedns_config_apply(const struct kubedns_config *c, const char *dir, struct forward_opts *fo,
			 bool no_forward, char *err)
{
	unsigned int n_explicit = fo->n_zones, used = 0;
	int ret;

	if (no_forward) {
		if (c->upstream || c->n_stubs)
			log_warn("%s: upstreamNameservers and stubDomains ignored: --upstream none "
				 "forwards nothing", dir);
		return 0;
	}
	if (c->upstream && fo->upstream) {
		log_warn("%s/%s ignored: --upstream %s is given", dir, UPSTREAMS_FILE,
			 fo->upstream);
	} else if (c->upstream) {
		ret = forward_opts_set(fo, "upstream", c->upstream, err);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < c->n_stubs; i++) {
		uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];
		size_t alen = spec_zone(c->stubs[i], a);
		bool dup = false;

		for (unsigned int j = 0; j < n_explicit && !dup; j++) {
			size_t blen = spec_zone(fo->zones[j], b);

			dup = blen && dns_name_eq(a, alen, b, blen);
		}
		if (dup) {
			log_warn("%s/%s: '%s' ignored: a --forward names that zone", dir, STUBS_FILE,
				 c->stubs[i]);
			continue;
		}
		ret = forward_opts_set(fo, "forward", c->stubs[i], err);
		if (ret)
			return ret;
		used++;
	}
	log_info("kube-dns config %s: upstreams %s, %u stub domain%s", dir,
		 fo->upstream ? fo->upstream : "from resolv.conf", used, used == 1 ? "" : "s");
	return 0;
}

void kubedns_config_release(struct kubedns_config *c)
{
	free(c->upstream);
	for (unsigned int i = 0; i < c->n_stubs; i++)
		free(c->stubs[i]);
	memset(c, 0, sizeof(*c));
}
