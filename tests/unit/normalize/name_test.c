/*
 * Unit tests for person names (src/normalize/name.c): display capitalisation, splitting full
 * names into parts, joining parts.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(name, display_capitalisation)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"o'BRIEN", "O'Brien"},
        {"mcdonald", "McDonald"},
        {"MCDONALD", "McDonald"},
        {"MacDonald", "MacDonald"}, /* mixed case typed deliberately: kept */
        {"DeVito", "DeVito"},
        {"Mcdonald", "McDonald"},
        {"Jan Van Der Berg", "Jan Van Der Berg"}, /* capitalised particles kept as written */
        {"McDONALD", "McDONALD"},
        {"o'brien", "O'Brien"},
        {"JOHN", "John"},
        {"john", "John"},
        {"  anne-marie  ", "Anne-Marie"},
        {"JEAN-PIERRE", "Jean-Pierre"},
        {"van der berg", "Van der Berg"},
        {"jan van der berg", "Jan van der Berg"},
        {"LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"},
        {"de la cruz", "De la Cruz"},
        {"D'ANGELO", "D'Angelo"},
        {"JOHN'S", "John's"},
        {"\xc3\x89LODIE", "\xc3\x89lodie"}, /* ÉLODIE */
        {"\xc3\xa9lodie", "\xc3\x89lodie"}, /* élodie */
        {"M\xc3\x9cLLER", "M\xc3\xbcller"}, /* MÜLLER */
        {"\xc5\x82ukasz", "\xc5\x81ukasz"}, /* łukasz */
        {"GRO\xc3\x9f", "Gro\xc3\x9f"},     /* GROß */
        {"\xce\xbd\xce\xaf\xce\xba\xce\xbf\xcf\x82", "\xce\x9d\xce\xaf\xce\xba\xce\xbf\xcf\x82"},
        {"j. r. r.", "J. R. R."},
        {"", ""},
        /* a value in deliberate mixed case keeps its lower-case words; capitals are re-cased */
        {"van der Berg", "van der Berg"},
        {"Jan van der Berg", "Jan van der Berg"},
        {"d'Artagnan", "d'Artagnan"},
        {"John SMITH", "John Smith"},
        {"JEAN-LUC", "Jean-Luc"},
        {"jean-luc picard", "Jean-Luc Picard"},
        {"O'brien", "O'Brien"}, /* "brien" alone shows no deliberate casing */
        {"MCDONALD-O'NEILL", "McDonald-O'Neill"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        cr_assert_eq(au_norm_name(cases[i].in, &o), AU_OK, "case %zu", i);
        cr_expect_str_eq(o, cases[i].out, "case %zu: %s -> %s", i, cases[i].in, o);
        au_free(o);
    }
}

/* Cities and streets: the rules of names, place words, letters glued to digits, PO and NW. */
Test(name, place_capitalisation)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"leeds", "Leeds"},
        {"LEEDS", "Leeds"},
        {"Leeds", "Leeds"},
        {"ST JOHN'S RD", "St John's Rd"},
        {"st john's rd", "St John's Rd"},
        {"NEWCASTLE UPON TYNE", "Newcastle upon Tyne"},
        {"henley-on-thames", "Henley-on-Thames"},
        {"BARROW-IN-FURNESS", "Barrow-in-Furness"},
        {"ashby-de-la-zouch", "Ashby-de-la-Zouch"},
        {"THE GREEN", "The Green"},
        {"12a high street", "12A High Street"},
        {"FLAT 3B, 12 THE MALL", "Flat 3B, 12 The Mall"},
        {"100 NW 5TH AVE", "100 NW 5th Ave"},
        {"21st street", "21st Street"},
        {"PO BOX 42", "PO Box 42"},
        {"12 high st, leeds ls1 4ap", "12 High St, Leeds LS1 4AP"},
        {"sw1a 1aa", "SW1A 1AA"},
        {"MCDONALD STREET", "McDonald Street"},
        {"12 High street", "12 High street"}, /* typed in mixed case: kept */
        {"M\xc3\x9cNCHEN", "M\xc3\xbcnchen"}, /* MÜNCHEN */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        cr_assert_eq(au_norm_place(cases[i].in, &o), AU_OK, "case %zu", i);
        cr_expect_str_eq(o, cases[i].out, "case %zu: %s -> %s", i, cases[i].in, o);
        au_free(o);
    }
    char *o = NULL;
    cr_expect_eq(au_norm_place("Le\xffds", &o), AU_ERR_ENCODING);
}

static void expect_part(const char *got, const char *want, size_t i, const char *what)
{
    if (!want)
        cr_expect_null(got, "case %zu: %s should be absent, got '%s'", i, what, got);
    else if (!got)
        cr_expect_fail("case %zu: %s absent, want '%s'", i, what, want);
    else
        cr_expect_str_eq(got, want, "case %zu: %s", i, what);
}

