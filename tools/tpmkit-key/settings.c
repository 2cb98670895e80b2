/* SPDX-License-Identifier: Apache-2.0 */
/* Which TPM, and how: the same settings the module takes, from the same
 * places (provider/config.c reads them; this file hands it openssl.cnf's
 * tpmkit section), so that tpmkit-key and `openssl -provider tpmkit` use
 * the same TPM, trust anchor and session encryption. openssl.cnf is read
 * as a file, never loaded: loading it could activate tpmkit itself in
 * this process. */
#include <stdio.h>
#include <string.h>
#include <openssl/conf.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "tool.h"
#include "../../provider/config.h"

static const char *const keys[] = { "tcti", "session-encryption",
                                    "tpm-identity", "storage-primary",
                                    "timeouts" };
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
static char *values[N_KEYS];

static int is_tpmkit(CONF *conf, const char *name, const char *section)
{
    const char *module = NCONF_get_string(conf, section, "module");
    size_t len = module != NULL ? strlen(module) : 0;

    return strcmp(name, "tpmkit") == 0
           || (len >= 9 && strcmp(module + len - 9, "tpmkit.so") == 0);
}

/* openssl_conf -> providers -> the section of the provider that is
 * tpmkit (by name or module). Missing pieces mean no settings. */
static void read_openssl_cnf(void)
{
    char *file = CONF_get1_default_config_file();
    CONF *conf = NCONF_new(NULL);
    const char *init, *providers = NULL, *section = NULL;
    STACK_OF(CONF_VALUE) *list = NULL;

    ERR_set_mark();
    if (file == NULL || conf == NULL || NCONF_load(conf, file, NULL) <= 0)
        goto end;
    if ((init = NCONF_get_string(conf, NULL, "openssl_conf")) != NULL)
        providers = NCONF_get_string(conf, init, "providers");
    if (providers != NULL)
        list = NCONF_get_section(conf, providers);
    for (int i = 0; list != NULL && i < sk_CONF_VALUE_num(list); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(list, i);

        if (is_tpmkit(conf, v->name, v->value)) {
            section = v->value;
            break;
        }
    }
    for (size_t k = 0; section != NULL && k < N_KEYS; k++) {
        const char *value = NCONF_get_string(conf, section, keys[k]);

        if (value != NULL)
            values[k] = OPENSSL_strdup(value);
    }
end:
    ERR_pop_to_mark();
    NCONF_free(conf);
    OPENSSL_free(file);
}

static int get_params(const OSSL_CORE_HANDLE *core, OSSL_PARAM params[])
{
    (void)core;
    for (size_t k = 0; k < N_KEYS; k++) {
        OSSL_PARAM *p = OSSL_PARAM_locate(params, keys[k]);

        if (p != NULL && values[k] != NULL
            && !OSSL_PARAM_set_utf8_ptr(p, values[k]))
            return 0;
    }
    return 1;
}

static const OSSL_DISPATCH core_params[] = {
    { OSSL_FUNC_CORE_GET_PARAMS, (void (*)(void))get_params },
    { 0, NULL },
};

tk_tpm *tkk_tpm_open(const char *cmd)
{
    tk_config cfg;
    tk_tpm_settings s;
    tk_tpm *tpm;

    read_openssl_cnf();
    tk_config_load(NULL, core_params, &cfg);
    for (size_t k = 0; k < N_KEYS; k++) {
        OPENSSL_free(values[k]);
        values[k] = NULL;
    }
    if (cfg.problem[0] != '\0') {
        tkk_fail(cmd, "unusable tpmkit settings: %s", cfg.problem);
        return NULL;
    }
    tk_tpm_settings_default(&s);
    s.tcti = cfg.tcti;
    s.encrypt = cfg.encrypt;
    s.identity = cfg.identity;
    s.storage_primary = cfg.storage_primary;
    memcpy(s.timeouts, cfg.timeouts, sizeof(s.timeouts));
    if ((tpm = tk_tpm_acquire_with(&s)) == NULL)
        tkk_fail(cmd, "out of memory");
    return tpm;
}
