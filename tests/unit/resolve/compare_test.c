/*
 * Unit tests for the comparators: Jaro-Winkler and Damerau-Levenshtein against published
 * values, Double Metaphone codes of names whose codes are well known, date levels, initials.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "resolve/compare.h"

/* Full-table optimal string alignment distance, the reference for the banded one. */
static int osa_full(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b), d[32][32];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* A random string over a small alphabet (so that near pairs are common), and a copy of it with
 * a few random edits. */
static void random_pair(char *a, char *b)
{
    int la = rand() % 14, alph = 2 + rand() % 12;
    for (int i = 0; i < la; i++)
        a[i] = (char)('0' + rand() % alph);
    a[la] = '\0';
    memcpy(b, a, (size_t)la + 1);
    for (int e = rand() % 5; e > 0; e--) {
        int lb = (int)strlen(b), pos = rand() % (lb + 1), op = rand() % 4;
        if (op == 0 && lb < 20) {
            memmove(b + pos + 1, b + pos, (size_t)(lb - pos + 1));
            b[pos] = (char)('0' + rand() % alph);
        } else if (op == 1 && pos < lb) {
            memmove(b + pos, b + pos + 1, (size_t)(lb - pos));
        } else if (op == 2 && pos < lb) {
            b[pos] = (char)('0' + rand() % alph);
        } else if (pos + 1 < lb) {
            char t = b[pos];
            b[pos] = b[pos + 1];
            b[pos + 1] = t;
        }
    }
}

Test(compare, banded_damerau_levenshtein_equals_the_full_table)
{
    char a[32], b[32];
    srand(11);
    for (int t = 0; t < 200000; t++) {
        random_pair(a, b);
        int max = rand() % 4, full = osa_full(a, b);
        int want = full > max ? max + 1 : full;
        cr_assert_eq(au_cmp_damerau_levenshtein(a, b, max), want, "%s %s max %d", a, b, max);
    }
}

Test(compare, signature_bounds_never_exclude_a_close_pair)
{
    char a[32], b[32];
    srand(12);
    for (int t = 0; t < 200000; t++) {
        random_pair(a, b);
        unsigned long long sa = au_cmp_sig(a), sb = au_cmp_sig(b);
        if (!sa || !sb)
            continue;
        cr_assert_leq(au_cmp_sig_l1(sa, sb), 2 * osa_full(a, b), "%s %s", a, b);
        cr_assert_leq(au_cmp_jaro_winkler(a, b), au_cmp_sig_jw_max(sa, sb) + 1e-12, "%s %s", a, b);
    }
    cr_assert_eq(au_cmp_sig(""), 0);
    cr_assert_gt(au_cmp_sig_l1(au_cmp_sig("02079460000"), au_cmp_sig("07700900123")), 2,
                 "unrelated phone numbers are told apart by their signatures");
}

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
