/* SPDX-License-Identifier: Apache-2.0 */
/* tk_mac: TPM2-HMAC (EVP_MAC) used from C, the way an application uses it
 * (OPENSSL_CONF activates tpmkit; OpenSSL's public API only). Every MAC
 * the TPM computes is compared with the default provider's "HMAC" over the
 * same bytes with the same secret.
 *
 * A KEY argument is DIGEST:HEXSECRET:URI, e.g. SHA256:0b0b...:/tmp/h.pem or
 * SHA384:aabb...:handle:0x81008001; URI "-" passes the secret itself as the
 * MAC's `key` parameter (an ephemeral TPM object).
 *
 *   tk_mac lengths KEY...          inputs of 0 bytes to 100 KiB, fed in one
 *                                  update and in small and odd pieces;
 *                                  a context used again after final
 *   tk_mac dup KEY                 EVP_MAC_CTX_dup before any update, after
 *                                  a short one and after > 40 KiB (a TPM
 *                                  sequence is running); the original and
 *                                  the copy go on with different suffixes
 *   tk_mac many N ROUNDS KEY...    N contexts alive at once over the KEYs,
 *                                  fed in interleaved rounds, finished in
 *                                  another order
 *   tk_mac threads N PER KEY       N threads, each its own context, PER
 *                                  MACs each
 *   tk_mac threads-dup N PER KEY   N threads, each a dup of one context
 *                                  the main thread initialised
 *   tk_mac rekey KEY|digest=MD...  one context, initialised again for each
 *                                  argument in turn (a new key, or only a
 *                                  new digest for a raw key), some times
 *                                  abandoning a running sequence first
 *   tk_mac fork KEY                a forked child and its parent each
 *                                  finish a MAC the parent started, and
 *                                  compute a new one
 *
 * If TK_MAC_PASSWORD is set, every context passes it as `password`.
 *
 * Prints "ok WHAT" per verified MAC and "FAIL WHAT: ..." per failure;
 * exits 0 only if every MAC was made and equals the software HMAC. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tk_util.h"

#define MAX_MAC 64

struct key {
    char digest[16];
    unsigned char secret[256];
    size_t secret_len;
    const char *uri; /* NULL: the secret as the `key` param */
    char name[48];   /* for messages */
};

