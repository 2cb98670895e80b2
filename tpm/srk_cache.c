/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>

#include "srk_cache.h"

static int path_for(const tk_journal *j, TPM2_HANDLE handle, char *out,
                    size_t len)
{
    return j->dir[0] != '\0'
           && snprintf(out, len, "%s/%s.srk-%08x.%u", j->dir, j->key, handle,
                       (unsigned)geteuid())
                  < (int)len;
}

int tk_srk_cache_read(const tk_journal *j, TPM2_HANDLE handle,
                      const TPM2B_NAME *name, TPM2B_PUBLIC *pub)
{
    char path[512];
    uint8_t buf[2048];
    TPM2B_NAME noted = { 0 };
    struct stat st;
    size_t off = 0;
    ssize_t n;
    int fd;

    if (!path_for(j, handle, path, sizeof(path))
        || (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()
        || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        close(fd);
        return 0;
    }
    n = read(fd, buf, sizeof(buf));
    close(fd);
    memset(pub, 0, sizeof(*pub));
    return n > 0
           && Tss2_MU_TPM2B_NAME_Unmarshal(buf, (size_t)n, &off, &noted)
                  == TSS2_RC_SUCCESS
           && Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, (size_t)n, &off, pub)
                  == TSS2_RC_SUCCESS
           && off == (size_t)n && noted.size == name->size
           && memcmp(noted.name, name->name, name->size) == 0;
}

void tk_srk_cache_write(const tk_journal *j, TPM2_HANDLE handle,
                        const TPM2B_NAME *name, const TPM2B_PUBLIC *pub)
{
    char path[512], tmp[540];
    uint8_t buf[2048];
    size_t off = 0;
    int fd, ok;

    if (!path_for(j, handle, path, sizeof(path))
        || Tss2_MU_TPM2B_NAME_Marshal(name, buf, sizeof(buf), &off)
               != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off)
               != TSS2_RC_SUCCESS)
        return;
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0644))
        < 0)
        return;
    ok = write(fd, buf, off) == (ssize_t)off;
    close(fd);
    /* Whole or not at all: another process may be reading it. */
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}
