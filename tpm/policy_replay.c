/* SPDX-License-Identifier: Apache-2.0 */
/* One policy step in a policy session (policy_replay.h). */
#include <string.h>
#include <openssl/err.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_tcti.h>

#include "policy_nv.h"
#include "policy_replay.h"
#include "policy_secret.h"
#include "policy_signed.h"
#include "rc.h"
#include "session_crypto.h"
#include "state.h"
#include "../provider/errors.h"

/* One policy command without sessions, straight through the TCTI. */
#define RAW_MAX 4096
static TSS2_RC replay_raw(tk_tpm *tpm, TPM2_HANDLE session, uint32_t code,
                          const unsigned char *params, size_t len)
{
    unsigned char cmd[RAW_MAX], resp[RAW_MAX];
    size_t size = 14 + len, resp_size = sizeof(resp);
    TSS2_RC rc;

    if (size > sizeof(cmd))
        return TSS2_ESYS_RC_BAD_VALUE;
    tk_put_be(cmd, TPM2_ST_NO_SESSIONS, 2);
    tk_put_be(cmd + 2, (uint32_t)size, 4);
    tk_put_be(cmd + 6, code, 4);
    tk_put_be(cmd + 10, session, 4);
    if (len > 0)
        memcpy(cmd + 14, params, len);
    rc = Tss2_Tcti_Transmit(tpm->conn.tcti, size, cmd);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Tcti_Receive(tpm->conn.tcti, &resp_size, resp,
                               TSS2_TCTI_TIMEOUT_BLOCK);
    if (rc == TSS2_RC_SUCCESS && resp_size < 10)
        rc = TSS2_ESYS_RC_MALFORMED_RESPONSE;
    if (rc == TSS2_RC_SUCCESS)
        rc = (TSS2_RC)resp[6] << 24 | (TSS2_RC)resp[7] << 16
             | (TSS2_RC)resp[8] << 8 | resp[9];
    return rc;
}

/* Bytes of the TPML_PCR_SELECTION at p, or 0 if it is not one. */
static size_t pcr_selection_len(const unsigned char *p, size_t len)
{
    size_t off = 4;
    uint32_t count;

    if (len < 4)
        return 0;
    count = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8
            | p[3];
    if (count > TPM2_NUM_PCR_BANKS)
        return 0;
    for (uint32_t i = 0; i < count; i++) {
        if (len - off < 3 || p[off + 2] > TPM2_PCR_SELECT_MAX
            || len - off - 3 < p[off + 2])
            return 0;
        off += 3 + p[off + 2];
    }
    return off;
}

/* PolicyPCR parameters are pcrDigest (TPM2B) then the selection, in the
 * command's order. openssl_tpm2_engine writes the selection first and the
 * bare digest after it: such a step is put back in command order, so that
 * its key files work too. 0 if the step is neither. */
static int pcr_params(const tk_tpm_policy_step *step, unsigned char *out,
                      size_t *out_len)
{
    const unsigned char *p = step->params;
    size_t len = step->len, dlen, sel;

    if (len >= 2 && (dlen = (size_t)p[0] << 8 | p[1]) <= len - 2
        && (sel = pcr_selection_len(p + 2 + dlen, len - 2 - dlen)) > 0
        && 2 + dlen + sel == len) {
        memcpy(out, p, len);
        *out_len = len;
        return 1;
    }
    if ((sel = pcr_selection_len(p, len)) > 0 && len - sel <= 64) {
        tk_put_be(out, (uint32_t)(len - sel), 2);
        memcpy(out + 2, p + sel, len - sel);
        memcpy(out + 2 + len - sel, p, sel);
        *out_len = len + 2;
        return 1;
    }
    return 0;
}

TSS2_RC tk_policy_replay_step(tk_tpm *tpm, tk_sess *policy,
                              const tk_tpm_policy_step *step,
                              const TPM2B_AUTH *auth)
{
    if (step->code == TPM2_CC_PolicySecret) {
        tk_policy_secret s;

        /* Checked when the key was loaded: a failure here is internal. */
        if (!tk_policy_secret_parse(step, &s))
            return TSS2_ESYS_RC_BAD_VALUE;
        return tk_policy_secret_run(tpm, policy, &s, auth);
    }
    if (step->code == TPM2_CC_PolicyNV) {
        tk_policy_nv nv;

        if (!tk_policy_nv_parse(step, &nv))
            return TSS2_ESYS_RC_BAD_VALUE;
        return tk_policy_nv_run(tpm, policy, &nv);
    }
    if (step->code == TPM2_CC_PolicySigned) {
        tk_policy_signed sig;

        if (!tk_policy_signed_parse(step, &sig))
            return TSS2_ESYS_RC_BAD_VALUE;
        return tk_policy_signed_run(tpm, policy, &sig);
    }
    if (step->code == TPM2_CC_PolicyPCR) {
        unsigned char params[RAW_MAX];
        size_t len = 0;

        if (step->len + 2 > sizeof(params) || !pcr_params(step, params, &len))
            return TSS2_ESYS_RC_BAD_VALUE;
        return replay_raw(tpm, policy->handle, step->code, params, len);
    }
    if (step->code == TPM2_CC_PolicyAuthValue
        || step->code == TPM2_CC_PolicyPassword) {
        policy->policy_auth = TK_POLICY_AUTH_VALUE;
        return Tss2_Sys_PolicyAuthValue(tpm->conn.sys, policy->handle, NULL,
                                        NULL);
    }
    if (step->code == TPM2_CC_PolicyAuthorize)
        return TSS2_ESYS_RC_BAD_VALUE;
    return replay_raw(tpm, policy->handle, step->code, step->params, step->len);
}