static EVP_MAC *tpm_mac;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One line to stdout or stderr per report, never interleaved. */
static void report(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report(int ok, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&out_lock);
    fputs(ok ? "ok " : "FAIL ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!ok)
        ERR_print_errors_fp(stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void parse_key(struct key *k, char *arg)
{
    char *hex, *uri;
    long len = 0;
    unsigned char *bin;

    memset(k, 0, sizeof(*k));
    hex = strchr(arg, ':');
    uri = hex != NULL ? strchr(hex + 1, ':') : NULL;
    if (uri == NULL)
        tk_die("key \"%s\": expected DIGEST:HEXSECRET:URI", arg);
    *hex++ = '\0';
    *uri++ = '\0';
    if (strlen(arg) >= sizeof(k->digest))
        tk_die("digest name \"%s\" too long", arg);
    strcpy(k->digest, arg);
    if (*hex != '\0') {
        bin = OPENSSL_hexstr2buf(hex, &len);
        if (bin == NULL || (size_t)len > sizeof(k->secret))
            tk_die("bad hex secret \"%s\"", hex);
        memcpy(k->secret, bin, (size_t)len);
        OPENSSL_free(bin);
    }
    k->secret_len = (size_t)len;
    k->uri = strcmp(uri, "-") == 0 ? NULL : uri;
    snprintf(k->name, sizeof(k->name), "%s %s", k->digest,
             k->uri == NULL                 ? "ephemeral key"
             : strrchr(k->uri, '/') != NULL ? strrchr(k->uri, '/') + 1
                                            : k->uri);
}

/* Deterministic test data: the same (seed, len) always gives the same
 * bytes, so the software side can recompute any message. */
static void fill(unsigned char *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 0x9e3779b9u;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (unsigned char)(x >> 11);
    }
}

static unsigned char *make_data(size_t len, uint32_t seed)
{
    unsigned char *buf = malloc(len > 0 ? len : 1);

    if (buf == NULL)
        tk_die("out of memory");
    fill(buf, len, seed);
    return buf;
}

/* The software HMAC of data with k's secret and digest. */
static int sw_hmac(const struct key *k, const unsigned char *data, size_t len,
                   unsigned char *out, size_t *out_len)
{
    if (EVP_Q_mac(NULL, "HMAC", "provider=default", k->digest, NULL, k->secret,
                  k->secret_len, data, len, out, MAX_MAC, out_len)
        == NULL) {
        report(0, "software HMAC-%s of %zu bytes", k->digest, len);
        return 0;
    }
    return 1;
}

/* A TPM2-HMAC context for k, initialised; NULL (reported) on failure. */
static EVP_MAC_CTX *tpm_ctx(const struct key *k)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(tpm_mac);
    OSSL_PARAM params[4];
    char *password = getenv("TK_MAC_PASSWORD");
    char digest[sizeof(k->digest)];
    unsigned char secret[sizeof(k->secret)];

    if (ctx == NULL) {
        report(0, "%s: EVP_MAC_CTX_new(TPM2-HMAC)", k->name);
        return NULL;
    }
    strcpy(digest, k->digest);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
                                                 0);
    if (k->uri != NULL) {
        params[1] = OSSL_PARAM_construct_utf8_string("key-uri", (char *)k->uri,
                                                     0);
    } else {
        memcpy(secret, k->secret, k->secret_len);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                                      secret, k->secret_len);
    }
    params[2] = password != NULL
                    ? OSSL_PARAM_construct_utf8_string("password", password, 0)
                    : OSSL_PARAM_construct_end();
    params[3] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_CTX_set_params(ctx, params)
        || !EVP_MAC_init(ctx, NULL, 0, NULL)) {
        report(0, "%s: setting up TPM2-HMAC", k->name);
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Feed data to ctx in pieces of `piece` bytes (0: one update). */
static int feed(EVP_MAC_CTX *ctx, const unsigned char *data, size_t len,
                size_t piece)
{
    size_t done = 0, n;

    if (piece == 0 || len == 0)
        return EVP_MAC_update(ctx, data, len);
    while (done < len) {
        n = len - done < piece ? len - done : piece;
        if (!EVP_MAC_update(ctx, data + done, n))
            return 0;
        done += n;
    }
    return 1;
}

static void hex(char *dst, const unsigned char *mac, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sprintf(dst + 2 * i, "%02x", mac[i]);
    dst[2 * len] = '\0';
}

/* Finish ctx and compare with the software HMAC of data: 1 if equal. */
static int finish(EVP_MAC_CTX *ctx, const struct key *k,
                  const unsigned char *data, size_t len, const char *what)
{
    unsigned char got[MAX_MAC], want[MAX_MAC];
    size_t got_len = 0, want_len = 0;
    char got_hex[2 * MAX_MAC + 1], want_hex[2 * MAX_MAC + 1];

    if (!EVP_MAC_final(ctx, got, &got_len, sizeof(got))) {
        report(0, "%s: %s: EVP_MAC_final", k->name, what);
        return 0;
    }
    if (!sw_hmac(k, data, len, want, &want_len))
        return 0;
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        hex(got_hex, got, got_len);
        hex(want_hex, want, want_len);
        report(0, "%s: %s: TPM2-HMAC %s, software HMAC %s", k->name, what,
               got_hex, want_hex);
        return 0;
    }
    report(1, "%s: %s", k->name, what);
    return 1;
}

/* --- lengths ----------------------------------------------------------- */

static int lengths(int n, char **args)
{
    static const size_t lens[] = { 0,     1,     63,    64,    65,    1023,
                                   1024,  1025,  2048,  16383, 16384, 16385,
                                   17408, 17409, 40000, 102400 };
    static const size_t pieces[] = { 0, 1000, 7 };
    int bad = 0;

    for (int i = 0; i < n; i++) {
        struct key k;
        EVP_MAC_CTX *ctx;
        size_t size;

        parse_key(&k, args[i]);
        if ((ctx = tpm_ctx(&k)) == NULL) {
            bad++;
            continue;
        }
        size = EVP_MAC_CTX_get_mac_size(ctx);
        if (size != (size_t)EVP_MD_get_size(EVP_get_digestbyname(k.digest))) {
            report(0, "%s: EVP_MAC_CTX_get_mac_size says %zu", k.name, size);
            bad++;
        }
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            unsigned char *data = make_data(lens[l], (uint32_t)(l + 1));

            for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
                char what[64];

                /* 7-byte pieces for the short inputs only: enough to cross
                 * every buffer edge without 15000 calls per key. */
                if (pieces[p] == 7 && lens[l] > 20000)
                    continue;
                snprintf(what, sizeof(what), "%zu bytes in %s", lens[l],
                         pieces[p] == 0   ? "one update"
                         : pieces[p] == 7 ? "7-byte updates"
                                          : "1000-byte updates");
                /* The same context again: init restarts it, same key. */
                if (!EVP_MAC_init(ctx, NULL, 0, NULL)
                    || !feed(ctx, data, lens[l], pieces[p])) {
                    report(0, "%s: %s: init/update", k.name, what);
                    bad++;
                    continue;
                }
                bad += !finish(ctx, &k, data, lens[l], what);
            }
            free(data);
        }
        EVP_MAC_CTX_free(ctx);
    }
    return bad;
}

