/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-bench: one table of operations per second for the raw TPM command
 * (ESYS), tpmkit through EVP and tpm2-openssl through EVP, each as
 * min/median/max over interleaved rounds, then the cost of first use and
 * the project's targets. It prints figures; it never judges a run by
 * speed (exit status 0 unless the bench itself cannot run).
 *
 *   tpmkit-bench --keys DIR --module-dir DIR [--rounds N]
 *                [--seconds S | --iterations N] [--only ID,...]
 *                [--columns base,tk,t2o]   (for profiling one implementation)
 *
 *   tpmkit-bench --minimal OP --keys DIR [--srk FILE]
 *                (one cold-start process: the fewest TPM commands for OP;
 *                 bench/cold.py times it)
 *   tpmkit-bench --save-srk FILE  (the ESYS_TR of 0x81000001, for --srk)
 *
 * The TPM is the one in TPMKIT_TCTI (tpm2-openssl: TPM2OPENSSL_TCTI). The
 * keys directory is made by bench/make-keys.sh. TK_BENCH_DEBUG=1 prints
 * OpenSSL's whole error queue when a cell turns n/a.
 *
 * TK_BENCH_TPMLOG=FILE names the command log of bench/tpm_latency.py (the
 * latency layer in front of the TPM; TK_BENCH_MODEL names its chip model):
 * the bench then reads which TPM commands each cell sent and prints them
 * per operation, with the modelled TPM time they add up to. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>

#include "bench.h"

#define MAX_ROUNDS 50
#define NCOL 3

enum { COL_BASE, COL_TK, COL_T2O };
static const char *const col_names[NCOL] = { "baseline", "tpmkit",
                                             "tpm2-openssl" };

/* --- helpers ---------------------------------------------------------------- */

double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_ossl_why(char *why, const char *fallback)
{
    unsigned long e;
    const char *data = NULL;
    int flags = 0;
    char text[160] = "";

    if (getenv("TK_BENCH_DEBUG") != NULL)
        ERR_print_errors_fp(stderr);
    /* The first error says where it started; keep its data too. */
    if ((e = ERR_peek_error_data(&data, &flags)) != 0) {
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(why, BENCH_WHY, "%s: %s%s%s", fallback, text,
                 (flags & ERR_TXT_STRING) && data != NULL && *data ? ": " : "",
                 (flags & ERR_TXT_STRING) && data != NULL ? data : "");
    } else {
        snprintf(why, BENCH_WHY, "%s", fallback);
    }
    ERR_clear_error();
}

char *bench_path(const bench_env *env, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", env->keys, name);
    return buf;
}

