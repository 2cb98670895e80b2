/* SPDX-License-Identifier: Apache-2.0 */
/* The TSS2 key-file codec, without a TPM: round trips, vectors built by
 * hand, files from other tools, and every kind of malformed input. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "../../decoders/keyfile.h"
#include "../../tpm/key.h"

/* An EC P-256 key file written by tpm2-openssl 1.1 (genpkey on swtpm):
 * emptyAuth TRUE encoded as BOOLEAN 0x01, parent 0x40000001. */
static const char tpm2_openssl_ec[] =
    "3081f006066781050a0103a003010101020440000001045800560023000b0006"
    "00720000001000100003001000205d1069147fc3a72e53f6018ff312a132f7d7"
    "edb04038d5c90d71d092a1fe7aa1002061e7800c05d12cc292e95c5ba7e1d870"
    "a881af9a4f4755be2530e21b8ad06b16048180007e00201f2e0fc3901d8a5e4e"
    "00ab79922e1e2de3287991b5f2e964567fb7f5196623c100105761e7ee85555a"
    "3c232ebc7a931acddc9110538c0ea6b422946fe337479e751af2d575a0732a09"
    "28c0bdedcad0a1d6d8591f544432a014c55d5da09fb67764dfb3c279d13a5f4d"
    "22578b177742977c4978169e4ea5ce29e1d736";

/* A growing byte buffer to build DER with. */
typedef struct buf {
    unsigned char d[16384];
    size_t n;
} buf;

static void put(buf *b, const void *p, size_t len)
{
    ck_assert_uint_le(b->n + len, sizeof(b->d));
    memcpy(b->d + b->n, p, len);
    b->n += len;
}

static void put_byte(buf *b, unsigned char c)
{
    put(b, &c, 1);
}

static void put_len(buf *b, size_t len)
{
    if (len < 0x80) {
        put_byte(b, (unsigned char)len);
    } else if (len < 0x100) {
        put_byte(b, 0x81);
        put_byte(b, (unsigned char)len);
    } else {
        put_byte(b, 0x82);
        put_byte(b, (unsigned char)(len >> 8));
        put_byte(b, (unsigned char)len);
    }
}

static void tlv(buf *b, unsigned char tag, const void *body, size_t len)
{
    put_byte(b, tag);
    put_len(b, len);
    put(b, body, len);
}

static void tlv_buf(buf *b, unsigned char tag, const buf *body)
{
    tlv(b, tag, body->d, body->n);
}

