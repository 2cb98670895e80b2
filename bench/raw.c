/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline: the TPM command itself through ESYS, with nothing around
 * it. This file is the one place outside tpm/ that calls ESYS: it is the
 * measuring stick, so it must not go through tpmkit.
 *
 * Each operation is the command tpmkit sends for the same request, with
 * the same key blobs (read from the same key file) and, where tpmkit uses
 * it, the same kind of session: salted by the standard storage primary,
 * HMAC, AES-128-CFB parameter encryption, SHA-256 (for secret results and
 * passwords); signatures by keys without a password use a plain password
 * session, as tpmkit does. Unlike tpmkit on a TPM
 * without a resource manager, the key and the session stay loaded for the
 * whole measurement: that is what the TPM itself can do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "bench.h"

struct raw_env {
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
};

/* The standard storage primary (parent 0x40000001 of TSS2 key files). */
static const TPM2B_PUBLIC primary_template = {
    .publicArea = {
        .type = TPM2_ALG_ECC,
        .nameAlg = TPM2_ALG_SHA256,
        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                            | TPMA_OBJECT_SENSITIVEDATAORIGIN
                            | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA
                            | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
        .parameters.eccDetail = {
            .symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
                           .mode.aes = TPM2_ALG_CFB },
            .scheme.scheme = TPM2_ALG_NULL,
            .curveID = TPM2_ECC_NIST_P256,
            .kdf.scheme = TPM2_ALG_NULL,
        },
    },
};

#define HMAC_CHUNK 1024 /* TPM2B_MAX_BUFFER on swtpm; tpmkit uses the same */

static void rc_why(char *why, const char *what, TSS2_RC rc)
{
    snprintf(why, BENCH_WHY, "%s: %s (0x%x)", what, Tss2_RC_Decode(rc),
             (unsigned)rc);
}

static int connect_tpm(TSS2_TCTI_CONTEXT **tcti, ESYS_CONTEXT **esys, char *why)
{
    const char *conf = getenv("TPMKIT_TCTI");
    TSS2_RC rc;

    if (conf == NULL || *conf == '\0') {
        snprintf(why, BENCH_WHY, "TPMKIT_TCTI is not set");
        return 0;
    }
    rc = Tss2_TctiLdr_Initialize(conf, tcti);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TCTI", rc);
        return 0;
    }
    rc = Esys_Initialize(esys, *tcti, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        Tss2_TctiLdr_Finalize(tcti);
        rc_why(why, "Esys_Initialize", rc);
        return 0;
    }
    return 1;
}

static void disconnect_tpm(TSS2_TCTI_CONTEXT **tcti, ESYS_CONTEXT **esys)
{
    Esys_Finalize(esys);
    Tss2_TctiLdr_Finalize(tcti);
}

int raw_open(bench_env *env)
{
    struct raw_env *raw = calloc(1, sizeof(*raw));

    if (raw == NULL || !connect_tpm(&raw->tcti, &raw->esys, env->raw_why)) {
        free(raw);
        return 0;
    }
    env->raw = raw;
    return 1;
}

void raw_close(bench_env *env)
{
    if (env->raw == NULL)
        return;
    disconnect_tpm(&env->raw->tcti, &env->raw->esys);
    free(env->raw);
    env->raw = NULL;
}

/* --- key files: SEQUENCE { OID, [0] BOOLEAN OPTIONAL, INTEGER parent,
 *     OCTET STRING public, OCTET STRING private, ... } ------------------ */

static int der_next(const unsigned char **p, long *left, int want_tag,
                    const unsigned char **body, long *len)
{
    const unsigned char *start = *p;
    int tag, xclass, ret;

    ret = ASN1_get_object(p, len, &tag, &xclass, *left);
    if ((ret & 0x80) || tag != want_tag)
        return 0;
    *body = *p;
    *p += *len;
    *left -= *p - start;
    return 1;
}

