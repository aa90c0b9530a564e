/*
 * Unit tests for UTF-8 validation and the text / key forms (src/normalize/unicode.c): ASCII fast
 * path and utf8proc path must agree, Unicode compatibility forms, case folding, accents,
 * punctuation, invalid input and very long input.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

typedef struct pair {
    const char *in;
    const char *out;
} pair;

Test(unicode, utf8_validation)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"", 1},
        {"plain ascii", 1},
        {"Jos\xc3\xa9", 1},          /* é */
        {"\xe2\x82\xac", 1},         /* € */
        {"\xf0\x9f\x98\x80", 1},     /* emoji */
        {"\xc3", 0},                 /* truncated */
        {"\xc3\x28", 0},             /* bad continuation */
        {"\xc0\xaf", 0},             /* overlong '/' */
        {"\xe0\x80\xaf", 0},         /* overlong 3-byte */
        {"\xed\xa0\x80", 0},         /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 0},     /* > U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 0}, /* 5-byte form */
        {"abc\xff", 0},              /* invalid byte */
        {"\x80", 0},                 /* lone continuation */
        {"\xef\xbb\xbf"
         "BOM",
         1}, /* BOM is valid UTF-8 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(au_utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok, "case %zu", i);
    cr_expect_eq(au_utf8_valid("a\0b", 3), 1, "NUL is ASCII");
}

Test(unicode, text_cleans_white_space_controls_and_compatibility_forms)
{
    static const pair cases[] = {
        {"  John   Smith  ", "John Smith"},
        {"\tJohn\r\nSmith\n", "John Smith"},
        {"a\x01"
         "b\x7f"
         "c",
         "abc"},
        {"", ""},
        {"   \t ", ""},
        {"Jos\xc3\xa9", "Jos\xc3\xa9"},                  /* NFC kept */
        {"Jose\xcc\x81", "Jos\xc3\xa9"},                 /* decomposed -> composed */
        {"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", "123"}, /* full-width digits */
        {"John\xc2\xa0Smith", "John Smith"},             /* no-break space */
        {"\xe3\x80\x80John\xe3\x80\x80", "John"},        /* ideographic space */
        {"\xef\xbb\xbfJohn", "John"},                    /* BOM dropped */
        {"Jo\xe2\x80\x8bhn", "John"},                    /* zero-width space */
        {"\xe2\x80\xaeJohn\xe2\x80\xac", "John"},        /* right-to-left override */
        {"\xef\xac\x81sh", "fish"},                      /* ligature fi */
        {"Stra\xc3\x9f"
         "e",
         "Stra\xc3\x9f"
         "e"},                                                  /* ß kept in text */
        {"caf\xc3\xa9 CAF\xc3\x89", "caf\xc3\xa9 CAF\xc3\x89"}, /* case kept */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        cr_assert_eq(au_norm_text(cases[i].in, &o), AU_OK, "case %zu", i);
        cr_expect_str_eq(o, cases[i].out, "case %zu: '%s'", i, cases[i].in);
        au_free(o);
    }
}

