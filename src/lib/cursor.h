/*
 * Change-feed cursors: the opaque position a consumer of GET /v1/changes hands back to resume.
 * A cursor is "c_" followed by 15 lower-case Crockford base32 characters carrying a 64-bit
 * sequence number and one check byte, so it is URL-safe, fixed-length, and a mistyped or
 * truncated cursor is refused (AU_ERR_INVALID, answered as 400) instead of silently resuming
 * from the wrong place. Cursors of the same length sort as their sequences do (the digits are
 * in ASCII order and the sequence is big-endian), which makes them easy to eyeball in logs.
 * Pure functions, no state.
 */
#ifndef AU_CURSOR_H
#define AU_CURSOR_H

#include <stdint.h>

#include "lib/rc.h"

/* Length of an encoded cursor, without the terminating NUL. */
#define AU_CURSOR_LEN 17

/* Writes the cursor for `seq` into out (AU_CURSOR_LEN + 1 bytes, NUL-terminated). Sequence 0
 * is the position before the first change ("from the beginning"). */
void au_cursor_encode(uint64_t seq, char out[AU_CURSOR_LEN + 1]);

/* Decodes a cursor. Anything that au_cursor_encode did not produce (wrong prefix or length,
 * characters outside the alphabet, upper case, non-zero padding bits, bad check byte) gives
 * AU_ERR_INVALID with a message saying which; *seq is then untouched. err may be NULL. */
AU_MUST_USE au_rc au_cursor_decode(const char *s, uint64_t *seq, au_err *err);

#endif