static int read_key_blobs(const char *path, TPM2B_PUBLIC *pub,
                          TPM2B_PRIVATE *priv, char *why)
{
    BIO *in = BIO_new_file(path, "r");
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    const unsigned char *p, *seq, *body;
    long der_len = 0, left, seq_len, len;
    size_t off;
    int ok = 0;

    if (in == NULL || !PEM_read_bio(in, &name, &header, &der, &der_len)) {
        snprintf(why, BENCH_WHY, "cannot read the key file %s", path);
        goto out;
    }
    p = der;
    left = der_len;
    if (!der_next(&p, &left, V_ASN1_SEQUENCE, &seq, &seq_len))
        goto bad;
    p = seq;
    left = seq_len;
    if (!der_next(&p, &left, V_ASN1_OBJECT, &body, &len))
        goto bad;
    if (left > 0 && *p == 0xa0 && !der_next(&p, &left, 0, &body, &len))
        goto bad;
    if (!der_next(&p, &left, V_ASN1_INTEGER, &body, &len))
        goto bad;
    if (!der_next(&p, &left, V_ASN1_OCTET_STRING, &body, &len))
        goto bad;
    off = 0;
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(body, (size_t)len, &off, pub)
        != TSS2_RC_SUCCESS)
        goto bad;
    if (!der_next(&p, &left, V_ASN1_OCTET_STRING, &body, &len))
        goto bad;
    off = 0;
    if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(body, (size_t)len, &off, priv)
        != TSS2_RC_SUCCESS)
        goto bad;
    ok = 1;
    goto out;
bad:
    snprintf(why, BENCH_WHY, "%s is not a TSS2 key file the bench can read",
             path);
out:
    BIO_free(in);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    return ok;
}

/* --- TPM objects --------------------------------------------------------- */

static TSS2_RC create_primary(ESYS_CONTEXT *esys, ESYS_TR *out)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };

    return Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                              ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                              &primary_template, &outside, &pcrs, out, NULL,
                              NULL, NULL, NULL);
}

/* A salted HMAC session with AES-128-CFB, as tpmkit starts it; the salt key
 * is flushed once the session exists (tpmkit parks it). */
static int start_session(ESYS_CONTEXT *esys, ESYS_TR *session, char *why)
{
    TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES,
                         .keyBits.aes = 128,
                         .mode.aes = TPM2_ALG_CFB };
    ESYS_TR primary;
    TSS2_RC rc = create_primary(esys, &primary);

    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_CreatePrimary", rc);
        return 0;
    }
    rc = Esys_StartAuthSession(esys, primary, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_HMAC,
                               &sym, TPM2_ALG_SHA256, session);
    Esys_FlushContext(esys, primary);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_StartAuthSession", rc);
        return 0;
    }
    return 1;
}

static int load_key(ESYS_CONTEXT *esys, const char *path, ESYS_TR *key,
                    char *why)
{
    TPM2B_PUBLIC pub = { 0 };
    TPM2B_PRIVATE priv = { 0 };
    ESYS_TR primary;
    TSS2_RC rc;

    if (!read_key_blobs(path, &pub, &priv, why))
        return 0;
    rc = create_primary(esys, &primary);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_CreatePrimary", rc);
        return 0;
    }
    rc = Esys_Load(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                   &priv, &pub, key);
    Esys_FlushContext(esys, primary);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_Load", rc);
        return 0;
    }
    return 1;
}

/* --- one measured operation ---------------------------------------------- */

struct raw_state {
    ESYS_CONTEXT *esys;
    const raw_arg *arg;
    ESYS_TR session, key;
    TPMS_CONTEXT *saved_session, *saved_key; /* parked (arg->park) */
    TPM2B_DIGEST digest;
    TPM2B_PUBLIC_KEY_RSA rsa_in;
    TPM2B_ECC_POINT peer;
    unsigned char *data;
};

static void raw_done(void *p)
{
    struct raw_state *st = p;

    if (st == NULL)
        return;
    /* A parked session still holds its TPM context: load it to flush it. */
    if (st->saved_session != NULL && st->session == ESYS_TR_NONE
        && Esys_ContextLoad(st->esys, st->saved_session, &st->session)
               != TSS2_RC_SUCCESS)
        st->session = ESYS_TR_NONE;
    if (st->key != ESYS_TR_NONE)
        Esys_FlushContext(st->esys, st->key);
    if (st->session != ESYS_TR_NONE)
        Esys_FlushContext(st->esys, st->session);
    Esys_Free(st->saved_session);
    Esys_Free(st->saved_key);
    free(st->data);
    free(st);
}

