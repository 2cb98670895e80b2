/* SPDX-License-Identifier: Apache-2.0 */
/* The operation bracket: the connection lock, fork safety, the watchdog,
 * ESYS's crypto scope, retries, recovery from a broken connection or a
 * reset TPM, and parking or dropping everything tpmkit holds in the TPM. */
#ifndef TK_TPM_RUN_H
#define TK_TPM_RUN_H

#include <tss2/tss2_common.h>

#include "tpm.h"

/* Run `op` with the connection locked and open. Raises the OpenSSL error
 * on failure; 1 on success. */
typedef TSS2_RC tk_tpm_op(tk_tpm *tpm, void *arg);
int tk_tpm_run(tk_tpm *tpm, tk_tpm_op *op, void *arg);
/* Run `op` under the lock without opening a connection (clean-ups). */
void tk_tpm_locked(tk_tpm *tpm, tk_tpm_op *op, void *arg);
/* Under the lock: forget the keys, session and primary (flushing what this
 * process created first) and close the connection. */
void tk_tpm_disconnect(tk_tpm *tpm);
/* In a forked child, for a connection another thread of the parent was
 * using at fork(): its state may be half-updated, so forget it without
 * freeing or sending anything. */
void tk_tpm_abandon_inherited(tk_tpm *tpm);

#endif
