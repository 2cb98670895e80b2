/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-aws-sigv4: the AWS Signature Version 4 headers of one HTTP
 * request, with the secret access key held in the TPM.
 *
 * SigV4 derives its signing key by a chain of HMAC-SHA256:
 *   kDate = HMAC("AWS4" + secret, yyyymmdd), kRegion = HMAC(kDate, region),
 *   kService = HMAC(kRegion, service), kSigning = HMAC(kService, "aws4_request")
 * Only the first link needs the secret. With --key-uri it runs in the TPM
 * (tpmkit's EVP_MAC "TPM2-HMAC", the key holding "AWS4" + secret); the rest
 * runs in software on kDate, which signs for one day only: what a leak of
 * this process's memory gives away expires, unlike the secret itself.
 * With --secret everything runs in software (for comparison).
 *
 * Prints "X-Amz-Date: ..." and "Authorization: ..." (plus the canonical
 * request and the string to sign with --verbose). Exit status: 0 done,
 * 1 failure, 2 usage error. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#define PROG "tpmkit-aws-sigv4"
#define MAX_HEADERS 32

/* A growing string; on allocation failure it stays marked failed. */
struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);

        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* SigV4's URI encoding: everything but A-Z a-z 0-9 - . _ ~ as %XX
 * (uppercase), and '/' too unless keep_slash. */
static void put_encoded(struct buf *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
            || (keep_slash && c == '/')) {
            put(b, (const char *)&c, 1);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };

            put(b, e, 3);
        }
    }
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Query components arrive as in a URL: undo %XX and '+' before encoding
 * them the one canonical way. */
static char *url_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i, o = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0
            && hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16
                              + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "b=2&a=1" -> "a=1&b=2": each name and value encoded, sorted by name,
 * then value (sorting the encoded "name=value" strings does both, since
 * '=' sorts before every encoded character). */
static int canonical_query(struct buf *out, const char *query)
{
    char *copy = strdup(query), **items = NULL, *tok, *save = NULL;
    size_t n = 0, i;
    int ok = 0;

    if (copy == NULL)
        return 0;
    items = calloc(strlen(query) / 2 + 2, sizeof(*items));
    if (items == NULL)
        goto done;
    for (tok = strtok_r(copy, "&", &save); tok != NULL;
         tok = strtok_r(NULL, "&", &save)) {
        const char *eq = strchr(tok, '=');
        size_t klen = eq != NULL ? (size_t)(eq - tok) : strlen(tok);
        char *k = url_decode(tok, klen);
        char *v = url_decode(eq != NULL ? eq + 1 : "",
                             eq != NULL ? strlen(eq + 1) : 0);
        struct buf item = { 0 };

        if (k != NULL && v != NULL) {
            put_encoded(&item, k, strlen(k), 0);
            put(&item, "=", 1);
            put_encoded(&item, v, strlen(v), 0);
        }
        free(k);
        free(v);
        if (k == NULL || v == NULL || item.failed || item.p == NULL) {
            free(item.p);
            goto done;
        }
        items[n++] = item.p;
    }
    qsort(items, n, sizeof(*items), cmp_str);
    for (i = 0; i < n; i++) {
        if (i > 0)
            put(out, "&", 1);
        puts_(out, items[i]);
    }
    ok = !out->failed;

done:
    for (i = 0; items != NULL && i < n; i++)
        free(items[i]);
    free(items);
    free(copy);
    return ok;
}

struct header {
    char *name;  /* lowercase */
    char *value; /* trimmed, inner spaces collapsed */
};

static int cmp_header(const void *a, const void *b)
{
    return strcmp(((const struct header *)a)->name,
                  ((const struct header *)b)->name);
}

