/* SPDX-License-Identifier: Apache-2.0 */
/* Hash and HMAC sequences: feeding data in TPM-sized pieces. */
#ifndef TK_TPM_SEQUENCE_H
#define TK_TPM_SEQUENCE_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm.h"

/* Feed `len` bytes to a sequence whose password is `auth` (NULL: empty),
 * each piece through the salted session (SequenceComplete takes the last
 * piece itself). */
TSS2_RC tk_seq_feed(tk_tpm *tpm, TPM2_HANDLE seq, const TPM2B_AUTH *auth,
                    const unsigned char *data, size_t len);

#endif
