/*
 * Unit tests for the streaming body decoder: gzip, zlib-wrapped and raw deflate fed whole and a
 * byte at a time, several gzip members, a zip bomb cut off at the buffer's bound, corrupt,
 * truncated and trailing data, the Content-Encoding names, and injected allocation failures.
 * The compressed inputs are made here with zlib itself.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/inflate.h"
#include "../../support/fault.h"

/* Compresses n bytes of `in` with the given window bits (31 gzip, 15 zlib, -15 raw); *len is
 * the output size. The caller frees the result. */
static unsigned char *squeeze(const void *in, size_t n, int bits, size_t *len)
{
    z_stream s = {0};
    cr_assert_eq(deflateInit2(&s, 9, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&s, n) + 64;
    unsigned char *out = malloc(cap);
    s.next_in = (unsigned char *)in;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
    *len = cap - s.avail_out;
    deflateEnd(&s);
    return out;
}

static const char doc[] = "[{\"id\":\"c1\",\"first_name\":\"Ada\",\"city\":\"Leeds\"},"
                          "{\"id\":\"c2\",\"first_name\":\"Grace\",\"city\":\"York\"}]";

/* Decodes `in` fed in pieces of `step` bytes into a buffer of the given limit. */
static au_rc decode(au_encoding enc, const unsigned char *in, size_t n, size_t step, size_t limit,
                    au_buf *out, au_err *err)
{
    au_inflate *z = au_inflate_new(enc);
    cr_assert_not_null(z);
    au_buf_init(out, limit);
    au_rc rc = AU_OK;
    for (size_t i = 0; i < n && !rc; i += step)
        rc = au_inflate_feed(z, in + i, n - i < step ? n - i : step, out, err);
    if (!rc)
        rc = au_inflate_finish(z, err);
    au_inflate_free(z);
    return rc;
}

static void round_trip(au_encoding enc, int bits)
{
    size_t len;
    unsigned char *c = squeeze(doc, strlen(doc), bits, &len);
    size_t steps[] = {len, 1, 7};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        au_buf out;
        au_err err;
        au_err_init(&err);
        cr_assert_eq(decode(enc, c, len, steps[i], 1 << 20, &out, &err), AU_OK, "step %zu: %s",
                     steps[i], err.message);
        cr_assert_eq(out.len, strlen(doc));
        cr_assert_str_eq(out.data, doc);
        au_buf_cleanup(&out);
        au_err_cleanup(&err);
    }
    free(c);
}

Test(inflate, gzip_decodes_whole_or_byte_by_byte)
{
    round_trip(AU_ENCODING_GZIP, 15 + 16);
}

Test(inflate, deflate_with_the_zlib_wrapper_decodes)
{
    round_trip(AU_ENCODING_DEFLATE, 15);
}

Test(inflate, raw_deflate_decodes_too)
{
    round_trip(AU_ENCODING_DEFLATE, -15);
}

Test(inflate, gzip_members_decode_to_their_concatenation)
{
    size_t la, lb;
    unsigned char *a = squeeze("[{\"id\":\"a\"},", 12, 31, &la);
    unsigned char *b = squeeze("{\"id\":\"b\"}]", 11, 31, &lb);
    unsigned char *ab = malloc(la + lb);
    memcpy(ab, a, la);
    memcpy(ab + la, b, lb);
    au_buf out;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(decode(AU_ENCODING_GZIP, ab, la + lb, 5, 1024, &out, &err), AU_OK, "%s",
                 err.message);
    cr_assert_str_eq(out.data, "[{\"id\":\"a\"},{\"id\":\"b\"}]");
    au_buf_cleanup(&out);
    au_err_cleanup(&err);
    free(a);
    free(b);
    free(ab);
}

