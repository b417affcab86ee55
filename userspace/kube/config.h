/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * kube/config.h - where the Kubernetes API is and how to authenticate to it.
 *
 * Two sources, as client-go has them: the current context of a kubeconfig file (parsed with
 * libyaml's document API, so anchors, aliases, merge keys and flow style work), or the
 * in-cluster service account (KUBERNETES_SERVICE_HOST/PORT plus the token and CA mounted
 * under /var/run/secrets/kubernetes.io/serviceaccount).
 *
 * What a kubeconfig may say and what becomes of it:
 *   cluster  server, certificate-authority, certificate-authority-data,
 *            insecure-skip-tls-verify                                   -> used
 *            tls-server-name, proxy-url                                 -> -ENOTSUP
 *   user     token, tokenFile, client-certificate(-data), client-key(-data) -> used
 *            exec, auth-provider, username/password, as* (impersonation) -> -ENOTSUP
 *   context  namespace, extensions, preferences                          -> ignored
 * Relative file names are taken relative to the kubeconfig's directory (as kubectl does)
 * and stored absolute. *-data fields are base64 and must decode to PEM text. Combinations
 * kubectl refuses (file and -data both set, a CA together with insecure-skip-tls-verify,
 * a client certificate without its key) are refused as well. Files named by the config must
 * be readable when it is loaded, and a tokenFile must hold a token then.
 *
 * int functions return 0 or -errno and log one log_err() line naming the file and the
 * problem, e.g. "kubeconfig F: current-context \"x\" names no context". On error *c is
 * left empty, and kube_config_release() on it is harmless. Not thread-safe: one struct
 * kube_config per thread, or a lock around kube_config_token().
 */
#ifndef XDPDNS_KUBE_CONFIG_H
#define XDPDNS_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define KUBE_SA_DIR		"/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_KUBECONFIG_MAX	(16u << 20)	/* bytes; kubectl has no limit */
#define KUBE_TOKEN_MAX		(64u << 10)	/* bytes; bound SA tokens are ~1 KiB */

/* What a token file was last read from: any change means the content may have changed. */
struct kube_file_id {
	dev_t dev;
	ino_t ino;		/* kubelet rotates by swapping a ..data symlink: a new inode */
	off_t size;
	struct timespec mtime;
	struct timespec ctime;	/* an in-place rewrite within one mtime tick still moves it */
};

struct kube_config {
	char *server;		/* "https://host:port[/prefix]", no trailing slash */
	char *ca_file;		/* absolute path of a PEM file, or NULL */
	char *ca_data;		/* PEM text (decoded certificate-authority-data), or NULL */
	char *cert_file;	/* client certificate (absolute path), or NULL */
	char *key_file;		/* its private key (absolute path), or NULL */
	char *cert_data;	/* PEM text of client-certificate-data, or NULL */
	char *key_data;		/* PEM text of client-key-data, or NULL */
	char *token;		/* static bearer token, or NULL */
	char *token_file;	/* absolute path; re-read when it changes (bound tokens rotate) */
	bool insecure_skip_tls_verify;

	/* private to config.c: the token file's last good content and where it came from */
	char *file_token;
	struct kube_file_id file_id;
	bool file_id_valid;
	int file_err;		/* last error kube_config_token() logged, 0 when healthy */
};

/*
 * The current context of the kubeconfig at path. -ENOENT (or another -errno of open/read)
 * when the file cannot be read, -EINVAL for anything malformed or missing, -ENOTSUP for
 * an authentication method or option we do not implement; -ENOENT/-EACCES also when a file
 * the config names cannot be read. One log_err() line in every case.
 */
int kube_config_from_kubeconfig(struct kube_config *c, const char *path);

/*
 * In-cluster: server https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (an IPv6
 * host is bracketed), token_file sa_dir/token, ca_file sa_dir/ca.crt. sa_dir NULL means
 * KUBE_SA_DIR (the parameter exists for tests). -ENOENT when the variables are unset (not
 * in a pod), -EINVAL when they are malformed, -errno when the token cannot be read. A
 * missing ca.crt is only a warning, as in client-go: verification then uses the system CAs.
 */
int kube_config_in_cluster(struct kube_config *c, const char *sa_dir);

/*
 * The bearer token to send now, or NULL when the config has none (client certificates or
 * no authentication). With a token_file: its content with surrounding whitespace trimmed,
 * re-read only when stat() shows a different file (device, inode, size, mtime, ctime).
 * The file's content wins over a static token, as in client-go. When the file cannot be
 * read, is empty (-ENODATA), too large (-EFBIG) or holds what cannot be a bearer token
 * (-EILSEQ), the error is returned and *out is still set, to the last good content (loading
 * the config read the file once, so there is one). A failure is logged once (log_warn)
 * until the file reads again (log_info), so callers may call this before every request.
 * *out stays owned by c and is valid until the next kube_config_token() or
 * kube_config_release() on c.
 */
int kube_config_token(struct kube_config *c, const char **out);

/*
 * Decode base64 (RFC 4648 standard alphabet, '=' padding required, as Go's StdEncoding
 * decodes kubeconfig []byte fields) of len bytes at in, skipping ASCII whitespace. On
 * success *out is a malloc()ed, NUL-terminated buffer the caller frees and *out_len the
 * decoded length (not counting the NUL). -EINVAL for a bad character, bad padding or a
 * length that is not a multiple of 4; -ENOMEM.
 */
int kube_base64_decode(const char *in, size_t len, char **out, size_t *out_len);

/* Free everything c holds and zero it; c itself is the caller's. Accepts NULL. */
void kube_config_release(struct kube_config *c);

#endif
