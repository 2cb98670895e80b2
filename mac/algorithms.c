/* SPDX-License-Identifier: Apache-2.0 */
#include "mac.h"

const OSSL_ALGORITHM tk_mac_algorithms[] = {
    { TK_HMAC_NAME, "provider=tpmkit", tk_tpm2_hmac_functions,
      "HMAC computed by the TPM with a TPM-held key" },
    { NULL, NULL, NULL, NULL }
};