/* A peer point for ECDH: any valid P-256 point will do. */
static int make_peer(TPM2B_ECC_POINT *peer, char *why)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    unsigned char pt[65];
    size_t len = 0;
    int ok = pk != NULL
             && EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", pt,
                                                sizeof(pt), &len)
             && len == 65;

    EVP_PKEY_free(pk);
    if (!ok) {
        bench_ossl_why(why, "cannot make a P-256 peer key");
        return 0;
    }
    peer->point.x.size = 32;
    memcpy(peer->point.x.buffer, pt + 1, 32);
    peer->point.y.size = 32;
    memcpy(peer->point.y.buffer, pt + 33, 32);
    return 1;
}

static int raw_setup(bench_env *env, const void *a, void **out, char *why)
{
    const raw_arg *arg = a;
    struct raw_state *st;
    char path[512];

    if (env->raw == NULL) {
        snprintf(why, BENCH_WHY, "no ESYS connection: %.150s", env->raw_why);
        return 0;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        snprintf(why, BENCH_WHY, "out of memory");
        return 0;
    }
    st->esys = env->raw->esys;
    st->arg = arg;
    st->session = st->key = ESYS_TR_NONE;
    if (arg->session && !start_session(st->esys, &st->session, why))
        goto fail;
    if (arg->key != NULL
        && !load_key(st->esys, bench_path(env, arg->key, path, sizeof(path)),
                     &st->key, why))
        goto fail;
    if (arg->park) {
        /* Saving a session also takes it out of the TPM's slot. */
        if (st->key != ESYS_TR_NONE
            && (Esys_ContextSave(st->esys, st->key, &st->saved_key)
                    != TSS2_RC_SUCCESS
                || Esys_FlushContext(st->esys, st->key) != TSS2_RC_SUCCESS))
            goto fail;
        st->key = ESYS_TR_NONE;
        if (st->session != ESYS_TR_NONE
            && Esys_ContextSave(st->esys, st->session, &st->saved_session)
                   != TSS2_RC_SUCCESS)
            goto fail;
        st->session = ESYS_TR_NONE;
    }
    st->digest.size = 32;
    RAND_bytes(st->digest.buffer, 32);
    /* Raw RSA input below the modulus: a leading zero byte is enough. */
    st->rsa_in.size = 256;
    RAND_bytes(st->rsa_in.buffer, 256);
    st->rsa_in.buffer[0] = 0;
    if (arg->op == RAW_ECDH && !make_peer(&st->peer, why))
        goto fail;
    if (arg->op == RAW_HMAC) {
        if ((st->data = malloc(arg->size)) == NULL)
            goto fail;
        RAND_bytes(st->data, (int)arg->size);
    }
    *out = st;
    return 1;
fail:
    raw_done(st);
    return 0;
}

/* The session for the next command with `attrs`, or `none`. */
static ESYS_TR sess(struct raw_state *st, TPMA_SESSION attrs, ESYS_TR none)
{
    if (st->session == ESYS_TR_NONE)
        return none;
    Esys_TRSess_SetAttributes(st->esys, st->session,
                              attrs | TPMA_SESSION_CONTINUESESSION, 0xff);
    return st->session;
}

/* tpmkit authorizes every SequenceUpdate with its salted session, so the
 * TPM's HMAC binds each piece of input (a password update would let the bus
 * change the data unnoticed); RAW_SEQ_PASSWORD rows show the cheaper shape
 * without that protection. */
static ESYS_TR update_auth(struct raw_state *st)
{
    if (st->arg->session == RAW_SEQ_PASSWORD)
        return ESYS_TR_PASSWORD;
    return sess(st, 0, ESYS_TR_PASSWORD);
}

