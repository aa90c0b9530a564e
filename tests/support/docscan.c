/* Scans of raw store bytes that see into packed documents (docscan.h). */
#include "docscan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

static int plain_holds(const unsigned char *buf, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= n; i++) {
        size_t k = 0;
        while (k < nl && tolower(buf[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nl)
            return 1;
    }
    return 0;
}

/* Whether a zlib header naming the store's dictionary starts at buf[i]: CMF 0x78 (deflate,
 * 32 KiB window), FLG with FDICT and a valid check, then the dictionary's Adler-32. */
static int packed_at(const unsigned char *buf, size_t n, size_t i, uint32_t dictid)
{
    if (i + 6 > n || buf[i] != 0x78 || !(buf[i + 1] & 0x20) || (0x7800u | buf[i + 1]) % 31)
        return 0;
    uint32_t id = (uint32_t)buf[i + 2] << 24 | (uint32_t)buf[i + 3] << 16 |
                  (uint32_t)buf[i + 4] << 8 | buf[i + 5];
    return id == dictid;
}

static uint32_t dict_id(void)
{
    size_t dl;
    const unsigned char *d = au_sqlite_doc_dict(&dl);
    return (uint32_t)adler32(adler32(0, NULL, 0), d, (uInt)dl);
}

size_t au_test_packed_docs(const unsigned char *buf, size_t n)
{
    uint32_t id = dict_id();
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += packed_at(buf, n, i, id);
    return count;
}

int au_test_bytes_hold(const unsigned char *buf, size_t n, const char *needle)
{
    if (plain_holds(buf, n, needle))
        return 1;
    uint32_t id = dict_id();
    for (size_t i = 0; i < n; i++) {
        if (!packed_at(buf, n, i, id))
            continue;
        size_t len = 0;
        char *text = au_sqlite_doc_unpack(buf + i, n - i, 1, &len);
        int found = text && plain_holds((const unsigned char *)text, len, needle);
        au_free(text);
        if (found)
            return 1;
    }
    return 0;
}

int au_test_file_holds(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    fclose(f);
    int found = buf && au_test_bytes_hold(buf, got, needle);
    free(buf);
    return found;
}
