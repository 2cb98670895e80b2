/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM layer against a real swtpm: sizes, sharing, unreachable TPMs,
 * restarts, foreign flushes, fork and threads. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../tpm/tpm.h"
#include "swtpm_fixture.h"

static swtpm_fixture tpm_fx;

static void suite_setup(void)
{
    swtpm_fixture_start(&tpm_fx);
}

static void suite_teardown(void)
{
    swtpm_fixture_destroy(&tpm_fx);
}

static int all_zero(const unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != 0)
            return 0;
    return 1;
}

static void check_draws(int encrypt)
{
    static const size_t sizes[] = { 1, 31, 64, 65, 1000, 4096 };
    unsigned char a[4096], b[4096];
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, encrypt, NULL);

    ck_assert_ptr_nonnull(tpm);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(a, 0, sizeof(a));
        ck_assert_msg(tk_tpm_random(tpm, a, sizes[i]), "draw of %zu failed",
                      sizes[i]);
        ck_assert_msg(sizes[i] < 8 || !all_zero(a, sizes[i]),
                      "draw of %zu is all zero", sizes[i]);
    }
    ck_assert(tk_tpm_random(tpm, a, 32));
    ck_assert(tk_tpm_random(tpm, b, 32));
    ck_assert_msg(memcmp(a, b, 32) != 0, "two draws were equal");
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}

START_TEST(draws_with_encryption)
{
    check_draws(1);
}
END_TEST

START_TEST(draws_without_encryption)
{
    check_draws(0);
}
END_TEST

START_TEST(one_handle_per_tcti)
{
    tk_tpm *a = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    tk_tpm *b = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    tk_tpm *c = tk_tpm_acquire(tpm_fx.tcti, 0, NULL);

    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, c);
    ck_assert_str_eq(tk_tpm_tcti(a), tpm_fx.tcti);
    ck_assert_int_eq(tk_tpm_encrypting(a), 1);
    ck_assert_int_eq(tk_tpm_encrypting(c), 0);
    tk_tpm_release(a);
    /* b still holds the shared handle: it must keep working. */
    unsigned char buf[16];
    ck_assert(tk_tpm_random(b, buf, sizeof(buf)));
    tk_tpm_release(b);
    tk_tpm_release(c);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

START_TEST(ping_describes_tpm)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    char desc[128] = "";

    ck_assert(tk_tpm_ping(tpm, desc, sizeof(desc)));
    ck_assert_msg(strstr(desc, "manufacturer") != NULL, "desc: %s", desc);
    tk_tpm_release(tpm);
}
END_TEST

static void check_unreachable(const char *tcti, const char *expect)
{
    tk_tpm *tpm = tk_tpm_acquire(tcti, 1, NULL);
    unsigned char buf[8];
    char err[400];
    time_t start = time(NULL);

    ck_assert_ptr_nonnull(tpm);
    ck_assert_int_eq(tk_tpm_random(tpm, buf, sizeof(buf)), 0);
    ck_assert_msg(time(NULL) - start < 10, "took %ld s",
                  (long)(time(NULL) - start));
    tk_tpm_last_error(tpm, err, sizeof(err));
    ck_assert_msg(strstr(err, tcti) != NULL, "error lacks the TCTI: %s", err);
    ck_assert_msg(strstr(err, expect) != NULL, "error lacks \"%s\": %s", expect,
                  err);
    /* A second attempt fails the same way: no crash, no hang. */
    ck_assert_int_eq(tk_tpm_ping(tpm, NULL, 0), 0);
    tk_tpm_release(tpm);
}

START_TEST(unreachable_port_fails_fast)
{
    char tcti[96];

    /* The control port of our own swtpm speaks another protocol; the port
     * below the server port is free (we only use even ports). */
    snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d",
             tpm_fx.port - 1);
    check_unreachable(tcti, "connect");
}
END_TEST

START_TEST(missing_device_fails_fast)
{
    check_unreachable("device:/dev/tpmkit-no-such-device", "connect");
}
END_TEST

START_TEST(unknown_tcti_fails_fast)
{
    check_unreachable("no-such-tcti:foo", "connect");
}
END_TEST

START_TEST(survives_swtpm_restart)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    unsigned char buf[32];

    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    swtpm_fixture_restart(&tpm_fx);
    ck_assert_msg(tk_tpm_random(tpm, buf, sizeof(buf)),
                  "draw after restart failed");
    swtpm_fixture_restart(&tpm_fx);
    ck_assert(tk_tpm_ping(tpm, NULL, 0));
    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

