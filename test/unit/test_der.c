/* SPDX-License-Identifier: Apache-2.0 */
/* The strict DER reader and writer of decoders/der.c against OpenSSL's
 * ASN.1 encoder: headers byte for byte for every length form, round trips,
 * TLVs OpenSSL encoded walked back, and everything that is BER or broken
 * rejected with the input left where it was. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>

#include "../../decoders/der.h"

static const size_t lengths[] = {
    0,        1,        2,         0x7f,       0x80,       0x81,
    0xff,     0x100,    0x101,     0x1234,     0xffff,     0x10000,
    0x123456, 0xffffff, 0x1000000, 0x12345678, 0x7fffffff,
};

/* OpenSSL's header for a universal tag (class bits in `tag` aside). */
static int openssl_header(unsigned tag, size_t len, unsigned char *out)
{
    unsigned char *p = out;
    int constructed = (tag & 0x20) != 0, xclass = (int)(tag & 0xc0);

    ASN1_put_object(&p, constructed, (int)len, (int)(tag & 0x1f), xclass);
    return (int)(p - out);
}

START_TEST(headers_match_openssl)
{
    static const unsigned tags[] = { TK_DER_OCTET_STRING, TK_DER_INTEGER,
                                     TK_DER_SEQUENCE,     TK_DER_CTX(0),
                                     TK_DER_CTX(5),       TK_DER_UTF8STRING };
    unsigned char mine[8], theirs[8];

    for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++)
        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
            unsigned char *end = tk_der_put_hdr(mine, tags[t], lengths[i]);
            int n = openssl_header(tags[t], lengths[i], theirs);

            ck_assert_int_eq((int)(end - mine), n);
            ck_assert_uint_eq(tk_der_hdr_size(lengths[i]), (size_t)n);
            if (lengths[i] < 0x1000000)
                ck_assert_uint_eq(
                    (size_t)ASN1_object_size(0, (int)lengths[i], 4)
                        - lengths[i],
                    (size_t)n);
            ck_assert_msg(memcmp(mine, theirs, (size_t)n) == 0,
                          "tag %02x length %zu: another header", tags[t],
                          lengths[i]);
        }
}
END_TEST

START_TEST(headers_round_trip)
{
    unsigned char buf[8];

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        tk_der d = { buf, 0 };
        unsigned tag = 0;
        size_t hdr = 0, len = 0;

        d.left = (size_t)(tk_der_put_hdr(buf, TK_DER_SEQUENCE, lengths[i])
                          - buf);
        ck_assert_int_eq(tk_der_header(&d, &tag, &hdr, &len), 1);
        ck_assert_uint_eq(tag, TK_DER_SEQUENCE);
        ck_assert_uint_eq(hdr, d.left);
        ck_assert_uint_eq(len, lengths[i]);
    }
    /* Four length bytes at most: 2^32 is written, never read. */
    if (sizeof(size_t) > 4) {
        size_t big = (size_t)1 << 32;
        tk_der d = { buf, 0 };
        unsigned tag;
        size_t hdr, len;

        ck_assert_uint_eq(tk_der_hdr_size(big), 7);
        d.left = (size_t)(tk_der_put_hdr(buf, TK_DER_OCTET_STRING, big) - buf);
        ck_assert_uint_eq(d.left, 7);
        ck_assert_int_eq(tk_der_header(&d, &tag, &hdr, &len), 0);
    }
}
END_TEST

