// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kube/config: kubeconfig fields, paths, anchors/merges/flow style, the malformed table,
 * token file rotation as kubelet does it, in-cluster configuration and the base64 decoder.
 * Every test writes its fixtures under its own mkdtemp() directory and removes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/alloc.h>
#include <criterion/parameterized.h>

#include "userspace/kube/config.h"

/* base64 -w0 of the three PEM texts below */
#define CA_PEM	 "-----BEGIN CERTIFICATE-----\nMIIBtestCA\n-----END CERTIFICATE-----\n"
#define CA_B64	 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ0ZXN0Q0EKLS0tLS1FTkQg" \
	 "Q0VSVElGSUNBVEUtLS0tLQo="
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nMIIBtestCERT\n-----END CERTIFICATE-----\n"
#define CERT_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ0ZXN0Q0VSVAotLS0tLUVO" \
	 "RCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define KEY_PEM	 "-----BEGIN PRIVATE KEY-----\nMIIBtestKEY\n-----END PRIVATE KEY-----\n"
#define KEY_B64	 "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUJ0ZXN0S0VZCi0tLS0tRU5E" \
	 "IFBSSVZBVEUgS0VZLS0tLS0K"

static char dir[] = "/tmp/xdpdns-kubecfg.XXXXXX";

/* dir/rel; four rotating buffers so one expression can hold several */
static const char *fx(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, rel);
	return b;
}

