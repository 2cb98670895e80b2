/* SPDX-License-Identifier: Apache-2.0 */
/* The key management and key operation tables (keymgmt/). */
#ifndef TK_KEYMGMT_ALGORITHMS_H
#define TK_KEYMGMT_ALGORITHMS_H

#include <openssl/core.h>

/* The key manager of the TLS groups tpmkit announces (see keymgmt.c). */
#define TK_EPHEMERAL_EC_NAME "TPMKIT-EPHEMERAL-EC"

extern const OSSL_ALGORITHM tk_keymgmt_algorithms[];
extern const OSSL_ALGORITHM tk_signature_algorithms[];
extern const OSSL_ALGORITHM tk_asym_cipher_algorithms[];
extern const OSSL_ALGORITHM tk_keyexch_algorithms[];

#endif
