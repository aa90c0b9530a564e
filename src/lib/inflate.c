/*
 * Streaming body decoder over zlib. Each fed piece is inflated through a fixed 16 KiB window
 * on the stack straight into the caller's bounded buffer, so memory is the buffer's limit plus
 * zlib's own state (about 45 KiB), whatever the compression ratio. A deflate body starts its
 * zlib stream only once its first two bytes have shown whether a zlib header is present.
 */
#define ZLIB_CONST
#include "lib/inflate.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "lib/alloc.h"

struct au_inflate {
    z_stream s;            /* zlib state; valid once `started` */
    au_encoding enc;       /* AU_ENCODING_GZIP or AU_ENCODING_DEFLATE */
    int started;           /* inflateInit2 succeeded (inflateEnd is then owed) */
    int ended;             /* the current stream (gzip member) reached its end */
    int failed;            /* an error was reported; the decoder refuses further input */
    unsigned char head[2]; /* first bytes of a deflate body while the wrapper is unknown */
    size_t nhead;          /* bytes held in head */
    size_t in;             /* compressed bytes fed */
    size_t out;            /* decoded bytes produced */
};

static int name_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

au_rc au_encoding_parse(const char *header, au_encoding *out, au_err *err)
{
    const char *s = header ? header : "";
    size_t n = strlen(s);
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || name_is(s, n, "identity"))
        *out = AU_ENCODING_IDENTITY;
    else if (name_is(s, n, "gzip") || name_is(s, n, "x-gzip"))
        *out = AU_ENCODING_GZIP;
    else if (name_is(s, n, "deflate"))
        *out = AU_ENCODING_DEFLATE;
    else
        return au_err_set(err, AU_ERR_UNSUPPORTED,
                          "Content-Encoding '%.*s' is not supported (gzip, deflate or identity)",
                          n > 64 ? 64 : (int)n, s);
    return AU_OK;
}

/* zlib's allocator hooks, so that injected allocation failures reach zlib too. */
static void *z_alloc(void *opaque, unsigned items, unsigned size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return NULL;
    return au_malloc((size_t)items * size);
}

static void z_free(void *opaque, void *p)
{
    (void)opaque;
    au_free(p);
}

static au_rc start(au_inflate *z, int window_bits)
{
    z->s.zalloc = z_alloc;
    z->s.zfree = z_free;
    z->s.opaque = NULL;
    int zr = inflateInit2(&z->s, window_bits);
    if (zr == Z_MEM_ERROR)
        return AU_ERR_NOMEM;
    if (zr != Z_OK)
        return AU_ERR_INTERNAL;
    z->started = 1;
    return AU_OK;
}

au_inflate *au_inflate_new(au_encoding enc)
{
    if (enc != AU_ENCODING_GZIP && enc != AU_ENCODING_DEFLATE)
        return NULL;
    au_inflate *z = au_calloc(1, sizeof(*z));
    if (!z)
        return NULL;
    z->enc = enc;
    /* 15 + 16: a 32 KiB window and only the gzip wrapper. */
    if (enc == AU_ENCODING_GZIP && start(z, 15 + 16)) {
        au_free(z);
        return NULL;
    }
    return z;
}

static const char *enc_name(const au_inflate *z)
{
    return z->enc == AU_ENCODING_GZIP ? "gzip" : "deflate";
}

/* RFC 1950 §2.2: method 8 (deflate), a window of at most 32 KiB, and a check making the first
 * two bytes, read big-endian, a multiple of 31. Raw deflate rarely looks like that. */
