/* SPDX-License-Identifier: Apache-2.0 */
/* A private swtpm for a Check suite: free loopback ports, own state dir. */
#ifndef TK_SWTPM_FIXTURE_H
#define TK_SWTPM_FIXTURE_H

#include <sys/types.h>

typedef struct swtpm_fixture {
    pid_t pid;
    int port; /* server port; control is port + 1 */
    char dir[256];
    char tcti[128];
} swtpm_fixture;

/* Start swtpm; aborts the test run if it cannot. */
void swtpm_fixture_start(swtpm_fixture *f);
/* Stop it; the state directory survives for a restart. */
void swtpm_fixture_stop(swtpm_fixture *f);
/* Stop and start again on the same ports and state. */
void swtpm_fixture_restart(swtpm_fixture *f);
/* Stop and remove the state directory. */
void swtpm_fixture_destroy(swtpm_fixture *f);
/* Count the handles tpm2_getcap lists for these capabilities
 * (space-separated, e.g. "handles-transient handles-loaded-session"). */
int swtpm_fixture_handles(const swtpm_fixture *f, const char *capabilities);
/* Count transient objects and loaded or saved sessions left in the TPM. */
int swtpm_fixture_leftovers(const swtpm_fixture *f);

#endif
