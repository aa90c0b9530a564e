/*
 * Telephone numbers to E.164 ("+442079460958"). A number written with "+", the "00"
 * international prefix (or "011" in a North American source) carries its country; a national
 * number ("020 7946 0958") needs the source's default country, whose calling code, trunk prefix,
 * lengths and leading digits come from the table below, so that a truncated, run-together or
 * foreign number is refused rather than stored as a wrong key. One exception, for the US
 * customers every non-US source has: a number that fails the home plan but is written the
 * North American way, 3-3-4 ("(415) 555-2671"), and is valid there, is read as +1. Numbers of
 * countries outside the table are accepted in international form with only the E.164 limits.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

typedef struct phone_country {
    const char *iso;   /* ISO 3166-1 alpha-2 */
    const char *cc;    /* calling code without "+" */
    const char *trunk; /* national trunk prefix dropped in E.164 ("" = none) */
    int min, max;      /* national significant number length range */
    const char *lead;  /* digits a national significant number may start with ("" = any) */
} phone_country;

/* The ~60 countries most customer data comes from. Lengths and leading digits follow each
 * plan's published ranges, kept loose where a plan has many exceptions: the point is to refuse a
 * truncated or run-together number, or one of another plan (a US "415..." in a GB source), not
 * to validate every range. Italy writes its leading 0 in E.164 too, so it has no trunk prefix to
 * drop; Russia's trunk prefix is 8, Hungary's 06. Where two countries share a calling code (+1,
 * +7) the first entry stands for the whole plan when reading international numbers. */
static const phone_country countries[] = {
    {"GB", "44", "0", 9, 10, "1235789"},    {"IE", "353", "0", 7, 9, "12456789"},
    {"US", "1", "1", 10, 10, "23456789"},   {"CA", "1", "1", 10, 10, "23456789"},
    {"AU", "61", "0", 8, 9, "12345789"},    {"NZ", "64", "0", 8, 10, "2345679"},
    {"DE", "49", "0", 6, 13, "123456789"},  {"FR", "33", "0", 9, 9, "123456789"},
    {"NL", "31", "0", 9, 9, "123456789"},   {"BE", "32", "0", 8, 9, "123456789"},
    {"LU", "352", "", 4, 11, ""},           {"ES", "34", "", 9, 9, "6789"},
    {"IT", "39", "", 6, 11, "038"},         {"PT", "351", "", 9, 9, "2789"},
    {"SE", "46", "0", 7, 10, "123456789"},  {"NO", "47", "", 8, 8, "2345789"},
    {"DK", "45", "", 8, 8, "23456789"},     {"FI", "358", "0", 5, 12, "123456789"},
    {"CH", "41", "0", 9, 9, "2345789"},     {"AT", "43", "0", 4, 13, "123456789"},
    {"PL", "48", "", 9, 9, "123456789"},    {"CZ", "420", "", 9, 9, "23456789"},
    {"SK", "421", "0", 9, 9, "2345689"},    {"HU", "36", "06", 8, 9, "123456789"},
    {"RO", "40", "0", 9, 9, "237"},         {"GR", "30", "", 10, 10, "2689"},
    {"TR", "90", "0", 10, 10, "23458"},     {"RU", "7", "8", 10, 10, "3489"},
    {"UA", "380", "0", 9, 9, "3456789"},    {"IL", "972", "0", 8, 9, "2345789"},
    {"AE", "971", "0", 8, 9, "2345679"},    {"SA", "966", "0", 9, 9, "158"},
    {"EG", "20", "0", 9, 10, "12345689"},   {"ZA", "27", "0", 9, 9, "12345678"},
    {"NG", "234", "0", 8, 10, "123456789"}, {"KE", "254", "0", 9, 9, "1234567"},
    {"IN", "91", "0", 10, 10, "123456789"}, {"PK", "92", "0", 9, 10, "123456789"},
    {"BD", "880", "0", 8, 10, "123456789"}, {"CN", "86", "0", 10, 11, "123456789"},
    {"HK", "852", "", 8, 8, "2345679"},     {"TW", "886", "0", 8, 9, "23456789"},
    {"JP", "81", "0", 9, 10, "123456789"},  {"KR", "82", "0", 8, 10, "123456789"},
    {"SG", "65", "", 8, 8, "3689"},         {"MY", "60", "0", 8, 10, "13456789"},
    {"TH", "66", "0", 8, 9, "2345689"},     {"VN", "84", "0", 9, 10, "235789"},
    {"PH", "63", "0", 8, 10, "2345689"},    {"ID", "62", "0", 8, 12, "123456789"},
    {"BR", "55", "0", 10, 11, "123456789"}, {"MX", "52", "", 10, 10, "123456789"},
    {"AR", "54", "0", 10, 11, "123456789"}, {"CL", "56", "", 9, 9, "23456789"},
    {"CO", "57", "", 10, 10, "36"},         {"PE", "51", "0", 8, 9, "123456789"},
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static const phone_country *by_iso(const char *iso)
{
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (!strcasecmp(countries[i].iso, iso))
            return &countries[i];
    return NULL;
}

/* The table entry whose calling code starts the international digits d (first match: for
 * shared codes like +1 the first entry stands for the whole plan). */
static const phone_country *by_cc(const char *d)
{
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (!strncmp(d, countries[i].cc, strlen(countries[i].cc)))
            return &countries[i];
    return NULL;
}

/* True when s (at a letter) is an extension marker followed only by digits: "x123",
 * "ext. 12", "extension 4", "#12". */
static int is_extension(const char *s)
{
    static const char *marks[] = {"extension", "ext", "x", "#"};
    for (size_t m = 0; m < 4; m++) {
        size_t l = strlen(marks[m]);
        if (strncasecmp(s, marks[m], l))
            continue;
        const char *p = s + l;
        while (*p == '.' || *p == ':' || *p == '=' || *p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
        return *p == '\0';
    }
    return 0;
}

#define MAXDIG 24

/* Collects the digits of t into d; sets *plus when the number starts with "+". */
static au_rc collect(const char *t, char *d, size_t *nd, int *plus, au_norm_why *why)
{
    size_t n = 0;
    *plus = 0;
    if (!strncasecmp(t, "tel:", 4))
        t += 4;
    for (const char *p = t; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= '0' && c <= '9') {
            if (n == MAXDIG)
                return au_norm_refuse(why, "not a phone number: too many digits");
            d[n++] = (char)c;
        } else if (c == '+') {
            if (n || *plus || p != t)
                return au_norm_refuse(why, "not a phone number: '+' not at the start");
            *plus = 1;
        } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') {
            continue;
        } else if (n && (c == 'x' || c == 'X' || c == 'e' || c == 'E' || c == '#') &&
                   is_extension(p)) {
            break;
        } else if (n && (c == ',' || c == ';') && is_extension(p + 1 + (p[1] == ' '))) {
            break; /* "020 7946 0958, ext. 12" */
        } else if (au_norm_isalnum(c) || c >= 0x80) {
            return au_norm_refuse(why, "not a phone number: contains letters");
        } else {
            return au_norm_refuse(why, "not a phone number: invalid character '%c'", c);
        }
    }
    d[n] = '\0';
    *nd = n;
    return AU_OK;
}