static size_t unhex(const char *hex, unsigned char *out, size_t max)
{
    size_t n = strlen(hex) / 2, i;

    ck_assert_uint_le(n, max);
    for (i = 0; i < n; i++) {
        unsigned v;

        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* Blobs from the tpm2-openssl file, reused for hand-made vectors. */
static unsigned char file_der[512], pub_blob[128], priv_blob[256];
static size_t file_len, pub_len, priv_len;

static void load_vectors(void)
{
    file_len = unhex(tpm2_openssl_ec, file_der, sizeof(file_der));
    /* pubkey OCTET STRING at offset 22 (04 58), privkey at 112 (04 81 80). */
    pub_len = 0x58;
    memcpy(pub_blob, file_der + 24, pub_len);
    priv_len = 0x80;
    memcpy(priv_blob, file_der + 115, priv_len);
}

static const unsigned char oid_loadable[] = {
    0x67, 0x81, 0x05, 0x0a, 0x01, 0x03
};

/* Field pieces for building key files in any order. */
enum piece {
    P_OID,
    P_EMPTY_TRUE,
    P_EMPTY_FALSE,
    P_POLICY,
    P_SECRET,
    P_AUTHPOLICY,
    P_DESC,
    P_RSAPARENT,
    P_PARENT,
    P_PARENT_NEG,
    P_PARENT_PERSIST,
    P_PUB,
    P_PRIV,
    P_END
};

static void piece(buf *b, enum piece p)
{
    static const unsigned char t[] = { 0x01, 0x01, 0xff };
    static const unsigned char f[] = { 0x01, 0x01, 0x00 };
    static const unsigned char owner[] = { 0x40, 0x00, 0x00, 0x01 };
    static const unsigned char neg[] = { 0x81, 0x00, 0x00, 0x01 };
    static const unsigned char persist[] = { 0x00, 0x81, 0x00, 0x00, 0x02 };
    buf inner = { .n = 0 }, seq = { .n = 0 }, entry = { .n = 0 },
        x = { .n = 0 };
    static const unsigned char cc[] = { 0x01, 0x6b }; /* PolicyPCR */
    static const unsigned char body[] = { 1, 2, 3, 4 };

    switch (p) {
    case P_OID:
        tlv(b, 0x06, oid_loadable, sizeof(oid_loadable));
        break;
    case P_EMPTY_TRUE:
        tlv(b, 0xa0, t, sizeof(t));
        break;
    case P_EMPTY_FALSE:
        tlv(b, 0xa0, f, sizeof(f));
        break;
    case P_POLICY:
    case P_AUTHPOLICY:
        /* SEQUENCE OF SEQUENCE { [0] INTEGER, [1] OCTET STRING } */
        tlv(&x, 0x02, cc, sizeof(cc));
        tlv_buf(&entry, 0xa0, &x);
        x.n = 0;
        tlv(&x, 0x04, body, sizeof(body));
        tlv_buf(&entry, 0xa1, &x);
        tlv_buf(&seq, 0x30, &entry);
        if (p == P_POLICY) {
            tlv_buf(&inner, 0x30, &seq);
            tlv_buf(b, 0xa1, &inner);
        } else {
            /* TPMAuthPolicy { name [0] UTF8String, policy [1] SEQ OF } */
            buf ap = { .n = 0 }, name = { .n = 0 }, pol = { .n = 0 },
                list = { .n = 0 };

            tlv(&name, 0x0c, "pcr", 3);
            tlv_buf(&ap, 0xa0, &name);
            tlv_buf(&pol, 0x30, &seq);
            tlv_buf(&ap, 0xa1, &pol);
            tlv_buf(&list, 0x30, &ap);
            tlv_buf(&inner, 0x30, &list);
            tlv_buf(b, 0xa3, &inner);
        }
        break;
    case P_SECRET:
        tlv(&inner, 0x04, body, sizeof(body));
        tlv_buf(b, 0xa2, &inner);
        break;
    case P_DESC:
        tlv(&inner, 0x0c, "web server \xc3\xa9", 13);
        tlv_buf(b, 0xa4, &inner);
        break;
    case P_RSAPARENT:
        tlv(b, 0xa5, t, sizeof(t));
        break;
    case P_PARENT:
        tlv(b, 0x02, owner, sizeof(owner));
        break;
    case P_PARENT_NEG:
        tlv(b, 0x02, neg, sizeof(neg));
        break;
    case P_PARENT_PERSIST:
        tlv(b, 0x02, persist, sizeof(persist));
        break;
    case P_PUB:
        tlv(b, 0x04, pub_blob, pub_len);
        break;
    case P_PRIV:
        tlv(b, 0x04, priv_blob, priv_len);
        break;
    case P_END:
        break;
    }
}

/* A key file from pieces, in the order given, ending at P_END. */
static void build(buf *out, const enum piece *pieces)
{
    buf body = { .n = 0 };

    for (; *pieces != P_END; pieces++)
        piece(&body, *pieces);
    out->n = 0;
    tlv_buf(out, 0x30, &body);
}

static int decode_pieces(const enum piece *pieces, tk_keyfile *kf)
{
    static buf b;

    build(&b, pieces);
    return tk_keyfile_decode(b.d, b.n, kf);
}

static void setup(void)
{
    load_vectors();
}

START_TEST(tpm2_openssl_file_decodes)
{
    tk_keyfile kf;
    tk_tpm_pubinfo info;

    ck_assert_int_eq(tk_keyfile_decode(file_der, file_len, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.importable, 0);
    ck_assert_int_eq(kf.empty_auth, 1);
    ck_assert_int_eq(kf.has_policy, 0);
    ck_assert_ptr_null(kf.description);
    ck_assert_uint_eq(kf.parent, 0x40000001u);
    ck_assert_uint_eq(kf.pub_len, pub_len);
    ck_assert_mem_eq(kf.pub, pub_blob, pub_len);
    ck_assert_uint_eq(kf.priv_len, priv_len);
    ck_assert_mem_eq(kf.priv, priv_blob, priv_len);
    /* And the blobs are what the TPM layer expects. */
    ck_assert_int_eq(tk_tpm_parse_public(kf.pub, kf.pub_len, &info), 1);
    ck_assert_int_eq(info.kind, TK_TPM_KEY_EC);
    ck_assert_uint_eq(info.bits, 256);
    ck_assert_int_eq(tk_tpm_check_private(kf.priv, kf.priv_len), 1);
    tk_keyfile_clear(&kf);
}
END_TEST

START_TEST(round_trip)
{
    static const int auths[] = { -1, 0, 1 };
    static const uint32_t parents[] = { 0x40000001u, 0x81000001u, 0x81ffffffu,
                                        0x4000000bu };
    size_t a, p, d;

    for (a = 0; a < 3; a++)
        for (p = 0; p < 4; p++)
            for (d = 0; d < 2; d++) {
                tk_keyfile in = { 0 }, out;
                unsigned char *der = NULL, *der2 = NULL;
                size_t len = 0, len2 = 0;

                in.empty_auth = auths[a];
                in.parent = parents[p];
                in.description = d ? "tpmkit test key" : NULL;
                in.pub = pub_blob;
                in.pub_len = pub_len;
                in.priv = priv_blob;
                in.priv_len = priv_len;
                ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
                ck_assert_int_eq(tk_keyfile_decode(der, len, &out),
                                 TK_KEYFILE_OK);
                /* emptyAuth is written whenever known, FALSE too. */
                ck_assert_int_eq(out.empty_auth, auths[a]);
                ck_assert_uint_eq(out.parent, parents[p]);
                if (d)
                    ck_assert_str_eq(out.description, "tpmkit test key");
                else
                    ck_assert_ptr_null(out.description);
                ck_assert_mem_eq(out.pub, pub_blob, pub_len);
                ck_assert_mem_eq(out.priv, priv_blob, priv_len);
                /* Encoding is canonical. */
                ck_assert_int_eq(tk_keyfile_encode(&out, &der2, &len2), 1);
                ck_assert_uint_eq(len2, len);
                ck_assert_mem_eq(der2, der, len);
                tk_keyfile_clear(&out);
                OPENSSL_free(der);
                OPENSSL_free(der2);
            }
}
END_TEST

/* Policy steps survive decode and encode unchanged, in order, including
 * an empty parameter area and a command code that needs all 4 bytes. */
START_TEST(policy_round_trip)
{
    static const unsigned char pcr[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                                         0x00, 0x0b, 0x03, 0x00, 0x00, 0x01 };
    tk_keyfile_policy steps[3] = {
        { 0x0000017fu, (unsigned char *)pcr, sizeof(pcr) },
        { 0x0000016bu, (unsigned char *)"", 0 },
        { 0x80000001u, (unsigned char *)pcr, 2 },
    };
    tk_keyfile in = { 0 }, out;
    unsigned char *der = NULL, *der2 = NULL;
    size_t len = 0, len2 = 0, i;

    in.empty_auth = 0;
    in.parent = 0x40000001u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    in.policy = steps;
    in.policy_count = 3;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
    ck_assert_int_eq(tk_keyfile_decode(der, len, &out), TK_KEYFILE_OK);
    ck_assert_int_eq(out.has_policy, 1);
    ck_assert_int_eq(out.has_auth_policy, 0);
    ck_assert_uint_eq(out.policy_count, 3);
    for (i = 0; i < 3; i++) {
        ck_assert_uint_eq(out.policy[i].code, steps[i].code);
        ck_assert_uint_eq(out.policy[i].len, steps[i].len);
        if (steps[i].len > 0)
            ck_assert_mem_eq(out.policy[i].params, steps[i].params,
                             steps[i].len);
    }
    ck_assert_int_eq(tk_keyfile_encode(&out, &der2, &len2), 1);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(der2, der, len);
    tk_keyfile_clear(&out);
    OPENSSL_free(der);
    OPENSSL_free(der2);
}
END_TEST

/* Signed policies (authPolicy) survive decode and encode unchanged: names
 * (present, absent, UTF-8), each entry's steps in order, the entries in
 * order, next to the policy field; and what genpkey writes for a
 * PCR-bound key (pcrDigest TPM2B, then the selection) reads back as such. */
START_TEST(auth_policy_round_trip)
{
    static const unsigned char pcr[] = {
        0x00, 0x20, 1,    2,    3,    4,    5,    6,    7,    8,    9,
        10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,
        21,   22,   23,   24,   25,   26,   27,   28,   29,   30,   31,
        32,   0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x01
    };
    static const unsigned char approval[] = { 0x00, 0x04, 0x00, 0x23, 0x00,
                                              0x0b, 0x00, 0x00, 0x00, 0x10 };
    tk_keyfile_policy main_steps[2] = {
        { 0x0000016au, (unsigned char *)approval, sizeof(approval) },
        { 0x0000016bu, (unsigned char *)"", 0 },
    };
    tk_keyfile_policy first[2] = {
        { 0x0000017fu, (unsigned char *)pcr, sizeof(pcr) },
        { 0x0000016au, (unsigned char *)approval, sizeof(approval) },
    };
    tk_keyfile_policy second[1] = {
        { 0x0000016au, (unsigned char *)approval, 4 },
    };
    tk_keyfile_auth_policy ap[3] = {
        { "after update \xc3\xa9", first, 2 },
        { NULL, second, 1 },
        { "", first, 1 },
    };
    tk_keyfile in = { 0 }, out;
    unsigned char *der = NULL, *der2 = NULL;
    size_t len = 0, len2 = 0;

    in.empty_auth = 1;
    in.parent = 0x40000001u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    in.policy = main_steps;
    in.policy_count = 2;
    in.auth_policy = ap;
    in.auth_policy_count = 3;
    in.description = "signed";
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
    ck_assert_int_eq(tk_keyfile_decode(der, len, &out), TK_KEYFILE_OK);
    ck_assert_int_eq(out.has_policy, 1);
    ck_assert_int_eq(out.has_auth_policy, 1);
    ck_assert_uint_eq(out.policy_count, 2);
    ck_assert_uint_eq(out.policy[0].code, 0x16au);
    ck_assert_uint_eq(out.auth_policy_count, 3);
    ck_assert_str_eq(out.auth_policy[0].name, "after update \xc3\xa9");
    ck_assert_ptr_null(out.auth_policy[1].name);
    ck_assert_str_eq(out.auth_policy[2].name, "");
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(out.auth_policy[i].count, ap[i].count);
        for (size_t j = 0; j < ap[i].count; j++) {
            ck_assert_uint_eq(out.auth_policy[i].steps[j].code,
                              ap[i].steps[j].code);
            ck_assert_uint_eq(out.auth_policy[i].steps[j].len,
                              ap[i].steps[j].len);
            ck_assert_mem_eq(out.auth_policy[i].steps[j].params,
                             ap[i].steps[j].params, ap[i].steps[j].len);
        }
    }
    ck_assert_str_eq(out.description, "signed");
    /* Canonical: the decoded file encodes to the same bytes. */
    ck_assert_int_eq(tk_keyfile_encode(&out, &der2, &len2), 1);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(der2, der, len);
    tk_keyfile_clear(&out);
    OPENSSL_free(der2);
    /* An authPolicy entry without steps is malformed. */
    ap[1].count = 0;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der2, &len2), 0);
    OPENSSL_free(der);
}
END_TEST

