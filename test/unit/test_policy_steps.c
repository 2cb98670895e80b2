/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the key-file forms of PolicySecret (draft-bottomley-tpm2-keys:
 * handle hint, TPM2B_NAME, TPM2B policyRef) and PolicyNV (tpmkit's: NV
 * index handle, TPM2B_NAME, operandB, offset, operation). No TPM, and no
 * provider: the error texts are checked by keys_malformed. */
#include <check.h>
#include <string.h>

#include "../../tpm/policy_nv.h"
#include "../../tpm/policy_secret.h"

static tk_tpm_policy_step step_of(const unsigned char *p, size_t len,
                                  uint32_t code)
{
    tk_tpm_policy_step s = { code, p, len };

    return s;
}

START_TEST(secret_owner_with_hint)
{
    static const unsigned char p[] = { 0x40, 0, 0, 1, 0, 4,    0x40,
                                       0,    0, 1, 0, 2, 0xab, 0xcd };
    tk_tpm_policy_step st = step_of(p, sizeof(p), TPM2_CC_PolicySecret);
    tk_policy_secret s;

    ck_assert(tk_policy_secret_parse(&st, &s));
    ck_assert_uint_eq(s.handle, TPM2_RH_OWNER);
    ck_assert_uint_eq(s.name.size, 4);
    ck_assert_uint_eq(s.ref.size, 2);
    ck_assert_uint_eq(s.ref.buffer[1], 0xcd);
}
END_TEST

START_TEST(secret_no_hint_uses_hierarchy_name)
{
    static const unsigned char p[] = {
        0, 0, 0, 0, 0, 4, 0x40, 0, 0, 0x0b, 0, 0
    };
    tk_tpm_policy_step st = step_of(p, sizeof(p), TPM2_CC_PolicySecret);
    tk_policy_secret s;
    char buf[48];

    ck_assert(tk_policy_secret_parse(&st, &s));
    ck_assert_uint_eq(s.handle, TPM2_RH_ENDORSEMENT);
    ck_assert_str_eq(tk_policy_secret_what(s.handle, buf, sizeof(buf)),
                     "the endorsement hierarchy");
}
END_TEST

START_TEST(secret_nv_needs_hashed_name)
{
    unsigned char p[4 + 2 + 34 + 2] = { 0x01, 0, 0, 2, 0, 34, 0, 0x0b };
    tk_tpm_policy_step st = step_of(p, sizeof(p), TPM2_CC_PolicySecret);
    tk_policy_secret s;
    char buf[48];

    ck_assert(tk_policy_secret_parse(&st, &s));
    ck_assert_uint_eq(s.handle, 0x01000002);
    ck_assert_str_eq(tk_policy_secret_what(s.handle, buf, sizeof(buf)),
                     "NV index 0x01000002");
    /* Hint and name disagree about a hierarchy. */
    {
        static const unsigned char q[] = { 0x40, 0, 0, 1,    0, 4,
                                           0x40, 0, 0, 0x0b, 0, 0 };
        st = step_of(q, sizeof(q), TPM2_CC_PolicySecret);
        ck_assert(!tk_policy_secret_parse(&st, &s));
    }
}
END_TEST

START_TEST(secret_malformed)
{
    /* The brief's bare TPM2B_NAME, a truncated policyRef, trailing bytes,
     * a bare hint. */
    static const unsigned char bare_name[] = { 0, 4, 0x40, 0, 0, 1 };
    static const unsigned char short_ref[] = { 0x40, 0, 0, 1, 0, 4,
                                               0x40, 0, 0, 1, 0 };
    static const unsigned char trailing[] = { 0x40, 0, 0, 1, 0, 4, 0x40,
                                              0,    0, 1, 0, 0, 7 };
    static const unsigned char session[] = { 0x03, 0, 0, 0, 0, 4,
                                             0x03, 0, 0, 0, 0, 0 };
    const struct {
        const unsigned char *p;
        size_t len;
    } cases[] = {
        { bare_name, sizeof(bare_name) },
        { short_ref, sizeof(short_ref) },
        { trailing, sizeof(trailing) },
        { session, sizeof(session) },
    };
    tk_policy_secret s;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tk_tpm_policy_step st = step_of(cases[i].p, cases[i].len,
                                        TPM2_CC_PolicySecret);

        ck_assert_msg(!tk_policy_secret_parse(&st, &s), "case %zu", i);
    }
}
END_TEST

static size_t nv_step(unsigned char *p, uint32_t index, uint16_t op)
{
    size_t n = 0;

    p[n++] = index >> 24, p[n++] = index >> 16, p[n++] = index >> 8;
    p[n++] = index & 0xff;
    p[n++] = 0, p[n++] = 34, p[n++] = 0, p[n++] = 0x0b;
    memset(p + n, 0x5a, 32), n += 32;
    p[n++] = 0, p[n++] = 3, p[n++] = 'a', p[n++] = 'b', p[n++] = 'c';
    p[n++] = 0, p[n++] = 4; /* offset */
    p[n++] = op >> 8, p[n++] = op & 0xff;
    return n;
}

START_TEST(nv_parses)
{
    unsigned char p[64];
    size_t n = nv_step(p, 0x01000001, TPM2_EO_UNSIGNED_LE);
    tk_tpm_policy_step st = step_of(p, n, TPM2_CC_PolicyNV);
    tk_policy_nv nv;

    ck_assert(tk_policy_nv_parse(&st, &nv));
    ck_assert_uint_eq(nv.index, 0x01000001);
    ck_assert_uint_eq(nv.name.size, 34);
    ck_assert_uint_eq(nv.operand.size, 3);
    ck_assert_uint_eq(nv.offset, 4);
    ck_assert_uint_eq(nv.operation, TPM2_EO_UNSIGNED_LE);
}
END_TEST

START_TEST(nv_refused)
{
    unsigned char p[64];
    size_t n = nv_step(p, 0x81000001, TPM2_EO_EQ);
    tk_tpm_policy_step st = step_of(p, n, TPM2_CC_PolicyNV);
    tk_policy_nv nv;

    ck_assert(!tk_policy_nv_parse(&st, &nv));
    n = nv_step(p, 0x01000001, 0x0c);
    st = step_of(p, n, TPM2_CC_PolicyNV);
    ck_assert(!tk_policy_nv_parse(&st, &nv));
    /* The bare command body (no handle, no name). */
    st = step_of(p + 40, n - 40, TPM2_CC_PolicyNV);
    ck_assert(!tk_policy_nv_parse(&st, &nv));
}
END_TEST

START_TEST(supported_list)
{
    ck_assert(tk_tpm_policy_supported(TPM2_CC_PolicySecret));
    ck_assert(tk_tpm_policy_supported(TPM2_CC_PolicyNV));
    ck_assert(!tk_tpm_policy_supported(TPM2_CC_PolicySigned));
    ck_assert(!tk_tpm_policy_supported(TPM2_CC_PolicyDuplicationSelect));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_steps");
    TCase *tc = tcase_create("parse");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, secret_owner_with_hint);
    tcase_add_test(tc, secret_no_hint_uses_hierarchy_name);
    tcase_add_test(tc, secret_nv_needs_hashed_name);
    tcase_add_test(tc, secret_malformed);
    tcase_add_test(tc, nv_parses);
    tcase_add_test(tc, nv_refused);
    tcase_add_test(tc, supported_list);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
