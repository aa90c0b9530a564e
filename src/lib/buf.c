/*
 * Bounded growable buffer. Growth doubles to keep appends amortised O(1).
 */
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"

void au_buf_init(au_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void au_buf_cleanup(au_buf *b)
{
    au_free(b->data);
    au_buf_init(b, b->limit);
}

void au_buf_reset(au_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

au_rc au_buf_reserve(au_buf *b, size_t extra)
{
    if (extra > b->limit || b->len > b->limit - extra)
        return AU_ERR_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return AU_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *d = au_realloc(b->data, cap);
    if (!d)
        return AU_ERR_NOMEM;
    b->data = d;
    b->cap = cap;
    return AU_OK;
}

au_rc au_buf_append(au_buf *b, const void *data, size_t n)
{
    au_rc rc = au_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return AU_OK;
}

au_rc au_buf_puts(au_buf *b, const char *s)
{
    return au_buf_append(b, s, strlen(s));
}

au_rc au_buf_putc(au_buf *b, char c)
{
    return au_buf_append(b, &c, 1);
}

au_rc au_buf_printf(au_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return AU_ERR_INTERNAL;
    au_rc rc = au_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return AU_OK;
}

char *au_buf_steal(au_buf *b)
{
    char *d = b->data;
    if (!d)
        d = au_strdup("");
    au_buf_init(b, b->limit);
    return d;
}
