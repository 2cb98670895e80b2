/* SPDX-License-Identifier: Apache-2.0 */
/* A TPM restarted under us closes the socket; writing to it must fail,
 * not kill the process. Block SIGPIPE for this thread around TPM I/O and
 * discard any that arrived meanwhile. */
#ifndef TK_TPM_SIGPIPE_H
#define TK_TPM_SIGPIPE_H

#include <signal.h>

void tk_sigpipe_block(sigset_t *saved, int *was_pending);
void tk_sigpipe_restore(const sigset_t *saved, int was_pending);

#endif
