/* SPDX-License-Identifier: Apache-2.0 */
#include "algorithms.h"
#include "dispatch.h"
#include "../mac/mac.h"

#define PROPS "provider=tpmkit"

const OSSL_ALGORITHM tk_keymgmt_algorithms[] = {
    { "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPS, tk_rsa_keymgmt_functions,
      "RSA key in the TPM" },
    { "RSA-PSS:RSASSA-PSS:1.2.840.113549.1.1.10", PROPS,
      tk_rsapss_keymgmt_functions, "RSA-PSS key in the TPM" },
    { "EC:id-ecPublicKey:1.2.840.10045.2.1", PROPS, tk_ec_keymgmt_functions,
      "EC key in the TPM" },
    { TK_HMAC_NAME, PROPS, tk_hmac_keymgmt_functions, "HMAC key in the TPM" },
    { TK_EPHEMERAL_EC_NAME, PROPS, tk_ephemeral_ec_keymgmt_functions,
      "software EC keys for TLS key shares" },
    { NULL, NULL, NULL, NULL }
};

const OSSL_ALGORITHM tk_signature_algorithms[] = {
    { "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPS,
      tk_rsa_signature_functions,
      "RSA PKCS#1 v1.5 and PSS signatures with a TPM key" },
    { "ECDSA", PROPS, tk_ecdsa_signature_functions, "ECDSA with a TPM key" },
    { NULL, NULL, NULL, NULL }
};

const OSSL_ALGORITHM tk_asym_cipher_algorithms[] = {
    { "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPS,
      tk_rsa_asym_cipher_functions, "RSA decryption with a TPM key" },
    { NULL, NULL, NULL, NULL }
};

const OSSL_ALGORITHM tk_keyexch_algorithms[] = {
    { "ECDH", PROPS, tk_ecdh_keyexch_functions, "ECDH with a TPM key" },
    { NULL, NULL, NULL, NULL }
};
