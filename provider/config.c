/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/core_dispatch.h>
#include <openssl/params.h>

#include "config.h"
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

/* One setting: the environment variable if set and not empty, else the
 * openssl.cnf value; *from says which (for the error message). NULL when
 * neither is set. */
static const char *setting(const char *env, const char *conf, const char **from)
{
    const char *value = getenv(env);

    *from = env;
    if (value != NULL && *value != '\0')
        return value;
    *from = "openssl.cnf";
    return conf != NULL && *conf != '\0' ? conf : NULL;
}

/* A value as it may appear in an error: at most 48 characters, control
 * characters shown as '?'. */
static void shown(const char *value, char out[56])
{
    size_t i;

    for (i = 0; value[i] != '\0' && i < 48; i++)
        out[i] = value[i] >= 0x20 && value[i] != 0x7f ? value[i] : '?';
    strcpy(out + i, value[i] != '\0' ? "..." : "");
}

static void problem(tk_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(tk_config *cfg, const char *fmt, ...)
{
    size_t used = strlen(cfg->problem);
    va_list ap;

    if (used > 0 && used + 2 < sizeof(cfg->problem)) {
        strcpy(cfg->problem + used, "; ");
        used += 2;
    }
    if (used + 1 >= sizeof(cfg->problem))
        return;
    va_start(ap, fmt);
    vsnprintf(cfg->problem + used, sizeof(cfg->problem) - used, fmt, ap);
    va_end(ap);
}

static void too_long(tk_config *cfg, const char *key, const char *value,
                     size_t max, const char *from)
{
    char text[56];

    shown(value, text);
    problem(cfg,
            "%s: \"%s\" is %zu bytes long, more than the %zu tpmkit accepts"
            " (from %s)",
            key, text, strlen(value), max - 1, from);
}

/* storage-primary: "auto" (the usual handle), "none", or a persistent
 * handle 0x81xxxxxx. */
static void parse_storage_primary(tk_config *cfg, const char *value,
                                  const char *from)
{
    char text[56], *end;
    unsigned long handle;

    cfg->storage_primary = TK_TPM_SRK_HANDLE;
    if (value == NULL || strcasecmp(value, "auto") == 0)
        return;
    if (strcasecmp(value, "none") == 0) {
        cfg->storage_primary = 0;
        return;
    }
    handle = strtoul(value, &end, 16);
    if (*end == '\0' && (handle >> 24) == 0x81) {
        cfg->storage_primary = (unsigned int)handle;
        return;
    }
    shown(value, text);
    problem(cfg,
            "storage-primary: \"%s\" is not auto, none or a persistent"
            " handle 0x81xxxxxx (from %s)",
            text, from);
}

static const char *const class_names[] = { "quick", "crypto", "create" };

/* timeouts: "quick:S,crypto:S,create:S", any of them, seconds 1..3600. */
static void parse_timeouts(tk_config *cfg, const char *value, const char *from)
{
    char copy[128], text[56], *item, *save = NULL;
    tk_tpm_settings defaults;

    tk_tpm_settings_default(&defaults);
    memcpy(cfg->timeouts, defaults.timeouts, sizeof(cfg->timeouts));
    if (value == NULL)
        return;
    snprintf(copy, sizeof(copy), "%s", value);
    for (item = strtok_r(copy, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':'), *end;
        long seconds = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
        int cls = -1;

        for (int i = 0; colon != NULL && i < TK_CMD_CLASSES; i++)
            if ((size_t)(colon - item) == strlen(class_names[i])
                && strncmp(item, class_names[i], strlen(class_names[i])) == 0)
                cls = i;
        if (cls < 0 || colon[1] == '\0' || *end != '\0' || seconds < 1
            || seconds > 3600 || strlen(value) >= sizeof(copy)) {
            shown(value, text);
            problem(cfg,
                    "timeouts: \"%s\" is not a list of quick:S, crypto:S,"
                    " create:S with 1 to 3600 seconds each (from %s)",
                    text, from);
            return;
        }
        cfg->timeouts[cls] = (int)seconds;
    }
}

void tk_config_load(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                    tk_config *cfg)
{
    OSSL_FUNC_core_get_params_fn *get_params = find_get_params(in);
    const char *conf_tcti = NULL, *conf_encrypt = NULL, *conf_identity = NULL;
    const char *conf_primary = NULL, *conf_timeouts = NULL;
    const char *tcti, *encrypt, *identity, *value, *from;
    char text[56];
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr("tcti", (char **)&conf_tcti, 0),
        OSSL_PARAM_utf8_ptr("session-encryption", (char **)&conf_encrypt, 0),
        OSSL_PARAM_utf8_ptr("tpm-identity", (char **)&conf_identity, 0),
        OSSL_PARAM_utf8_ptr("storage-primary", (char **)&conf_primary, 0),
        OSSL_PARAM_utf8_ptr("timeouts", (char **)&conf_timeouts, 0),
        OSSL_PARAM_END
    };

    memset(cfg, 0, sizeof(*cfg));
    if (get_params != NULL && !get_params(core, params)) {
        conf_tcti = NULL;
        conf_encrypt = NULL;
        conf_identity = NULL;
        conf_primary = NULL;
        conf_timeouts = NULL;
    }
    tcti = setting("TPMKIT_TCTI", conf_tcti, &from);
    if (tcti == NULL)
        tcti = TK_TPM_DEFAULT_TCTI;
    if (strlen(tcti) >= sizeof(cfg->tcti))
        too_long(cfg, "tcti", tcti, sizeof(cfg->tcti), from);
    else
        strcpy(cfg->tcti, tcti);

    cfg->encrypt = 1;
    encrypt = setting("TPMKIT_SESSION_ENCRYPTION", conf_encrypt, &from);
    if (encrypt != NULL && (cfg->encrypt = tk_config_parse_bool(encrypt)) < 0) {
        shown(encrypt, text);
        problem(cfg, "session-encryption: \"%s\" is not yes or no (from %s)",
                text, from);
        cfg->encrypt = 1;
    }

    /* The value itself is checked when the TPM is first used: a bad one
     * then fails every TPM operation with its reason. */
    identity = setting("TPMKIT_TPM_IDENTITY", conf_identity, &from);
    if (identity == NULL)
        identity = "none";
    snprintf(cfg->identity, sizeof(cfg->identity), "%s", identity);
    if (strlen(identity) >= sizeof(cfg->identity)) {
        cfg->identity[0] = '!'; /* unusable, never "none" */
        too_long(cfg, "tpm-identity", identity, sizeof(cfg->identity), from);
    }

    value = setting("TPMKIT_STORAGE_PRIMARY", conf_primary, &from);
    parse_storage_primary(cfg, value, from);
    value = setting("TPMKIT_TIMEOUTS", conf_timeouts, &from);
    parse_timeouts(cfg, value, from);
}
