/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal, strict DER reader and writer for the key-file codec and the
 * store. Reading never trusts a length: every TLV must fit inside its
 * parent. Only single-byte tags and definite, minimally encoded lengths of
 * up to four bytes are accepted (DER). */
#ifndef TK_DER_H
#define TK_DER_H

#include <stddef.h>

#define TK_DER_BOOLEAN 0x01
#define TK_DER_INTEGER 0x02
#define TK_DER_BIT_STRING 0x03
#define TK_DER_OCTET_STRING 0x04
#define TK_DER_OID 0x06
#define TK_DER_UTF8STRING 0x0c
#define TK_DER_SEQUENCE 0x30
/* [n] EXPLICIT: context-specific, constructed. */
#define TK_DER_CTX(n) (0xa0 | (n))

typedef struct tk_der {
    const unsigned char *p;
    size_t left;
} tk_der;

/* Read the next TLV. On success *tag and *body are set and `d` advances
 * past it; on failure (0) `d` is unchanged and *why says what is wrong. */
int tk_der_next(tk_der *d, unsigned *tag, tk_der *body, const char **why);
/* Only the header: tag and declared length, without requiring the body to
 * be present (used to tell "truncated" from "not DER"). */
int tk_der_header(const tk_der *d, unsigned *tag, size_t *hdr_len,
                  size_t *body_len);
/* The next tag, or -1 at the end. */
int tk_der_peek(const tk_der *d);

/* Bytes a header for a body of `len` bytes takes (tag included). */
size_t tk_der_hdr_size(size_t len);
/* Write a header; returns the position after it. */
unsigned char *tk_der_put_hdr(unsigned char *p, unsigned tag, size_t len);

#endif
