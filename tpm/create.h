/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2_Create of a new object under a parent, shared by key generation and
 * sealing. */
#ifndef TK_TPM_CREATE_H
#define TK_TPM_CREATE_H

#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm.h"

/* Create the object `tmpl` describes under `parent` (0, 0x40000001, the
 * RSA primary's stand-in or 0x81xxxxxx, with `parent_auth`). The new
 * object's password and data (`sensitive`) are TPM2_Create's first
 * parameter: they travel encrypted in the salted session; with
 * `need_encryption` set the call fails instead of sending them in clear
 * when session encryption is off. `what` names the object in errors.
 * With the lock held (run through tk_tpm_locked). */
TSS2_RC tk_create_object(tk_tpm *tpm, uint32_t parent,
                         const TPM2B_AUTH *parent_auth,
                         const TPM2B_SENSITIVE_CREATE *sensitive,
                         const TPM2B_PUBLIC *tmpl, int need_encryption,
                         const char *what, TPM2B_PUBLIC *out_pub,
                         TPM2B_PRIVATE *out_priv);

#endif
