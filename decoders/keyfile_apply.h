/* SPDX-License-Identifier: Apache-2.0 */
/* A key file's policies onto the TPM object made from its blobs: the
 * policy field's steps and the signed policies (authPolicy), so that every
 * use replays them (tpm/authorize.c). Shared by the module's decoder and
 * tpmkit-key unseal: keys and sealed-data files are used alike. */
#ifndef TK_KEYFILE_APPLY_H
#define TK_KEYFILE_APPLY_H

#include "keyfile.h"
#include "../tpm/key.h"

/* 1 on success (also when the file has no policy); copies what it sets. */
int tk_keyfile_apply_policies(const tk_keyfile *kf, tk_tpm_key *key);

#endif
