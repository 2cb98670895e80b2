/* SPDX-License-Identifier: Apache-2.0 */
#include "debug.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int level;
static FILE *out;

/* "LEVEL[,file:PATH]"; a bare "1"-style value keeps working. Anything
 * unreadable as a level still turns tracing on: whoever set the variable
 * wants to see something. */
static void read_setting(void)
{
    const char *env = getenv("TPMKIT_DEBUG");
    const char *file;

    if (env == NULL || *env == '\0')
        return;
    level = atoi(env);
    if (level <= 0)
        level = TK_DEBUG_ERRORS;
    out = stderr;
    if ((file = strstr(env, "file:")) != NULL) {
        FILE *f = fopen(file + 5, "a");

        if (f != NULL) {
            setvbuf(f, NULL, _IOLBF, 0);
            out = f;
        }
    }
}

int tk_debug_level(void)
{
    pthread_once(&once, read_setting);
    return level;
}

static void prefix(void)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(out, "tpmkit[%d] %02d:%02d:%02d.%06ld ", (int)getpid(), tm.tm_hour,
            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static void vtrace(int at, const char *fmt, va_list ap)
{
    if (tk_debug_level() < at)
        return;
    flockfile(out);
    prefix();
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    funlockfile(out);
}

void tk_debug(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vtrace(TK_DEBUG_ERRORS, fmt, ap);
    va_end(ap);
}

void tk_debug_at(int at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vtrace(at, fmt, ap);
    va_end(ap);
}

void tk_debug_vprint(int at, const char *file, int line, int reason,
                     const char *fmt, va_list ap)
{
    if (tk_debug_level() < at)
        return;
    flockfile(out);
    prefix();
    fprintf(out, "error %d at %s:%d: ", reason, file, line);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    funlockfile(out);
}