static TSS2_RC raw_hmac(struct raw_state *st)
{
    TPM2B_MAX_BUFFER chunk = { 0 };
    TPM2B_DIGEST *mac = NULL;
    TPMT_TK_HASHCHECK *ticket = NULL;
    TPM2B_AUTH none = { 0 };
    size_t len = st->arg->size, done = 0;
    ESYS_TR seq;
    TSS2_RC rc;

    if (len <= HMAC_CHUNK) {
        chunk.size = (UINT16)len;
        memcpy(chunk.buffer, st->data, len);
        rc = Esys_HMAC(
            st->esys, st->key, sess(st, TPMA_SESSION_ENCRYPT, ESYS_TR_PASSWORD),
            ESYS_TR_NONE, ESYS_TR_NONE, &chunk, TPM2_ALG_SHA256, &mac);
        Esys_Free(mac);
        return rc;
    }
    rc = Esys_HMAC_Start(st->esys, st->key, sess(st, 0, ESYS_TR_PASSWORD),
                         ESYS_TR_NONE, ESYS_TR_NONE, &none, TPM2_ALG_SHA256,
                         &seq);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    while (len - done > HMAC_CHUNK) {
        chunk.size = HMAC_CHUNK;
        memcpy(chunk.buffer, st->data + done, HMAC_CHUNK);
        rc = Esys_SequenceUpdate(st->esys, seq, update_auth(st), ESYS_TR_NONE,
                                 ESYS_TR_NONE, &chunk);
        if (rc != TSS2_RC_SUCCESS) {
            Esys_FlushContext(st->esys, seq);
            return rc;
        }
        done += HMAC_CHUNK;
    }
    chunk.size = (UINT16)(len - done);
    memcpy(chunk.buffer, st->data + done, chunk.size);
    rc = Esys_SequenceComplete(
        st->esys, seq, sess(st, TPMA_SESSION_ENCRYPT, ESYS_TR_PASSWORD),
        ESYS_TR_NONE, ESYS_TR_NONE, &chunk, TPM2_RH_NULL, &mac, &ticket);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_FlushContext(st->esys, seq);
        return rc;
    }
    Esys_Free(mac);
    Esys_Free(ticket);
    return rc;
}

static TSS2_RC raw_sign(struct raw_state *st, TPMI_ALG_SIG_SCHEME alg)
{
    TPMT_SIG_SCHEME scheme = { .scheme = alg };
    TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK,
                                 .hierarchy = TPM2_RH_NULL };
    TPMT_SIGNATURE *sig = NULL;
    TSS2_RC rc;

    scheme.details.any.hashAlg = TPM2_ALG_SHA256;
    rc = Esys_Sign(st->esys, st->key, sess(st, 0, ESYS_TR_PASSWORD),
                   ESYS_TR_NONE, ESYS_TR_NONE, &st->digest, &scheme, &ticket,
                   &sig);
    Esys_Free(sig);
    return rc;
}

static TSS2_RC raw_command(struct raw_state *st);

/* tpmkit's parking around one command: reload the session (if the command
 * uses one) and the key from their saved contexts, then flush the key and
 * save the session. */
static int raw_run(void *p)
{
    struct raw_state *st = p;
    TPMS_CONTEXT *saved = NULL;
    TSS2_RC rc;

    if (!st->arg->park)
        return raw_command(st) == TSS2_RC_SUCCESS;
    rc = st->saved_session != NULL
             ? Esys_ContextLoad(st->esys, st->saved_session, &st->session)
             : TSS2_RC_SUCCESS;
    if (rc == TSS2_RC_SUCCESS
        && (rc = Esys_ContextLoad(st->esys, st->saved_key, &st->key))
               == TSS2_RC_SUCCESS) {
        rc = raw_command(st);
        Esys_FlushContext(st->esys, st->key);
        st->key = ESYS_TR_NONE;
    }
    if (st->session != ESYS_TR_NONE) {
        if (Esys_ContextSave(st->esys, st->session, &saved)
            == TSS2_RC_SUCCESS) {
            Esys_Free(st->saved_session);
            st->saved_session = saved;
        } else {
            Esys_FlushContext(st->esys, st->session);
            rc = rc != TSS2_RC_SUCCESS ? rc : TSS2_ESYS_RC_GENERAL_FAILURE;
        }
        st->session = ESYS_TR_NONE;
    }
    if (rc != TSS2_RC_SUCCESS)
        fprintf(stderr, "tpmkit-bench: raw ESYS parking failed: %s (0x%x)\n",
                Tss2_RC_Decode(rc), (unsigned)rc);
    return rc == TSS2_RC_SUCCESS;
}

