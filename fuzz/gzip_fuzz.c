/*
 * libFuzzer harness of compressed request bodies: the first byte picks gzip or deflate and
 * where the body is split in two pieces (as MHD hands it over), the rest is the body, decoded
 * into a buffer bounded at 1 MiB as max_body_bytes bounds it (bombs stop there).
 */
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    au_encoding enc = data[0] & 1 ? AU_ENCODING_DEFLATE : AU_ENCODING_GZIP;
    size_t n = size - 1, cut = n ? (size_t)(data[0] >> 1) % (n + 1) : 0;
    au_inflate *z = au_inflate_new(enc);
    au_buf out;
    au_err err;
    if (!z)
        return 0;
    au_buf_init(&out, 1u << 20);
    au_err_init(&err);
    au_rc rc = au_inflate_feed(z, data + 1, cut, &out, &err);
    if (!rc)
        rc = au_inflate_feed(z, data + 1 + cut, n - cut, &out, &err);
    if (!rc)
        (void)au_inflate_finish(z, &err);
    if (out.len > (1u << 20))
        __builtin_trap(); /* the bound did not hold */
    au_err_cleanup(&err);
    au_buf_cleanup(&out);
    au_inflate_free(z);
    return 0;
}
