/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2-SEED: an EVP_RAND seed source backed by TPM2_GetRandom. */
#ifndef TK_RAND_SEED_H
#define TK_RAND_SEED_H

#include <openssl/core.h>

extern const OSSL_DISPATCH tk_seed_functions[];

#endif
