/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-bench: what tpmkit costs against the TPM itself (raw ESYS) and
 * against tpm2-openssl. Shared between the measuring core (main.c), the
 * raw ESYS baseline (raw.c), the EVP operations (evp.c) and the TLS
 * handshakes (tls.c). */
#ifndef TK_BENCH_H
#define TK_BENCH_H

#include <stddef.h>
#include <openssl/types.h>

#define BENCH_WHY 200

/* Everything one run shares: library contexts, each with its own providers,
 * so that no implementation's fetches land in another's provider. */
typedef struct bench_env {
    const char *keys;        /* directory made by make-keys.sh */
    const char *module_dir;  /* where tpmkit.so is */
    OSSL_LIB_CTX *sw;        /* default provider only */
    OSSL_LIB_CTX *tk;        /* default + tpmkit; DRBG seeded by TPM2-SEED */
    OSSL_PROVIDER *tk_prov;  /* tpmkit in tk (for its seed-status) */
    OSSL_LIB_CTX *tk_clear;  /* default + tpmkit, session encryption off */
    OSSL_LIB_CTX *t2o;       /* default + tpm2-openssl, or NULL */
    char t2o_why[BENCH_WHY]; /* why t2o is NULL */
    int have_hmac;           /* tpmkit has TPM2-HMAC and a key was made */
    char hmac_why[BENCH_WHY];
    struct raw_env *raw; /* the ESYS baseline, or NULL */
    char raw_why[BENCH_WHY];
} bench_env;

/* One implementation of one measured operation: set up (untimed), run once
 * (timed, many times), tear down. setup returns 0 with a reason in `why`. */
typedef struct bench_impl {
    int (*setup)(bench_env *env, const void *arg, void **state, char *why);
    int (*run)(void *state);
    void (*done)(void *state);
    const void *arg;
} bench_impl;

/* Helpers (main.c) */
double bench_now(void);
/* The first OpenSSL error on the queue as text (queue cleared), or `fallback`. */
void bench_ossl_why(char *why, const char *fallback);
/* "<keys>/<name>" in a static buffer per call site. */
char *bench_path(const bench_env *env, const char *name, char *buf, size_t len);
/* A key through OSSL_STORE in `libctx`. */
EVP_PKEY *bench_load_key(OSSL_LIB_CTX *libctx, const char *propq,
                         const char *path, char *why);

/* raw.c: the ESYS baseline. */
int raw_open(bench_env *env);
void raw_close(bench_env *env);
/* What each raw operation needs: the key file and the command shape. */
enum raw_op {
    RAW_RANDOM,      /* TPM2_GetRandom, arg size */
    RAW_SIGN_RSASSA, /* TPM2_Sign of a SHA-256 digest */
    RAW_SIGN_ECDSA,
    RAW_RSA_RAW, /* TPM2_RSA_Decrypt, no scheme (what tpmkit sends) */
    RAW_ECDH,    /* TPM2_ECDH_ZGen */
    RAW_HMAC,    /* TPM2_HMAC, or a sequence beyond 1024 bytes */
};
#define RAW_SEQ_PASSWORD 2
typedef struct raw_arg {
    enum raw_op op;
    size_t size;     /* random bytes or HMAC input */
    int session;     /* 1: salted session like tpmkit's; 0: none/password;
                      * RAW_SEQ_PASSWORD: salted, but sequence updates
                      * authorized by password (diagnostic) */
    const char *key; /* key file name in the keys directory */
    int park;        /* diagnostic: park key and session around each
                         * command, as tpmkit does without a resource manager */
} raw_arg;
extern const bench_impl raw_impl;
/* First use: connect (TCTI + Esys_Initialize), first salted GetRandom,
 * first ECDSA signature with key load, a CreatePrimary; milliseconds. */
int raw_first_use(const char *keys, double ms[4], char *why);
/* Cold start: the fewest TPM commands for `op` (sign-ec, sign-rsa, decrypt,
 * mac, rand) in this fresh process; under the persisted storage primary
 * whose ESYS_TR raw_save_srk wrote to `srk`, or under one it creates
 * (srk NULL). */
int raw_minimal(const char *keys, const char *op, const char *srk, char *why);
int raw_save_srk(const char *file, char *why);

/* evp.c: tpmkit and tpm2-openssl through EVP. `which` picks the context. */
enum evp_which { EVP_SW, EVP_TK, EVP_TK_CLEAR, EVP_T2O };
enum evp_op {
    EVP_SEED,       /* EVP_RAND_generate on the raw TPM source */
    EVP_RANDBYTES,  /* RAND_bytes_ex */
    EVP_SIGN_PKCS1, /* EVP_DigestSign SHA-256 */
    EVP_SIGN_PSS,
    EVP_SIGN_ECDSA,
    EVP_DECRYPT_OAEP,
    EVP_DERIVE,
    EVP_MAC_HMAC,
};
typedef struct evp_arg {
    enum evp_which which;
    enum evp_op op;
    size_t size;
    const char *key;
} evp_arg;
extern const bench_impl evp_impl;
/* The shared library contexts; 0 with a reason if tpmkit does not load
 * (tpm2-openssl missing is not an error: env->t2o stays NULL). */
int evp_env_init(bench_env *env, char *why);
void evp_env_free(bench_env *env);
/* Unload the providers loaded into `libctx`, then free it. */
void bench_libctx_free(OSSL_LIB_CTX *libctx);
OSSL_LIB_CTX *evp_libctx(bench_env *env, enum evp_which which);
/* First use in a fresh process: provider load, first random, first signature. */
int evp_first_use(const char *module_dir, const char *keys, int t2o,
                  double ms[3], char *why);

/* tls.c */
typedef struct tls_arg {
    enum evp_which which;   /* whose server key */
    const char *key, *cert; /* file names */
    int psk; /* TLS 1.2 ECDHE-PSK; which = EVP_TK: per-session PSK */
} tls_arg;
extern const bench_impl tls_impl;

#endif
