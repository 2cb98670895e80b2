/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the integration test programs. They reach tpmkit only the way
 * an application does: through OPENSSL_CONF and OpenSSL's public API. */
#ifndef TK_UTIL_H
#define TK_UTIL_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

/* Print "prog: message", then OpenSSL's error queue, and exit(1). */
void tk_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Load the configuration (OPENSSL_CONF), as an application does; exit(2)
 * unless it made tpmkit available. Takes no reference on the provider, so
 * the program exits the way an ordinary application does. */
void tk_init(void);

/* A fresh, instantiated TPM2-SEED context (no parent: raw TPM bytes). */
EVP_RAND_CTX *tk_seed_new(void);

/* Draw from TPM2-SEED; 1 on success, else prints the error queue. */
int tk_seed_draw(EVP_RAND_CTX *ctx, unsigned char *out, size_t len);

/* RAND_bytes from the default library context; 1 on success, else prints
 * the error queue. */
int tk_rand_bytes(unsigned char *out, size_t len);

int tk_all_zero(const unsigned char *buf, size_t len);
void tk_print_hex(const unsigned char *buf, size_t len);

#endif
