/* SPDX-License-Identifier: Apache-2.0 */
/* Command line of tpmkit-psk-server and tpmkit-psk-client: one parser for
 * both, so the two programs always agree on what an option means. */
#ifndef PSK_OPTIONS_H
#define PSK_OPTIONS_H

enum psk_role { PSK_SERVER, PSK_CLIENT };

struct psk_options {
    enum psk_role role;
    const char *prog; /* for messages */
    const char *host;
    const char *port; /* server: "0" picks a free port */
    const char *identity;
    const char *key_uri;  /* TPM key: file or handle:0x81xxxxxx */
    const char *hexkey;   /* software key (a peer without a TPM) */
    const char *key_pass; /* the TPM key's password, if it has one */
    const char *digest;
    const char *message; /* client: the line it sends */
    const char *ciphers; /* TLS 1.2 cipher list */
    long count;          /* server: connections to serve, 0 = forever */
    int timeout;         /* seconds for connect, read and write */
    int show_psk;
    int tls13;
};

/* Parses argv into *o. Returns 1 to run, 0 after --help (exit 0), -1 on a
 * usage error (a message is printed; exit 2). Secrets given as env:VAR or
 * file:PATH are read here; psk_options_clear wipes them. */
int psk_parse_options(struct psk_options *o, enum psk_role role, int argc,
                      char **argv);
void psk_options_clear(struct psk_options *o);

#endif