/* A commandCode INTEGER of five octets whose first is not the sign byte
 * (0x10000016B) must be refused, not truncated to PolicyAuthValue. */
START_TEST(wide_command_code_refused)
{
    static const unsigned char wide[] = { 0x02, 0x05, 0x00, 0x80,
                                          0x00, 0x00, 0x01 };
    tk_keyfile_policy step = { 0x80000001u, (unsigned char *)"", 0 };
    tk_keyfile in = { 0 }, out;
    unsigned char *der = NULL, *at = NULL;
    size_t len = 0;
    char why[160];

    in.parent = 0x40000001u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    in.policy = &step;
    in.policy_count = 1;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
    for (size_t i = 0; i + sizeof(wide) <= len && at == NULL; i++)
        if (memcmp(der + i, wide, sizeof(wide)) == 0)
            at = der + i;
    ck_assert_ptr_nonnull(at);
    ck_assert_int_eq(tk_keyfile_decode(der, len, &out), TK_KEYFILE_OK);
    tk_keyfile_clear(&out);
    /* 0x0100000001 -> the low 32 bits alone would read 0x00000001 */
    at[2] = 0x01;
    at[3] = 0x00;
    ck_assert_int_eq(tk_keyfile_decode_ex(der, len, &out, why, sizeof(why)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "wider than 32 bits"));
    OPENSSL_free(der);
}
END_TEST

