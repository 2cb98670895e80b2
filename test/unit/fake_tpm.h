/* A software stand-in for tpmkit's TPM layer, linked instead of tpm_lib,
 * so that the code above it (keymgmt/, the HMAC key type, rand/) runs
 * unchanged in a unit test without a TPM.
 *
 * TPM keys are software keys of OpenSSL's default provider; the private
 * operations tpmkit asks of the TPM are done with them and recorded in
 * `fake`, so a test can check what tpmkit sent (an encoded message, a
 * digest, a point, a key-creation request) as well as what came back.
 *
 * fake_module_load() registers these sources as a builtin provider named
 * "tpmkit" (key management, signatures, RSA decryption, ECDH, TPM2-SEED),
 * so tests drive them through the ordinary EVP API. */
#ifndef TK_FAKE_TPM_H
#define TK_FAKE_TPM_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "testutil.h"
#include "../../provider/prov_ctx.h"
#include "../../tpm/key.h"

typedef struct fake_state {
    /* Knobs, reset by fake_reset(). */
    int fail;                   /* every TPM operation fails */
    int no_key;                 /* tk_tpm_create_key records, then fails */
    int restricted;             /* keys created from now on are restricted */

    /* The last TPM operation. */
    int calls;
    const char *op;             /* "sign", "sign_message", "rsa_private",
                                 * "rsa_private_sign", "ecdh", "random",
                                 * "create" */
    int scheme, hash_nid;
    unsigned char in[16384];    /* what went in: digest, message, encoded
                                 * message, peer point; for "random" what
                                 * came out */
    size_t in_len;

    /* The last key-creation request, with copies of what it points to. */
    tk_tpm_keygen gen;
    unsigned char gen_auth[256], gen_parent_auth[256], gen_secret[256];
    int gen_has_auth, gen_has_parent_auth, gen_has_secret;

    /* The last key made from blobs (not a reference). */
    tk_tpm_key *last_key;
    uint32_t last_parent;
} fake_state;

extern fake_state fake;

void fake_reset(void);

/* A TPM key around a software key (a reference is taken); HMAC keys have
 * none (`sw` NULL, `hash_nid` set). */
enum { FAKE_SIGN = 1, FAKE_DECRYPT = 2, FAKE_RESTRICTED = 4 };
tk_tpm_key *fake_key_new(EVP_PKEY *sw, int attrs, int hash_nid);
EVP_PKEY *fake_key_software(const tk_tpm_key *key);
tk_tpm_pubinfo *fake_key_info(tk_tpm_key *key);
/* The password tk_tpm_key_set_auth gave the key; NULL if never set. */
const unsigned char *fake_key_auth(const tk_tpm_key *key, size_t *len);
const unsigned char *fake_key_parent_auth(const tk_tpm_key *key, size_t *len);

/* A library context with OpenSSL's default provider and the builtin
 * "tpmkit" over this fake TPM. */
void fake_module_load(tku_module *m);
/* The builtin's provider context (for calling dispatch tables directly). */
tk_prov_ctx *fake_prov(void);

#endif
