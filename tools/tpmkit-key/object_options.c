/* SPDX-License-Identifier: Apache-2.0 */
/* The options seal, unseal and wrap share (tool.h): the files, the
 * password, the parent and the new object's description and policy. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

int tkk_parse_object_args(const char *cmd, const char *help,
                          const struct option *opts, int need_out, int argc,
                          char **argv, tkk_object_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    a->parent = TK_TPM_PARENT_PRIMARY;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case TKK_OPT_IN:
            a->in = optarg;
            break;
        case TKK_OPT_OUT:
            a->out = optarg;
            break;
        case TKK_OPT_PASSWORD:
            a->password = optarg;
            break;
        case TKK_OPT_FOR:
            a->parent_for = optarg;
            break;
        case TKK_OPT_PARENT:
            a->parent_given = 1;
            if (!tkk_parse_parent(optarg, &a->parent))
                return tkk_usage(cmd,
                                 "--parent %s is not 0x40000001 or a"
                                 " persistent handle 0x81xxxxxx",
                                 optarg);
            break;
        case TKK_OPT_PARENT_RSA:
            a->parent_rsa = 1;
            break;
        case TKK_OPT_DESCRIPTION:
            a->description = optarg;
            if (!tk_keyfile_description_ok(optarg))
                return tkk_usage(cmd,
                                 "--description must be UTF-8 text of at"
                                 " most %d bytes",
                                 TK_KEYFILE_MAX_DESCRIPTION);
            break;
        case TKK_OPT_PCR_POLICY:
            a->pcr_spec = optarg;
            break;
        case TKK_OPT_POLICY_SIGNER:
            a->signer = optarg;
            break;
        case TKK_OPT_PCR_VALUES:
            a->pcr_values = optarg;
            break;
        case TKK_OPT_HELP:
            fputs(help, stdout);
            return TKK_OK;
        case ':':
            return tkk_usage(cmd, "%s needs a value", argv[optind - 1]);
        default:
            return tkk_usage(cmd, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return tkk_usage(cmd, "unexpected argument %s", argv[optind]);
    if (need_out && (a->in == NULL || a->out == NULL))
        return tkk_usage(cmd, "--in and --out are required");
    if (a->in == NULL)
        return tkk_usage(cmd, "--in is required");
    if (a->parent_rsa && a->parent_given)
        return tkk_usage(cmd, "--parent-rsa names the parent: leave out"
                              " --parent");
    if (a->pcr_values != NULL && a->pcr_spec == NULL)
        return tkk_usage(cmd, "--pcr-values FILE needs --pcr-policy SPEC, the"
                              " PCRs whose values the file holds");
    if (a->parent_rsa)
        a->parent = TK_TPM_PARENT_RSA_PRIMARY;
    return -1;
}