TSS2_RC tk_policy_restart(tk_tpm *tpm, tk_sess *policy)
{
    policy->policy_auth = TK_POLICY_PLAIN;
    return Tss2_Sys_PolicyRestart(tpm->conn.sys, policy->handle, NULL, NULL);
}

/* PolicySecret: which object, and whether it refused the password. */
static TSS2_RC secret_fail(tk_tpm *tpm, TSS2_RC rc,
                           const tk_tpm_policy_step *step)
{
    tk_policy_secret s;
    char buf[48];
    const char *what;

    ERR_set_mark();
    what = tk_policy_secret_parse(step, &s)
               ? tk_policy_secret_what(s.handle, buf, sizeof(buf))
               : "its object";
    ERR_pop_to_mark();
    if (tk_rc_is_auth_failure(rc))
        return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                        "TPM2_PolicySecret with %s: wrong password (the"
                        " key's policy needs the password of %s: give it as"
                        " the key's password, e.g. -passin)",
                        what, what);
    return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                    "replaying the key's policy (TPM2_PolicySecret with %s)",
                    what);
}

/* PolicyNV: the index's contents no longer satisfy the comparison
 * (TPM_RC_POLICY), or the index refused to be read. */
static TSS2_RC nv_fail(tk_tpm *tpm, TSS2_RC rc, const tk_tpm_policy_step *step)
{
    tk_policy_nv nv;
    unsigned index = 0;

    ERR_set_mark();
    if (tk_policy_nv_parse(step, &nv))
        index = (unsigned)nv.index;
    ERR_pop_to_mark();
    if (tk_rc_base(rc) == TPM2_RC_POLICY)
        return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                        "TPM2_PolicyNV: the contents of NV index 0x%08x do"
                        " not satisfy the key's policy (the index was"
                        " written since the key was made?)",
                        index);
    if (tk_rc_is_auth_failure(rc))
        return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                        "TPM2_PolicyNV with NV index 0x%08x: the index"
                        " refused tpmkit's authorization (tpmkit reads it"
                        " with its own empty password: it needs AUTHREAD)",
                        index);
    return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                    "replaying the key's policy (TPM2_PolicyNV with NV index"
                    " 0x%08x)",
                    index);
}

/* PolicySigned: the stored signature does not verify with the stored
 * signer (TPM_RC_SIGNATURE), or the signer cannot be loaded. The policy
 * digest not matching is the command's failure, reported by the caller. */
static TSS2_RC signed_fail(tk_tpm *tpm, TSS2_RC rc)
{
    TSS2_RC base = tk_rc_base(rc);

    if (base == TPM2_RC_SIGNATURE)
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "TPM2_PolicySigned: the signature in the key file does"
                       " not verify with its signer key (the signer signed"
                       " another policyRef, or the file was altered)");
    if (base == TPM2_RC_SCHEME || base == TPM2_RC_HASH || base == TPM2_RC_KEY
        || base == TPM2_RC_ATTRIBUTES || base == TPM2_RC_TYPE)
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "TPM2_PolicySigned: the key file's signer key or"
                       " signature is of a kind this TPM refuses");
    return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                   "replaying the key's policy (TPM2_PolicySigned: loading"
                   " its signer key, or the command)");
}

TSS2_RC tk_policy_step_fail(tk_tpm *tpm, TSS2_RC rc,
                            const tk_tpm_policy_step *step)
{
    TSS2_RC base = tk_rc_base(rc);

    /* A PolicyPCR step carrying a pcrDigest fails with TPM_RC_VALUE when
     * the PCRs hold other values than the ones the key is bound to. */
    if (step->code == TPM2_CC_PolicyPCR && base == TPM2_RC_VALUE)
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "TPM2_PolicyPCR: the PCR values differ from those the"
                       " key's policy is bound to (PCRs changed since the key"
                       " was made?)");
    if (step->code == TPM2_CC_PolicyPCR)
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "replaying the key's policy (TPM2_PolicyPCR)");
    if (step->code == TPM2_CC_PolicySecret)
        return secret_fail(tpm, rc, step);
    if (step->code == TPM2_CC_PolicyNV)
        return nv_fail(tpm, rc, step);
    if (step->code == TPM2_CC_PolicySigned)
        return signed_fail(tpm, rc);
    return tk_failf(tpm, rc, TK_R_AUTH_FAILED,
                    "replaying the key's policy (TPM command 0x%x)",
                    (unsigned)step->code);
}