/* out = a followed by b; both are short digit strings bounded by MAXDIG + 4 together. */
static void cat2(char *out, const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    memcpy(out, a, al);
    memcpy(out + al, b, bl + 1);
}

static au_rc check_nsn(const phone_country *pc, const char *nsn, size_t len, au_norm_why *why)
{
    if (len < (size_t)pc->min)
        return au_norm_refuse(why, "too few digits for a %s phone number (%d to %d expected)",
                              pc->iso, pc->min, pc->max);
    if (len > (size_t)pc->max)
        return au_norm_refuse(why, "too many digits for a %s phone number (%d to %d expected)",
                              pc->iso, pc->min, pc->max);
    if (*pc->lead && !strchr(pc->lead, nsn[0]))
        return au_norm_refuse(why, "no %s phone number starts with %c", pc->iso, nsn[0]);
    return AU_OK;
}

/* National digits d under default country pc to cc+NSN in out. */
static au_rc national(const phone_country *pc, const char *d, size_t nd, char *out,
                      au_norm_why *why)
{
    size_t tl = strlen(pc->trunk);
    /* the trunk prefix is optional for NANP ("415 555 2671") but expected elsewhere; strip it
     * only when what remains is a valid length, so "1 415..." and "0 20..." both work */
    if (tl && nd > tl && !strncmp(d, pc->trunk, tl) && nd - tl >= (size_t)pc->min &&
        nd - tl <= (size_t)pc->max) {
        d += tl;
        nd -= tl;
    }
    /* spreadsheets drop the "+" of "+447700900123": a too-long number that starts with the
     * home calling code and is valid after it is that number */
    size_t cl = strlen(pc->cc);
    if (nd > (size_t)pc->max && !strncmp(d, pc->cc, cl) && nd - cl >= (size_t)pc->min &&
        nd - cl <= (size_t)pc->max) {
        d += cl;
        nd -= cl;
    }
    au_rc rc = check_nsn(pc, d, nd, why);
    if (rc)
        return rc;
    cat2(out, pc->cc, d);
    return AU_OK;
}