/* --- dup --------------------------------------------------------------- */

/* Start a context, feed `prefix` bytes, dup it, then the original gets
 * suffix A and the copy suffix B. `order`: 0 original finishes first, 1 the
 * copy first, 2 the original is freed before the copy goes on. */
static int dup_case(const struct key *k, size_t prefix, size_t suf_a,
                    size_t suf_b, int order)
{
    size_t total_a = prefix + suf_a, total_b = prefix + suf_b;
    unsigned char *a = make_data(total_a, 7), *b = malloc(total_b + 1);
    EVP_MAC_CTX *orig, *copy = NULL;
    char what[128], what_a[160], what_b[160];
    int good = 0;

    if (b == NULL)
        tk_die("out of memory");
    memcpy(b, a, prefix);
    fill(b + prefix, suf_b, 99);
    snprintf(what, sizeof(what), "dup after %zu bytes, then +%zu / +%zu (%s)",
             prefix, suf_a, suf_b,
             order == 0   ? "original finishes first"
             : order == 1 ? "copy finishes first"
                          : "original freed first");
    if ((orig = tpm_ctx(k)) == NULL)
        goto out;
    if (!feed(orig, a, prefix, 3000)) {
        report(0, "%s: %s: update before dup", k->name, what);
        goto out;
    }
    if ((copy = EVP_MAC_CTX_dup(orig)) == NULL) {
        report(0, "%s: %s: EVP_MAC_CTX_dup", k->name, what);
        goto out;
    }
    /* The two go on in turns, 5000 bytes at a time. */
    for (size_t off = 0; off < suf_a || off < suf_b; off += 5000) {
        if ((off < suf_a
             && !feed(orig, a + prefix + off,
                      suf_a - off < 5000 ? suf_a - off : 5000, 0))
            || (off < suf_b
                && !feed(copy, b + prefix + off,
                         suf_b - off < 5000 ? suf_b - off : 5000, 0))) {
            report(0, "%s: %s: update after dup", k->name, what);
            goto out;
        }
    }
    snprintf(what_a, sizeof(what_a), "%s: the original", what);
    snprintf(what_b, sizeof(what_b), "%s: the copy", what);
    if (order == 2) {
        EVP_MAC_CTX_free(orig);
        orig = NULL;
        good = finish(copy, k, b, total_b, what_b);
        good += 1;
    } else if (order == 1) {
        good = finish(copy, k, b, total_b, what_b);
        good += finish(orig, k, a, total_a, what_a);
    } else {
        good = finish(orig, k, a, total_a, what_a);
        good += finish(copy, k, b, total_b, what_b);
    }
out:
    EVP_MAC_CTX_free(orig);
    EVP_MAC_CTX_free(copy);
    free(a);
    free(b);
    return good == 2;
}

static int dup_tests(char *arg)
{
    struct key k;
    int bad = 0;

    parse_key(&k, arg);
    bad += !dup_case(&k, 0, 100, 200, 0); /* before any update */
    bad += !dup_case(&k, 0, 30000, 5, 1);
    bad += !dup_case(&k, 100, 50, 3000, 0); /* after a short update */
    bad += !dup_case(&k, 1000, 24, 60000, 1);
    bad += !dup_case(&k, 45000, 3000, 20000, 0); /* a sequence is running */
    bad += !dup_case(&k, 45000, 0, 1, 1);
    bad += !dup_case(&k, 41000, 17000, 900, 2);
    /* A copy of a copy of a running sequence. */
    {
        unsigned char *d = make_data(70000, 3);
        EVP_MAC_CTX *c1 = tpm_ctx(&k), *c2 = NULL, *c3 = NULL;
        int good = 0;

        if (c1 != NULL && feed(c1, d, 42000, 0)
            && (c2 = EVP_MAC_CTX_dup(c1)) != NULL
            && feed(c2, d + 42000, 20000, 0)
            && (c3 = EVP_MAC_CTX_dup(c2)) != NULL
            && feed(c3, d + 62000, 8000, 0)) {
            good = finish(c3, &k, d, 70000,
                          "dup of a dup: 42000 + 20000 + 8000 bytes");
            good += finish(c1, &k, d, 42000,
                           "dup of a dup: the first context, 42000 bytes");
            good += finish(c2, &k, d, 62000,
                           "dup of a dup: the second context, 62000 bytes");
        } else {
            report(0, "%s: dup of a dup: update/dup", k.name);
        }
        bad += good != 3;
        EVP_MAC_CTX_free(c1);
        EVP_MAC_CTX_free(c2);
        EVP_MAC_CTX_free(c3);
        free(d);
    }
    return bad;
}

