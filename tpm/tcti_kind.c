/* SPDX-License-Identifier: Apache-2.0 */
/* What a TCTI string tells us about the path to the TPM. */
#include <string.h>

#include "tcti_kind.h"

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int tk_tcti_has_resource_manager(const char *conf)
{
    /* The pcap TCTI only records: judge the TCTI it wraps. */
    while (starts_with(conf, "pcap:"))
        conf += strlen("pcap:");
    if (starts_with(conf, "libtss2-tcti-"))
        conf += strlen("libtss2-tcti-");
    return starts_with(conf, "device:/dev/tpmrm")
           || strcmp(conf, "device") == 0 /* tss2's default: tpmrm0 */
           || starts_with(conf, "tabrmd");
}