Test(name, long_and_invalid_input)
{
    size_t n = 1 << 20;
    char *s = au_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = "mcdonald-\xc3\xa9 "[i % 11];
    s[n - 1] = 'x';
    s[n] = '\0';
    char *o = NULL;
    cr_assert_eq(au_norm_name(s, &o), AU_OK);
    cr_expect_eq(strncmp(o, "McDonald-\xc3\x89", 11), 0, "%.20s", o);
    au_free(o);
    au_free(s);
    cr_expect_eq(au_norm_name("J\xffohn", &o), AU_ERR_ENCODING);
}

Test(name, split_full_names)
{
    static const struct {
        const char *in, *first, *middle, *last;
    } cases[] = {
        {"Smith, John A.", "John", "A", "Smith"},
        {"Dr. John Adam Smith Jr", "John", "Adam", "Smith"},
        {"John A. Smith", "John", "A", "Smith"},
        {"John Smith", "John", NULL, "Smith"},
        {"Smith", NULL, NULL, "Smith"},
        {"  Mrs   Jane  Doe  ", "Jane", NULL, "Doe"},
        {"Ludwig van Beethoven", "Ludwig", NULL, "van Beethoven"},
        {"Jan van der Berg", "Jan", NULL, "van der Berg"},
        {"Mary Ann Louise O'Neil", "Mary", "Ann Louise", "O'Neil"},
        {"Smith Jr, Dr John", "John", NULL, "Smith"},
        {"Smith, John, PhD", "John", NULL, "Smith"},
        {"Prof. Dr. Hans Meier", "Hans", NULL, "Meier"},
        {"John Smith III", "John", NULL, "Smith"},
        {"Mr", NULL, NULL, "Mr"}, /* a lone title is kept rather than losing everything */
        {"Jos\xc3\xa9 Garc\xc3\xad"
         "a",
         "Jos\xc3\xa9", NULL,
         "Garc\xc3\xad"
         "a"},
        {"", NULL, NULL, NULL},
        {"   ", NULL, NULL, NULL},
        {",", NULL, NULL, NULL},
        {"Smith,", NULL, NULL, "Smith"},
        {"DUPONT Jean", "Jean", NULL, "DUPONT"},
        {"DE LA CRUZ Maria Luisa", "Maria", "Luisa", "DE LA CRUZ"},
        {"M. DUPONT Jean", "M", "DUPONT", "Jean"}, /* an initial first: no surname-first signal */
        {"JOHN SMITH", "JOHN", NULL, "SMITH"},     /* all capitals: no signal */
        {"John SMITH", "John", NULL, "SMITH"},
        {"J. Smith", "J", NULL, "Smith"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *f = (char *)0x1, *m = (char *)0x1, *l = (char *)0x1;
        cr_assert_eq(au_norm_name_split(cases[i].in, &f, &m, &l), AU_OK, "case %zu", i);
        expect_part(f, cases[i].first, i, "first");
        expect_part(m, cases[i].middle, i, "middle");
        expect_part(l, cases[i].last, i, "last");
        au_free(f);
        au_free(m);
        au_free(l);
    }
}

Test(name, split_edge_cases)
{
    char *f = NULL, *m = NULL, *l = NULL;
    cr_expect_eq(au_norm_name_split("J\xffohn Smith", &f, &m, &l), AU_ERR_ENCODING);
    /* more words than the tokenizer keeps: no crash, a sensible first name */
    char s[4000];
    for (size_t i = 0; i < sizeof(s) - 1; i++)
        s[i] = i % 2 ? ' ' : 'a';
    s[sizeof(s) - 1] = '\0';
    cr_assert_eq(au_norm_name_split(s, &f, &m, &l), AU_OK);
    cr_expect_str_eq(f, "a");
    au_free(f);
    au_free(m);
    au_free(l);
    /* outs may be NULL when not wanted */
    cr_assert_eq(au_norm_name_split("John Smith", NULL, NULL, &l), AU_OK);
    cr_expect_str_eq(l, "Smith");
    au_free(l);
}

Test(name, join_skips_absent_parts)
{
    static const struct {
        const char *f, *m, *l, *out;
    } cases[] = {
        {"John", NULL, "Smith", "John Smith"},
        {"John", "A", "Smith", "John A Smith"},
        {NULL, NULL, "Smith", "Smith"},
        {"John", "", "Smith", "John Smith"},
        {NULL, NULL, NULL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = au_norm_name_join(cases[i].f, cases[i].m, cases[i].l);
        cr_assert_not_null(o);
        cr_expect_str_eq(o, cases[i].out, "case %zu", i);
        au_free(o);
    }
    au_alloc_fail_after(0);
    char *o = au_norm_name_join("a", "b", "c");
    au_alloc_fail_after(-1);
    cr_expect_null(o);
}