static int add_header(struct header *h, size_t *n, const char *name,
                      size_t nlen, const char *value)
{
    char *nm, *v, *o;
    size_t i;

    if (*n >= MAX_HEADERS)
        return 0;
    if ((nm = strndup(name, nlen)) == NULL
        || (v = malloc(strlen(value) + 1)) == NULL) {
        free(nm);
        return 0;
    }
    for (i = 0; nm[i] != '\0'; i++)
        nm[i] = (char)tolower((unsigned char)nm[i]);
    for (o = v; *value != '\0'; value++) {
        if (isspace((unsigned char)*value)) {
            if (o != v && !isspace((unsigned char)value[1]) && value[1] != '\0')
                *o++ = ' ';
        } else {
            *o++ = *value;
        }
    }
    *o = '\0';
    h[*n].name = nm;
    h[*n].value = v;
    (*n)++;
    return 1;
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    int i;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return 0;
    for (i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 1;
}

/* One software HMAC-SHA256. */
static int hmac_sw(const unsigned char *key, size_t keylen, const char *msg,
                   unsigned char out[32])
{
    size_t len = 0;

    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
                     (const unsigned char *)msg, strlen(msg), out, 32, &len)
               != NULL
           && len == 32;
}

/* kDate in the TPM: HMAC(key held by the TPM, date). */
static int kdate_tpm(const char *key_uri, const char *date,
                     unsigned char out[32], OSSL_PROVIDER **loaded)
{
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[3];
    size_t len = 0;
    int ok = 0;

    ERR_set_mark();
    mac = EVP_MAC_fetch(NULL, "TPM2-HMAC", NULL);
    ERR_pop_to_mark();
    if (mac == NULL) {
        /* Not activated by the configuration: load it (OPENSSL_MODULES or
         * openssl.cnf says where), and default beside it, since loading a
         * provider by hand turns off the implicit default. */
        if ((loaded[0] = OSSL_PROVIDER_load(NULL, "tpmkit")) == NULL
            || (loaded[1] = OSSL_PROVIDER_load(NULL, "default")) == NULL
            || (mac = EVP_MAC_fetch(NULL, "TPM2-HMAC", NULL)) == NULL) {
            fprintf(stderr, PROG
                    ": TPM2-HMAC is not available: cannot load the"
                    " tpmkit provider (set OPENSSL_MODULES to the directory of"
                    " tpmkit.so, or activate tpmkit in openssl.cnf)\n");
            return 0;
        }
    }
    params[0] = OSSL_PARAM_construct_utf8_string("key-uri", (char *)key_uri, 0);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_MAC_CTX_new(mac)) == NULL
        || !EVP_MAC_init(ctx, NULL, 0, params)
        || !EVP_MAC_update(ctx, (const unsigned char *)date, strlen(date))
        || !EVP_MAC_final(ctx, out, &len, 32) || len != 32)
        fprintf(stderr, PROG ": HMAC with the TPM key %s failed\n", key_uri);
    else
        ok = 1;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: " PROG " (--key-uri URI | --secret SECRET) --access-key ID\n"
        "           --region R --service S --host HOST [options]\n"
        "  --key-uri URI      TPM HMAC key (file or handle:0x81xxxxxx) holding "
        "\"AWS4\"+secret:\n"
        "                     openssl genpkey -provider tpmkit -provider "
        "default -algorithm TPM2-HMAC \\\n"
        "                       -pkeyopt digest:SHA256 -pkeyopt "
        "key:AWS4<secret> -out aws.pem\n"
        "  --secret SECRET    the secret access key, in software ('-': read a "
        "line from stdin)\n"
        "  --date STAMP       request time, yyyymmddThhmmssZ (default: now)\n"
        "  --method M         (default GET)\n"
        "  --path P           the path, not URI-encoded (default /)\n"
        "  --query Q          query string as in the URL, e.g. 'b=2&a=1'\n"
        "  --header 'N: V'    another signed header (repeatable)\n"
        "  --payload TEXT     request body (default empty)\n"
        "  --content-sha256   also sign and print x-amz-content-sha256 (S3)\n"
        "  --verbose          print the canonical request and string to sign "
        "on stderr\n");
}

