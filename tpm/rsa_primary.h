/* SPDX-License-Identifier: Apache-2.0 */
/* The RSA-2048 storage primary: what a key file's parent 0x40000001 means
 * when its rsaParent field is TRUE (for TPMs without ECC). A storage
 * primary of the RSA kind (storage_primary.h: the persisted one at
 * storage-primary, 0x81000001 by default, where systemd and the TCG
 * guidance put the SRK, when it is exactly this primary; else created
 * once per connection and parked without a resource manager), looked for
 * and made only for a key that names it. Not the session salt key and not
 * itself checked against tpm-identity (which pins the ECC primary or the
 * EK): with a pin set, the TPM proves its identity that way before the
 * RSA primary is first made. */
#ifndef TK_TPM_RSA_PRIMARY_H
#define TK_TPM_RSA_PRIMARY_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* The TCG storage template, RSA 2048 (exponent 65537, AES-128-CFB,
 * SHA-256 name, empty unique). */
const TPM2B_PUBLIC *tk_rsa_primary_template(void);
/* Loaded, created once per connection (raises on failure). */
TSS2_RC tk_rsa_primary_get(tk_tpm *tpm, ESYS_TR *out);
/* Out of the TPM's slots (ContextSave + flush). */
TSS2_RC tk_rsa_primary_park(tk_tpm *tpm);
/* Forget it: flush it if loaded and `flush`, drop the saved copy. */
void tk_rsa_primary_drop(tk_tpm *tpm, int flush);
/* A forked child's copy: forget it without touching the TPM or freeing
 * what the parent's connection may still be updating. */
void tk_rsa_primary_abandon(tk_tpm *tpm);

#endif
