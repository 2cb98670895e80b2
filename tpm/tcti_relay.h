/* SPDX-License-Identifier: Apache-2.0 */
/* A TCTI that reaches the TPM through tpmkit-relay (relay_main.c), a
 * process of its own that opens the real TCTI. Used for every TCTI that
 * is not a plain socket (device, tabrmd, cmd): tpmkit then only holds a
 * socket, which its watchdog can cut and a forked child can drop. */
#ifndef TK_TPM_TCTI_RELAY_H
#define TK_TPM_TCTI_RELAY_H

#include <stddef.h>
#include <tss2/tss2_tcti.h>

/* Start the relay for `conf`. Returns 0 and the context, whose socket
 * (tk_tcti_relay_fd) can be watched before the relay is ready; or an
 * errno value, with what failed in `why`. */
int tk_tcti_relay_start(const char *conf, TSS2_TCTI_CONTEXT **ctx, char *why,
                        size_t why_len);
/* Wait for the relay to open the TCTI: its result. */
TSS2_RC tk_tcti_relay_ready(TSS2_TCTI_CONTEXT *ctx);
int tk_tcti_relay_fd(TSS2_TCTI_CONTEXT *ctx);
/* In a forked child: close our copy of the parent's relay socket, which
 * the child never uses (the parent's relay must see its end). */
void tk_tcti_relay_drop_inherited(TSS2_TCTI_CONTEXT *ctx);
/* Close the socket; the relay then ends. One that is stuck in the TPM
 * after a failure is killed. */
void tk_tcti_relay_free(TSS2_TCTI_CONTEXT *ctx);

/* Where tpmkit-relay is: TPMKIT_RELAY (ignored in setuid programs), else
 * beside the module (a build tree), else where it is installed. */
const char *tk_tcti_relay_path(void);

#endif
