/* SPDX-License-Identifier: Apache-2.0 */
/* Return-code classification and configuration parsing: pure functions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "../../provider/config.h"
#include "../../tpm/da_lockout.h"
#include "../../tpm/state.h"

START_TEST(success_is_ok)
{
    ck_assert_int_eq(tk_rc_classify(TSS2_RC_SUCCESS), TK_RC_OK);
}
END_TEST

START_TEST(tpm_asks_to_retry)
{
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_RETRY), TK_RC_RETRY);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_YIELDED), TK_RC_RETRY);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_TESTING), TK_RC_RETRY);
}
END_TEST

START_TEST(tcti_failures_are_transport)
{
    ck_assert_int_eq(tk_rc_classify(TSS2_TCTI_RC_IO_ERROR), TK_RC_TRANSPORT);
    ck_assert_int_eq(tk_rc_classify(TSS2_TCTI_RC_NO_CONNECTION),
                     TK_RC_TRANSPORT);
    ck_assert_int_eq(tk_rc_classify(TSS2_ESYS_RC_MALFORMED_RESPONSE),
                     TK_RC_TRANSPORT);
    /* ESYS left mid-command (a cut socket): only a new connection helps. */
    ck_assert_int_eq(tk_rc_classify(TSS2_ESYS_RC_BAD_SEQUENCE),
                     TK_RC_TRANSPORT);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_OBJECT_MEMORY), TK_RC_BUSY);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_SESSION_MEMORY), TK_RC_BUSY);
}
END_TEST

START_TEST(vanished_handles_are_lost_state)
{
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_INITIALIZE), TK_RC_LOST_STATE);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_REFERENCE_H0), TK_RC_LOST_STATE);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_REFERENCE_S0), TK_RC_LOST_STATE);
    /* TPM_RC_HANDLE for handle 1, and for session 1. */
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_HANDLE | TPM2_RC_1),
                     TK_RC_LOST_STATE);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_HANDLE | TPM2_RC_S | TPM2_RC_1),
                     TK_RC_LOST_STATE);
    ck_assert_int_eq(tk_rc_classify(TSS2_ESYS_RC_RSP_AUTH_FAILED),
                     TK_RC_LOST_STATE);
}
END_TEST

START_TEST(auth_failures_are_never_retried)
{
    /* Retrying a wrong password would walk the TPM into lockout. */
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_AUTH_FAIL | TPM2_RC_S | TPM2_RC_1),
                     TK_RC_FATAL);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_BAD_AUTH | TPM2_RC_S | TPM2_RC_1),
                     TK_RC_FATAL);
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_LOCKOUT), TK_RC_FATAL);
    /* A bad parameter value is the caller's problem, not lost state. */
    ck_assert_int_eq(tk_rc_classify(TPM2_RC_HANDLE | TPM2_RC_P | TPM2_RC_1),
                     TK_RC_FATAL);
}
END_TEST

START_TEST(rc_text_is_decoded)
{
    ck_assert_ptr_nonnull(strstr(tk_rc_text(TPM2_RC_LOCKOUT), "lockout"));
}
END_TEST

START_TEST(base_codes_drop_the_number)
{
    /* Integrity of parameter 1, as TPM2_Load reports a foreign key. */
    ck_assert_uint_eq(tk_rc_base(0x1df), TPM2_RC_INTEGRITY);
    ck_assert_uint_eq(tk_rc_base(TPM2_RC_AUTH_FAIL | TPM2_RC_S | TPM2_RC_1),
                      TPM2_RC_AUTH_FAIL);
    ck_assert_uint_eq(tk_rc_base(TPM2_RC_HANDLE | TPM2_RC_H | TPM2_RC_2),
                      TPM2_RC_HANDLE);
    /* Warnings and other layers carry no number. */
    ck_assert_uint_eq(tk_rc_base(TPM2_RC_LOCKOUT), TPM2_RC_LOCKOUT);
    ck_assert_uint_eq(tk_rc_base(TSS2_TCTI_RC_IO_ERROR), TSS2_TCTI_RC_IO_ERROR);
}
END_TEST

START_TEST(lockout_says_how_long)
{
    char text[256];

    tk_da_lockout_text(3, 3, 1000, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "3 failed authorization(s) counted, 3"
                                       " allowed"));
    ck_assert_ptr_nonnull(strstr(text, "in at most 1000 s (about 17 min)"));
    ck_assert_ptr_nonnull(strstr(text, "one failure every 1000 s"));
    /* Counted beyond the limit: each extra failure waits one interval. */
    tk_da_lockout_text(5, 3, 60, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "in at most 180 s (about 3 min)"));
    tk_da_lockout_text(40, 32, 7200, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "in at most 64800 s (about 18 h)"));
    tk_da_lockout_text(2, 3, 10, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "in at most 10 s "));
    tk_da_lockout_text(3, 3, 0, text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "never recovers by itself"));
}
END_TEST