START_TEST(encoding_is_exact)
{
    tk_keyfile in = { 0 };
    unsigned char *der = NULL;
    size_t len = 0;
    buf want;
    static const enum piece pieces[] = {
        P_OID, P_EMPTY_TRUE, P_DESC, P_PARENT_PERSIST, P_PUB, P_PRIV, P_END
    };

    in.empty_auth = 1;
    in.parent = 0x81000002u;
    in.description = "web server \xc3\xa9";
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
    build(&want, pieces);
    ck_assert_uint_eq(len, want.n);
    ck_assert_mem_eq(der, want.d, len);
    OPENSSL_free(der);
}
END_TEST

START_TEST(optional_fields_load)
{
    static const enum piece all[] = { P_OID,        P_EMPTY_FALSE, P_POLICY,
                                      P_AUTHPOLICY, P_DESC,        P_RSAPARENT,
                                      P_PARENT_NEG, P_PUB,         P_PRIV,
                                      P_END };
    static const enum piece none[] = { P_OID, P_PARENT, P_PUB, P_PRIV, P_END };
    static const enum piece policy_only[] = { P_OID,    P_EMPTY_TRUE, P_POLICY,
                                              P_PARENT, P_PUB,        P_PRIV,
                                              P_END };
    static const enum piece persist[] = { P_OID, P_PARENT_PERSIST, P_PUB,
                                          P_PRIV, P_END };
    tk_keyfile kf;

    ck_assert_int_eq(decode_pieces(all, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.empty_auth, 0);
    ck_assert_int_eq(kf.has_policy, 1);
    ck_assert_str_eq(kf.description, "web server \xc3\xa9");
    /* A negative INTEGER from older tools is the handle 0x81000001. */
    ck_assert_uint_eq(kf.parent, 0x81000001u);
    tk_keyfile_clear(&kf);

    ck_assert_int_eq(decode_pieces(none, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.empty_auth, -1);
    ck_assert_int_eq(kf.has_policy, 0);
    ck_assert_ptr_null(kf.description);
    tk_keyfile_clear(&kf);

    ck_assert_int_eq(decode_pieces(policy_only, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.empty_auth, 1);
    ck_assert_int_eq(kf.has_policy, 1);
    tk_keyfile_clear(&kf);

    ck_assert_int_eq(decode_pieces(persist, &kf), TK_KEYFILE_OK);
    ck_assert_uint_eq(kf.parent, 0x81000002u);
    tk_keyfile_clear(&kf);
}
END_TEST

/* Every field decode keeps comes back out of encode byte for byte:
 * authPolicy (kept, never replayed), description and rsaParent too. */
START_TEST(all_fields_round_trip)
{
    static const enum piece all[] = { P_OID,        P_EMPTY_FALSE, P_POLICY,
                                      P_AUTHPOLICY, P_DESC,        P_RSAPARENT,
                                      P_PARENT,     P_PUB,         P_PRIV,
                                      P_END };
    static const enum piece rsa_only[] = { P_OID,    P_EMPTY_TRUE, P_RSAPARENT,
                                           P_PARENT, P_PUB,        P_PRIV,
                                           P_END };
    static const enum piece *const vectors[] = { all, rsa_only };
    buf want;
    tk_keyfile kf;
    unsigned char *der = NULL;
    size_t len = 0;

    for (size_t v = 0; v < 2; v++) {
        build(&want, vectors[v]);
        ck_assert_int_eq(tk_keyfile_decode(want.d, want.n, &kf), TK_KEYFILE_OK);
        ck_assert_int_eq(kf.rsa_parent, 1);
        ck_assert_uint_eq(kf.parent, 0x40000001u);
        ck_assert_int_eq(tk_keyfile_encode(&kf, &der, &len), 1);
        ck_assert_uint_eq(len, want.n);
        ck_assert_mem_eq(der, want.d, len);
        if (v == 0) {
            ck_assert_int_eq(kf.has_auth_policy, 1);
            ck_assert_uint_eq(kf.auth_policy_count, 1);
            ck_assert_str_eq(kf.description, "web server \xc3\xa9");
        }
        tk_keyfile_clear(&kf);
        OPENSSL_free(der);
    }
}
END_TEST

/* rsaParent FALSE is kept as written (not dropped, not turned TRUE);
 * absent stays absent. */
START_TEST(rsa_parent_false_round_trip)
{
    tk_keyfile in = { 0 }, out;
    unsigned char *der = NULL, *der2 = NULL;
    size_t len = 0, len2 = 0;
    static const unsigned char false_field[] = { 0xa5, 0x03, 0x01, 0x01, 0x00 };

    in.empty_auth = 1;
    in.parent = 0x40000001u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    for (int v = -1; v <= 1; v++) {
        in.rsa_parent = v;
        ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
        ck_assert_int_eq(tk_keyfile_decode(der, len, &out), TK_KEYFILE_OK);
        ck_assert_int_eq(out.rsa_parent, v);
        ck_assert_int_eq(tk_keyfile_encode(&out, &der2, &len2), 1);
        ck_assert_uint_eq(len2, len);
        ck_assert_mem_eq(der2, der, len);
        if (v == -1) {
            int found = 0;

            for (size_t i = 0; i + sizeof(false_field) <= len; i++)
                found |= memcmp(der + i, false_field, sizeof(false_field)) == 0;
            ck_assert_int_eq(found, 1);
        }
        tk_keyfile_clear(&out);
        OPENSSL_free(der);
        OPENSSL_free(der2);
    }
}
END_TEST

/* The TPM layer's name for the RSA primary is parent 0x40000001 with
 * rsaParent TRUE in the file, and back; rsaParent beside a persistent
 * parent means nothing. */
START_TEST(rsa_parent_mapping)
{
    tk_keyfile kf = { 0 };

    tk_keyfile_set_tpm_parent(&kf, TK_TPM_PARENT_RSA_PRIMARY);
    ck_assert_uint_eq(kf.parent, 0x40000001u);
    ck_assert_int_eq(kf.rsa_parent, 1);
    ck_assert_uint_eq(tk_keyfile_tpm_parent(&kf), TK_TPM_PARENT_RSA_PRIMARY);
    tk_keyfile_set_tpm_parent(&kf, 0);
    ck_assert_uint_eq(kf.parent, 0x40000001u);
    ck_assert_int_eq(kf.rsa_parent, 0);
    ck_assert_uint_eq(tk_keyfile_tpm_parent(&kf), TK_TPM_PARENT_PRIMARY);
    kf.rsa_parent = -1;
    ck_assert_uint_eq(tk_keyfile_tpm_parent(&kf), TK_TPM_PARENT_PRIMARY);
    kf.parent = 0x81000001u;
    kf.rsa_parent = 1;
    ck_assert_uint_eq(tk_keyfile_tpm_parent(&kf), 0x81000001u);
    ck_assert_int_eq(tk_keyfile_description_ok("caf\xc3\xa9"), 1);
    ck_assert_int_eq(tk_keyfile_description_ok("bad \xff"), 0);
}
END_TEST

START_TEST(importable_needs_secret)
{
    static const enum piece with[] = { P_OID, P_SECRET, P_PARENT,
                                       P_PUB, P_PRIV,   P_END };
    static const enum piece without[] = { P_OID, P_PARENT, P_PUB, P_PRIV,
                                          P_END };
    buf b;
    tk_keyfile kf;

    build(&b, with);
    b.d[3 + 2 + 5] = 0x04; /* the OID's last arc: importable */
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.importable, 1);
    ck_assert_uint_eq(kf.secret_len, 4);
    tk_keyfile_clear(&kf);

    build(&b, without);
    b.d[3 + 2 + 5] = 0x04;
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_MALFORMED);
}
END_TEST

/* Every prefix of a valid file is rejected; once the OID is readable the
 * file is recognised and called malformed. */
START_TEST(truncated_at_every_length)
{
    static const enum piece all[] = { P_OID,        P_EMPTY_FALSE, P_POLICY,
                                      P_AUTHPOLICY, P_DESC,        P_PARENT,
                                      P_PUB,        P_PRIV,        P_END };
    buf b;
    size_t n, recognisable;
    tk_keyfile kf;

    build(&b, all);
    /* The OID is complete after the outer header and 8 bytes. */
    recognisable = (b.d[1] < 0x80 ? 2 : 2 + (size_t)(b.d[1] & 0x7f)) + 8;
    for (n = 0; n < b.n; n++) {
        /* A fresh copy of exactly n bytes, so ASan sees any overread. */
        unsigned char *copy = malloc(n ? n : 1);
        int rv;

        memcpy(copy, b.d, n);
        rv = tk_keyfile_decode(copy, n, &kf);
        if (n >= recognisable)
            ck_assert_msg(rv == TK_KEYFILE_MALFORMED, "length %zu gave %d", n,
                          rv);
        else
            ck_assert_msg(rv != TK_KEYFILE_OK, "length %zu accepted", n);
        ck_assert_ptr_null(kf.pub);
        free(copy);
    }
    for (n = 0; n < file_len; n++)
        ck_assert_int_ne(tk_keyfile_decode(file_der, n, &kf), TK_KEYFILE_OK);
}
END_TEST

START_TEST(trailing_bytes)
{
    unsigned char d[600];
    tk_keyfile kf;
    char why[160];

    memcpy(d, file_der, file_len);
    d[file_len] = 0;
    ck_assert_int_eq(
        tk_keyfile_decode_ex(d, file_len + 1, &kf, why, sizeof(why)),
        TK_KEYFILE_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "trailing"));
    /* Trailing bytes inside the SEQUENCE, after privkey. */
    {
        static const enum piece p[] = { P_OID,  P_PARENT, P_PUB,
                                        P_PRIV, P_PARENT, P_END };

        ck_assert_int_eq(decode_pieces(p, &kf), TK_KEYFILE_MALFORMED);
    }
}
END_TEST

