/*
 * Line reader: memchr over a 1 MiB block; a line that straddles two blocks is assembled in a
 * bounded buffer.
 */
#include "lib/lines.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/buf.h"

#define AU_LINES_BLOCK (1 << 20)

struct au_lines {
    int fd;          /* input, borrowed */
    char *block;     /* owned block buffer */
    size_t len, pos; /* bytes in block, next unread byte */
    size_t consumed; /* bytes before the current block */
    int at_eof;      /* read() returned 0 */
    long line;       /* number of the last line returned */
    au_buf part;     /* a line spanning blocks, bounded by max_line */
    int skipping;    /* an overlong line is being skipped */
};

au_rc au_lines_open_fd(int fd, size_t max_line, au_lines **out)
{
    au_lines *l = au_calloc(1, sizeof *l);
    if (!l || !(l->block = au_malloc(AU_LINES_BLOCK))) {
        au_free(l);
        return AU_ERR_NOMEM;
    }
    l->fd = fd;
    au_buf_init(&l->part, max_line);
    *out = l;
    return AU_OK;
}

void au_lines_free(au_lines *l)
{
    if (!l)
        return;
    au_buf_cleanup(&l->part);
    au_free(l->block);
    au_free(l);
}

size_t au_lines_bytes_read(const au_lines *l)
{
    return l->consumed + l->pos;
}

static au_rc refill(au_lines *l, au_err *err)
{
    l->consumed += l->len;
    l->pos = l->len = 0;
    for (;;) {
        ssize_t n = read(l->fd, l->block, AU_LINES_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return au_err_set(err, AU_ERR_IO, "read: %s", strerror(errno));
        if (n == 0)
            l->at_eof = 1;
        l->len = (size_t)n;
        return AU_OK;
    }
}

static void strip_cr(const char *s, size_t *len)
{
    if (*len && s[*len - 1] == '\r')
        (*len)--;
}

au_rc au_lines_next(au_lines *l, const char **line, size_t *len, long *line_no, int *eof,
                    au_err *err)
{
    au_rc rc;
    *eof = 0;
    au_buf_reset(&l->part);
    l->skipping = 0;
    for (;;) {
        if (l->pos >= l->len) {
            if (!l->at_eof && (rc = refill(l, err)))
                return rc;
            if (l->pos >= l->len) {
                if (!l->part.len && !l->skipping) {
                    *eof = 1;
                    return AU_OK;
                }
                break; /* last line without a line end */
            }
        }
        const char *s = l->block + l->pos;
        size_t avail = l->len - l->pos;
        const char *nl = memchr(s, '\n', avail);
        size_t n = nl ? (size_t)(nl - s) : avail;
        l->pos += nl ? n + 1 : n;
        if (nl && !l->part.len && !l->skipping && n <= l->part.limit) {
            *line = s;
            *len = n;
            strip_cr(s, len);
            *line_no = ++l->line;
            return AU_OK;
        }
        if (!l->skipping && au_buf_append(&l->part, s, n) == AU_ERR_TOO_LARGE)
            l->skipping = 1;
        if (nl)
            break;
    }
    *line_no = ++l->line;
    if (l->skipping)
        return au_err_set(err, AU_ERR_TOO_LARGE, "line %ld: longer than %zu bytes", l->line,
                          l->part.limit);
    *line = l->part.data ? l->part.data : "";
    *len = l->part.len;
    strip_cr(*line, len);
    return AU_OK;
}
