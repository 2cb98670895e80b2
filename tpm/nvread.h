/* SPDX-License-Identifier: Apache-2.0 */
/* Reading an NV index (e.g. the EK certificate) with the lock held. */
#ifndef TK_TPM_NVREAD_H
#define TK_TPM_NVREAD_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_common.h>

#include "tpm.h"

/* The whole index into *data (OPENSSL_free it), its size in *len. */
TSS2_RC tk_nv_read(tk_tpm *tpm, uint32_t index, unsigned char **data,
                   size_t *len);

#endif
