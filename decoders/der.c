/* SPDX-License-Identifier: Apache-2.0 */
#include "der.h"

int tk_der_header(const tk_der *d, unsigned *tag, size_t *hdr_len,
                  size_t *body_len)
{
    size_t n, i, len;

    if (d->left < 2)
        return 0;
    /* High tag numbers never occur in the formats we read. */
    if ((d->p[0] & 0x1f) == 0x1f)
        return 0;
    if (d->p[1] < 0x80) {
        len = d->p[1];
        n = 0;
    } else {
        n = d->p[1] & 0x7f;
        /* 0x80 is BER's indefinite length; over four bytes is absurd here. */
        if (n == 0 || n > 4 || d->left < 2 + n)
            return 0;
        /* DER: no leading zero byte, and the long form only when needed. */
        if (d->p[2] == 0)
            return 0;
        for (len = 0, i = 0; i < n; i++)
            len = (len << 8) | d->p[2 + i];
        if (len < 0x80)
            return 0;
    }
    *tag = d->p[0];
    *hdr_len = 2 + n;
    *body_len = len;
    return 1;
}

int tk_der_next(tk_der *d, unsigned *tag, tk_der *body, const char **why)
{
    size_t hdr, len;

    if (d->left == 0) {
        *why = "missing field";
        return 0;
    }
    if (!tk_der_header(d, tag, &hdr, &len)) {
        *why = "bad DER header";
        return 0;
    }
    if (len > d->left - hdr) {
        *why = "field runs past its end";
        return 0;
    }
    body->p = d->p + hdr;
    body->left = len;
    d->p += hdr + len;
    d->left -= hdr + len;
    return 1;
}

int tk_der_peek(const tk_der *d)
{
    return d->left == 0 ? -1 : d->p[0];
}

size_t tk_der_hdr_size(size_t len)
{
    size_t n = 0;

    if (len < 0x80)
        return 2;
    for (; len > 0; len >>= 8)
        n++;
    return 2 + n;
}

unsigned char *tk_der_put_hdr(unsigned char *p, unsigned tag, size_t len)
{
    size_t n = tk_der_hdr_size(len) - 2, i;

    *p++ = (unsigned char)tag;
    if (n == 0) {
        *p++ = (unsigned char)len;
        return p;
    }
    *p++ = (unsigned char)(0x80 | n);
    for (i = n; i > 0; i--)
        *p++ = (unsigned char)(len >> (8 * (i - 1)));
    return p;
}
