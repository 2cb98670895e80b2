/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "identity.h"
#include "state.h"
#include "../provider/errors.h"

static void invalid(tk_identity *id, const char *fmt, const char *arg)
{
    id->kind = TK_IDENTITY_INVALID;
    snprintf(id->invalid, sizeof(id->invalid), fmt, arg);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tk_identity_hex_name(const char *hex, size_t len, TPM2B_NAME *name)
{
    /* nameAlg (2 bytes) and a SHA-1..SHA-512 digest */
    if (len % 2 != 0 || len / 2 < 2 + 20 || len / 2 > sizeof(name->name))
        return 0;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return 0;
        name->name[i] = (BYTE)(hi << 4 | lo);
    }
    name->size = (UINT16)(len / 2);
    return 1;
}

static void parse_name(const char *hex, tk_identity *id)
{
    if (!tk_identity_hex_name(hex, strlen(hex), &id->name)) {
        invalid(id,
                "tpm-identity name:%s is not a TPM name in hex"
                " (tpmkit-status --pin prints the current one)",
                hex);
        return;
    }
    id->kind = TK_IDENTITY_NAME;
}

static int coordinate(const EVP_PKEY *pkey, const char *which,
                      TPM2B_ECC_PARAMETER *out)
{
    BIGNUM *bn = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, which, &bn)
             && BN_bn2binpad(bn, out->buffer, 32) == 32;

    out->size = ok ? 32 : 0;
    BN_free(bn);
    return ok;
}

static void parse_srk_pem(const char *path, tk_identity *id)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
                                 : NULL;
    char group[32] = "";

    if (bio == NULL)
        invalid(id, "tpm-identity srk-pem: cannot open %s", path);
    else if (pkey == NULL)
        invalid(id, "tpm-identity srk-pem: %s holds no PEM public key", path);
    else if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                             group, sizeof(group), NULL)
             || strcmp(group, "prime256v1") != 0
             || !coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &id->point.x)
             || !coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &id->point.y))
        invalid(id,
                "tpm-identity srk-pem: %s is not an EC P-256 key (the"
                " standard storage primary's kind)",
                path);
    else
        id->kind = TK_IDENTITY_SRK_PEM;
    EVP_PKEY_free(pkey);
    BIO_free(bio);
}

static void parse_ek_ca(const char *path, tk_identity *id)
{
    X509_STORE *store = X509_STORE_new();

    if (strlen(path) >= sizeof(id->ca_path))
        invalid(id, "tpm-identity ek-ca: path too long (%s)", "");
    else if (store == NULL || !X509_STORE_load_file(store, path))
        invalid(id, "tpm-identity ek-ca: cannot read CA certificates from %s",
                path);
    else {
        snprintf(id->ca_path, sizeof(id->ca_path), "%s", path);
        id->kind = TK_IDENTITY_EK_CA;
    }
    X509_STORE_free(store);
}

void tk_identity_parse(const char *spec, tk_identity *id)
{
    memset(id, 0, sizeof(*id));
    if (spec == NULL || *spec == '\0')
        spec = "none";
    snprintf(id->spec, sizeof(id->spec), "%s", spec);
    if (strlen(spec) >= sizeof(id->spec))
        invalid(id, "tpm-identity is too long (%s...)", "");
    else if (strcmp(spec, "none") == 0)
        id->kind = TK_IDENTITY_NONE;
    else if (strncmp(spec, "name:", 5) == 0)
        parse_name(spec + 5, id);
    else if (strncmp(spec, "srk-pem:", 8) == 0)
        parse_srk_pem(spec + 8, id);
    else if (strncmp(spec, "ek-ca:", 6) == 0)
        parse_ek_ca(spec + 6, id);
    else if (strcmp(spec, "kernel") == 0)
        id->kind = TK_IDENTITY_KERNEL;
    else
        invalid(id,
                "tpm-identity \"%s\" is not one of none, name:HEX,"
                " srk-pem:PATH, ek-ca:PATH, kernel",
                spec);
}

void tk_identity_pin_text(const TPM2B_NAME *name, char *out, size_t out_len)
{
    size_t n = (size_t)snprintf(out, out_len, "name:");

    for (UINT16 i = 0; i < name->size && n + 2 < out_len; i++, n += 2)
        snprintf(out + n, out_len - n, "%02x", name->name[i]);
}

static int point_equal(const TPMS_ECC_POINT *a, const TPMS_ECC_POINT *b)
{
    return a->x.size == b->x.size && a->y.size == b->y.size
           && memcmp(a->x.buffer, b->x.buffer, a->x.size) == 0
           && memcmp(a->y.buffer, b->y.buffer, a->y.size) == 0;
}

TSS2_RC tk_identity_check(tk_tpm *tpm, const TPM2B_PUBLIC *pub,
                          const TPM2B_NAME *name)
{
    tk_identity *id = &tpm->identity;
    char seen[2 * sizeof(name->name) + 8];
    int ok;

    switch (id->kind) {
    case TK_IDENTITY_NONE:
    case TK_IDENTITY_EK_CA:  /* the EK salts sessions; ek.c checks it */
    case TK_IDENTITY_KERNEL: /* the null key does; nullkey.c checks it */
        return TSS2_RC_SUCCESS;
    case TK_IDENTITY_INVALID:
        id->verified = 0;
        tk_debug("%s", id->invalid);
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                       id->invalid);
    case TK_IDENTITY_NAME:
        ok = name->size == id->name.size
             && memcmp(name->name, id->name.name, name->size) == 0;
        break;
    case TK_IDENTITY_SRK_PEM:
    default:
        ok = pub->publicArea.type == TPM2_ALG_ECC
             && point_equal(&pub->publicArea.unique.ecc, &id->point);
        break;
    }
    id->verified = 0;
    if (!ok) {
        tk_identity_pin_text(name, seen, sizeof(seen));
        tk_debug("storage primary %s does not match tpm-identity %s", seen,
                 id->spec);
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                       "checking the storage key against tpm-identity (a"
                       " different key answered: an interposer on the TPM"
                       " bus, or another or cleared TPM; re-pin with"
                       " tpmkit-status --pin only if the TPM really changed)");
    }
    id->verified = 1;
    return TSS2_RC_SUCCESS;
}
