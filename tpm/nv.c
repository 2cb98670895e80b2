/* SPDX-License-Identifier: Apache-2.0 */
/* Reading NV indices, e.g. the EK certificate at 0x01c00002. */
#include <string.h>
#include <openssl/crypto.h>

#include "nvread.h"
#include "run.h"
#include "state.h"
#include "../provider/errors.h"

struct nv_request {
    uint32_t index;
    unsigned char *data;
    size_t len;
};

static TSS2_RC nv_read(tk_tpm *tpm, void *arg)
{
    struct nv_request *req = arg;

    return tk_nv_read(tpm, req->index, &req->data, &req->len);
}

int tk_tpm_nv_read(tk_tpm *tpm, uint32_t index, unsigned char **data,
                   size_t *len)
{
    struct nv_request req = { index, NULL, 0 };

    if ((index >> 24) != TPM2_HT_NV_INDEX) {
        tk_raise(TK_R_BAD_REQUEST, "0x%08x is not an NV index (0x01xxxxxx)",
                 index);
        return 0;
    }
    if (!tk_tpm_run(tpm, nv_read, &req)) {
        OPENSSL_free(req.data);
        return 0;
    }
    *data = req.data;
    *len = req.len;
    return 1;
}
