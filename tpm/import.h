/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2_Import of a duplicate (no inner wrapper) under a parent. */
#ifndef TK_TPM_IMPORT_H
#define TK_TPM_IMPORT_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* The parent's session is loaded first: starting it may park the primary. */
TSS2_RC tk_import_duplicate(tk_tpm *tpm, ESYS_TR parent,
                            const TPM2B_AUTH *parent_auth,
                            const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *dup,
                            const TPM2B_ENCRYPTED_SECRET *seed,
                            TPM2B_PRIVATE *out);
/* The encrypted seed of an importable key file: a marshalled
 * TPM2B_ENCRYPTED_SECRET or its bare buffer. */
int tk_import_read_seed(const unsigned char *seed, size_t len,
                        TPM2B_ENCRYPTED_SECRET *out);

#endif
