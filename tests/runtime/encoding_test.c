/*
 * Black-box tests of compressed request bodies against the real daemon: gzip, zlib-wrapped and
 * raw deflate bodies are decoded on every POST route (records, events, Segment intake), also
 * when sent chunked; a zip bomb is answered 413 with the store unchanged; an unknown encoding is
 * 415 and corrupt or truncated data 400, neither writing anything. Bodies are compressed here
 * with zlib.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness.h"

TestSuite(encoding, .fini = au_rt_cleanup_all);

static const char crm_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"city\":\"city\"}}";

static const char *const gzip_h[] = {"Content-Encoding: gzip", NULL};
static const char *const deflate_h[] = {"Content-Encoding: deflate", NULL};
static const char *const gzip_chunked_h[] = {"Content-Encoding: gzip", "Transfer-Encoding: chunked",
                                             NULL};

static void start(au_rt_daemon *d, const char *config)
{
    int rc = au_rt_start(d, config);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "PUT", "/v1/sources/crm", crm_def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* Compresses n bytes with the given zlib window bits (31 gzip, 15 zlib, -15 raw deflate),
 * feeding `repeat` copies of the middle part mid..mid+nmid after the prefix (for bombs). The
 * caller frees the result; *len is its size. */
static char *squeeze(const char *head, const char *mid, size_t nmid, long repeat, const char *tail,
                     int bits, size_t *len)
{
    z_stream s = {0};
    cr_assert_eq(deflateInit2(&s, 9, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = 1 << 20;
    unsigned char *out = malloc(cap);
    s.next_out = out;
    s.avail_out = (uInt)cap;
    s.next_in = (unsigned char *)head;
    s.avail_in = (uInt)strlen(head);
    cr_assert_eq(deflate(&s, Z_NO_FLUSH), Z_OK);
    for (long i = 0; i < repeat; i++) {
        s.next_in = (unsigned char *)mid;
        s.avail_in = (uInt)nmid;
        cr_assert_eq(deflate(&s, Z_NO_FLUSH), Z_OK);
    }
    s.next_in = (unsigned char *)tail;
    s.avail_in = (uInt)strlen(tail);
    cr_assert_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
    *len = cap - s.avail_out;
    deflateEnd(&s);
    return (char *)out;
}

static char *squeeze_str(const char *s, int bits, size_t *len)
{
    return squeeze(s, "", 0, 0, "", bits, len);
}

static long post_h(au_rt_daemon *d, const char *path, const char *const *h, const char *body,
                   size_t len, au_rt_resp *r)
{
    return au_rt_request_h(d, "POST", path, h, NULL, body, len, d->admin_key, r);
}

static const char *error_code(const au_rt_resp *r, char *buf, size_t cap)
{
    json_t *j = au_rt_json(r);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    snprintf(buf, cap, "%s", c ? c : "(none)");
    json_decref(j);
    return buf;
}

static long record_status(au_rt_daemon *d, const char *id)
{
    char path[128];
    au_rt_resp r = {0};
    snprintf(path, sizeof(path), "/v1/sources/crm/records/%s", id);
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    au_rt_resp_cleanup(&r);
    return st;
}

/* The change feed's entries: a refused body must leave it as it was. */
static size_t changes(au_rt_daemon *d)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "GET", "/v1/changes?limit=1000", NULL, &r), 200, "%s", r.body);
    json_t *j = au_rt_json(&r);
    size_t n = json_array_size(json_object_get(j, "changes"));
    json_decref(j);
    au_rt_resp_cleanup(&r);
    return n;
}

