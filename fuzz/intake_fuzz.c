/*
 * libFuzzer harness of the JSON intake: a request body as POST /v1/sources/{source}/records
 * takes it (a JSON array, or one object) through the source mapping and every normaliser
 * (e-mail, phone, names, dates, postcodes, addresses) of a source that maps them all.
 */
#include <jansson.h>

#include "record/record.h"
#include "core/source.h"
#include "fuzz.h"

static const char def_json[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\",\"phone\":"
    "\"phone\",\"first_name\":\"first\",\"last_name\":\"last\",\"date_of_birth\":\"dob\","
    "\"postcode\":\"zip\",\"address_line1\":\"street\",\"city\":\"city\",\"country\":"
    "\"country\"}}";

static void map_one(const au_source *s, const json_t *doc, long i)
{
    au_record *r = NULL;
    au_err err;
    au_err_init(&err);
    if (au_source_map(s, doc, i, &r, &err) == AU_OK)
        au_record_free(r);
    au_err_cleanup(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static au_source *src;
    if (!src) {
        json_t *def = json_loads(def_json, 0, NULL);
        au_err err;
        au_err_init(&err);
        if (!def || au_source_new("crm", def, &src, &err) != AU_OK)
            __builtin_trap(); /* the harness itself is wrong */
        json_decref(def);
        au_err_cleanup(&err);
    }
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_array(body)) {
        size_t i;
        json_t *doc;
        json_array_foreach(body, i, doc) map_one(src, doc, (long)i);
    } else if (json_is_object(body)) {
        map_one(src, body, 0);
    }
    json_decref(body);
    return 0;
}
