/*
 * libFuzzer harness of the YAML configuration: the whole loader (libyaml document, aliases and
 * merge keys, the option table, the sources and their definitions) on a file made of the input.
 * Flow definitions in YAML are fuzzed by expr_fuzz (mode 3).
 */
#include <stdio.h>

#include "core/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    char path[64];
    au_config *cfg = NULL;
    au_err err;
    if (fd < 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    au_err_init(&err);
    if (au_config_load(path, &cfg, &err) == AU_OK)
        au_config_free(cfg);
    au_err_cleanup(&err);
    close(fd);
    return 0;
}
