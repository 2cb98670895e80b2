/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-key policy add / list / remove: the signed policies (authPolicy)
 * of a key file or sealed-data file bound to a policy signer. A signed
 * policy is approved by the signer's private key, so adding one for new
 * PCR values makes the same object usable again after an update changed
 * them, without re-creating it. Files are rewritten in place, atomically. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tool.h"
#include "../../decoders/keyfile_apply.h"
#include "../../decoders/keyfile_policy.h"
#include "../../tpm/policy_describe.h"

static const char policy_help[] =
    "Usage: tpmkit-key policy add --key KEY.pem --signer SIGNER.pem\n"
    "                             --pcr-policy SPEC [--pcr-values FILE]\n"
    "                             [--name TEXT] [--signer-password PW]\n"
    "       tpmkit-key policy list --key KEY.pem\n"
    "       tpmkit-key policy remove --key KEY.pem --name TEXT\n"
    "The signed policies of a key file or sealed-data file made with a\n"
    "policy signer (genpkey -pkeyopt policy-signer:FILE, tpmkit-key seal or\n"
    "wrap --policy-signer FILE). At each use tpmkit tries them in order.\n"
    "\n"
    "  add     approve a policy for the current values of the PCRs in SPEC\n"
    "          (BANK:LIST, e.g. sha256:0,2,7, read from the TPM), or for the\n"
    "          values in --pcr-values, with the signer's private key, and put\n"
    "          it first in KEY.pem\n"
    "  list    print the file's policy and each signed policy: number,\n"
    "          name, steps, signer (its TPM name)\n"
    "  remove  drop the signed policies named TEXT\n"
    "\n"
    "  --key KEY.pem       the key or sealed-data file, rewritten in place\n"
    "                      (same mode; a temporary file renamed over it;\n"
    "                      through a symbolic link, the file it names)\n"
    "  --signer SIGNER.pem the policy signer's private key (PEM RSA or EC),\n"
    "                      or a TPM key file (the TPM signs); the file must\n"
    "                      be bound to it\n"
    "  --signer-password PW\n"
    "                      the password of a TPM key file signer\n"
    "  --pcr-policy SPEC   the PCRs the new policy binds to\n"
    "  --pcr-values FILE   the values they must hold (e.g. after an update)\n"
    "                      instead of their current ones: each PCR's digest\n"
    "                      in ascending PCR order, nothing else\n"
    "                      (tpm2_pcrread -o FILE SPEC writes this format);\n"
    "                      with a software signer no TPM is needed\n"
    "  --name TEXT         the new policy's name (add; unique in the file),\n"
    "                      the policies to drop (remove)\n"
    "  --help              this text\n";

enum {
    OPT_KEY = 1,
    OPT_SIGNER,
    OPT_PCR_POLICY,
    OPT_NAME,
    OPT_SIGNER_PASSWORD,
    OPT_PCR_VALUES,
    OPT_HELP
};

