/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "nullkey.h"
#include "primary.h"
#include "state.h"
#include "../provider/errors.h"

/* tpmN of a device TCTI ("device:/dev/tpmrm1" -> 1); 0 for the others:
 * "kernel" means the machine's own TPM. */
static int device_number(const char *conf)
{
    const char *p = strstr(conf, "/dev/tpm");

    if (p == NULL)
        return 0;
    p += strlen("/dev/tpm");
    if (strncmp(p, "rm", 2) == 0)
        p += 2;
    return atoi(p);
}

/* The name the kernel publishes (hex), into *name; 0 if it has none. */
static int kernel_null_name(tk_tpm *tpm, TPM2B_NAME *name, char *path,
                            size_t path_len)
{
    const char *sysfs = getenv("TPMKIT_SYSFS");
    char text[2 * sizeof(name->name) + 4];
    size_t len = 0;
    FILE *f;

    /* TPMKIT_SYSFS: where sysfs is mounted, when not at /sys. */
    snprintf(path, path_len, "%s/class/tpm/tpm%d/null_name",
             sysfs != NULL && *sysfs != '\0' ? sysfs : "/sys",
             device_number(tpm->tcti_conf));
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fgets(text, sizeof(text), f) != NULL)
        len = strcspn(text, "\r\n");
    fclose(f);
    return tk_identity_hex_name(text, len, name);
}

TSS2_RC tk_nullkey_get(tk_tpm *tpm, ESYS_TR *handle, TPMS_ECC_POINT *point)
{
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_NAME expected, name;
    char path[512];
    TSS2_RC rc;

    tpm->identity.verified = 0;
    if (!kernel_null_name(tpm, &expected, path, sizeof(path))) {
        tk_debug("no usable %s", path);
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                       "reading the kernel's null key name (tpm-identity"
                       " kernel needs /sys/class/tpm/tpmN/null_name: Linux"
                       " 6.10 or later built with TCG_TPM2_HMAC)");
    }
    rc = tk_primary_create_in(tpm, ESYS_TR_RH_NULL, handle, &pub);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                       "TPM2_CreatePrimary of the null key");
    if (!tk_object_name(&tpm->conn.crypto, pub, &name)
        || name.size != expected.size
        || memcmp(name.name, expected.name, name.size) != 0) {
        Esys_Free(pub);
        Esys_FlushContext(tpm->conn.esys, *handle);
        *handle = ESYS_TR_NONE;
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                       "checking the null key against the kernel's null_name"
                       " (another key answered)");
    }
    *point = pub->publicArea.unique.ecc;
    Esys_Free(pub);
    tpm->identity.verified = 1;
    return TSS2_RC_SUCCESS;
}