static void write_file(const char *rel, const char *text)
{
	int fd = open(fx(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "open %s: %s", rel, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void make_dir(const char *rel)
{
	cr_assert_eq(mkdir(fx(rel), 0700), 0, "mkdir %s: %s", rel, strerror(errno));
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	write_file("ca.crt", CA_PEM);
	write_file("client.crt", CERT_PEM);
	write_file("client.key", KEY_PEM);
	write_file("token", "tok-1\n");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kubeconfig, .init = setup, .fini = teardown);
TestSuite(kube_token, .init = setup, .fini = teardown);
TestSuite(in_cluster, .init = setup, .fini = teardown);

/* ---- stderr capture: the log lines a call wrote ---- */

static int saved_stderr = -1;

static void capture_start(void)
{
	int fd = open(fx("stderr.log"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static const char *capture_end(void)
{
	static char text[8192];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fd = open(fx("stderr.log"), O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	fputs(text, stderr);	/* still shown when a test fails */
	return text;
}

static unsigned int lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Parameters are indexes into a static table: each test runs in a process of its own,
 * where pointers in a copied parameter would not be valid.
 */
static void case_indexes_free(struct criterion_test_params *p)
{
	cr_free(p->params);
}

static struct criterion_test_params case_indexes(size_t n)
{
	unsigned int *idx = cr_malloc(n * sizeof(*idx));
	size_t i;

	for (i = 0; i < n; i++)
		idx[i] = (unsigned int)i;
	return cr_make_param_array(unsigned int, idx, n, case_indexes_free);
}

/* Load text as dir/kc; the return value of kube_config_from_kubeconfig(). */
static int load(struct kube_config *c, const char *text)
{
	write_file("kc", text);
	return kube_config_from_kubeconfig(c, fx("kc"));
}

static void assert_str(const char *got, const char *want, const char *what)
{
	if (!want) {
		cr_assert_null(got, "%s: got \"%s\", want NULL", what, got);
		return;
	}
	cr_assert_not_null(got, "%s: got NULL, want \"%s\"", what, want);
	cr_assert_str_eq(got, want, "%s", what);
}

static void assert_token(struct kube_config *c, int err, const char *want)
{
	const char *tok = (const char *)1;

	cr_assert_eq(kube_config_token(c, &tok), err, "kube_config_token");
	assert_str(tok, want, "token");
}

/* ---- kubeconfig: fields ---- */

Test(kubeconfig, current_context_picks_cluster_and_user)
{
	struct kube_config c;

	cr_assert_eq(load(&c, "apiVersion: v1\n"
			      "kind: Config\n"
			      "preferences: {}\n"
			      "current-context: prod\n"
			      "contexts:\n"
			      "- name: dev\n"
			      "  context:\n"
			      "    cluster: devc\n"
			      "    user: devu\n"
			      "- name: prod\n"
			      "  context:\n"
			      "    cluster: prodc\n"
			      "    user: produ\n"
			      "    namespace: kube-system\n"
			      "clusters:\n"
			      "- name: devc\n"
			      "  cluster:\n"
			      "    server: https://dev:1\n"
			      "- name: prodc\n"
			      "  cluster:\n"
			      "    server: https://10.0.0.1:6443/\n"
			      "    certificate-authority: ca.crt\n"
			      "users:\n"
			      "- name: devu\n"
			      "  user: {token: devtoken}\n"
			      "- name: produ\n"
			      "  user:\n"
			      "    token: prodtoken\n"),
		     0);
	assert_str(c.server, "https://10.0.0.1:6443", "server (trailing slash dropped)");
	assert_str(c.ca_file, fx("ca.crt"), "certificate-authority, relative to the file");
	assert_str(c.ca_data, NULL, "ca_data");
	assert_str(c.token, "prodtoken", "token");
	assert_str(c.token_file, NULL, "token_file");
	assert_str(c.cert_file, NULL, "cert_file");
	assert_str(c.key_file, NULL, "key_file");
	assert_str(c.cert_data, NULL, "cert_data");
	assert_str(c.key_data, NULL, "key_data");
	cr_assert_not(c.insecure_skip_tls_verify);
	assert_token(&c, 0, "prodtoken");
	kube_config_release(&c);
	cr_assert_null(c.server, "release zeroes the struct");
	kube_config_release(&c);
	kube_config_release(NULL);
}

Test(kubeconfig, data_fields_are_base64_decoded)
{
	struct kube_config c;

	cr_assert_eq(load(&c, "current-context: c\n"
			      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
			      "clusters:\n"
			      "- name: k\n"
			      "  cluster:\n"
			      "    server: https://k:443\n"
			      "    certificate-authority-data: " CA_B64 "\n"
			      "users:\n"
			      "- name: u\n"
			      "  user:\n"
			      "    client-certificate-data: " CERT_B64 "\n"
			      "    client-key-data: " KEY_B64 "\n"),
		     0);
	assert_str(c.ca_data, CA_PEM, "certificate-authority-data");
	assert_str(c.cert_data, CERT_PEM, "client-certificate-data");
	assert_str(c.key_data, KEY_PEM, "client-key-data");
	assert_str(c.ca_file, NULL, "ca_file");
	assert_str(c.cert_file, NULL, "cert_file");
	assert_token(&c, 0, NULL);
	kube_config_release(&c);
}

Test(kubeconfig, folded_base64_is_accepted)
{
	struct kube_config c;
	char yaml[1024], folded[256];
	size_t half = strlen(CA_B64) / 2;

	/* a plain scalar continued on the next line folds into one with a space */
	snprintf(folded, sizeof(folded), "%.*s\n      %s", (int)half, CA_B64, CA_B64 + half);
	snprintf(yaml, sizeof(yaml),
		 "current-context: c\n"
		 "contexts: [{name: c, context: {cluster: k}}]\n"
		 "clusters:\n"
		 "- name: k\n"
		 "  cluster:\n"
		 "    server: https://k\n"
		 "    certificate-authority-data: %s\n",
		 folded);
	cr_assert_eq(load(&c, yaml), 0);
	assert_str(c.ca_data, CA_PEM, "certificate-authority-data");
	kube_config_release(&c);
}

Test(kubeconfig, file_fields_relative_and_absolute)
{
	struct kube_config c;
	char yaml[2048];

	snprintf(yaml, sizeof(yaml),
		 "current-context: c\n"
		 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
		 "clusters: [{name: k, cluster: {server: 'https://k:6443',\n"
		 "  certificate-authority: %s}}]\n"
		 "users:\n"
		 "- name: u\n"
		 "  user:\n"
		 "    client-certificate: client.crt\n"
		 "    client-key: %s\n"
		 "    tokenFile: ./token\n",
		 fx("ca.crt"), fx("client.key"));
	cr_assert_eq(load(&c, yaml), 0);
	assert_str(c.ca_file, fx("ca.crt"), "absolute certificate-authority");
	assert_str(c.cert_file, fx("client.crt"), "relative client-certificate");
	assert_str(c.key_file, fx("client.key"), "absolute client-key");
	assert_str(c.token_file, fx("./token"), "relative tokenFile");
	assert_str(c.token, NULL, "static token");
	assert_token(&c, 0, "tok-1");
	kube_config_release(&c);
}

Test(kubeconfig, relative_kubeconfig_path_gives_absolute_files)
{
	struct kube_config c;

	make_dir("sub");
	write_file("sub/kc", "current-context: c\n"
			     "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
			     "clusters: [{name: k, cluster: {server: 'https://k', "
			     "certificate-authority: ../ca.crt}}]\n"
			     "users: [{name: u, user: {tokenFile: ../token}}]\n");
	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(kube_config_from_kubeconfig(&c, "sub/kc"), 0);
	assert_str(c.ca_file, fx("sub/../ca.crt"), "certificate-authority");
	cr_assert_eq(chdir("/"), 0);
	cr_assert_eq(access(c.ca_file, R_OK), 0, "still found after chdir");
	assert_token(&c, 0, "tok-1");
	kube_config_release(&c);
}

Test(kubeconfig, insecure_and_server_forms)
{
	static const struct {
		const char *server, *want;
	} servers[] = {
		{ "https://10.0.0.1:6443", "https://10.0.0.1:6443" },
		{ "https://[fd00::1]:6443//", "https://[fd00::1]:6443" },
		{ "k8s.example:6443", "https://k8s.example:6443" },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
		{ "https://rancher.example/k8s/clusters/c-1/",
		  "https://rancher.example/k8s/clusters/c-1" },
	};
	struct kube_config c;
	char yaml[512];
	size_t i;

	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "current-context: c\n"
			 "contexts: [{name: c, context: {cluster: k}}]\n"
			 "clusters: [{name: k, cluster: {server: '%s',\n"
			 "  insecure-skip-tls-verify: true}}]\n",
			 servers[i].server);
		cr_assert_eq(load(&c, yaml), 0, "%s", servers[i].server);
		assert_str(c.server, servers[i].want, servers[i].server);
		cr_assert(c.insecure_skip_tls_verify);
		assert_token(&c, 0, NULL);	/* a context without a user is anonymous */
		kube_config_release(&c);
	}
}

Test(kubeconfig, yaml_boolean_spellings)
{
	static const struct {
		const char *text;
		bool want;
	} bools[] = {
		{ "true", true }, { "True", true }, { "yes", true }, { "on", true }, { "Y", true },
		{ "!!bool true", true }, { "false", false }, { "FALSE", false }, { "no", false },
		{ "off", false }, { "null", false }, { "", false },
	};
	struct kube_config c;
	char yaml[512];
	size_t i;

	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "current-context: c\n"
			 "contexts: [{name: c, context: {cluster: k}}]\n"
			 "clusters:\n"
			 "- name: k\n"
			 "  cluster:\n"
			 "    server: https://k\n"
			 "    insecure-skip-tls-verify: %s\n",
			 bools[i].text);
		cr_assert_eq(load(&c, yaml), 0, "\"%s\"", bools[i].text);
		cr_assert_eq(c.insecure_skip_tls_verify, bools[i].want, "\"%s\"", bools[i].text);
		kube_config_release(&c);
	}
}

Test(kubeconfig, anchors_aliases_and_merge_keys)
{
	struct kube_config c;

	cr_assert_eq(load(&c, "current-context: c\n"
			      "x-tls: &tls\n"
			      "  certificate-authority-data: " CA_B64 "\n"
			      "  server: https://merged-loses:1\n"
			      "x-more: &more\n"
			      "  insecure-skip-tls-verify: false\n"
			      "  server: https://second-merge-loses:1\n"
			      "x-ctx: &ctx {cluster: k, user: u}\n"
			      "contexts:\n"
			      "- {name: c, context: *ctx}\n"
			      "clusters:\n"
			      "- name: k\n"
			      "  cluster:\n"
			      "    <<: [*tls, *more]\n"
			      "    server: https://explicit-wins:6443\n"
			      "users:\n"
			      "- &uentry\n"
			      "  name: u\n"
			      "  user: &creds\n"
			      "    client-certificate-data: " CERT_B64 "\n"
			      "    client-key-data: " KEY_B64 "\n"
			      "- name: other\n"
			      "  user: *creds\n"),
		     0);
	assert_str(c.server, "https://explicit-wins:6443", "explicit key beats merged keys");
	assert_str(c.ca_data, CA_PEM, "merged certificate-authority-data");
	assert_str(c.cert_data, CERT_PEM, "aliased user");
	assert_str(c.key_data, KEY_PEM, "aliased user");
	kube_config_release(&c);

	/* a merge without the key explicitly: the first merged mapping that has it wins */
	cr_assert_eq(load(&c, "current-context: c\n"
			      "a: &a {server: 'https://first:1'}\n"
			      "b: &b {server: 'https://second:1', insecure-skip-tls-verify: yes}\n"
			      "contexts: [{name: c, context: {cluster: k}}]\n"
			      "clusters: [{name: k, cluster: {<<: [*a, *b]}}]\n"),
		     0);
	assert_str(c.server, "https://first:1", "first merge wins");
	cr_assert(c.insecure_skip_tls_verify, "found in the second merge");
	kube_config_release(&c);
}

Test(kubeconfig, json_kubeconfig_is_flow_yaml)
{
	struct kube_config c;

	cr_assert_eq(load(&c, "{\"apiVersion\": \"v1\", \"kind\": \"Config\",\n"
			      " \"current-context\": \"c\",\n"
			      " \"contexts\": [{\"name\": \"c\", \"context\": {\"cluster\": \"k\","
			      " \"user\": \"u\"}}],\n"
			      " \"clusters\": [{\"name\": \"k\", \"cluster\": {\"server\":"
			      " \"https://[fd00::1]:6443\",\n"
			      "  \"insecure-skip-tls-verify\": true}}],\n"
			      " \"users\": [{\"name\": \"u\", \"user\": {\"token\": \"abc.def\","
			      " \"tokenFile\": \"token\"}}]}\n"),
		     0);
	assert_str(c.server, "https://[fd00::1]:6443", "server");
	cr_assert(c.insecure_skip_tls_verify);
	assert_str(c.token, "abc.def", "static token");
	assert_token(&c, 0, "tok-1");	/* the file wins over a static token, as client-go's */
	kube_config_release(&c);
}

Test(kubeconfig, deep_nesting_elsewhere_is_harmless)
{
	enum { DEPTH = 20000 };
	static const char tail[] = "\ncurrent-context: c\n"
				   "contexts: [{name: c, context: {cluster: k}}]\n"
				   "clusters: [{name: k, cluster: {server: 'https://k'}}]\n";
	struct kube_config c;
	char *yaml = malloc(2 * DEPTH + sizeof(tail) + 16);
	size_t n = 0;
	int i;

	cr_assert_not_null(yaml);
	n += (size_t)sprintf(yaml, "deep: ");
	for (i = 0; i < DEPTH; i++)
		yaml[n++] = '[';
	for (i = 0; i < DEPTH; i++)
		yaml[n++] = ']';
	strcpy(yaml + n, tail);
	cr_assert_eq(load(&c, yaml), 0);
	assert_str(c.server, "https://k", "server");
	kube_config_release(&c);
	free(yaml);
}

Test(kubeconfig, missing_file_and_directory)
{
	struct kube_config c;
	const char *log;

	capture_start();
	cr_assert_eq(kube_config_from_kubeconfig(&c, fx("nope")), -ENOENT);
	log = capture_end();
	cr_assert_eq(lines(log), 1, "%s", log);
	cr_assert_not_null(strstr(log, "nope: No such file"), "%s", log);
	cr_assert_null(c.server);

	capture_start();
	cr_assert_eq(kube_config_from_kubeconfig(&c, dir), -EISDIR);
	log = capture_end();
	cr_assert_eq(lines(log), 1, "%s", log);
}

/* ---- kubeconfig: the malformed table ---- */

struct bad_case {
	const char *name;
	const char *yaml;
	int err;
	const char *msg;	/* must appear in the one log line */
};

/* building blocks: context c -> cluster k, user u */
#define CTX	"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
#define CL(b)	"clusters: [{name: k, cluster: " b "}]\n"
#define USR(b)	"users: [{name: u, user: " b "}]\n"
#define SRV	"server: 'https://k:6443'"
#define OKCL	CL("{" SRV "}")

static const struct bad_case bad_cases[] = {
	{ "empty file", "", -EINVAL, "is empty" },
	{ "only a comment", "# nothing\n", -EINVAL, "is empty" },
	{ "a scalar", "hello\n", -EINVAL, "is not a YAML mapping" },
	{ "a list", "- a\n- b\n", -EINVAL, "is not a YAML mapping" },
	{ "unclosed flow", "a: [b\n", -EINVAL, "line 2 column 1" },
	{ "bad indentation", "a: b\n c: d\n", -EINVAL, "line 2" },
	{ "undefined alias", "a: *nope\n", -EINVAL, "undefined alias" },
	{ "tab indentation", "a:\n\t- b\n", -EINVAL, "line 2" },
	{ "no current-context", "contexts: []\n", -EINVAL, "current-context is not set" },
	{ "null current-context", "current-context: ~\n", -EINVAL, "current-context is not set" },
	{ "current-context a mapping", "current-context: {a: b}\n", -EINVAL,
	  "current-context is not a string" },
	{ "current-context twice", "current-context: c\ncurrent-context: d\n", -EINVAL,
	  "key \"current-context\" appears twice" },
	{ "dangling context", "current-context: x\n" OKCL, -EINVAL,
	  "current-context \"x\" names no context" },
	{ "dangling context, other exists",
	  "current-context: x\ncontexts: [{name: c, context: {cluster: k}}]\n" OKCL, -EINVAL,
	  "current-context \"x\" names no context" },
	{ "contexts a mapping", "current-context: c\ncontexts: {c: {cluster: k}}\n", -EINVAL,
	  "contexts is not a list" },
	{ "contexts a scalar", "current-context: c\ncontexts: c\n", -EINVAL,
	  "contexts is not a list" },
	{ "context entry a scalar", "current-context: c\ncontexts: [c]\n", -EINVAL,
	  "contexts[0] is not a mapping" },
	{ "context name a list", "current-context: c\ncontexts: [{name: [c]}]\n", -EINVAL,
	  "contexts[0]: name is not a string" },
	{ "context defined twice",
	  "current-context: c\ncontexts: [{name: c, context: {cluster: k}},"
	  " {name: c, context: {cluster: k}}]\n" OKCL,
	  -EINVAL, "context \"c\" is defined twice" },
	{ "context body a list", "current-context: c\ncontexts: [{name: c, context: [k]}]\n",
	  -EINVAL, "context \"c\": context is not a mapping" },
	{ "context without body", "current-context: c\ncontexts: [{name: c}]\n" OKCL, -EINVAL,
	  "context \"c\" names no cluster" },
	{ "context without cluster",
	  "current-context: c\ncontexts: [{name: c, context: {user: u}}]\n" OKCL, -EINVAL,
	  "context \"c\" names no cluster" },
	{ "context cluster a mapping",
	  "current-context: c\ncontexts: [{name: c, context: {cluster: {k: 1}}}]\n", -EINVAL,
	  "context \"c\": cluster is not a string" },
	{ "dangling cluster", CTX USR("{token: t}"), -EINVAL,
	  "context \"c\" names cluster \"k\", which is not in clusters" },
	{ "dangling user", CTX OKCL, -EINVAL,
	  "context \"c\" names user \"u\", which is not in users" },
	{ "clusters a mapping", CTX "clusters: {k: {server: x}}\n", -EINVAL,
	  "clusters is not a list" },
	{ "clusters a scalar", CTX "clusters: k\n", -EINVAL, "clusters is not a list" },
	{ "cluster entry a list", CTX "clusters: [[k]]\n", -EINVAL,
	  "clusters[0] is not a mapping" },
	{ "cluster body a scalar", CTX CL("just-a-string"), -EINVAL,
	  "cluster \"k\": cluster is not a mapping" },
	{ "cluster without body", CTX "clusters: [{name: k}]\n", -EINVAL,
	  "cluster \"k\" has no server" },
	{ "missing server", CTX CL("{certificate-authority: ca.crt}"), -EINVAL,
	  "cluster \"k\" has no server" },
	{ "empty server", CTX CL("{server: ''}"), -EINVAL, "cluster \"k\" has no server" },
	{ "server a list", CTX CL("{server: [a, b]}"), -EINVAL,
	  "cluster \"k\": server is not a string" },
	{ "server ftp", CTX CL("{server: 'ftp://k'}"), -EINVAL, "is neither https:// nor http://" },
	{ "server without host", CTX CL("{server: 'https://'}"), -EINVAL, "has no host" },
	{ "server only a path", CTX CL("{server: '/api'}"), -EINVAL, "has no host" },
	{ "server with space", CTX CL("{server: 'https://k 8s'}"), -EINVAL,
	  "contains a space or control character" },
	{ "server with newline", CTX CL("{server: \"https://k\\n\"}"), -EINVAL,
	  "contains a space or control character" },
	{ "server twice", CTX CL("{" SRV ", " SRV "}"), -EINVAL, "key \"server\" appears twice" },
	{ "NUL in a string", CTX CL("{server: \"https://k\\0x\"}"), -EINVAL,
	  "server contains a NUL byte" },
	{ "bad base64 character", CTX CL("{" SRV ", certificate-authority-data: 'LS0t!!!!'}"),
	  -EINVAL, "certificate-authority-data is not valid base64" },
	{ "base64 missing padding", CTX CL("{" SRV ", certificate-authority-data: 'LS0tLQ'}"),
	  -EINVAL, "certificate-authority-data is not valid base64" },
	{ "base64 not PEM", CTX CL("{" SRV ", certificate-authority-data: aGVsbG8=}"), -EINVAL,
	  "certificate-authority-data does not decode to PEM" },
	{ "base64 with NUL", CTX CL("{" SRV ", certificate-authority-data: 'AAAA'}"), -EINVAL,
	  "certificate-authority-data does not decode to PEM" },
	{ "base64 data a list", CTX CL("{" SRV ", certificate-authority-data: [a]}"), -EINVAL,
	  "certificate-authority-data is not a string" },
	{ "CA file and data", CTX CL("{" SRV ", certificate-authority: ca.crt, "
				     "certificate-authority-data: " CA_B64 "}"),
	  -EINVAL, "certificate-authority and certificate-authority-data are both set" },
	{ "insecure with CA", CTX CL("{" SRV ", certificate-authority: ca.crt, "
				     "insecure-skip-tls-verify: true}"),
	  -EINVAL, "insecure-skip-tls-verify together with a certificate authority" },
	{ "insecure not a boolean", CTX CL("{" SRV ", insecure-skip-tls-verify: maybe}"), -EINVAL,
	  "insecure-skip-tls-verify is not a boolean" },
	{ "insecure quoted", CTX CL("{" SRV ", insecure-skip-tls-verify: 'true'}"), -EINVAL,
	  "insecure-skip-tls-verify is not a boolean" },
	{ "insecure a list", CTX CL("{" SRV ", insecure-skip-tls-verify: [true]}"), -EINVAL,
	  "insecure-skip-tls-verify is not a boolean" },
	{ "CA file missing", CTX CL("{" SRV ", certificate-authority: missing.crt}"), -ENOENT,
	  "certificate-authority /" },
	{ "CA file a directory", CTX CL("{" SRV ", certificate-authority: .}"), -EISDIR,
	  "certificate-authority /" },
	{ "tls-server-name", CTX CL("{" SRV ", tls-server-name: k}"), -ENOTSUP,
	  "tls-server-name is not supported" },
	{ "proxy-url", CTX CL("{" SRV ", proxy-url: 'http://p:3128'}"), -ENOTSUP,
	  "proxy-url is not supported" },
	{ "users a mapping", CTX OKCL "users: {u: {token: t}}\n", -EINVAL, "users is not a list" },
	{ "user body a scalar", CTX OKCL USR("t"), -EINVAL, "user \"u\": user is not a mapping" },
	{ "exec", CTX OKCL USR("{exec: {command: aws}}"), -ENOTSUP,
	  "user \"u\": exec is not supported" },
	{ "auth-provider", CTX OKCL USR("{auth-provider: {name: gcp}}"), -ENOTSUP,
	  "auth-provider is not supported" },
	{ "username", CTX OKCL USR("{username: admin, password: secret}"), -ENOTSUP,
	  "username is not supported" },
	{ "password", CTX OKCL USR("{password: secret}"), -ENOTSUP, "password is not supported" },
	{ "impersonation", CTX OKCL USR("{token: t, as: admin}"), -ENOTSUP,
	  "as is not supported" },
	{ "impersonated groups", CTX OKCL USR("{token: t, as-groups: ['system:masters']}"),
	  -ENOTSUP, "as-groups is not supported" },
	{ "token a mapping", CTX OKCL USR("{token: {a: b}}"), -EINVAL, "token is not a string" },
	{ "token with a space", CTX OKCL USR("{token: 'a b'}"), -EINVAL,
	  "token holds characters a bearer token cannot have" },
	{ "token with a newline", CTX OKCL USR("{token: \"a\\nb\"}"), -EINVAL,
	  "token holds characters a bearer token cannot have" },
	{ "tokenFile missing", CTX OKCL USR("{tokenFile: missing}"), -ENOENT,
	  "tokenFile /" },
	{ "tokenFile empty", CTX OKCL USR("{tokenFile: empty}"), -ENODATA, "holds no token" },
	{ "tokenFile a directory", CTX OKCL USR("{tokenFile: .}"), -EISDIR, "tokenFile /" },
	{ "cert without key", CTX OKCL USR("{client-certificate: client.crt}"), -EINVAL,
	  "needs both client-certificate(-data) and client-key(-data)" },
	{ "key data without cert", CTX OKCL USR("{client-key-data: " KEY_B64 "}"), -EINVAL,
	  "needs both" },
	{ "cert file and data",
	  CTX OKCL USR("{client-certificate: client.crt, client-key: client.key, "
		       "client-certificate-data: " CERT_B64 "}"),
	  -EINVAL, "client-certificate and client-certificate-data are both set" },
	{ "key file and data",
	  CTX OKCL USR("{client-certificate: client.crt, client-key: client.key, "
		       "client-key-data: " KEY_B64 "}"),
	  -EINVAL, "client-key and client-key-data are both set" },
	{ "cert file missing",
	  CTX OKCL USR("{client-certificate: nope.crt, client-key: client.key}"),
	  -ENOENT, "client-certificate /" },
	{ "key file missing",
	  CTX OKCL USR("{client-certificate: client.crt, client-key: nope.key}"),
	  -ENOENT, "client-key /" },
	{ "bad client-key-data", CTX OKCL USR("{client-certificate-data: " CERT_B64 ", "
					      "client-key-data: 'Zg=a'}"),
	  -EINVAL, "client-key-data is not valid base64" },
	{ "merge of a scalar", CTX "clusters: [{name: k, cluster: {<<: 5}}]\n", -EINVAL,
	  "a merge key (<<) must merge a mapping" },
	{ "merge list of scalars", CTX "clusters: [{name: k, cluster: {<<: [5]}}]\n", -EINVAL,
	  "lists something that is not a mapping" },
	{ "merge cycle", CTX "clusters: [{name: k, cluster: &a {<<: *a}}]\n", -EINVAL,
	  "merge keys (<<) nest too deep or too wide" },
	{ "merge bomb",
	  CTX "a0: &a0 {x: 1}\n"
	      "a1: &a1 {<<: [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]}\n"
	      "a2: &a2 {<<: [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]}\n"
	      "a3: &a3 {<<: [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]}\n"
	      "clusters: [{name: k, cluster: {<<: *a3}}]\n",
	  -EINVAL, "merge keys (<<) nest too deep or too wide" },
};

ParameterizedTestParameters(kubeconfig, malformed)
{
	return case_indexes(sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(unsigned int *i, kubeconfig, malformed)
{
	const struct bad_case *tc = &bad_cases[*i];
	struct kube_config c;
	const char *log;
	int err;

	write_file("empty", "");
	capture_start();
	err = load(&c, tc->yaml);
	log = capture_end();
	cr_assert_eq(err, tc->err, "%s: got %d (%s), want %d", tc->name, err, strerror(-err),
		     tc->err);
	cr_assert_eq(lines(log), 1, "%s: one log line, got: %s", tc->name, log);
	cr_assert_not_null(strstr(log, "kubeconfig "), "%s: %s", tc->name, log);
	cr_assert_not_null(strstr(log, tc->msg), "%s: want \"%s\" in: %s", tc->name, tc->msg,
			   log);
	cr_assert(!c.server && !c.ca_file && !c.ca_data && !c.token && !c.token_file &&
		  !c.cert_data && !c.file_token, "%s: left empty", tc->name);
	kube_config_release(&c);
}

/* ---- the token file ---- */

/* A config whose token comes from dir/token. */
static void load_token_file(struct kube_config *c)
{
	cr_assert_eq(load(c, CTX OKCL USR("{tokenFile: token}")), 0);
}

Test(kube_token, static_token_and_unchanged_file_are_stable)
{
	struct kube_config c;
	const char *a, *b;

	cr_assert_eq(load(&c, CTX OKCL USR("{token: '  static.tok  '}")), 0);
	cr_assert_eq(kube_config_token(&c, &a), 0);
	assert_str(a, "static.tok", "static token, trimmed");
	kube_config_release(&c);

	load_token_file(&c);
	cr_assert_eq(kube_config_token(&c, &a), 0);
	cr_assert_eq(kube_config_token(&c, &b), 0);
	assert_str(a, "tok-1", "file token");
	cr_assert_eq(a, b, "an unchanged file is not re-read");
	kube_config_release(&c);
}

Test(kube_token, file_content_is_trimmed)
{
	struct kube_config c;

	write_file("token", " \t tok-x \r\n\n");
	load_token_file(&c);
	assert_token(&c, 0, "tok-x");
	kube_config_release(&c);
}

Test(kube_token, rewrite_in_place)
{
	struct kube_config c;
	struct stat before, after;

	load_token_file(&c);
	assert_token(&c, 0, "tok-1");
	cr_assert_eq(stat(fx("token"), &before), 0);
	write_file("token", "tok-2\n");		/* same inode, same size */
	cr_assert_eq(stat(fx("token"), &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino);
	cr_assert_eq(before.st_size, after.st_size);
	assert_token(&c, 0, "tok-2");
	write_file("token", "token-three\n");	/* same inode, new size */
	assert_token(&c, 0, "token-three");
	kube_config_release(&c);
}

Test(kube_token, mtime_alone_is_a_change)
{
	struct kube_config c;
	struct timespec ts[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };

	load_token_file(&c);
	assert_token(&c, 0, "tok-1");
	write_file("token", "tok-2\n");
	cr_assert_eq(utimensat(AT_FDCWD, fx("token"), ts, 0), 0);
	assert_token(&c, 0, "tok-2");
	write_file("token", "tok-3\n");
	cr_assert_eq(utimensat(AT_FDCWD, fx("token"), ts, 0), 0);	/* same mtime as before */
	assert_token(&c, 0, "tok-3");	/* ctime still moved */
	kube_config_release(&c);
}

Test(kube_token, rename_over)
{
	struct kube_config c;

	load_token_file(&c);
	assert_token(&c, 0, "tok-1");
	write_file("token.new", "tok-2\n");
	cr_assert_eq(rename(fx("token.new"), fx("token")), 0);
	assert_token(&c, 0, "tok-2");
	kube_config_release(&c);
}

Test(kube_token, vanished_file_keeps_last_good_token)
{
	struct kube_config c;
	const char *log;

	load_token_file(&c);
	assert_token(&c, 0, "tok-1");
	cr_assert_eq(unlink(fx("token")), 0);
	capture_start();
	assert_token(&c, -ENOENT, "tok-1");
	assert_token(&c, -ENOENT, "tok-1");
	assert_token(&c, -ENOENT, "tok-1");
	log = capture_end();
	cr_assert_eq(lines(log), 1, "logged once, not per call: %s", log);
	cr_assert_not_null(strstr(log, "warning: token file "), "%s", log);
	cr_assert_not_null(strstr(log, "sending the last good token"), "%s", log);

	write_file("token", "tok-2\n");
	capture_start();
	assert_token(&c, 0, "tok-2");
	assert_token(&c, 0, "tok-2");
	log = capture_end();
	cr_assert_eq(lines(log), 1, "%s", log);
	cr_assert_not_null(strstr(log, "is readable again"), "%s", log);
	kube_config_release(&c);
}

Test(kube_token, bad_content_keeps_last_good_token)
{
	struct kube_config c;
	char *big = malloc(KUBE_TOKEN_MAX + 2);

	cr_assert_not_null(big);
	memset(big, 'a', KUBE_TOKEN_MAX + 1);
	big[KUBE_TOKEN_MAX + 1] = '\0';
	load_token_file(&c);
	write_file("token", "");		/* caught between truncate and write */
	assert_token(&c, -ENODATA, "tok-1");
	write_file("token", " \n");
	assert_token(&c, -ENODATA, "tok-1");
	write_file("token", "two words\n");
	assert_token(&c, -EILSEQ, "tok-1");
	write_file("token", big);
	assert_token(&c, -EFBIG, "tok-1");
	big[KUBE_TOKEN_MAX] = '\0';		/* exactly the limit is fine */
	write_file("token", big);
	assert_token(&c, 0, big);
	write_file("token", "tok-2");
	assert_token(&c, 0, "tok-2");
	kube_config_release(&c);
	free(big);
}

/* The service-account volume as kubelet's atomic writer lays it out. */
static void sa_dir_make(const char *token)
{
	make_dir("sa");
	make_dir("sa/..2024_01_01_00_00_00.1");
	write_file("sa/..2024_01_01_00_00_00.1/token", token);
	write_file("sa/..2024_01_01_00_00_00.1/ca.crt", CA_PEM);
	cr_assert_eq(symlink("..2024_01_01_00_00_00.1", fx("sa/..data")), 0);
	cr_assert_eq(symlink("..data/token", fx("sa/token")), 0);
	cr_assert_eq(symlink("..data/ca.crt", fx("sa/ca.crt")), 0);
}

/* kubelet's rotation: new timestamped dir, ..data_tmp -> it, rename over ..data, old dir gone */
static void sa_dir_rotate(const char *token)
{
	make_dir("sa/..2024_01_01_01_00_00.2");
	write_file("sa/..2024_01_01_01_00_00.2/token", token);
	write_file("sa/..2024_01_01_01_00_00.2/ca.crt", CA_PEM);
	cr_assert_eq(symlink("..2024_01_01_01_00_00.2", fx("sa/..data_tmp")), 0);
	cr_assert_eq(rename(fx("sa/..data_tmp"), fx("sa/..data")), 0);
	cr_assert_eq(unlink(fx("sa/..2024_01_01_00_00_00.1/token")), 0);
	cr_assert_eq(unlink(fx("sa/..2024_01_01_00_00_00.1/ca.crt")), 0);
	cr_assert_eq(rmdir(fx("sa/..2024_01_01_00_00_00.1")), 0);
}

Test(kube_token, kubelet_symlink_swap)
{
	struct kube_config c;

	sa_dir_make("eyJhbGciOi.first\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), 0);
	assert_token(&c, 0, "eyJhbGciOi.first");
	sa_dir_rotate("eyJhbGciOi.secnd\n");	/* same size, written in the same second */
	assert_token(&c, 0, "eyJhbGciOi.secnd");
	kube_config_release(&c);
}

Test(kube_token, kubeconfig_token_file_through_symlinks)
{
	struct kube_config c;

	sa_dir_make("first\n");
	cr_assert_eq(load(&c, CTX OKCL USR("{tokenFile: sa/token}")), 0);
	assert_token(&c, 0, "first");
	sa_dir_rotate("secnd\n");
	assert_token(&c, 0, "secnd");
	kube_config_release(&c);
}

/* ---- in-cluster ---- */

Test(in_cluster, ipv4_host)
{
	struct kube_config c;

	sa_dir_make("sa-token\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), 0);
	assert_str(c.server, "https://10.96.0.1:443", "server");
	assert_str(c.ca_file, fx("sa/ca.crt"), "ca_file");
	assert_str(c.token_file, fx("sa/token"), "token_file");
	assert_str(c.token, NULL, "static token");
	assert_str(c.ca_data, NULL, "ca_data");
	assert_str(c.cert_file, NULL, "cert_file");
	cr_assert_not(c.insecure_skip_tls_verify);
	assert_token(&c, 0, "sa-token");
	kube_config_release(&c);
}

Test(in_cluster, ipv6_host_is_bracketed)
{
	struct kube_config c;

	sa_dir_make("sa-token\n");
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), 0);
	assert_str(c.server, "https://[fd00:10:96::1]:6443", "server");
	kube_config_release(&c);

	setenv("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc", 1);
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), 0);
	assert_str(c.server, "https://kubernetes.default.svc:6443", "server");
	kube_config_release(&c);
}

Test(in_cluster, not_in_a_pod)
{
	struct kube_config c;
	const char *log;

	sa_dir_make("sa-token\n");
	unsetenv("KUBERNETES_SERVICE_HOST");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	capture_start();
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), -ENOENT);
	log = capture_end();
	cr_assert_eq(lines(log), 1, "%s", log);
	cr_assert_not_null(strstr(log, "KUBERNETES_SERVICE_HOST"), "%s", log);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "", 1);
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), -ENOENT);
	cr_assert_null(c.server);
}