/* --- many contexts at once --------------------------------------------- */

#define ROUND_BYTES 3000

static int many(int n, int rounds, int nkeys, char **args)
{
    struct key *keys = calloc(nkeys, sizeof(*keys));
    EVP_MAC_CTX **ctx = calloc(n, sizeof(*ctx));
    unsigned char **data = calloc(n, sizeof(*data));
    size_t *len = calloc(n, sizeof(*len));
    int bad = 0;

    if (keys == NULL || ctx == NULL || data == NULL || len == NULL)
        tk_die("out of memory");
    for (int i = 0; i < nkeys; i++)
        parse_key(&keys[i], args[i]);
    /* Every context is initialised (its key resolved) before any is fed. */
    for (int i = 0; i < n; i++) {
        /* Every fourth context stays short: a single TPM2_HMAC at final. */
        len[i] = i % 4 == 0 ? 500 + (size_t)i : (size_t)rounds * ROUND_BYTES;
        data[i] = make_data(len[i], 1000 + (uint32_t)i);
        if ((ctx[i] = tpm_ctx(&keys[i % nkeys])) == NULL)
            bad++;
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < n; i++) {
            size_t off = (size_t)r * ROUND_BYTES, take;

            if (ctx[i] == NULL || off >= len[i])
                continue;
            take = len[i] - off < ROUND_BYTES ? len[i] - off : ROUND_BYTES;
            if (!EVP_MAC_update(ctx[i], data[i] + off, take)) {
                report(0, "%s: context %d: update in round %d",
                       keys[i % nkeys].name, i, r);
                EVP_MAC_CTX_free(ctx[i]);
                ctx[i] = NULL;
                bad++;
            }
        }
    /* Finish the odd contexts first, then the even ones backwards. */
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < n; j++) {
            int i = pass == 0 ? j : n - 1 - j;
            char what[64];

            if ((i % 2 == 1) != (pass == 0) || ctx[i] == NULL)
                continue;
            snprintf(what, sizeof(what), "context %d of %d, %zu bytes", i, n,
                     len[i]);
            bad += !finish(ctx[i], &keys[i % nkeys], data[i], len[i], what);
        }
    for (int i = 0; i < n; i++) {
        EVP_MAC_CTX_free(ctx[i]);
        free(data[i]);
    }
    free(keys);
    free(ctx);
    free(data);
    free(len);
    return bad;
}

/* --- threads ----------------------------------------------------------- */

static const size_t thread_lens[] = { 0, 1, 1024, 1025, 20000, 50000 };

struct job {
    pthread_t tid;
    int id, per, good;
    const struct key *key;
    const EVP_MAC_CTX *templ; /* threads-dup: the context to copy */
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    EVP_MAC_CTX *ctx;

    if (j->templ != NULL) {
        if ((ctx = EVP_MAC_CTX_dup(j->templ)) == NULL)
            report(0, "thread %d: EVP_MAC_CTX_dup", j->id);
    } else {
        ctx = tpm_ctx(j->key);
    }
    if (ctx == NULL)
        return NULL;
    for (int i = 0; i < j->per; i++) {
        size_t len =
            thread_lens[(j->id + i)
                        % (sizeof(thread_lens) / sizeof(thread_lens[0]))];
        unsigned char *data = make_data(len, (uint32_t)(j->id * 1000 + i));
        char what[64];

        snprintf(what, sizeof(what), "thread %d MAC %d (%zu bytes)", j->id, i,
                 len);
        /* The dup'ed context is already initialised for its first MAC. */
        if ((i > 0 || j->templ == NULL) && !EVP_MAC_init(ctx, NULL, 0, NULL)) {
            report(0, "%s: %s: EVP_MAC_init", j->key->name, what);
        } else if (!feed(ctx, data, len, 4096)) {
            report(0, "%s: %s: update", j->key->name, what);
        } else {
            j->good += finish(ctx, j->key, data, len, what);
        }
        free(data);
    }
    EVP_MAC_CTX_free(ctx);
    return NULL;
}

