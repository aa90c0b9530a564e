/*
 * Property tests over generated input for the whole normalisation module: no crash on any valid
 * UTF-8, results are valid UTF-8, every refusal has a reason, and normalising a normalised value
 * again changes nothing (idempotence), which is what makes stored keys comparable over time.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

/* Pieces the generator strings together: digits, letters, separators, punctuation and a few
 * multi-byte characters (é, ß, İ, ı, full-width 1, no-break space, ’, en dash, CJK, emoji). */
static const char *const pieces[] = {"0",
                                     "1",
                                     "2",
                                     "9",
                                     "12",
                                     "1981",
                                     "a",
                                     "B",
                                     "z",
                                     "mc",
                                     "van",
                                     "st",
                                     "@",
                                     ".",
                                     "-",
                                     "/",
                                     " ",
                                     "  ",
                                     "+",
                                     "(",
                                     ")",
                                     "'",
                                     ",",
                                     "x",
                                     "#",
                                     "\t",
                                     "\xc3\xa9",
                                     "\xc3\x9f",
                                     "\xc4\xb0",
                                     "\xc4\xb1",
                                     "\xef\xbc\x91",
                                     "\xc2\xa0",
                                     "\xe2\x80\x99",
                                     "\xe2\x80\x93",
                                     "\xe5\xb1\xb1",
                                     "\xf0\x9f\x98\x80",
                                     "gmail.com",
                                     "sep",
                                     "uk",
                                     "00",
                                     "44"};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void gen(uint64_t *seed, char *buf, size_t cap)
{
    size_t n = 0, parts = next(seed) % 12;
    buf[0] = '\0';
    for (size_t i = 0; i < parts; i++) {
        const char *p = pieces[next(seed) % NPIECES];
        size_t l = strlen(p);
        if (n + l >= cap)
            break;
        memcpy(buf + n, p, l + 1);
        n += l;
    }
}

Test(property, any_valid_utf8_gives_a_result_or_a_reason)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    char buf[128];
    static const au_norm_opts opts[] = {{"GB", AU_DATE_AUTO, 0, 0},
                                        {"US", AU_DATE_MDY, 0, 0},
                                        {"", AU_DATE_DMY, 0, 0},
                                        {"IT", AU_DATE_ISO, 0, 0}};
    for (int iter = 0; iter < 3000; iter++) {
        gen(&seed, buf, sizeof(buf));
        for (int a = 0; a < AU_ATTR_COUNT; a++) {
            au_value v = {0};
            au_norm_why why = {{0}};
            au_rc rc = au_norm_value((au_attr)a, buf, &opts[iter % 4], &v, &why);
            cr_assert(rc == AU_OK || rc == AU_ERR_INVALID, "attr %d '%s': rc %d", a, buf, rc);
            if (rc) {
                cr_assert(why.reason[0], "attr %d '%s': refusal without reason", a, buf);
                cr_assert(why.reason[strlen(why.reason) - 1] != '.', "no trailing period");
                continue;
            }
            cr_assert_str_eq(v.raw, buf);
            cr_assert((v.value == NULL) == (v.key == NULL), "attr %d '%s'", a, buf);
            if (v.value) {
                cr_assert(v.value[0] && v.key[0], "attr %d '%s': empty but present", a, buf);
                cr_assert(au_utf8_valid(v.value, strlen(v.value)), "attr %d '%s'", a, buf);
                cr_assert(au_utf8_valid(v.key, strlen(v.key)), "attr %d '%s'", a, buf);
            }
            au_free(v.raw);
            au_free(v.value);
            au_free(v.key);
        }
    }
}

Test(property, text_and_key_are_idempotent)
{
    uint64_t seed = 42;
    char buf[128];
    for (int iter = 0; iter < 5000; iter++) {
        gen(&seed, buf, sizeof(buf));
        char *t1 = NULL, *t2 = NULL, *k1 = NULL, *k2 = NULL, *kt = NULL;
        cr_assert_eq(au_norm_text(buf, &t1), AU_OK);
        cr_assert_eq(au_norm_text(t1, &t2), AU_OK);
        cr_assert_str_eq(t1, t2, "text of '%s'", buf);
        cr_assert_eq(au_norm_key(buf, &k1), AU_OK);
        cr_assert_eq(au_norm_key(k1, &k2), AU_OK);
        cr_assert_str_eq(k1, k2, "key of '%s'", buf);
        cr_assert_eq(au_norm_key(t1, &kt), AU_OK);
        cr_assert_str_eq(k1, kt, "key of text of '%s'", buf);
        au_free(t1);
        au_free(t2);
        au_free(k1);
        au_free(k2);
        au_free(kt);
    }
}

Test(property, typed_values_are_fixed_points)
{
    /* a stored value fed back in (a golden record re-imported) must come out unchanged */
    uint64_t seed = 7;
    char buf[128];
    au_norm_opts gb = {"GB", AU_DATE_DMY, 0, 0};
    int accepted = 0;
    for (int iter = 0; iter < 5000; iter++) {
        gen(&seed, buf, sizeof(buf));
        for (int a = 0; a < AU_ATTR_COUNT; a++) {
            au_value v1 = {0}, v2 = {0};
            if (au_norm_value((au_attr)a, buf, &gb, &v1, NULL) || !v1.value)
                goto next;
            accepted++;
            cr_assert_eq(au_norm_value((au_attr)a, v1.value, &gb, &v2, NULL), AU_OK,
                         "attr %d: '%s' -> '%s' refused on re-entry", a, buf, v1.value);
            cr_assert_str_eq(v2.value, v1.value, "attr %d: '%s'", a, buf);
            cr_assert_str_eq(v2.key, v1.key, "attr %d: '%s'", a, buf);
        next:
            au_free(v1.raw);
            au_free(v1.value);
            au_free(v1.key);
            au_free(v2.raw);
            au_free(v2.value);
            au_free(v2.key);
        }
    }
    cr_expect_gt(accepted, 1000, "the generator must produce acceptable values too");
}
