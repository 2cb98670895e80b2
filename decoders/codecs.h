/* SPDX-License-Identifier: Apache-2.0 */
/* The dispatch tables of decoders/, collected by algorithms.c, and the few
 * helpers they share. */
#ifndef TK_CODECS_H
#define TK_CODECS_H

#include <stddef.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include "keyfile.h"
#include "../keymgmt/key.h"

/* PEM "TSS2 PRIVATE KEY" -> DER, structure "TSS2". */
extern const OSSL_DISPATCH tk_pem2der_decoder_functions[];
/* DER -> DER: reports malformed TSS2 DER files, passes everything on. */
extern const OSSL_DISPATCH tk_der_check_decoder_functions[];
/* DER TPMKey -> key object, by reference, one per key type. */
extern const OSSL_DISPATCH tk_tss2_rsa_decoder_functions[];
extern const OSSL_DISPATCH tk_tss2_rsapss_decoder_functions[];
extern const OSSL_DISPATCH tk_tss2_ec_decoder_functions[];
extern const OSSL_DISPATCH tk_tss2_hmac_decoder_functions[];
/* Key object -> TPMKey, PEM or DER. */
extern const OSSL_DISPATCH tk_tss2_pem_encoder_functions[];
extern const OSSL_DISPATCH tk_tss2_der_encoder_functions[];
/* Key object -> human-readable text. */
extern const OSSL_DISPATCH tk_text_encoder_functions[];
/* OSSL_STORE "handle:" scheme. */
extern const OSSL_DISPATCH tk_handle_store_functions[];

/* Hand a key to keymgmt's load() by reference, as decoders and the store
 * do; load() takes it and clears *key. `desc` (the URI) may be NULL. */
int tk_key_pass_reference(tk_key **key, const char *desc, OSSL_CALLBACK *cb,
                          void *cbarg);

/* Read a decoder's input, at most TK_KEYFILE_MAX_DER + 1 bytes
 * (OPENSSL_free *der). */
int tk_read_der(tk_prov_ctx *prov, OSSL_CORE_BIO *cin, unsigned char **der,
                size_t *len);

/* Whether tpmkit can use a decoded key file (kind, parent, policy); raises
 * an error saying why not. Fills `info` from the public blob. */
int tk_keyfile_usable(const tk_keyfile *kf, tk_tpm_pubinfo *info);

/* The key a decoded, usable key file describes (importable keys are
 * imported into the TPM when first used), with its policy steps. */
tk_key *tk_key_from_keyfile(tk_prov_ctx *prov, tk_key_type want,
                            const tk_keyfile *kf);

/* Whether the key in a decoded key file can be built: tk_keyfile_usable()
 * and every check tk_key_from_keyfile() makes (parent, blobs, policy
 * commands, tpmkit's configuration), with the reason raised when not.
 * Needs neither the TPM nor a password.
 *
 * OpenSSL 3.0's file store hands the DER it found to a second round of
 * decoders and drops every error raised there, reducing the reason to
 * "unsupported"; pem2der and der_check call this in the first round,
 * where a decoder's error reaches the user. */
int tk_keyfile_check(tk_prov_ctx *prov, const tk_keyfile *kf);

/* Ask the caller's passphrase callback for a key's password. 1 and the
 * password in `buf` (cleanse it after use) if one was given; 0 if the
 * callback has none (no terminal, cancelled): errors from a failing
 * callback are dropped, no password is not an error by itself. `info`
 * names the key in the prompt; NULL lets the application name it
 * (openssl: the file name). */
int tk_ask_password(OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg, const char *info,
                    char *buf, size_t buf_size, size_t *len);

/* Give a freshly built key its password, asking for it: the one place
 * decoders and the store decide how passwords are obtained. */
int tk_key_ask_password(tk_key *key, OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg,
                        const char *info);

#endif