static const struct option policy_opts[] = {
    { "key", required_argument, NULL, OPT_KEY },
    { "signer", required_argument, NULL, OPT_SIGNER },
    { "pcr-policy", required_argument, NULL, OPT_PCR_POLICY },
    { "name", required_argument, NULL, OPT_NAME },
    { "signer-password", required_argument, NULL, OPT_SIGNER_PASSWORD },
    { "pcr-values", required_argument, NULL, OPT_PCR_VALUES },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct args {
    const char *key, *signer, *pcr_spec, *name, *signer_password, *pcr_values;
};

/* Which options each action takes: the rest are usage errors. */
struct action {
    const char *name, *cmd;
    int signer, pcr_spec, name_opt; /* 0 refused, 1 optional, 2 required;
                                     * --signer-password goes with --signer,
                                     * --pcr-values with --pcr-policy */
    int (*run)(const char *cmd, const struct args *a);
};

static int parse(const struct action *act, int argc, char **argv,
                 struct args *a)
{
    static const char *const opt_names[] = { NULL,          "--key",
                                             "--signer",    "--pcr-policy",
                                             "--name",      "--signer-password",
                                             "--pcr-values" };
    int c, given[OPT_HELP] = { 0 };

    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", policy_opts, NULL)) != -1) {
        switch (c) {
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_SIGNER:
            a->signer = optarg;
            break;
        case OPT_PCR_POLICY:
            a->pcr_spec = optarg;
            break;
        case OPT_NAME:
            a->name = optarg;
            break;
        case OPT_SIGNER_PASSWORD:
            a->signer_password = optarg;
            break;
        case OPT_PCR_VALUES:
            a->pcr_values = optarg;
            break;
        case OPT_HELP:
            fputs(policy_help, stdout);
            return TKK_OK;
        case ':':
            return tkk_usage(act->cmd, "%s needs a value", argv[optind - 1]);
        default:
            return tkk_usage(act->cmd, "unknown option %s", argv[optind - 1]);
        }
        if (c < OPT_HELP)
            given[c] = 1;
    }
    if (optind < argc)
        return tkk_usage(act->cmd, "unexpected argument %s", argv[optind]);
    {
        const int want[OPT_HELP] = { 0,
                                     2,
                                     act->signer,
                                     act->pcr_spec,
                                     act->name_opt,
                                     act->signer ? 1 : 0,
                                     act->pcr_spec ? 1 : 0 };

        if (given[OPT_PCR_VALUES] && act->pcr_spec && !given[OPT_PCR_POLICY])
            return tkk_usage(act->cmd,
                             "--pcr-values FILE needs --pcr-policy SPEC, the"
                             " PCRs whose values the file holds");

        for (int o = OPT_KEY; o < OPT_HELP; o++) {
            if (want[o] == 2 && !given[o])
                return tkk_usage(act->cmd, "%s is required", opt_names[o]);
            if (want[o] == 0 && given[o])
                return tkk_usage(act->cmd, "%s does not take %s", act->cmd,
                                 opt_names[o]);
        }
    }
    if (a->name != NULL && a->name[0] == '\0')
        return tkk_usage(act->cmd, "--name must not be empty");
    return -1;
}

#define MAX_SIGNER_FILE 65536

/* The signer: a software private key, or a TPM key file whose key signs
 * in the TPM. */
struct signer {
    EVP_PKEY *soft;
    tk_tpm_key *tpm_key;
};

/* A TPM key file as signer, loaded like a key file at use: its policies
 * and password set. */
static int tpm_signer(const char *cmd, tk_tpm *tpm, const struct args *a,
                      struct signer *s)
{
    tk_keyfile kf;
    int ok = 0;

    if (!tkk_read_keyfile(cmd, a->signer, &kf))
        return 0;
    if (kf.sealed) {
        tkk_fail(cmd, "--signer %s holds sealed data, not a signing key",
                 a->signer);
        goto end;
    }
    /* Never guess at a password: each wrong one counts toward lockout. */
    if (kf.empty_auth != 1 && a->signer_password == NULL) {
        tkk_fail(cmd,
                 "--signer %s says its key has a password: give it with"
                 " --signer-password PW",
                 a->signer);
        goto end;
    }
    s->tpm_key = kf.importable
                     ? tk_tpm_key_import(tpm, tk_keyfile_tpm_parent(&kf),
                                         kf.pub, kf.pub_len, kf.priv,
                                         kf.priv_len, kf.secret, kf.secret_len)
                     : tk_tpm_key_from_blobs(tpm, tk_keyfile_tpm_parent(&kf),
                                             kf.pub, kf.pub_len, kf.priv,
                                             kf.priv_len);
    if (s->tpm_key == NULL || !tk_keyfile_apply_policies(&kf, s->tpm_key)
        || (a->signer_password != NULL
            && !tk_tpm_key_set_auth(s->tpm_key,
                                    (const unsigned char *)a->signer_password,
                                    strlen(a->signer_password)))) {
        tkk_fail(cmd, "--signer %s is not a usable TPM key", a->signer);
        goto end;
    }
    ok = 1;
end:
    tk_keyfile_clear(&kf);
    return ok;
}

/* A TPM key file signer opens the TPM (*tpm) if it is not open yet. */
static int read_signer(const char *cmd, tk_tpm **tpm, const struct args *a,
                       struct signer *s)
{
    unsigned char *data;
    size_t len;
    int tpm_file, is_private = 0;

