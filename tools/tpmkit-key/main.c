/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-key: keys and secrets into the TPM, for use with tpmkit.
 *
 * It lives in tools/, not examples/: the examples use tpmkit only through
 * OpenSSL's public API, as any application would, while this program is
 * part of the product and needs what no OpenSSL call offers (TPM2_Create
 * of sealed data, TPM2_Unseal, TPM2_Import of a duplicate built here,
 * signed policies added to existing key files), so
 * it links tpmkit's TPM layer (tpm/) and key-file codec (decoders/keyfile.c)
 * directly.
 *
 * Exit status: 0 done, 1 failed, 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "tool.h"
#include "../../provider/debug.h"

static const char help[] =
    "Usage: tpmkit-key COMMAND [OPTIONS]\n"
    "Keys and secrets into the TPM, for use with tpmkit (the OpenSSL\n"
    "provider). Commands:\n"
    "  seal     seal a secret of up to 128 bytes into a TPM sealed-data file\n"
    "  unseal   read the secret back from a sealed-data file\n"
    "  wrap     put an existing software RSA or EC key into the TPM, or, with\n"
    "           --for, make an importable key file for another machine's TPM\n"
    "           without touching any TPM\n"
    "  policy   add, list or remove the signed policies of a key or sealed\n"
    "           file bound to a policy signer (new PCR values after an\n"
    "           update, without re-creating the key)\n"
    "Run 'tpmkit-key COMMAND --help' for a command's options.\n"
    "The TPM is the one tpmkit uses: TPMKIT_TCTI, TPMKIT_TPM_IDENTITY and\n"
    "TPMKIT_SESSION_ENCRYPTION, else the tpmkit section of openssl.cnf.\n";

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        { "seal", tkk_seal },
        { "unseal", tkk_unseal },
        { "wrap", tkk_wrap },
        { "policy", tkk_policy },
    };

    /* Never load openssl.cnf into this process: it may activate tpmkit,
     * whose copy of the TPM layer would then compete with ours. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    /* As the module does: the TSS logs expected failures (a handle it
     * probes for) to stderr; tpmkit reports what matters itself. */
    if (getenv("TSS2_LOG") == NULL && tk_debug_level() == TK_DEBUG_OFF)
        setenv("TSS2_LOG", "all+NONE", 0);
    tkk_report_init();
    if (argc < 2) {
        fputs(help, stderr);
        return TKK_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        fputs(help, stdout);
        return TKK_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(
        stderr,
        "tpmkit-key: unknown command \"%s\" (seal, unseal, wrap or policy)\n"
        "Try 'tpmkit-key --help'.\n",
        argv[1]);
    return TKK_USAGE;
}
