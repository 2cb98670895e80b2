/* SPDX-License-Identifier: Apache-2.0 */
/* The TPMKey codec (see keyfile.h), written against DER by hand so that
 * every rejection can say why, and so that nothing BER-ish slips through.
 * Input comes from files anyone can write: no length is trusted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "der.h"
#include "keyfile.h"
#include "../tpm/key.h"
#include "../provider/errors.h"

/* 2.23.133.10.1.3, .4 and .5, OID body bytes. */
static const unsigned char oid_loadable[] = {
    0x67, 0x81, 0x05, 0x0a, 0x01, 0x03
};
static const unsigned char oid_importable[] = { 0x67, 0x81, 0x05,
                                                0x0a, 0x01, 0x04 };
static const unsigned char oid_sealed[] = {
    0x67, 0x81, 0x05, 0x0a, 0x01, 0x05
};

/* TPM2B_PUBLIC starts with size, then the object type. */
#define TPM_ALG_RSA 0x0001
#define TPM_ALG_KEYEDHASH 0x0008
#define TPM_ALG_ECC 0x0023
#define TPM_ALG_SYMCIPHER 0x0025

typedef struct parse {
    char *why;
    size_t why_len;
} parse;

static int fail(parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(parse *ps, const char *fmt, ...)
{
    va_list ap;

    if (ps->why != NULL && ps->why_len > 0) {
        va_start(ap, fmt);
        vsnprintf(ps->why, ps->why_len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

#define malformed(ps, ...) (fail((ps), __VA_ARGS__), TK_KEYFILE_MALFORMED)

static int next(parse *ps, tk_der *d, unsigned want, tk_der *body,
                const char *what)
{
    unsigned tag;
    const char *why = NULL;

    if (!tk_der_next(d, &tag, body, &why))
        return fail(ps, "%s: %s", what, why);
    if (tag != want)
        return fail(ps, "%s: expected tag 0x%02x, found 0x%02x", what, want,
                    tag);
    return 1;
}

static int at_end(parse *ps, const tk_der *d, const char *what)
{
    if (d->left != 0)
        return fail(ps, "%zu unexpected bytes after %s", d->left, what);
    return 1;
}

/* [n] EXPLICIT wrapping exactly one TLV of tag `inner`. */
static int explicit(parse *ps, tk_der *ctx_body, unsigned inner, tk_der *body,
                    const char *what)
{
    return next(ps, ctx_body, inner, body, what) && at_end(ps, ctx_body, what);
}

static int boolean(parse *ps, tk_der *ctx_body, int *value, const char *what)
{
    tk_der b;

    if (!explicit(ps, ctx_body, TK_DER_BOOLEAN, &b, what))
        return 0;
    if (b.left != 1)
        return fail(ps, "%s: BOOLEAN of %zu bytes", what, b.left);
    /* DER says 0xff, but some writers use 0x01: any non-zero is TRUE. */
    *value = b.p[0] != 0;
    return 1;
}

static int integer_ok(parse *ps, const tk_der *b, size_t max, const char *what)
{
    if (b->left == 0 || b->left > max)
        return fail(ps, "%s: INTEGER of %zu bytes", what, b->left);
    if (b->left > 1
        && ((b->p[0] == 0x00 && (b->p[1] & 0x80) == 0)
            || (b->p[0] == 0xff && (b->p[1] & 0x80) != 0)))
        return fail(ps, "%s: INTEGER not minimally encoded", what);
    return 1;
}

static int utf8_valid(const unsigned char *s, size_t len);

/* TPMPolicy ::= SEQUENCE { commandCode [0] EXPLICIT INTEGER,
 *                          commandPolicy [1] EXPLICIT OCTET STRING }
 * Returns the number of entries in *count; with `out`, also the steps
 * (commandCode a non-negative 32-bit value). */
static int policy_list(parse *ps, tk_der *list, size_t *count, const char *what,
                       tk_keyfile_policy **out_steps, size_t *out_count)
{
    tk_der entry, field, value;
    uint32_t code;

    for (*count = 0; list->left > 0; (*count)++) {
        if (!next(ps, list, TK_DER_SEQUENCE, &entry, what)
            || !next(ps, &entry, TK_DER_CTX(0), &field, what)
            || !explicit(ps, &field, TK_DER_INTEGER, &value, what)
            || !integer_ok(ps, &value, 5, what))
            return 0;
        if (value.p[0] & 0x80)
            return fail(ps, "%s: negative command code", what);
        /* A fifth octet is only the sign byte of a code >= 0x80000000;
         * anything else is wider than a TPM command code. */
        if (value.left == 5 && value.p[0] != 0)
            return fail(ps, "%s: commandCode wider than 32 bits", what);
        code = 0;
        for (size_t i = 0; i < value.left; i++)
            code = (code << 8) | value.p[i];
        if (!next(ps, &entry, TK_DER_CTX(1), &field, what)
            || !explicit(ps, &field, TK_DER_OCTET_STRING, &value, what)
            || !at_end(ps, &entry, what))
            return 0;
        if (out_steps == NULL)
            continue;
        if (*count >= TK_KEYFILE_MAX_POLICY)
            return fail(ps, "%s: more than %d steps", what,
                        TK_KEYFILE_MAX_POLICY);
        if (value.left > TK_KEYFILE_MAX_BLOB)
            return fail(ps, "%s: step of %zu bytes", what, value.left);
        if (*out_steps == NULL
            && (*out_steps = OPENSSL_zalloc(TK_KEYFILE_MAX_POLICY
                                            * sizeof(**out_steps)))
                   == NULL)
            return fail(ps, "out of memory");
        (*out_steps)[*count].code = code;
        (*out_steps)[*count].len = value.left;
        if (((*out_steps)[*count].params = OPENSSL_zalloc(value.left + 1))
            == NULL)
            return fail(ps, "out of memory");
        if (value.left > 0)
            memcpy((*out_steps)[*count].params, value.p, value.left);
        *out_count = *count + 1;
    }
    return 1;
}

/* TPMAuthPolicy ::= SEQUENCE { name [0] EXPLICIT UTF8String OPTIONAL,
 *                              policy [1] EXPLICIT SEQUENCE OF TPMPolicy } */
static int auth_policy_list(parse *ps, tk_der *list, size_t *count,
                            tk_keyfile *out)
{
    static const char what[] = "authPolicy";
    tk_der entry, field, value;
    tk_keyfile_auth_policy *ap;
    size_t n;

    for (*count = 0; list->left > 0; (*count)++) {
        if (*count >= TK_KEYFILE_MAX_AUTH_POLICY)
            return fail(ps, "%s: more than %d signed policies", what,
                        TK_KEYFILE_MAX_AUTH_POLICY);
        if (out->auth_policy == NULL
            && (out->auth_policy = OPENSSL_zalloc(TK_KEYFILE_MAX_AUTH_POLICY
                                                  * sizeof(*out->auth_policy)))
                   == NULL)
            return fail(ps, "out of memory");
        ap = &out->auth_policy[*count];
        out->auth_policy_count = *count + 1;
        if (!next(ps, list, TK_DER_SEQUENCE, &entry, what))
            return 0;
        if (tk_der_peek(&entry) == TK_DER_CTX(0)) {
            if (!next(ps, &entry, TK_DER_CTX(0), &field, what)
                || !explicit(ps, &field, TK_DER_UTF8STRING, &value, what))
                return 0;
            if (value.left > TK_KEYFILE_MAX_DESCRIPTION
                || !utf8_valid(value.p, value.left))
                return fail(ps, "%s: name is not UTF-8 of at most %d bytes",
                            what, TK_KEYFILE_MAX_DESCRIPTION);
            if ((ap->name = OPENSSL_strndup((const char *)value.p, value.left))
                == NULL)
                return fail(ps, "out of memory");
        }
        if (!next(ps, &entry, TK_DER_CTX(1), &field, what)
            || !explicit(ps, &field, TK_DER_SEQUENCE, &value, what)
            || !policy_list(ps, &value, &n, what, &ap->steps, &ap->count)
            || !at_end(ps, &entry, what))
            return 0;
        if (n == 0)
            return fail(ps, "%s: signed policy %zu has no steps", what,
                        *count + 1);
    }
    return 1;
}

static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0, n, k;
    unsigned long c, min;

    while (i < len) {
        c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            c &= 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            c &= 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            c &= 0x07;
            min = 0x10000;
        } else
            return 0;
        if (len - i - 1 < n)
            return 0;
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int copy_blob(parse *ps, const tk_der *b, size_t max,
                     unsigned char **out, size_t *out_len, const char *what)
{
    if (b->left == 0 || b->left > max)
        return fail(ps, "%s of %zu bytes (1 to %zu allowed)", what, b->left,
                    max);
    if ((*out = OPENSSL_memdup(b->p, b->left)) == NULL)
        return fail(ps, "out of memory");
    *out_len = b->left;
    return 1;
}

/* A TPM2B: a big-endian 16-bit size, then exactly that many bytes. */
static int tpm2b_ok(parse *ps, const unsigned char *p, size_t len,
                    const char *what)
{
    if (len < 3 || (((size_t)p[0] << 8) | p[1]) != len - 2)
        return fail(ps, "%s is not a marshalled TPM2B of %zu bytes", what, len);
    return 1;
}

static int public_ok(parse *ps, const unsigned char *p, size_t len)
{
    unsigned type;

    if (!tpm2b_ok(ps, p, len, "pubkey"))
        return 0;
    if (len < 4)
        return fail(ps, "pubkey too short");
    type = ((unsigned)p[2] << 8) | p[3];
    if (type != TPM_ALG_RSA && type != TPM_ALG_ECC && type != TPM_ALG_KEYEDHASH
        && type != TPM_ALG_SYMCIPHER)
        return fail(ps, "pubkey is not a TPM2B_PUBLIC (object type 0x%04x)",
                    type);
    return 1;
}

static int parent_handle_ok(uint32_t h)
{
    return (h >> 24) == 0x81   /* persistent key */
           || h == 0x40000001  /* owner */
           || h == 0x40000007  /* null */
           || h == 0x4000000b  /* endorsement */
           || h == 0x4000000c; /* platform */
}

static int parent(parse *ps, const tk_der *b, uint32_t *out)
{
    uint32_t v = 0;
    size_t i;

    if (!integer_ok(ps, b, 5, "parent"))
        return 0;
    if (b->left == 5 && b->p[0] != 0x00)
        return fail(ps, "parent does not fit 32 bits");
    /* Older tools wrote 0x81000001-style handles as negative 32-bit
     * INTEGERs: sign-extend, then read the two's complement as a handle. */
    if ((b->p[0] & 0x80) != 0)
        v = 0xffffffffu;
    for (i = 0; i < b->left; i++)
        v = (v << 8) | b->p[i];
    if (!parent_handle_ok(v))
        return fail(ps,
                    "parent 0x%08x is neither a hierarchy nor a persistent"
                    " handle",
                    v);
    *out = v;
    return 1;
}

static int description(parse *ps, tk_der *ctx_body, char **out)
{
    tk_der s;

    if (!explicit(ps, ctx_body, TK_DER_UTF8STRING, &s, "description"))
        return 0;
    if (s.left > TK_KEYFILE_MAX_DESCRIPTION)
        return fail(ps, "description of %zu bytes (at most %d)", s.left,
                    TK_KEYFILE_MAX_DESCRIPTION);
    if (!utf8_valid(s.p, s.left))
        return fail(ps, "description is not valid UTF-8 text");
    if (s.left == 0)
        return 1;
    if ((*out = OPENSSL_strndup((const char *)s.p, s.left)) == NULL)
        return fail(ps, "out of memory");
    return 1;
}

/* The optional [0]..[5] fields, each at most once and in order. */
static int optional_fields(parse *ps, tk_der *seq, tk_keyfile *kf)
{
    int last = -1, n, value;
    unsigned tag;
    tk_der body, inner;
    size_t count;
    const char *why;

    while (tk_der_peek(seq) >= 0 && (tk_der_peek(seq) & 0xe0) == 0xa0) {
        if (!tk_der_next(seq, &tag, &body, &why))
            return fail(ps, "optional field: %s", why);
        n = (int)(tag & 0x1f);
        if (n > 5)
            return fail(ps, "unknown field [%d]", n);
        if (n <= last)
            return fail(ps, "field [%d] out of order or repeated", n);
        last = n;
        switch (n) {
        case 0:
            if (!boolean(ps, &body, &kf->empty_auth, "emptyAuth"))
                return 0;
            break;
        case 1:
            if (!explicit(ps, &body, TK_DER_SEQUENCE, &inner, "policy")
                || !policy_list(ps, &inner, &count, "policy", &kf->policy,
                                &kf->policy_count))
                return 0;
            kf->has_policy |= count > 0;
            break;
        case 2:
            if (!explicit(ps, &body, TK_DER_OCTET_STRING, &inner, "secret")
                || !copy_blob(ps, &inner, TK_KEYFILE_MAX_BLOB, &kf->secret,
                              &kf->secret_len, "secret"))
                return 0;
            break;
        case 3:
            if (!explicit(ps, &body, TK_DER_SEQUENCE, &inner, "authPolicy")
                || !auth_policy_list(ps, &inner, &count, kf))
                return 0;
            kf->has_policy |= count > 0;
            kf->has_auth_policy = count > 0;
            break;
        case 4:
            if (!description(ps, &body, &kf->description))
                return 0;
            break;
        case 5:
            if (!boolean(ps, &body, &value, "rsaParent"))
                return 0;
            kf->rsa_parent = value ? 1 : -1;
            break;
        }
    }
    return 1;
}

/* Is this a TPMKey at all? Looks only at the outer header and the OID, so
 * that truncated or padded key files are still recognised as ours. */
static int recognise(const unsigned char *der, size_t len, int *importable,
                     int *sealed, size_t *outer_hdr, size_t *outer_len)
{
    tk_der d = { der, len }, inner, oid;
    unsigned tag;
    size_t hdr, body;
    const char *why;

    if (!tk_der_header(&d, &tag, &hdr, &body) || tag != TK_DER_SEQUENCE)
        return 0;
    inner.p = der + hdr;
    inner.left = len - hdr < body ? len - hdr : body;
    if (!tk_der_next(&inner, &tag, &oid, &why) || tag != TK_DER_OID)
        return 0;
    if (oid.left == sizeof(oid_loadable)
        && memcmp(oid.p, oid_loadable, oid.left) == 0)
        *importable = 0;
    else if (oid.left == sizeof(oid_importable)
             && memcmp(oid.p, oid_importable, oid.left) == 0)
        *importable = 1;
    else if (oid.left == sizeof(oid_sealed)
             && memcmp(oid.p, oid_sealed, oid.left) == 0)
        *sealed = 1;
    else
        return 0;
    *outer_hdr = hdr;
    *outer_len = body;
    return 1;
}

static int decode(parse *ps, const unsigned char *der, size_t len,
                  tk_keyfile *kf)
{
    tk_der seq, field;
    size_t hdr, body;

    if (der == NULL
        || !recognise(der, len, &kf->importable, &kf->sealed, &hdr, &body))
        return TK_KEYFILE_NOT_MINE;
    if (len > TK_KEYFILE_MAX_DER)
        return malformed(ps, "%zu bytes is too large for a key file", len);
    if (body > len - hdr)
        return malformed(ps, "truncated (%zu of %zu bytes)", len, hdr + body);
    if (body < len - hdr)
        return malformed(ps, "%zu trailing bytes after the key",
                         len - hdr - body);
    seq.p = der + hdr;
    seq.left = body;
    /* The OID, already checked by recognise(). */
    if (!next(ps, &seq, TK_DER_OID, &field, "type")
        || !optional_fields(ps, &seq, kf)
        || !next(ps, &seq, TK_DER_INTEGER, &field, "parent")
        || !parent(ps, &field, &kf->parent)
        || !next(ps, &seq, TK_DER_OCTET_STRING, &field, "pubkey")
        || !copy_blob(ps, &field, TK_KEYFILE_MAX_BLOB, &kf->pub, &kf->pub_len,
                      "pubkey")
        || !public_ok(ps, kf->pub, kf->pub_len)
        || !next(ps, &seq, TK_DER_OCTET_STRING, &field, "privkey")
        || !copy_blob(ps, &field, TK_KEYFILE_MAX_BLOB, &kf->priv, &kf->priv_len,
                      "privkey")
        || !tpm2b_ok(ps, kf->priv, kf->priv_len, "privkey")
        || !at_end(ps, &seq, "privkey"))
        return TK_KEYFILE_MALFORMED;
    if (kf->importable && kf->secret == NULL)
        return malformed(ps, "importable key without its secret");
    return TK_KEYFILE_OK;
}

int tk_keyfile_decode_ex(const unsigned char *der, size_t len, tk_keyfile *out,
                         char *why, size_t why_len)
{
    parse ps = { why, why_len };
    int rv;

    memset(out, 0, sizeof(*out));
    out->empty_auth = -1;
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    rv = decode(&ps, der, len, out);
    if (rv != TK_KEYFILE_OK) {
        tk_keyfile_clear(out);
        out->empty_auth = -1;
    }
    return rv;
}

int tk_keyfile_decode(const unsigned char *der, size_t len, tk_keyfile *out)
{
    char why[160];
    int rv = tk_keyfile_decode_ex(der, len, out, why, sizeof(why));

    if (rv == TK_KEYFILE_MALFORMED)
        tk_raise(TK_R_BAD_KEY, "malformed TSS2 key file: %s", why);
    return rv;
}

/* Encoding: the body size first, then one pass writing it. */

static size_t tlv_size(size_t len)
{
    return tk_der_hdr_size(len) + len;
}

static unsigned char *put_tlv(unsigned char *p, unsigned tag, const void *data,
                              size_t len)
{
    p = tk_der_put_hdr(p, tag, len);
    if (len > 0)
        memcpy(p, data, len);
    return p + len;
}

/* [n] EXPLICIT around one TLV. */
static unsigned char *put_explicit(unsigned char *p, int n, unsigned tag,
                                   const void *data, size_t len)
{
    p = tk_der_put_hdr(p, TK_DER_CTX(n), tlv_size(len));
    return put_tlv(p, tag, data, len);
}

/* The minimal positive INTEGER body of a 32-bit handle. */
static size_t handle_integer(uint32_t h, unsigned char out[5])
{
    unsigned char be[5] = { 0, (unsigned char)(h >> 24),
                            (unsigned char)(h >> 16), (unsigned char)(h >> 8),
                            (unsigned char)h };
    size_t skip = 0;

    while (skip < 4 && be[skip] == 0 && (be[skip + 1] & 0x80) == 0)
        skip++;
    memcpy(out, be + skip, 5 - skip);
    return 5 - skip;
}

/* The body of one TPMPolicy SEQUENCE. */
static size_t policy_body_size(const tk_keyfile_policy *step)
{
    unsigned char code[5];

    return tlv_size(tlv_size(handle_integer(step->code, code)))
           + tlv_size(tlv_size(step->len));
}

static size_t steps_size(const tk_keyfile_policy *steps, size_t count)
{
    size_t n = 0;

    for (size_t i = 0; i < count; i++)
        n += tlv_size(policy_body_size(&steps[i]));
    return n;
}

static size_t policy_list_size(const tk_keyfile *kf)
{
    return steps_size(kf->policy, kf->policy_count);
}

static unsigned char *put_steps(unsigned char *p,
                                const tk_keyfile_policy *steps, size_t count)
{
    unsigned char code[5];
    size_t code_len;

    p = tk_der_put_hdr(p, TK_DER_SEQUENCE, steps_size(steps, count));
    for (size_t i = 0; i < count; i++) {
        p = tk_der_put_hdr(p, TK_DER_SEQUENCE, policy_body_size(&steps[i]));
        code_len = handle_integer(steps[i].code, code);
        p = put_explicit(p, 0, TK_DER_INTEGER, code, code_len);
        p = put_explicit(p, 1, TK_DER_OCTET_STRING, steps[i].params,
                         steps[i].len);
    }
    return p;
}

static unsigned char *put_policy(unsigned char *p, const tk_keyfile *kf)
{
    p = tk_der_put_hdr(p, TK_DER_CTX(1), tlv_size(policy_list_size(kf)));
    return put_steps(p, kf->policy, kf->policy_count);
}

/* The body of one TPMAuthPolicy SEQUENCE. */
static size_t auth_entry_size(const tk_keyfile_auth_policy *ap)
{
    size_t n = tlv_size(tlv_size(steps_size(ap->steps, ap->count)));

    if (ap->name != NULL)
        n += tlv_size(tlv_size(strlen(ap->name)));
    return n;
}

static size_t auth_list_size(const tk_keyfile *kf)
{
    size_t n = 0;

    for (size_t i = 0; i < kf->auth_policy_count; i++)
        n += tlv_size(auth_entry_size(&kf->auth_policy[i]));
    return n;
}

static unsigned char *put_auth_policy(unsigned char *p, const tk_keyfile *kf)
{
    p = tk_der_put_hdr(p, TK_DER_CTX(3), tlv_size(auth_list_size(kf)));
    p = tk_der_put_hdr(p, TK_DER_SEQUENCE, auth_list_size(kf));
    for (size_t i = 0; i < kf->auth_policy_count; i++) {
        const tk_keyfile_auth_policy *ap = &kf->auth_policy[i];

        p = tk_der_put_hdr(p, TK_DER_SEQUENCE, auth_entry_size(ap));
        if (ap->name != NULL)
            p = put_explicit(p, 0, TK_DER_UTF8STRING, ap->name,
                             strlen(ap->name));
        p = tk_der_put_hdr(p, TK_DER_CTX(1),
                           tlv_size(steps_size(ap->steps, ap->count)));
        p = put_steps(p, ap->steps, ap->count);
    }
    return p;
}

int tk_keyfile_encode(const tk_keyfile *kf, unsigned char **der, size_t *len)
{
    const unsigned char bool_value = kf->empty_auth == 1 ? 0xff : 0x00;
    const unsigned char rsa_value = kf->rsa_parent == 1 ? 0xff : 0x00;
    unsigned char parent_int[5], *buf, *p;
    size_t parent_len, desc_len = 0, body, total;
    const unsigned char *oid = kf->importable ? oid_importable
                               : kf->sealed   ? oid_sealed
                                              : oid_loadable;

    *der = NULL;
    *len = 0;
    if (kf->pub == NULL || kf->pub_len == 0 || kf->pub_len > TK_KEYFILE_MAX_BLOB
        || kf->priv == NULL || kf->priv_len == 0
        || kf->priv_len > TK_KEYFILE_MAX_BLOB
        || kf->secret_len > TK_KEYFILE_MAX_BLOB
        || (kf->importable && kf->secret == NULL)) {
        tk_raise(TK_R_BAD_KEY,
                 "cannot write a key file without valid key blobs");
        return 0;
    }
    if (kf->importable && kf->sealed) {
        tk_raise(TK_R_BAD_KEY, "a key file is importable or sealed data,"
                               " not both");
        return 0;
    }
    if (!parent_handle_ok(kf->parent)) {
        tk_raise(TK_R_BAD_KEY, "cannot write a key file with parent 0x%08x",
                 kf->parent);
        return 0;
    }
    if (kf->auth_policy_count > TK_KEYFILE_MAX_AUTH_POLICY) {
        tk_raise(TK_R_BAD_KEY, "a key file holds at most %d signed policies",
                 TK_KEYFILE_MAX_AUTH_POLICY);
        return 0;
    }
    for (size_t i = 0; i < kf->auth_policy_count; i++) {
        const char *name = kf->auth_policy[i].name;

        if (kf->auth_policy[i].count == 0
            || kf->auth_policy[i].count > TK_KEYFILE_MAX_POLICY
            || (name != NULL
                && (strlen(name) > TK_KEYFILE_MAX_DESCRIPTION
                    || !utf8_valid((const unsigned char *)name,
                                   strlen(name))))) {
            tk_raise(TK_R_BAD_KEY,
                     "signed policy %zu: 1 to %d steps and a UTF-8"
                     " name of at most %d bytes",
                     i + 1, TK_KEYFILE_MAX_POLICY, TK_KEYFILE_MAX_DESCRIPTION);
            return 0;
        }
    }
    if (kf->description != NULL) {
        desc_len = strlen(kf->description);
        if (desc_len > TK_KEYFILE_MAX_DESCRIPTION
            || !utf8_valid((const unsigned char *)kf->description, desc_len)) {
            tk_raise(TK_R_BAD_KEY,
                     "key description must be UTF-8 of at most"
                     " %d bytes",
                     TK_KEYFILE_MAX_DESCRIPTION);
            return 0;
        }
    }
    parent_len = handle_integer(kf->parent, parent_int);

    body = tlv_size(sizeof(oid_loadable));
    if (kf->empty_auth != -1)
        body += tlv_size(tlv_size(1));
    if (kf->policy_count > 0)
        body += tlv_size(tlv_size(policy_list_size(kf)));
    if (kf->secret != NULL && kf->secret_len > 0)
        body += tlv_size(tlv_size(kf->secret_len));
    if (kf->auth_policy_count > 0)
        body += tlv_size(tlv_size(auth_list_size(kf)));
    if (desc_len > 0)
        body += tlv_size(tlv_size(desc_len));
    if (kf->rsa_parent != 0)
        body += tlv_size(tlv_size(1));
    body += tlv_size(parent_len) + tlv_size(kf->pub_len)
            + tlv_size(kf->priv_len);
    total = tlv_size(body);

    if ((buf = OPENSSL_malloc(total)) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key file");
        return 0;
    }
    p = tk_der_put_hdr(buf, TK_DER_SEQUENCE, body);
    p = put_tlv(p, TK_DER_OID, oid, sizeof(oid_loadable));
    if (kf->empty_auth != -1)
        p = put_explicit(p, 0, TK_DER_BOOLEAN, &bool_value, 1);
    if (kf->policy_count > 0)
        p = put_policy(p, kf);
    if (kf->secret != NULL && kf->secret_len > 0)
        p = put_explicit(p, 2, TK_DER_OCTET_STRING, kf->secret, kf->secret_len);
    if (kf->auth_policy_count > 0)
        p = put_auth_policy(p, kf);
    if (desc_len > 0)
        p = put_explicit(p, 4, TK_DER_UTF8STRING, kf->description, desc_len);
    if (kf->rsa_parent != 0)
        p = put_explicit(p, 5, TK_DER_BOOLEAN, &rsa_value, 1);
    p = put_tlv(p, TK_DER_INTEGER, parent_int, parent_len);
    p = put_tlv(p, TK_DER_OCTET_STRING, kf->pub, kf->pub_len);
    p = put_tlv(p, TK_DER_OCTET_STRING, kf->priv, kf->priv_len);
    if ((size_t)(p - buf) != total) {
        OPENSSL_free(buf);
        tk_raise(TK_R_INTERNAL, "key file encoding size mismatch");
        return 0;
    }
    *der = buf;
    *len = total;
    return 1;
}

void tk_keyfile_clear(tk_keyfile *kf)
{
    if (kf == NULL)
        return;
    OPENSSL_free(kf->description);
    OPENSSL_free(kf->pub);
    /* The private blob is wrapped by the TPM, but there is no reason to
     * leave copies of it around either. */
    OPENSSL_clear_free(kf->priv, kf->priv_len);
    OPENSSL_clear_free(kf->secret, kf->secret_len);
    for (size_t i = 0; i < kf->policy_count; i++)
        OPENSSL_free(kf->policy[i].params);
    OPENSSL_free(kf->policy);
    for (size_t i = 0; i < kf->auth_policy_count; i++) {
        tk_keyfile_auth_policy *ap = &kf->auth_policy[i];

        OPENSSL_free(ap->name);
        for (size_t j = 0; j < ap->count; j++)
            OPENSSL_free(ap->steps[j].params);
        OPENSSL_free(ap->steps);
    }
    OPENSSL_free(kf->auth_policy);
    memset(kf, 0, sizeof(*kf));
}

uint32_t tk_keyfile_tpm_parent(const tk_keyfile *kf)
{
    if (kf->parent == TK_TPM_PARENT_PRIMARY && kf->rsa_parent == 1)
        return TK_TPM_PARENT_RSA_PRIMARY;
    return kf->parent;
}

void tk_keyfile_set_tpm_parent(tk_keyfile *kf, uint32_t parent)
{
    if (parent == TK_TPM_PARENT_RSA_PRIMARY) {
        kf->parent = TK_TPM_PARENT_PRIMARY;
        kf->rsa_parent = 1;
        return;
    }
    kf->parent = parent != 0 ? parent : TK_TPM_PARENT_PRIMARY;
    if (kf->rsa_parent == 1)
        kf->rsa_parent = 0;
}

int tk_keyfile_description_ok(const char *text)
{
    size_t len = strlen(text);

    return len <= TK_KEYFILE_MAX_DESCRIPTION
           && utf8_valid((const unsigned char *)text, len);
}
