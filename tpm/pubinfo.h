/* SPDX-License-Identifier: Apache-2.0 */
/* TPM public and private blobs and algorithm identifiers (the parts of
 * pubinfo.c that speak tss2 types; key.h has the rest). */
#ifndef TK_TPM_PUBINFO_H
#define TK_TPM_PUBINFO_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>

struct tk_tpm_pubinfo;
int tk_tpm_hash_nid(TPMI_ALG_HASH alg);
TPMI_ALG_HASH tk_tpm_hash_alg(int nid);
TPMI_ECC_CURVE tk_tpm_curve(int nid);
int tk_tpm_unmarshal_public(const unsigned char *pub, size_t len,
                            TPM2B_PUBLIC *out);
int tk_tpm_unmarshal_private(const unsigned char *priv, size_t len,
                             TPM2B_PRIVATE *out);
int tk_tpm_pubinfo_from_area(const TPMT_PUBLIC *area,
                             struct tk_tpm_pubinfo *info);

#endif