START_TEST(wrong_oid_is_not_mine)
{
    unsigned char d[600];
    tk_keyfile kf;

    memcpy(d, file_der, file_len);
    d[10] = 0x06; /* 2.23.133.10.1.6: not a TPMKey type */
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_NOT_MINE);
    d[10] = 0x03;
    d[5] = 0x2a; /* some other OID */
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_NOT_MINE);
    /* An RSA PrivateKeyInfo-like start: SEQUENCE { INTEGER 0, ... } */
    {
        static const unsigned char pkcs8[] = { 0x30, 0x05, 0x02, 0x01,
                                               0x00, 0x30, 0x00 };

        ck_assert_int_eq(tk_keyfile_decode(pkcs8, sizeof(pkcs8), &kf),
                         TK_KEYFILE_NOT_MINE);
    }
    ck_assert_int_eq(tk_keyfile_decode(NULL, 0, &kf), TK_KEYFILE_NOT_MINE);
    ck_assert_int_eq(tk_keyfile_decode(d, 0, &kf), TK_KEYFILE_NOT_MINE);
}
END_TEST

/* 2.23.133.10.1.5, sealed data: decodes (tpmkit-key unseal reads it),
 * marked as such, neither loadable nor importable. */
START_TEST(sealed_oid_decodes)
{
    unsigned char d[600];
    tk_keyfile kf;

    memcpy(d, file_der, file_len);
    d[10] = 0x05;
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.sealed, 1);
    ck_assert_int_eq(kf.importable, 0);
    ck_assert_mem_eq(kf.pub, pub_blob, pub_len);
    tk_keyfile_clear(&kf);
    ck_assert_int_eq(tk_keyfile_decode(file_der, file_len, &kf), TK_KEYFILE_OK);
    ck_assert_int_eq(kf.sealed, 0);
    tk_keyfile_clear(&kf);
}
END_TEST

