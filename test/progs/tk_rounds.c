/* SPDX-License-Identifier: Apache-2.0 */
/* tk_rounds: a long-running process. For every line read on stdin it draws
 * from one TPM2-SEED context (kept across rounds) and from RAND_bytes, and
 * answers "ok <hex>" or "FAIL", so the caller can restart or reset the TPM
 * between rounds. Exits at end of input. */
#include <stdio.h>

#include "tk_util.h"

int main(void)
{
    EVP_RAND_CTX *ctx;
    unsigned char buf[48], drbg[16];
    char line[256];

    tk_init();
    ctx = tk_seed_new();
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (tk_seed_draw(ctx, buf, sizeof(buf))
            && !tk_all_zero(buf, sizeof(buf))
            && tk_rand_bytes(drbg, sizeof(drbg))) {
            printf("ok ");
            tk_print_hex(buf, sizeof(buf));
        } else {
            printf("FAIL\n");
        }
    }
    EVP_RAND_CTX_free(ctx);
    return 0;
}
