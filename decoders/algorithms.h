/* SPDX-License-Identifier: Apache-2.0 */
/* The decoder, encoder and store algorithm tables (decoders/). */
#ifndef TK_DECODERS_ALGORITHMS_H
#define TK_DECODERS_ALGORITHMS_H

#include <openssl/core.h>

extern const OSSL_ALGORITHM tk_decoder_algorithms[];
extern const OSSL_ALGORITHM tk_encoder_algorithms[];
extern const OSSL_ALGORITHM tk_store_algorithms[];

#endif
