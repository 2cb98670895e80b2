/* SPDX-License-Identifier: Apache-2.0 */
/* What tpmkit and its relay program (tpmkit-relay) say over their
 * socketpair. Both ends run on the same machine: native byte order.
 *   relay -> tpmkit, once: u32 its pid (before it opens the TCTI, so a
 *                          relay stuck opening it can still be killed),
 *                          then u32 the rc of opening the TCTI
 *   tpmkit -> relay:       u32 length, then the command
 *   relay -> tpmkit:       reply {rc, length}, then the response */
#ifndef TK_TPM_RELAY_WIRE_H
#define TK_TPM_RELAY_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The largest TPM command or response either end accepts. */
#define TK_RELAY_MAX 8192

typedef struct tk_relay_reply {
    uint32_t rc;
    uint32_t len;
} tk_relay_reply;

/* Whole buffers or nothing: 1 on success, 0 on end of stream or error
 * (never SIGPIPE). */
int tk_wire_read(int fd, void *buf, size_t len);
int tk_wire_write(int fd, const void *buf, size_t len);

#endif
