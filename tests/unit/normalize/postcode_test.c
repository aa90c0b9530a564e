/*
 * Unit tests for postcodes (src/normalize/postcode.c): UK outward/inward spacing, US ZIP,
 * generic upper-casing, refusals.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(postcode, formats)
{
    static const struct {
        const char *in, *country, *out;
    } cases[] = {
        {"sw1a1aa", "GB", "SW1A 1AA"},      {"SW1A 1AA", "GB", "SW1A 1AA"},
        {" sw1a   1aa ", "GB", "SW1A 1AA"}, {"ec1a1bb", "GB", "EC1A 1BB"},
        {"m11ae", "GB", "M1 1AE"},          {"b338th", "GB", "B33 8TH"},
        {"cr26xh", "GB", "CR2 6XH"},        {"dn551pt", "GB", "DN55 1PT"},
        {"w1a0ax", "GB", "W1A 0AX"},        {"gy1 1aa", "GG", "GY1 1AA"},
        {"12345", "GB", "12345"}, /* not a UK shape: kept as written */
        {"sw1a1aa", "", "SW1A1AA"},         {"94105", "US", "94105"},
        {"94105-1234", "US", "94105-1234"}, {"941051234", "US", "94105-1234"},
        {"1012 ab", "NL", "1012 AB"},       {"00-950", "PL", "00-950"},
        {"k1a 0b1", "CA", "K1A 0B1"},       {"2000", "AU", "2000"},
        {"75008", NULL, "75008"},           {"1000 - 001", "PT", "1000 001"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_postcode(cases[i].in, cases[i].country, &o, &why), AU_OK,
                     "case %zu: %s", i, why.reason);
        cr_expect_str_eq(o, cases[i].out, "case %zu: %s", i, cases[i].in);
        au_free(o);
    }
}

Test(postcode, refusals_say_why)
{
    static const struct {
        const char *in, *country, *reason;
    } cases[] = {
        {"9410", "US", "not a US ZIP code (5 or 9 digits expected)"},
        {"ABCDE", "US", "not a US ZIP code (5 or 9 digits expected)"},
        {"SW1A_1AA", "GB", "not a postcode: invalid character '_'"},
        {"---", "", "not a postcode: no letters or digits"},
        {"12345678901234567", "", "not a postcode: longer than 16 characters"},
        {"\xc3\xa9"
         "1",
         "", "not a postcode: non-Latin character"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = (char *)0x1;
        au_norm_why why = {{0}};
        cr_expect_eq(au_norm_postcode(cases[i].in, cases[i].country, &o, &why), AU_ERR_INVALID,
                     "case %zu", i);
        cr_expect_str_eq(why.reason, cases[i].reason, "case %zu: %s", i, cases[i].in);
        cr_expect_eq(o, (char *)0x1);
    }
    char *o = NULL;
    cr_expect_eq(au_norm_postcode("SW1\xff", "GB", &o, NULL), AU_ERR_ENCODING);
}
