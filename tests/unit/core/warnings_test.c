/*
 * Unit tests for the quarantined-value list of a write (src/core/warnings.c): the source field
 * and raw value of each, the bound on the list while the totals count everything, and the
 * answer members. (The list is built with Jansson, whose allocations do not go through
 * lib/alloc.h, so there is no injected-failure test here.)
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/warnings.h"

static au_source *crm(void)
{
    json_t *def = json_loads("{\"record_id\":\"id\",\"fields\":{\"email\":\"mail\","
                             "\"date_of_birth\":{\"from\":\"dob\",\"format\":\"DMY\"}}}",
                             0, NULL);
    au_source *s = NULL;
    cr_assert_eq(au_source_new("crm", def, &s, NULL), AU_OK);
    json_decref(def);
    return s;
}

static au_record *map(const au_source *s, const char *doc_text)
{
    json_t *doc = json_loads(doc_text, 0, NULL);
    au_record *r = NULL;
    cr_assert_eq(au_source_map(s, doc, 0, &r, NULL), AU_OK);
    json_decref(doc);
    return r;
}

Test(warnings, lists_the_first_values_and_counts_all)
{
    au_source *s = crm();
    au_record *dirty = map(s, "{\"id\":\"a\",\"mail\":\"no-at\",\"dob\":\"31/02/1980\"}");
    au_record *clean = map(s, "{\"id\":\"b\",\"mail\":\"b@x.com\"}");
    au_warnings w;
    au_warnings_init(&w, 3);
    for (long i = 0; i < 4; i++)
        cr_assert_eq(au_warnings_add(&w, s, i, i == 1 ? clean : dirty), AU_OK);
    json_t *answer = json_object();
    cr_assert_eq(au_warnings_put(&w, answer), AU_OK);
    json_t *list = json_object_get(answer, "warnings");
    cr_expect_eq(json_array_size(list), 3);
    cr_expect_eq(json_integer_value(json_object_get(answer, "warnings_total")), 6);
    cr_expect_eq(json_integer_value(json_object_get(answer, "records_with_warnings")), 3);
    json_t *first = json_array_get(list, 0), *third = json_array_get(list, 2);
    cr_expect_eq(json_integer_value(json_object_get(first, "index")), 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "record_id")), "a");
    cr_expect_str_eq(json_string_value(json_object_get(first, "field")), "mail");
    cr_expect_str_eq(json_string_value(json_object_get(first, "attribute")), "email");
    cr_expect_str_eq(json_string_value(json_object_get(first, "value")), "no-at");
    cr_expect_str_eq(json_string_value(json_object_get(first, "reason")),
                     "not an e-mail address: missing @");
    cr_expect_eq(json_integer_value(json_object_get(third, "index")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "field")), "dob");
    json_decref(answer);
    au_warnings_cleanup(&w);

    /* no quarantined value: an empty list, zero totals */
    au_warnings_init(&w, 3);
    cr_assert_eq(au_warnings_add(&w, s, 0, clean), AU_OK);
    answer = json_object();
    cr_assert_eq(au_warnings_put(&w, answer), AU_OK);
    cr_expect_eq(json_array_size(json_object_get(answer, "warnings")), 0);
    cr_expect(json_is_array(json_object_get(answer, "warnings")));
    cr_expect_eq(json_integer_value(json_object_get(answer, "warnings_total")), 0);
    json_decref(answer);
    au_warnings_cleanup(&w);
    au_record_free(dirty);
    au_record_free(clean);
    au_source_free(s);
}
