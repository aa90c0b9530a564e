/*
 * Replays every file of fuzz/corpus/expr/ through the same entry point as the libFuzzer target, so
 * inputs that once crashed or were interesting stay covered by `make test` (with ASan/UBSan in
 * the sanitizer build) without needing clang's fuzzer runtime.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>

#include "../../../fuzz/flows_fuzz.h"

Test(fuzz_corpus, replays_every_input_without_crashing)
{
    DIR *d = opendir("fuzz/corpus/expr");
    cr_assert_not_null(d, "run from the repository root");
    struct dirent *de;
    int n = 0;
    static uint8_t buf[1 << 16];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), "fuzz/corpus/expr/%s", de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        flows_fuzz_one(buf, len);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 10, "the seed corpus is there (%d files)", n);
}
