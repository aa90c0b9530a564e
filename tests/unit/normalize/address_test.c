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