Test(unicode, key_folds_case_accents_and_punctuation)
{
    static const pair cases[] = {
        {"  Jos\xc3\xa9-Luis O'Brien ", "jose luis obrien"},
        {"O\xe2\x80\x99"
         "Brien",
         "obrien"}, /* typographic apostrophe */
        {"O'Brien", "obrien"},
        {"OBRIEN", "obrien"},
        {"Smith, John A.", "smith john a"},
        {"Smith & Sons Ltd.", "smith sons ltd"},
        {"  ---  ", ""},
        {"", ""},
        {"Stra\xc3\x9f"
         "e",
         "strasse"},                  /* ß -> ss */
        {"M\xc3\xbcller", "muller"},  /* ü */
        {"Mu\xcc\x88ller", "muller"}, /* decomposed ü */
        {"\xc3\x85"
         "ngstr\xc3\xb6m",
         "angstrom"}, /* Å ö */
        {"Fran\xc3\xa7ois", "francois"},
        {"\xc4\xb0stanbul", "istanbul"},                              /* Turkish dotted capital I */
        {"\xc4\xb1s\xc4\xb1k", "isik"},                               /* Turkish dotless i */
        {"\xef\xbc\xaa\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e", "john"}, /* full-width letters */
        {"\xce\x9f\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xad\xce\xb1\xcf\x82",
         "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xce\xb1\xcf\x83"}, /* Greek, final s */
        {"\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e",
         "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e"}, /* CJK kept */
        {"Anne\xe2\x80\x93Marie", "anne marie"},               /* en dash */
        {"caf\xc3\xa9\xc2\xa0"
         "bar",
         "cafe bar"},
        {"#12/3", "12 3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        cr_assert_eq(au_norm_key(cases[i].in, &o), AU_OK, "case %zu", i);
        cr_expect_str_eq(o, cases[i].out, "case %zu: '%s' -> '%s'", i, cases[i].in, o);
        au_free(o);
    }
}

Test(unicode, ascii_and_unicode_paths_agree_on_ascii_parts)
{
    /* the same text with and without one accented letter must differ only in that letter */
    const char *ascii = "  Mr. John-Paul  O'Neil, 12 (B)  ";
    const char *uni = "  Mr. J\xc3\xb6hn-Paul  O'Neil, 12 (B)  ";
    char *a = NULL, *u = NULL;
    cr_assert_eq(au_norm_key(ascii, &a), AU_OK);
    cr_assert_eq(au_norm_key(uni, &u), AU_OK);
    cr_expect_str_eq(a, u);
    cr_expect_str_eq(a, "mr john paul oneil 12 b");
    au_free(a);
    au_free(u);
    cr_assert_eq(au_norm_text(ascii, &a), AU_OK);
    cr_assert_eq(au_norm_text(uni, &u), AU_OK);
    cr_expect_str_eq(a, "Mr. John-Paul O'Neil, 12 (B)");
    cr_expect_str_eq(u, "Mr. J\xc3\xb6hn-Paul O'Neil, 12 (B)");
    au_free(a);
    au_free(u);
}

Test(unicode, invalid_utf8_is_an_encoding_error)
{
    static const char *bad[] = {"abc\xff", "Jos\xc3", "\xed\xa0\x80", "\xc0\xaf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *o = (char *)0x1;
        cr_expect_eq(au_norm_text(bad[i], &o), AU_ERR_ENCODING, "case %zu", i);
        cr_expect_eq(au_norm_key(bad[i], &o), AU_ERR_ENCODING, "case %zu", i);
        cr_expect_eq(o, (char *)0x1, "out untouched on error");
    }
}

Test(unicode, very_long_input)
{
    size_t n = 1 << 20;
    char *s = au_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (i % 7 == 0) ? ' ' : 'A';
    s[n] = '\0';
    char *o = NULL;
    cr_assert_eq(au_norm_key(s, &o), AU_OK);
    cr_expect_eq(o[0], 'a');
    au_free(o);
    /* the Unicode path with more code points than its stack buffer */
    memcpy(s, "\xc3\xa9", 2);
    cr_assert_eq(au_norm_key(s, &o), AU_OK);
    cr_expect_eq(strncmp(o, "eaaaaa", 6), 0);
    au_free(o);
    cr_assert_eq(au_norm_text(s, &o), AU_OK);
    cr_expect_eq(strncmp(o,
                         "\xc3\xa9"
                         "AAAAA",
                         7),
                 0);
    au_free(o);
    au_free(s);
}

Test(unicode, allocation_failure_is_reported)
{
    char *o = NULL;
    au_alloc_fail_after(0);
    au_rc a = au_norm_key("John", &o);
    au_rc b = au_norm_key("J\xc3\xb6hn", &o);
    au_rc c = au_norm_text("J\xc3\xb6hn", &o);
    au_alloc_fail_after(-1);
    cr_expect_eq(a, AU_ERR_NOMEM);
    cr_expect_eq(b, AU_ERR_NOMEM);
    cr_expect_eq(c, AU_ERR_NOMEM);
}
