/* SPDX-License-Identifier: Apache-2.0 */
/* The endorsement key as the session salt key (tpm-identity ek-ca:PATH):
 * its public key must be the one the TPM maker's EK certificate in NV
 * certifies, and that certificate must chain to the configured CA. */
#ifndef TK_TPM_EK_H
#define TK_TPM_EK_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* Create the RSA-2048 EK (TCG template L-1) and check it (the certificate
 * once per process, the modulus every time). *handle is loaded: flush it
 * once the session is started. */
TSS2_RC tk_ek_get(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC_KEY_RSA *n);

#endif
