/*
 * Unit tests for address lines (src/normalize/address.c): equal keys for the usual spelling
 * variants, different keys for different addresses.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

static char *akey(const char *in)
{
    char *v = NULL, *k = NULL;
    cr_assert_eq(au_norm_address(in, &v, &k), AU_OK, "%s", in);
    au_free(v);
    return k;
}

Test(address, variants_share_a_key)
{
    static const struct {
        const char *a, *b, *key;
    } cases[] = {
        {"12 High Street", "12 high st.", "12 high st"},
        {"Flat 3, 45 Park Road", "apt 3 45 park rd", "apt 3 45 park rd"},
        {"Unit 3/45 Park Rd", "Suite 3 45 Park Road", "apt 3 45 park rd"},
        {"7 North Avenue", "7 N. Ave", "7 n av"},
        {"1 Queen's Crescent", "1 Queens Cres", "1 queens cres"},
        {"22 Acacia Drive West", "22 ACACIA DR W", "22 acacia dr w"},
        {"9 Rue Saint-Honor\xc3\xa9", "9 rue st honore", "9 rue st honore"},
        {"Stra\xc3\x9f"
         "e des 17. Juni",
         "strasse des 17 juni", "strasse des 17 juni"},
        {"4 Mill Lane", "4 Mill Ln", "4 mill ln"},
        {"10 Downing Court", "10 downing ct", "10 downing ct"},
        {"3 Church Place", "3 Church Pl.", "3 church pl"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *ka = akey(cases[i].a), *kb = akey(cases[i].b);
        cr_expect_str_eq(ka, cases[i].key, "case %zu: %s", i, cases[i].a);
        cr_expect_str_eq(kb, cases[i].key, "case %zu: %s", i, cases[i].b);
        au_free(ka);
        au_free(kb);
    }
}

Test(address, different_addresses_keep_different_keys)
{
    char *a = akey("12 High Street"), *b = akey("12 High Road"), *c = akey("Streeter Lane");
    cr_expect_str_neq(a, b);
    cr_expect_str_eq(c, "streeter ln", "only whole words are folded");
    au_free(a);
    au_free(b);
    au_free(c);
}

Test(address, value_is_cleaned_text)
{
    char *v = NULL, *k = NULL;
    cr_assert_eq(au_norm_address("  12   High\tStreet ", &v, &k), AU_OK);
    cr_expect_str_eq(v, "12 High Street");
    au_free(v);
    au_free(k);
    cr_expect_eq(au_norm_address("12 High St\xff", &v, &k), AU_ERR_ENCODING);
}

/* The match key of keys as au_norm_value stores them. */
static char *mkey(const char *const *raw, size_t n, const char *postcode)
{
    char *keys[8] = {0}, *pk = NULL, *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (raw[i])
            keys[i] = akey(raw[i]);
    au_value v = {0};
    if (postcode) {
        cr_assert_eq(au_norm_value(AU_ATTR_POSTCODE, postcode, NULL, &v, NULL), AU_OK);
        pk = v.key;
    }
    cr_assert_eq(au_norm_address_match_key((const char *const *)keys, n, pk, &out), AU_OK);
    for (size_t i = 0; i < n; i++)
        au_free(keys[i]);
    au_free(v.raw);
    au_free(v.value);
    au_free(v.key);
    return out;
}

Test(address, parts_and_full_line_share_a_match_key)
{
    const char *parts[] = {"12 High Street", NULL, "Leeds"};
    const char *full[] = {"12 high st, LEEDS, LS1 4AP"};
    const char *flat_parts[] = {"12 High St", "Flat 2", "Leeds"};
    const char *flat_full[] = {"Flat 2, 12 High Street, Leeds LS1 4AP"};
    const char *other[] = {"14 High Street", NULL, "Leeds"};
    char *a = mkey(parts, 3, "ls1 4ap"), *b = mkey(full, 1, "LS14AP"), *c = mkey(full, 1, NULL),
         *d = mkey(flat_parts, 3, "LS1 4AP"), *e = mkey(flat_full, 1, "LS1 4AP"),
         *f = mkey(other, 3, "LS1 4AP");
    cr_expect_str_eq(a, "12 high leeds st|ls14ap");
    cr_expect_str_eq(b, a, "the postcode inside the line is the postcode");
    cr_expect_str_eq(c, "12 4ap high leeds ls1 st|", "without a postcode its words stay");
    cr_expect_str_eq(d, e, "the order of the parts does not matter");
    cr_expect_str_neq(a, d, "a flat is another address");
    cr_expect_str_neq(a, f, "another house number is another address");
    au_free(a);
    au_free(b);
    au_free(c);
    au_free(d);
    au_free(e);
    au_free(f);
    const char *none[] = {NULL, ""};
    char *g = NULL;
    cr_assert_eq(au_norm_address_match_key(none, 2, NULL, &g), AU_OK);
    cr_expect_str_eq(g, "|");
    au_free(g);
}