Test(in_cluster, malformed_environment)
{
	static const char *const bad[][2] = {
		{ "10.96.0.1", "0" },	      { "10.96.0.1", "65536" }, { "10.96.0.1", "44x" },
		{ "10.96.0.1", "-1" },	      { "10.96.0.1", "123456" }, { "a b", "443" },
		{ "h/x", "443" },	      { "[::1]", "443" },	 { "h\n", "443" },
		{ "user@h", "443" },
	};
	struct kube_config c;
	const char *log;
	size_t i;

	sa_dir_make("sa-token\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("KUBERNETES_SERVICE_HOST", bad[i][0], 1);
		setenv("KUBERNETES_SERVICE_PORT", bad[i][1], 1);
		capture_start();
		cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), -EINVAL, "%s %s", bad[i][0],
			     bad[i][1]);
		log = capture_end();
		cr_assert_eq(lines(log), 1, "%s", log);
		cr_assert_null(c.server);
	}
}

Test(in_cluster, missing_token_fails_missing_ca_warns)
{
	struct kube_config c;
	const char *log;

	make_dir("sa");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	capture_start();
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), -ENOENT);
	log = capture_end();
	cr_assert_not_null(strstr(log, "error: in-cluster config: token "), "%s", log);
	cr_assert_null(c.server);

	write_file("sa/token", "t\n");
	capture_start();
	cr_assert_eq(kube_config_in_cluster(&c, fx("sa")), 0);
	log = capture_end();
	cr_assert_eq(lines(log), 1, "%s", log);
	cr_assert_not_null(strstr(log, "warning: in-cluster config: "), "%s", log);
	cr_assert_not_null(strstr(log, "ca.crt"), "%s", log);
	assert_str(c.ca_file, NULL, "ca_file");
	assert_token(&c, 0, "t");
	kube_config_release(&c);
}