/* 64 MiB of zeros gzip to about 64 KiB: the decoder must stop at the 1 MiB bound. */
Test(inflate, a_zip_bomb_stops_at_the_bound)
{
    static unsigned char zeros[1 << 16];
    z_stream s = {0};
    cr_assert_eq(deflateInit2(&s, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = 1 << 20, len;
    unsigned char *bomb = malloc(cap);
    s.next_out = bomb;
    s.avail_out = (uInt)cap;
    for (int i = 0; i < 1024; i++) {
        s.next_in = zeros;
        s.avail_in = sizeof(zeros);
        cr_assert_eq(deflate(&s, i == 1023 ? Z_FINISH : Z_NO_FLUSH),
                     i == 1023 ? Z_STREAM_END : Z_OK);
    }
    len = cap - s.avail_out;
    deflateEnd(&s);
    cr_assert_lt(len, 256 * 1024, "the bomb is small: %zu bytes", len);

    au_inflate *z = au_inflate_new(AU_ENCODING_GZIP);
    au_buf out;
    au_err err;
    au_err_init(&err);
    au_buf_init(&out, 1 << 20);
    au_rc rc = AU_OK;
    size_t fed = 0;
    for (; fed < len && !rc; fed += 4096)
        rc = au_inflate_feed(z, bomb + fed, len - fed < 4096 ? len - fed : 4096, &out, &err);
    cr_assert_eq(rc, AU_ERR_TOO_LARGE, "%s", err.message);
    cr_assert_leq(out.len, (size_t)1 << 20);
    cr_assert_leq(au_inflate_out(z), (1u << 20) + 16384u, "decoding stopped near the bound");
    cr_assert_lt(fed, len, "the rest of the bomb was not decoded");
    cr_assert_eq(au_inflate_feed(z, bomb, 10, &out, &err), AU_ERR_INTERNAL,
                 "a failed decoder refuses more input");
    au_inflate_free(z);
    au_buf_cleanup(&out);
    au_err_cleanup(&err);
    free(bomb);
}

Test(inflate, corrupt_truncated_and_trailing_data_are_parse_errors)
{
    size_t len;
    unsigned char *c = squeeze(doc, strlen(doc), 31, &len);
    au_buf out;
    au_err err;
    au_err_init(&err);

    unsigned char *bad = malloc(len + 8);
    memcpy(bad, c, len);
    bad[len / 2] ^= 0x55;
    bad[len / 2 + 1] ^= 0xaa;
    cr_assert_eq(decode(AU_ENCODING_GZIP, bad, len, len, 1024, &out, &err), AU_ERR_PARSE);
    au_buf_cleanup(&out);
    cr_assert_eq(
        decode(AU_ENCODING_GZIP, (const unsigned char *)doc, strlen(doc), 4, 1024, &out, &err),
        AU_ERR_PARSE, "plain JSON is not gzip");
    au_buf_cleanup(&out);
    cr_assert_eq(decode(AU_ENCODING_GZIP, c, len - 5, len, 1024, &out, &err), AU_ERR_PARSE);
    cr_assert(strstr(err.message, "ends before"), "%s", err.message);
    au_buf_cleanup(&out);
    memcpy(bad, c, len);
    memcpy(bad + len, "garbage!", 8);
    cr_assert_eq(decode(AU_ENCODING_GZIP, bad, len + 8, 3, 1024, &out, &err), AU_ERR_PARSE);
    au_buf_cleanup(&out);
    free(c);

    c = squeeze(doc, strlen(doc), 15, &len);
    memcpy(bad, c, len);
    memcpy(bad + len, "x", 1);
    cr_assert_eq(decode(AU_ENCODING_DEFLATE, bad, len + 1, len + 1, 1024, &out, &err),
                 AU_ERR_PARSE);
    cr_assert(strstr(err.message, "follows the end"), "%s", err.message);
    au_buf_cleanup(&out);
    cr_assert_eq(decode(AU_ENCODING_DEFLATE, c, 1, 1, 1024, &out, &err), AU_ERR_PARSE,
                 "one byte of deflate is incomplete");
    au_buf_cleanup(&out);
    free(c);
    free(bad);
    au_err_cleanup(&err);
}

Test(inflate, an_empty_body_decodes_to_nothing)
{
    au_inflate *z = au_inflate_new(AU_ENCODING_DEFLATE);
    cr_assert_eq(au_inflate_finish(z, NULL), AU_OK);
    au_inflate_free(z);
    cr_assert_null(au_inflate_new(AU_ENCODING_IDENTITY));
    au_inflate_free(NULL);
}

Test(inflate, content_encoding_names)
{
    au_encoding e;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_encoding_parse(NULL, &e, &err), AU_OK);
    cr_assert_eq(e, AU_ENCODING_IDENTITY);
    cr_assert_eq(au_encoding_parse(" Identity ", &e, &err), AU_OK);
    cr_assert_eq(e, AU_ENCODING_IDENTITY);
    cr_assert_eq(au_encoding_parse("GZIP", &e, &err), AU_OK);
    cr_assert_eq(e, AU_ENCODING_GZIP);
    cr_assert_eq(au_encoding_parse("x-gzip", &e, &err), AU_OK);
    cr_assert_eq(e, AU_ENCODING_GZIP);
    cr_assert_eq(au_encoding_parse("deflate\t", &e, &err), AU_OK);
    cr_assert_eq(e, AU_ENCODING_DEFLATE);
    cr_assert_eq(au_encoding_parse("br", &e, &err), AU_ERR_UNSUPPORTED);
    cr_assert(strstr(err.message, "'br'"), "%s", err.message);
    cr_assert_eq(au_encoding_parse("gzip, deflate", &e, &err), AU_ERR_UNSUPPORTED);
    cr_assert_eq(au_encoding_parse("gzipx", &e, &err), AU_ERR_UNSUPPORTED);
    au_err_cleanup(&err);
}

typedef struct gunzip_run {
    const unsigned char *c; /* the compressed document */
    size_t len;
} gunzip_run;

/* One decode; on success the output must be the whole document. */
static au_rc gunzip_once(void *ctx)
{
    gunzip_run *g = ctx;
    au_buf out;
    au_err err;
    au_err_init(&err);
    au_buf_init(&out, 1024);
    au_inflate *z = au_inflate_new(AU_ENCODING_GZIP);
    au_rc rc = z ? au_inflate_feed(z, g->c, g->len, &out, &err) : AU_ERR_NOMEM;
    if (!rc)
        rc = au_inflate_finish(z, &err);
    if (!rc)
        cr_assert_str_eq(out.data, doc);
    au_inflate_free(z);
    au_buf_cleanup(&out);
    au_err_cleanup(&err);
    return rc;
}

/* Failing each allocation in turn (zlib's state, its window, the output buffer) reports NOMEM
 * and leaks nothing; with all of them the decode is whole. */
Test(inflate, allocation_failures_are_reported)
{
    gunzip_run g;
    unsigned char *c = squeeze(doc, strlen(doc), 31, &g.len);
    g.c = c;
    long n = au_fault_every_allocation(gunzip_once, &g);
    cr_assert_gt(n, 2, "zlib's state and window are allocated through au_malloc");
    free(c);
}