/* International digits (after + or 00). */
static au_rc international(const char *d, size_t nd, char *out, au_norm_why *why)
{
    if (nd == 0)
        return au_norm_refuse(why, "not a phone number: no digits after the international prefix");
    if (d[0] == '0')
        return au_norm_refuse(why, "not a phone number: country code cannot start with 0");
    const phone_country *pc = by_cc(d);
    if (!pc) {
        if (nd < 8)
            return au_norm_refuse(why, "too few digits for an international phone number");
        cat2(out, "", d);
        return AU_OK;
    }
    size_t cl = strlen(pc->cc);
    const char *nsn = d + cl;
    size_t nl = nd - cl;
    /* "+44 (0)20 ..." writes the trunk prefix inside the international form */
    size_t tl = strlen(pc->trunk);
    if (tl && nl > (size_t)pc->max && !strncmp(nsn, pc->trunk, tl)) {
        nsn += tl;
        nl -= tl;
    }
    au_rc rc = check_nsn(pc, nsn, nl, why);
    if (rc)
        return rc;
    cat2(out, pc->cc, nsn);
    return AU_OK;
}

/* True when t groups its digits as a North American number is written, 3-3-4 with an optional
 * leading 1: "(415) 555-2671", "415.555.2671", "1-415-555-2671". */
static int nanp_grouped(const char *t)
{
    int groups[5], ng = 0, run = 0;
    for (const char *p = t;; p++) {
        if (*p >= '0' && *p <= '9') {
            run++;
            continue;
        }
        if (run) {
            if (ng == 5)
                return 0;
            groups[ng++] = run;
            run = 0;
        }
        if (!*p || *p == 'x' || *p == 'X' || *p == 'e' || *p == 'E' || *p == '#' || *p == ',')
            break;
    }
    int k = ng == 4 && groups[0] == 1 ? 1 : 0;
    return ng - k == 3 && groups[k] == 3 && groups[k + 1] == 3 && groups[k + 2] == 4;
}

/* A number that is not valid in the source's own plan but is unmistakably North American: written
 * 3-3-4 and valid in NANP (area code and exchange start with 2-9). Outside NANP countries no plan
 * groups a national number 3-3-4 with a valid length and a NANP-valid shape after failing its
 * own check, so taking it as +1 loses nothing and keeps the customer's US number. */
static int nanp_fallback(const char *t, const char *d, size_t nd, char *out)
{
    if (nd == 11 && d[0] == '1')
        d++, nd--;
    if (nd != 10 || d[0] < '2' || d[3] < '2' || !nanp_grouped(t))
        return 0;
    cat2(out, "1", d);
    return 1;
}

au_rc au_norm_phone_clean(const char *t, const char *country, char **e164, au_norm_why *why)
{
    char d[MAXDIG + 1], num[MAXDIG + 8];
    size_t nd = 0;
    int plus = 0;
    au_rc rc = collect(t, d, &nd, &plus, why);
    if (rc)
        return rc;
    if (nd == 0)
        return au_norm_refuse(why, "not a phone number: no digits");
    const phone_country *home = country && *country ? by_iso(country) : NULL;
    int nanp = home && !strcmp(home->cc, "1");
    if (plus)
        rc = international(d, nd, num, why);
    else if (nd > 2 && !strncmp(d, "00", 2))
        rc = international(d + 2, nd - 2, num, why);
    else if (nanp && nd > 3 && !strncmp(d, "011", 3))
        rc = international(d + 3, nd - 3, num, why);
    else if (home) {
        rc = national(home, d, nd, num, why);
        if (rc == AU_ERR_INVALID && !nanp && nanp_fallback(t, d, nd, num))
            rc = AU_OK;
    } else if (country && *country)
        rc = au_norm_refuse(why,
                            "no phone numbering plan known for country %s, write the number "
                            "with +",
                            country);
    else
        rc = au_norm_refuse(why, "national phone number without a country, write it with + or set "
                                 "a default country");
    if (rc)
        return rc;
    size_t len = strlen(num);
    if (len > 15)
        return au_norm_refuse(why, "too many digits for a phone number (E.164 allows 15)");
    char *o = au_malloc(len + 2);
    if (!o)
        return AU_ERR_NOMEM;
    o[0] = '+';
    memcpy(o + 1, num, len + 1);
    *e164 = o;
    return AU_OK;
}

au_rc au_norm_phone(const char *in, const char *country, char **e164, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_phone_clean(t, country, e164, why);
    au_free(t);
    return rc;
}