Test(encoding, gzip_and_both_deflate_forms_are_decoded)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    struct {
        const char *id;
        int bits;
        const char *const *h;
    } cases[] = {{"gz", 31, gzip_h},
                 {"zl", 15, deflate_h},
                 {"raw", -15, deflate_h},
                 {"gzchunked", 31, gzip_chunked_h}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[256];
        size_t len;
        snprintf(doc, sizeof(doc),
                 "[{\"id\":\"%s\",\"first\":\"Ada\",\"last\":\"Lovelace\",\"city\":\"Leeds\"}]",
                 cases[i].id);
        char *z = squeeze_str(doc, cases[i].bits, &len);
        cr_assert_eq(post_h(&d, "/v1/sources/crm/records", cases[i].h, z, len, &r), 200, "%s: %s",
                     cases[i].id, r.body);
        cr_assert(strstr(r.body, "\"inserted\": 1") || strstr(r.body, "\"inserted\":1"), "%s",
                  r.body);
        au_rt_resp_cleanup(&r);
        free(z);
        cr_assert_eq(record_status(&d, cases[i].id), 200, "%s was stored", cases[i].id);
    }
    /* events and the Segment intake take compressed bodies too */
    size_t len;
    char *z = squeeze_str("{\"source\":\"crm\",\"event_id\":\"e1\",\"type\":\"order\","
                          "\"customer\":{\"source\":\"crm\",\"record\":\"gz\"}}",
                          31, &len);
    cr_assert_eq(post_h(&d, "/v1/events", gzip_h, z, len, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    free(z);
    z = squeeze_str("{\"userId\":\"u-gz\",\"traits\":{\"email\":\"u.gz@example.com\"}}", -15, &len);
    cr_assert_eq(post_h(&d, "/v1/identify", deflate_h, z, len, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    free(z);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles?source=segment&record=u-gz", NULL, &r), 200,
                 "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

/* 32 MiB of 'x' inside one JSON string gzip to about 32 KiB, under the compressed bound. */
Test(encoding, a_zip_bomb_is_413_and_writes_nothing)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64], xs[4096];
    start(&d, "max_body_bytes: 65536\n");
    size_t before = changes(&d);
    memset(xs, 'x', sizeof(xs));
    size_t len;
    char *bomb = squeeze("[{\"id\":\"bomb\",\"first\":\"", xs, sizeof(xs), 8192, "\"}]", 31, &len);
    cr_assert_lt(len, 65536, "the compressed bomb passes the Content-Length check (%zu)", len);
    const char *const *hs[] = {gzip_h, gzip_chunked_h};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(post_h(&d, "/v1/sources/crm/records", hs[i], bomb, len, &r), 413, "%s",
                     r.body);
        cr_assert_str_eq(error_code(&r, code, sizeof(code)), "too_large");
        cr_assert(strstr(r.body, "decoded"), "%s", r.body);
        au_rt_resp_cleanup(&r);
    }
    free(bomb);
    cr_assert_eq(record_status(&d, "bomb"), 404);
    cr_assert_eq(changes(&d), before, "the store is unchanged");
    /* the same route still takes a small compressed body */
    char *z = squeeze_str("[{\"id\":\"after\"}]", 31, &len);
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", gzip_h, z, len, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    free(z);
    au_rt_cleanup(&d);
}

Test(encoding, unknown_encoding_is_415_and_corrupt_data_400)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    size_t before = changes(&d);
    const char *doc = "[{\"id\":\"x1\",\"first\":\"Ada\"}]";
    const char *const br[] = {"Content-Encoding: br", NULL};
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", br, doc, strlen(doc), &r), 415, "%s",
                 r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "unsupported");
    cr_assert(strstr(r.body, "br"), "the message names the encoding: %s", r.body);
    au_rt_resp_cleanup(&r);
    const char *const two[] = {"Content-Encoding: gzip, gzip", NULL};
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", two, doc, strlen(doc), &r), 415, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);

    size_t len;
    char *z = squeeze_str(doc, 31, &len);
    z[len / 2] ^= 0x5a;
    z[len / 2 + 1] ^= 0xa5;
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", gzip_h, z, len, &r), 400, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "malformed");
    au_rt_resp_cleanup(&r);
    free(z);
    /* plain JSON announced as gzip, and a truncated stream */
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", gzip_h, doc, strlen(doc), &r), 400, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    z = squeeze_str(doc, 15, &len);
    cr_assert_eq(post_h(&d, "/v1/sources/crm/records", deflate_h, z, len - 4, &r), 400, "%s",
                 r.body);
    cr_assert(strstr(r.body, "ends before"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    free(z);
    cr_assert_eq(record_status(&d, "x1"), 404);
    cr_assert_eq(changes(&d), before, "nothing was written");
    /* a request without a body is not concerned by its Content-Encoding header */
    cr_assert_eq(au_rt_request_h(&d, "GET", "/v1/sources/crm", br, NULL, NULL, 0, d.admin_key, &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}
