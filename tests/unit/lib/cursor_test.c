/*
 * Unit tests for change-feed cursors: round trips over the whole 64-bit range, the ordering
 * property, and refusal of everything au_cursor_encode cannot have produced.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/cursor.h"

static const char digits[] = "0123456789abcdefghjkmnpqrstvwxyz";

Test(cursor, round_trips_across_the_range)
{
    uint64_t vals[] = {0, 1, 31, 32, 255, 256, 1000000007ULL, (uint64_t)1 << 63, UINT64_MAX};
    /* plus a pseudo-random walk so more than hand-picked values are covered */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 2000 + (int)(sizeof(vals) / sizeof(vals[0])); i++) {
        uint64_t v;
        if (i < (int)(sizeof(vals) / sizeof(vals[0]))) {
            v = vals[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = x;
        }
        char c[AU_CURSOR_LEN + 1];
        au_cursor_encode(v, c);
        cr_assert_eq(strlen(c), AU_CURSOR_LEN);
        cr_assert_eq(strncmp(c, "c_", 2), 0);
        cr_assert_eq(strspn(c + 2, digits), AU_CURSOR_LEN - 2, "URL-safe digits only: %s", c);
        uint64_t back = 0;
        cr_assert_eq(au_cursor_decode(c, &back, NULL), AU_OK, "%s", c);
        cr_assert_eq(back, v);
    }
}

Test(cursor, cursors_sort_like_their_sequences)
{
    uint64_t seqs[] = {0, 1, 2, 99, 100, 4096, 1ULL << 40, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 1; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        char a[AU_CURSOR_LEN + 1], b[AU_CURSOR_LEN + 1];
        au_cursor_encode(seqs[i - 1], a);
        au_cursor_encode(seqs[i], b);
        cr_assert_lt(strcmp(a, b), 0, "%s !< %s", a, b);
    }
}

static void assert_refused(const char *s, const char *why_part)
{
    au_err e;
    au_err_init(&e);
    uint64_t seq = 777;
    cr_assert_eq(au_cursor_decode(s, &seq, &e), AU_ERR_INVALID, "accepted \"%s\"", s ? s : "");
    cr_assert_eq(seq, 777, "output untouched on error");
    cr_assert(strstr(e.message, why_part), "\"%s\": message \"%s\" lacks \"%s\"", s ? s : "",
              e.message, why_part);
    au_err_cleanup(&e);
}

Test(cursor, malformed_cursors_are_refused_with_a_reason)
{
    char ok[AU_CURSOR_LEN + 1];
    au_cursor_encode(123456789, ok);
    char buf[64];

    assert_refused(NULL, "c_");
    assert_refused("", "c_");
    assert_refused("12345", "c_");
    assert_refused("c_", "characters long");
    snprintf(buf, sizeof(buf), "C_%s", ok + 2);
    assert_refused(buf, "c_");
    snprintf(buf, sizeof(buf), "%s0", ok);
    assert_refused(buf, "characters long");
    snprintf(buf, sizeof(buf), "%.*s", AU_CURSOR_LEN - 1, ok);
    assert_refused(buf, "characters long");
    /* upper case, letters left out of the alphabet, URL-unsafe characters */
    const char bad_chars[] = {'A', 'i', 'l', 'o', 'u', '/', '+', '=', '%', ' '};
    for (size_t i = 0; i < sizeof(bad_chars); i++) {
        snprintf(buf, sizeof(buf), "%s", ok);
        buf[5] = bad_chars[i];
        assert_refused(buf, "not a cursor digit");
    }
}

Test(cursor, every_single_mistyped_digit_is_caught)
{
    char ok[AU_CURSOR_LEN + 1];
    au_cursor_encode(0x0123456789abcdefULL, ok);
    int tried = 0;
    for (int pos = 2; pos < AU_CURSOR_LEN; pos++) {
        for (int d = 0; d < 32; d++) {
            if (digits[d] == ok[pos])
                continue;
            char c[AU_CURSOR_LEN + 1];
            memcpy(c, ok, sizeof(c));
            c[pos] = digits[d];
            uint64_t seq;
            cr_assert_eq(au_cursor_decode(c, &seq, NULL), AU_ERR_INVALID, "accepted %s (from %s)",
                         c, ok);
            tried++;
        }
    }
    cr_assert_eq(tried, 15 * 31);
}
