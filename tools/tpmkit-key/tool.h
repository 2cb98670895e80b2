/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-key: shared pieces of the program (report.c, settings.c,
 * files.c, object_policy.c) and its subcommands (seal.c, wrap.c,
 * policy.c). */
#ifndef TKK_TOOL_H
#define TKK_TOOL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "../../decoders/keyfile.h"
#include "../../tpm/key.h"
#include "../../tpm/policy_new.h"
#include "../../tpm/tpm.h"

/* Exit statuses. */
enum { TKK_OK = 0, TKK_FAILED = 1, TKK_USAGE = 2 };

/* report.c: catch the errors tpmkit's TPM layer raises (it would hand
 * them to a provider's core), then print them under the program's name. */
void tkk_report_init(void);
/* Print "tpmkit-key CMD: MESSAGE", then every error caught since the
 * last call, one per line. Returns TKK_FAILED. */
int tkk_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a usage error and the subcommand's help hint. Returns TKK_USAGE. */
int tkk_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Forget errors caught so far. */
void tkk_report_clear(void);

/* settings.c: the TPM tpmkit's module would use: TPMKIT_* environment
 * variables first, then the tpmkit section of openssl.cnf, then the
 * defaults. NULL (reported) if the settings are unusable. */
tk_tpm *tkk_tpm_open(const char *cmd);

/* files.c */
/* The whole file ("-": stdin), at most `max` bytes; *len > max says it
 * was longer. Reported on failure. */
int tkk_read_file(const char *cmd, const char *path, size_t max,
                  unsigned char **data, size_t *len);
/* Write `data` to `path` ("-" or NULL: stdout), created mode 0600. */
int tkk_write_file(const char *cmd, const char *path, const unsigned char *data,
                   size_t len);
/* A TSS2 key file (PEM or DER) from `path`, decoded. */
int tkk_read_keyfile(const char *cmd, const char *path, tk_keyfile *kf);
/* Encode and write a key file as PEM "TSS2 PRIVATE KEY". */
int tkk_write_keyfile(const char *cmd, const char *path, const tk_keyfile *kf);
/* Replace the key file at `path` atomically (a temporary file beside it,
 * renamed over it) with the same mode (and owner, where allowed). */
int tkk_replace_keyfile(const char *cmd, const char *path,
                        const tk_keyfile *kf);
/* "0x40000001" / "0x81000001" / "81000001": a parent handle. */
int tkk_parse_parent(const char *text, uint32_t *out);
/* A parent for messages: "0x81000001", or "the RSA storage primary". */
const char *tkk_parent_name(uint32_t parent);
/* The program's own OpenSSL context for software crypto (default
 * provider only: never tpmkit, even if openssl.cnf activates it). */
OSSL_LIB_CTX *tkk_libctx(void);

/* object_options.c: the options of seal, unseal and wrap (each lists the
 * ones it takes in its struct option table, with these codes). */
enum {
    TKK_OPT_IN = 1,
    TKK_OPT_OUT,
    TKK_OPT_PASSWORD,
    TKK_OPT_PARENT,
    TKK_OPT_FOR,
    TKK_OPT_HELP,
    TKK_OPT_PARENT_RSA,
    TKK_OPT_DESCRIPTION,
    TKK_OPT_PCR_POLICY,
    TKK_OPT_POLICY_SIGNER,
    TKK_OPT_PCR_VALUES
};
typedef struct tkk_object_args {
    const char *in, *out, *password, *parent_for, *description;
    const char *pcr_spec, *pcr_values, *signer; /* the new object's policy */
    int parent_given, parent_rsa;
    uint32_t parent; /* TK_TPM_PARENT_PRIMARY unless --parent(-rsa) */
} tkk_object_args;
/* Parse argv (`help` printed for --help); --in is required, and --out
 * too with `need_out`; --pcr-values only with --pcr-policy. -1 to go on,
 * else the exit status. */
int tkk_parse_object_args(const char *cmd, const char *help,
                          const struct option *opts, int need_out, int argc,
                          char **argv, tkk_object_args *a);

/* object_policy.c: the policy of a new sealed object or wrapped key from
 * --pcr-policy SPEC, --pcr-values FILE and --policy-signer FILE, as
 * genpkey makes it (tpm/policy_new.h); tpm may be NULL unless the PCRs'
 * current values are needed (--pcr-policy without --pcr-values). Reported
 * on failure. */
int tkk_object_policy(const char *cmd, tk_tpm *tpm, const tkk_object_args *a,
                      int with_password, tk_tpm_new_policy *out);

/* Subcommands: argc/argv start at the subcommand's name. */
int tkk_seal(int argc, char **argv);
int tkk_unseal(int argc, char **argv);
int tkk_wrap(int argc, char **argv);
int tkk_policy(int argc, char **argv);

#endif
