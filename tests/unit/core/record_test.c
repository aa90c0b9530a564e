/*
 * Tests of the canonical record: attribute table, content hash, and the two serialisations
 * (the JSON tree and the direct text writer used on the import path) agreeing byte for byte.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
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
