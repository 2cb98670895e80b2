/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the key-file forms of PolicySecret (draft-bottomley-tpm2-keys:
 * handle hint, TPM2B_NAME, TPM2B policyRef), PolicyNV (tpmkit's: NV
 * index handle, TPM2B_NAME, operandB, offset, operation) and PolicySigned
 * (tpmkit's: signer TPM2B_PUBLIC, policyRef, TPMT_SIGNATURE); PolicyPCR
 * steps over given PCR values (from memory and from a file, tpm2_pcrread
 * -o's format). No TPM, no provider: the error texts are checked by
 * keys_malformed and keys_pcr_policy. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "../../tpm/policy_nv.h"
#include "../../tpm/policy_secret.h"
#include "../../tpm/policy_signed.h"
#include "../../tpm/policy.h"

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

/* A PolicySigned step: a minimal RSA-2048 signer's TPM2B_PUBLIC (nameAlg
 * SHA-256, null scheme, a zero modulus), policyRef, then a signature of
 * `sig_alg` (RSASSA/RSAPSS: hash, TPM2B; ECDSA: hash, r, s). */
static size_t signed_step(unsigned char *p, uint16_t key_type, uint16_t sig_alg,
                          size_t ref_len)
{
    size_t n = 2, pub;

#define PUT16(v)                                                               \
    (p[n++] = (unsigned char)((v) >> 8), p[n++] = (unsigned char)((v)&0xff))
    PUT16(key_type);
    PUT16(TPM2_ALG_SHA256);
    p[n++] = 0, p[n++] = 0x04, p[n++] = 0, p[n++] = 0x72; /* attributes */
    PUT16(0);                                             /* authPolicy */
    if (key_type == TPM2_ALG_RSA) {
        PUT16(TPM2_ALG_NULL); /* symmetric */
        PUT16(TPM2_ALG_NULL); /* scheme */
        PUT16(2048);
        p[n++] = 0, p[n++] = 0, p[n++] = 0, p[n++] = 0; /* exponent */
        PUT16(256);
        memset(p + n, 0xc3, 256), n += 256;
    } else {
        PUT16(TPM2_ALG_NULL);
        PUT16(TPM2_ALG_NULL);
        PUT16(TPM2_ECC_NIST_P256);
        PUT16(TPM2_ALG_NULL); /* kdf */
        PUT16(32), memset(p + n, 0x11, 32), n += 32;
        PUT16(32), memset(p + n, 0x22, 32), n += 32;
    }
    pub = n - 2;
    p[0] = (unsigned char)(pub >> 8), p[1] = (unsigned char)pub;
    PUT16(ref_len);
    memset(p + n, 0x7e, ref_len), n += ref_len;
    PUT16(sig_alg);
    if (sig_alg == TPM2_ALG_RSASSA || sig_alg == TPM2_ALG_RSAPSS) {
        PUT16(TPM2_ALG_SHA256);
        PUT16(256);
        memset(p + n, 0x5c, 256), n += 256;
    } else if (sig_alg == TPM2_ALG_ECDSA) {
        PUT16(TPM2_ALG_SHA256);
        PUT16(32), memset(p + n, 0x33, 32), n += 32;
        PUT16(32), memset(p + n, 0x44, 32), n += 32;
    }
#undef PUT16
    return n;
}

START_TEST(signed_rsa_and_ec_parse)
{
    unsigned char p[700];
    size_t n = signed_step(p, TPM2_ALG_RSA, TPM2_ALG_RSASSA, 0);
    tk_tpm_policy_step st = step_of(p, n, TPM2_CC_PolicySigned);
    tk_policy_signed s;

    ck_assert(tk_policy_signed_parse(&st, &s));
    ck_assert_uint_eq(s.pub.publicArea.type, TPM2_ALG_RSA);
    ck_assert_uint_eq(s.pub.publicArea.unique.rsa.size, 256);
    ck_assert_uint_eq(s.ref.size, 0);
    ck_assert_uint_eq(s.sig.sigAlg, TPM2_ALG_RSASSA);
    ck_assert_uint_eq(s.sig.signature.rsassa.sig.size, 256);
    n = signed_step(p, TPM2_ALG_RSA, TPM2_ALG_RSAPSS, 5);
    st = step_of(p, n, TPM2_CC_PolicySigned);
    ck_assert(tk_policy_signed_parse(&st, &s));
    ck_assert_uint_eq(s.ref.size, 5);
    ck_assert_uint_eq(s.ref.buffer[4], 0x7e);
    n = signed_step(p, TPM2_ALG_ECC, TPM2_ALG_ECDSA, 0);
    st = step_of(p, n, TPM2_CC_PolicySigned);
    ck_assert(tk_policy_signed_parse(&st, &s));
    ck_assert_uint_eq(s.sig.signature.ecdsa.signatureS.size, 32);
    ck_assert_uint_eq(s.sig.signature.ecdsa.signatureS.buffer[0], 0x44);
}
END_TEST

START_TEST(signed_refused)
{
    unsigned char p[700];
    size_t n;
    tk_tpm_policy_step st;
    tk_policy_signed s;

    /* No signature (PolicyAuthorize's form in a key's policy). */
    n = signed_step(p, TPM2_ALG_RSA, TPM2_ALG_NULL, 0);
    st = step_of(p, n, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    /* A signature that does not fit the signer. */
    n = signed_step(p, TPM2_ALG_ECC, TPM2_ALG_RSASSA, 0);
    st = step_of(p, n, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    n = signed_step(p, TPM2_ALG_RSA, TPM2_ALG_ECDSA, 0);
    st = step_of(p, n, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    /* Truncated signature, trailing byte, the bare signature. */
    n = signed_step(p, TPM2_ALG_RSA, TPM2_ALG_RSASSA, 0);
    st = step_of(p, n - 1, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    p[n] = 0;
    st = step_of(p, n + 1, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    st = step_of(p + n - 262, 262, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
    /* An empty step. */
    st = step_of(p, 0, TPM2_CC_PolicySigned);
    ck_assert(!tk_policy_signed_parse(&st, &s));
}
END_TEST

START_TEST(supported_list)
{
    ck_assert(tk_tpm_policy_supported(TPM2_CC_PolicySecret));
    ck_assert(tk_tpm_policy_supported(TPM2_CC_PolicyNV));
    ck_assert(tk_tpm_policy_supported(TPM2_CC_PolicySigned));
    ck_assert(!tk_tpm_policy_supported(TPM2_CC_PolicyTicket));
    ck_assert(!tk_tpm_policy_supported(TPM2_CC_PolicyDuplicationSelect));
}
END_TEST

/* PolicyPCR from values: pcrDigest is SHA-256 of the values as given, the
 * selection names the bank and the PCRs, and only the exact length for
 * the selection is taken. */
START_TEST(pcr_step_from_values)
{
    unsigned char values[40], want[32];
    tk_tpm_policy_step st;
    tk_tpm_pcr_sel sel;
    size_t dlen;

    for (size_t i = 0; i < sizeof(values); i++)
        values[i] = (unsigned char)i;
    ck_assert(tk_tpm_pcr_parse("sha1:16,0", &sel));
    ck_assert_uint_eq(tk_tpm_pcr_values_len(&sel, &dlen), 40);
    ck_assert_uint_eq(dlen, 20);
    ck_assert(!tk_tpm_pcr_policy_step_values(NULL, &sel, values, 39, &st));
    ck_assert(!tk_tpm_pcr_policy_step_values(NULL, &sel, values, 41, &st));
    ck_assert(tk_tpm_pcr_policy_step_values(NULL, &sel, values, 40, &st));
    ck_assert_uint_eq(st.code, TK_TPM_CC_POLICY_PCR);
    ck_assert_uint_eq(st.len, 2 + 32 + 4 + 2 + 1 + 3);
    ck_assert(EVP_Digest(values, 40, want, NULL, EVP_sha256(), NULL));
    ck_assert_mem_eq(st.params, "\x00\x20", 2);
    ck_assert_mem_eq(st.params + 2, want, 32);
    ck_assert_mem_eq(st.params + 34, "\x00\x00\x00\x01\x00\x04\x03\x01\x00\x01",
                     10);
    tk_tpm_policy_step_clear(&st);
    ck_assert(tk_tpm_pcr_parse("sha512:0-23", &sel));
    ck_assert_uint_eq(tk_tpm_pcr_values_len(&sel, &dlen), 24 * 64);
    sel.mask = 0;
    ck_assert(!tk_tpm_pcr_policy_step_values(NULL, &sel, values, 0, &st));
}
END_TEST

/* The same from a file: the same step for the same bytes; a file of
 * another size, a missing one and values without a valid selection are
 * refused. */
START_TEST(pcr_step_from_file)
{
    char path[] = "/tmp/tk-pcr-values.XXXXXX";
    unsigned char values[64];
    tk_tpm_policy_step from_file, from_memory;
    tk_tpm_pcr_sel sel;
    int fd = mkstemp(path);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    ck_assert_ptr_nonnull(f = fdopen(fd, "wb"));
    memset(values, 0xa5, sizeof(values));
    ck_assert_uint_eq(fwrite(values, 1, sizeof(values), f), sizeof(values));
    ck_assert_int_eq(fclose(f), 0);
    ck_assert(tk_tpm_pcr_policy_step_spec(NULL, NULL, "sha256:7,16", path,
                                          &from_file));
    ck_assert(tk_tpm_pcr_parse("sha256:7,16", &sel));
    ck_assert(
        tk_tpm_pcr_policy_step_values(NULL, &sel, values, 64, &from_memory));
    ck_assert_uint_eq(from_file.len, from_memory.len);
    ck_assert_mem_eq(from_file.params, from_memory.params, from_file.len);
    tk_tpm_policy_step_clear(&from_file);
    tk_tpm_policy_step_clear(&from_memory);
    ck_assert(!tk_tpm_pcr_policy_step_spec(NULL, NULL, "sha256:16", path,
                                           &from_file));
    ck_assert(!tk_tpm_pcr_policy_step_spec(NULL, NULL, "sha256:5-7,16", path,
                                           &from_file));
    ck_assert(!tk_tpm_pcr_policy_step_spec(NULL, NULL, "sha256:99", path,
                                           &from_file));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert(!tk_tpm_pcr_policy_step_spec(NULL, NULL, "sha256:7,16", path,
                                           &from_file));
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
    tcase_add_test(tc, signed_rsa_and_ec_parse);
    tcase_add_test(tc, signed_refused);
    tcase_add_test(tc, supported_list);
    tcase_add_test(tc, pcr_step_from_values);
    tcase_add_test(tc, pcr_step_from_file);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
