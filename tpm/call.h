/* SPDX-License-Identifier: Apache-2.0 */
/* One TPM command through SYS with tpmkit's session arithmetic. Between
 * Tss2_Sys_<Command>_Prepare and _Complete: name the command's handles and
 * authorizations, then tk_call_run(). */
#ifndef TK_TPM_CALL_H
#define TK_TPM_CALL_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

/* A TPM session whose arithmetic tpmkit does itself (ESYS's costs
 * milliseconds of CPU per command); session.c starts and parks them. */
enum tk_policy_auth {
    TK_POLICY_PLAIN,      /* an HMAC session, or a policy session with
                                 * neither of the two below */
    TK_POLICY_AUTH_VALUE, /* PolicyAuthValue: HMAC with the password */
};
typedef struct tk_sess {
    TPM2_HANDLE handle; /* 0: no session */
    int loaded;         /* in a TPM slot; else context-saved in `saved` */
    TPMS_CONTEXT saved;
    TPM2_SE type;
    TPMI_ALG_HASH hash;
    unsigned char key[64]; /* the session key (empty: unsalted, unbound) */
    size_t key_len;
    TPM2B_NONCE nonce_tpm;
    enum tk_policy_auth policy_auth;
} tk_sess;

/* Not a TPM attribute (a reserved bit, never sent): in the `attrs` of
 * tk_session_auth, tk_key_authorize or tk_session_attrs, it says the
 * command is its operation's last (session.h). */
#define TK_SESSION_LAST ((TPMA_SESSION)0x08)

typedef struct tk_call_auth {
    tk_sess *sess;   /* NULL: a password authorization */
    TPM2B_AUTH auth; /* password of the entity it authorizes */
    TPMA_SESSION attrs;
} tk_call_auth;
typedef struct tk_call {
    int n_handles;
    ESYS_TR trs[3]; /* whose name ESYS knows, unless named[] */
    TPM2_HANDLE handles[3];
    TPM2B_NAME names[3];
    int named[3];
    int n_auths;
    tk_call_auth auths[3];
    tk_sess policy; /* a policy session made for this command */
} tk_call;

void tk_call_init(tk_call *call);
/* Record `tr` as the command's next handle; *out is its TPM handle. */
TSS2_RC tk_call_handle(tk_tpm *tpm, tk_call *call, ESYS_TR tr,
                       TPM2_HANDLE *out);
/* The same for a handle whose name is known. */
void tk_call_handle_named(tk_call *call, TPM2_HANDLE handle,
                          const TPM2B_NAME *name);
/* A hash or HMAC sequence object: its name is empty. */
void tk_call_handle_sequence(tk_call *call, TPM2_HANDLE handle);
/* The next authorization: `sess` (NULL for a password), the password of
 * the entity it authorizes, and DECRYPT/ENCRYPT for parameter encryption. */
void tk_call_auth_add(tk_call *call, tk_sess *sess, const TPM2B_AUTH *auth,
                      TPMA_SESSION attrs);
TSS2_RC tk_call_run(tk_tpm *tpm, tk_call *call, TPM2_CC cc);

#endif
