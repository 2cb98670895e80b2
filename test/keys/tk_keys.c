/* SPDX-License-Identifier: Apache-2.0 */
/* tk_keys: TPM key files used from one process, the way an application
 * uses them (OPENSSL_CONF activates tpmkit; OpenSSL's public API only).
 *
 *   tk_keys many ROUNDS KEY...     load every KEY, then ROUNDS times sign
 *                                  with each in turn (more keys than the
 *                                  TPM has object slots)
 *   tk_keys threads N PER KEY      N threads sign PER times each with one
 *                                  shared EVP_PKEY
 *   tk_keys fork N KEY             the parent loads KEY and signs, N forked
 *                                  children sign at once, the parent signs
 *                                  again
 *
 * Every signature is verified with the key's public half in the default
 * provider. Prints one "ok ..." line per signature; exit 0 only if all of
 * them were made and verified. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tk_util.h"

struct key {
    const char *path;
    EVP_PKEY *pkey; /* the TPM key (tpmkit) */
    EVP_PKEY *pub;  /* its public half, in the default provider */
};

static void load_key(struct key *k, const char *path)
{
    BIO *bio = BIO_new_file(path, "r");
    unsigned char *der = NULL;
    const unsigned char *p;
    int len;

    k->path = path;
    if (bio == NULL)
        tk_die("cannot open %s", path);
    k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (k->pkey == NULL)
        tk_die("cannot load the key %s", path);
    len = i2d_PUBKEY(k->pkey, &der);
    if (len <= 0)
        tk_die("cannot encode the public key of %s", path);
    p = der;
    k->pub = d2i_PUBKEY_ex(NULL, &p, len, NULL, "provider=default");
    OPENSSL_free(der);
    if (k->pub == NULL)
        tk_die("cannot decode the public key of %s in the default provider",
               path);
}

/* Sign msg with the TPM key and verify with the public half: 1 if both
 * worked, else 0 with OpenSSL's errors printed. */
static int sign_verify(const struct key *k, const char *msg)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    int ok = 0;

    if (ctx == NULL)
        goto out;
    if (EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, k->pkey, NULL)
            != 1
        || EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
                          strlen(msg))
               != 1) {
        fprintf(stderr, "%s: signing failed\n", k->path);
        goto out;
    }
    EVP_MD_CTX_reset(ctx);
    if (EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, "provider=default",
                                k->pub, NULL)
            != 1
        || EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg,
                            strlen(msg))
               != 1) {
        fprintf(stderr, "%s: the signature does not verify\n", k->path);
        goto out;
    }
    ok = 1;
out:
    if (!ok)
        ERR_print_errors_fp(stderr);
    EVP_MD_CTX_free(ctx);
    return ok;
}

static int many(int rounds, int n, char **paths)
{
    struct key *keys = calloc(n, sizeof(*keys));
    int r, i, bad = 0;
    char msg[64];

    if (keys == NULL)
        tk_die("out of memory");
    for (i = 0; i < n; i++)
        load_key(&keys[i], paths[i]);
    for (r = 1; r <= rounds; r++)
        for (i = 0; i < n; i++) {
            snprintf(msg, sizeof(msg), "round %d key %d", r, i);
            if (sign_verify(&keys[i], msg)) {
                printf("ok round %d key %d\n", r, i);
            } else {
                printf("FAIL round %d key %d\n", r, i);
                bad++;
            }
            fflush(stdout);
        }
    for (i = 0; i < n; i++) {
        EVP_PKEY_free(keys[i].pkey);
        EVP_PKEY_free(keys[i].pub);
    }
    free(keys);
    return bad == 0 ? 0 : 1;
}

struct job {
    pthread_t tid;
    int id, per, good;
    const struct key *key;
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    char msg[64];
    int i;

    for (i = 0; i < j->per; i++) {
        snprintf(msg, sizeof(msg), "thread %d signature %d", j->id, i);
        j->good += sign_verify(j->key, msg);
    }
    return NULL;
}

static int threads(int n, int per, const char *path)
{
    struct key key;
    struct job *jobs = calloc(n, sizeof(*jobs));
    int i, bad = 0;

    if (jobs == NULL)
        tk_die("out of memory");
    load_key(&key, path);
    for (i = 0; i < n; i++) {
        jobs[i].id = i;
        jobs[i].per = per;
        jobs[i].key = &key;
        if (pthread_create(&jobs[i].tid, NULL, thread_main, &jobs[i]) != 0)
            tk_die("pthread_create");
    }
    for (i = 0; i < n; i++) {
        pthread_join(jobs[i].tid, NULL);
        printf("%s thread %d: %d of %d signatures\n",
               jobs[i].good == per ? "ok" : "FAIL", i, jobs[i].good, per);
        bad += jobs[i].good != per;
    }
    EVP_PKEY_free(key.pkey);
    EVP_PKEY_free(key.pub);
    free(jobs);
    return bad == 0 ? 0 : 1;
}

static int forked(int n, const char *path)
{
    struct key key;
    pid_t *pids = calloc(n, sizeof(*pids));
    int i, status, bad = 0;
    char msg[64];

    if (pids == NULL)
        tk_die("out of memory");
    load_key(&key, path);
    if (!sign_verify(&key, "parent before fork"))
        tk_die("the parent cannot sign before fork");
    printf("ok parent before fork\n");
    fflush(stdout);
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            tk_die("fork");
        if (pids[i] == 0) {
            int good = 0, k;

            for (k = 0; k < 2; k++) {
                snprintf(msg, sizeof(msg), "child %d signature %d", i, k);
                good += sign_verify(&key, msg);
            }
            printf("%s child %d: %d of 2 signatures\n",
                   good == 2 ? "ok" : "FAIL", i, good);
            fflush(stdout);
            EVP_PKEY_free(key.pkey);
            EVP_PKEY_free(key.pub);
            free(pids);
            exit(good == 2 ? 0 : 1);
        }
    }
    for (i = 0; i < n; i++) {
        if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status)
            || WEXITSTATUS(status) != 0) {
            printf("FAIL child %d: status %#x\n", i, status);
            bad++;
        }
    }
    if (sign_verify(&key, "parent after fork")) {
        printf("ok parent after fork\n");
    } else {
        printf("FAIL parent after fork\n");
        bad++;
    }
    EVP_PKEY_free(key.pkey);
    EVP_PKEY_free(key.pub);
    free(pids);
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        goto usage;
    tk_init();
    if (strcmp(argv[1], "many") == 0 && argc >= 4)
        return many(atoi(argv[2]), argc - 3, argv + 3);
    if (strcmp(argv[1], "threads") == 0 && argc == 5)
        return threads(atoi(argv[2]), atoi(argv[3]), argv[4]);
    if (strcmp(argv[1], "fork") == 0 && argc == 4)
        return forked(atoi(argv[2]), argv[3]);
usage:
    fprintf(
        stderr,
        "usage: tk_keys many ROUNDS KEY... | threads N PER KEY | fork N KEY\n");
    return 2;
}
