/*
 * The start-up fast path that reads comparison keys out of stored documents must agree with the
 * full JSON parser on every document the store can hold, and refuse what it cannot read.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "resolve/hook.h"
#include "lib/alloc.h"

static au_record *sample(void)
{
    au_record *r = au_record_new();
    r->source = au_strdup("crm");
    r->record_id = au_strdup("42");
    au_record_set(r, AU_ATTR_FIRST_NAME, au_strdup("Zoë"), au_strdup("Zoë"), au_strdup("zoe"));
    au_record_set(r, AU_ATTR_LAST_NAME, au_strdup("O\"Brien\\"), NULL,
                  au_strdup("o\"brien\\ \t\x01 \xf0\x9f\x98\x80 end"));
    au_record_set(r, AU_ATTR_EMAIL, au_strdup("A@B.example"), au_strdup("a@b.example"),
                  au_strdup("a@b.example"));
    au_record_set(r, AU_ATTR_CITY, au_strdup("raw only"), NULL, NULL);
    au_record_set(r, AU_ATTR_DATE_OF_BIRTH, au_strdup("1996-13-02"), NULL, NULL);
    r->custom = json_pack("{s:s, s:{s:[i, s, n]}}", "loyalty", "L-1", "nested", "x", 1, "}]", "");
    r->input = json_pack("{s:s}", "attrs", "{\"key\":\"not me\"}");
    au_record_hash(r);
    return r;
}

static void same_keys(const au_record *a, const au_record *b)
{
    for (int i = 0; i < AU_ATTR_COUNT; i++) {
        const char *x = a->attrs[i].key, *y = b->attrs[i].key;
        cr_assert((x == NULL) == (y == NULL), "attr %s: %s vs %s", au_attr_name((au_attr)i),
                  x ? x : "(null)", y ? y : "(null)");
        if (x)
            cr_assert_str_eq(x, y, "attr %s", au_attr_name((au_attr)i));
        /* a quarantined value (raw only) keeps its raw form: the resolver compares its digits */
        if (!a->attrs[i].key && !a->attrs[i].value && a->attrs[i].raw) {
            cr_assert_not_null(b->attrs[i].raw, "attr %s: quarantined raw lost",
                               au_attr_name((au_attr)i));
            cr_assert_str_eq(a->attrs[i].raw, b->attrs[i].raw);
        }
    }
}

static void check(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert_not_null(doc, "%s", text);
    au_record *full = NULL, *fast = NULL;
    cr_assert_eq(au_record_from_json("crm", "42", doc, &full), AU_OK);
    cr_assert_eq(au_resolve_keys_from_doc(text, "crm", "42", &fast), AU_OK, "%s", text);
    same_keys(full, fast);
    cr_assert_str_eq(fast->source, "crm");
    cr_assert_str_eq(fast->record_id, "42");
    json_decref(doc);
    au_record_free(full);
    au_record_free(fast);
}

Test(resolve_doc, agrees_with_the_json_parser_on_both_writers)
{
    au_record *r = sample();
    char *text = au_record_to_text(r);
    check(text);
    au_free(text);
    json_t *j = au_record_to_json(r);
    char *dumped = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    check(dumped); /* \uXXXX escapes, surrogate pairs, white space */
    free(dumped);
    json_decref(j);
    au_record_free(r);
}

Test(resolve_doc, refuses_what_it_cannot_read)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"attrs\":{\"first_name\":{\"key\":\"abc}}}",
        "{\"attrs\":{\"first_name\":{\"key\":\"a\\u00\"}}}",
        "{\"attrs\":{\"first_name\":{\"key\":\"a\\udc00\"}}}",
        "{\"attrs\":{\"first_name\":{\"key\":\"a\\u0000b\"}}}",
        "{\"attrs\":{\"first_name\" {\"key\":\"a\"}}}",
        "{\"attrs\":{\"first_name\":{\"key\":\"a\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        au_record *r = (au_record *)1;
        cr_assert_eq(au_resolve_keys_from_doc(bad[i], "s", "1", &r), AU_ERR_PARSE, "%s", bad[i]);
        cr_assert_null(r);
    }
}
