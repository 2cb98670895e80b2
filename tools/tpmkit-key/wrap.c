/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-key wrap: an existing software key into the TPM. The duplicate
 * is built here, in software, for the parent's public key (tpm/duplicate.h),
 * so the private key crosses the bus, or travels to another machine, only
 * inside it.
 *   online (no --for): TPM2_Import under the parent, and a loadable key file
 *   (2.23.133.10.1.3) with the TPM's own private blob;
 *   offline (--for PARENT.pub): no TPM at all, an importable key file
 *   (2.23.133.10.1.4) that only the TPM holding that parent can use. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>

#include "tool.h"
#include "../../decoders/keyfile_policy.h"
#include "../../tpm/duplicate.h"
#include "../../tpm/key.h"

static const char wrap_help[] =
    "Usage: tpmkit-key wrap --in SOFT.pem --out KEY.pem [--parent HANDLE]\n"
    "                       [--parent-rsa] [--password PW] [--description "
    "TEXT]\n"
    "                       [--pcr-policy SPEC [--pcr-values FILE]]\n"
    "                       [--policy-signer SIGNER.pem]\n"
    "       tpmkit-key wrap --for PARENT.pub --in SOFT.pem --out KEY.pem\n"
    "                       [--parent HANDLE | --parent-rsa] [--password PW]\n"
    "                       [--description TEXT]\n"
    "                       [--pcr-policy SPEC --pcr-values FILE]\n"
    "                       [--policy-signer SIGNER.pem]\n"
    "Put an existing software key (RSA 2048/3072, EC P-256/P-384; PEM or\n"
    "DER, PKCS#8 or traditional, unencrypted) into a TPM. The private key\n"
    "is encrypted to the TPM's storage key here; it never crosses the bus\n"
    "or the network in clear. The result works with openssl -provider\n"
    "tpmkit like a key made by the TPM (signs, decrypts, derives).\n"
    "\n"
    "  --in SOFT.pem     the software private key\n"
    "  --out KEY.pem     the TSS2 key file to write (mode 0600)\n"
    "  --password PW     a password for the TPM key (wrong guesses count\n"
    "                    toward the TPM's dictionary-attack lockout)\n"
    "  --parent HANDLE   the parent: 0x40000001, the standard storage\n"
    "                    primary (default), or a persistent storage key\n"
    "                    0x81xxxxxx\n"
    "  --parent-rsa      the parent is the RSA-2048 storage primary (for\n"
    "                    TPMs without ECC): the file says rsaParent TRUE\n"
    "  --description TEXT  a description kept in the key file (UTF-8, at\n"
    "                    most 1024 bytes)\n"
    "  --for PARENT.pub  offline, without a TPM: write an importable key\n"
    "                    file for the TPM whose storage key this is, from\n"
    "                    tpm2_readpublic -f pem (EC P-256: the standard\n"
    "                    primary; RSA 2048: needs --parent or\n"
    "                    --parent-rsa) or -o (a\n"
    "                    TPM2B_PUBLIC). The TPM imports it on first use;\n"
    "                    any other TPM refuses it\n"
    "  --pcr-policy SPEC the key works only while the PCRs in SPEC\n"
    "                    (BANK:LIST, e.g. sha256:0,2,7) hold their values\n"
    "                    now (read from this TPM), or those in --pcr-values;\n"
    "                    with --policy-signer, the first signed policy\n"
    "                    instead\n"
    "  --pcr-values FILE the values the PCRs of --pcr-policy must hold (the\n"
    "                    --for target's, or after an update) instead of\n"
    "                    this TPM's current ones: each PCR's digest in\n"
    "                    ascending PCR order, nothing else (tpm2_pcrread -o\n"
    "                    FILE SPEC writes this format); needed with --for\n"
    "  --policy-signer SIGNER.pem\n"
    "                    the key works through policies this key signs (PEM\n"
    "                    RSA or EC, private or public): add them with\n"
    "                    tpmkit-key policy add\n"
    "  --help            this text\n"
    "Keep or destroy SOFT.pem as your policy says: wrapping copies the key,\n"
    "it does not move it.\n";

