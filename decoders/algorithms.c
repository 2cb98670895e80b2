/* SPDX-License-Identifier: Apache-2.0 */
/* What decoders/ offers OpenSSL. Names are keymgmt names: OpenSSL matches
 * decoders and encoders to keys by name. */
#include "algorithms.h"
#include "codecs.h"

#define PROPS "provider=tpmkit"

const OSSL_ALGORITHM tk_decoder_algorithms[] = {
    /* Named after its output: OpenSSL chains a decoder to the ones whose
     * input type is this name. */
    { "DER", PROPS ",input=pem", tk_pem2der_decoder_functions,
      "TSS2 PRIVATE KEY PEM to DER" },
    { "DER", PROPS ",input=der", tk_der_check_decoder_functions,
      "reports malformed TSS2 DER key files" },
    { "RSA:rsaEncryption:1.2.840.113549.1.1.1",
      PROPS ",input=der,structure=TSS2", tk_tss2_rsa_decoder_functions,
      "TSS2 key file to an RSA TPM key" },
    { "RSA-PSS:RSASSA-PSS:1.2.840.113549.1.1.10",
      PROPS ",input=der,structure=TSS2", tk_tss2_rsapss_decoder_functions,
      "TSS2 key file to an RSA-PSS TPM key" },
    { "EC:id-ecPublicKey:1.2.840.10045.2.1", PROPS ",input=der,structure=TSS2",
      tk_tss2_ec_decoder_functions, "TSS2 key file to an EC TPM key" },
    { "TPM2-HMAC", PROPS ",input=der,structure=TSS2",
      tk_tss2_hmac_decoder_functions, "TSS2 key file to an HMAC TPM key" },
    { NULL, NULL, NULL, NULL }
};

#define KEY_ENCODERS(names, what)                                              \
    { names, PROPS ",output=pem,structure=PrivateKeyInfo",                     \
      tk_tss2_pem_encoder_functions, what " TPM key to a TSS2 PEM key file" }, \
        { names, PROPS ",output=der,structure=PrivateKeyInfo",                 \
          tk_tss2_der_encoder_functions,                                       \
          what " TPM key to a TSS2 DER key file" },                            \
        { names, PROPS ",output=der,structure=type-specific",                  \
          tk_tss2_der_encoder_functions,                                       \
          what " TPM key to a TSS2 DER key file" },                            \
    {                                                                          \
        names, PROPS ",output=text", tk_text_encoder_functions,                \
            what " TPM key as text"                                            \
    }

const OSSL_ALGORITHM tk_encoder_algorithms[] = {
    KEY_ENCODERS("RSA:rsaEncryption:1.2.840.113549.1.1.1", "RSA"),
    KEY_ENCODERS("RSA-PSS:RSASSA-PSS:1.2.840.113549.1.1.10", "RSA-PSS"),
    KEY_ENCODERS("EC:id-ecPublicKey:1.2.840.10045.2.1", "EC"),
    { "TPM2-HMAC", PROPS ",output=pem,structure=PrivateKeyInfo",
      tk_tss2_pem_encoder_functions, "HMAC TPM key to a TSS2 PEM key file" },
    { "TPM2-HMAC", PROPS ",output=der,structure=PrivateKeyInfo",
      tk_tss2_der_encoder_functions, "HMAC TPM key to a TSS2 DER key file" },
    { "TPM2-HMAC", PROPS ",output=der,structure=type-specific",
      tk_tss2_der_encoder_functions, "HMAC TPM key to a TSS2 DER key file" },
    { "TPM2-HMAC", PROPS ",output=text", tk_text_encoder_functions,
      "HMAC TPM key as text" },
    { NULL, NULL, NULL, NULL }
};

const OSSL_ALGORITHM tk_store_algorithms[] = {
    { "handle", PROPS, tk_handle_store_functions,
      "TPM persistent keys and NV certificates: handle:0x81xxxxxx, "
      "handle:0x01xxxxxx" },
    { NULL, NULL, NULL, NULL }
};
