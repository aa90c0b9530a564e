/*
 * CSV reader: a byte-level state machine over a block buffer, writing field bytes into one row
 * buffer (fields are NUL-separated slices of it). The unquoted-field case, by far the most
 * common, is a tight copy loop; quotes, separators and line ends switch state.
 */
#include "lib/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"

#define AU_CSV_BLOCK (1 << 20)

typedef enum { ST_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE } csv_state;

struct au_csv {
    au_csv_opts o;
    int fd;          /* -1 when reading from memory */
    const char *mem; /* memory input, or the block buffer */
    char *block;     /* owned block buffer for fd input */
    size_t len, pos; /* bytes in the current block, next byte to read */
    size_t consumed; /* bytes of input consumed before the current block */
    int at_eof;      /* the source has no more bytes */
    int started;     /* BOM check done */
    int skip_lf;     /* a CR ended the last row: a following LF belongs to it */
    long line;       /* current line, 1-based */
    char *rec;       /* row buffer: fields separated by NULs, max_record + fields bytes */
    size_t rec_cap;  /* bytes allocated for rec */
    const char **fields;
    size_t *lens;
    size_t *starts; /* start offset in rec of each field */
    char **header;  /* owned names, or NULL before au_csv_read_header */
    size_t nheader;
};

void au_csv_opts_default(au_csv_opts *o)
{
    o->sep = ',';
    o->trim_leading = 1;
    o->max_field = 64 * 1024;
    o->max_record = 1024 * 1024;
    o->max_fields = 1024;
}

static au_rc csv_new(const au_csv_opts *opts, au_csv **out)
{
    au_csv *c = au_calloc(1, sizeof *c);
    if (!c)
        return AU_ERR_NOMEM;
    if (opts)
        c->o = *opts;
    else
        au_csv_opts_default(&c->o);
    c->line = 1;
    c->fd = -1;
    c->rec_cap = c->o.max_record + c->o.max_fields + 1;
    c->rec = au_malloc(c->rec_cap);
    c->fields = au_calloc(c->o.max_fields, sizeof(char *));
    c->lens = au_calloc(c->o.max_fields, sizeof(size_t));
    c->starts = au_calloc(c->o.max_fields + 1, sizeof(size_t));
    if (!c->rec || !c->fields || !c->lens || !c->starts) {
        au_csv_free(c);
        return AU_ERR_NOMEM;
    }
    *out = c;
    return AU_OK;
}

au_rc au_csv_open_fd(int fd, const au_csv_opts *opts, au_csv **out)
{
    au_csv *c = NULL;
    au_rc rc = csv_new(opts, &c);
    if (rc)
        return rc;
    c->fd = fd;
    if (!(c->block = au_malloc(AU_CSV_BLOCK))) {
        au_csv_free(c);
        return AU_ERR_NOMEM;
    }
    c->mem = c->block;
    *out = c;
    return AU_OK;
}

au_rc au_csv_open_mem(const char *data, size_t len, const au_csv_opts *opts, au_csv **out)
{
    au_csv *c = NULL;
    au_rc rc = csv_new(opts, &c);
    if (rc)
        return rc;
    c->mem = data;
    c->len = len;
    c->at_eof = 1;
    *out = c;
    return AU_OK;
}

void au_csv_free(au_csv *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nheader; i++)
        au_free(c->header[i]);
    au_free(c->header);
    au_free(c->block);
    au_free(c->rec);
    au_free(c->fields);
    au_free(c->lens);
    au_free(c->starts);
    au_free(c);
}

size_t au_csv_bytes_read(const au_csv *c)
{
    return c->consumed + c->pos;
}

