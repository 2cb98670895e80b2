/* SPDX-License-Identifier: Apache-2.0 */
/* tk_policy_add KEY.pem SIGNER.pem SPEC [NAME]: adds a signed PCR policy
 * to a TSS2 key file in place, through tk_keyfile_add_signed_pcr_policy()
 * (decoders/keyfile_policy.h) — the library call `tpmkit-key policy add`
 * is built on. The TPM is TPMKIT_TCTI's. Exit status 0 on success; errors
 * on stderr (tpmkit's error trace is switched on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "../../decoders/keyfile_policy.h"

static int read_key(const char *path, tk_keyfile *kf)
{
    FILE *f = fopen(path, "r");
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long len = 0;
    int ok = 0;

    if (f != NULL && PEM_read(f, &name, &header, &der, &len)
        && strcmp(name, TK_KEYFILE_PEM_LABEL) == 0)
        ok = tk_keyfile_decode(der, (size_t)len, kf) == TK_KEYFILE_OK;
    if (f != NULL)
        fclose(f);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    return ok;
}

static int write_key(const char *path, const tk_keyfile *kf)
{
    unsigned char *der = NULL;
    size_t len = 0;
    FILE *f;
    int ok;

    if (!tk_keyfile_encode(kf, &der, &len))
        return 0;
    ok = (f = fopen(path, "w")) != NULL
         && PEM_write(f, TK_KEYFILE_PEM_LABEL, "", der, (long)len) > 0;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    OPENSSL_free(der);
    return ok;
}

int main(int argc, char **argv)
{
    const char *tcti = getenv("TPMKIT_TCTI");
    tk_keyfile kf;
    EVP_PKEY *signer = NULL;
    tk_tpm *tpm = NULL;
    FILE *f;
    char err[1024] = "";
    int ok = 0;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s KEY.pem SIGNER.pem SPEC [NAME]\n", argv[0]);
        return 2;
    }
    setenv("TPMKIT_DEBUG", "1", 0);
    memset(&kf, 0, sizeof(kf));
    if (!read_key(argv[1], &kf)) {
        fprintf(stderr, "%s: not a readable TSS2 key file\n", argv[1]);
        return 1;
    }
    if ((f = fopen(argv[2], "r")) != NULL) {
        signer = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (signer == NULL) {
        fprintf(stderr, "%s: not a PEM private key\n", argv[2]);
        goto end;
    }
    tpm = tk_tpm_acquire(tcti != NULL ? tcti : TK_TPM_DEFAULT_TCTI, 1, NULL);
    if (tpm == NULL)
        goto end;
    ok = tk_keyfile_add_signed_pcr_policy(tpm, NULL, &kf, signer, argv[3],
                                          argc == 5 ? argv[4] : NULL)
         && write_key(argv[1], &kf);
    if (!ok) {
        tk_tpm_last_error(tpm, err, sizeof(err));
        fprintf(stderr, "adding the signed policy failed%s%s\n",
                err[0] != '\0' ? ": " : "", err);
    }
end:
    if (tpm != NULL)
        tk_tpm_release(tpm);
    EVP_PKEY_free(signer);
    tk_keyfile_clear(&kf);
    return ok ? 0 : 1;
}
