/* SPDX-License-Identifier: Apache-2.0 */
/* tk_dup: copies of tpmkit keys and signature contexts, through OpenSSL's
 * public API (OPENSSL_CONF activates tpmkit).
 *
 *   tk_dup ephemeral        a TPMKIT-EPHEMERAL-EC key copied (EVP_PKEY_dup,
 *                           EVP_PKEY_copy_parameters as libssl does for a
 *                           peer's key share): a new public point set on
 *                           the copy leaves the original as it was
 *   tk_dup key KEY          a copy of a TPM key signs, also once the
 *                           original is freed, and so does a copy of the
 *                           copy once the first copy is gone; copying the
 *                           parameters does not copy the private key
 *   tk_dup sigctx KEY...    signature contexts copied after init and after
 *                           update (EVP_MD_CTX_copy_ex, EVP_PKEY_CTX_dup):
 *                           original and copy both finish with signatures
 *                           that verify
 *   tk_dup oom KEY...       the same copies, copies of the keys and of an
 *                           ephemeral key and its parameters, with the Nth
 *                           allocation failing, N = 1, 2, ... until the copy
 *                           needs no more: no crash, every copy made works,
 *                           the original still works, nothing is leaked
 *
 * Allocations are counted through CRYPTO_set_mem_functions: every tpmkit
 * key object (keymgmt/key.c) and signature context (keymgmt/signature.c)
 * made must be freed by the end, so a lost reference fails the program in
 * any build; a sanitizer build also reports any other leak. Prints one
 * "ok ..." line per check; exit 0 only if all passed. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tk_util.h"

#define EPHEMERAL "TPMKIT-EPHEMERAL-EC"
#define MAX_TRACKED 4096
#define MAX_FAILURES 20000 /* allocation failures tried per copy */

static int failed;

static void check(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    fputs(ok ? "ok " : "FAIL ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    if (!ok) {
        ERR_print_errors_fp(stderr);
        failed++;
    }
    ERR_clear_error();
}

/* --- allocations: tpmkit's key objects counted, the Nth one failed ------ */

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static void *tracked[MAX_TRACKED];
static size_t ntracked;
static long fail_in; /* > 0: fail the allocation this many from now */
static int fail_hit; /* an allocation was failed since arming */

static int is_tracked_file(const char *file)
{
    static const char *const files[] = { "keymgmt/key.c",
                                         "keymgmt/signature.c" };
    size_t n = file != NULL ? strlen(file) : 0;

    /* OpenSSL's own providers live under providers/implementations/. */
    if (n == 0 || strstr(file, "providers/") != NULL)
        return 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t m = strlen(files[i]);

        if (n >= m && strcmp(file + n - m, files[i]) == 0
            && (n == m || file[n - m - 1] == '/'))
            return 1;
    }
    return 0;
}

/* Called with mem_lock held. */
static int should_fail(void)
{
    if (fail_in > 0 && --fail_in == 0) {
        fail_hit = 1;
        return 1;
    }
    return 0;
}

static void track(void *p)
{
    if (ntracked == MAX_TRACKED) {
        fputs("tk_dup: too many tracked allocations\n", stderr);
        abort();
    }
    tracked[ntracked++] = p;
}

static int untrack(void *p)
{
    for (size_t i = 0; i < ntracked; i++)
        if (tracked[i] == p) {
            tracked[i] = tracked[--ntracked];
            return 1;
        }
    return 0;
}

static void *mem_malloc(size_t num, const char *file, int line)
{
    void *p = NULL;

    (void)line;
    if (num == 0)
        return NULL;
    pthread_mutex_lock(&mem_lock);
    if (!should_fail() && (p = malloc(num)) != NULL && is_tracked_file(file))
        track(p);
    pthread_mutex_unlock(&mem_lock);
    return p;
}

static void mem_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    if (p == NULL)
        return;
    pthread_mutex_lock(&mem_lock);
    untrack(p);
    pthread_mutex_unlock(&mem_lock);
    free(p);
}

static void *mem_realloc(void *p, size_t num, const char *file, int line)
{
    void *q = NULL;
    int was;

    if (p == NULL)
        return mem_malloc(num, file, line);
    if (num == 0) {
        mem_free(p, file, line);
        return NULL;
    }
    pthread_mutex_lock(&mem_lock);
    if (!should_fail()) {
        was = untrack(p);
        if ((q = realloc(p, num)) == NULL) {
            if (was)
                track(p);
        } else if (was || is_tracked_file(file)) {
            track(q);
        }
    }
    pthread_mutex_unlock(&mem_lock);
    return q;
}

