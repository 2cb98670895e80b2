/* Private to tpm/: the connection state and the helpers that share it. */
#ifndef TK_TPM_INTERNAL_H
#define TK_TPM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/types.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_sys.h>
#include <openssl/types.h>

#include "tpm.h"

/* watchdog.c: bounds every TPM operation in time. */
typedef struct tk_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t pid;                  /* process whose watching thread runs */
    pthread_t thread;
    int armed, fired, stop;
    int idle;                   /* the thread waits for an operation to start */
    struct timespec deadline;   /* CLOCK_MONOTONIC */
    const char *tcti_conf;
} tk_watchdog;

void tk_watchdog_init(tk_watchdog *wd, const char *tcti_conf);
void tk_watchdog_arm(tk_watchdog *wd, int seconds);
void tk_watchdog_disarm(tk_watchdog *wd);
/* Did the armed operation overrun (its sockets were cut)? */
int tk_watchdog_fired(tk_watchdog *wd);
void tk_watchdog_after_fork_child(tk_watchdog *wd);
/* End the watching thread (before the tk_tpm is freed). */
void tk_watchdog_stop(tk_watchdog *wd);

/* Seconds a TPM operation may take; creating keys takes real TPMs long. */
#define TK_TPM_TIMEOUT 5
#define TK_TPM_CREATE_TIMEOUT 180

/* session_crypto.c: the arithmetic of TPM sessions, with OpenSSL objects
 * fetched once per connection (callers hold the connection lock). */
#define TK_CRYPTO_HASHES 4
typedef struct tk_crypto {
    OSSL_LIB_CTX *libctx;
    EVP_MD *md[TK_CRYPTO_HASHES];
    EVP_MAC *hmac;
    EVP_MAC_CTX *mac_ctx[TK_CRYPTO_HASHES];
    EVP_CIPHER *aes_cfb;
    EVP_MD_CTX *md_ctx;
    EVP_CIPHER_CTX *cipher_ctx;
} tk_crypto;