START_TEST(bad_headers)
{
    static const struct {
        unsigned char b[8];
        size_t n;
        const char *what;
    } bad[] = {
        { { 0x30 }, 1, "one byte" },
        { { 0 }, 0, "nothing" },
        { { 0x30, 0x80 }, 2, "indefinite length" },
        { { 0x04, 0x85, 1, 0, 0, 0, 0 }, 7, "five length bytes" },
        { { 0x04, 0x81, 0x7f }, 3, "long form for a short length" },
        { { 0x04, 0x82, 0x00, 0x80 }, 4, "leading zero length byte" },
        { { 0x04, 0x82, 0x01 }, 3, "length bytes cut short" },
        { { 0x1f, 0x81, 0x01, 0x00 }, 4, "high tag number" },
        { { 0xbf, 0x22, 0x00 }, 3, "high context tag" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tk_der d = { bad[i].b, bad[i].n }, body = { NULL, 0 };
        unsigned tag = 0x55;
        size_t hdr = 0x55, len = 0x55;
        const char *why = NULL;

        ck_assert_msg(tk_der_header(&d, &tag, &hdr, &len) == 0, "%s accepted",
                      bad[i].what);
        ck_assert_uint_eq(tag, 0x55);
        ck_assert_int_eq(tk_der_next(&d, &tag, &body, &why), 0);
        ck_assert_ptr_nonnull(why);
        /* The reader stays where it was. */
        ck_assert_ptr_eq(d.p, bad[i].b);
        ck_assert_uint_eq(d.left, bad[i].n);
    }
}
END_TEST

/* A SEQUENCE of OCTET STRINGs of many sizes, encoded by OpenSSL, walked
 * back by tk_der_next. */
START_TEST(walks_what_openssl_encodes)
{
    static const size_t sizes[] = { 0,   1,    127,   128,   255,
                                    256, 1000, 65535, 65536, 70000 };
    size_t total = 0, n = sizeof(sizes) / sizeof(sizes[0]), off;
    unsigned char *content, *all, *p, *data = malloc(70000);
    tk_der d, seq, body;
    unsigned tag;
    const char *why = NULL;

    for (size_t i = 0; i < 70000; i++)
        data[i] = (unsigned char)(i * 31);
    for (size_t i = 0; i < n; i++)
        total += (size_t)ASN1_object_size(0, (int)sizes[i],
                                          V_ASN1_OCTET_STRING);
    content = malloc(total);
    all = malloc(total + 8);
    for (off = 0, p = content; off < n; off++) {
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

        ck_assert(ASN1_OCTET_STRING_set(os, data, (int)sizes[off]));
        ck_assert_int_gt(i2d_ASN1_OCTET_STRING(os, &p), 0);
        ASN1_OCTET_STRING_free(os);
    }
    ck_assert_uint_eq((size_t)(p - content), total);
    p = tk_der_put_hdr(all, TK_DER_SEQUENCE, total);
    memcpy(p, content, total);

    d.p = all;
    d.left = (size_t)(p - all) + total;
    ck_assert_int_eq(tk_der_peek(&d), TK_DER_SEQUENCE);
    ck_assert_int_eq(tk_der_next(&d, &tag, &seq, &why), 1);
    ck_assert_uint_eq(tag, TK_DER_SEQUENCE);
    ck_assert_uint_eq(d.left, 0);
    ck_assert_int_eq(tk_der_peek(&d), -1);
    ck_assert_uint_eq(seq.left, total);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(tk_der_peek(&seq), TK_DER_OCTET_STRING);
        ck_assert_int_eq(tk_der_next(&seq, &tag, &body, &why), 1);
        ck_assert_uint_eq(body.left, sizes[i]);
        if (sizes[i] > 0)
            ck_assert_mem_eq(body.p, data, sizes[i]);
    }
    ck_assert_int_eq(tk_der_next(&seq, &tag, &body, &why), 0);
    ck_assert_str_eq(why, "missing field");
    free(all);
    free(content);
    free(data);
}
END_TEST

/* OpenSSL parses what tpmkit writes. */
START_TEST(openssl_reads_what_tpmkit_writes)
{
    for (size_t i = 0;
         i < sizeof(lengths) / sizeof(lengths[0]) && lengths[i] <= 70000; i++) {
        size_t len = lengths[i];
        unsigned char *buf = calloc(1, len + 8);
        const unsigned char *p = buf;
        unsigned char *body = tk_der_put_hdr(buf, TK_DER_CTX(2), len);
        long got_len = 0;
        int tag = 0, xclass = 0, rv;

        memset(body, 0x5a, len);
        rv = ASN1_get_object(&p, &got_len, &tag, &xclass, (long)(len + 8));
        ck_assert_int_eq(rv & 0x80, 0);
        ck_assert_int_eq(rv, V_ASN1_CONSTRUCTED);
        ck_assert_int_eq(tag, 2);
        ck_assert_int_eq(xclass, V_ASN1_CONTEXT_SPECIFIC);
        ck_assert_int_eq(got_len, (long)len);
        ck_assert_ptr_eq(p, body);
        free(buf);
    }
}
END_TEST

START_TEST(fields_must_fit)
{
    /* INTEGER 5, then an OCTET STRING claiming 4 bytes with 3 present. */
    static const unsigned char in[] = { 0x02, 0x01, 0x05, 0x04,
                                        0x04, 'a',  'b',  'c' };
    tk_der d = { in, sizeof(in) }, body;
    unsigned tag;
    const char *why = NULL;
    size_t hdr, len;

    ck_assert_int_eq(tk_der_next(&d, &tag, &body, &why), 1);
    ck_assert_uint_eq(tag, TK_DER_INTEGER);
    ck_assert_uint_eq(body.left, 1);
    ck_assert_uint_eq(body.p[0], 5);
    ck_assert_ptr_eq(d.p, in + 3);
    /* The header alone is fine; the field is not. */
    ck_assert_int_eq(tk_der_header(&d, &tag, &hdr, &len), 1);
    ck_assert_uint_eq(len, 4);
    ck_assert_int_eq(tk_der_next(&d, &tag, &body, &why), 0);
    ck_assert_str_eq(why, "field runs past its end");
    ck_assert_ptr_eq(d.p, in + 3);
    ck_assert_uint_eq(d.left, 5);
    /* Nor may a field run past its parent: a SEQUENCE of 3 holding 4. */
    {
        static const unsigned char nested[] = { 0x30, 0x03, 0x04, 0x02,
                                                'x',  'y',  0x00 };
        tk_der outer = { nested, sizeof(nested) }, seq;

        ck_assert_int_eq(tk_der_next(&outer, &tag, &seq, &why), 1);
        ck_assert_uint_eq(seq.left, 3);
        ck_assert_int_eq(tk_der_next(&seq, &tag, &body, &why), 0);
        ck_assert_str_eq(why, "field runs past its end");
    }
    d.left = 1;
    ck_assert_int_eq(tk_der_next(&d, &tag, &body, &why), 0);
    ck_assert_str_eq(why, "bad DER header");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("der");
    TCase *tc = tcase_create("der");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, headers_match_openssl);
    tcase_add_test(tc, headers_round_trip);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, walks_what_openssl_encodes);
    tcase_add_test(tc, openssl_reads_what_tpmkit_writes);
    tcase_add_test(tc, fields_must_fit);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