/* What tpmkit-key writes: sealed data (emptyAuth TRUE or FALSE) and
 * importable keys (the encrypted seed in secret [2]) come back unchanged,
 * with the OID they were written with, and encode canonically. */
START_TEST(sealed_and_importable_round_trip)
{
    static const unsigned char seed[] = { 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef };
    static const unsigned char oid_sealed[] = { 0x06, 0x06, 0x67, 0x81,
                                                0x05, 0x0a, 0x01, 0x05 };
    static const unsigned char oid_importable[] = { 0x06, 0x06, 0x67, 0x81,
                                                    0x05, 0x0a, 0x01, 0x04 };

    for (int kind = 0; kind < 2; kind++)
        for (int empty = 0; empty < 2; empty++) {
            tk_keyfile in = { 0 }, out;
            unsigned char *der = NULL, *der2 = NULL;
            size_t len = 0, len2 = 0;

            in.sealed = kind == 0;
            in.importable = kind == 1;
            in.empty_auth = empty;
            in.parent = kind == 0 ? 0x81000101u : 0x40000001u;
            in.pub = pub_blob;
            in.pub_len = pub_len;
            in.priv = priv_blob;
            in.priv_len = priv_len;
            if (in.importable) {
                in.secret = (unsigned char *)seed;
                in.secret_len = sizeof(seed);
            }
            ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 1);
            /* SEQUENCE header (3 bytes for these sizes), then the OID. */
            ck_assert_mem_eq(der + 3, kind == 0 ? oid_sealed : oid_importable,
                             sizeof(oid_sealed));
            ck_assert_int_eq(tk_keyfile_decode(der, len, &out), TK_KEYFILE_OK);
            ck_assert_int_eq(out.sealed, in.sealed);
            ck_assert_int_eq(out.importable, in.importable);
            ck_assert_int_eq(out.empty_auth, empty);
            ck_assert_uint_eq(out.parent, in.parent);
            ck_assert_mem_eq(out.pub, pub_blob, pub_len);
            ck_assert_mem_eq(out.priv, priv_blob, priv_len);
            if (in.importable) {
                ck_assert_uint_eq(out.secret_len, sizeof(seed));
                ck_assert_mem_eq(out.secret, seed, sizeof(seed));
            } else {
                ck_assert_ptr_null(out.secret);
            }
            ck_assert_int_eq(tk_keyfile_encode(&out, &der2, &len2), 1);
            ck_assert_uint_eq(len2, len);
            ck_assert_mem_eq(der2, der, len);
            tk_keyfile_clear(&out);
            OPENSSL_free(der);
            OPENSSL_free(der2);
        }
}
END_TEST

/* A file cannot be both sealed data and an importable key. */
START_TEST(sealed_importable_refused)
{
    tk_keyfile in = { 0 };
    unsigned char *der = NULL, seed[] = { 0x00, 0x01, 0x00 };
    size_t len = 0;

    in.sealed = in.importable = 1;
    in.empty_auth = 1;
    in.parent = 0x40000001u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    in.secret = seed;
    in.secret_len = sizeof(seed);
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 0);
    ck_assert_ptr_null(der);
}
END_TEST

START_TEST(garbage_never_decodes)
{
    unsigned char d[700];
    size_t i, round;
    tk_keyfile kf;
    unsigned seed = 12345;

    for (round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof(d));

        for (i = 0; i < n; i++)
            d[i] = (unsigned char)rand_r(&seed);
        ck_assert_int_ne(tk_keyfile_decode(d, n, &kf), TK_KEYFILE_OK);
    }
    /* Single-bit corruptions of a good file, in a buffer of exactly the
     * file's size so that ASan sees any read past the end: whatever the
     * result, no crash, and a success must still be a consistent file. */
    for (i = 0; i < file_len; i++) {
        unsigned char c, *exact = malloc(file_len);

        memcpy(exact, file_der, file_len);
        for (c = 1; c != 0; c = (unsigned char)(c << 1)) {
            exact[i] = file_der[i] ^ c;
            if (tk_keyfile_decode(exact, file_len, &kf) == TK_KEYFILE_OK) {
                ck_assert_ptr_nonnull(kf.pub);
                ck_assert_ptr_nonnull(kf.priv);
                tk_keyfile_clear(&kf);
            }
        }
        free(exact);
    }
}
END_TEST

