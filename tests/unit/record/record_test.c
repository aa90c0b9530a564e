/*
 * Tests of the canonical record: attribute table, content hash, and the two serialisations
 * (the JSON tree and the direct text writer used on the import path) agreeing byte for byte.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "lib/alloc.h"

static au_record *sample(void)
{
    au_record *r = au_record_new();
    r->source = au_strdup("crm");
    r->record_id = au_strdup("C1");
    au_record_set(r, AU_ATTR_FIRST_NAME, au_strdup(" JOSÉ\t"), au_strdup("José"),
                  au_strdup("jose"));
    au_record_set(r, AU_ATTR_COMPANY, au_strdup("\"Quotes\" \\ and\nnewline\x01"),
                  au_strdup("\"Quotes\" \\ and newline"), NULL);
    au_record_set(r, AU_ATTR_EMAIL, au_strdup("A@B.COM"), au_strdup("a@b.com"),
                  au_strdup("a@b.com"));
    r->custom = json_pack("{s:s,s:i}", "tier", "gold", "n", 3);
    r->input = json_pack("{s:s,s:s}", "first", " JOSÉ\t", "mail", "A@B.COM");
    au_record_hash(r);
    return r;
}

Test(record, text_writer_matches_the_json_tree)
{
    au_record *r = sample();
    json_t *doc = au_record_to_json(r);
    char *tree = json_dumps(doc, JSON_COMPACT);
    char *text = au_record_to_text(r);
    cr_assert_str_eq(text, tree);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    cr_assert_not_null(back, "%s", jerr.text);
    au_record *r2 = NULL;
    cr_assert_eq(au_record_from_json("crm", "C1", back, &r2), AU_OK);
    cr_assert_eq(r2->hash, r->hash, "a round trip keeps the content hash");
    cr_assert_str_eq(r2->attrs[AU_ATTR_FIRST_NAME].value, "José");
    au_record_free(r2);
    json_decref(back);
    json_decref(doc);
    free(tree);
    au_free(text);
    au_record_free(r);
}

static void assert_text_matches_tree(const au_record *r)
{
    json_t *doc = au_record_to_json(r);
    char *tree = json_dumps(doc, JSON_COMPACT);
    char *text = au_record_to_text(r);
    cr_assert_str_eq(text, tree);
    json_decref(doc);
    free(tree);
    au_free(text);
}

Test(record, text_writer_escapes_like_jansson)
{
    au_record *r = sample();
    au_record_set(r, AU_ATTR_CITY, au_strdup("a\bb\fc\x1f/d\x7f"), au_strdup("abc/d"), NULL);
    json_decref(r->input);
    /* string-only input (the direct path) with escapes in keys and values */
    r->input = json_pack("{s:s,s:s,s:s}", "k\x1e\"", "v\b\f\r", "z", "1", "a", "é\\");
    assert_text_matches_tree(r);
    /* input with a non-string member (the Jansson path), and one with an embedded NUL */
    json_object_set_new(r->input, "n", json_integer(7));
    assert_text_matches_tree(r);
    json_object_del(r->input, "n");
    json_object_set_new(r->input, "nul", json_stringn("a\0b", 3));
    assert_text_matches_tree(r);
    au_record_free(r);
}

Test(record, hash_changes_with_content_and_not_with_input_only)
{
    au_record *r = sample();
    uint64_t h = r->hash;
    au_record_set(r, AU_ATTR_EMAIL, au_strdup("A@B.COM"), au_strdup("a@b.co"), au_strdup("a@b.co"));
    cr_assert_neq(au_record_hash(r), h);
    au_record_free(r);
}

Test(record, attribute_names_round_trip)
{
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        cr_assert_eq(au_attr_from_name(au_attr_name((au_attr)a)), a);
    cr_assert_eq(au_attr_from_name("loyalty_tier"), -1);
}

Test(record, text_writer_reports_allocation_failure)
{
    au_record *r = sample();
    for (long n = 0; n < 6; n++) {
        au_alloc_fail_after(n);
        char *t = au_record_to_text(r);
        au_alloc_fail_after(-1);
        au_free(t);
    }
    au_record_free(r);
}

static void assert_same_str(const char *a, const char *b, const char *what)
{
    if (!a || !b)
        cr_assert_eq(a, b, "%s: %s vs %s", what, a ? a : "NULL", b ? b : "NULL");
    else
        cr_assert_str_eq(a, b, "%s", what);
}

/* Every combination of equal, different and absent forms survives the compact document. */
Test(record, compact_document_round_trips_every_form)
{
    const char *forms[][3] = {
        {"Ann", "Ann", "Ann"}, {"ann", "Ann", "ann"}, {"Ann", "Ann", "ann"}, {"x", "Ann", "Ann"},
        {NULL, "Ann", "ann"},  {"Ann", "Ann", NULL},  {"bad", NULL, NULL},   {NULL, NULL, "k"},
        {"r", NULL, "k"},      {NULL, "Ann", NULL},
    };
    size_t n = sizeof(forms) / sizeof(forms[0]);
    for (size_t i = 0; i < n; i++) {
        au_record *r = sample();
        au_record_set(r, AU_ATTR_CITY, forms[i][0] ? au_strdup(forms[i][0]) : NULL,
                      forms[i][1] ? au_strdup(forms[i][1]) : NULL,
                      forms[i][2] ? au_strdup(forms[i][2]) : NULL);
        au_record_hash(r);
        assert_text_matches_tree(r);
        char *text = au_record_to_text(r);
        json_t *doc = json_loads(text, 0, NULL);
        cr_assert_not_null(doc);
        au_record *back = NULL;
        cr_assert_eq(au_record_from_json("crm", "C1", doc, &back), AU_OK);
        for (int a = 0; a < AU_ATTR_COUNT; a++) {
            assert_same_str(back->attrs[a].raw, r->attrs[a].raw, "raw");
            assert_same_str(back->attrs[a].value, r->attrs[a].value, "value");
            assert_same_str(back->attrs[a].key, r->attrs[a].key, "key");
        }
        cr_assert_eq(back->hash, r->hash);
        cr_assert(json_equal(back->input, r->input));
        cr_assert(json_equal(back->custom, r->custom));
        /* the API's full form shows each form that exists, and only those */
        json_t *full = au_record_doc_attrs(doc);
        json_t *city = json_object_get(full, "city");
        for (int f = 0; f < 3; f++) {
            const char *k = f == 0 ? "raw" : f == 1 ? "value" : "key";
            assert_same_str(json_string_value(json_object_get(city, k)), forms[i][f], k);
        }
        json_decref(full);
        au_record_free(back);
        json_decref(doc);
        au_free(text);
        au_record_free(r);
    }
}

Test(record, compact_document_is_smaller_when_forms_agree)
{
    au_record *r = au_record_new();
    r->source = au_strdup("crm");
    r->record_id = au_strdup("C1");
    au_record_set(r, AU_ATTR_EMAIL, au_strdup("a@b.com"), au_strdup("a@b.com"),
                  au_strdup("a@b.com"));
    char *text = au_record_to_text(r);
    cr_assert_str_eq(text, "{\"attrs\":{\"email\":\"a@b.com\"}}");
    au_free(text);
    au_record_free(r);
}
