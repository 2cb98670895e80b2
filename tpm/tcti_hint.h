/* SPDX-License-Identifier: Apache-2.0 */
/* What to tell the user when the TCTI cannot even be opened. */
#ifndef TK_TPM_TCTI_HINT_H
#define TK_TPM_TCTI_HINT_H

#include <stddef.h>

/* For a device TCTI ("device:PATH", "device" for tss2's defaults, also
 * behind "pcap:" or as "libtss2-tcti-device.so.0:PATH") whose device node
 * does not exist: writes into `buf` the step to report instead of a bare
 * "connect", naming the missing node and how to name another TPM, e.g.
 *   connect (no TPM device at /dev/tpmrm0; set TPMKIT_TCTI or tcti = in
 *   openssl.cnf, e.g. swtpm:host=127.0.0.1,port=2321)
 * and returns `buf`. NULL for any other TCTI, or when the node exists.
 * Looks at the file system only. */
const char *tk_tcti_hint(const char *tcti_conf, char *buf, size_t len);

#endif
