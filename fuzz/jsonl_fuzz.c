/*
 * libFuzzer harness of the JSON Lines reader (aurum import of .jsonl, x-ndjson bodies): the
 * line reader over a descriptor with a small line bound, each line parsed as JSON.
 */
#include <jansson.h>

#include "fuzz.h"
#include "lib/lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    au_lines *l = NULL;
    if (fd < 0)
        return 0;
    if (au_lines_open_fd(fd, 512, &l) == AU_OK) {
        const char *line;
        size_t len;
        long no;
        int eof = 0;
        au_err err;
        au_err_init(&err);
        while (!eof) {
            au_rc rc = au_lines_next(l, &line, &len, &no, &eof, &err);
            if (rc == AU_ERR_IO)
                break;
            if (rc == AU_OK && !eof)
                json_decref(json_loadb(line, len, 0, NULL));
        }
        au_err_cleanup(&err);
        au_lines_free(l);
    }
    close(fd);
    return 0;
}
