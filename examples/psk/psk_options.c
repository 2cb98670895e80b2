/* SPDX-License-Identifier: Apache-2.0 */
#include "psk_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

/* ECDHE first: every connection also gets fresh key-exchange secrets, so a
 * later leak of the permanent PSK does not open recorded sessions. */
#define DEFAULT_CIPHERS                                                        \
    "ECDHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES128-CBC-SHA256:ECDHE-PSK-"       \
    "AES256-CBC-SHA384"

enum {
    OPT_HOST = 256,
    OPT_PORT,
    OPT_IDENTITY,
    OPT_KEY_URI,
    OPT_HEXKEY,
    OPT_DIGEST,
    OPT_MESSAGE,
    OPT_COUNT,
    OPT_SHOW_PSK,
    OPT_TLS13,
    OPT_CIPHERS,
    OPT_TIMEOUT,
    OPT_KEY_PASS,
    OPT_HELP
};

static const struct option long_opts[] = {
    { "host", required_argument, NULL, OPT_HOST },
    { "port", required_argument, NULL, OPT_PORT },
    { "identity", required_argument, NULL, OPT_IDENTITY },
    { "key-uri", required_argument, NULL, OPT_KEY_URI },
    { "hexkey", required_argument, NULL, OPT_HEXKEY },
    { "key-pass", required_argument, NULL, OPT_KEY_PASS },
    { "digest", required_argument, NULL, OPT_DIGEST },
    { "message", required_argument, NULL, OPT_MESSAGE },
    { "count", required_argument, NULL, OPT_COUNT },
    { "show-psk", no_argument, NULL, OPT_SHOW_PSK },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },
    { "ciphers", required_argument, NULL, OPT_CIPHERS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

static void usage(const struct psk_options *o, FILE *f)
{
    int server = o->role == PSK_SERVER;

    fprintf(
        f,
        "usage: %s (--key-uri FILE|handle:0x81xxxxxx | --hexkey HEX) "
        "[options]\n"
        "\n"
        "TLS with a per-connection PSK derived from a permanent PSK:\n"
        "  TLS 1.2:   HMAC(permanent, \"pre master secret\" || client_random "
        "|| server_random)\n"
        "  --tls1.3:  HMAC(permanent, \"tpmkit tls13 psk\" || client_random), "
        "psk_dhe_ke only\n"
        "\n"
        "  --key-uri URI    permanent PSK in the TPM (tpmkit's TPM2-HMAC, key "
        "file or handle)\n"
        "  --key-pass SRC   the TPM key's password: pass:TEXT, env:VAR or "
        "file:PATH\n"
        "  --hexkey HEX     permanent PSK in software (a peer without a TPM);\n"
        "                   env:VAR or file:PATH keep it off the command line\n"
        "  --digest NAME    HMAC hash (default SHA256; a TPM key must match "
        "it)\n"
        "  --identity NAME  PSK identity (default \"tpmkit\")%s\n"
        "  --host HOST      %s (default 127.0.0.1)\n"
        "  --port PORT      %s (default 4433)\n"
        "%s"
        "  --show-psk       print the derived per-connection PSK (and its "
        "inputs)\n"
        "  --tls1.3         TLS 1.3 mode (default TLS 1.2)\n"
        "  --ciphers LIST   TLS 1.2 cipher list (default " DEFAULT_CIPHERS ")\n"
        "  --timeout SEC    bound on connect, read and write (default 30)\n",
        o->prog, server ? "; the only one accepted" : "",
        server ? "address to listen on" : "server to connect to",
        server ? "port to listen on, 0 = any free port" : "server port",
        server ? "  --count N        serve N connections, then exit (default 0 "
                 "= forever)\n"
               : "  --message TEXT   line to send to the server (its answer is "
                 "printed)\n");
}

/* Secrets read from env:/file: sources; wiped by psk_options_clear. */
static char hexkey_buf[1100], pass_buf[256];

/* pass:TEXT, env:VAR or file:PATH (its first line) into buf; plain
 * (anything else) is returned as is when allow_plain. NULL on error. */
static const char *secret_from(const struct psk_options *o, const char *what,
                               const char *arg, char *buf, size_t len,
                               int allow_plain)
{
    const char *v = NULL;
    FILE *f;

    if (strncmp(arg, "pass:", 5) == 0) {
        v = arg + 5;
    } else if (strncmp(arg, "env:", 4) == 0) {
        if ((v = getenv(arg + 4)) == NULL) {
            fprintf(stderr, "%s: %s: environment variable %s is not set\n",
                    o->prog, what, arg + 4);
            return NULL;
        }
    } else if (strncmp(arg, "file:", 5) == 0) {
        if ((f = fopen(arg + 5, "r")) == NULL) {
            fprintf(stderr, "%s: %s: cannot read %s: %s\n", o->prog, what,
                    arg + 5, strerror(errno));
            return NULL;
        }
        if (fgets(buf, (int)len, f) == NULL)
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
        return buf;
    } else if (allow_plain) {
        return arg;
    } else {
        fprintf(stderr, "%s: %s wants pass:TEXT, env:VAR or file:PATH\n",
                o->prog, what);
        return NULL;
    }
    if (strlen(v) >= len) {
        fprintf(stderr, "%s: %s is too long\n", o->prog, what);
        return NULL;
    }
    memcpy(buf, v, strlen(v) + 1);
    return buf;
}

void psk_options_clear(struct psk_options *o)
{
    OPENSSL_cleanse(hexkey_buf, sizeof(hexkey_buf));
    OPENSSL_cleanse(pass_buf, sizeof(pass_buf));
    o->hexkey = o->key_pass = NULL;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int psk_parse_options(struct psk_options *o, enum psk_role role, int argc,
                      char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    long v;
    int c;

    memset(o, 0, sizeof(*o));
    o->role = role;
    o->prog = slash != NULL ? slash + 1 : argv[0];
    o->host = "127.0.0.1";
    o->port = "4433";
    o->identity = "tpmkit";
    o->digest = "SHA256";
    o->message = "hello from tpmkit-psk-client";
    o->ciphers = DEFAULT_CIPHERS;
    o->timeout = 30;

    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_HOST:
            o->host = optarg;
            break;
        case OPT_PORT:
            o->port = optarg;
            break;
        case OPT_IDENTITY:
            o->identity = optarg;
            break;
        case OPT_KEY_URI:
            o->key_uri = optarg;
            break;
        case OPT_HEXKEY:
            o->hexkey = optarg;
            break;
        case OPT_KEY_PASS:
            o->key_pass = optarg;
            break;
        case OPT_DIGEST:
            o->digest = optarg;
            break;
        case OPT_CIPHERS:
            o->ciphers = optarg;
            break;
        case OPT_SHOW_PSK:
            o->show_psk = 1;
            break;
        case OPT_TLS13:
            o->tls13 = 1;
            break;
        case OPT_MESSAGE:
            if (role != PSK_CLIENT)
                goto bad;
            o->message = optarg;
            break;
        case OPT_COUNT:
            if (role != PSK_SERVER)
                goto bad;
            if (!parse_long(optarg, 0, 1000000, &v)) {
                fprintf(stderr, "%s: --count wants a number >= 0, not '%s'\n",
                        o->prog, optarg);
                return -1;
            }
            o->count = v;
            break;
        case OPT_TIMEOUT:
            if (!parse_long(optarg, 1, 3600, &v)) {
                fprintf(stderr,
                        "%s: --timeout wants 1..3600 seconds, not '%s'\n",
                        o->prog, optarg);
                return -1;
            }
            o->timeout = (int)v;
            break;
        case OPT_HELP:
            usage(o, stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", o->prog,
                argv[optind]);
        goto bad;
    }
    if ((o->key_uri == NULL) == (o->hexkey == NULL)) {
        fprintf(stderr, "%s: give exactly one of --key-uri and --hexkey\n",
                o->prog);
        goto bad;
    }
    if (o->hexkey != NULL
        && (o->hexkey = secret_from(o, "--hexkey", o->hexkey, hexkey_buf,
                                    sizeof(hexkey_buf), 1))
               == NULL)
        return -1;
    if (o->key_pass != NULL
        && (o->key_uri == NULL
            || (o->key_pass = secret_from(o, "--key-pass", o->key_pass,
                                          pass_buf, sizeof(pass_buf), 0))
                   == NULL)) {
        if (o->key_uri == NULL)
            fprintf(stderr, "%s: --key-pass goes with --key-uri\n", o->prog);
        return -1;
    }
    if (strlen(o->identity) == 0 || strlen(o->identity) > 128) {
        fprintf(stderr, "%s: --identity must be 1..128 bytes\n", o->prog);
        return -1;
    }
    if (strchr(o->message, '\n') != NULL) {
        fprintf(stderr, "%s: --message is one line\n", o->prog);
        return -1;
    }
    return 1;

bad:
    usage(o, stderr);
    return -1;
}
