/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-key seal / unseal: a small secret in a TPM sealed-data object,
 * kept as a TSS2 key file with the sealed-data OID (2.23.133.10.1.5). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "tool.h"
#include "../../decoders/keyfile_apply.h"
#include "../../decoders/keyfile_policy.h"
#include "../../tpm/seal.h"

static const char seal_help[] =
    "Usage: tpmkit-key seal --in SECRET --out SEALED.pem [--password PW]\n"
    "                       [--parent HANDLE | --parent-rsa]\n"
    "                       [--description TEXT]\n"
    "                       [--pcr-policy SPEC [--pcr-values FILE]]\n"
    "                       [--policy-signer SIGNER.pem]\n"
    "Seal SECRET (1 to 128 bytes; - reads stdin) into a TPM sealed-data\n"
    "object and write it as a TSS2 PRIVATE KEY file. The secret crosses\n"
    "the TPM bus only encrypted, and only this TPM can unseal it.\n"
    "\n"
    "  --in SECRET       the secret (a file, or - for stdin)\n"
    "  --out SEALED.pem  the sealed-data file to write (mode 0600)\n"
    "  --password PW     a password needed to unseal (wrong guesses count\n"
    "                    toward the TPM's dictionary-attack lockout);\n"
    "                    without it anyone on this machine who can reach the\n"
    "                    TPM and read the file can unseal\n"
    "  --parent HANDLE   seal under this persistent storage key (0x81xxxxxx)\n"
    "                    instead of the standard storage primary 0x40000001\n"
    "  --parent-rsa      seal under the RSA-2048 storage primary (for TPMs\n"
    "                    without ECC): the file says rsaParent TRUE\n"
    "  --description TEXT  a description kept in the file (UTF-8, at most\n"
    "                    1024 bytes)\n"
    "  --pcr-policy SPEC unseal only while the PCRs in SPEC (BANK:LIST, e.g.\n"
    "                    sha256:0,2,7) hold their values now (or those in\n"
    "                    --pcr-values); with --policy-signer, the first\n"
    "                    signed policy instead\n"
    "  --pcr-values FILE the values the PCRs of --pcr-policy must hold, e.g.\n"
    "                    after an update, instead of the current ones: each\n"
    "                    PCR's digest in ascending PCR order, nothing else\n"
    "                    (tpm2_pcrread -o FILE SPEC writes this format)\n"
    "  --policy-signer SIGNER.pem\n"
    "                    unseal through policies this key signs (PEM RSA or\n"
    "                    EC, private or public): add them with tpmkit-key\n"
    "                    policy add\n"
    "  --help            this text\n";

static const char unseal_help[] =
    "Usage: tpmkit-key unseal --in SEALED.pem [--out FILE] [--password PW]\n"
    "Unseal a sealed-data file made by tpmkit-key seal (or by tpm2_create -i\n"
    "and tpm2_encodeobject) and write the secret to FILE or stdout. The\n"
    "secret crosses the TPM bus only encrypted. A file bound to PCRs or to\n"
    "a policy signer is unsealed through its policy and signed policies.\n"
    "\n"
    "  --in SEALED.pem   the sealed-data file (PEM or DER)\n"
    "  --out FILE        where to write the secret (mode 0600); default\n"
    "                    stdout\n"
    "  --password PW     the object's password; --password '' for none when\n"
    "                    the file claims one (tpm2_encodeobject 5.4 marks\n"
    "                    objects without a password so)\n"
    "  --help            this text\n";

