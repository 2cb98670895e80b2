/* SPDX-License-Identifier: Apache-2.0 */
/* Error reporting. tpm/ and decoders/ raise errors through a provider
 * core (provider/errors.c); this program has no core, so it registers one
 * of its own whose error functions keep the messages for printing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/core_dispatch.h>

#include "tool.h"
#include "../../provider/errors.h"

#define MAX_ERRORS 16

static char caught[MAX_ERRORS][640];
static size_t n_caught;
static uint32_t reasons[MAX_ERRORS];

static const char *reason_text(uint32_t reason)
{
    for (const OSSL_ITEM *it = tk_reason_strings(); it->ptr != NULL; it++)
        if (it->id == reason)
            return it->ptr;
    return "error";
}

static void new_error(const OSSL_CORE_HANDLE *core)
{
    (void)core;
    if (n_caught < MAX_ERRORS)
        caught[n_caught][0] = '\0';
}

static void set_error_debug(const OSSL_CORE_HANDLE *core, const char *file,
                            int line, const char *func)
{
    (void)core;
    (void)file;
    (void)line;
    (void)func;
}

static void vset_error(const OSSL_CORE_HANDLE *core, uint32_t reason,
                       const char *fmt, va_list ap)
{
    (void)core;
    if (n_caught >= MAX_ERRORS)
        return;
    vsnprintf(caught[n_caught], sizeof(caught[n_caught]), fmt, ap);
    reasons[n_caught++] = reason;
}

static const OSSL_DISPATCH core_functions[] = {
    { OSSL_FUNC_CORE_NEW_ERROR, (void (*)(void))new_error },
    { OSSL_FUNC_CORE_SET_ERROR_DEBUG, (void (*)(void))set_error_debug },
    { OSSL_FUNC_CORE_VSET_ERROR, (void (*)(void))vset_error },
    { 0, NULL },
};

/* Any non-NULL handle: ours are never dereferenced. */
static const char core_token[] = "tpmkit-key";

void tkk_report_init(void)
{
    /* Lives until exit, like the program. */
    tk_errors_register((const OSSL_CORE_HANDLE *)core_token, core_functions);
}

void tkk_report_clear(void)
{
    n_caught = 0;
}

static void print_caught(void)
{
    for (size_t i = 0; i < n_caught; i++) {
        /* The TPM layer repeats an inner error in its outer one: skip
         * messages contained in a later one. */
        int repeated = 0;

        for (size_t j = i + 1; j < n_caught && !repeated; j++)
            repeated = strstr(caught[j], caught[i]) != NULL;
        if (repeated)
            continue;
        /* Those two reasons speak of keys and requests in the provider's
         * terms; the detail says it better here. */
        if (reasons[i] == TK_R_NOT_SUPPORTED || reasons[i] == TK_R_BAD_REQUEST)
            fprintf(stderr, "  %s\n", caught[i]);
        else
            fprintf(stderr, "  %s: %s\n", reason_text(reasons[i]), caught[i]);
    }
    n_caught = 0;
}

int tkk_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tpmkit-key %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_caught();
    return TKK_FAILED;
}

int tkk_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tpmkit-key %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tpmkit-key %s --help'.\n", cmd);
    return TKK_USAGE;
}