Test(in_cluster, default_dir)
{
	struct kube_config c;
	struct stat st;

	if (!stat(KUBE_SA_DIR "/token", &st))
		cr_skip_test("running in a pod: " KUBE_SA_DIR " exists");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	cr_assert_eq(kube_config_in_cluster(&c, NULL), -ENOENT, "reads " KUBE_SA_DIR "/token");
}

/* ---- base64 ---- */

struct b64_case {
	const char *in;
	const char *out;	/* NULL: must be refused */
	size_t out_len;
};

static const struct b64_case b64_cases[] = {
	/* RFC 4648 section 10 */
	{ "", "", 0 },
	{ "Zg==", "f", 1 },
	{ "Zm8=", "fo", 2 },
	{ "Zm9v", "foo", 3 },
	{ "Zm9vYg==", "foob", 4 },
	{ "Zm9vYmE=", "fooba", 5 },
	{ "Zm9vYmFy", "foobar", 6 },
	/* whitespace anywhere, as in wrapped or folded YAML */
	{ " Zm9v\nYm\r\nFy\t", "foobar", 6 },
	{ "Zm9vYg=\n=", "foob", 4 },
	/* every bit of the alphabet, binary output */
	{ "+/+/", "\xfb\xff\xbf", 3 },
	{ "AP8=", "\x00\xff", 2 },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	  "\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97"
	  "\x61\x96\x9b\x71\xd7\x9f\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf"
	  "\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf", 48 },
	/* refused */
	{ "Zg", NULL, 0 },
	{ "Zg=", NULL, 0 },
	{ "Z===", NULL, 0 },
	{ "====", NULL, 0 },
	{ "=Zg=", NULL, 0 },
	{ "Zg=a", NULL, 0 },
	{ "Zg==Zg==", NULL, 0 },
	{ "Zg==\n=", NULL, 0 },
	{ "Zm9vY", NULL, 0 },
	{ "Zm9v!", NULL, 0 },
	{ "-_8=", NULL, 0 },	/* base64url is not what kubeconfig uses */
	{ "Zm9v\x80", NULL, 0 },
};

ParameterizedTestParameters(base64, decode)
{
	return case_indexes(sizeof(b64_cases) / sizeof(b64_cases[0]));
}

ParameterizedTest(unsigned int *i, base64, decode)
{
	const struct b64_case *tc = &b64_cases[*i];
	size_t len = 12345;
	char *out = NULL;
	int err;

	err = kube_base64_decode(tc->in, strlen(tc->in), &out, &len);
	if (!tc->out) {
		cr_assert_eq(err, -EINVAL, "\"%s\" must be refused", tc->in);
		return;
	}
	cr_assert_eq(err, 0, "\"%s\"", tc->in);
	cr_assert_eq(len, tc->out_len, "\"%s\": length %zu", tc->in, len);
	cr_assert_eq(memcmp(out, tc->out, len), 0, "\"%s\"", tc->in);
	cr_assert_eq(out[len], '\0', "NUL-terminated");
	free(out);
}

Test(base64, length_limits_the_input)
{
	char *out;
	size_t len;

	/* only the first 4 bytes are looked at: what follows would be invalid */
	cr_assert_eq(kube_base64_decode("Zm9v!!!!", 4, &out, &len), 0);
	cr_assert_eq(len, 3);
	cr_assert_str_eq(out, "foo");
	free(out);
}
