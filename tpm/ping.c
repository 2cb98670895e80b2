/* SPDX-License-Identifier: Apache-2.0 */
/* "Does the TPM answer?": used by the provider self-test and status. */
#include <stdio.h>
#include <string.h>

#include "run.h"
#include "state.h"
#include "../provider/errors.h"

struct ping_request {
    char *desc;
    size_t desc_len;
};

static UINT32 property(const TPMS_CAPABILITY_DATA *caps, TPM2_PT which)
{
    const TPML_TAGGED_TPM_PROPERTY *props = &caps->data.tpmProperties;

    for (UINT32 i = 0; i < props->count; i++)
        if (props->tpmProperty[i].property == which)
            return props->tpmProperty[i].value;
    return 0;
}

static void vendor_text(UINT32 value, char out[5])
{
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(value >> (24 - 8 * i));
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
    }
    out[4] = '\0';
}

static TSS2_RC ping(tk_tpm *tpm, void *arg)
{
    struct ping_request *req = arg;
    TPMS_CAPABILITY_DATA *caps = NULL;
    char vendor[5];
    TSS2_RC rc;

    rc = Esys_GetCapability(tpm->conn.esys, ESYS_TR_NONE, ESYS_TR_NONE,
                            ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                            TPM2_PT_MANUFACTURER, 16, NULL, &caps);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_GetCapability");
    vendor_text(property(caps, TPM2_PT_MANUFACTURER), vendor);
    if (req->desc != NULL && req->desc_len > 0)
        snprintf(req->desc, req->desc_len,
                 "manufacturer \"%s\", firmware %08x.%08x", vendor,
                 property(caps, TPM2_PT_FIRMWARE_VERSION_1),
                 property(caps, TPM2_PT_FIRMWARE_VERSION_2));
    Esys_Free(caps);
    return TSS2_RC_SUCCESS;
}

int tk_tpm_ping(tk_tpm *tpm, char *desc, size_t desc_len)
{
    struct ping_request req = { desc, desc_len };

    return tk_tpm_run(tpm, ping, &req);
}
