/* SPDX-License-Identifier: Apache-2.0 */
/* The standard storage primary (parent 0x40000001), checked against
 * tpm-identity: the parent of key files and the salt key of sessions. A
 * storage primary of the ECC kind (storage_primary.h: persisted or created
 * once per connection, parked), with what only the salt key has: its
 * public point and its name. */
#ifndef TK_TPM_PRIMARY_H
#define TK_TPM_PRIMARY_H

#include <tss2/tss2_esys.h>

#include "storage_primary.h"
#include "tpm.h"

typedef struct tk_primary {
    tk_storage_primary object; /* loaded, parked or persisted */
    TPMS_ECC_POINT point;      /* its public key: the session salt key */
    TPM2B_NAME name;
} tk_primary;

/* tk_primary_park() moves it out of the TPM's scarce object slots
 * (ContextSave + flush); tk_primary_get() brings it back. */
TSS2_RC tk_primary_get(tk_tpm *tpm, ESYS_TR *out);
/* TPM2_CreatePrimary with the standard template, unchecked (for pinning);
 * the caller flushes *handle and frees *pub. */
TSS2_RC tk_primary_create(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC **pub);
/* The same template in another hierarchy (the kernel's null key). */
TSS2_RC tk_primary_create_in(tk_tpm *tpm, ESYS_TR hierarchy, ESYS_TR *handle,
                             TPM2B_PUBLIC **pub);
TSS2_RC tk_primary_park(tk_tpm *tpm);
/* Done with it for now (no resource manager): parked, except during a
 * connection's first operation, when it stays loaded until the operation
 * ends (tk_primary_end_cold). */
TSS2_RC tk_primary_release(tk_tpm *tpm);
/* The end of a connection's first operation: flush a primary that was
 * never saved, without saving it. */
void tk_primary_end_cold(tk_tpm *tpm);
/* The standard template (empty unique): with the primary's point it is the
 * public area duplicates for parent 0x40000001 are made for. */
const TPM2B_PUBLIC *tk_primary_template(void);
/* Everything of the template but the unique field, which the TPM fills. */
int tk_primary_is_standard(const TPMT_PUBLIC *pub);
/* Forget the primary: flush it if loaded and `flush`, drop the saved copy. */
void tk_primary_drop(tk_tpm *tpm, int flush);
/* A forked child's copy: forget it without touching the TPM or freeing
 * what the parent's connection may still be updating. */
void tk_primary_abandon(tk_tpm *tpm);

#endif
