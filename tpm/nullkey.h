/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's view of the TPM as the session salt key (tpm-identity
 * kernel): Linux 6.10 and later salt their own TPM sessions to the primary
 * key of the null hierarchy and publish its name in
 * /sys/class/tpm/tpmN/null_name. tpmkit creates the same key and salts to
 * it only if the names match. */
#ifndef TK_TPM_NULLKEY_H
#define TK_TPM_NULLKEY_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* The null-hierarchy primary, checked; flush *handle once the session is
 * started. *point is its public key. */
TSS2_RC tk_nullkey_get(tk_tpm *tpm, ESYS_TR *handle, TPMS_ECC_POINT *point);

#endif
