/*
 * A buffered line reader for line-oriented input (JSON Lines import): large block reads, a line
 * returned as a slice of the block when it lies within one (no copy), a hard bound on line length
 * (an overlong line is reported with its number and skipped, not grown into memory).
 */
#ifndef AU_LINES_H
#define AU_LINES_H

#include <stddef.h>

#include "lib/rc.h"

typedef struct au_lines au_lines;

/* Reads fd (not closed by the reader); lines longer than max_line bytes are refused. */
AU_MUST_USE au_rc au_lines_open_fd(int fd, size_t max_line, au_lines **out);
void au_lines_free(au_lines *l);

/* Next line without its LF or CRLF, valid until the next call; *line_no is 1-based. At the end
 * of input *eof = 1. AU_ERR_TOO_LARGE: line *line_no skipped; AU_ERR_IO: fatal. */
AU_MUST_USE au_rc au_lines_next(au_lines *l, const char **line, size_t *len, long *line_no,
                                int *eof, au_err *err);
/* Input bytes consumed so far (for progress). */
size_t au_lines_bytes_read(const au_lines *l);

#endif