    memset(s, 0, sizeof(*s));
    if (!tkk_read_file(cmd, a->signer, MAX_SIGNER_FILE, &data, &len))
        return 0;
    tpm_file = len >= 27
               && memcmp(data, "-----BEGIN TSS2 PRIVATE KEY", 27) == 0;
    OPENSSL_secure_clear_free(data, MAX_SIGNER_FILE + 1);
    if (tpm_file)
        return (*tpm != NULL || (*tpm = tkk_tpm_open(cmd)) != NULL)
               && tpm_signer(cmd, *tpm, a, s);
    if (a->signer_password != NULL) {
        tkk_fail(cmd,
                 "--signer-password is for a TPM key file signer; --signer"
                 " %s is not one (decrypt an encrypted PEM key with openssl"
                 " pkey first)",
                 a->signer);
        return 0;
    }
    if ((s->soft = tk_tpm_policy_signer_read(tkk_libctx(), a->signer,
                                             &is_private))
        == NULL) {
        tkk_fail(cmd, "cannot read the policy signer --signer %s", a->signer);
        return 0;
    }
    if (!is_private) {
        tkk_fail(cmd,
                 "--signer %s is a public key: approving a policy needs the"
                 " signer's private key",
                 a->signer);
        EVP_PKEY_free(s->soft);
        s->soft = NULL;
        return 0;
    }
    return 1;
}

static int run_add(const char *cmd, const struct args *a)
{
    tk_keyfile kf;
    struct signer signer = { 0 };
    tk_tpm *tpm = NULL;
    tk_tpm_pcr_sel sel;
    int rv = TKK_FAILED, ok;

    /* What the user can get wrong is checked before the TPM. */
    if (!tk_tpm_pcr_parse(a->pcr_spec, &sel))
        return tkk_fail(cmd, "--pcr-policy %s is not BANK:LIST", a->pcr_spec);
    if (!tkk_read_keyfile(cmd, a->key, &kf))
        return TKK_FAILED;
    /* Given values and a software signer need no TPM: a policy for the
     * PCRs after an update, or for another machine, is approved anywhere. */
    if ((a->pcr_values == NULL && (tpm = tkk_tpm_open(cmd)) == NULL)
        || !read_signer(cmd, &tpm, a, &signer))
        goto end;
    ok = signer.tpm_key != NULL
             ? tk_keyfile_add_signed_pcr_policy_tpm(tpm, tkk_libctx(), &kf,
                                                    signer.tpm_key, a->pcr_spec,
                                                    a->pcr_values, a->name)
             : tk_keyfile_add_signed_pcr_policy(tpm, tkk_libctx(), &kf,
                                                signer.soft, a->pcr_spec,
                                                a->pcr_values, a->name);
    if (!ok) {
        tkk_fail(cmd, "cannot add a signed policy for %s%s%s to %s (signer %s)",
                 a->pcr_spec, a->pcr_values != NULL ? " --pcr-values " : "",
                 a->pcr_values != NULL ? a->pcr_values : "", a->key, a->signer);
        goto end;
    }
    if (tkk_replace_keyfile(cmd, a->key, &kf))
        rv = TKK_OK;
end:
    EVP_PKEY_free(signer.soft);
    tk_tpm_key_free(signer.tpm_key);
    tk_keyfile_clear(&kf);
    if (tpm != NULL)
        tk_tpm_release(tpm);
    return rv;
}

static int run_remove(const char *cmd, const struct args *a)
{
    tk_keyfile kf;
    size_t n;
    int rv = TKK_FAILED;

    if (!tkk_read_keyfile(cmd, a->key, &kf))
        return TKK_FAILED;
    if ((n = tk_keyfile_remove_signed_policies(&kf, a->name)) == 0)
        tkk_fail(cmd,
                 "%s has no signed policy named \"%s\" (see tpmkit-key policy"
                 " list --key %s)",
                 a->key, a->name, a->key);
    else if (tkk_replace_keyfile(cmd, a->key, &kf))
        rv = TKK_OK;
    tk_keyfile_clear(&kf);
    return rv;
}

