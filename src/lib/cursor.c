/*
 * Cursor encoding. 9 bytes (big-endian sequence + check byte) are 72 bits; 15 base32 digits hold
 * 75, so the last digit carries 3 padding bits that must be zero: otherwise two strings would
 * decode to the same cursor and the encoding would not be canonical. The check byte is a CRC-8
 * of the sequence: a CRC of degree 8 detects every error burst of up to 8 bits, and changing one
 * base32 digit flips at most 5 adjacent bits, so every single mistyped digit is caught.
 */
#include "lib/cursor.h"

#include <string.h>

#define CURSOR_DIGITS 15
#define CURSOR_BYTES  9

/* Crockford's alphabet without i, l, o, u: no digits that read alike. */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static uint8_t check_byte(const uint8_t seq_be[8])
{
    uint8_t crc = 0; /* CRC-8, polynomial x^8 + x^2 + x + 1 */
    for (int i = 0; i < 8; i++) {
        crc ^= seq_be[i];
        for (int b = 0; b < 8; b++)
            crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
    }
    return crc;
}

static int digit_value(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

void au_cursor_encode(uint64_t seq, char out[AU_CURSOR_LEN + 1])
{
    uint8_t bytes[CURSOR_BYTES];
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)(seq >> (56 - 8 * i));
    bytes[8] = check_byte(bytes);
    out[0] = 'c';
    out[1] = '_';
    unsigned acc = 0, nbits = 0;
    size_t o = 2;
    for (int i = 0; i < CURSOR_BYTES; i++) {
        acc = (acc << 8) | bytes[i];
        nbits += 8;
        while (nbits >= 5) {
            nbits -= 5;
            out[o++] = alphabet[(acc >> nbits) & 31];
        }
    }
    out[o++] = alphabet[(acc << (5 - nbits)) & 31];
    out[o] = '\0';
}

au_rc au_cursor_decode(const char *s, uint64_t *seq, au_err *err)
{
    if (!s || strncmp(s, "c_", 2) != 0)
        return au_err_set(err, AU_ERR_INVALID, "malformed cursor: must start with \"c_\"");
    if (strlen(s) != AU_CURSOR_LEN)
        return au_err_set(err, AU_ERR_INVALID, "malformed cursor: must be %d characters long",
                          AU_CURSOR_LEN);
    uint8_t bytes[CURSOR_BYTES];
    unsigned acc = 0, nbits = 0;
    size_t nb = 0;
    for (int i = 0; i < CURSOR_DIGITS; i++) {
        int v = digit_value(s[2 + i]);
        if (v < 0)
            return au_err_set(err, AU_ERR_INVALID,
                              "malformed cursor: character %d is not a cursor digit", 3 + i);
        acc = (acc << 5) | (unsigned)v;
        nbits += 5;
        if (nbits >= 8) {
            nbits -= 8;
            bytes[nb++] = (uint8_t)(acc >> nbits);
        }
    }
    if (acc & ((1u << nbits) - 1))
        return au_err_set(err, AU_ERR_INVALID, "malformed cursor: non-canonical last character");
    if (check_byte(bytes) != bytes[8])
        return au_err_set(err, AU_ERR_INVALID, "malformed cursor: check digit mismatch");
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | bytes[i];
    *seq = v;
    return AU_OK;
}
