/* SPDX-License-Identifier: Apache-2.0 */
/* The process's open sockets to a socket TCTI's TPM ("swtpm:host=H,port=P",
 * "mssim:port=P", "swtpm:path=F", under "pcap:" too). Other TCTIs have
 * none that tpmkit can find. */
#ifndef TK_TPM_TCTI_FDS_H
#define TK_TPM_TCTI_FDS_H

/* Call fn for each such file descriptor. */
/* Is `conf` a socket TCTI (swtpm, mssim, also under pcap), whose sockets
 * tk_tcti_each_fd finds? */
int tk_tcti_is_socket(const char *conf);
void tk_tcti_each_fd(const char *conf, void (*fn)(int fd));

#endif
