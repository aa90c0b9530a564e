/*
 * Unit tests for the comparators: Jaro-Winkler and Damerau-Levenshtein against published
 * values, Double Metaphone codes of names whose codes are well known, date levels, initials.
 */
#include <criterion/criterion.h>

#include "resolve/compare.h"

Test(compare, jaro_winkler_known_values)
{
    cr_assert_float_eq(au_cmp_jaro_winkler("MARTHA", "MARHTA"), 0.961, 0.001);
    cr_assert_float_eq(au_cmp_jaro_winkler("DIXON", "DICKSONX"), 0.813, 0.001);
    cr_assert_float_eq(au_cmp_jaro_winkler("DWAYNE", "DUANE"), 0.840, 0.001);
    cr_assert_float_eq(au_cmp_jaro_winkler("same", "same"), 1.0, 1e-9);
    cr_assert_float_eq(au_cmp_jaro_winkler("abc", "xyz"), 0.0, 1e-9);
    cr_assert_float_eq(au_cmp_jaro_winkler("", ""), 1.0, 1e-9);
    cr_assert_float_eq(au_cmp_jaro_winkler("a", ""), 0.0, 1e-9);
}

Test(compare, jaro_winkler_is_symmetric)
{
    const char *w[] = {"smith", "smyth", "schmidt", "jones", "johnson", "jonson"};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            cr_assert_float_eq(au_cmp_jaro_winkler(w[i], w[j]), au_cmp_jaro_winkler(w[j], w[i]),
                               1e-12);
}

Test(compare, damerau_levenshtein_counts_transpositions_once)
{
    cr_assert_eq(au_cmp_damerau_levenshtein("kitten", "sitting", 5), 3);
    cr_assert_eq(au_cmp_damerau_levenshtein("ca", "ac", 3), 1);
    cr_assert_eq(au_cmp_damerau_levenshtein("martha", "marhta", 3), 1);
    cr_assert_eq(au_cmp_damerau_levenshtein("abc", "abc", 0), 0);
    cr_assert_eq(au_cmp_damerau_levenshtein("", "abc", 5), 3);
    cr_assert_eq(au_cmp_damerau_levenshtein("7364009", "7364090", 2), 1);
}

Test(compare, damerau_levenshtein_stops_at_the_bound)
{
    cr_assert_eq(au_cmp_damerau_levenshtein("kitten", "sitting", 2), 3, "max + 1 past the bound");
    cr_assert_eq(au_cmp_damerau_levenshtein("a", "abcdefgh", 2), 3);
    cr_assert_eq(au_cmp_damerau_levenshtein("2349971", "8853061", 2), 3);
}

static void dm(const char *name, const char *p, const char *a)
{
    char pp[AU_DMETA_MAX + 1], aa[AU_DMETA_MAX + 1];
    au_cmp_double_metaphone(name, 4, pp, aa);
    cr_assert_str_eq(pp, p, "%s primary: %s", name, pp);
    cr_assert_str_eq(aa, a, "%s alternate: %s", name, aa);
}

Test(compare, double_metaphone_codes)
{
    dm("Smith", "SM0", "XMT");
    dm("Schmidt", "XMT", "SMT");
    dm("Thompson", "TMPS", "TMPS");
    dm("Knight", "NT", "NT");
    dm("Xavier", "SF", "SFR");
    dm("Catherine", "K0RN", "KTRN");
    dm("Kathryn", "K0RN", "KTRN");
    dm("Jose", "HS", "HS");
    dm("Caesar", "SSR", "SSR");
    dm("Michael", "MKL", "MXL");
    dm("Jones", "JNS", "ANS");
    dm("Wright", "RT", "RT");
    dm("Gallegos", "KLKS", "KKS");
    dm("", "", "");
}

Test(compare, double_metaphone_ignores_case_and_punctuation)
{
    char p1[AU_DMETA_MAX + 1], a1[AU_DMETA_MAX + 1], p2[AU_DMETA_MAX + 1], a2[AU_DMETA_MAX + 1];
    au_cmp_double_metaphone("o'brien", 4, p1, a1);
    au_cmp_double_metaphone("OBRIEN", 4, p2, a2);
    cr_assert_str_eq(p1, p2);
    cr_assert_str_eq(a1, a2);
}

static au_date_level dl(const char *a, const char *b)
{
    au_date_parts x, y;
    au_cmp_date_parse(a, &x);
    au_cmp_date_parse(b, &y);
    return au_cmp_date(x, y);
}

Test(compare, date_levels)
{
    cr_assert_eq(dl("1981-09-23", "1981-09-23"), AU_DATE_EQUAL);
    cr_assert_eq(dl("1981-09-23", "19810923"), AU_DATE_EQUAL);
    cr_assert_eq(dl("1981-03-09", "1981-09-03"), AU_DATE_DM_SWAPPED);
    cr_assert_eq(dl("1981-09-23", "1982-09-23"), AU_DATE_YEAR_OFF1);
    cr_assert_eq(dl("1981-09-23", "1991-09-23"), AU_DATE_ONE_PART);
    cr_assert_eq(dl("1981-09-23", "1981-09-24"), AU_DATE_ONE_PART);
    cr_assert_eq(dl("1981-09-23", "1975-01-02"), AU_DATE_DIFFERENT);
    cr_assert_eq(dl("1981-09-23", "not a date"), AU_DATE_MISSING);
    cr_assert_eq(dl("1981-13-01", "1981-01-13"), AU_DATE_MISSING, "month 13 is not a date");
}

Test(compare, initials)
{
    cr_assert(au_cmp_initial("j", "john"));
    cr_assert(au_cmp_initial("john", "j."));
    cr_assert_not(au_cmp_initial("k", "john"));
    cr_assert_not(au_cmp_initial("john", "jane"), "two full names are not initials");
}
