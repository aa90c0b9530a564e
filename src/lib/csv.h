/*
 * A streaming RFC 4180 CSV reader for batch import: quoted fields with "" escapes and embedded
 * newlines, CRLF or LF line ends, a leading UTF-8 BOM, and (an option, on by default) white space
 * after a separator trimmed so FEBRL's ", " separators read as plain commas. Input is read in
 * large blocks; a row's fields are NUL-terminated slices into one reusable buffer, so reading
 * allocates nothing per field. Every row and field has a hard size bound: an oversized or ragged
 * row is reported for that row (with its line) and skipped, reading continues.
 */
#ifndef AU_CSV_H
#define AU_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "lib/rc.h"

typedef struct au_csv au_csv;

typedef struct au_csv_opts {
    char sep;          /* field separator, ',' by default */
    int trim_leading;  /* drop spaces/tabs after a separator outside quotes (default 1) */
    size_t max_field;  /* longest field in bytes (default 64 KiB) */
    size_t max_record; /* longest row in bytes (default 1 MiB) */
    size_t max_fields; /* most fields in a row (default 1024) */
} au_csv_opts;

/* The defaults described above. */
void au_csv_opts_default(au_csv_opts *o);

/* One row: valid until the next au_csv_next call. */
typedef struct au_csv_row {
    size_t nfields;      /* number of fields */
    const char **fields; /* NUL-terminated field values, borrowed from the reader */
    const size_t *lens;  /* field lengths (a field may contain NUL bytes from the input) */
    long line;           /* line number (1-based) where the row starts */
    int eof;             /* 1 when there are no more rows (the other members are then unset) */
} au_csv_row;

/* Reads from fd (not closed by the reader). opts NULL = defaults. Caller frees. */
AU_MUST_USE au_rc au_csv_open_fd(int fd, const au_csv_opts *opts, au_csv **out);
/* Reads from memory (borrowed; must outlive the reader). */
AU_MUST_USE au_rc au_csv_open_mem(const char *data, size_t len, const au_csv_opts *opts,
                                  au_csv **out);
void au_csv_free(au_csv *c);

/* Next row. On AU_ERR_TOO_LARGE (a bound exceeded) or AU_ERR_PARSE (unterminated quote at the end
 * of input) err names the line; the row is skipped and the next call continues after it.
 * AU_ERR_IO is fatal. */
AU_MUST_USE au_rc au_csv_next(au_csv *c, au_csv_row *row, au_err *err);

/* Reads the first row as the header: the field names every later row is checked against
 * (au_csv_next_record). Names are copied and trimmed. */
AU_MUST_USE au_rc au_csv_read_header(au_csv *c, au_err *err);
size_t au_csv_header_count(const au_csv *c);
const char *au_csv_header_name(const au_csv *c, size_t i);
/* au_csv_next, plus AU_ERR_INVALID when the row has not as many fields as the header
 * (a ragged row: reported, skipped). Blank lines are skipped. */
AU_MUST_USE au_rc au_csv_next_record(au_csv *c, au_csv_row *row, au_err *err);

/* Called once after the header (to find columns or refuse the file) and then for each record. */
typedef au_rc (*au_csv_header_fn)(void *ctx, const au_csv *c, au_err *err);
typedef au_rc (*au_csv_record_fn)(void *ctx, const au_csv_row *row, au_err *err);
/* Reads the CSV file at `path` with a header row: header(ctx) once (may be NULL), then
 * record(ctx) for every well-formed record. A malformed record is reported on stderr, prefixed
 * by `who`, and skipped. Returns AU_OK, the first error a callback returned, or the file's I/O
 * error; err holds the message. For small side files (truth sets, labels), not bulk import. */
AU_MUST_USE au_rc au_csv_each(const char *path, const char *who, au_csv_header_fn header,
                              au_csv_record_fn record, void *ctx, au_err *err);

/* Input bytes consumed so far (for progress). */
size_t au_csv_bytes_read(const au_csv *c);

/* Writes one CSV field for output: quoted when it holds a separator, quote or line break, and
 * prefixed with ' when it starts with =, +, -, @, tab or carriage return, so a spreadsheet
 * opening the file shows the text instead of evaluating a formula (CSV injection). */
void au_csv_write_field(FILE *f, const char *s);

#endif