static TSS2_RC raw_command(struct raw_state *st)
{
    TPMT_RSA_DECRYPT none = { .scheme = TPM2_ALG_NULL };
    TPM2B_DATA label = { 0 };
    TPM2B_PUBLIC_KEY_RSA *rsa_out = NULL;
    TPM2B_ECC_POINT *z = NULL;
    TPM2B_DIGEST *bytes = NULL;
    TSS2_RC rc = TSS2_RC_SUCCESS;

    switch (st->arg->op) {
    case RAW_RANDOM:
        for (size_t done = 0; done < st->arg->size && rc == TSS2_RC_SUCCESS;) {
            size_t want = st->arg->size - done > 64 ? 64 : st->arg->size - done;

            rc = Esys_GetRandom(
                st->esys, sess(st, TPMA_SESSION_ENCRYPT, ESYS_TR_NONE),
                ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)want, &bytes);
            if (rc == TSS2_RC_SUCCESS)
                done += bytes->size;
            Esys_Free(bytes);
            bytes = NULL;
        }
        break;
    case RAW_SIGN_RSASSA:
        rc = raw_sign(st, TPM2_ALG_RSASSA);
        break;
    case RAW_SIGN_ECDSA:
        rc = raw_sign(st, TPM2_ALG_ECDSA);
        break;
    case RAW_RSA_RAW:
        rc = Esys_RSA_Decrypt(
            st->esys, st->key, sess(st, TPMA_SESSION_ENCRYPT, ESYS_TR_PASSWORD),
            ESYS_TR_NONE, ESYS_TR_NONE, &st->rsa_in, &none, &label, &rsa_out);
        Esys_Free(rsa_out);
        break;
    case RAW_ECDH:
        rc = Esys_ECDH_ZGen(st->esys, st->key,
                            sess(st, TPMA_SESSION_ENCRYPT, ESYS_TR_PASSWORD),
                            ESYS_TR_NONE, ESYS_TR_NONE, &st->peer, &z);
        Esys_Free(z);
        break;
    case RAW_HMAC:
        rc = raw_hmac(st);
        break;
    }
    if (rc != TSS2_RC_SUCCESS)
        fprintf(stderr, "tpmkit-bench: raw ESYS command failed: %s (0x%x)\n",
                Tss2_RC_Decode(rc), (unsigned)rc);
    return rc;
}

const bench_impl raw_impl = { raw_setup, raw_run, raw_done, NULL };

/* --- first use, in a fresh process --------------------------------------- */

int raw_first_use(const char *keys, double ms[4], char *why)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    ESYS_TR session = ESYS_TR_NONE, key = ESYS_TR_NONE, primary;
    TPM2B_DIGEST *bytes = NULL, digest = { .size = 32 };
    TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
    TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK,
                                 .hierarchy = TPM2_RH_NULL };
    TPMT_SIGNATURE *sig = NULL;
    char path[512];
    double t;
    TSS2_RC rc;
    int ok = 0;

    scheme.details.any.hashAlg = TPM2_ALG_SHA256;
    t = bench_now();
    if (!connect_tpm(&tcti, &esys, why))
        return 0;
    ms[0] = (bench_now() - t) * 1e3;

    t = bench_now();
    if (!start_session(esys, &session, why))
        goto out;
    Esys_TRSess_SetAttributes(
        esys, session, TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION,
        0xff);
    rc = Esys_GetRandom(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, 32, &bytes);
    Esys_Free(bytes);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_GetRandom", rc);
        goto out;
    }
    ms[1] = (bench_now() - t) * 1e3;

    t = bench_now();
    snprintf(path, sizeof(path), "%s/ec.pem", keys);
    if (!load_key(esys, path, &key, why))
        goto out;
    Esys_TRSess_SetAttributes(esys, session, TPMA_SESSION_CONTINUESESSION,
                              0xff);
    rc = Esys_Sign(esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &digest,
                   &scheme, &ticket, &sig);
    Esys_Free(sig);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_Sign", rc);
        goto out;
    }
    ms[2] = (bench_now() - t) * 1e3;

    t = bench_now();
    rc = create_primary(esys, &primary);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_CreatePrimary", rc);
        goto out;
    }
    ms[3] = (bench_now() - t) * 1e3;
    Esys_FlushContext(esys, primary);
    ok = 1;