static const struct option wrap_opts[] = {
    { "in", required_argument, NULL, TKK_OPT_IN },
    { "out", required_argument, NULL, TKK_OPT_OUT },
    { "password", required_argument, NULL, TKK_OPT_PASSWORD },
    { "parent", required_argument, NULL, TKK_OPT_PARENT },
    { "for", required_argument, NULL, TKK_OPT_FOR },
    { "parent-rsa", no_argument, NULL, TKK_OPT_PARENT_RSA },
    { "description", required_argument, NULL, TKK_OPT_DESCRIPTION },
    { "pcr-policy", required_argument, NULL, TKK_OPT_PCR_POLICY },
    { "pcr-values", required_argument, NULL, TKK_OPT_PCR_VALUES },
    { "policy-signer", required_argument, NULL, TKK_OPT_POLICY_SIGNER },
    { "help", no_argument, NULL, TKK_OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse(int argc, char **argv, tkk_object_args *a)
{
    int rv = tkk_parse_object_args("wrap", wrap_help, wrap_opts, 1, argc, argv,
                                   a);

    /* The target TPM's PCR values cannot be read from here. */
    if (rv < 0 && a->parent_for != NULL && a->pcr_spec != NULL
        && a->pcr_values == NULL)
        return tkk_usage("wrap",
                         "--pcr-policy with --for needs --pcr-values FILE,"
                         " the --for target's PCR values (tpm2_pcrread -o"
                         " FILE SPEC on the target): this machine's TPM does"
                         " not hold them. Or use --policy-signer SIGNER.pem,"
                         " then tpmkit-key policy add --pcr-policy SPEC on"
                         " the target");
    return rv;
}

/* A key (or public key) from PEM or DER, in the program's own context. */
static EVP_PKEY *read_pkey(int selection, const unsigned char *data, size_t len)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &pkey, NULL, NULL, NULL, selection, tkk_libctx(), NULL);
    const unsigned char *p = data;

    if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &p, &len)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

#define MAX_KEY_FILE 65536

static EVP_PKEY *read_software_key(const char *path)
{
    unsigned char *data;
    size_t len;
    EVP_PKEY *pkey = NULL;

    if (!tkk_read_file("wrap", path, MAX_KEY_FILE, &data, &len))
        return NULL;
    if (len > MAX_KEY_FILE)
        tkk_fail("wrap", "%s is too large for a private key", path);
    else if (len >= 27 && memcmp(data, "-----BEGIN TSS2 PRIVATE KEY", 27) == 0)
        tkk_fail("wrap", "%s is already a TPM key file: nothing to wrap", path);
    else if ((pkey = read_pkey(EVP_PKEY_KEYPAIR, data, len)) == NULL)
        tkk_fail("wrap",
                 "cannot read a private key from %s (PEM or DER, PKCS#8 or"
                 " traditional RSA/EC, not encrypted: decrypt it first with"
                 " openssl pkey)",
                 path);
    OPENSSL_secure_clear_free(data, MAX_KEY_FILE + 1);
    return pkey;
}

/* PARENT.pub: a marshalled TPM2B_PUBLIC (tpm2_readpublic -o) or a PEM/DER
 * public key (tpm2_readpublic -f pem). */
static int read_parent_public(const char *path, unsigned char **pub,
                              size_t *len, int *standard)
{
    unsigned char *data;
    size_t n;
    EVP_PKEY *pkey;
    int ok = 0;

    if (!tkk_read_file("wrap", path, MAX_KEY_FILE, &data, &n))
        return 0;
    if (n > MAX_KEY_FILE) {
        tkk_fail("wrap", "--for %s is too large for a public key", path);
    } else if (n >= 4 && ((size_t)data[0] << 8 | data[1]) == n - 2) {
        if (tk_dup_parent_check(data, n, standard)
            && (*pub = OPENSSL_memdup(data, n)) != NULL) {
            *len = n;
            ok = 1;
        } else {
            tkk_fail("wrap", "--for %s: no storage key to wrap for", path);
        }
    } else if ((pkey = read_pkey(EVP_PKEY_PUBLIC_KEY, data, n)) != NULL) {
        ok = tk_dup_parent_from_pkey(pkey, pub, len, standard);
        if (!ok)
            tkk_fail("wrap", "--for %s: no storage key to wrap for", path);
        EVP_PKEY_free(pkey);
    } else {
        tkk_fail("wrap",
                 "--for %s is neither a public key (tpm2_readpublic -f pem)"
                 " nor a TPM2B_PUBLIC (tpm2_readpublic -o)",
                 path);
    }
    OPENSSL_secure_clear_free(data, MAX_KEY_FILE + 1);
    return ok;
}

/* Import now and write the TPM's loadable blobs. */
static int wrap_online(tk_tpm *tpm, const tkk_object_args *a, const tk_dup *d,
                       tk_keyfile *kf)
{
    tk_tpm_key *key = NULL;
    const unsigned char *pub, *priv;
    size_t pub_len, priv_len;
    uint32_t parent;
    int ok = 0;

    key = tk_tpm_key_import(tpm, a->parent, d->pub, d->pub_len, d->dup,
                            d->dup_len, d->seed, d->seed_len);
    if (key == NULL
        || !tk_tpm_key_blobs(key, &parent, &pub, &pub_len, &priv, &priv_len)) {
        tkk_fail("wrap", "importing %s into the TPM (%s) under %s failed",
                 a->in, tk_tpm_tcti(tpm), tkk_parent_name(a->parent));
        goto end;
    }
    tk_keyfile_set_tpm_parent(kf, parent);
    kf->pub = OPENSSL_memdup(pub, pub_len);
    kf->pub_len = pub_len;
    kf->priv = OPENSSL_memdup(priv, priv_len);
    kf->priv_len = priv_len;
    ok = kf->pub != NULL && kf->priv != NULL;
    if (!ok)
        tkk_fail("wrap", "out of memory");
end:
    tk_tpm_key_free(key);
    return ok;
}