static void arm(long n)
{
    pthread_mutex_lock(&mem_lock);
    fail_in = n;
    fail_hit = 0;
    pthread_mutex_unlock(&mem_lock);
}

/* Disarm; 1 if an allocation was failed since arm(). */
static int disarm(void)
{
    int hit;

    pthread_mutex_lock(&mem_lock);
    fail_in = 0;
    hit = fail_hit;
    pthread_mutex_unlock(&mem_lock);
    return hit;
}

static size_t live_objects(void)
{
    size_t n;

    pthread_mutex_lock(&mem_lock);
    n = ntracked;
    pthread_mutex_unlock(&mem_lock);
    return n;
}

/* --- keys ----------------------------------------------------------------- */

/* A key file's name without its directory, for messages. */
static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

static int empty_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

static EVP_PKEY *load_key(const char *path)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *pkey;

    if (bio == NULL)
        tk_die("cannot open %s", path);
    pkey = PEM_read_bio_PrivateKey(bio, NULL, empty_password, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        tk_die("cannot load the key %s", path);
    return pkey;
}

/* The public half of a key in the default provider: the verifier. */
static EVP_PKEY *public_half(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_PUBKEY(pkey, &der);
    EVP_PKEY *pub;

    if (len <= 0)
        tk_die("cannot encode a public key");
    p = der;
    pub = d2i_PUBKEY_ex(NULL, &p, len, NULL, "provider=default");
    OPENSSL_free(der);
    if (pub == NULL)
        tk_die("cannot decode a public key in the default provider");
    return pub;
}

static int verify(EVP_PKEY *pub, const unsigned char *sig, size_t siglen,
                  const char *msg)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL
             && EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL,
                                        "provider=default", pub, NULL)
                    == 1
             && EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg,
                                 strlen(msg))
                    == 1;

    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Sign msg with pkey (SHA-256), verify with pub. */
static int sign_verify(EVP_PKEY *pkey, EVP_PKEY *pub, const char *msg)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    int ok = ctx != NULL
             && EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, pkey,
                                      NULL)
                    == 1
             && EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
                               strlen(msg))
                    == 1
             && verify(pub, sig, siglen, msg);

    EVP_MD_CTX_free(ctx);
    return ok;
}

/* The encoded public point of an EC key; OPENSSL_free the result. */
static size_t point_of(EVP_PKEY *pkey, unsigned char **point)
{
    *point = NULL;
    return EVP_PKEY_get1_encoded_public_key(pkey, point);
}

static int has_point(EVP_PKEY *pkey, const unsigned char *want, size_t want_len)
{
    unsigned char *point;
    size_t len = point_of(pkey, &point);
    int same = len == want_len && len > 0 && memcmp(point, want, len) == 0;

    OPENSSL_free(point);
    return same;
}