out:
    if (key != ESYS_TR_NONE)
        Esys_FlushContext(esys, key);
    if (session != ESYS_TR_NONE)
        Esys_FlushContext(esys, session);
    disconnect_tpm(&tcti, &esys);
    return ok;
}

/* --- cold start: the fewest TPM commands for one operation ----------------
 *
 * What a program that knows exactly what it needs would send, in a fresh
 * process, with the same protection as tpmkit: secrets (decrypted data, a
 * MAC, random bytes) come back encrypted in a salted session; signatures
 * by keys without a password need none. The session is salted by the
 * storage primary and ends with the command (continueSession clear), so it
 * needs no FlushContext. With `srk` (a serialized ESYS_TR of the persisted
 * primary, see raw_save_srk) nothing reads the primary from the TPM: a
 * program that has its public key (as tpmkit's tpm-identity provides)
 * needs no ReadPublic. */

int raw_save_srk(const char *file, char *why)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    ESYS_TR srk, standard;
    TPM2B_NAME *n1 = NULL, *n2 = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    FILE *f;
    TSS2_RC rc;
    int ok = 0, same = 1;

    if (!connect_tpm(&tcti, &esys, why))
        return 0;
    rc = Esys_TR_FromTPMPublic(esys, 0x81000001, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, &srk);
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_TR_Serialize(esys, srk, &buf, &len);
    /* The same key as the standard primary of key files: same name. */
    if (rc == TSS2_RC_SUCCESS
        && (rc = create_primary(esys, &standard)) == TSS2_RC_SUCCESS) {
        if (Esys_TR_GetName(esys, srk, &n1) != TSS2_RC_SUCCESS
            || Esys_TR_GetName(esys, standard, &n2) != TSS2_RC_SUCCESS
            || n1->size != n2->size || memcmp(n1->name, n2->name, n1->size))
            same = 0;
        Esys_FlushContext(esys, standard);
        Esys_Free(n1);
        Esys_Free(n2);
    }
    if (rc != TSS2_RC_SUCCESS)
        rc_why(why, "reading 0x81000001", rc);
    else if (!same)
        snprintf(why, BENCH_WHY,
                 "0x81000001 is not the standard storage primary (its name "
                 "differs from the one the key-file template gives)");
    else if ((f = fopen(file, "wb")) == NULL)
        snprintf(why, BENCH_WHY, "cannot write %s", file);
    else
        ok = fwrite(buf, 1, len, f) == len && fclose(f) == 0;
    Esys_Free(buf);
    disconnect_tpm(&tcti, &esys);
    return ok;
}

static int load_srk(ESYS_CONTEXT *esys, const char *file, ESYS_TR *srk,
                    char *why)
{
    uint8_t buf[2048];
    size_t len;
    FILE *f = fopen(file, "rb");
    TSS2_RC rc;

    if (f == NULL) {
        snprintf(why, BENCH_WHY, "cannot read %s", file);
        return 0;
    }
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    rc = Esys_TR_Deserialize(esys, buf, len, srk);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "Esys_TR_Deserialize", rc);
        return 0;
    }
    return 1;
}

static int load_under(ESYS_CONTEXT *esys, ESYS_TR parent, const char *keys,
                      const char *name, ESYS_TR *key, char *why)
{
    TPM2B_PUBLIC pub = { 0 };
    TPM2B_PRIVATE priv = { 0 };
    char path[512];
    TSS2_RC rc;

    snprintf(path, sizeof(path), "%s/%s", keys, name);
    if (!read_key_blobs(path, &pub, &priv, why))
        return 0;
    rc = Esys_Load(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                   &priv, &pub, key);
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_Load", rc);
        return 0;
    }
    return 1;
}

/* A salted session that encrypts the response of one command, then ends. */
static int one_shot_session(ESYS_CONTEXT *esys, ESYS_TR salt, ESYS_TR *session,
                            char *why)
{
    TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES,
                         .keyBits.aes = 128,
                         .mode.aes = TPM2_ALG_CFB };
    TSS2_RC rc = Esys_StartAuthSession(
        esys, salt, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
        NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, session);

    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_StartAuthSession", rc);
        return 0;
    }
    Esys_TRSess_SetAttributes(esys, *session, TPMA_SESSION_ENCRYPT, 0xff);
    return 1;
}