START_TEST(booleans_parse)
{
    ck_assert_int_eq(tk_config_parse_bool("yes"), 1);
    ck_assert_int_eq(tk_config_parse_bool("ON"), 1);
    ck_assert_int_eq(tk_config_parse_bool("1"), 1);
    ck_assert_int_eq(tk_config_parse_bool("true"), 1);
    ck_assert_int_eq(tk_config_parse_bool("no"), 0);
    ck_assert_int_eq(tk_config_parse_bool("Off"), 0);
    ck_assert_int_eq(tk_config_parse_bool("0"), 0);
    ck_assert_int_eq(tk_config_parse_bool("false"), 0);
    ck_assert_int_eq(tk_config_parse_bool("maybe"), -1);
    ck_assert_int_eq(tk_config_parse_bool(""), -1);
}
END_TEST

/* Settings from the environment (no core: no openssl.cnf values). */
static void load_env(tk_config *cfg, const char *tcti, const char *encrypt)
{
    static const OSSL_DISPATCH none[] = { { 0, NULL } };

    ck_assert_int_eq(tcti != NULL ? setenv("TPMKIT_TCTI", tcti, 1)
                                  : unsetenv("TPMKIT_TCTI"),
                     0);
    ck_assert_int_eq(encrypt != NULL
                         ? setenv("TPMKIT_SESSION_ENCRYPTION", encrypt, 1)
                         : unsetenv("TPMKIT_SESSION_ENCRYPTION"),
                     0);
    ck_assert_int_eq(unsetenv("TPMKIT_TPM_IDENTITY"), 0);
    tk_config_load(NULL, none, cfg);
}

START_TEST(good_settings_have_no_problem)
{
    tk_config cfg;

    load_env(&cfg, NULL, NULL);
    ck_assert_str_eq(cfg.problem, "");
    ck_assert_str_eq(cfg.tcti, "device:/dev/tpmrm0");
    ck_assert_int_eq(cfg.encrypt, 1);
    ck_assert_str_eq(cfg.identity, "none");
    load_env(&cfg, "swtpm:port=2321", "off");
    ck_assert_str_eq(cfg.problem, "");
    ck_assert_str_eq(cfg.tcti, "swtpm:port=2321");
    ck_assert_int_eq(cfg.encrypt, 0);
}
END_TEST

START_TEST(bad_settings_are_named)
{
    char tcti[601];
    tk_config cfg;

    load_env(&cfg, NULL, "yse");
    ck_assert_str_eq(cfg.problem, "session-encryption: \"yse\" is not yes or"
                                  " no (from TPMKIT_SESSION_ENCRYPTION)");
    /* Shown, not pasted: control characters never reach the message. */
    load_env(&cfg, NULL, "y\ne\ts");
    ck_assert_ptr_nonnull(strstr(cfg.problem, "\"y?e?s\""));

    memset(tcti, 'a', sizeof(tcti) - 1);
    tcti[sizeof(tcti) - 1] = '\0';
    load_env(&cfg, tcti, "maybe");
    ck_assert_ptr_nonnull(
        strstr(cfg.problem, "tcti: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaa...\" is 600 bytes long, more than the"
                            " 511 tpmkit accepts (from TPMKIT_TCTI); "));
    ck_assert_ptr_nonnull(strstr(
        cfg.problem, "; session-encryption: \"maybe\" is not yes or no"));
    ck_assert_str_eq(cfg.tcti, "");
    load_env(&cfg, NULL, NULL);
}
END_TEST

static Suite *rc_suite(void)
{
    Suite *s = suite_create("rc");
    TCase *tc = tcase_create("classify");

    tcase_add_test(tc, success_is_ok);
    tcase_add_test(tc, tpm_asks_to_retry);
    tcase_add_test(tc, tcti_failures_are_transport);
    tcase_add_test(tc, vanished_handles_are_lost_state);
    tcase_add_test(tc, auth_failures_are_never_retried);
    tcase_add_test(tc, rc_text_is_decoded);
    tcase_add_test(tc, base_codes_drop_the_number);
    tcase_add_test(tc, lockout_says_how_long);
    tcase_add_test(tc, booleans_parse);
    tcase_add_test(tc, good_settings_have_no_problem);
    tcase_add_test(tc, bad_settings_are_named);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