static EVP_PKEY *ephemeral_key(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, EPHEMERAL,
                                                   "provider=tpmkit");
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1
        || EVP_PKEY_CTX_set_group_name(ctx, "P-256") != 1
        || EVP_PKEY_keygen(ctx, &pkey) != 1)
        tk_die("cannot make a " EPHEMERAL " key");
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static int derive(EVP_PKEY *key, EVP_PKEY *peer, unsigned char *secret,
                  size_t *len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1
             && EVP_PKEY_derive_set_peer(ctx, peer) == 1
             && EVP_PKEY_derive(ctx, secret, len) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* Set `point` on `copy`; the copy has it, `orig` still has `orig_point`. */
static void set_point_on_copy(const char *what, EVP_PKEY *copy, EVP_PKEY *orig,
                              const unsigned char *point, size_t len,
                              const unsigned char *orig_point, size_t orig_len)
{
    check(EVP_PKEY_set1_encoded_public_key(copy, point, len) == 1,
          "%s: a new public point is set on the copy", what);
    check(has_point(copy, point, len), "%s: the copy has the new point", what);
    check(has_point(orig, orig_point, orig_len),
          "%s: the original keeps its own point", what);
}

static void ephemeral(void)
{
    EVP_PKEY *a = ephemeral_key(), *b = ephemeral_key(), *copy, *peer;
    unsigned char *pa, *pb, s1[66], s2[66];
    size_t la = point_of(a, &pa), lb = point_of(b, &pb), n1 = sizeof(s1),
           n2 = sizeof(s2);

    if (la == 0 || lb == 0)
        tk_die("no public point on an " EPHEMERAL " key");

    copy = EVP_PKEY_dup(a);
    check(copy != NULL, "EVP_PKEY_dup of an " EPHEMERAL " key");
    if (copy != NULL) {
        check(EVP_PKEY_eq(copy, a) == 1,
              "EVP_PKEY_dup: the copy equals the original");
        set_point_on_copy("EVP_PKEY_dup", copy, a, pb, lb, pa, la);
        check(EVP_PKEY_eq(copy, a) != 1,
              "EVP_PKEY_dup: copy and original now differ");
        EVP_PKEY_free(copy);
    }

    /* libssl's client takes the server's key share this way. */
    peer = EVP_PKEY_new();
    check(peer != NULL && EVP_PKEY_copy_parameters(peer, a) == 1,
          "EVP_PKEY_copy_parameters from an " EPHEMERAL " key");
    check(EVP_PKEY_parameters_eq(peer, a) == 1,
          "EVP_PKEY_copy_parameters: the copy has the original's parameters");
    set_point_on_copy("EVP_PKEY_copy_parameters", peer, a, pb, lb, pa, la);
    check(derive(a, peer, s1, &n1) && derive(b, a, s2, &n2) && n1 == n2
              && memcmp(s1, s2, n1) == 0,
          "ECDH with the peer key made that way agrees with the peer's");
    EVP_PKEY_free(peer);

    OPENSSL_free(pa);
    OPENSSL_free(pb);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

static void key(const char *file)
{
    EVP_PKEY *orig = load_key(file), *pub = public_half(orig), *copy, *copy2,
             *params;
    const char *path = base(file);
    int is_ec = EVP_PKEY_is_a(orig, "EC");

    copy = EVP_PKEY_dup(orig);
    check(copy != NULL, "%s: EVP_PKEY_dup", path);
    if (copy == NULL)
        goto end;
    check(EVP_PKEY_eq(copy, orig) == 1, "%s: the copy equals the original",
          path);
    check(sign_verify(copy, pub, "by the copy"), "%s: the copy signs", path);
    EVP_PKEY_free(orig);
    orig = NULL;
    check(sign_verify(copy, pub, "by the copy, original gone"),
          "%s: the copy signs after the original is freed", path);
    copy2 = EVP_PKEY_dup(copy);
    check(copy2 != NULL, "%s: EVP_PKEY_dup of the copy", path);
    EVP_PKEY_free(copy);
    copy = NULL;
    check(copy2 != NULL && sign_verify(copy2, pub, "by the copy of the copy"),
          "%s: the copy of the copy signs after the copy is freed", path);

    if (is_ec && copy2 != NULL) {
        params = EVP_PKEY_new();
        check(params != NULL && EVP_PKEY_copy_parameters(params, copy2) == 1,
              "%s: EVP_PKEY_copy_parameters", path);
        check(params != NULL && !sign_verify(params, pub, "no private key"),
              "%s: copied parameters hold no private key (cannot sign)", path);
        EVP_PKEY_free(params);
    }
    EVP_PKEY_free(copy2);
end:
    EVP_PKEY_free(orig);
    EVP_PKEY_free(pub);
}

/* --- copies: made, finished, and made again under failing allocations -- */

enum stage { AFTER_INIT, AFTER_UPDATE };
enum kind { MD_SIGN, MD_VERIFY, PKEY_SIGN, PKEY_COPY, PARAMS_COPY };

typedef struct dup_case {
    char what[512];
    enum kind kind;
    enum stage stage;
    EVP_PKEY *pub; /* the verifier (NULL: ephemeral key) */
    const char *msg;
    unsigned char sig[1024]; /* MD_VERIFY: what is verified */
    size_t siglen;
    unsigned char md[32]; /* PKEY_SIGN: what is signed */
    unsigned int mdlen;
} dup_case;

static const char message[] = "first then the rest of the message";
#define FIRST 5 /* bytes of it hashed before a copy "after update" */

static void *copy_of(const dup_case *c, void *src)
{
    EVP_MD_CTX *md;
    EVP_PKEY *params;

    switch (c->kind) {
    case MD_SIGN:
    case MD_VERIFY:
        if ((md = EVP_MD_CTX_new()) != NULL
            && EVP_MD_CTX_copy_ex(md, src) != 1) {
            EVP_MD_CTX_free(md);
            md = NULL;
        }
        return md;
    case PKEY_SIGN:
        return EVP_PKEY_CTX_dup(src);
    case PARAMS_COPY:
        if ((params = EVP_PKEY_new()) != NULL
            && EVP_PKEY_copy_parameters(params, src) != 1) {
            EVP_PKEY_free(params);
            params = NULL;
        }
        return params;
    default:
        return EVP_PKEY_dup(src);
    }
}

static void free_copy(const dup_case *c, void *obj)
{
    switch (c->kind) {
    case MD_SIGN:
    case MD_VERIFY:
        EVP_MD_CTX_free(obj);
        break;
    case PKEY_SIGN:
        EVP_PKEY_CTX_free(obj);
        break;
    default:
        EVP_PKEY_free(obj);
    }
}

/* Finish a context (or use a key): 1 if the result is right. `orig` is the
 * object `obj` was copied from (or obj itself). */
static int finish(const dup_case *c, void *obj, void *orig)
{
    const char *rest = c->stage == AFTER_INIT ? c->msg : c->msg + FIRST;
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    EVP_PKEY_CTX *vctx;
    int ok;

    switch (c->kind) {
    case MD_SIGN:
        return EVP_DigestSignUpdate(obj, rest, strlen(rest)) == 1
               && EVP_DigestSignFinal(obj, sig, &siglen) == 1
               && verify(c->pub, sig, siglen, c->msg);
    case MD_VERIFY:
        return EVP_DigestVerifyUpdate(obj, rest, strlen(rest)) == 1
               && EVP_DigestVerifyFinal(obj, c->sig, c->siglen) == 1;
    case PKEY_SIGN:
        vctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->pub, "provider=default");
        ok = EVP_PKEY_sign(obj, sig, &siglen, c->md, c->mdlen) == 1
             && vctx != NULL && EVP_PKEY_verify_init(vctx) == 1
             && EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()) == 1
             && EVP_PKEY_verify(vctx, sig, siglen, c->md, c->mdlen) == 1;
        EVP_PKEY_CTX_free(vctx);
        return ok;
    case PARAMS_COPY:
        return EVP_PKEY_parameters_eq(obj, orig) == 1;
    default:
        if (c->pub == NULL) /* an ephemeral key: the same key */
            return EVP_PKEY_eq(obj, orig) == 1;
        return sign_verify(obj, c->pub, c->msg);
    }
}