static int is_zlib_header(const unsigned char h[2])
{
    return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

static au_rc zlib_error(const au_inflate *z, int zr, au_err *err)
{
    switch (zr) {
    case Z_MEM_ERROR:
        return au_err_set(err, AU_ERR_NOMEM, "out of memory decoding the %s body", enc_name(z));
    case Z_NEED_DICT:
        return au_err_set(err, AU_ERR_PARSE,
                          "the deflate body needs a preset dictionary, which is not supported");
    case Z_DATA_ERROR:
        return au_err_set(err, AU_ERR_PARSE, "the %s body is corrupt: %s", enc_name(z),
                          z->s.msg ? z->s.msg : "invalid data");
    default:
        return au_err_set(err, AU_ERR_PARSE, "the %s body cannot be decoded (zlib error %d)",
                          enc_name(z), zr);
    }
}

/* Inflates n bytes, all of them, into out; a new gzip member may follow the end of one. */
static au_rc run(au_inflate *z, const unsigned char *in, size_t n, au_buf *out, au_err *err)
{
    unsigned char chunk[16384];
    for (;;) {
        if (z->ended) {
            if (!n)
                return AU_OK;
            if (z->enc != AU_ENCODING_GZIP)
                return au_err_set(err, AU_ERR_PARSE, "data follows the end of the deflate body");
            if (inflateReset(&z->s) != Z_OK)
                return au_err_set(err, AU_ERR_INTERNAL, "cannot reset the gzip decoder");
            z->ended = 0;
        }
        uInt take = n > UINT_MAX ? UINT_MAX : (uInt)n;
        z->s.next_in = in;
        z->s.avail_in = take;
        z->s.next_out = chunk;
        z->s.avail_out = sizeof(chunk);
        int zr = inflate(&z->s, Z_NO_FLUSH);
        size_t used = take - z->s.avail_in, made = sizeof(chunk) - z->s.avail_out;
        in += used;
        n -= used;
        z->out += made;
        au_rc rc = made ? au_buf_append(out, chunk, made) : AU_OK;
        if (rc == AU_ERR_TOO_LARGE)
            return au_err_set(err, rc, "the decoded %s body exceeds %zu bytes", enc_name(z),
                              out->limit);
        if (rc)
            return au_err_set(err, rc, "out of memory decoding the %s body", enc_name(z));
        if (zr == Z_STREAM_END) {
            z->ended = 1;
            continue;
        }
        /* Z_BUF_ERROR: no progress was possible, which with an empty output window only
         * happens once the input is used up. */
        if ((zr == Z_OK || zr == Z_BUF_ERROR) && !n && z->s.avail_out)
            return AU_OK;
        if (zr != Z_OK)
            return zlib_error(z, zr, err);
    }
}

/* The first bytes of a deflate body: held until two are known, then the stream starts. */
static au_rc deflate_head(au_inflate *z, const unsigned char **in, size_t *n, au_buf *out,
                          au_err *err)
{
    while (*n && z->nhead < 2) {
        z->head[z->nhead++] = **in;
        (*in)++;
        (*n)--;
    }
    if (z->nhead < 2)
        return AU_OK;
    au_rc rc = start(z, is_zlib_header(z->head) ? 15 : -15);
    if (rc)
        return au_err_set(err, rc, "cannot start the deflate decoder");
    return run(z, z->head, 2, out, err);
}

au_rc au_inflate_feed(au_inflate *z, const void *in, size_t n, au_buf *out, au_err *err)
{
    const unsigned char *p = in;
    au_rc rc = AU_OK;
    if (z->failed)
        return au_err_set(err, AU_ERR_INTERNAL, "the body decoder already failed");
    z->in += n;
    if (!z->started && (rc = deflate_head(z, &p, &n, out, err)))
        goto out;
    if (z->started)
        rc = run(z, p, n, out, err);
out:
    z->failed = rc != AU_OK;
    return rc;
}

au_rc au_inflate_finish(au_inflate *z, au_err *err)
{
    if (z->failed)
        return au_err_set(err, AU_ERR_INTERNAL, "the body decoder already failed");
    if (z->in == 0 || z->ended)
        return AU_OK;
    z->failed = 1;
    return au_err_set(err, AU_ERR_PARSE, "the %s body ends before its compressed stream does",
                      enc_name(z));
}

size_t au_inflate_in(const au_inflate *z)
{
    return z->in;
}

size_t au_inflate_out(const au_inflate *z)
{
    return z->out;
}

void au_inflate_free(au_inflate *z)
{
    if (!z)
        return;
    if (z->started)
        inflateEnd(&z->s);
    au_free(z);
}
