/*
 * Telephone numbers to E.164 ("+442079460958"). A number written with "+" or the "00"
 * international prefix carries its country; a national number ("020 7946 0958") needs the
 * source's default country, whose calling code and trunk prefix come from the table below.
 * Lengths are checked against each country's range of national significant numbers so that
 * a truncated or run-together number is refused rather than stored as a wrong key. Numbers of
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
} phone_country;

/* Italy writes its leading 0 in E.164 too, so it has no trunk prefix to drop. */
static const phone_country countries[] = {
    {"GB", "44", "0", 9, 10}, {"IE", "353", "0", 7, 9},  {"US", "1", "1", 10, 10},
    {"CA", "1", "1", 10, 10}, {"AU", "61", "0", 8, 9},   {"NZ", "64", "0", 8, 10},
    {"DE", "49", "0", 6, 13}, {"FR", "33", "0", 9, 9},   {"NL", "31", "0", 9, 9},
    {"BE", "32", "0", 8, 9},  {"ES", "34", "", 9, 9},    {"IT", "39", "", 6, 11},
    {"PT", "351", "", 9, 9},  {"SE", "46", "0", 7, 10},  {"NO", "47", "", 8, 8},
    {"DK", "45", "", 8, 8},   {"FI", "358", "0", 5, 12}, {"CH", "41", "0", 9, 9},
    {"AT", "43", "0", 4, 13}, {"PL", "48", "", 9, 9},    {"IN", "91", "0", 10, 10},
    {"ZA", "27", "0", 9, 9},  {"BR", "55", "0", 10, 11}, {"MX", "52", "", 10, 10},
    {"JP", "81", "0", 9, 10}, {"LU", "352", "", 4, 11},  {"GR", "30", "", 10, 10},
    {"CZ", "420", "", 9, 9},  {"SG", "65", "", 8, 8},    {"HK", "852", "", 8, 8},
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

static au_rc check_nsn(const phone_country *pc, size_t len, au_norm_why *why)
{
    if (len < (size_t)pc->min)
        return au_norm_refuse(why, "too few digits for a %s phone number (%d to %d expected)",
                              pc->iso, pc->min, pc->max);
    if (len > (size_t)pc->max)
        return au_norm_refuse(why, "too many digits for a %s phone number (%d to %d expected)",
                              pc->iso, pc->min, pc->max);
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
    au_rc rc = check_nsn(pc, nd, why);
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
    au_rc rc = check_nsn(pc, nl, why);
    if (rc)
        return rc;
    cat2(out, pc->cc, nsn);
    return AU_OK;
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
    else if (home)
        rc = national(home, d, nd, num, why);
    else if (country && *country)
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