static int threads(int n, int per, char *arg, int use_dup)
{
    struct key k;
    struct job *jobs = calloc(n, sizeof(*jobs));
    EVP_MAC_CTX *templ = NULL;
    int bad = 0;

    if (jobs == NULL)
        tk_die("out of memory");
    parse_key(&k, arg);
    if (use_dup && (templ = tpm_ctx(&k)) == NULL) {
        free(jobs);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        jobs[i].id = i;
        jobs[i].per = per;
        jobs[i].key = &k;
        jobs[i].templ = templ;
        if (pthread_create(&jobs[i].tid, NULL, thread_main, &jobs[i]) != 0)
            tk_die("pthread_create");
    }
    for (int i = 0; i < n; i++) {
        pthread_join(jobs[i].tid, NULL);
        report(jobs[i].good == per, "thread %d: %d of %d MACs", i, jobs[i].good,
               per);
        bad += jobs[i].good != per;
    }
    /* The template still works after its copies are gone. */
    if (templ != NULL) {
        unsigned char *d = make_data(3000, 5);

        if (!feed(templ, d, 3000, 0)
            || !finish(templ, &k, d, 3000, "the template after the threads"))
            bad++;
        free(d);
        EVP_MAC_CTX_free(templ);
    }
    free(jobs);
    return bad;
}

/* --- rekey ------------------------------------------------------------- */

static int rekey(int n, char **args)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(tpm_mac);
    struct key cur;
    unsigned char *junk = make_data(20000, 77);
    int bad = 0;

    if (ctx == NULL)
        tk_die("EVP_MAC_CTX_new(TPM2-HMAC)");
    memset(&cur, 0, sizeof(cur));
    for (int i = 0; i < n; i++) {
        OSSL_PARAM params[3], *p = params;
        unsigned char secret[sizeof(cur.secret)];
        unsigned char *data = make_data(2000 + (size_t)i, 500 + (uint32_t)i);
        char what[96];

        if (strncmp(args[i], "digest=", 7) == 0) {
            /* Only the digest changes: the raw secret stays. */
            if (strlen(args[i] + 7) >= sizeof(cur.digest) || cur.uri != NULL)
                tk_die("digest= follows a raw key");
            strcpy(cur.digest, args[i] + 7);
            snprintf(cur.name, sizeof(cur.name), "%s ephemeral key",
                     cur.digest);
            *p++ = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                    cur.digest, 0);
        } else {
            parse_key(&cur, args[i]);
            *p++ = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                    cur.digest, 0);
            if (cur.uri != NULL) {
                *p++ = OSSL_PARAM_construct_utf8_string("key-uri",
                                                        (char *)cur.uri, 0);
            } else {
                memcpy(secret, cur.secret, cur.secret_len);
                *p++ = OSSL_PARAM_construct_octet_string(
                    OSSL_MAC_PARAM_KEY, secret, cur.secret_len);
            }
        }
        *p = OSSL_PARAM_construct_end();
        snprintf(what, sizeof(what), "re-initialised (step %d%s)", i + 1,
                 i % 2 == 1 ? ", a running sequence abandoned" : "");
        /* Odd steps leave a half-done MAC (a TPM sequence) behind. */
        if (i % 2 == 1 && !EVP_MAC_update(ctx, junk, 20000)) {
            report(0, "%s: %s: update", cur.name, what);
            bad++;
        } else if (!EVP_MAC_init(ctx, NULL, 0, params)
                   || !feed(ctx, data, 2000 + (size_t)i, 0)) {
            report(0, "%s: %s: init/update", cur.name, what);
            bad++;
        } else {
            bad += !finish(ctx, &cur, data, 2000 + (size_t)i, what);
        }
        OPENSSL_cleanse(secret, sizeof(secret));
        free(data);
        if (i == 0 && i + 1 < n && !EVP_MAC_init(ctx, NULL, 0, NULL))
            tk_die("EVP_MAC_init");
    }
    free(junk);
    EVP_MAC_CTX_free(ctx);
    return bad;
}

/* --- fork -------------------------------------------------------------- */

