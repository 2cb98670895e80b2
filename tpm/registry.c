/* SPDX-License-Identifier: Apache-2.0 */
/* One shared tk_tpm per TCTI string in the process, and the fork hooks
 * that keep their locks consistent across fork(). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "run.h"
#include "state.h"
#include "tcti_kind.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static tk_tpm *registry;
static pthread_once_t process_hooks_once = PTHREAD_ONCE_INIT;

/* fork() never waits for a TPM operation: the prepare hook only tries
 * each connection's lock. A connection that was free is consistent in the
 * child; one that another thread was using may be half-way through a
 * command in the child's copy, so the child abandons it untouched (its
 * memory and socket stay unused) and opens its own on first use. */
static void before_fork(void)
{
    pthread_mutex_lock(&registry_lock);
    for (tk_tpm *t = registry; t != NULL; t = t->next)
        t->fork_locked = pthread_mutex_trylock(&t->lock) == 0;
}

static void after_fork_parent(void)
{
    for (tk_tpm *t = registry; t != NULL; t = t->next)
        if (t->fork_locked)
            pthread_mutex_unlock(&t->lock);
    pthread_mutex_unlock(&registry_lock);
}

static void after_fork_child(void)
{
    for (tk_tpm *t = registry; t != NULL; t = t->next) {
        tk_watchdog_after_fork_child(&t->watchdog);
        tk_conn_after_fork(&t->conn);
        tk_journal_after_fork(&t->journal);
        if (t->fork_locked) {
            pthread_mutex_unlock(&t->lock);
            continue;
        }
        /* Held by a thread that does not exist here. */
        pthread_mutex_init(&t->lock, NULL);
        tk_tpm_abandon_inherited(t);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* A program that exits without releasing its OpenSSL objects never tears
 * the provider down; without a resource manager whatever we left in the
 * TPM would stay there until the TPM restarts. Close every connection this
 * process opened at exit (a later use would simply reconnect). */
static TSS2_RC close_connection(tk_tpm *tpm, void *arg)
{
    (void)arg;
    tk_tpm_disconnect(tpm);
    return TSS2_RC_SUCCESS;
}

static void close_all_at_exit(void)
{
    pthread_mutex_lock(&registry_lock);
    for (tk_tpm *t = registry; t != NULL; t = t->next)
        tk_tpm_locked(t, close_connection, NULL);
    pthread_mutex_unlock(&registry_lock);
}

static void install_process_hooks(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    atexit(close_all_at_exit);
}

void tk_tpm_settings_default(tk_tpm_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->tcti = TK_TPM_DEFAULT_TCTI;
    s->encrypt = 1;
    s->identity = "none";
    s->storage_primary = TK_TPM_SRK_HANDLE;
    s->timeouts[TK_CMD_QUICK] = 5;
    s->timeouts[TK_CMD_CRYPTO] = 30;
    s->timeouts[TK_CMD_CREATE] = 300;
}

tk_tpm *tk_tpm_acquire(const char *tcti, int encrypt, const char *identity)
{
    tk_tpm_settings s;

    tk_tpm_settings_default(&s);
    s.tcti = tcti;
    s.encrypt = encrypt;
    s.identity = identity;
    return tk_tpm_acquire_with(&s);
}

static int same_settings(const tk_tpm *tpm, const tk_tpm_settings *s,
                         const char *id_spec)
{
    return strcmp(tpm->tcti_conf, s->tcti) == 0 && tpm->encrypt == s->encrypt
           && strcmp(tpm->identity.spec, id_spec) == 0
           && tpm->srk_handle == s->storage_primary
           && memcmp(tpm->watchdog.timeouts, s->timeouts, sizeof(s->timeouts))
                  == 0;
}

tk_tpm *tk_tpm_acquire_with(const tk_tpm_settings *s)
{
    tk_tpm *tpm;
    const char *id_spec = s->identity != NULL && *s->identity != '\0'
                              ? s->identity
                              : "none";

    pthread_once(&process_hooks_once, install_process_hooks);
    pthread_mutex_lock(&registry_lock);
    for (tpm = registry; tpm != NULL; tpm = tpm->next) {
        if (same_settings(tpm, s, id_spec)) {
            tpm->refs++;
            goto out;
        }
    }
    tpm = calloc(1, sizeof(*tpm));
    if (tpm == NULL || (tpm->tcti_conf = strdup(s->tcti)) == NULL
        || (tpm->crypto_ctx = OSSL_LIB_CTX_new()) == NULL) {
        if (tpm != NULL)
            free(tpm->tcti_conf);
        free(tpm);
        tpm = NULL;
        goto out;
    }
    tpm->encrypt = s->encrypt;
    tpm->srk_handle = s->storage_primary;
    tk_identity_parse(id_spec, &tpm->identity);
    tk_journal_init(&tpm->journal, s->tcti);
    tpm->park = !tk_tcti_has_resource_manager(s->tcti);
    tpm->refs = 1;
    tpm->prim.object.handle = ESYS_TR_NONE;
    tpm->rsa_prim.handle = ESYS_TR_NONE;
    pthread_mutex_init(&tpm->lock, NULL);
    tk_watchdog_init(&tpm->watchdog, tpm->tcti_conf, s->timeouts);
    tpm->next = registry;
    registry = tpm;
out:
    pthread_mutex_unlock(&registry_lock);
    return tpm;
}

void tk_tpm_release(tk_tpm *tpm)
{
    tk_tpm **link;

    if (tpm == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    if (--tpm->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    for (link = &registry; *link != NULL; link = &(*link)->next) {
        if (*link == tpm) {
            *link = tpm->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);

    tk_tpm_locked(tpm, close_connection, NULL);
    pthread_mutex_destroy(&tpm->lock);
    tk_watchdog_stop(&tpm->watchdog);
    tk_crypto_free(&tpm->conn.crypto);
    OSSL_LIB_CTX_free(tpm->crypto_ctx);
    free(tpm->tcti_conf);
    free(tpm);
}

const char *tk_tpm_tcti(const tk_tpm *tpm)
{
    return tpm->tcti_conf;
}

int tk_tpm_encrypting(const tk_tpm *tpm)
{
    return tpm->encrypt;
}
