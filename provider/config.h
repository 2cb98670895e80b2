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
    unsigned int storage_primary; /* storage-primary: persistent handle, 0 */
    int timeouts[3];              /* timeouts: seconds per command class */
    /* "" when every setting is usable, else what is wrong: each bad
     * setting's key, its value and where it came from, "; "-separated. */
    char problem[768];
} tk_config;

/* Fills `cfg`. A setting tpmkit cannot honour does not stop the provider
 * from loading (OpenSSL would then quietly seed its DRBG from the operating
 * system instead of the TPM): it is described in cfg->problem, and every
 * TPM use fails with that text instead. */
void tk_config_load(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                    tk_config *cfg);

/* "yes/no", "on/off", "true/false", "1/0": 1, 0, or -1 if none of those. */
int tk_config_parse_bool(const char *text);

#endif
