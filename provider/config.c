/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/core_dispatch.h>
#include <openssl/params.h>

#include "config.h"
#include "errors.h"
#include "../tpm/tpm.h"

int tk_config_parse_bool(const char *text)
{
    static const char *const yes[] = { "1", "yes", "on", "true" };
    static const char *const no[] = { "0", "no", "off", "false" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return 1;
        if (strcasecmp(text, no[i]) == 0)
            return 0;
    }
    return -1;
}

static OSSL_FUNC_core_get_params_fn *find_get_params(const OSSL_DISPATCH *in)
{
    for (; in != NULL && in->function_id != 0; in++)
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            return OSSL_FUNC_core_get_params(in);
    return NULL;
}

int tk_config_load(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                   tk_config *cfg)
{
    OSSL_FUNC_core_get_params_fn *get_params = find_get_params(in);
    const char *conf_tcti = NULL, *conf_encrypt = NULL, *conf_identity = NULL;
    const char *tcti, *encrypt, *identity;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr("tcti", (char **)&conf_tcti, 0),
        OSSL_PARAM_utf8_ptr("session-encryption", (char **)&conf_encrypt, 0),
        OSSL_PARAM_utf8_ptr("tpm-identity", (char **)&conf_identity, 0),
        OSSL_PARAM_END
    };

    if (get_params != NULL && !get_params(core, params)) {
        conf_tcti = NULL;
        conf_encrypt = NULL;
        conf_identity = NULL;
    }
    tcti = getenv("TPMKIT_TCTI");
    if (tcti == NULL || *tcti == '\0')
        tcti = conf_tcti;
    if (tcti == NULL || *tcti == '\0')
        tcti = TK_TPM_DEFAULT_TCTI;
    if (strlen(tcti) >= sizeof(cfg->tcti)) {
        tk_raise(TK_R_BAD_CONFIG, "TCTI string too long (%zu bytes)",
                 strlen(tcti));
        return 0;
    }
    strcpy(cfg->tcti, tcti);

    encrypt = getenv("TPMKIT_SESSION_ENCRYPTION");
    if (encrypt == NULL || *encrypt == '\0')
        encrypt = conf_encrypt;
    cfg->encrypt = 1;
    if (encrypt != NULL && *encrypt != '\0') {
        cfg->encrypt = tk_config_parse_bool(encrypt);
        if (cfg->encrypt < 0) {
            tk_raise(TK_R_BAD_CONFIG,
                     "session-encryption must be yes or no, not \"%s\"",
                     encrypt);
            return 0;
        }
    }
    /* Checked when the TPM is first used: a bad value then fails every
     * TPM operation with its reason rather than running unverified. */
    identity = getenv("TPMKIT_TPM_IDENTITY");
    if (identity == NULL || *identity == '\0')
        identity = conf_identity;
    if (identity == NULL || *identity == '\0')
        identity = "none";
    snprintf(cfg->identity, sizeof(cfg->identity), "%s", identity);
    if (strlen(identity) >= sizeof(cfg->identity))
        cfg->identity[0] = '!'; /* too long: unusable, never "none" */
    return 1;
}
