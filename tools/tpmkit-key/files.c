/* SPDX-License-Identifier: Apache-2.0 */
/* Files: secrets in and out, key files in and out, parent handles, and
 * the program's OpenSSL context. Every failure names the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "tool.h"

int tkk_read_file(const char *cmd, const char *path, size_t max,
                  unsigned char **data, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    unsigned char *buf;
    size_t got = 0;
    ssize_t n;

    *data = NULL;
    *len = 0;
    if (fd < 0)
        return tkk_fail(cmd, "cannot open %s: %s", path, strerror(errno)), 0;
    /* One byte more than allowed tells "too long" from "exactly max". */
    if ((buf = OPENSSL_secure_malloc(max + 1)) == NULL) {
        if (fd != STDIN_FILENO)
            close(fd);
        return tkk_fail(cmd, "out of memory"), 0;
    }
    while (got <= max && (n = read(fd, buf + got, max + 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            tkk_fail(cmd, "cannot read %s: %s", path, strerror(errno));
            OPENSSL_secure_clear_free(buf, max + 1);
            if (fd != STDIN_FILENO)
                close(fd);
            return 0;
        }
        got += (size_t)n;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    *data = buf;
    *len = got;
    return 1;
}

int tkk_write_file(const char *cmd, const char *path, const unsigned char *data,
                   size_t len)
{
    int to_stdout = path == NULL || strcmp(path, "-") == 0;
    int fd = to_stdout
                 ? STDOUT_FILENO
                 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    ssize_t n;

    if (fd < 0)
        return tkk_fail(cmd, "cannot create %s: %s", path, strerror(errno)), 0;
    /* O_CREAT's mode applies to new files only: an existing file must not
     * keep a looser one once it holds a secret or a key. */
    if (!to_stdout && fchmod(fd, 0600) != 0) {
        tkk_fail(cmd, "cannot restrict %s to mode 0600: %s", path,
                 strerror(errno));
        close(fd);
        return 0;
    }
    while (done < len) {
        n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            tkk_fail(cmd, "cannot write %s: %s", to_stdout ? "stdout" : path,
                     strerror(errno));
            if (!to_stdout) {
                close(fd);
                unlink(path);
            }
            return 0;
        }
        done += (size_t)n;
    }
    if (!to_stdout && close(fd) != 0)
        return tkk_fail(cmd, "cannot write %s: %s", path, strerror(errno)), 0;
    return 1;
}

int tkk_read_keyfile(const char *cmd, const char *path, tk_keyfile *kf)
{
    unsigned char *raw, *der = NULL;
    size_t raw_len, der_len;
    char why[160], *name = NULL, *header = NULL;
    long pem_len = 0;
    int rv;

    memset(kf, 0, sizeof(*kf));
    if (!tkk_read_file(cmd, path, TK_KEYFILE_MAX_DER * 2, &raw, &raw_len))
        return 0;
    if (raw_len > TK_KEYFILE_MAX_DER * 2) {
        OPENSSL_secure_clear_free(raw, TK_KEYFILE_MAX_DER * 2 + 1);
        return tkk_fail(cmd, "%s is too large for a TSS2 key file", path), 0;
    }
    if (raw_len > 11 && memcmp(raw, "-----BEGIN ", 11) == 0) {
        BIO *mem = BIO_new_mem_buf(raw, (int)raw_len);

        if (mem == NULL || !PEM_read_bio(mem, &name, &header, &der, &pem_len)
            || strcmp(name, TK_KEYFILE_PEM_LABEL) != 0) {
            tkk_fail(cmd, "%s is not a PEM \"" TK_KEYFILE_PEM_LABEL "\" file",
                     path);
            rv = TK_KEYFILE_NOT_MINE;
        } else {
            der_len = (size_t)pem_len;
            rv = 1;
        }
        BIO_free(mem);
    } else {
        der = OPENSSL_memdup(raw, raw_len);
        der_len = raw_len;
        rv = der != NULL;
    }
    OPENSSL_secure_clear_free(raw, TK_KEYFILE_MAX_DER * 2 + 1);
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (rv != 1) {
        OPENSSL_free(der);
        return 0;
    }
    rv = tk_keyfile_decode_ex(der, der_len, kf, why, sizeof(why));
    OPENSSL_clear_free(der, der_len);
    if (rv == TK_KEYFILE_NOT_MINE)
        return tkk_fail(cmd, "%s is not a TSS2 key file", path), 0;
    if (rv != TK_KEYFILE_OK)
        return tkk_fail(cmd, "%s: malformed TSS2 key file: %s", path, why), 0;
    return 1;
}

