/* SPDX-License-Identifier: Apache-2.0 */
/* Explaining a TPM in dictionary-attack lockout: how long it stays there
 * and how to end it. */
#ifndef TK_TPM_DA_LOCKOUT_H
#define TK_TPM_DA_LOCKOUT_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm.h"

/* Record a TPM2_RC_LOCKOUT failure of step `doing` ("authorizing the
 * key") with what the TPM's dictionary-attack counters say: failures
 * counted, how long until it accepts DA-protected authorizations again,
 * and the command that ends the lockout now. Reads the counters with
 * TPM2_GetCapability: the caller holds the connection lock. Returns rc. */
TSS2_RC tk_da_lockout_fail(tk_tpm *tpm, TSS2_RC rc, int reason,
                           const char *doing);

/* The recovery estimate as text, from the counters (TPM2_PT_LOCKOUT_COUNTER,
 * TPM2_PT_MAX_AUTH_FAIL, TPM2_PT_LOCKOUT_INTERVAL): pure, for tests. */
void tk_da_lockout_text(UINT32 counter, UINT32 max_tries, UINT32 interval,
                        char *out, size_t out_len);

#endif