START_TEST(oversized_blobs)
{
    static unsigned char big[TK_KEYFILE_MAX_BLOB + 100];
    buf body = { .n = 0 }, b = { .n = 0 };
    tk_keyfile kf, in = { 0 };
    unsigned char *der = NULL;
    size_t len;

    memset(big, 0x41, sizeof(big));
    /* A pubkey TPM2B of MAX+1 bytes. */
    big[0] = (unsigned char)((TK_KEYFILE_MAX_BLOB - 1) >> 8);
    big[1] = (unsigned char)(TK_KEYFILE_MAX_BLOB - 1);
    big[2] = 0x00;
    big[3] = 0x23;
    piece(&body, P_OID);
    piece(&body, P_PARENT);
    tlv(&body, 0x04, big, TK_KEYFILE_MAX_BLOB + 1);
    piece(&body, P_PRIV);
    tlv_buf(&b, 0x30, &body);
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_MALFORMED);

    body.n = 0;
    piece(&body, P_OID);
    piece(&body, P_PARENT);
    piece(&body, P_PUB);
    tlv(&body, 0x04, big, TK_KEYFILE_MAX_BLOB + 1);
    b.n = 0;
    tlv_buf(&b, 0x30, &body);
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_MALFORMED);

    /* A description over the limit. */
    {
        buf desc = { .n = 0 };

        body.n = 0;
        piece(&body, P_OID);
        tlv(&desc, 0x0c, big, TK_KEYFILE_MAX_DESCRIPTION + 1);
        tlv_buf(&body, 0xa4, &desc);
        piece(&body, P_PARENT);
        piece(&body, P_PUB);
        piece(&body, P_PRIV);
        b.n = 0;
        tlv_buf(&b, 0x30, &body);
        ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf),
                         TK_KEYFILE_MALFORMED);
    }

    /* A blob whose TPM2B size disagrees with the OCTET STRING. */
    {
        unsigned char bad[90];

        memcpy(bad, pub_blob, pub_len);
        bad[1] = (unsigned char)(bad[1] + 1);
        body.n = 0;
        piece(&body, P_OID);
        piece(&body, P_PARENT);
        tlv(&body, 0x04, bad, pub_len);
        piece(&body, P_PRIV);
        b.n = 0;
        tlv_buf(&b, 0x30, &body);
        ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf),
                         TK_KEYFILE_MALFORMED);
    }

    /* The encoder refuses too. */
    in.parent = 0x40000001u;
    in.pub = big;
    in.pub_len = TK_KEYFILE_MAX_BLOB + 1;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 0);
    ck_assert_ptr_null(der);
}
END_TEST

static int decode_with_parent(const unsigned char *integer, size_t n)
{
    buf body = { .n = 0 }, b = { .n = 0 };
    tk_keyfile kf;
    int rv;

    piece(&body, P_OID);
    tlv(&body, 0x02, integer, n);
    piece(&body, P_PUB);
    piece(&body, P_PRIV);
    tlv_buf(&b, 0x30, &body);
    rv = tk_keyfile_decode(b.d, b.n, &kf);
    tk_keyfile_clear(&kf);
    return rv;
}