static int run_quiet(const char *fmt, const char *arg)
{
    char cmd[400];

    snprintf(cmd, sizeof(cmd), fmt, arg);
    return system(cmd);
}

START_TEST(survives_foreign_flush)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    unsigned char buf[32];

    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    /* Someone else flushes every loaded session and object under us. */
    ck_assert_int_eq(run_quiet("export TPM2TOOLS_TCTI='%s';"
                               " tpm2_flushcontext -t && for h in"
                               " $(tpm2_getcap handles-loaded-session;"
                               " tpm2_getcap handles-saved-session |"
                               " sed 's/^- //'); do tpm2_flushcontext $h"
                               " || exit 1; done",
                               tpm_fx.tcti),
                     0);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
    ck_assert_msg(tk_tpm_random(tpm, buf, sizeof(buf)),
                  "draw after a foreign flush failed");
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

START_TEST(forked_children_open_their_own)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    unsigned char buf[32];
    pid_t kids[3];

    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            int ok = tk_tpm_random(tpm, buf, sizeof(buf))
                     && tk_tpm_random(tpm, buf, sizeof(buf));
            tk_tpm_release(tpm);
            _exit(ok ? 0 : 1);
        }
    }
    for (int i = 0; i < 3; i++) {
        int status;

        ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d failed", i);
    }
    /* The children must not have flushed the parent's session. */
    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

static void *draw_many(void *arg)
{
    tk_tpm *tpm = arg;
    unsigned char buf[100];

    for (int i = 0; i < 40; i++)
        if (!tk_tpm_random(tpm, buf, sizeof(buf)))
            return (void *)1;
    return NULL;
}

START_TEST(eight_threads_share_one_connection)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    pthread_t threads[8];

    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, draw_many, tpm), 0);
    for (int i = 0; i < 8; i++) {
        void *failed;

        pthread_join(threads[i], &failed);
        ck_assert_msg(failed == NULL, "thread %d failed", i);
    }
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

START_TEST(idle_process_holds_no_slots)
{
    tk_tpm *tpm = tk_tpm_acquire(tpm_fx.tcti, 1, NULL);
    unsigned char buf[32];

    /* Without a resource manager, slots are shared by every process and a
     * killed process never frees its own: between operations we hold none. */
    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    ck_assert_int_eq(swtpm_fixture_handles(&tpm_fx, "handles-transient"
                                                    " handles-loaded-session"),
                     0);
    /* The first operation ends its session (a one-shot process would never
     * use a saved one); from the second on it is parked, context-saved. */
    ck_assert_int_eq(swtpm_fixture_handles(&tpm_fx, "handles-saved-session"),
                     0);
    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    ck_assert_int_eq(swtpm_fixture_handles(&tpm_fx, "handles-transient"
                                                    " handles-loaded-session"),
                     0);
    ck_assert_int_eq(swtpm_fixture_handles(&tpm_fx, "handles-saved-session"),
                     1);
    ck_assert(tk_tpm_random(tpm, buf, sizeof(buf)));
    tk_tpm_release(tpm);
    ck_assert_int_eq(swtpm_fixture_leftovers(&tpm_fx), 0);
}
END_TEST

static Suite *tpm_suite(void)
{
    Suite *s = suite_create("tpm");
    TCase *tc = tcase_create("swtpm");

    tcase_add_checked_fixture(tc, suite_setup, suite_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, draws_with_encryption);
    tcase_add_test(tc, draws_without_encryption);
    tcase_add_test(tc, one_handle_per_tcti);
    tcase_add_test(tc, ping_describes_tpm);
    tcase_add_test(tc, unreachable_port_fails_fast);
    tcase_add_test(tc, missing_device_fails_fast);
    tcase_add_test(tc, unknown_tcti_fails_fast);
    tcase_add_test(tc, survives_swtpm_restart);
    tcase_add_test(tc, survives_foreign_flush);
    tcase_add_test(tc, forked_children_open_their_own);
    tcase_add_test(tc, eight_threads_share_one_connection);
    tcase_add_test(tc, idle_process_holds_no_slots);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tpm_suite());
    int failed;

    /* Quiet tss2's own error logging for the expected failures above. */
    setenv("TSS2_LOG", "all+NONE", 0);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
