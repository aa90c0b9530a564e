/*
 * Unit tests for the CSV reader and the line reader: quoting, escapes, embedded newlines, BOM,
 * FEBRL's ", " separators, CRLF, ragged and oversized rows, reading through a real fd.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/csv.h"
#include "lib/lines.h"
#include "lib/rc.h"

static au_csv *open_str(const char *s, const au_csv_opts *o)
{
    au_csv *c = NULL;
    cr_assert_eq(au_csv_open_mem(s, strlen(s), o, &c), AU_OK);
    return c;
}

static void expect_row(au_csv *c, long line, size_t n, const char *const *want)
{
    au_csv_row row;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_next(c, &row, &err), AU_OK, "%s", err.message);
    cr_assert_not(row.eof);
    cr_assert_eq(row.line, line, "line %ld, want %ld", row.line, line);
    cr_assert_eq(row.nfields, n, "%zu fields, want %zu", row.nfields, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(row.fields[i], want[i]);
    au_err_cleanup(&err);
}

static void expect_eof(au_csv *c)
{
    au_csv_row row;
    cr_assert_eq(au_csv_next(c, &row, NULL), AU_OK);
    cr_assert(row.eof);
}

Test(csv, quotes_escapes_and_embedded_newlines)
{
    au_csv *c =
        open_str("a,\"b,c\",\"say \"\"hi\"\"\"\n\"multi\nline\",x,\"\"\nlast,row,end", NULL);
    expect_row(c, 1, 3, (const char *[]){"a", "b,c", "say \"hi\""});
    expect_row(c, 2, 3, (const char *[]){"multi\nline", "x", ""});
    expect_row(c, 4, 3, (const char *[]){"last", "row", "end"});
    expect_eof(c);
    au_csv_free(c);
}

Test(csv, bom_crlf_and_febrl_separators)
{
    au_csv *c = open_str("\xEF\xBB\xBFrec_id, given_name, surname\r\n"
                         "rec-1, , waller\r\n\r\nrec-2, lachlan,berry\r\n",
                         NULL);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    cr_assert_eq(au_csv_header_count(c), 3);
    cr_assert_str_eq(au_csv_header_name(c, 0), "rec_id", "the BOM is not part of the name");
    cr_assert_str_eq(au_csv_header_name(c, 1), "given_name");
    expect_row(c, 2, 3, (const char *[]){"rec-1", "", "waller"});
    expect_row(c, 4, 3, (const char *[]){"rec-2", "lachlan", "berry"});
    expect_eof(c);
    au_csv_free(c);
    au_err_cleanup(&err);
}

Test(csv, trimming_can_be_turned_off)
{
    au_csv_opts o;
    au_csv_opts_default(&o);
    o.trim_leading = 0;
    o.sep = ';';
    au_csv *c = open_str("a; b;\" c\"\n", &o);
    expect_row(c, 1, 3, (const char *[]){"a", " b", " c"});
    au_csv_free(c);
}

Test(csv, ragged_row_is_reported_and_skipped)
{
    au_csv *c = open_str("a,b,c\n1,2,3\n4,5\n6,7,8\n", NULL);
    au_err err;
    au_err_init(&err);
    au_csv_row row;
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK);
    cr_assert_str_eq(row.fields[2], "3");
    cr_assert_eq(au_csv_next_record(c, &row, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "line 3"), "%s", err.message);
    cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK);
    cr_assert_str_eq(row.fields[0], "6");
    cr_assert_eq(row.line, 4);
    cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK);
    cr_assert(row.eof);
    au_csv_free(c);
    au_err_cleanup(&err);
}

Test(csv, oversize_field_is_an_error_for_that_row_only)
{
    au_csv_opts o;
    au_csv_opts_default(&o);
    o.max_field = 8;
    o.max_record = 16;
    au_csv *c = open_str("ok,1\n0123456789abcdefghijklmnop,2\n\"0123456789\",3\nfine,4\n", &o);
    au_err err;
    au_err_init(&err);
    au_csv_row row;
    expect_row(c, 1, 2, (const char *[]){"ok", "1"});
    cr_assert_eq(au_csv_next(c, &row, &err), AU_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "line 2"), "%s", err.message);
    cr_assert_eq(au_csv_next(c, &row, &err), AU_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "line 3"), "%s", err.message);
    expect_row(c, 4, 2, (const char *[]){"fine", "4"});
    expect_eof(c);
    au_csv_free(c);
    au_err_cleanup(&err);
}

Test(csv, unterminated_quote_at_end_is_a_parse_error)
{
    au_csv *c = open_str("a,b\n\"open,x\n", NULL);
    au_err err;
    au_err_init(&err);
    au_csv_row row;
    expect_row(c, 1, 2, (const char *[]){"a", "b"});
    cr_assert_eq(au_csv_next(c, &row, &err), AU_ERR_PARSE);
    cr_assert(strstr(err.message, "line 2"), "%s", err.message);
    expect_eof(c);
    au_csv_free(c);
    au_err_cleanup(&err);
}

/* Rows written through a pipe arrive in small reads: state must survive block boundaries. */
Test(csv, reads_from_a_file_descriptor_across_blocks)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    fputs("id,note\n", f);
    for (int i = 0; i < 50000; i++)
        fprintf(f, "%d,\"quoted, \"\"%d\"\"\nsecond line\"\r\n", i, i);
    fflush(f);
    long size = ftell(f);
    rewind(f);
    au_csv *c = NULL;
    cr_assert_eq(au_csv_open_fd(fileno(f), NULL, &c), AU_OK);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    au_csv_row row;
    char want[64];
    for (int i = 0; i < 50000; i++) {
        cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK, "%s", err.message);
        cr_assert_not(row.eof);
        snprintf(want, sizeof want, "quoted, \"%d\"\nsecond line", i);
        cr_assert_str_eq(row.fields[1], want);
        cr_assert_eq(row.line, 2 + 2L * i);
    }
    cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK);
    cr_assert(row.eof);
    cr_assert_eq(au_csv_bytes_read(c), (size_t)size);
    au_csv_free(c);
    au_err_cleanup(&err);
    fclose(f);
}

