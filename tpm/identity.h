/* SPDX-License-Identifier: Apache-2.0 */
/* Which TPM tpmkit trusts: the storage primary's public key is checked
 * against a pinned value before any session is salted to it, so an
 * interposer on the bus cannot hand tpmkit its own key and learn the
 * session keys. */
#ifndef TK_TPM_IDENTITY_H
#define TK_TPM_IDENTITY_H

#include <tss2/tss2_tpm2_types.h>

#include "tpm.h"

enum tk_identity_kind {
    TK_IDENTITY_NONE,    /* not verified: protects against a passive probe */
    TK_IDENTITY_NAME,    /* name:HEX, the storage primary's TPM name */
    TK_IDENTITY_SRK_PEM, /* srk-pem:PATH, its public key as PEM */
    TK_IDENTITY_EK_CA,   /* ek-ca:PATH, salt with the EK certified by PATH */
    TK_IDENTITY_KERNEL,  /* kernel: salt with the null key the kernel names */
    TK_IDENTITY_INVALID, /* configured but unusable: every use fails */
};

typedef struct tk_identity {
    enum tk_identity_kind kind;
    TPM2B_NAME name;         /* NAME */
    TPMS_ECC_POINT point;    /* SRK_PEM */
    char ca_path[512];       /* EK_CA: the CA bundle */
    TPM2B_PUBLIC_KEY_RSA ek; /* EK_CA: the EK once its certificate checked */
    char spec[600];          /* as configured ("none" when unset) */
    char invalid[320];       /* INVALID: why */
    int verified;            /* the current connection's primary matched */
} tk_identity;

/* Read "none", "name:HEX", "srk-pem:PATH" or "ek-ca:PATH" (NULL or "" is
 * "none"). Never
 * fails: an unusable value is recorded as INVALID, so that using the TPM
 * fails with the reason instead of quietly running unverified. */
void tk_identity_parse(const char *spec, tk_identity *out);

/* Check a storage primary just created: its public area and name. A
 * mismatch or an unusable setting is a failure (tk_fail) that says the
 * TPM's identity could not be verified. */
TSS2_RC tk_identity_check(tk_tpm *tpm, const TPM2B_PUBLIC *pub,
                          const TPM2B_NAME *name);

/* A TPM name written in hex (`len` characters); 0 if it is not one. */
int tk_identity_hex_name(const char *hex, size_t len, TPM2B_NAME *name);

/* A value for tpm-identity that pins this name ("name:HEX"). */
void tk_identity_pin_text(const TPM2B_NAME *name, char *out, size_t out_len);

#endif