int main(int argc, char **argv)
{
    enum {
        O_KEY_URI = 256,
        O_SECRET,
        O_ACCESS,
        O_DATE,
        O_REGION,
        O_SERVICE,
        O_METHOD,
        O_HOST,
        O_PATH,
        O_QUERY,
        O_HEADER,
        O_PAYLOAD,
        O_CSHA,
        O_VERBOSE,
        O_HELP
    };
    static const struct option opts[] = {
        { "key-uri", required_argument, NULL, O_KEY_URI },
        { "secret", required_argument, NULL, O_SECRET },
        { "access-key", required_argument, NULL, O_ACCESS },
        { "date", required_argument, NULL, O_DATE },
        { "region", required_argument, NULL, O_REGION },
        { "service", required_argument, NULL, O_SERVICE },
        { "method", required_argument, NULL, O_METHOD },
        { "host", required_argument, NULL, O_HOST },
        { "path", required_argument, NULL, O_PATH },
        { "query", required_argument, NULL, O_QUERY },
        { "header", required_argument, NULL, O_HEADER },
        { "payload", required_argument, NULL, O_PAYLOAD },
        { "content-sha256", no_argument, NULL, O_CSHA },
        { "verbose", no_argument, NULL, O_VERBOSE },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *key_uri = NULL, *secret = NULL, *access = NULL, *date = NULL;
    const char *region = NULL, *service = NULL, *method = "GET", *host = NULL;
    const char *path = "/", *query = "", *payload = "";
    const char *extra[MAX_HEADERS];
    size_t n_extra = 0, n_hdr = 0, i;
    int csha = 0, verbose = 0, c, rc = 1;
    struct header hdr[MAX_HEADERS + 3];
    struct buf creq = { 0 }, sts = { 0 }, signed_names = { 0 }, scope = { 0 };
    char stamp[32], day[9], payload_hash[65], creq_hash[65], sig_hex[65];
    char line[1024];
    unsigned char k[32], sig[32], *akey = NULL;
    size_t akey_len = 0;
    OSSL_PROVIDER *loaded[2] = { NULL, NULL };

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_KEY_URI:
            key_uri = optarg;
            break;
        case O_SECRET:
            secret = optarg;
            break;
        case O_ACCESS:
            access = optarg;
            break;
        case O_DATE:
            date = optarg;
            break;
        case O_REGION:
            region = optarg;
            break;
        case O_SERVICE:
            service = optarg;
            break;
        case O_METHOD:
            method = optarg;
            break;
        case O_HOST:
            host = optarg;
            break;
        case O_PATH:
            path = optarg;
            break;
        case O_QUERY:
            query = optarg;
            break;
        case O_PAYLOAD:
            payload = optarg;
            break;
        case O_CSHA:
            csha = 1;
            break;
        case O_VERBOSE:
            verbose = 1;
            break;
        case O_HEADER:
            if (n_extra == MAX_HEADERS || strchr(optarg, ':') == NULL) {
                fprintf(stderr, PROG ": --header 'Name: value', at most %d\n",
                        MAX_HEADERS);
                return 2;
            }
            extra[n_extra++] = optarg;
            break;
        case O_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || (key_uri == NULL) == (secret == NULL) || access == NULL
        || region == NULL || service == NULL || host == NULL) {
        fprintf(stderr,
                PROG ": need one of --key-uri and --secret, and --access-key,"
                     " --region, --service, --host\n");
        usage(stderr);
        return 2;
    }
    if (date == NULL) {
        time_t now = time(NULL);
        struct tm tm;

        if (gmtime_r(&now, &tm) == NULL
            || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
            return 1;
        date = stamp;
    }
    if (strlen(date) != 16 || date[8] != 'T' || date[15] != 'Z') {
        fprintf(stderr, PROG ": --date wants yyyymmddThhmmssZ, not '%s'\n",
                date);
        return 2;
    }
    memcpy(day, date, 8);
    day[8] = '\0';
    if (secret != NULL && strcmp(secret, "-") == 0) {
        if (fgets(line, sizeof(line), stdin) == NULL) {
            fprintf(stderr, PROG ": no secret on stdin\n");
            return 2;
        }
        line[strcspn(line, "\r\n")] = '\0';
        secret = line;
    }

    if (!sha256_hex(payload, strlen(payload), payload_hash))
        goto err;
    /* The signed headers: host and x-amz-date always, then the caller's. */
    if (!add_header(hdr, &n_hdr, "host", 4, host)
        || !add_header(hdr, &n_hdr, "x-amz-date", 10, date)
        || (csha
            && !add_header(hdr, &n_hdr, "x-amz-content-sha256", 20,
                           payload_hash)))
        goto err;
    for (i = 0; i < n_extra; i++)
        if (!add_header(hdr, &n_hdr, extra[i],
                        (size_t)(strchr(extra[i], ':') - extra[i]),
                        strchr(extra[i], ':') + 1))
            goto err;
    qsort(hdr, n_hdr, sizeof(hdr[0]), cmp_header);

    /* Canonical request. */
    puts_(&creq, method);
    put(&creq, "\n", 1);
    put_encoded(&creq, path, strlen(path), 1);
    put(&creq, "\n", 1);
    if (!canonical_query(&creq, query))
        goto err;
    put(&creq, "\n", 1);
    for (i = 0; i < n_hdr; i++) {
        puts_(&creq, hdr[i].name);
        put(&creq, ":", 1);
        puts_(&creq, hdr[i].value);
        put(&creq, "\n", 1);
        if (i > 0)
            put(&signed_names, ";", 1);
        puts_(&signed_names, hdr[i].name);
    }
    put(&creq, "\n", 1);
    puts_(&creq, signed_names.p);
    put(&creq, "\n", 1);
    puts_(&creq, payload_hash);
    if (creq.failed || signed_names.failed
        || !sha256_hex(creq.p, creq.len, creq_hash))
        goto err;

    /* String to sign. */
    puts_(&scope, day);
    put(&scope, "/", 1);
    puts_(&scope, region);
    put(&scope, "/", 1);
    puts_(&scope, service);
    puts_(&scope, "/aws4_request");
    puts_(&sts, "AWS4-HMAC-SHA256\n");
    puts_(&sts, date);
    put(&sts, "\n", 1);
    puts_(&sts, scope.p);
    put(&sts, "\n", 1);
    puts_(&sts, creq_hash);
    if (scope.failed || sts.failed)
        goto err;
    if (verbose)
        fprintf(stderr, "canonical request:\n%s\n\nstring to sign:\n%s\n\n",
                creq.p, sts.p);

    /* The key chain; the first link in the TPM with --key-uri. */
    if (key_uri != NULL) {
        if (!kdate_tpm(key_uri, day, k, loaded))
            goto err;
    } else {
        akey_len = 4 + strlen(secret);
        if ((akey = OPENSSL_secure_malloc(akey_len + 1)) == NULL)
            goto err;
        snprintf((char *)akey, akey_len + 1, "AWS4%s", secret);
        OPENSSL_cleanse(line, sizeof(line));
        if (!hmac_sw(akey, akey_len, day, k))
            goto err;
    }
    if (!hmac_sw(k, 32, region, k) || !hmac_sw(k, 32, service, k)
        || !hmac_sw(k, 32, "aws4_request", k) || !hmac_sw(k, 32, sts.p, sig))
        goto err;
    for (i = 0; i < 32; i++)
        snprintf(sig_hex + 2 * i, 3, "%02x", sig[i]);

    printf("X-Amz-Date: %s\n", date);
    if (csha)
        printf("x-amz-content-sha256: %s\n", payload_hash);
    printf("Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s,"
           " Signature=%s\n",
           access, scope.p, signed_names.p, sig_hex);
    rc = 0;
    goto done;

err:
    fprintf(stderr, PROG ": signing failed\n");
    ERR_print_errors_fp(stderr);
done:
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_secure_clear_free(akey, akey_len + 1);
    for (i = 0; i < n_hdr; i++) {
        free(hdr[i].name);
        free(hdr[i].value);
    }
    free(creq.p);
    free(sts.p);
    free(signed_names.p);
    free(scope.p);
    OSSL_PROVIDER_unload(loaded[0]);
    OSSL_PROVIDER_unload(loaded[1]);
    return rc;
}