/* The key file as PEM text in `mem`; *pem points into it. */
static int keyfile_pem(const char *cmd, const char *path, const tk_keyfile *kf,
                       BIO *mem, char **pem, size_t *pem_len)
{
    unsigned char *der = NULL;
    size_t der_len = 0;
    long n = 0;
    int ok = mem != NULL && tk_keyfile_encode(kf, &der, &der_len)
             && PEM_write_bio(mem, TK_KEYFILE_PEM_LABEL, "", der, (long)der_len)
             && (n = BIO_get_mem_data(mem, pem)) > 0;

    OPENSSL_free(der);
    if (!ok)
        return tkk_fail(cmd, "cannot encode the key file for %s", path), 0;
    *pem_len = (size_t)n;
    return 1;
}

int tkk_write_keyfile(const char *cmd, const char *path, const tk_keyfile *kf)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem = NULL;
    size_t pem_len = 0;
    int ok = keyfile_pem(cmd, path, kf, mem, &pem, &pem_len)
             && tkk_write_file(cmd, path, (unsigned char *)pem, pem_len);

    BIO_free(mem);
    return ok;
}

int tkk_replace_keyfile(const char *cmd, const char *given,
                        const tk_keyfile *kf)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem = NULL, *tmp = NULL, *path = NULL;
    size_t pem_len = 0, done = 0;
    struct stat st;
    int fd = -1, created = 0, ok = 0;
    ssize_t n;

    /* A symbolic link stays one: the file it points to is replaced. */
    if ((path = realpath(given, NULL)) == NULL) {
        tkk_fail(cmd, "cannot find %s: %s", given, strerror(errno));
        goto end;
    }
    if (!keyfile_pem(cmd, given, kf, mem, &pem, &pem_len))
        goto end;
    if (stat(path, &st) != 0) {
        tkk_fail(cmd, "cannot read the mode of %s: %s", path, strerror(errno));
        goto end;
    }
    /* A temporary file beside it, renamed over it once complete: a crash
     * or a full disk leaves the old file, never half a new one. */
    if ((tmp = OPENSSL_zalloc(strlen(path) + 8)) == NULL) {
        tkk_fail(cmd, "out of memory");
        goto end;
    }
    strcpy(tmp, path);
    strcat(tmp, ".XXXXXX");
    if ((fd = mkstemp(tmp)) < 0) {
        tkk_fail(cmd, "cannot create a temporary file beside %s: %s", path,
                 strerror(errno));
        goto end;
    }
    created = 1;
    /* Same mode and, where allowed, the same owner as the file it replaces. */
    if (fchmod(fd, st.st_mode & 07777) != 0) {
        tkk_fail(cmd, "cannot give %s the mode of %s: %s", tmp, path,
                 strerror(errno));
        goto end;
    }
    if (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
        tkk_fail(cmd, "cannot give %s the owner of %s: %s", tmp, path,
                 strerror(errno));
        goto end;
    }
    while (done < pem_len) {
        n = write(fd, pem + done, pem_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            tkk_fail(cmd, "cannot write %s: %s", tmp, strerror(errno));
            goto end;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        tkk_fail(cmd, "cannot write %s: %s", tmp, strerror(errno));
        goto end;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        tkk_fail(cmd, "cannot replace %s: %s", path, strerror(errno));
        goto end;
    }
    ok = 1;
end:
    if (fd >= 0)
        close(fd);
    if (!ok && created)
        unlink(tmp);
    OPENSSL_free(tmp);
    free(path);
    BIO_free(mem);
    return ok;
}

int tkk_parse_parent(const char *text, uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(text, &end, 16);
    if (errno != 0 || end == text || *end != '\0' || v > 0xffffffffUL)
        return 0;
    if (v != 0x40000001UL && (v >> 24) != 0x81)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

const char *tkk_parent_name(uint32_t parent)
{
    static char text[16];

    if (parent == TK_TPM_PARENT_RSA_PRIMARY)
        return "the RSA-2048 storage primary";
    snprintf(text, sizeof(text), "0x%08x", (unsigned)parent);
    return text;
}

OSSL_LIB_CTX *tkk_libctx(void)
{
    static OSSL_LIB_CTX *ctx;

    /* A context of its own loads no configuration: only OpenSSL's
     * built-in default provider answers in it. */
    if (ctx == NULL)
        ctx = OSSL_LIB_CTX_new();
    return ctx;
}
