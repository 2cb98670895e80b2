/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords for keys being loaded. tpmkit never guesses: a key gets the
 * password the caller's callback returns, or the empty password when the
 * callback has none. Each guess tried against the TPM would count towards
 * its dictionary-attack lockout, so nothing here retries. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "codecs.h"

/* TPM auth values are at most a digest long; 256 leaves room for any
 * name algorithm and lets the TPM layer report an over-long password. */
#define TK_PASSWORD_MAX 256

int tk_ask_password(OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg, const char *info,
                    char *buf, size_t buf_size, size_t *len)
{
    OSSL_PARAM params[2];
    int ok;

    *len = 0;
    if (cb == NULL)
        return 0;
    /* Without an info string the application names the object in its
     * prompt (openssl: "Enter pass phrase for key.pem:"). */
    if (info != NULL)
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PASSPHRASE_PARAM_INFO,
                                                     (char *)info, 0);
    params[info != NULL ? 1 : 0] = OSSL_PARAM_construct_end();
    ERR_set_mark();
    ok = cb(buf, buf_size, len, params, cbarg);
    if (!ok || *len > buf_size) {
        ERR_pop_to_mark();
        OPENSSL_cleanse(buf, buf_size);
        *len = 0;
        return 0;
    }
    ERR_clear_last_mark();
    return 1;
}

int tk_key_ask_password(tk_key *key, OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg,
                        const char *info)
{
    char pass[TK_PASSWORD_MAX];
    size_t len = 0;
    int ok = 1;

    if (tk_ask_password(cb, cbarg, info, pass, sizeof(pass), &len))
        ok = tk_key_set_password(key, pass, len);
    OPENSSL_cleanse(pass, sizeof(pass));
    return ok;
}
