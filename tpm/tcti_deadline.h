/* SPDX-License-Identifier: Apache-2.0 */
/* A pass-through TCTI that gives each command its time limit as it is
 * sent: a real chip takes milliseconds for most commands, up to a second
 * to sign, and a minute to make an RSA key; a hung TPM must be noticed
 * after the limit of the command it hangs in, not the longest one. */
#ifndef TK_TPM_TCTI_DEADLINE_H
#define TK_TPM_TCTI_DEADLINE_H

#include <tss2/tss2_tcti.h>

#include "watchdog.h"

/* The class (tpm.h TK_CMD_*) of a TPM command code. */
int tk_cmd_class(uint32_t command_code);

TSS2_TCTI_CONTEXT *tk_tcti_deadline_new(TSS2_TCTI_CONTEXT *inner,
                                        tk_watchdog *wd);
void tk_tcti_deadline_free(TSS2_TCTI_CONTEXT *ctx);

#endif
