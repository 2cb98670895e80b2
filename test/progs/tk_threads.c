/* SPDX-License-Identifier: Apache-2.0 */
/* tk_threads THREADS ITERATIONS: every thread draws from its own TPM2-SEED
 * context and from RAND_bytes, all at once. Exit 0 if every draw worked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tk_util.h"

static int iterations;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    EVP_RAND_CTX *ctx = tk_seed_new();
    unsigned char buf[97]; /* two TPM2_GetRandom commands per draw */
    long failures = 0;

    (void)arg;
    /* Release all threads together so they really contend for the TPM. */
    pthread_barrier_wait(&start);
    for (int i = 0; i < iterations; i++) {
        if (!tk_seed_draw(ctx, buf, sizeof(buf))
            || tk_all_zero(buf, sizeof(buf)))
            failures++;
        if (!tk_rand_bytes(buf, 32))
            failures++;
    }
    EVP_RAND_CTX_free(ctx);
    return (void *)failures;
}

int main(int argc, char **argv)
{
    int nthreads = argc == 3 ? atoi(argv[1]) : 0;
    pthread_t tid[64];
    long failures = 0;

    tk_init();
    iterations = argc == 3 ? atoi(argv[2]) : 0;
    if (nthreads < 1 || nthreads > 64 || iterations < 1)
        tk_die("usage: tk_threads THREADS(1..64) ITERATIONS");
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&tid[i], NULL, worker, NULL) != 0)
            tk_die("pthread_create");
    for (int i = 0; i < nthreads; i++) {
        void *ret;

        pthread_join(tid[i], &ret);
        failures += (long)ret;
    }
    printf("%d threads x %d iterations: %ld failed draws\n", nthreads,
           iterations, failures);
    return failures == 0 ? 0 : 1;
}
