/* SPDX-License-Identifier: Apache-2.0 */
/* The per-connection PSK: an HMAC keyed with the permanent PSK, computed
 * either by the TPM (EVP_MAC "TPM2-HMAC" with a key-uri: the permanent PSK
 * never enters this process) or in software (EVP_MAC "HMAC" with the key
 * bytes, for a peer without a TPM). Both give the same bytes. */
#ifndef PSK_DERIVE_H
#define PSK_DERIVE_H

#include <stddef.h>

/* TLS 1.2: the 17 bytes of the TLS 1.2 PRF label, no NUL; then
 * client_random || server_random. */
#define PSK_LABEL_TLS12 "pre master secret"
/* TLS 1.3: the server random does not exist yet when the PSK binder is
 * computed, so only client_random follows. A label of its own keeps the two
 * derivations (and any other use of the key) apart. */
#define PSK_LABEL_TLS13 "tpmkit tls13 psk"

#define PSK_RANDOM_LEN 32
#define PSK_MAX_LEN 64 /* HMAC-SHA512 */

typedef struct psk_mac psk_mac;

/* Opens the permanent PSK: key_uri (TPM, with password key_pass or NULL)
 * or hexkey (software), HMAC with digest. Fetches TPM2-HMAC, loading the providers "tpmkit" and "default"
 * when the configuration has not, and resolves the key once, so that a bad
 * key file fails here and not in the first handshake. Prints why on
 * failure and returns NULL. */
psk_mac *psk_mac_open(const char *prog, const char *key_uri,
                      const char *key_pass, const char *hexkey,
                      const char *digest);
void psk_mac_free(psk_mac *m);

/* "TPM2-HMAC" or "HMAC". */
const char *psk_mac_name(const psk_mac *m);

/* The derivations leave OpenSSL's errors queued on failure. */

/* HMAC(permanent, PSK_LABEL_TLS12 || cr || sr) into out (PSK_MAX_LEN). */
int psk_derive_tls12(psk_mac *m, const unsigned char cr[PSK_RANDOM_LEN],
                     const unsigned char sr[PSK_RANDOM_LEN], unsigned char *out,
                     size_t *outlen);

/* HMAC(permanent, PSK_LABEL_TLS13 || cr) into out (PSK_MAX_LEN). */
int psk_derive_tls13(psk_mac *m, const unsigned char cr[PSK_RANDOM_LEN],
                     unsigned char *out, size_t *outlen);

/* Lowercase hex of buf into out (2 * len + 1 bytes). */
char *psk_hex(char *out, const unsigned char *buf, size_t len);

/* "prog: what" on stderr, then OpenSSL's error queue (emptied). */
void psk_report(const char *prog, const char *what);

#endif
