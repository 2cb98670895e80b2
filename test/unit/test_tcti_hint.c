/* SPDX-License-Identifier: Apache-2.0 */
/* tk_tcti_hint: a device TCTI whose node is missing gets a hint naming the
 * node and how to name another TPM; nothing else does. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../tpm/tcti_hint.h"

#define MISSING "/nonexistent/tpmrm0"

START_TEST(missing_device_node_is_named)
{
    char buf[256];
    const char *hint = tk_tcti_hint("device:" MISSING, buf, sizeof(buf));

    ck_assert_ptr_eq(hint, buf);
    ck_assert_str_eq(hint, "connect (no TPM device at " MISSING "; set"
                           " TPMKIT_TCTI or tcti = in openssl.cnf, e.g."
                           " swtpm:host=127.0.0.1,port=2321)");
}
END_TEST

START_TEST(other_spellings_of_the_device_tcti)
{
    static const char *const confs[] = {
        "pcap:device:" MISSING,
        "pcap:pcap:device:" MISSING,
        "libtss2-tcti-device.so.0:" MISSING,
        "libtss2-tcti-device.so:" MISSING,
        "tcti-device:" MISSING,
    };
    char buf[256];

    for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
        const char *hint = tk_tcti_hint(confs[i], buf, sizeof(buf));

        ck_assert_msg(hint != NULL, "no hint for %s", confs[i]);
        ck_assert_ptr_nonnull(strstr(hint, "no TPM device at " MISSING ";"));
    }
}
END_TEST

START_TEST(existing_node_gets_no_hint)
{
    char buf[256];

    /* It exists: whatever went wrong, it is not a missing node. */
    ck_assert_ptr_null(tk_tcti_hint("device:/dev/null", buf, sizeof(buf)));
    ck_assert_ptr_null(tk_tcti_hint("pcap:device:/dev/null", buf, sizeof(buf)));
}
END_TEST

START_TEST(other_tctis_get_no_hint)
{
    static const char *const confs[] = {
        "swtpm:host=127.0.0.1,port=1",
        "mssim:port=2321",
        "tabrmd:",
        "tabrmd",
        "pcap:swtpm:port=1",
        "devicex:" MISSING,
        "libtss2-tcti-swtpm.so.0:port=1",
        "",
    };
    char buf[256];

    for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
        ck_assert_msg(tk_tcti_hint(confs[i], buf, sizeof(buf)) == NULL,
                      "a hint for %s", confs[i]);
    ck_assert_ptr_null(tk_tcti_hint(NULL, buf, sizeof(buf)));
    ck_assert_ptr_null(tk_tcti_hint("device:" MISSING, NULL, 16));
    ck_assert_ptr_null(tk_tcti_hint("device:" MISSING, buf, 0));
}
END_TEST

START_TEST(default_device_nodes)
{
    struct stat st;
    int none = stat("/dev/tpmrm0", &st) != 0 && stat("/dev/tpm0", &st) != 0;
    char buf[256];
    const char *hint;

    /* "device" alone is tss2's /dev/tpmrm0, then /dev/tpm0. */
    for (int i = 0; i < 2; i++) {
        hint = tk_tcti_hint(i == 0 ? "device" : "device:", buf, sizeof(buf));
        if (none)
            ck_assert_ptr_nonnull(
                strstr(hint, "no TPM device at /dev/tpmrm0 or /dev/tpm0;"));
        else
            ck_assert_ptr_null(hint);
    }
}
END_TEST

START_TEST(short_buffers_are_safe)
{
    char buf[12];
    const char *hint = tk_tcti_hint("device:" MISSING, buf, sizeof(buf));

    ck_assert_ptr_eq(hint, buf);
    ck_assert_uint_eq(strlen(hint), sizeof(buf) - 1);
}
END_TEST

static Suite *hint_suite(void)
{
    Suite *s = suite_create("tcti_hint");
    TCase *tc = tcase_create("hint");

    tcase_add_test(tc, missing_device_node_is_named);
    tcase_add_test(tc, other_spellings_of_the_device_tcti);
    tcase_add_test(tc, existing_node_gets_no_hint);
    tcase_add_test(tc, other_tctis_get_no_hint);
    tcase_add_test(tc, default_device_nodes);
    tcase_add_test(tc, short_buffers_are_safe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hint_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
