/* SPDX-License-Identifier: Apache-2.0 */
/* Key generation in the TPM (genpkey), for the RSA, RSA-PSS, EC and
 * TPM2-HMAC keymgmts. */
#ifndef TK_KEYGEN_H
#define TK_KEYGEN_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

/* Entries of the keymgmt dispatch tables, typed so that the compiler
 * checks them against OpenSSL's prototypes. */
OSSL_FUNC_keymgmt_gen_init_fn tk_keygen_rsa_init;
OSSL_FUNC_keymgmt_gen_init_fn tk_keygen_rsapss_init;
OSSL_FUNC_keymgmt_gen_init_fn tk_keygen_ec_init;
OSSL_FUNC_keymgmt_gen_init_fn tk_keygen_hmac_init;
OSSL_FUNC_keymgmt_gen_set_params_fn tk_keygen_set_params;
OSSL_FUNC_keymgmt_gen_settable_params_fn tk_keygen_settable_params;
OSSL_FUNC_keymgmt_gen_fn tk_keygen_generate;
OSSL_FUNC_keymgmt_gen_cleanup_fn tk_keygen_cleanup;

#endif
