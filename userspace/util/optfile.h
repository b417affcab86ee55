/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * util/optfile.h - a YAML configuration file whose keys are a program's long options, turned
 * into the "--name=value" arguments the command line would give. The program feeds them to
 * its own getopt_long() loop, so every flag is a key, with the flag's own validation and
 * messages, and the two can never drift apart.
 *
 * The file is one YAML mapping (an empty file or document sets nothing). Each key is the
 * exact long name of an option that takes an argument; its value is
 *   - a scalar: "--key=VALUE" with the text as written. YAML types are not resolved, so
 *     `ttl: 5`, `http: off` and `zone: "cluster.local"` give 5, off and cluster.local;
 *   - for an OPTFILE_LIST option (one flag taking A[,B...]): also a list of scalars, joined
 *     with commas;
 *   - for an OPTFILE_REPEAT option (a flag given several times): a list of scalars, one
 *     argument each, or a mapping whose values are scalars or lists of scalars:
 *     `forward: {example.internal: [192.0.2.1, 192.0.2.2]}` gives
 *     "--forward=example.internal=192.0.2.1,192.0.2.2".
 * A key the caller marks as given (on the command line) produces no argument: the command
 * line wins, for lists and repeatable flags too (it replaces, never appends).
 *
 * Refused, with one message in err[OPTFILE_ERR_MAX] of the form "PATH:LINE: KEY: problem"
 * (or "PATH:LINE: problem", "cannot read PATH: reason"): an unreadable file, YAML syntax
 * errors, more than one document, a document that is not a mapping, a key that is not such
 * an option (flags without a value, like --help, and the names in not_keys are not keys), a
 * key given twice, a null value, a value of the wrong shape.
 *
 * optfile_load() returns 0 or -errno (-EINVAL for any of the above, -ENOENT etc. for an
 * unreadable file, -EFBIG over OPTFILE_MAX_BYTES, -ENOMEM).
 */
#ifndef XDPDNS_OPTFILE_H
#define XDPDNS_OPTFILE_H

#include <getopt.h>
#include <stdbool.h>

#define OPTFILE_ERR_MAX		512
#define OPTFILE_MAX_BYTES	(1024 * 1024)	/* a settings file, not a data file */

struct optfile_spec {
	const struct option *longopts;	/* getopt_long()'s table, ended by a zeroed entry */
	const char *const *lists;	/* NULL-terminated: options taking A[,B...] */
	const char *const *repeats;	/* NULL-terminated: options given several times */
	const char *const *not_keys;	/* NULL-terminated: options that are not settings */
};

struct optfile {
	char **args;		/* n "--name=value" strings */
	unsigned int *lines;	/* the 1-based line each one comes from */
	unsigned int n;
};

/*
 * Read path into out->args (in file order). given[i] true: longopts[i] is set elsewhere and
 * its key produces nothing (given may be NULL). On success the caller owns out and releases
 * it with optfile_release(); on failure out is empty.
 */
int optfile_load(const char *path, const struct optfile_spec *spec, const bool *given,
		 struct optfile *out, char *err);

/* Free what optfile_load() filled in; accepts a zeroed or released struct. */
void optfile_release(struct optfile *f);

#endif
