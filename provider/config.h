/* SPDX-License-Identifier: Apache-2.0 */
/* Where tpmkit's settings come from: the environment first, then the
 * provider's section in openssl.cnf, then the defaults. */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include <openssl/core.h>

typedef struct tk_config {
    char tcti[512];
    int encrypt; /* salted, encrypting sessions for secret-bearing commands */
    char identity[600]; /* tpm-identity: which TPM to trust (tpm/identity.h) */
} tk_config;

/* Fills `cfg`. 0 (with an error raised) for a setting that makes no sense. */
int tk_config_load(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                   tk_config *cfg);

/* "yes/no", "on/off", "true/false", "1/0": 1, 0, or -1 if none of those. */
int tk_config_parse_bool(const char *text);

#endif
