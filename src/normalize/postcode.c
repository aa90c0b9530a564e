/*
 * Postal codes: upper-cased with single spaces; British codes (GB and the Crown dependencies,
 * which share the format) are re-spaced as outward + inward code ("SW1A 1AA") when they parse,
 * US ZIP codes as "12345" or "12345-6789". Other countries keep their letters, digits, single
 * spaces and hyphens. The comparison key (au_norm_value) keeps only letters and digits.
 */
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

#define POSTCODE_MAX 16

static int is_a(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_d(char c)
{
    return c >= '0' && c <= '9';
}

/* The UK outward code shapes: A9, A99, AA9, AA99, A9A, AA9A. */
static int uk_outward(const char *s, size_t n)
{
    if (n < 2 || n > 4 || !is_a(s[0]))
        return 0;
    if (n == 2)
        return is_d(s[1]);
    if (n == 3)
        return (is_d(s[1]) && (is_d(s[2]) || is_a(s[2]))) || (is_a(s[1]) && is_d(s[2]));
    return is_a(s[1]) && is_d(s[2]) && (is_d(s[3]) || is_a(s[3]));
}

/* Compact upper-case alphanumerics a[0..n) as "OUT IN" into o when they form a UK postcode. */
static int uk_format(const char *a, size_t n, char *o)
{
    if (n < 5 || n > 7)
        return 0;
    const char *in = a + n - 3;
    if (!is_d(in[0]) || !is_a(in[1]) || !is_a(in[2]) || !uk_outward(a, n - 3))
        return 0;
    memcpy(o, a, n - 3);
    o[n - 3] = ' ';
    memcpy(o + n - 2, in, 3);
    o[n + 1] = '\0';
    return 1;
}

static int is_uk(const char *c)
{
    return !strcasecmp(c, "GB") || !strcasecmp(c, "UK") || !strcasecmp(c, "GG") ||
           !strcasecmp(c, "JE") || !strcasecmp(c, "IM");
}

au_rc au_norm_postcode_clean(const char *t, const char *country, char **out, au_norm_why *why)
{
    char gen[2 * POSTCODE_MAX + 1], alnum[POSTCODE_MAX + 1], fmt[POSTCODE_MAX + 2];
    size_t g = 0, a = 0;
    for (const char *p = t; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '-') {
            if (g && gen[g - 1] != ' ' && gen[g - 1] != '-')
                gen[g++] = (char)c;
            continue;
        }
        if (!au_norm_isalnum(c)) {
            if (c >= 0x80)
                return au_norm_refuse(why, "not a postcode: non-Latin character");
            return au_norm_refuse(why, "not a postcode: invalid character '%c'", c);
        }
        if (a == POSTCODE_MAX)
            return au_norm_refuse(why, "not a postcode: longer than %d characters", POSTCODE_MAX);
        gen[g++] = (char)au_norm_upper(c);
        alnum[a++] = (char)au_norm_upper(c);
    }
    while (g && (gen[g - 1] == ' ' || gen[g - 1] == '-'))
        g--;
    gen[g] = '\0';
    alnum[a] = '\0';
    if (a == 0)
        return au_norm_refuse(why, "not a postcode: no letters or digits");
    const char *res = gen;
    if (country && is_uk(country) && uk_format(alnum, a, fmt)) {
        res = fmt;
    } else if (country && !strcasecmp(country, "US")) {
        int digits = 1;
        for (size_t i = 0; i < a; i++)
            digits &= is_d(alnum[i]);
        if (!digits || (a != 5 && a != 9))
            return au_norm_refuse(why, "not a US ZIP code (5 or 9 digits expected)");
        memcpy(fmt, alnum, 5);
        if (a == 9) {
            fmt[5] = '-';
            memcpy(fmt + 6, alnum + 5, 4);
        }
        fmt[a == 9 ? 10 : 5] = '\0';
        res = fmt;
    }
    char *o = au_strdup(res);
    if (!o)
        return AU_ERR_NOMEM;
    *out = o;
    return AU_OK;
}

au_rc au_norm_postcode(const char *in, const char *country, char **out, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_postcode_clean(t, country, out, why);
    au_free(t);
    return rc;
}
