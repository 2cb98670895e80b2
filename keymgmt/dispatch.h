/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch tables of keymgmt/, collected in algorithms.c. */
#ifndef TK_KEYMGMT_DISPATCH_H
#define TK_KEYMGMT_DISPATCH_H

#include <openssl/core.h>

extern const OSSL_DISPATCH tk_rsa_keymgmt_functions[];
extern const OSSL_DISPATCH tk_rsapss_keymgmt_functions[];
extern const OSSL_DISPATCH tk_ec_keymgmt_functions[];
extern const OSSL_DISPATCH tk_ephemeral_ec_keymgmt_functions[];
extern const OSSL_DISPATCH tk_rsa_signature_functions[];
extern const OSSL_DISPATCH tk_ecdsa_signature_functions[];
extern const OSSL_DISPATCH tk_rsa_asym_cipher_functions[];
extern const OSSL_DISPATCH tk_ecdh_keyexch_functions[];

#endif