EVP_PKEY *bench_load_key(OSSL_LIB_CTX *libctx, const char *propq,
                         const char *path, char *why)
{
    OSSL_STORE_CTX *store = OSSL_STORE_open_ex(path, libctx, propq, NULL, NULL,
                                               NULL, NULL, NULL);
    EVP_PKEY *key = NULL;

    while (store != NULL && key == NULL && !OSSL_STORE_eof(store)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(store);

        if (info != NULL
            && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            key = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
        if (info == NULL && OSSL_STORE_error(store))
            break;
    }
    OSSL_STORE_close(store);
    if (key == NULL)
        bench_ossl_why(why, "cannot load the key");
    return key;
}

/* --- the rows ------------------------------------------------------------ */

typedef struct cell_def {
    const bench_impl *impl; /* NULL: not applicable, see na */
    const void *arg;
    const char *na;
} cell_def;

typedef struct row {
    const char *id;
    const char *name;
    const char *unit;
    cell_def col[NCOL];
} row;

#define RAW(op, size, sess, key)                                               \
    {                                                                          \
        &raw_impl, &(const raw_arg){ op, size, sess, key, 0 }, NULL            \
    }
#define RAW_PARKED(op, size, sess, key)                                        \
    {                                                                          \
        &raw_impl, &(const raw_arg){ op, size, sess, key, 1 }, NULL            \
    }
#define EVP(which, op, size, key)                                              \
    {                                                                          \
        &evp_impl, &(const evp_arg){ which, op, size, key }, NULL              \
    }
#define TLS(which, key, cert, psk)                                             \
    {                                                                          \
        &tls_impl, &(const tls_arg){ which, key, cert, psk }, NULL             \
    }
#define NA(why)                                                                \
    {                                                                          \
        NULL, NULL, why                                                        \
    }

#define T2O_NO_SESSION                                                         \
    "tpm2-openssl has no session-encryption setting: see the row without "     \
    "encryption"
#define T2O_NO_MAC "tpm2-openssl has no MAC"
#define T2O_PARK                                                               \
    "diagnostic row: raw ESYS with the parking tpmkit does without a "         \
    "resource manager"

#define T2O_SEQ_PW                                                             \
    "diagnostic row: raw ESYS authorizing sequence updates by password (no "   \
    "integrity for the input), which tpmkit does not do"
#define T2O_SEE_TLS                                                            \
    "tpm2-openssl's handshakes: see the TLS 1.3 rows with a software "         \
    "baseline"

static const row rows[] = {
    { "rand32-enc",
      "TPM random 32 B, encrypted session",
      "op/s",
      { RAW(RAW_RANDOM, 32, 1, NULL), EVP(EVP_TK, EVP_SEED, 32, NULL),
        NA(T2O_NO_SESSION) } },
    { "rand4k-enc",
      "TPM random 4 KiB, encrypted session",
      "op/s",
      { RAW(RAW_RANDOM, 4096, 1, NULL), EVP(EVP_TK, EVP_SEED, 4096, NULL),
        NA(T2O_NO_SESSION) } },
    { "rand32-clear",
      "TPM random 32 B, no encryption",
      "op/s",
      { RAW(RAW_RANDOM, 32, 0, NULL), EVP(EVP_TK_CLEAR, EVP_SEED, 32, NULL),
        EVP(EVP_T2O, EVP_SEED, 32, NULL) } },
    { "rand4k-clear",
      "TPM random 4 KiB, no encryption",
      "op/s",
      { RAW(RAW_RANDOM, 4096, 0, NULL), EVP(EVP_TK_CLEAR, EVP_SEED, 4096, NULL),
        EVP(EVP_T2O, EVP_SEED, 4096, NULL) } },
    { "randbytes32",
      "RAND_bytes 32 B (base: OpenSSL default)",
      "op/s",
      { EVP(EVP_SW, EVP_RANDBYTES, 32, NULL),
        EVP(EVP_TK, EVP_RANDBYTES, 32, NULL),
        EVP(EVP_T2O, EVP_RANDBYTES, 32, NULL) } },
    { "randbytes4k",
      "RAND_bytes 4 KiB (base: OpenSSL default)",
      "op/s",
      { EVP(EVP_SW, EVP_RANDBYTES, 4096, NULL),
        EVP(EVP_TK, EVP_RANDBYTES, 4096, NULL),
        EVP(EVP_T2O, EVP_RANDBYTES, 4096, NULL) } },
    { "sign-rsa",
      "DigestSign RSA-2048 PKCS#1 SHA-256",
      "op/s",
      { RAW(RAW_SIGN_RSASSA, 0, 0, "rsa.pem"),
        EVP(EVP_TK, EVP_SIGN_PKCS1, 0, "rsa.pem"),
        EVP(EVP_T2O, EVP_SIGN_PKCS1, 0, "rsa.pem") } },
    { "sign-pss",
      "DigestSign RSA-2048 PSS SHA-256",
      "op/s",
      { RAW(RAW_RSA_RAW, 0, 0, "rsa.pem"),
        EVP(EVP_TK, EVP_SIGN_PSS, 0, "rsa.pem"),
        EVP(EVP_T2O, EVP_SIGN_PSS, 0, "rsa.pem") } },
    { "sign-ecdsa",
      "DigestSign ECDSA P-256 SHA-256",
      "op/s",
      { RAW(RAW_SIGN_ECDSA, 0, 0, "ec.pem"),
        EVP(EVP_TK, EVP_SIGN_ECDSA, 0, "ec.pem"),
        EVP(EVP_T2O, EVP_SIGN_ECDSA, 0, "ec.pem") } },
    { "sign-ecdsa-park",
      "ECDSA P-256, base: raw with tk's parking",
      "op/s",
      { RAW_PARKED(RAW_SIGN_ECDSA, 0, 0, "ec.pem"),
        EVP(EVP_TK, EVP_SIGN_ECDSA, 0, "ec.pem"), NA(T2O_PARK) } },
    { "decrypt-oaep",
      "Decrypt RSA-2048 OAEP",
      "op/s",
      { RAW(RAW_RSA_RAW, 0, 1, "rsa.pem"),
        EVP(EVP_TK, EVP_DECRYPT_OAEP, 0, "rsa.pem"),
        EVP(EVP_T2O, EVP_DECRYPT_OAEP, 0, "rsa.pem") } },
    { "ecdh",
      "Derive ECDH P-256",
      "op/s",
      { RAW(RAW_ECDH, 0, 1, "ec.pem"), EVP(EVP_TK, EVP_DERIVE, 0, "ec.pem"),
        EVP(EVP_T2O, EVP_DERIVE, 0, "ec.pem") } },
    { "hmac64",
      "TPM2-HMAC SHA-256 64 B",
      "op/s",
      { RAW(RAW_HMAC, 64, 1, "hmac.pem"), EVP(EVP_TK, EVP_MAC_HMAC, 64, NULL),
        NA(T2O_NO_MAC) } },
    { "hmac64k",
      "TPM2-HMAC SHA-256 64 KiB",
      "op/s",
      { RAW(RAW_HMAC, 65536, 1, "hmac.pem"),
        EVP(EVP_TK, EVP_MAC_HMAC, 65536, NULL), NA(T2O_NO_MAC) } },
    { "hmac64k-pw",
      "HMAC 64 KiB, base: raw, password updates",
      "op/s",
      { RAW(RAW_HMAC, 65536, RAW_SEQ_PASSWORD, "hmac.pem"),
        EVP(EVP_TK, EVP_MAC_HMAC, 65536, NULL), NA(T2O_SEQ_PW) } },
    { "hmac64-clear",
      "TPM2-HMAC SHA-256 64 B, no session",
      "op/s",
      { RAW(RAW_HMAC, 64, 0, "hmac.pem"),
        EVP(EVP_TK_CLEAR, EVP_MAC_HMAC, 64, NULL), NA(T2O_NO_MAC) } },
    { "tls13-ec",
      "TLS 1.3 handshake, P-256 key (base: soft)",
      "hs/s",
      { TLS(EVP_SW, "sw-ec.pem", "sw-ec.crt", 0),
        TLS(EVP_TK, "ec.pem", "ec.crt", 0),
        TLS(EVP_T2O, "ec.pem", "ec.crt", 0) } },
    { "tls13-rsa",
      "TLS 1.3 handshake, RSA-2048 (base: soft)",
      "hs/s",
      { TLS(EVP_SW, "sw-rsa.pem", "sw-rsa.crt", 0),
        TLS(EVP_TK, "rsa.pem", "rsa.crt", 0),
        TLS(EVP_T2O, "rsa.pem", "rsa.crt", 0) } },
    /* The handshake rate against the bare signing rate with the same key
     * (through the same resource manager, when there is one). */
    { "tls13-ec-vs-sign",
      "TLS 1.3 P-256 (base: raw Sign, same key)",
      "hs/s",
      { RAW(RAW_SIGN_ECDSA, 0, 0, "ec.pem"), TLS(EVP_TK, "ec.pem", "ec.crt", 0),
        NA(T2O_SEE_TLS) } },
    { "tls13-rsa-vs-pss",
      "TLS 1.3 RSA-2048 (base: raw RSA_Decrypt)",
      "hs/s",
      { RAW(RAW_RSA_RAW, 0, 0, "rsa.pem"), TLS(EVP_TK, "rsa.pem", "rsa.crt", 0),
        NA(T2O_SEE_TLS) } },
    { "psk",
      "TLS 1.2 PSK handshake (base: fixed PSK)",
      "hs/s",
      { TLS(EVP_SW, NULL, NULL, 1), TLS(EVP_TK, NULL, NULL, 1),
        NA(T2O_NO_MAC) } },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* --- measuring ------------------------------------------------------------- */

/* The TPM commands a cell sent while its clock ran (from the latency
 * layer's log), summed over rounds. */
#define MAX_CC 24
typedef struct cmd_stats {
    long ops;        /* timed operations */
    long commands;   /* TPM commands they sent */
    double model_ms; /* the model's time for those commands */
    int ncc;
    struct {
        char name[32];
        long count;
    } cc[MAX_CC];
} cmd_stats;

typedef struct cell {
    double rate[MAX_ROUNDS];
    int n;
    int na;
    char why[BENCH_WHY];
    cmd_stats cmds;
} cell;

static struct {
    int rounds;
    double seconds;
    long iterations; /* > 0: a fixed count instead of seconds */
    const char *only;
    int columns; /* bit mask of the columns to measure */
} opt = { 5, 0.5, 0, NULL, 7 };

static int selected(const char *id)
{
    const char *p;
    size_t len = strlen(id);

    if (opt.only == NULL)
        return 1;
    for (p = opt.only; (p = strstr(p, id)) != NULL; p += len)
        if ((p == opt.only || p[-1] == ',')
            && (p[len] == ',' || p[len] == '\0'))
            return 1;
    return 0;
}

static void mark_na(cell *c, const char *why)
{
    c->na = 1;
    snprintf(c->why, sizeof(c->why), "%.*s", BENCH_WHY - 1, why);
}

/* --- the latency layer's command log ------------------------------------- */

static const char *tpmlog; /* TK_BENCH_TPMLOG, or NULL */

static long tpmlog_offset(void)
{
    FILE *f;
    long end;

    if (tpmlog == NULL || (f = fopen(tpmlog, "r")) == NULL)
        return -1;
    fseek(f, 0, SEEK_END);
    end = ftell(f);
    fclose(f);
    return end;
}

static void stats_add(cmd_stats *s, const char *name, long count, double ms)
{
    int i;

    for (i = 0; i < s->ncc && strcmp(s->cc[i].name, name) != 0; i++)
        ;
    if (i == s->ncc) {
        if (s->ncc == MAX_CC)
            i = MAX_CC - 1; /* the last slot takes the rest */
        else
            snprintf(s->cc[s->ncc++].name, sizeof(s->cc[0].name), "%.31s",
                     name);
    }
    s->cc[i].count += count;
    s->commands += count;
    s->model_ms += ms;
}

/* Lines "CC NAME CLASS MODEL_MS SWTPM_MS RC" written between two offsets.
 * The layer writes a command's line before it forwards the response, so
 * every command of an operation that returned is there. */
static void tpmlog_collect(cmd_stats *s, long from, long to, long ops)
{
    char line[256], name[64];
    double ms;
    FILE *f;

    if (from < 0 || to < from || (f = fopen(tpmlog, "r")) == NULL)
        return;
    fseek(f, from, SEEK_SET);
    while (ftell(f) < to && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "%*s %63s %*s %lf", name, &ms) == 2)
            stats_add(s, name, 1, ms);
    fclose(f);
    s->ops += ops;
}

static void measure(bench_env *env, const cell_def *def, cell *c, int round,
                    int col)
{
    long log_from, log_to;
    char why[BENCH_WHY] = "";
    void *state = NULL;
    long count = 0;
    double start, elapsed = 0;

    if (c->na)
        return;
    if (!(opt.columns & (1 << col))) {
        mark_na(c, "column not selected (--columns)");
        return;
    }
    if (def->impl == NULL) {
        mark_na(c, def->na);
        return;
    }
    if (!def->impl->setup(env, def->arg, &state, why)) {
        mark_na(c, why);
        ERR_clear_error();
        return;
    }
    /* Two untimed calls: first-use costs are measured on their own, and
     * without a resource manager tpmkit's first two operations in a
     * connection differ from the rest (the first leaves nothing saved, so
     * the second makes the primary and the session again). */
    for (int warm = 0; warm < 2; warm++)
        if (!def->impl->run(state)) {
            bench_ossl_why(why, "fails");
            mark_na(c, why);
            def->impl->done(state);
            return;
        }
    log_from = tpmlog_offset();
    start = bench_now();
    do {
        if (!def->impl->run(state)) {
            bench_ossl_why(why, "failed while measuring");
            snprintf(c->why, sizeof(c->why), "round %d: %.180s", round + 1,
                     why);
            c->na = 1;
            break;
        }
        count++;
        elapsed = bench_now() - start;
    } while (opt.iterations > 0 ? count < opt.iterations
                                : elapsed < opt.seconds);
    log_to = tpmlog_offset();
    def->impl->done(state);
    if (!c->na) {
        c->rate[c->n++] = (double)count / elapsed;
        tpmlog_collect(&c->cmds, log_from, log_to, count);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_ROUNDS];

    memcpy(s, v, (size_t)n * sizeof(*v));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
    double m = v[0];

    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double vmax(const double *v, int n)
{
    double m = v[0];

    for (int i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static void fmt_num(char *out, size_t len, double v)
{
    if (v >= 100)
        snprintf(out, len, "%.0f", v);
    else if (v >= 10)
        snprintf(out, len, "%.1f", v);
    else
        snprintf(out, len, "%.2f", v);
}

/* Footnotes for n/a cells: each distinct reason once. */
static char notes[64][BENCH_WHY];
static int nnotes;

static int note(const char *why)
{
    for (int i = 0; i < nnotes; i++)
        if (strcmp(notes[i], why) == 0)
            return i + 1;
    if (nnotes == 64)
        return 64;
    snprintf(notes[nnotes], BENCH_WHY, "%s", why);
    return ++nnotes;
}

static void fmt_cell(char *out, size_t len, const double *v, int n, int na,
                     const char *why)
{
    char a[16], b[16], c[16];

    if (na || n == 0) {
        snprintf(out, len, "n/a[%d]", note(na ? why : "not measured"));
        return;
    }
    fmt_num(a, sizeof(a), vmin(v, n));
    fmt_num(b, sizeof(b), median(v, n));
    fmt_num(c, sizeof(c), vmax(v, n));
    snprintf(out, len, "%s/%s/%s", a, b, c);
}

static double med_or_zero(const cell *c)
{
    return c->na || c->n == 0 ? 0 : median(c->rate, c->n);
}

/* Ratios are taken round by round, then the median: the two cells of a
 * round ran minutes apart at most, so a busy spell on the machine mostly
 * cancels out. 0 when either cell has no figures. */
static double paired(const cell *a, const cell *b)
{
    double r[MAX_ROUNDS];

    if (a == NULL || b == NULL || a->na || b->na || a->n == 0 || a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        r[i] = a->rate[i] / b->rate[i];
    return median(r, a->n);
}

static void fmt_ratio(char *out, size_t len, double value)
{
    if (value > 0)
        snprintf(out, len, "%.2f", value);
    else
        snprintf(out, len, "-");
}

#define LINE_FMT "%-42s %-4s %-23s %-23s %-23s %7s %7s\n"

static cell results[NROWS][NCOL];

static const cell *result(const char *id, int col)
{
    for (size_t r = 0; r < NROWS; r++)
        if (strcmp(rows[r].id, id) == 0)
            return &results[r][col];
    return NULL;
}

static void print_table(void)
{
    char cells[NCOL][48], r1[16], r2[16];

    printf(LINE_FMT, "operation (rates: min/median/max)", "unit", "baseline",
           "tpmkit", "tpm2-openssl", "tk/base", "tk/t2o");
    for (size_t r = 0; r < NROWS; r++) {
        if (!selected(rows[r].id))
            continue;
        for (int c = 0; c < NCOL; c++)
            fmt_cell(cells[c], sizeof(cells[c]), results[r][c].rate,
                     results[r][c].n, results[r][c].na, results[r][c].why);
        fmt_ratio(r1, sizeof(r1),
                  paired(&results[r][COL_TK], &results[r][COL_BASE]));
        fmt_ratio(r2, sizeof(r2),
                  paired(&results[r][COL_TK], &results[r][COL_T2O]));
        printf(LINE_FMT, rows[r].name, rows[r].unit, cells[0], cells[1],
               cells[2], r1, r2);
    }
}

static void fmt_count(char *out, size_t len, double v)
{
    if (v == (long)v)
        snprintf(out, len, "%ld", (long)v);
    else
        snprintf(out, len, "%.2f", v);
}

/* What each operation cost in TPM commands: per timed operation, summed
 * over the rounds, and the model's time for them. */
static void print_commands(void)
{
    const char *model = getenv("TK_BENCH_MODEL");
    char n[16], ms[16], by[512], one[64];

    printf("TPM commands per operation (counted by the latency layer; TPM ms"
           " = the %s%s model's\n  time for those commands, summed:"
           " what the chip alone would take)\n",
           model != NULL ? model : "?",
           model != NULL && strcmp(model, "none") == 0 ? " (all zero)" : "");
    printf("%-42s %-12s %7s %9s  %s\n", "operation", "column", "cmds/op",
           "TPM ms/op", "commands per operation");
    for (size_t r = 0; r < NROWS; r++) {
        int first = 1;

        if (!selected(rows[r].id))
            continue;
        for (int c = 0; c < NCOL; c++) {
            const cmd_stats *s = &results[r][c].cmds;
            size_t used = 0;

            if (results[r][c].na || s->ops == 0)
                continue;
            by[0] = '\0';
            for (int i = 0; i < s->ncc; i++) {
                fmt_count(n, sizeof(n), (double)s->cc[i].count / s->ops);
                snprintf(one, sizeof(one), "%s%s %s", i ? ", " : "",
                         s->cc[i].name, n);
                if (used + strlen(one) < sizeof(by)) {
                    memcpy(by + used, one, strlen(one) + 1);
                    used += strlen(one);
                }
            }
            if (s->ncc == 0)
                snprintf(by, sizeof(by), "none");
            fmt_count(n, sizeof(n), (double)s->commands / s->ops);
            fmt_num(ms, sizeof(ms), s->model_ms / s->ops);
            printf("%-42s %-12s %7s %9s  %s\n", first ? rows[r].name : "",
                   col_names[c], n, ms, by);
            first = 0;
        }
    }
}

/* --- first use: each measurement in a fresh process ------------------------ */

#define NFIRST 4
static const char *const first_names[NFIRST] = {
    "first use: provider load (raw: connect)",
    "first use: 32 random bytes (connect+session)",
    "first use: load EC key file + first sign",
    "first use: storage primary (CreatePrimary)",
};
static cell first[NFIRST][NCOL];
static const char *self_exe;

/* Child side: print the milliseconds, or "error: why". */
static int first_use_child(const char *which, const char *keys,
                           const char *module_dir)
{
    double ms[4] = { 0 };
    char why[BENCH_WHY] = "";
    int ok, n = 3;

    if (strcmp(which, "raw") == 0) {
        ok = raw_first_use(keys, ms, why);
        n = 4;
    } else {
        ok = evp_first_use(module_dir, keys, strcmp(which, "t2o") == 0, ms,
                           why);
    }
    if (!ok) {
        printf("error: %s\n", why);
        return 1;
    }
    for (int i = 0; i < n; i++)
        printf("%.3f%c", ms[i], i + 1 < n ? ' ' : '\n');
    return 0;
}

static void first_use_round(const char *keys, const char *module_dir, int col)
{
    static const char *const which[NCOL] = { "raw", "tk", "t2o" };
    int fds[2];
    pid_t pid;
    char buf[512] = "";
    ssize_t got;
    size_t len = 0;
    double ms[4];
    int n, status;

    if (first[0][col].na || pipe(fds) != 0)
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(self_exe, self_exe, "--first-use", which[col], "--keys", keys,
              "--module-dir", module_dir, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (pid > 0 && len < sizeof(buf) - 1
           && (got = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    buf[strcspn(buf, "\n")] = '\0';
    n = sscanf(buf, "%lf %lf %lf %lf", &ms[0], &ms[1], &ms[2], &ms[3]);
    if (n < 3) {
        for (int i = 0; i < NFIRST; i++)
            mark_na(&first[i][col], strncmp(buf, "error: ", 7) == 0
                                        ? buf + 7
                                        : "the first-use process failed");
        return;
    }
    for (int i = 0; i < NFIRST; i++) {
        if (i < n)
            first[i][col].rate[first[i][col].n++] = ms[i];
        else if (!first[i][col].na)
            mark_na(&first[i][col],
                    "tpmkit and tpm2-openssl create the storage "
                    "primary inside their first TPM use");
    }
}

static void print_first_use(void)
{
    char cells[NCOL][48], r1[16], r2[16];

    printf(LINE_FMT, "cost of first use (min/median/max)", "unit", "raw ESYS",
           "tpmkit", "tpm2-openssl", "tk/base", "tk/t2o");
    for (int i = 0; i < NFIRST; i++) {
        for (int c = 0; c < NCOL; c++)
            fmt_cell(cells[c], sizeof(cells[c]), first[i][c].rate,
                     first[i][c].n, first[i][c].na, first[i][c].why);
        fmt_ratio(r1, sizeof(r1),
                  paired(&first[i][COL_TK], &first[i][COL_BASE]));
        fmt_ratio(r2, sizeof(r2),
                  paired(&first[i][COL_TK], &first[i][COL_T2O]));
        printf(LINE_FMT, first_names[i], "ms", cells[0], cells[1], cells[2], r1,
               r2);
    }
}

/* --- targets ------------------------------------------------------------- */

static void target(const char *what, double value, double goal, int at_least)
{
    if (value <= 0) {
        printf("  %-62s    n/a   (goal %s %.2f): not measured\n", what,
               at_least ? ">=" : "<=", goal);
        return;
    }
    printf("  %-62s %6.2f   (goal %s %.2f): %s\n", what, value,
           at_least ? ">=" : "<=", goal,
           (at_least ? value >= goal : value <= goal) ? "met" : "MISSED");
}

static double ratio(const char *a, int ca, const char *b, int cb)
{
    if (!selected(a) || !selected(b))
        return 0;
    return paired(result(a, ca), result(b, cb));
}

/* tpmkit's handshake rate over the best a server could do with a free
 * provider: the software handshake plus `n` raw TPM commands, in series. */
static double bound(const char *tls, const char *op, int n)
{
    const cell *hs, *soft, *raw;
    double r[MAX_ROUNDS];

    if (!selected(tls) || !selected(op))
        return 0;
    hs = result(tls, COL_TK);
    soft = result(tls, COL_BASE);
    raw = result(op, COL_BASE);
    if (paired(hs, soft) <= 0 || paired(hs, raw) <= 0)
        return 0;
    for (int i = 0; i < hs->n; i++)
        r[i] = hs->rate[i] * (1 / soft->rate[i] + n / raw->rate[i]);
    return median(r, hs->n);
}

static void print_targets(void)
{
    printf("targets (medians of per-round ratios; informational: the bench "
           "never fails"
           " on speed)\n");
    target("RSA PKCS#1 sign: tpmkit / raw TPM2_Sign",
           ratio("sign-rsa", COL_TK, "sign-rsa", COL_BASE), 0.95, 1);
    target("RSA PSS sign: tpmkit / raw TPM2_RSA_Decrypt",
           ratio("sign-pss", COL_TK, "sign-pss", COL_BASE), 0.95, 1);
    target("ECDSA sign: tpmkit / raw TPM2_Sign",
           ratio("sign-ecdsa", COL_TK, "sign-ecdsa", COL_BASE), 0.95, 1);
    target("HMAC 64 B: tpmkit / raw TPM2_HMAC",
           ratio("hmac64", COL_TK, "hmac64", COL_BASE), 0.95, 1);
    target("HMAC 64 KiB: tpmkit / raw HMAC sequence",
           ratio("hmac64k", COL_TK, "hmac64k", COL_BASE), 0.95, 1);
    target("ECDSA sign: tpmkit / tpm2-openssl",
           ratio("sign-ecdsa", COL_TK, "sign-ecdsa", COL_T2O), 1.3, 1);
    target("TLS 1.3 P-256: tpmkit handshakes / raw ECDSA signs",
           ratio("tls13-ec-vs-sign", COL_TK, "tls13-ec-vs-sign", COL_BASE), 0.9,
           1);
    target("TLS 1.3 RSA: tpmkit handshakes / raw RSA_Decrypt (PSS) ops",
           ratio("tls13-rsa-vs-pss", COL_TK, "tls13-rsa-vs-pss", COL_BASE), 0.9,
           1);
    target("TLS 1.3 P-256: tpmkit / (soft handshake + raw sign) bound",
           bound("tls13-ec", "sign-ecdsa", 1), 0.9, 1);
    target("TLS 1.3 RSA: tpmkit / (soft handshake + raw RSA_Decrypt) bound",
           bound("tls13-rsa", "sign-pss", 1), 0.9, 1);
    target("TLS 1.2 PSK: tpmkit / (fixed-PSK handshake + 2 raw HMAC) bound",
           bound("psk", "hmac64", 2), 0.9, 1);
    target("RAND_bytes 32 B: tpmkit-seeded / OpenSSL default",
           ratio("randbytes32", COL_TK, "randbytes32", COL_BASE), 0.9, 1);
    target("RAND_bytes 4 KiB: tpmkit-seeded / OpenSSL default",
           ratio("randbytes4k", COL_TK, "randbytes4k", COL_BASE), 0.9, 1);
    /* Time per command, encrypted over clear: rate ratio inverted. */
    target("GetRandom 32 B raw ESYS: time encrypted / time clear",
           ratio("rand32-clear", COL_BASE, "rand32-enc", COL_BASE), 1.25, 0);
    target("GetRandom 32 B tpmkit: time encrypted / time clear",
           ratio("rand32-clear", COL_TK, "rand32-enc", COL_TK), 1.25, 0);
    target("GetRandom 4 KiB (64 commands) tpmkit: time encrypted / clear",
           ratio("rand4k-clear", COL_TK, "rand4k-enc", COL_TK), 1.25, 0);
    target("HMAC 64 B tpmkit: time encrypted / clear",
           ratio("hmac64-clear", COL_TK, "hmac64", COL_TK), 1.25, 0);
    for (int col = COL_BASE; col <= COL_TK; col++) {
        double e = med_or_zero(result("rand32-enc", col));
        double c = med_or_zero(result("rand32-clear", col));

        if (e > 0 && c > 0)
            printf("  session encryption adds %.3f ms per GetRandom in %s "
                   "(%.3f ms clear, %.3f ms encrypted)\n",
                   1e3 / e - 1e3 / c, col == COL_BASE ? "raw ESYS" : "tpmkit",
                   1e3 / c, 1e3 / e);
    }
    /* Through tabrmd (the TCTI names it) the manager swaps the session
     * around every command, for both columns. */
    if (strncmp(getenv("TPMKIT_TCTI") ? getenv("TPMKIT_TCTI") : "", "tabrmd", 6)
        == 0)
        printf("  (through the resource manager: it context-loads and saves"
               " the session around\n   every encrypted command, for raw"
               " ESYS and tpmkit alike)\n");
    else
        printf("  (tpmkit without a resource manager: the encrypted figure"
               " includes loading and saving\n   its parked session, two more"
               " TPM commands)\n");
}

/* --- main ----------------------------------------------------------------- */

static void usage(void)
{
    fprintf(
        stderr,
        "usage: tpmkit-bench --keys DIR --module-dir DIR [--rounds N]\n"
        "                    [--seconds S | --iterations N] [--only ID,...]\n"
        "                    [--columns base,tk,t2o]\n"
        "       tpmkit-bench --minimal OP --keys DIR [--srk FILE]\n"
        "       tpmkit-bench --save-srk FILE\n"
        "rows:");
    for (size_t r = 0; r < NROWS; r++)
        fprintf(stderr, " %s", rows[r].id);
    fprintf(stderr, " first-use\n");
    exit(2);
}

int main(int argc, char **argv)
{
    bench_env env = { 0 };
    const char *first_use = NULL, *minimal = NULL, *srk = NULL;
    char why[BENCH_WHY] = "", exe[4096];
    ssize_t exe_len;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL)
            usage();
        if (strcmp(a, "--keys") == 0)
            env.keys = v;
        else if (strcmp(a, "--module-dir") == 0)
            env.module_dir = v;
        else if (strcmp(a, "--rounds") == 0)
            opt.rounds = atoi(v);
        else if (strcmp(a, "--seconds") == 0)
            opt.seconds = atof(v);
        else if (strcmp(a, "--iterations") == 0)
            opt.iterations = atol(v);
        else if (strcmp(a, "--only") == 0)
            opt.only = v;
        else if (strcmp(a, "--columns") == 0)
            opt.columns = (strstr(v, "base") ? 1 : 0)
                          | (strstr(v, "tk") ? 2 : 0)
                          | (strstr(v, "t2o") ? 4 : 0);
        else if (strcmp(a, "--first-use") == 0)
            first_use = v;
        else if (strcmp(a, "--minimal") == 0)
            minimal = v;
        else if (strcmp(a, "--srk") == 0)
            srk = v;
        else if (strcmp(a, "--save-srk") == 0) {
            if (!raw_save_srk(v, why)) {
                fprintf(stderr, "tpmkit-bench: %s\n", why);
                return 1;
            }
            return 0;
        } else
            usage();
        i++;
    }
    if (minimal != NULL && env.keys != NULL) {
        if (!raw_minimal(env.keys, minimal, srk, why)) {
            fprintf(stderr, "tpmkit-bench: %s\n", why);
            return 1;
        }
        return 0;
    }
    if (env.keys == NULL || env.module_dir == NULL || opt.rounds < 1
        || opt.rounds > MAX_ROUNDS || (opt.iterations <= 0 && opt.seconds <= 0))
        usage();
    if (first_use != NULL)
        return first_use_child(first_use, env.keys, env.module_dir);

    tpmlog = getenv("TK_BENCH_TPMLOG");
    if (tpmlog != NULL && *tpmlog == '\0')
        tpmlog = NULL;
    exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (exe_len <= 0) {
        fprintf(stderr, "tpmkit-bench: /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    exe[exe_len] = '\0';
    self_exe = exe;

    printf("tpmkit-bench: %d round(s), %s per cell and round; TPM %s\n",
           opt.rounds, opt.iterations > 0 ? "fixed iterations" : "fixed time",
           getenv("TPMKIT_TCTI") ? getenv("TPMKIT_TCTI")
                                 : "(TPMKIT_TCTI unset)");
    if (opt.iterations > 0)
        printf("  %ld iteration(s) per cell and round\n", opt.iterations);
    else
        printf("  %.2f s per cell and round\n", opt.seconds);

    /* First use before anything else in this process holds the TPM. */
    if (selected("first-use"))
        for (int r = 0; r < opt.rounds; r++)
            for (int k = 0; k < NCOL; k++)
                first_use_round(env.keys, env.module_dir, (r + k) % NCOL);

    if (!evp_env_init(&env, why)) {
        fprintf(stderr, "tpmkit-bench: %s\n", why);
        return 1;
    }
    if (!raw_open(&env))
        fprintf(stderr, "tpmkit-bench: raw ESYS baseline unavailable: %s\n",
                env.raw_why);

    /* Interleaved: every round visits every row and column, starting with
     * a different column each round, so drift hits all of them alike. */
    for (int r = 0; r < opt.rounds; r++) {
        for (size_t i = 0; i < NROWS; i++) {
            if (!selected(rows[i].id))
                continue;
            for (int k = 0; k < NCOL; k++) {
                int c = (r + k) % NCOL;

                measure(&env, &rows[i].col[c], &results[i][c], r, c);
            }
        }
        fprintf(stderr, "tpmkit-bench: round %d of %d done\n", r + 1,
                opt.rounds);
    }

    printf("\n");
    print_table();
    if (tpmlog != NULL) {
        printf("\n");
        print_commands();
    }
    if (selected("first-use")) {
        printf("\n");
        print_first_use();
    }
    printf("\n");
    print_targets();
    printf("\nnotes\n");
    for (int i = 0; i < nnotes; i++)
        printf("  n/a[%d] %s\n", i + 1, notes[i]);
    printf("  columns: %s = raw ESYS command (or the software path where the "
           "row says"
           " 'base:'), %s and %s through EVP\n",
           col_names[0], col_names[1], col_names[2]);

    raw_close(&env);
    evp_env_free(&env);
    return 0;
}
