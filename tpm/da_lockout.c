/* SPDX-License-Identifier: Apache-2.0 */
/* Dictionary-attack lockout: the TPM counts failed authorizations of
 * DA-protected objects (keys with a password, made without noda); at
 * maxTries it refuses them all with TPM_RC_LOCKOUT, and forgets one
 * failure every lockoutInterval seconds. */
#include <stdio.h>
#include <tss2/tss2_esys.h>

#include "da_lockout.h"
#include "state.h"

static void duration(UINT64 seconds, char *out, size_t out_len)
{
    if (seconds < 120)
        snprintf(out, out_len, "%llu s", (unsigned long long)seconds);
    else if (seconds < 2 * 3600)
        snprintf(out, out_len, "%llu s (about %llu min)",
                 (unsigned long long)seconds,
                 (unsigned long long)(seconds + 59) / 60);
    else
        snprintf(out, out_len, "%llu s (about %llu h)",
                 (unsigned long long)seconds,
                 (unsigned long long)(seconds + 1799) / 3600);
}

void tk_da_lockout_text(UINT32 counter, UINT32 max_tries, UINT32 interval,
                        char *out, size_t out_len)
{
    char wait[64];

    if (interval == 0) {
        snprintf(out, out_len,
                 "%u failed authorization(s) counted, %u allowed; with a"
                 " lockout interval of 0 it never recovers by itself",
                 counter, max_tries);
        return;
    }
    /* Out of lockout once fewer than max_tries failures are counted. */
    duration((UINT64)(counter >= max_tries ? counter - max_tries + 1 : 1)
                 * interval,
             wait, sizeof(wait));
    snprintf(out, out_len,
             "%u failed authorization(s) counted, %u allowed; keys with a"
             " password work again in at most %s (the TPM forgets one"
             " failure every %u s)",
             counter, max_tries, wait, interval);
}

static UINT32 property(const TPMS_CAPABILITY_DATA *caps, TPM2_PT which,
                       int *found)
{
    const TPML_TAGGED_TPM_PROPERTY *props = &caps->data.tpmProperties;

    for (UINT32 i = 0; i < props->count; i++)
        if (props->tpmProperty[i].property == which) {
            (*found)++;
            return props->tpmProperty[i].value;
        }
    return 0;
}

TSS2_RC tk_da_lockout_fail(tk_tpm *tpm, TSS2_RC rc, int reason,
                           const char *doing)
{
    TPMS_CAPABILITY_DATA *caps = NULL;
    UINT32 counter = 0, max_tries = 0, interval = 0;
    char state[256];
    int found = 0;

    /* The three counters are consecutive TPM properties. */
    if (Esys_GetCapability(tpm->conn.esys, ESYS_TR_NONE, ESYS_TR_NONE,
                           ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                           TPM2_PT_LOCKOUT_COUNTER, 3, NULL, &caps)
            == TSS2_RC_SUCCESS
        && caps != NULL) {
        counter = property(caps, TPM2_PT_LOCKOUT_COUNTER, &found);
        max_tries = property(caps, TPM2_PT_MAX_AUTH_FAIL, &found);
        interval = property(caps, TPM2_PT_LOCKOUT_INTERVAL, &found);
    }
    Esys_Free(caps);
    if (found == 3)
        tk_da_lockout_text(counter, max_tries, interval, state, sizeof(state));
    else
        snprintf(state, sizeof(state),
                 "too many wrong passwords; it recovers by itself after its"
                 " lockout interval");
    return tk_failf(tpm, rc, reason,
                    "%s (the TPM is in dictionary-attack lockout: %s; to end"
                    " it now, run tpm2_dictionarylockout -c, with -p <lockout"
                    " password> if one is set)",
                    doing, state);
}
