/*
 * Streaming decoder of compressed request bodies (HTTP Content-Encoding gzip and deflate).
 * Input is fed in the pieces it arrives in and decoded at once into a bounded au_buf, so a
 * compressed body is never held whole and a zip bomb stops at the buffer's limit
 * (AU_ERR_TOO_LARGE) after at most that many bytes of output. "deflate" is accepted both as
 * RFC 1950 zlib data (what the standard says) and as raw RFC 1951 deflate (what some browsers
 * and SDKs send): the first two bytes tell them apart, as browsers do. gzip may hold several
 * members (RFC 1952 §2.2), which decode to their concatenation. zlib allocates through
 * lib/alloc.h, so allocation failures can be injected like everywhere else.
 */
#ifndef AU_INFLATE_H
#define AU_INFLATE_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/rc.h"

typedef enum au_encoding {
    AU_ENCODING_IDENTITY, /* no header, "identity": the body is taken as it is */
    AU_ENCODING_GZIP,     /* "gzip" or "x-gzip" */
    AU_ENCODING_DEFLATE,  /* "deflate": zlib-wrapped or raw */
} au_encoding;

/* The encoding named by a Content-Encoding header value (NULL when absent); case and surrounding
 * blanks are ignored. Anything else, a list of several codings included, is AU_ERR_UNSUPPORTED
 * with a message naming it. */
AU_MUST_USE au_rc au_encoding_parse(const char *header, au_encoding *out, au_err *err);

/* A decoder of one body; opaque. */
typedef struct au_inflate au_inflate;

/* A decoder for AU_ENCODING_GZIP or AU_ENCODING_DEFLATE; NULL when out of memory or for any
 * other encoding. Free it with au_inflate_free. */
au_inflate *au_inflate_new(au_encoding enc);
/* Decodes the next n bytes of the body and appends the output to `out`. AU_ERR_TOO_LARGE when
 * the output would pass out->limit (out then holds a prefix of the output), AU_ERR_PARSE for
 * corrupt input or data after the end of a deflate stream, AU_ERR_NOMEM. After an error the
 * decoder only accepts au_inflate_free. */
AU_MUST_USE au_rc au_inflate_feed(au_inflate *z, const void *in, size_t n, au_buf *out,
                                  au_err *err);
/* The body ended: AU_ERR_PARSE when the compressed stream is incomplete. A body of zero bytes
 * is accepted and decodes to nothing. */
AU_MUST_USE au_rc au_inflate_finish(au_inflate *z, au_err *err);
/* Bytes fed so far and bytes produced so far, for logs and metrics. */
size_t au_inflate_in(const au_inflate *z);
size_t au_inflate_out(const au_inflate *z);
void au_inflate_free(au_inflate *z);

#endif
