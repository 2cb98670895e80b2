/* SPDX-License-Identifier: Apache-2.0 */
/* A TCTI that passes everything to another one, for tpmkit's TCTIs that
 * only watch the traffic (the trace, the journal): each sets its own
 * transmit and receive and keeps the rest. */
#ifndef TK_TPM_TCTI_WRAP_H
#define TK_TPM_TCTI_WRAP_H

#include <tss2/tss2_tcti.h>

typedef struct tk_tcti_wrap {
    TSS2_TCTI_CONTEXT_COMMON_V2 common; /* first: what callers see */
    TSS2_TCTI_CONTEXT *inner;           /* not owned */
} tk_tcti_wrap;

/* Fill `w` so that everything but transmit and receive goes to `inner`. */
void tk_tcti_wrap_init(tk_tcti_wrap *w, uint64_t magic,
                       TSS2_TCTI_CONTEXT *inner,
                       TSS2_TCTI_TRANSMIT_FCN transmit,
                       TSS2_TCTI_RECEIVE_FCN receive);

/* Two small parsers of TPM headers (big-endian). */
static inline uint32_t tk_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8
           | p[3];
}

static inline uint16_t tk_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