/* Copy `src` and finish the copy; with `oom`, first with the 1st, 2nd, ...
 * allocation failing until the copy needs no more than were allowed:
 * every copy made must work. Then finish `src` itself. */
static void run_case(const dup_case *c, void *src, int oom)
{
    void *dst;
    long n, failures = 0, broken = 0;
    int hit = 0;

    if (!oom) {
        dst = copy_of(c, src);
        check(dst != NULL, "%s", c->what);
        if (dst != NULL)
            check(finish(c, dst, src), "%s: the copy works", c->what);
        free_copy(c, dst);
    } else {
        for (n = 1; n <= MAX_FAILURES; n++) {
            arm(n);
            dst = copy_of(c, src);
            hit = disarm();
            ERR_clear_error();
            if (dst != NULL && !finish(c, dst, src))
                broken++;
            ERR_clear_error();
            free_copy(c, dst);
            if (!hit) {
                check(dst != NULL, "%s: copied (with %ld allocations at most)",
                      c->what, n - 1);
                break;
            }
            failures += dst == NULL;
        }
        check(!hit, "%s: a copy that needs fewer than %d allocations", c->what,
              MAX_FAILURES);
        check(broken == 0,
              "%s: every copy made despite a failed allocation"
              " works (%ld of them did not; %ld copies failed cleanly)",
              c->what, broken, failures);
    }
    check(finish(c, src, src), "%s: the original still works", c->what);
}

static void case_init(dup_case *c, enum kind kind, enum stage stage,
                      EVP_PKEY *pub, const char *path, int oom)
{
    static const char *const kinds[] = { "digest-sign context",
                                         "digest-verify context",
                                         "sign context", "key",
                                         "key's parameters" };
    static const char *const stages[] = { "after init", "after update" };
    int contexts = kind == MD_SIGN || kind == MD_VERIFY || kind == PKEY_SIGN;

    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->stage = stage;
    c->pub = pub;
    c->msg = message;
    snprintf(c->what, sizeof(c->what), "%s: %s copied%s%s%s", base(path),
             kinds[kind], contexts ? " " : "", contexts ? stages[stage] : "",
             oom ? " under failing allocations" : "");
}