Test(lines, splits_lines_and_bounds_their_length)
{
    FILE *f = tmpfile();
    fputs("{\"a\":1}\r\n", f);
    for (int i = 0; i < 100; i++)
        fputc('x', f);
    fputs("\n\nlast", f);
    fflush(f);
    rewind(f);
    au_lines *l = NULL;
    cr_assert_eq(au_lines_open_fd(fileno(f), 50, &l), AU_OK);
    const char *s;
    size_t n;
    long no;
    int eof;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_lines_next(l, &s, &n, &no, &eof, &err), AU_OK);
    cr_assert_eq(n, 7);
    cr_assert_eq(memcmp(s, "{\"a\":1}", 7), 0);
    cr_assert_eq(au_lines_next(l, &s, &n, &no, &eof, &err), AU_ERR_TOO_LARGE);
    cr_assert_eq(no, 2);
    cr_assert_eq(au_lines_next(l, &s, &n, &no, &eof, &err), AU_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(au_lines_next(l, &s, &n, &no, &eof, &err), AU_OK);
    cr_assert_not(eof);
    cr_assert_eq(no, 4);
    cr_assert_eq(memcmp(s, "last", 4), 0);
    cr_assert_eq(au_lines_next(l, &s, &n, &no, &eof, &err), AU_OK);
    cr_assert(eof);
    au_lines_free(l);
    au_err_cleanup(&err);
    fclose(f);
}

/* What au_csv_each saw: the sum of column b, and how many rows. */
typedef struct each_ctx {
    long sum, rows, stop_at;
} each_ctx;

static au_rc each_header(void *ctx, const au_csv *c, au_err *err)
{
    return au_csv_header_count(c) == 2 ? AU_OK
                                       : au_err_set(err, AU_ERR_INVALID, "need two columns");
}

static au_rc each_record(void *ctx, const au_csv_row *row, au_err *err)
{
    each_ctx *e = ctx;
    if (++e->rows == e->stop_at)
        return au_err_set(err, AU_ERR_CONFLICT, "stop at row %ld", e->rows);
    e->sum += atol(row->fields[1]);
    return AU_OK;
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/aurum-csv-each-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(csv, each_skips_ragged_records_and_stops_on_a_callback_error)
{
    char *path = write_tmp("a,b\nx,1\nragged\ny,2\n\"z\",4\n");
    each_ctx e = {0, 0, 0};
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_each(path, "test", each_header, each_record, &e, &err), AU_OK);
    cr_assert_eq(e.rows, 3, "the ragged row is skipped");
    cr_assert_eq(e.sum, 7);
    each_ctx stop = {0, 0, 2};
    cr_assert_eq(au_csv_each(path, "test", NULL, each_record, &stop, &err), AU_ERR_CONFLICT);
    cr_assert_str_eq(err.message, "stop at row 2");
    au_err_cleanup(&err);
    unlink(path);
    free(path);

    path = write_tmp("a,b,c\n1,2,3\n");
    cr_assert_eq(au_csv_each(path, "test", each_header, each_record, &e, &err), AU_ERR_INVALID);
    unlink(path);
    free(path);
    cr_assert_eq(au_csv_each("/nonexistent/x.csv", "test", NULL, each_record, &e, &err), AU_ERR_IO);
    cr_assert(strstr(err.message, "/nonexistent/x.csv"), "%s", err.message);
    au_err_cleanup(&err);
}

/* The field as au_csv_write_field writes it. */
static char *written(const char *field)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    au_csv_write_field(f, field);
    fclose(f);
    return out;
}

Test(csv, output_fields_starting_with_a_formula_character_are_prefixed)
{
    const char *cases[][2] = {
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+1", "'+1"},
        {"-2+3", "'-2+3"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"a=b", "a=b"},
        {"plain", "plain"},
        {"", ""},
        {"x,y", "\"x,y\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = written(cases[i][0]);
        cr_assert_str_eq(got, cases[i][1], "field %zu", i);
        free(got);
    }
}
