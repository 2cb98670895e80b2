/* SPDX-License-Identifier: Apache-2.0 */
/* A TCTI that passes every command to another and traces the command
 * code, and the response code with the time it took (TPMKIT_DEBUG=2).
 * Only headers are read: no parameter, so no secret, is ever traced. */
#ifndef TK_TPM_TCTI_TRACE_H
#define TK_TPM_TCTI_TRACE_H

#include <tss2/tss2_tcti.h>

/* A tracing TCTI in front of `inner` (not owned); NULL if out of memory. */
TSS2_TCTI_CONTEXT *tk_tcti_trace_new(TSS2_TCTI_CONTEXT *inner);
void tk_tcti_trace_free(TSS2_TCTI_CONTEXT *trace);

#endif