/* The parent starts a MAC (a TPM sequence is running) and forks; the child
 * finishes it with one suffix and makes a new MAC with a fresh context, the
 * parent finishes its own with another suffix and makes one more. */
static int forked(char *arg)
{
    struct key k;
    const size_t prefix = 30000, suffix = 2000;
    unsigned char *a = make_data(prefix + suffix, 11),
                  *b = malloc(prefix + suffix);
    unsigned char *fresh = make_data(1500, 12);
    EVP_MAC_CTX *ctx, *other;
    int status, bad = 0;
    pid_t pid;

    if (b == NULL)
        tk_die("out of memory");
    memcpy(b, a, prefix);
    fill(b + prefix, suffix, 13);
    parse_key(&k, arg);
    if ((ctx = tpm_ctx(&k)) == NULL || (other = tpm_ctx(&k)) == NULL)
        tk_die("cannot set up TPM2-HMAC");
    if (!feed(other, fresh, 700, 0)
        || !finish(other, &k, fresh, 700, "parent before fork"))
        bad++;
    if (!EVP_MAC_init(other, NULL, 0, NULL) || !feed(ctx, a, prefix, 0))
        tk_die("update before fork");
    fflush(stdout);
    pid = fork();
    if (pid < 0)
        tk_die("fork");
    if (pid == 0) {
        EVP_MAC_CTX *mine = tpm_ctx(&k);
        int cbad = 0;

        cbad += !(feed(ctx, b + prefix, suffix, 0)
                  && finish(ctx, &k, b, prefix + suffix,
                            "child finishes the MAC the parent started"));
        cbad += !(
            mine != NULL && feed(mine, fresh, 1500, 0)
            && finish(mine, &k, fresh, 1500, "child, a context of its own"));
        cbad += !(feed(other, fresh, 1200, 0)
                  && finish(other, &k, fresh, 1200,
                            "child, an inherited fresh context"));
        EVP_MAC_CTX_free(mine);
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_CTX_free(other);
        free(a);
        free(b);
        free(fresh);
        EVP_MAC_free(tpm_mac);
        exit(cbad == 0 ? 0 : 1);
    }
    bad += !(feed(ctx, a + prefix, suffix, 0)
             && finish(ctx, &k, a, prefix + suffix, "parent finishes its MAC"));
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0) {
        report(0, "child: exit status %#x", status);
        bad++;
    } else {
        report(1, "child exits 0");
    }
    bad += !(feed(other, fresh, 1500, 0)
             && finish(other, &k, fresh, 1500, "parent after the child"));
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_CTX_free(other);
    free(a);
    free(b);
    free(fresh);
    return bad;
}

int main(int argc, char **argv)
{
    int bad = -1;

    if (argc < 3)
        goto usage;
    tk_init();
    if ((tpm_mac = EVP_MAC_fetch(NULL, "TPM2-HMAC", NULL)) == NULL)
        tk_die("EVP_MAC_fetch(TPM2-HMAC)");
    if (strcmp(argv[1], "lengths") == 0)
        bad = lengths(argc - 2, argv + 2);
    else if (strcmp(argv[1], "dup") == 0 && argc == 3)
        bad = dup_tests(argv[2]);
    else if (strcmp(argv[1], "many") == 0 && argc >= 5)
        bad = many(atoi(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
    else if (strcmp(argv[1], "threads") == 0 && argc == 5)
        bad = threads(atoi(argv[2]), atoi(argv[3]), argv[4], 0);
    else if (strcmp(argv[1], "threads-dup") == 0 && argc == 5)
        bad = threads(atoi(argv[2]), atoi(argv[3]), argv[4], 1);
    else if (strcmp(argv[1], "rekey") == 0)
        bad = rekey(argc - 2, argv + 2);
    else if (strcmp(argv[1], "fork") == 0 && argc == 3)
        bad = forked(argv[2]);
    EVP_MAC_free(tpm_mac);
    if (bad < 0)
        goto usage;
    printf("%s: %d failure(s)\n", bad == 0 ? "done" : "FAILED", bad);
    return bad == 0 ? 0 : 1;
usage:
    fprintf(
        stderr,
        "usage: tk_mac lengths KEY... | dup KEY | many N ROUNDS KEY... |"
        " threads N PER KEY | threads-dup N PER KEY | rekey KEY|digest=MD... |"
        " fork KEY\n"
        "  KEY: DIGEST:HEXSECRET:URI (URI - : the secret as the key param)\n");
    return 2;
}