static int parent_public_online(tk_tpm *tpm, const tkk_object_args *a,
                                unsigned char **pub, size_t *len)
{
    int standard, ok;

    ok = tk_tpm_parent_public(tpm, a->parent, pub, len)
         && tk_dup_parent_check(*pub, *len, &standard);
    if (!ok)
        tkk_fail("wrap", "reading the parent %s from the TPM (%s)",
                 tkk_parent_name(a->parent), tk_tpm_tcti(tpm));
    return ok;
}

int tkk_wrap(int argc, char **argv)
{
    tkk_object_args a;
    EVP_PKEY *soft = NULL;
    unsigned char *parent_pub = NULL;
    size_t parent_len = 0, auth_len;
    tk_dup d = { 0 };
    tk_tpm_new_policy pol = { 0 };
    tk_keyfile kf;
    tk_tpm *tpm = NULL;
    int standard = 1, rv = parse(argc, argv, &a);

    if (rv >= 0)
        return rv;
    memset(&kf, 0, sizeof(kf));
    rv = TKK_FAILED;
    auth_len = a.password != NULL ? strlen(a.password) : 0;
    if ((soft = read_software_key(a.in)) == NULL)
        goto end;
    if (a.parent_for != NULL) {
        if (!read_parent_public(a.parent_for, &parent_pub, &parent_len,
                                &standard))
            goto end;
        /* A file's parent 0x40000001 means the standard primary: any other
         * storage key must be named by its persistent handle. */
        if (a.parent_rsa
            && !tk_dup_parent_is_rsa_primary(parent_pub, parent_len)) {
            tkk_fail("wrap",
                     "--for %s is not an RSA 2048 storage key (AES-128-CFB,"
                     " SHA-256), which --parent-rsa says it is",
                     a.parent_for);
            goto end;
        }
        if (!standard && a.parent == TK_TPM_PARENT_PRIMARY) {
            tkk_fail("wrap",
                     "--for %s is not the standard storage primary (EC"
                     " P-256, the standard template): say which persistent"
                     " handle holds it with --parent 0x81xxxxxx, or use"
                     " --parent-rsa if it is the RSA-2048 storage primary",
                     a.parent_for);
            goto end;
        }
    } else if ((tpm = tkk_tpm_open("wrap")) == NULL
               || !parent_public_online(tpm, &a, &parent_pub, &parent_len)) {
        goto end;
    }
    if (!tkk_object_policy("wrap", tpm, &a, auth_len > 0, &pol))
        goto end;
    if (!tk_dup_make_policy(tkk_libctx(), parent_pub, parent_len, soft,
                            (const unsigned char *)a.password, auth_len,
                            pol.count > 0 ? pol.digest : NULL,
                            pol.count > 0 ? sizeof(pol.digest) : 0, &d)) {
        tkk_fail("wrap", "cannot wrap the key in %s", a.in);
        goto end;
    }
    kf.empty_auth = auth_len == 0;
    if (a.description != NULL && a.description[0] != '\0'
        && (kf.description = OPENSSL_strdup(a.description)) == NULL) {
        tkk_fail("wrap", "out of memory");
        goto end;
    }
    if (a.parent_for != NULL) {
        kf.importable = 1;
        tk_keyfile_set_tpm_parent(&kf, a.parent);
        kf.pub = d.pub;
        kf.pub_len = d.pub_len;
        kf.priv = d.dup;
        kf.priv_len = d.dup_len;
        kf.secret = d.seed;
        kf.secret_len = d.seed_len;
        memset(&d, 0, sizeof(d)); /* now kf's */
    } else if (!wrap_online(tpm, &a, &d, &kf)) {
        goto end;
    }
    if (tk_keyfile_set_new_policy(&kf, &pol)
        && tkk_write_keyfile("wrap", a.out, &kf))
        rv = TKK_OK;
end:
    tk_tpm_new_policy_clear(&pol);
    tk_keyfile_clear(&kf);
    tk_dup_clear(&d);
    OPENSSL_free(parent_pub);
    EVP_PKEY_free(soft);
    if (tpm != NULL)
        tk_tpm_release(tpm);
    return rv;
}
