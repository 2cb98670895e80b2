/* Key generation in the TPM (genpkey), for the RSA, RSA-PSS, EC and
 * TPM2-HMAC keymgmts. */
#ifndef TK_KEYGEN_H
#define TK_KEYGEN_H

#include <openssl/core.h>

void *tk_keygen_rsa_init(void *provctx, int selection, const OSSL_PARAM params[]);
void *tk_keygen_rsapss_init(void *provctx, int selection, const OSSL_PARAM params[]);
void *tk_keygen_ec_init(void *provctx, int selection, const OSSL_PARAM params[]);
void *tk_keygen_hmac_init(void *provctx, int selection, const OSSL_PARAM params[]);
int tk_keygen_set_params(void *genctx, const OSSL_PARAM params[]);
const OSSL_PARAM *tk_keygen_settable_params(void *genctx, void *provctx);
void *tk_keygen_generate(void *genctx, OSSL_CALLBACK *cb, void *cbarg);
void tk_keygen_cleanup(void *genctx);

#endif
