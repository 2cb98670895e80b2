/* SPDX-License-Identifier: Apache-2.0 */
/* Replays fuzz inputs (files, or every file in a directory) through the
 * fuzz target without libFuzzer: the seed corpus as a regression test in
 * every build, and a way to rerun a crash found by the fuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return 0;
    }
    data = malloc(len > 0 ? (size_t)len : 1);
    if (data == NULL || fread(data, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(data);
        fclose(f);
        return 0;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)len);
    free(data);
    return 1;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    DIR *dir;
    struct dirent *e;
    int ok = 1;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: not found\n", path);
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    if ((dir = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(dir)) != NULL) {
        char sub[4096];

        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        ok &= run_path(sub, count);
    }
    closedir(dir);
    return ok;
}

int main(int argc, char **argv)
{
    int i, ok = 1, count = 0;

    for (i = 1; i < argc; i++)
        ok &= run_path(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return ok && count > 0 ? 0 : 1;
}