START_TEST(bad_parents)
{
    static const unsigned char zero[] = { 0x00 };
    static const unsigned char random_handle[] = { 0x12, 0x34, 0x56, 0x78 };
    static const unsigned char transient[] = { 0x00, 0x80, 0x00, 0x00, 0x01 };
    static const unsigned char nv[] = { 0x01, 0xc0, 0x00, 0x02 };
    static const unsigned char too_big[] = { 0x01, 0x40, 0x00, 0x00, 0x01 };
    static const unsigned char nine[] = { 0, 0, 0, 0, 0x40, 0, 0, 0, 1 };
    static const unsigned char padded[] = { 0x00, 0x40, 0x00, 0x00, 0x01 };
    static const unsigned char neg_padded[] = { 0xff, 0x81, 0x00, 0x00, 0x01 };
    static const unsigned char minus_one[] = { 0xff };
    static const unsigned char ok[] = { 0x40, 0x00, 0x00, 0x01 };
    tk_keyfile in = { 0 };
    unsigned char *der = NULL;
    size_t len;

    ck_assert_int_eq(decode_with_parent(ok, sizeof(ok)), TK_KEYFILE_OK);
    ck_assert_int_eq(decode_with_parent(zero, sizeof(zero)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(random_handle, sizeof(random_handle)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(transient, sizeof(transient)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(nv, sizeof(nv)), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(too_big, sizeof(too_big)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(nine, sizeof(nine)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(padded, sizeof(padded)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(neg_padded, sizeof(neg_padded)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(minus_one, sizeof(minus_one)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_with_parent(ok, 0), TK_KEYFILE_MALFORMED);

    in.parent = 0x12345678u;
    in.pub = pub_blob;
    in.pub_len = pub_len;
    in.priv = priv_blob;
    in.priv_len = priv_len;
    ck_assert_int_eq(tk_keyfile_encode(&in, &der, &len), 0);
}
END_TEST

START_TEST(swapped_fields)
{
    static const enum piece desc_first[] = { P_OID,    P_DESC, P_EMPTY_TRUE,
                                             P_PARENT, P_PUB,  P_PRIV,
                                             P_END };
    static const enum piece blobs_swapped[] = { P_OID, P_PARENT, P_PRIV, P_PUB,
                                                P_END };
    static const enum piece parent_last[] = { P_OID, P_PUB, P_PRIV, P_PARENT,
                                              P_END };
    static const enum piece oid_late[] = { P_EMPTY_TRUE, P_OID,  P_PARENT,
                                           P_PUB,        P_PRIV, P_END };
    static const enum piece twice[] = { P_OID,    P_EMPTY_TRUE, P_EMPTY_TRUE,
                                        P_PARENT, P_PUB,        P_PRIV,
                                        P_END };
    static const enum piece no_priv[] = { P_OID, P_PARENT, P_PUB, P_END };
    static const enum piece no_parent[] = { P_OID, P_PUB, P_PRIV, P_END };
    tk_keyfile kf;

    ck_assert_int_eq(decode_pieces(desc_first, &kf), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_pieces(blobs_swapped, &kf), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_pieces(parent_last, &kf), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_pieces(oid_late, &kf), TK_KEYFILE_NOT_MINE);
    ck_assert_int_eq(decode_pieces(twice, &kf), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_pieces(no_priv, &kf), TK_KEYFILE_MALFORMED);
    ck_assert_int_eq(decode_pieces(no_parent, &kf), TK_KEYFILE_MALFORMED);
}
END_TEST

START_TEST(wrong_tags_and_encodings)
{
    unsigned char d[600];
    tk_keyfile kf;
    buf body = { .n = 0 }, b = { .n = 0 };
    static const unsigned char implicit_bool[] = { 0x80, 0x01, 0xff };

    /* privkey as a BIT STRING. */
    memcpy(d, file_der, file_len);
    d[112] = 0x03;
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_MALFORMED);
    /* emptyAuth [0] holding an INTEGER. */
    memcpy(d, file_der, file_len);
    d[13] = 0x02;
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_MALFORMED);
    /* Constructed OCTET STRING (BER). */
    memcpy(d, file_der, file_len);
    d[22] = 0x24;
    ck_assert_int_eq(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_MALFORMED);
    /* Indefinite outer length. */
    memcpy(d, file_der, file_len);
    d[1] = 0x80;
    ck_assert_int_ne(tk_keyfile_decode(d, file_len, &kf), TK_KEYFILE_OK);
    /* Non-minimal length: 0x81 0x58 for pubkey is minimal, 0x82 0x00 0x58 not. */
    {
        unsigned char e[600];

        memcpy(e, file_der, 23);
        e[2] = (unsigned char)(file_der[2] + 1);
        e[23] = 0x82;
        e[24] = 0x00;
        e[25] = 0x58;
        memcpy(e + 26, file_der + 24, file_len - 24);
        ck_assert_int_eq(tk_keyfile_decode(e, file_len + 2, &kf),
                         TK_KEYFILE_MALFORMED);
    }
    /* emptyAuth IMPLICIT instead of EXPLICIT. */
    piece(&body, P_OID);
    put(&body, implicit_bool, sizeof(implicit_bool));
    piece(&body, P_PARENT);
    piece(&body, P_PUB);
    piece(&body, P_PRIV);
    tlv_buf(&b, 0x30, &body);
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_MALFORMED);
    /* An unknown optional field [6]. */
    body.n = 0;
    b.n = 0;
    piece(&body, P_OID);
    tlv(&body, 0xa6, "\x05\x00", 2);
    piece(&body, P_PARENT);
    piece(&body, P_PUB);
    piece(&body, P_PRIV);
    tlv_buf(&b, 0x30, &body);
    ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf), TK_KEYFILE_MALFORMED);
    /* A description that is not UTF-8, and one with a NUL. */
    {
        buf desc = { .n = 0 };

        body.n = 0;
        b.n = 0;
        piece(&body, P_OID);
        tlv(&desc, 0x0c, "a\xff", 2);
        tlv_buf(&body, 0xa4, &desc);
        piece(&body, P_PARENT);
        piece(&body, P_PUB);
        piece(&body, P_PRIV);
        tlv_buf(&b, 0x30, &body);
        ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf),
                         TK_KEYFILE_MALFORMED);
        body.n = 0;
        b.n = 0;
        desc.n = 0;
        piece(&body, P_OID);
        tlv(&desc, 0x0c, "a\0b", 3);
        tlv_buf(&body, 0xa4, &desc);
        piece(&body, P_PARENT);
        piece(&body, P_PUB);
        piece(&body, P_PRIV);
        tlv_buf(&b, 0x30, &body);
        ck_assert_int_eq(tk_keyfile_decode(b.d, b.n, &kf),
                         TK_KEYFILE_MALFORMED);
    }
}
END_TEST

START_TEST(malformed_says_why)
{
    static const enum piece blobs_swapped[] = { P_OID, P_PARENT, P_PRIV, P_PUB,
                                                P_END };
    buf b;
    tk_keyfile kf;
    char why[160];

    build(&b, blobs_swapped);
    ck_assert_int_eq(tk_keyfile_decode_ex(b.d, b.n, &kf, why, sizeof(why)),
                     TK_KEYFILE_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "pubkey"));
    ck_assert_int_eq(
        tk_keyfile_decode_ex(file_der, file_len - 1, &kf, why, sizeof(why)),
        TK_KEYFILE_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keyfile");
    TCase *tc = tcase_create("codec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tpm2_openssl_file_decodes);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, policy_round_trip);
    tcase_add_test(tc, auth_policy_round_trip);
    tcase_add_test(tc, wide_command_code_refused);
    tcase_add_test(tc, encoding_is_exact);
    tcase_add_test(tc, optional_fields_load);
    tcase_add_test(tc, all_fields_round_trip);
    tcase_add_test(tc, rsa_parent_false_round_trip);
    tcase_add_test(tc, rsa_parent_mapping);
    tcase_add_test(tc, importable_needs_secret);
    tcase_add_test(tc, truncated_at_every_length);
    tcase_add_test(tc, trailing_bytes);
    tcase_add_test(tc, wrong_oid_is_not_mine);
    tcase_add_test(tc, sealed_oid_decodes);
    tcase_add_test(tc, sealed_and_importable_round_trip);
    tcase_add_test(tc, sealed_importable_refused);
    tcase_add_test(tc, garbage_never_decodes);
    tcase_add_test(tc, oversized_blobs);
    tcase_add_test(tc, bad_parents);
    tcase_add_test(tc, swapped_fields);
    tcase_add_test(tc, wrong_tags_and_encodings);
    tcase_add_test(tc, malformed_says_why);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
