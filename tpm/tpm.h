/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM access layer: the only part of tpmkit that talks to ESYS.
 *
 * A tk_tpm is a process-wide, reference-counted handle on one TPM (one TCTI
 * configuration). The connection is opened lazily on first use, shared by
 * all threads under one lock, reopened in a forked child, and rebuilt when
 * the TPM was reset or restarted underneath us. Every failing call raises an
 * OpenSSL error naming the TCTI and the decoded TPM return code. */
#ifndef TK_TPM_H
#define TK_TPM_H

#include <stddef.h>

typedef struct tk_tpm tk_tpm;

/* The TCTI used when neither TPMKIT_TCTI nor the config names one. */
#define TK_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"

/* Most bytes TPM2_GetRandom returns per command (TPM2_PT_MAX_DIGEST). */
#define TK_TPM_RANDOM_CHUNK 64

/* Find or create the shared handle for this TCTI string. `encrypt` selects
 * salted, parameter-encrypting sessions for commands that carry secrets;
 * `identity` (tpm-identity: "none", "name:HEX", "srk-pem:PATH"; NULL is
 * "none") what the storage primary must match before anything is salted
 * to it.
 * Does not touch the TPM. NULL on allocation failure. */
tk_tpm *tk_tpm_acquire(const char *tcti, int encrypt, const char *identity);

/* Where TPM2_Create, CreatePrimary and the rest may take longest. */
enum { TK_CMD_QUICK, TK_CMD_CRYPTO, TK_CMD_CREATE, TK_CMD_CLASSES };

/* The persistent handle systemd and the TCG provisioning guidance use for
 * the storage primary. */
#define TK_TPM_SRK_HANDLE 0x81000001u

typedef struct tk_tpm_settings {
    const char *tcti;
    int encrypt;
    const char *identity;
    /* A persistent handle to use as the storage primary when it holds
     * exactly the standard one (checked); 0: create it every connection. */
    unsigned int storage_primary;
    /* Seconds one TPM command of each class may take (TK_CMD_*). */
    int timeouts[TK_CMD_CLASSES];
} tk_tpm_settings;

/* The defaults: the persisted primary at TK_TPM_SRK_HANDLE if it matches,
 * and 5 s / 30 s / 300 s per command. */
void tk_tpm_settings_default(tk_tpm_settings *s);
/* tk_tpm_acquire with every setting given. */
tk_tpm *tk_tpm_acquire_with(const tk_tpm_settings *s);
/* Drop a reference; the last one flushes everything tpmkit created in the
 * TPM and closes the connection. */
void tk_tpm_release(tk_tpm *tpm);

const char *tk_tpm_tcti(const tk_tpm *tpm);
int tk_tpm_encrypting(const tk_tpm *tpm);

/* Fill `out` with `len` bytes from TPM2_GetRandom, in as few commands as the
 * TPM allows, over an encrypted session when enabled. 1 on success. */
int tk_tpm_random(tk_tpm *tpm, unsigned char *out, size_t len);

/* Check that the TPM answers (connects if needed). Writes a one-line
 * description of the TPM (manufacturer, firmware) into `desc`. 1 on success. */
int tk_tpm_ping(tk_tpm *tpm, char *desc, size_t desc_len);

/* What tpm-identity is in force, and whether it was verified, as one line
 * for the provider parameter. */
void tk_tpm_identity_describe(tk_tpm *tpm, char *out, size_t out_len);

/* Create the storage primary now and write the tpm-identity value that
 * pins it ("name:HEX"), whatever is configured. 1 on success. */
int tk_tpm_pin(tk_tpm *tpm, char *out, size_t out_len);

/* The text of the last failure this handle reported ("" if none). */
void tk_tpm_last_error(tk_tpm *tpm, char *out, size_t out_len);

#endif
