/*
 * libFuzzer harness of the change-feed and timeline cursors: any text must decode or be
 * refused, and whatever decodes must encode back to a cursor that decodes to the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[128], again[AU_CURSOR_LEN + 1];
    uint64_t seq, seq2;
    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (au_cursor_decode(text, &seq, NULL) != AU_OK)
        return 0;
    au_cursor_encode(seq, again);
    if (au_cursor_decode(again, &seq2, NULL) != AU_OK || seq2 != seq)
        abort(); /* a cursor the server hands out must come back as the same position */
    return 0;
}