static int restricted(EVP_PKEY *pkey)
{
    char text[4096];
    BIO *mem = BIO_new(BIO_s_mem());
    int n = 0;

    /* -text of a TPM key lists its attributes. */
    if (mem != NULL && EVP_PKEY_print_private(mem, pkey, 0, NULL) > 0)
        n = BIO_read(mem, text, sizeof(text) - 1);
    BIO_free(mem);
    text[n > 0 ? n : 0] = '\0';
    ERR_clear_error();
    return strstr(text, " restricted") != NULL;
}

static void sigctx(int nkeys, char **paths, int oom)
{
    for (int i = 0; i < nkeys; i++) {
        EVP_PKEY *pkey = load_key(paths[i]), *pub = public_half(pkey);
        dup_case c;

        for (int s = AFTER_INIT; s <= AFTER_UPDATE; s++) {
            EVP_MD_CTX *md = EVP_MD_CTX_new();

            case_init(&c, MD_SIGN, s, pub, paths[i], oom);
            if (md == NULL
                || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey,
                                         NULL)
                       != 1
                || (s == AFTER_UPDATE
                    && EVP_DigestSignUpdate(md, message, FIRST) != 1))
                check(0, "%s: set up", c.what);
            else
                run_case(&c, md, oom);
            EVP_MD_CTX_free(md);

            md = EVP_MD_CTX_new();
            case_init(&c, MD_VERIFY, s, pub, paths[i], oom);
            c.siglen = sizeof(c.sig);
            if (md == NULL
                || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey,
                                         NULL)
                       != 1
                || EVP_DigestSign(md, c.sig, &c.siglen,
                                  (const unsigned char *)message,
                                  strlen(message))
                       != 1
                || EVP_MD_CTX_reset(md) != 1
                || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey,
                                           NULL)
                       != 1
                || (s == AFTER_UPDATE
                    && EVP_DigestVerifyUpdate(md, message, FIRST) != 1))
                check(0, "%s: set up", c.what);
            else
                run_case(&c, md, oom);
            EVP_MD_CTX_free(md);
        }

        /* Restricted keys sign only what the TPM hashed: no bare digests. */
        if (!restricted(pkey)) {
            EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

            case_init(&c, PKEY_SIGN, AFTER_INIT, pub, paths[i], oom);
            if (pctx == NULL || EVP_PKEY_sign_init(pctx) != 1
                || EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1
                || EVP_Digest(message, strlen(message), c.md, &c.mdlen,
                              EVP_sha256(), NULL)
                       != 1)
                check(0, "%s: set up", c.what);
            else
                run_case(&c, pctx, oom);
            EVP_PKEY_CTX_free(pctx);
        }

        if (oom) {
            case_init(&c, PKEY_COPY, AFTER_INIT, pub, paths[i], oom);
            run_case(&c, pkey, oom);
        }
        EVP_PKEY_free(pub);
        EVP_PKEY_free(pkey);
    }
    if (oom) {
        EVP_PKEY *eph = ephemeral_key();
        dup_case c;

        case_init(&c, PKEY_COPY, AFTER_INIT, NULL, EPHEMERAL, oom);
        run_case(&c, eph, oom);
        case_init(&c, PARAMS_COPY, AFTER_INIT, NULL, EPHEMERAL, oom);
        run_case(&c, eph, oom);
        EVP_PKEY_free(eph);
    }
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    /* Before OpenSSL's first allocation, or it refuses. */
    if (!CRYPTO_set_mem_functions(mem_malloc, mem_realloc, mem_free)) {
        fputs("tk_dup: CRYPTO_set_mem_functions refused\n", stderr);
        return 2;
    }
    if (strcmp(cmd, "ephemeral") == 0 && argc == 2) {
        tk_init();
        ephemeral();
    } else if (strcmp(cmd, "key") == 0 && argc == 3) {
        tk_init();
        key(argv[2]);
    } else if (strcmp(cmd, "sigctx") == 0 && argc >= 3) {
        tk_init();
        sigctx(argc - 2, argv + 2, 0);
    } else if (strcmp(cmd, "oom") == 0 && argc >= 3) {
        tk_init();
        sigctx(argc - 2, argv + 2, 1);
    } else {
        fputs(
            "usage: tk_dup ephemeral | key KEY | sigctx KEY... | oom KEY...\n",
            stderr);
        return 2;
    }
    check(live_objects() == 0,
          "every tpmkit key object and signature context was freed (%zu left)",
          live_objects());
    return failed == 0 ? 0 : 1;
}
