/* SPDX-License-Identifier: Apache-2.0 */
/* A hint for a TCTI that cannot be opened: so far, a device node that is
 * not there (no TPM, no driver, or the wrong path), which tss2 reports
 * only as "IO failure". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tcti_hint.h"

#define HOW_TO_NAME_ONE                                                        \
    "set TPMKIT_TCTI or tcti = in openssl.cnf, e.g."                           \
    " swtpm:host=127.0.0.1,port=2321"

static int skip(const char **s, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(*s, prefix, n) != 0)
        return 0;
    *s += n;
    return 1;
}

/* The device TCTI's configuration (its device path, "" for tss2's
 * defaults), or NULL if `conf` names another TCTI. */
static const char *device_conf(const char *conf)
{
    while (skip(&conf, "pcap:"))
        ;
    skip(&conf, "libtss2-");
    skip(&conf, "tcti-");
    if (!skip(&conf, "device"))
        return NULL;
    /* A library file name: "device.so", "device.so.0". */
    if (skip(&conf, ".so"))
        conf += strcspn(conf, ":");
    if (*conf == '\0')
        return conf;
    return *conf == ':' ? conf + 1 : NULL;
}

static int missing(const char *path)
{
    struct stat st;

    return stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

const char *tk_tcti_hint(const char *tcti_conf, char *buf, size_t len)
{
    const char *path;

    if (tcti_conf == NULL || buf == NULL || len == 0
        || (path = device_conf(tcti_conf)) == NULL)
        return NULL;
    if (*path == '\0') {
        /* tss2 tries the resource manager's node, then the raw one. */
        if (!missing("/dev/tpmrm0") || !missing("/dev/tpm0"))
            return NULL;
        snprintf(buf, len,
                 "connect (no TPM device at /dev/tpmrm0 or /dev/tpm0;"
                 " " HOW_TO_NAME_ONE ")");
        return buf;
    }
    if (!missing(path))
        return NULL;
    snprintf(buf, len, "connect (no TPM device at %s; " HOW_TO_NAME_ONE ")",
             path);
    return buf;
}