static const struct option seal_opts[] = {
    { "in", required_argument, NULL, TKK_OPT_IN },
    { "out", required_argument, NULL, TKK_OPT_OUT },
    { "password", required_argument, NULL, TKK_OPT_PASSWORD },
    { "parent", required_argument, NULL, TKK_OPT_PARENT },
    { "parent-rsa", no_argument, NULL, TKK_OPT_PARENT_RSA },
    { "description", required_argument, NULL, TKK_OPT_DESCRIPTION },
    { "pcr-policy", required_argument, NULL, TKK_OPT_PCR_POLICY },
    { "pcr-values", required_argument, NULL, TKK_OPT_PCR_VALUES },
    { "policy-signer", required_argument, NULL, TKK_OPT_POLICY_SIGNER },
    { "help", no_argument, NULL, TKK_OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static const struct option unseal_opts[] = {
    { "in", required_argument, NULL, TKK_OPT_IN },
    { "out", required_argument, NULL, TKK_OPT_OUT },
    { "password", required_argument, NULL, TKK_OPT_PASSWORD },
    { "help", no_argument, NULL, TKK_OPT_HELP },
    { NULL, 0, NULL, 0 },
};

int tkk_seal(int argc, char **argv)
{
    tkk_object_args a;
    unsigned char *secret = NULL;
    size_t len = 0;
    tk_tpm_seal_req req;
    tk_tpm_new_policy pol = { 0 };
    tk_keyfile kf;
    tk_tpm *tpm = NULL;
    int rv = tkk_parse_object_args("seal", seal_help, seal_opts, 0, argc, argv,
                                   &a);

    if (rv >= 0)
        return rv;
    if (a.out == NULL)
        return tkk_usage("seal", "--out is required");
    /* Everything the user can get wrong is checked before the TPM. */
    if (!tkk_read_file("seal", a.in, TK_TPM_SEAL_MAX, &secret, &len))
        return TKK_FAILED;
    memset(&kf, 0, sizeof(kf));
    rv = TKK_FAILED;
    if (len == 0) {
        tkk_fail("seal", "%s is empty: there is nothing to seal", a.in);
        goto end;
    }
    if (len > TK_TPM_SEAL_MAX) {
        tkk_fail("seal",
                 "%s is larger than %d bytes, the most a TPM sealed-data"
                 " object holds: seal a key (e.g. 32 random bytes) and"
                 " encrypt the data with it instead",
                 a.in, TK_TPM_SEAL_MAX);
        goto end;
    }
    if ((tpm = tkk_tpm_open("seal")) == NULL
        || !tkk_object_policy(
            "seal", tpm, &a, a.password != NULL && a.password[0] != '\0', &pol))
        goto end;
    req = (tk_tpm_seal_req){
        .secret = secret,
        .secret_len = len,
        .auth = (const unsigned char *)a.password,
        .auth_len = a.password != NULL ? strlen(a.password) : 0,
        .parent = a.parent,
        .policy_digest = pol.count > 0 ? pol.digest : NULL,
        .policy_digest_len = pol.count > 0 ? sizeof(pol.digest) : 0,
    };
    if (!tk_tpm_seal(tpm, &req, &kf.pub, &kf.pub_len, &kf.priv, &kf.priv_len)) {
        tkk_fail("seal", "sealing %s in the TPM (%s) failed", a.in,
                 tk_tpm_tcti(tpm));
        goto end;
    }
    kf.sealed = 1;
    if (a.description != NULL && a.description[0] != '\0'
        && (kf.description = OPENSSL_strdup(a.description)) == NULL) {
        tkk_fail("seal", "out of memory");
        goto end;
    }
    /* emptyAuth says whether unsealing needs a password (the key-file
     * draft): TRUE exactly when none was given. */
    kf.empty_auth = req.auth_len == 0;
    tk_keyfile_set_tpm_parent(&kf, a.parent);
    if (tk_keyfile_set_new_policy(&kf, &pol)
        && tkk_write_keyfile("seal", a.out, &kf))
        rv = TKK_OK;
end:
    tk_tpm_new_policy_clear(&pol);
    tk_keyfile_clear(&kf);
    OPENSSL_secure_clear_free(secret, TK_TPM_SEAL_MAX + 1);
    if (tpm != NULL)
        tk_tpm_release(tpm);
    return rv;
}

/* A sealed-data object from the key file, its password and policy set. */
static tk_tpm_key *sealed_object(tk_tpm *tpm, const tkk_object_args *a,
                                 const tk_keyfile *kf)
{
    tk_tpm_key *key = tk_tpm_key_from_blobs(tpm, tk_keyfile_tpm_parent(kf),
                                            kf->pub, kf->pub_len, kf->priv,
                                            kf->priv_len);

    if (key == NULL) {
        tkk_fail("unseal", "%s does not hold a usable TPM object", a->in);
        return NULL;
    }
    if (tk_tpm_key_info(key)->kind != TK_TPM_KEY_SEALED) {
        tkk_fail("unseal",
                 "%s is a TPM key, not sealed data: use it with"
                 " openssl -provider tpmkit",
                 a->in);
        goto bad;
    }
    if (!tk_keyfile_apply_policies(kf, key)
        || (a->password != NULL
            && !tk_tpm_key_set_auth(key, (const unsigned char *)a->password,
                                    strlen(a->password)))) {
        tkk_fail("unseal", "%s: cannot use its policy or password", a->in);
        goto bad;
    }
    return key;
bad:
    tk_tpm_key_free(key);
    return NULL;
}

int tkk_unseal(int argc, char **argv)
{
    tkk_object_args a;
    tk_keyfile kf;
    tk_tpm *tpm = NULL;
    tk_tpm_key *key = NULL;
    unsigned char secret[TK_TPM_SEAL_MAX];
    size_t len = 0;
    int rv = tkk_parse_object_args("unseal", unseal_help, unseal_opts, 0, argc,
                                   argv, &a);

    if (rv >= 0)
        return rv;
    if (!tkk_read_keyfile("unseal", a.in, &kf))
        return TKK_FAILED;
    rv = TKK_FAILED;
    if (kf.importable) {
        tkk_fail("unseal", "%s is an importable key, not sealed data", a.in);
        goto end;
    }
    /* Never guess at a password: each wrong one counts toward lockout. */
    if (kf.empty_auth != 1 && a.password == NULL) {
        tkk_fail("unseal",
                 "%s says its object has a password (emptyAuth %s): give it"
                 " with --password PW, or --password '' if it has none"
                 " (tpm2_encodeobject 5.4 writes FALSE for objects without"
                 " a password)",
                 a.in, kf.empty_auth == 0 ? "FALSE" : "absent");
        goto end;
    }
    if ((tpm = tkk_tpm_open("unseal")) == NULL
        || (key = sealed_object(tpm, &a, &kf)) == NULL)
        goto end;
    if (!tk_tpm_unseal(key, secret, sizeof(secret), &len)) {
        tkk_fail("unseal", "unsealing %s with the TPM (%s) failed", a.in,
                 tk_tpm_tcti(tpm));
        goto end;
    }
    if (tkk_write_file("unseal", a.out, secret, len))
        rv = TKK_OK;
end:
    OPENSSL_cleanse(secret, sizeof(secret));
    tk_tpm_key_free(key);
    tk_keyfile_clear(&kf);
    if (tpm != NULL)
        tk_tpm_release(tpm);
    return rv;
}