int raw_minimal(const char *keys, const char *op, const char *srk, char *why)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    ESYS_TR parent = ESYS_TR_NONE, key = ESYS_TR_NONE, session = ESYS_TR_NONE;
    int sign_ec = strcmp(op, "sign-ec") == 0,
        sign_rsa = !strcmp(op, "sign-rsa");
    int decrypt = !strcmp(op, "decrypt"), mac = !strcmp(op, "mac");
    int rnd = !strcmp(op, "rand");
    const char *keyfile = sign_ec               ? "ec.pem"
                          : sign_rsa || decrypt ? "rsa.pem"
                          : mac                 ? "hmac.pem"
                                                : NULL;
    TSS2_RC rc = TSS2_RC_SUCCESS;
    int ok = 0;

    if (!sign_ec && !sign_rsa && !decrypt && !mac && !rnd) {
        snprintf(why, BENCH_WHY, "unknown --minimal operation %s", op);
        return 0;
    }
    if (!connect_tpm(&tcti, &esys, why))
        return 0;
    if (srk != NULL) {
        if (!load_srk(esys, srk, &parent, why))
            goto out;
    } else if ((rc = create_primary(esys, &parent)) != TSS2_RC_SUCCESS) {
        rc_why(why, "TPM2_CreatePrimary", rc);
        parent = ESYS_TR_NONE;
        goto out;
    }
    if (keyfile != NULL && !load_under(esys, parent, keys, keyfile, &key, why))
        goto out;
    if ((decrypt || mac || rnd)
        && !one_shot_session(esys, parent, &session, why))
        goto out;
    if (srk == NULL) {
        Esys_FlushContext(esys, parent);
    }
    parent = ESYS_TR_NONE; /* a persisted one is not ours to flush */
    if (sign_ec || sign_rsa) {
        TPM2B_DIGEST digest = { .size = 32 };
        TPMT_SIG_SCHEME scheme = { .scheme = sign_ec ? TPM2_ALG_ECDSA
                                                     : TPM2_ALG_RSASSA };
        TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK,
                                     .hierarchy = TPM2_RH_NULL };
        TPMT_SIGNATURE *sig = NULL;

        scheme.details.any.hashAlg = TPM2_ALG_SHA256;
        RAND_bytes(digest.buffer, 32);
        rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                       &digest, &scheme, &ticket, &sig);
        Esys_Free(sig);
    } else if (decrypt) {
        TPMT_RSA_DECRYPT none = { .scheme = TPM2_ALG_NULL };
        TPM2B_DATA label = { 0 };
        TPM2B_PUBLIC_KEY_RSA in = { .size = 256 }, *out = NULL;

        RAND_bytes(in.buffer, 256);
        in.buffer[0] = 0;
        rc = Esys_RSA_Decrypt(esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE,
                              &in, &none, &label, &out);
        Esys_Free(out);
    } else if (mac) {
        TPM2B_MAX_BUFFER data = { .size = 64 };
        TPM2B_DIGEST *out = NULL;

        rc = Esys_HMAC(esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &data,
                       TPM2_ALG_SHA256, &out);
        Esys_Free(out);
    } else {
        TPM2B_DIGEST *bytes = NULL;

        /* One DRBG seeding: 256 bits of entropy and a 128-bit nonce. */
        rc = Esys_GetRandom(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, 48,
                            &bytes);
        Esys_Free(bytes);
    }
    session = ESYS_TR_NONE; /* continueSession was clear: the TPM ended it */
    if (rc != TSS2_RC_SUCCESS) {
        rc_why(why, op, rc);
        goto out;
    }
    ok = 1;
out:
    if (key != ESYS_TR_NONE)
        Esys_FlushContext(esys, key);
    if (session != ESYS_TR_NONE)
        Esys_FlushContext(esys, session);
    if (parent != ESYS_TR_NONE && srk == NULL)
        Esys_FlushContext(esys, parent);
    disconnect_tpm(&tcti, &esys);
    return ok;
}
