/* SPDX-License-Identifier: Apache-2.0 */
/* Debug tracing, like pkcs11-provider's: TPMKIT_DEBUG=LEVEL[,file:PATH],
 * read once. Level 1: errors and lifecycle (connect, sessions, recovery);
 * 2: also every TPM command and response code. Lines carry a timestamp
 * and the process id; never a secret. Output goes to stderr, or appended
 * to PATH. */
#ifndef TK_DEBUG_H
#define TK_DEBUG_H

#include <stdarg.h>

enum tk_debug_level {
    TK_DEBUG_OFF = 0,
    TK_DEBUG_ERRORS = 1,
    TK_DEBUG_COMMANDS = 2,
};

/* The level from TPMKIT_DEBUG (read at the first call). */
int tk_debug_level(void);

/* A level-1 trace line. */
void tk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A trace line at `level`. */
void tk_debug_at(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An error raised at file:line with a tpmkit reason. */
void tk_debug_vprint(int level, const char *file, int line, int reason,
                     const char *fmt, va_list ap);

#endif