static tk_tpm_policy_step step_of(const tk_keyfile_policy *p)
{
    tk_tpm_policy_step s = { p->code, p->params, p->len };

    return s;
}

/* Is `name` the signer of one of the file's PolicyAuthorize steps? */
static int is_files_signer(const tk_keyfile *kf, const char *name)
{
    char mine[160];

    for (size_t i = 0; i < kf->policy_count; i++) {
        tk_tpm_policy_step s = step_of(&kf->policy[i]);

        if (tk_tpm_policy_signer_name(tkk_libctx(), &s, mine, sizeof(mine))
            && strcmp(mine, name) == 0)
            return 1;
    }
    return 0;
}

static int run_list(const char *cmd, const struct args *a)
{
    tk_keyfile kf;
    char line[512], signer[160];

    if (!tkk_read_keyfile(cmd, a->key, &kf))
        return TKK_FAILED;
    printf("%s: %s\n", a->key,
           kf.sealed       ? "sealed data"
           : kf.importable ? "importable key"
                           : "key");
    if (kf.description != NULL)
        printf("description: %s\n", kf.description);
    if (kf.policy_count == 0)
        printf("policy: none\n");
    else
        printf("policy: %zu step%s\n", kf.policy_count,
               kf.policy_count == 1 ? "" : "s");
    for (size_t i = 0; i < kf.policy_count; i++) {
        tk_tpm_policy_step s = step_of(&kf.policy[i]);

        tk_tpm_policy_step_describe(tkk_libctx(), &s, line, sizeof(line));
        printf("  %s\n", line);
    }
    printf("signed policies: %zu%s\n", kf.auth_policy_count,
           kf.auth_policy_count > 1 ? " (tried in this order)" : "");
    for (size_t i = 0; i < kf.auth_policy_count; i++) {
        const tk_keyfile_auth_policy *ap = &kf.auth_policy[i];
        tk_tpm_policy_step fin = { 0 };

        if (ap->count > 0)
            fin = step_of(&ap->steps[ap->count - 1]);
        if (ap->name != NULL)
            printf("  %zu name \"%s\"\n", i + 1, ap->name);
        else
            printf("  %zu (no name)\n", i + 1);
        for (size_t j = 0; j + 1 < ap->count; j++) {
            tk_tpm_policy_step s = step_of(&ap->steps[j]);

            tk_tpm_policy_step_describe(tkk_libctx(), &s, line, sizeof(line));
            printf("    %s\n", line);
        }
        if (tk_tpm_policy_signer_name(tkk_libctx(), &fin, signer,
                                      sizeof(signer)))
            printf("    signer %s%s\n", signer,
                   is_files_signer(&kf, signer)
                       ? ""
                       : " (not the file's policy signer: never used)");
        else {
            if (ap->count > 0) {
                tk_tpm_policy_step_describe(tkk_libctx(), &fin, line,
                                            sizeof(line));
                printf("    %s\n", line);
            }
            printf("    no signer: its last step is not a readable"
                   " PolicyAuthorize (never used)\n");
        }
    }
    tk_keyfile_clear(&kf);
    return fflush(stdout) == 0 ? TKK_OK
                               : tkk_fail(cmd, "cannot write to stdout");
}

int tkk_policy(int argc, char **argv)
{
    static const struct action actions[] = {
        { "add", "policy add", 2, 2, 1, run_add },
        { "list", "policy list", 0, 0, 0, run_list },
        { "remove", "policy remove", 0, 0, 2, run_remove },
    };
    struct args a;

    if (argc < 2) {
        fputs(policy_help, stderr);
        return TKK_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(policy_help, stdout);
        return TKK_OK;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        int rv;

        if (strcmp(argv[1], actions[i].name) != 0)
            continue;
        if ((rv = parse(&actions[i], argc - 1, argv + 1, &a)) >= 0)
            return rv;
        return actions[i].run(actions[i].cmd, &a);
    }
    return tkk_usage("policy", "unknown action \"%s\" (add, list or remove)",
                     argv[1]);
}