/* Refills the block; returns AU_OK with len == pos at end of input. */
static au_rc refill(au_csv *c, au_err *err)
{
    if (c->at_eof)
        return AU_OK;
    c->consumed += c->len;
    c->pos = c->len = 0;
    for (;;) {
        ssize_t n = read(c->fd, c->block, AU_CSV_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return au_err_set(err, AU_ERR_IO, "read: %s", strerror(errno));
        if (n == 0)
            c->at_eof = 1;
        c->len = (size_t)n;
        return AU_OK;
    }
}

/* State of the row being read. */
typedef struct row_state {
    size_t used;    /* bytes in rec */
    size_t nfields; /* fields completed */
    size_t fstart;  /* rec offset of the current field */
    int any;        /* anything but a line end seen in this row */
    int too_large;  /* a bound was exceeded: the row is consumed, then refused */
    csv_state st;
} row_state;

static void end_field(au_csv *c, row_state *r)
{
    if (r->too_large)
        return;
    if (r->nfields >= c->o.max_fields || r->used - r->fstart > c->o.max_field) {
        r->too_large = 1;
        return;
    }
    c->starts[r->nfields] = r->fstart;
    c->lens[r->nfields] = r->used - r->fstart;
    c->rec[r->used++] = 0;
    r->nfields++;
    r->fstart = r->used;
}

static void finish_row(au_csv *c, row_state *r, au_csv_row *row)
{
    for (size_t i = 0; i < r->nfields; i++)
        c->fields[i] = c->rec + c->starts[i];
    row->nfields = r->nfields;
    row->fields = c->fields;
    row->lens = c->lens;
}

/* Appends one byte to the current field unless a bound is exceeded. */
static inline void put(au_csv *c, row_state *r, char ch)
{
    if (r->used < c->o.max_record && r->used - r->fstart < c->o.max_field)
        c->rec[r->used++] = ch;
    else
        r->too_large = 1;
}

/* Consumes bytes of the current block; returns 1 when the row ended (line end consumed). */
static int scan(au_csv *c, row_state *r)
{
    const char *p = c->mem;
    size_t i = c->pos, n = c->len;
    const char sep = c->o.sep;
    while (i < n) {
        char ch = p[i];
        if (c->skip_lf) {
            c->skip_lf = 0;
            if (ch == '\n') {
                i++;
                continue;
            }
        }
        switch (r->st) {
        case ST_START:
            if ((ch == ' ' || ch == '\t') && c->o.trim_leading) {
                i++;
                r->any = 1;
                continue;
            }
            if (ch == '"') {
                r->st = ST_QUOTED;
                r->any = 1;
                i++;
                continue;
            }
            r->st = ST_UNQUOTED;
            /* fall through */
        case ST_UNQUOTED: {
            /* Tight loop over ordinary bytes. */
            size_t room = c->o.max_record - r->used;
            char *dst = c->rec + r->used;
            size_t k = 0;
            while (i < n && k < room) {
                ch = p[i];
                if (ch == sep || ch == '\n' || ch == '\r')
                    break;
                dst[k++] = ch;
                i++;
            }
            r->used += k;
            if (k)
                r->any = 1;
            if (i >= n)
                break;
            ch = p[i];
            if (k == room && ch != sep && ch != '\n' && ch != '\r') {
                r->too_large = 1; /* keep consuming the row without storing it */
                i++;
                continue;
            }
            i++;
            if (ch == sep) {
                r->any = 1;
                end_field(c, r);
                r->st = ST_START;
                continue;
            }
            c->line++;
            c->skip_lf = ch == '\r';
            end_field(c, r);
            c->pos = i;
            return 1;
        }
        case ST_QUOTED:
            i++;
            if (ch == '"') {
                r->st = ST_QUOTE;
                continue;
            }
            if (ch == '\n')
                c->line++;
            put(c, r, ch);
            continue;
        case ST_QUOTE:
            i++;
            if (ch == '"') {
                put(c, r, '"');
                r->st = ST_QUOTED;
            } else if (ch == sep) {
                end_field(c, r);
                r->st = ST_START;
            } else if (ch == '\n' || ch == '\r') {
                c->line++;
                c->skip_lf = ch == '\r';
                end_field(c, r);
                c->pos = i;
                return 1;
            } else if (ch != ' ' && ch != '\t') {
                /* Lenient: text after a closing quote continues the field. */
                put(c, r, ch);
                r->st = ST_UNQUOTED;
            }
            continue;
        }
    }
    c->pos = i;
    return 0;
}

static void skip_bom(au_csv *c)
{
    if (c->len - c->pos >= 3 && memcmp(c->mem + c->pos, "\xEF\xBB\xBF", 3) == 0)
        c->pos += 3;
}

au_rc au_csv_next(au_csv *c, au_csv_row *row, au_err *err)
{
    row_state r = {0};
    au_rc rc = AU_OK;
    memset(row, 0, sizeof *row);
    if (!c->started && c->pos < c->len) {
        c->started = 1;
        skip_bom(c);
    }
    for (;;) {
        long start_line = c->line;
        memset(&r, 0, sizeof r);
        int ended = 0;
        while (!ended) {
            if (c->pos >= c->len) {
                if ((rc = refill(c, err)))
                    return rc;
                if (!c->started) {
                    c->started = 1;
                    skip_bom(c);
                }
                if (c->pos >= c->len)
                    break;
            }
            ended = scan(c, &r);
        }
        row->line = start_line;
        if (!ended && r.st == ST_QUOTED) {
            c->pos = c->len; /* nothing more to read */
            return au_err_set(err, AU_ERR_PARSE,
                              "line %ld: quoted field not closed before the end of input",
                              start_line);
        }
        if (!ended) {
            if (!r.any && r.used == 0) {
                row->eof = 1;
                return AU_OK;
            }
            end_field(c, &r);
        }
        if (r.too_large)
            return au_err_set(err, AU_ERR_TOO_LARGE,
                              "line %ld: row exceeds the bounds (%zu bytes per field, %zu per row, "
                              "%zu fields)",
                              start_line, c->o.max_field, c->o.max_record, c->o.max_fields);
        if (!r.any && r.nfields == 1 && r.used == 1)
            continue; /* blank line */
        finish_row(c, &r, row);
        return AU_OK;
    }
}

static void trim_copy(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
}

au_rc au_csv_read_header(au_csv *c, au_err *err)
{
    au_csv_row row;
    au_rc rc = au_csv_next(c, &row, err);
    if (rc)
        return rc;
    if (row.eof)
        return au_err_set(err, AU_ERR_PARSE, "empty input: no header row");
    c->header = au_calloc(row.nfields, sizeof(char *));
    if (!c->header)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < row.nfields; i++) {
        if (!(c->header[i] = au_strdup(row.fields[i])))
            return AU_ERR_NOMEM;
        c->nheader = i + 1;
        trim_copy(c->header[i]);
        if (!c->header[i][0])
            return au_err_set(err, AU_ERR_PARSE, "line %ld: header field %zu is empty", row.line,
                              i + 1);
    }
    return AU_OK;
}

