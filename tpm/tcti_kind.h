/* SPDX-License-Identifier: Apache-2.0 */
/* Does a TCTI string reach the TPM through a resource manager (which
 * virtualises slots, so nothing needs parking)? */
#ifndef TK_TPM_TCTI_KIND_H
#define TK_TPM_TCTI_KIND_H

int tk_tcti_has_resource_manager(const char *conf);

#endif
