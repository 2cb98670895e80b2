/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "state.h"
#include "../provider/errors.h"

#define MAGIC 0x746b6a31u /* "tkj1" */

/* The file: fixed size, rewritten in place with one pwrite (a process
 * dies before or after a write, never inside it). */
struct record {
    uint32_t magic;
    int32_t pid;
    uint64_t start; /* the process's start time: pids are reused */
    uint32_t reset, restart;
    uint64_t clock;
    uint32_t count;
    uint32_t pending;
    uint32_t handles[TK_JOURNAL_MAX];
};

/* A process's start time (field 22 of /proc/PID/stat), 0 if unknown, and
 * its state letter (field 3: 'Z' for a zombie), '?' if unknown. */
static uint64_t proc_stat(pid_t pid, char *state)
{
    char path[64], buf[1024], *p;
    unsigned long long start = 0;
    FILE *f;
    size_t n;

    *state = '?';
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Counted after the command name's closing parenthesis. */
    if ((p = strrchr(buf, ')')) == NULL)
        return 0;
    if (p[1] == ' ' && p[2] != '\0')
        *state = p[2];
    for (int field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
        return 0;
    return start;
}

static uint64_t start_time(pid_t pid)
{
    char state;

    return proc_stat(pid, &state);
}

static int usable_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 01777) == 0)
        chmod(dir, 01777); /* past the umask: every user's processes */
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode)
           && access(dir, W_OK | X_OK) == 0;
}

void tk_journal_init(tk_journal *j, const char *tcti_conf)
{
    const char *env = getenv("TPMKIT_RUNDIR");
    size_t n = 0;

    memset(j, 0, sizeof(*j));
    j->lock_fd = -1;
    j->pid = getpid();
    if (env != NULL && *env != '\0' && usable_dir(env))
        snprintf(j->dir, sizeof(j->dir), "%s", env);
    else if (usable_dir("/run/tpmkit"))
        snprintf(j->dir, sizeof(j->dir), "/run/tpmkit");
    else if (usable_dir("/tmp/tpmkit"))
        snprintf(j->dir, sizeof(j->dir), "/tmp/tpmkit");
    /* The same TPM through the pcap TCTI is the same TPM. */
    while (strncmp(tcti_conf, "pcap:", 5) == 0)
        tcti_conf += 5;
    for (const char *p = tcti_conf; *p != '\0' && n + 1 < sizeof(j->key); p++)
        j->key[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                              || (*p >= '0' && *p <= '9') || *p == '-'
                          ? *p
                          : '_';
    j->key[n] = '\0';
}

static void path_for(const tk_journal *j, pid_t pid, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.%d.journal", j->dir, j->key, (int)pid);
}

static void sleep_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&d, NULL);
}

TSS2_RC tk_journal_lock(tk_tpm *tpm, int seconds)
{
    tk_journal *j = &tpm->journal;
    struct timespec start, now;
    char path[512];
    long wait = 1;

    if (j->dir[0] == '\0')
        return TSS2_RC_SUCCESS; /* no run directory: no cross-process order */
    if (j->lock_fd < 0) {
        snprintf(path, sizeof(path), "%s/%s.lock", j->dir, j->key);
        j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (j->lock_fd < 0)
            return TSS2_RC_SUCCESS;
        fchmod(j->lock_fd, 0666);
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return TSS2_RC_SUCCESS;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds)
            return tk_fail(tpm, TPM2_RC_OBJECT_MEMORY, TK_R_TPM_BUSY,
                           "waiting for the TPM (other processes kept it busy;"
                           " try again)");
        sleep_ms(wait);
        if (wait < 20)
            wait *= 2;
    }
    j->locked = 1;
    return TSS2_RC_SUCCESS;
}

void tk_journal_unlock(tk_tpm *tpm)
{
    tk_journal *j = &tpm->journal;

    if (j->locked)
        flock(j->lock_fd, LOCK_UN);
    j->locked = 0;
}

void tk_journal_add(tk_journal *j, TPM2_HANDLE handle)
{
    for (int i = 0; i < j->count; i++)
        if (j->handles[i] == handle)
            return;
    if (j->count < TK_JOURNAL_MAX)
        j->handles[j->count++] = handle;
    j->dirty = 1;
}

void tk_journal_remove(tk_journal *j, TPM2_HANDLE handle)
{
    for (int i = 0; i < j->count; i++) {
        if (j->handles[i] == handle) {
            j->handles[i] = j->handles[--j->count];
            j->dirty = 1;
            return;
        }
    }
}

int tk_journal_has(const tk_journal *j, TPM2_HANDLE handle)
{
    for (int i = 0; i < j->count; i++)
        if (j->handles[i] == handle)
            return 1;
    return 0;
}

void tk_journal_forget(tk_journal *j)
{
    j->count = 0;
    j->dirty = 1;
}

void tk_journal_pending(tk_journal *j, uint32_t cc)
{
    j->pending = cc;
    j->dirty = 1;
    tk_journal_sync(j);
}

void tk_journal_sync(tk_journal *j)
{
    struct record r = { 0 };
    char path[512];
    int fd;

    if (!j->dirty || j->dir[0] == '\0' || j->pid != getpid())
        return;
    j->dirty = 0;
    path_for(j, j->pid, path, sizeof(path));
    if (j->count == 0 && j->pending == 0) {
        unlink(path);
        return;
    }
    r.magic = MAGIC;
    r.pid = j->pid;
    r.start = start_time(j->pid);
    r.reset = j->reset;
    r.restart = j->restart;
    r.clock = j->clock;
    r.count = (uint32_t)j->count;
    r.pending = j->pending;
    memcpy(r.handles, j->handles, sizeof(r.handles[0]) * (size_t)j->count);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
        return;
    if (pwrite(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r))
        unlink(path);
    close(fd);
}

