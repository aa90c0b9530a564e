/*
 * libFuzzer harness of the Segment intake: a /v1/batch body through the message mapping, the
 * writeKey read from the body, and the same bytes as an Authorization: Basic header.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "lib/alloc.h"
#include "ingest/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, 0, NULL), *items = NULL;
    au_err err;
    au_err_init(&err);
    if (body) {
        (void)au_segment_write_key_from_body(body);
        if (au_segment_map_batch(body, 1700000000000LL, &items, &err) == AU_OK)
            json_decref(items);
        au_err_cleanup(&err);
        au_err_init(&err);
        const char *type = json_string_value(json_object_get(body, "type"));
        items = NULL;
        if (au_segment_map(type ? type : "track", body, 1700000000000LL, &items, &err) == AU_OK)
            json_decref(items);
        json_decref(body);
    }
    char *header = au_strndup((const char *)data, size < 512 ? size : 512), *key = NULL;
    au_err_cleanup(&err);
    au_err_init(&err);
    if (header && au_segment_write_key_from_basic(header, &key, &err) == AU_OK)
        au_free(key);
    au_free(header);
    au_err_cleanup(&err);
    return 0;
}
