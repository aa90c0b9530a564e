/*
 * Unit tests for countries (src/normalize/country.c) and gender (src/normalize/gender.c):
 * names, codes and aliases to one canonical value, unknown values refused with a reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(country, names_codes_and_aliases)
{
    static const struct {
        const char *in, *a2;
    } cases[] = {
        {"United Kingdom", "GB"},
        {"uk", "GB"},
        {"GBR", "GB"},
        {"gb", "GB"},
        {"England", "GB"},
        {"Great Britain", "GB"},
        {"U.S.A.", "US"},
        {"USA", "US"},
        {"United States", "US"},
        {"us", "US"},
        {"Deutschland", "DE"},
        {"DEU", "DE"},
        {"germany", "DE"},
        {"\xc3\x96sterreich", "AT"},
        {"Espa\xc3\xb1"
         "a",
         "ES"},
        {"M\xc3\xa9xico", "MX"},
        {"C\xc3\xb4te d'Ivoire", "CI"},
        {"the Netherlands", "NL"},
        {"Holland", "NL"},
        {"  france  ", "FR"},
        {"IRL", "IE"},
        {"Eire", "IE"},
        {"New Zealand", "NZ"},
        {"Schweiz", "CH"},
        {"Japan", "JP"},
        {"India", "IN"},
        {"South Africa", "ZA"},
        {"Brasil", "BR"},
        {"T\xc3\xbcrkiye", "TR"},
        {"People's Republic of China", "CN"},
        {"Liechtenstein", "LI"},
        {"U.K.", "GB"},
        {"Wales", "GB"},
        {"U.S.", "US"},
        {"LIE", "LI"},
        {"\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f", "RU"}, /* Россия */
        {"\xe6\x97\xa5\xe6\x9c\xac", "JP"},                         /* 日本 */
        {"\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1", "GR"}, /* Ελλάδα */
        {"Sverige", "SE"},
        {"Polska", "PL"},
        /* misspellings, corrected when one country is clearly closest */
        {"Lichtenstein", "LI"},
        {"Germnay", "DE"},
        {"Swizerland", "CH"},
        {"Untied Kingdom", "GB"},
        {"Nehterlands", "NL"},
        {"Irland", "IE"},
        {"Belguim", "BE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_country(cases[i].in, &o, &why), AU_OK, "case %zu (%s): %s", i,
                     cases[i].in, why.reason);
        cr_expect_str_eq(o, cases[i].a2, "case %zu: %s", i, cases[i].in);
        au_free(o);
    }
}

Test(country, unknown_is_refused)
{
    char *o = (char *)0x1;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_country("Atlantis", &o, &why), AU_ERR_INVALID);
    cr_expect_str_eq(why.reason, "unknown country 'Atlantis'");
    cr_expect_eq(au_norm_country("ZZ", &o, &why), AU_ERR_INVALID);
    cr_expect_eq(au_norm_country("XYZ", &o, &why), AU_ERR_INVALID);
    /* as close to Austria as to Australia: no guess */
    cr_expect_eq(au_norm_country("Austrlia", &o, &why), AU_ERR_INVALID);
    /* codes are never corrected: "UX" is not "UK" */
    cr_expect_eq(au_norm_country("UX", &o, &why), AU_ERR_INVALID);
    cr_expect_eq(au_norm_country("Qwertyland", &o, &why), AU_ERR_INVALID);
    cr_expect_eq(o, (char *)0x1);
    cr_expect_eq(au_norm_country("Fran\xff", &o, &why), AU_ERR_ENCODING);
}

Test(gender, words_to_canonical_values)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"M", "male"},
        {"male", "male"},
        {"MAN", "male"},
        {"Mr.", "male"},
        {"F", "female"},
        {"Female", "female"},
        {"woman", "female"},
        {"Mrs", "female"},
        {"ms", "female"},
        {"Miss", "female"},
        {"x", "other"},
        {"Other", "other"},
        {"non-binary", "other"},
        {"diverse", "other"},
        {"u", NULL},
        {"Unknown", NULL},
        {"", NULL},
        {"  ", NULL},
        {"m\xc3\xa4nnlich", "male"},
        {"1", "male"},
        {"2", "female"},
        {"9", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = (char *)0x1;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_gender(cases[i].in, &o, &why), AU_OK, "case %zu: %s", i, why.reason);
        if (cases[i].out)
            cr_expect_str_eq(o, cases[i].out, "case %zu: %s", i, cases[i].in);
        else
            cr_expect_null(o, "case %zu: %s", i, cases[i].in);
        au_free(o);
    }
}

Test(gender, unknown_is_refused)
{
    char *o = (char *)0x1;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_gender("banana", &o, &why), AU_ERR_INVALID);
    cr_expect_str_eq(why.reason, "unknown gender 'banana'");
    cr_expect_eq(o, (char *)0x1);
    cr_expect_eq(au_norm_gender("\xff", &o, &why), AU_ERR_ENCODING);
}
