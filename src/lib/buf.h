/*
 * A growable byte buffer with a hard upper bound, so hostile input cannot grow it without limit
 * (the bound is checked on every append). Always NUL-terminated for convenient use as a string.
 * Caller-allocated: au_buf_init / au_buf_cleanup.
 */
#ifndef AU_BUF_H
#define AU_BUF_H

#include <stddef.h>

#include "lib/rc.h"

typedef struct au_buf {
    char *data;   /* owned, NUL-terminated when len > 0 or after any append; may be NULL */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t cap;   /* bytes allocated */
    size_t limit; /* appends that would make len exceed this fail with AU_ERR_TOO_LARGE */
} au_buf;

void au_buf_init(au_buf *b, size_t limit);
void au_buf_cleanup(au_buf *b);
void au_buf_reset(au_buf *b);
/* Makes room for `extra` more bytes (plus the terminator) so callers may write into
 * data + len directly; AU_ERR_TOO_LARGE past the limit. */
AU_MUST_USE au_rc au_buf_reserve(au_buf *b, size_t extra);
AU_MUST_USE au_rc au_buf_append(au_buf *b, const void *data, size_t n);
AU_MUST_USE au_rc au_buf_puts(au_buf *b, const char *s);
AU_MUST_USE au_rc au_buf_putc(au_buf *b, char c);
AU_MUST_USE au_rc au_buf_printf(au_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data over to the caller (who frees it with au_free) and resets the buffer. */
char *au_buf_steal(au_buf *b);

#endif