size_t au_csv_header_count(const au_csv *c)
{
    return c->nheader;
}

const char *au_csv_header_name(const au_csv *c, size_t i)
{
    return i < c->nheader ? c->header[i] : NULL;
}

au_rc au_csv_next_record(au_csv *c, au_csv_row *row, au_err *err)
{
    au_rc rc = au_csv_next(c, row, err);
    if (rc || row->eof)
        return rc;
    if (row->nfields != c->nheader)
        return au_err_set(err, AU_ERR_INVALID, "line %ld: %zu fields, the header has %zu",
                          row->line, row->nfields, c->nheader);
    return AU_OK;
}

au_rc au_csv_each(const char *path, const char *who, au_csv_header_fn header,
                  au_csv_record_fn record, void *ctx, au_err *err)
{
    au_csv *c = NULL;
    au_rc rc = AU_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    if ((rc = au_csv_open_fd(fd, NULL, &c)) || (rc = au_csv_read_header(c, err)))
        goto out;
    if (header && (rc = header(ctx, c, err)))
        goto out;
    for (;;) {
        au_csv_row row;
        au_err bad;
        au_err_init(&bad);
        rc = au_csv_next_record(c, &row, &bad);
        if (rc == AU_ERR_IO) {
            au_err_set(err, rc, "%s: %s", path, bad.message);
            au_err_cleanup(&bad);
            goto out;
        }
        if (rc) {
            fprintf(stderr, "%s: %s: %s (skipped)\n", who, path, bad.message);
            au_err_cleanup(&bad);
            continue;
        }
        au_err_cleanup(&bad);
        if (row.eof)
            break;
        if ((rc = record(ctx, &row, err)))
            goto out;
    }
    rc = AU_OK;
out:
    au_csv_free(c);
    close(fd);
    return rc;
}

void au_csv_write_field(FILE *f, const char *s)
{
    int formula = strchr("=+-@\t\r", *s) != NULL && *s;
    if (!strpbrk(s, ",\"\r\n")) {
        if (formula)
            fputc('\'', f);
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
