/* SPDX-License-Identifier: Apache-2.0 */
/* A note that a persistent handle holds exactly the standard storage
 * primary, so that only the first process (per user and TPM) pays a
 * TPM2_CreatePrimary to check it. Later processes trust the note when the
 * TPM reports the same name for the handle: a name is a hash of the whole
 * public area. Kept in the run directory (journal.h); trusted only if
 * owned by this user and writable by nobody else. */
#ifndef TK_TPM_SRK_CACHE_H
#define TK_TPM_SRK_CACHE_H

#include <tss2/tss2_tpm2_types.h>

#include "journal.h"

/* The noted public area for `handle`, if the note names `name`: 1. */
int tk_srk_cache_read(const tk_journal *j, TPM2_HANDLE handle,
                      const TPM2B_NAME *name, TPM2B_PUBLIC *pub);
void tk_srk_cache_write(const tk_journal *j, TPM2_HANDLE handle,
                        const TPM2B_NAME *name, const TPM2B_PUBLIC *pub);

#endif