void tk_journal_connected(tk_tpm *tpm)
{
    tk_journal *j = &tpm->journal;

    /* Read when connecting: no TPM command of its own. */
    j->reset = tpm->conn.reset_count;
    j->restart = tpm->conn.restart_count;
    j->clock = tpm->conn.clock;
}

/* Alive unless the kernel says no such process (or a zombie), or the pid now belongs
 * to a process started later (an unreadable /proc counts as alive). */
static int alive(const struct record *r)
{
    uint64_t now;
    char state;

    if (r->pid <= 0)
        return 0;
    if (kill(r->pid, 0) != 0 && errno == ESRCH)
        return 0;
    /* A zombie (exited, not yet reaped by its parent) holds nothing. */
    now = proc_stat(r->pid, &state);
    if (state == 'Z' || state == 'X')
        return 0;
    return now == 0 || now == r->start;
}

struct scan {
    TPM2_HANDLE live[4 * TK_JOURNAL_MAX]; /* held by live tpmkit processes */
    int n_live;
    int orphans; /* a dead process left a handle it never learnt */
};

/* A journal whose process is gone: flush its handles if they still
 * belong to it (the TPM was neither reset nor restarted, and its clock
 * has not gone backwards: the same TPM), then drop the file. */
static void reclaim_file(tk_tpm *tpm, const char *path, struct scan *scan)
{
    struct record r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, &r, sizeof(r), 0) : -1;
    int same_tpm;

    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(r) || r.magic != MAGIC
        || r.count > TK_JOURNAL_MAX) {
        unlink(path);
        return;
    }
    if (alive(&r)) {
        for (uint32_t i = 0; i < r.count
                             && scan->n_live < (int)(sizeof(scan->live)
                                                     / sizeof(scan->live[0]));
             i++)
            scan->live[scan->n_live++] = r.handles[i];
        return;
    }
    same_tpm = r.reset == tpm->conn.reset_count
               && r.restart == tpm->conn.restart_count
               && r.clock <= tpm->journal.clock;
    if (same_tpm) {
        for (uint32_t i = 0; i < r.count; i++)
            Tss2_Sys_FlushContext(tpm->conn.sys, r.handles[i]);
        scan->orphans |= r.pending != 0;
        tk_debug("reclaimed %u TPM handle(s) left by process %d%s", r.count,
                 (int)r.pid, r.pending ? " (and one it was being given)" : "");
    }
    unlink(path);
}

static int is_live(const struct scan *scan, TPM2_HANDLE h)
{
    for (int i = 0; i < scan->n_live; i++)
        if (scan->live[i] == h)
            return 1;
    return 0;
}

/* A process killed while the TPM was creating a handle for it never
 * learnt the handle. Holding the lock, no live tpmkit process has an
 * object loaded and their sessions are in their journals: whatever else
 * is in the TPM's object and session lists is that dead process's, or a
 * program's that shares a TPM without a resource manager with tpmkit. */
static void flush_unowned(tk_tpm *tpm, const struct scan *scan)
{
    static const TPM2_HANDLE firsts[] = { TPM2_TRANSIENT_FIRST,
                                          TPM2_LOADED_SESSION_FIRST,
                                          TPM2_ACTIVE_SESSION_FIRST };

    for (size_t f = 0; f < sizeof(firsts) / sizeof(firsts[0]); f++) {
        TPMS_CAPABILITY_DATA caps = { 0 };
        TPMI_YES_NO more = 0;

        if (Tss2_Sys_GetCapability(tpm->conn.sys, NULL, TPM2_CAP_HANDLES,
                                   firsts[f], 64, &more, &caps, NULL)
            != TSS2_RC_SUCCESS)
            continue;
        for (UINT32 i = 0; i < caps.data.handles.count; i++) {
            TPM2_HANDLE h = caps.data.handles.handle[i];

            if ((h >> 24) == (firsts[f] >> 24) && !is_live(scan, h)
                && !tk_journal_has(&tpm->journal, h)) {
                Tss2_Sys_FlushContext(tpm->conn.sys, h);
                tk_debug("flushed handle 0x%08x a killed process never learnt",
                         (unsigned)h);
            }
        }
    }
}

void tk_journal_reclaim(tk_tpm *tpm)
{
    tk_journal *j = &tpm->journal;
    size_t key_len = strlen(j->key);
    struct scan scan = { .n_live = 0 };
    char path[512];
    struct dirent *e;
    DIR *dir;

    if (j->dir[0] == '\0' || !j->locked || (dir = opendir(j->dir)) == NULL)
        return;
    while ((e = readdir(dir)) != NULL) {
        const char *rest = e->d_name + key_len;
        int pid;

        if (strncmp(e->d_name, j->key, key_len) != 0 || rest[0] != '.'
            || sscanf(rest + 1, "%d.journal", &pid) != 1
            || strstr(rest, ".journal") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", j->dir, e->d_name);
        if (pid != (int)j->pid) /* ours is kept up to date as we go */
            reclaim_file(tpm, path, &scan);
    }
    closedir(dir);
    /* Our own previous connection broke with a creation in flight. */
    if (j->pending != 0) {
        scan.orphans = 1;
        j->pending = 0;
        j->dirty = 1;
    }
    if (scan.orphans)
        flush_unowned(tpm, &scan);
}

void tk_journal_after_fork(tk_journal *j)
{
    /* The lock's open file is shared with the parent: closing our copy
     * keeps its lock; unlocking it would release the parent's. */
    if (j->lock_fd >= 0)
        close(j->lock_fd);
    j->lock_fd = -1;
    j->locked = 0;
    j->pid = getpid();
    j->count = 0;
    j->dirty = 0;
}