/* Big-endian integers of `bytes` octets, as TPM structures carry them. */
static inline void tk_put_be(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

typedef struct tk_iov {
    const void *data;
    size_t len;
} tk_iov;

int tk_crypto_init(tk_crypto *c, OSSL_LIB_CTX *libctx);
void tk_crypto_free(tk_crypto *c);
size_t tk_crypto_hash_size(TPMI_ALG_HASH alg);
int tk_crypto_hash(tk_crypto *c, TPMI_ALG_HASH alg, const tk_iov *parts,
                   size_t n, unsigned char *out);
int tk_crypto_hmac(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const tk_iov *parts, size_t n,
                   unsigned char *out);
int tk_crypto_kdfa(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const char *label, const tk_iov *u,
                   const tk_iov *v, size_t bits, unsigned char *out);
/* AES-128-CFB in place; key_iv is the key then the IV (KDFa "CFB"). */
int tk_crypto_cfb(tk_crypto *c, const unsigned char key_iv[32],
                  unsigned char *buf, size_t len, int encrypt);
int tk_crypto_random(tk_crypto *c, unsigned char *out, size_t len);
int tk_crypto_ecdh_salt(tk_crypto *c, TPMI_ALG_HASH name_alg,
                        const TPMS_ECC_POINT *tpm_point,
                        TPMS_ECC_POINT *ephemeral, unsigned char *salt,
                        size_t salt_len);

/* session.c: a TPM session whose arithmetic tpmkit does itself (ESYS's
 * costs milliseconds of CPU per command). */
enum tk_policy_auth {
    TK_POLICY_PLAIN,            /* an HMAC session, or a policy session with
                                 * neither of the two below */
    TK_POLICY_AUTH_VALUE,       /* PolicyAuthValue: HMAC with the password */
    TK_POLICY_PASSWORD,         /* PolicyPassword: the password in clear */
};
typedef struct tk_sess {
    TPM2_HANDLE handle;         /* 0: no session */
    int loaded;                 /* in a TPM slot; else context-saved in `saved` */
    TPMS_CONTEXT saved;
    TPM2_SE type;
    TPMI_ALG_HASH hash;
    unsigned char key[64];      /* the session key (empty: unsalted, unbound) */
    size_t key_len;
    TPM2B_NONCE nonce_tpm;
    enum tk_policy_auth policy_auth;
} tk_sess;

/* Start a session; `salted`: salted by the storage primary, with AES-128-CFB
 * parameter encryption. */
TSS2_RC tk_sess_start(tk_tpm *tpm, TPM2_SE type, TPMI_ALG_HASH hash,
                      int salted, tk_sess *out);
/* Flush a session from the TPM (loaded or saved) and forget it. */
void tk_sess_flush(tk_tpm *tpm, tk_sess *s);

/* call.c: one TPM command through SYS with tpmkit's session arithmetic.
 * Between Tss2_Sys_<Command>_Prepare and _Complete: name the command's
 * handles and authorizations, then tk_call_run(). */
typedef struct tk_call_auth {
    tk_sess *sess;              /* NULL: a password authorization */
    TPM2B_AUTH auth;            /* password of the entity it authorizes */
    TPMA_SESSION attrs;
} tk_call_auth;
typedef struct tk_call {
    int n_handles;
    ESYS_TR trs[3];             /* whose name ESYS knows, unless named[] */
    TPM2_HANDLE handles[3];
    TPM2B_NAME names[3];
    int named[3];
    int n_auths;
    tk_call_auth auths[3];
    tk_sess policy;             /* a policy session made for this command */
} tk_call;

void tk_call_init(tk_call *call);
/* Record `tr` as the command's next handle; *out is its TPM handle. */
TSS2_RC tk_call_handle(tk_tpm *tpm, tk_call *call, ESYS_TR tr, TPM2_HANDLE *out);
/* The same for a handle whose name is known. */
void tk_call_handle_named(tk_call *call, TPM2_HANDLE handle,
                          const TPM2B_NAME *name);
/* A hash or HMAC sequence object: its name is empty. */
void tk_call_handle_sequence(tk_call *call, TPM2_HANDLE handle);
/* An object's name: its name algorithm, then the hash of its public area
 * (ESYS would hash it again, expensively, for every command). */
int tk_object_name(tk_tpm *tpm, const TPM2B_PUBLIC *pub, TPM2B_NAME *name);
/* The next authorization: `sess` (NULL for a password), the password of
 * the entity it authorizes, and DECRYPT/ENCRYPT for parameter encryption. */
void tk_call_auth_add(tk_call *call, tk_sess *sess, const TPM2B_AUTH *auth,
                      TPMA_SESSION attrs);
TSS2_RC tk_call_run(tk_tpm *tpm, tk_call *call, TPM2_CC cc);

struct tk_tpm {
    char *tcti_conf;
    int encrypt;
    int refs;                   /* guarded by the registry lock */
    struct tk_tpm *next;        /* registry list */

    pthread_mutex_t lock;       /* guards everything below */
    pid_t owner;                /* process that opened the connection */
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
    TSS2_SYS_CONTEXT *sys;      /* ESYS's, for commands with our sessions */
    ESYS_TR primary;            /* ESYS_TR_NONE unless loaded right now */
    TPMS_CONTEXT *primary_saved; /* the primary, parked outside the TPM */
    TPMS_ECC_POINT primary_point; /* its public key: the session salt key */
    TPM2B_NAME primary_name;
    tk_sess session;            /* the salted session, parked between operations */
    int park;                   /* park between operations: no resource manager */
    UINT32 reset_count, restart_count; /* TPM clock counters at connect */
    OSSL_LIB_CTX *crypto_ctx;   /* where ESYS's own OpenSSL calls resolve:
                                 * OpenSSL's providers only, made at acquire */
    tk_crypto crypto;           /* session arithmetic, fetched from crypto_ctx */
    struct tk_tpm_key *loaded;  /* keys loaded in the TPM now, most recent first */
    unsigned generation;        /* bumped whenever TPM-side state is forgotten */
    tk_watchdog watchdog;
    UINT32 orphan_session;      /* a session left behind by a hung TPM, or 0 */
    UINT32 orphan_reset, orphan_restart;

    /* Set by the command that failed, read by the error report. */
    const char *fail_what;
    int fail_reason;
    char last_error[320];       /* the last failure reported, as text */
};

/* connection.c */
TSS2_RC tk_conn_open(tk_tpm *tpm);
/* Close the connection. With `flush`, first flush the primary and session
 * this process created; without, only forget them (they are gone, or they
 * belong to the parent of a forked child). */
void tk_conn_close(tk_tpm *tpm, int flush);
/* Forget TPM-side state after a command hinted that it vanished: flushes
 * it unless the TPM reports it was reset or restarted since we connected. */
void tk_conn_resync(tk_tpm *tpm);
/* Drop a connection to a TPM that stopped answering; the session it held
 * is flushed after the next connect if the TPM was not reset meanwhile. */
void tk_conn_abandon(tk_tpm *tpm);

/* primary.c: the standard storage primary (parent 0x40000001), created once
 * per connection. tk_primary_park() moves it out of the TPM's scarce object
 * slots (ContextSave + flush); tk_primary_get() brings it back. */
TSS2_RC tk_primary_get(tk_tpm *tpm, ESYS_TR *out);
TSS2_RC tk_primary_park(tk_tpm *tpm);
/* Forget the primary: flush it if loaded and `flush`, drop the saved copy. */
void tk_primary_drop(tk_tpm *tpm, int flush);

/* session.c: the connection's salted AES-128-CFB session for commands
 * with secrets, loaded; NULL in *out when encryption is off. */
TSS2_RC tk_session_get(tk_tpm *tpm, tk_sess **out);
/* Add the authorization of a command's entity with password `auth`: the
 * salted session (an HMAC, so the password never crosses the bus) with
 * parameter encryption `attrs`, or the password itself when encryption
 * is off. */
TSS2_RC tk_session_auth(tk_tpm *tpm, tk_call *call, const TPM2B_AUTH *auth,
                        TPMA_SESSION attrs);
/* After an operation: context-save the session when `park` is set. */
void tk_session_park(tk_tpm *tpm);
/* Forget the session: flush it (loaded or parked) if `flush`. */
void tk_session_drop(tk_tpm *tpm, int flush);

/* tcti_kind.c: does this TCTI string reach the TPM through a resource
 * manager (which virtualises slots, so nothing needs parking)? */
int tk_tcti_has_resource_manager(const char *conf);

/* pubinfo.c: blobs and algorithm identifiers */
struct tk_tpm_pubinfo;
int tk_tpm_hash_nid(TPMI_ALG_HASH alg);
TPMI_ALG_HASH tk_tpm_hash_alg(int nid);
TPMI_ECC_CURVE tk_tpm_curve(int nid);
int tk_tpm_unmarshal_public(const unsigned char *pub, size_t len, TPM2B_PUBLIC *out);
int tk_tpm_unmarshal_private(const unsigned char *priv, size_t len, TPM2B_PRIVATE *out);
int tk_tpm_pubinfo_from_area(const TPMT_PUBLIC *area, struct tk_tpm_pubinfo *info);

/* keyobj.c: loading keys on demand */
struct tk_tpm_key;
/* Load the key (evicting our least recently used keys if the TPM is full)
 * and set its password; *out is usable for one command. */
TSS2_RC tk_key_load(tk_tpm *tpm, struct tk_tpm_key *key, ESYS_TR *out);
tk_tpm *tk_tpm_key_tpm(const struct tk_tpm_key *key);
/* After an operation: park loaded keys when `park` is set. */
void tk_keys_park(tk_tpm *tpm);
/* import.c: TPM2_Import of a duplicate (no inner wrapper) under `parent`
 * (the parent's session loaded first: starting it may park the primary). */
TSS2_RC tk_import_duplicate(tk_tpm *tpm, ESYS_TR parent,
                            const TPM2B_AUTH *parent_auth,
                            const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *dup,
                            const TPM2B_ENCRYPTED_SECRET *seed,
                            TPM2B_PRIVATE *out);
/* keyobj.c: the key's private blob is a duplicate to import on first use. */
int tk_key_set_import_seed(struct tk_tpm_key *key,
                           const TPM2B_ENCRYPTED_SECRET *seed);

/* The key's name algorithm (policy sessions must use it). */
TPMI_ALG_HASH tk_key_name_alg(const struct tk_tpm_key *key);
/* Has the key a password (then it is authorized through the salted
 * session, never in clear)? */
int tk_key_has_password(const struct tk_tpm_key *key);
const TPM2B_AUTH *tk_key_auth(const struct tk_tpm_key *key);
/* The key's name (computed once); NULL if it cannot be. */
const TPM2B_NAME *tk_key_name(tk_tpm *tpm, struct tk_tpm_key *key);
/* Does using the key need its policy (no userWithAuth, steps known)? */
int tk_key_needs_policy(const struct tk_tpm_key *key);

/* authorize.c: the key loaded, recorded as the next handle of `call`
 * (*handle: its TPM handle), and its authorization added: the salted
 * session (an HMAC, password never in clear) carrying parameter
 * encryption `attrs`, a plain password when there is nothing to hide (no
 * password and no secret parameters, or encryption off), or a fresh policy
 * session replaying the key's policy, then the salted session for `attrs`. */
TSS2_RC tk_key_authorize(tk_tpm *tpm, struct tk_tpm_key *key, TPMA_SESSION attrs,
                         tk_call *call, TPM2_HANDLE *handle);
/* After the command: wipe the password copies, forget a policy session
 * (the TPM consumed it on success; flush it after a failure). */
void tk_key_authorize_end(tk_tpm *tpm, tk_call *call, TSS2_RC rc);
/* Report a failed key operation: a wrong password or an unmet policy reads
 * as such (and is never retried: dictionary-attack lockout). */
TSS2_RC tk_key_op_fail(tk_tpm *tpm, TSS2_RC rc, const char *what);

/* hmac.c: feed `len` bytes to a hash or HMAC sequence in TPM-sized
 * pieces (SequenceComplete takes the last piece itself). */
TSS2_RC tk_seq_feed(tk_tpm *tpm, TPM2_HANDLE seq, const unsigned char *data,
                    size_t len);

/* Flush our least recently used key to free an object slot; 0 if we
 * hold none. */
int tk_keys_make_room(tk_tpm *tpm);
/* Forget every loaded key (flushing them first if `flush`). */
void tk_keys_drop(tk_tpm *tpm, int flush);
/* Parent of a new or loaded key, with its password set. */
TSS2_RC tk_parent_get(tk_tpm *tpm, uint32_t parent, const TPM2B_AUTH *auth,
                      ESYS_TR *out);
/* Done with it: park the primary (no resource manager) or let go of the
 * persistent parent's ESYS_TR. */
void tk_parent_release(tk_tpm *tpm, uint32_t parent, ESYS_TR *handle);

/* rc.c */
enum tk_rc_class {
    TK_RC_OK,
    TK_RC_RETRY,        /* the TPM asked us to try again later */
    TK_RC_BUSY,         /* the TPM's object or session slots are full */
    TK_RC_TRANSPORT,    /* the connection to the TPM is broken */
    TK_RC_LOST_STATE,   /* our handles or sessions vanished (TPM reset?) */
    TK_RC_FATAL,
};
enum tk_rc_class tk_rc_classify(TSS2_RC rc);
const char *tk_rc_text(TSS2_RC rc);

/* Record which step failed; returns rc for tail calls. */
TSS2_RC tk_fail(tk_tpm *tpm, TSS2_RC rc, int reason, const char *what);

/* sigpipe.c: a TPM restarted under us closes the socket; writing to it
 * must fail, not kill the process. Block SIGPIPE for this thread around TPM
 * I/O and discard any that arrived meanwhile. */
void tk_sigpipe_block(sigset_t *saved, int *was_pending);
void tk_sigpipe_restore(const sigset_t *saved, int was_pending);

/* run.c: run `op` with the connection locked and open, ESYS's crypto kept
 * out of tpmkit, retries on TPM_RC_RETRY and friends, and one rebuild of
 * the connection when it broke or the TPM was reset. Raises the OpenSSL
 * error on failure; 1 on success. */
typedef TSS2_RC tk_tpm_op(tk_tpm *tpm, void *arg);
int tk_tpm_run(tk_tpm *tpm, tk_tpm_op *op, void *arg);
/* The same with another time limit (seconds). */
int tk_tpm_run_timed(tk_tpm *tpm, tk_tpm_op *op, void *arg, int seconds);
/* Run `op` under the lock without opening a connection (clean-ups). */
void tk_tpm_locked(tk_tpm *tpm, tk_tpm_op *op, void *arg);

#endif
