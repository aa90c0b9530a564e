/*
 * Calendar dates to ISO "YYYY-MM-DD". A date is read as up to three parts (digit runs or an
 * English month name) separated by "/", "-", "." or spaces, then assigned to year, month and
 * day by the source's declared format. Nothing is guessed: in AUTO mode a D/M/Y-looking date
 * is accepted only when one part cannot be a month or both readings agree; two-digit years are
 * refused because the century is a guess; impossible dates are refused with the reason.
 * A year-first date (4-digit first part) is unambiguous and accepted under every format.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

#define YEAR_MIN 1800
#define YEAR_MAX 2100

typedef struct dpart {
    int val;   /* numeric value (month number for a month name) */
    int width; /* digits written; 0 for a month name */
} dpart;

static const char *const months[] = {"january",   "february", "march",    "april",
                                     "may",       "june",     "july",     "august",
                                     "september", "october",  "november", "december"};

/* Month number of an English month name or its 3-letter (or "sept") abbreviation, else 0. */
static int month_name(const char *s, size_t n)
{
    if (n == 4 && !strncasecmp(s, "sept", 4))
        return 9;
    for (int m = 0; m < 12; m++) {
        size_t l = strlen(months[m]);
        if ((n == 3 || n == l) && n <= l && !strncasecmp(s, months[m], n))
            return m + 1;
    }
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static au_rc check(int y, int m, int d, au_norm_why *why)
{
    if (y < YEAR_MIN || y > YEAR_MAX)
        return au_norm_refuse(why, "year %d out of range %d..%d", y, YEAR_MIN, YEAR_MAX);
    if (m < 1 || m > 12)
        return au_norm_refuse(why, "month %d out of range", m);
    if (d < 1 || d > days_in(y, m)) {
        if (m == 2 && d == 29)
            return au_norm_refuse(why, "day 29 out of range for month 2 (%d is not a leap year)",
                                  y);
        return au_norm_refuse(why, "day %d out of range for month %d", d, m);
    }
    return AU_OK;
}

/* A trailing time, as ISO and spreadsheet exports write it: "T10:00", " 10:00:00",
 * "T10:00:00Z", "23/09/1981 00:00". The time is ignored. */
static int is_time_tail(const char *p)
{
    if (*p != 'T' && *p != 't' && *p != ' ')
        return 0;
    p++;
    return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] == ':';
}

/* True at "st", "nd", "rd" or "th" after a day number, followed by a non-letter. */
static int ordinal_suffix(const char *p, long v)
{
    if (v < 1 || v > 31 || !((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z'))
        return 0;
    char a = (char)(p[0] | 32), b = (char)(p[1] | 32);
    int ok = (a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
             (a == 't' && b == 'h');
    return ok && !((p[2] | 32) >= 'a' && (p[2] | 32) <= 'z');
}

/* Splits t into parts. Returns the number of parts (<= 3), or -1 with why set. *tail is set
 * to where parsing stopped (a possible time). */
static int split(const char *t, dpart *parts, const char **tail, au_norm_why *why)
{
    int np = 0;
    const char *p = t;
    for (;;) {
        const char *s = p;
        if (*p >= '0' && *p <= '9') {
            long v = 0;
            while (*p >= '0' && *p <= '9') {
                if (p - s < 9)
                    v = v * 10 + (*p - '0');
                p++;
            }
            if (p - s > 8) {
                au_norm_refuse(why, "not a date: number too long");
                return -1;
            }
            parts[np].val = (int)v;
            parts[np].width = (int)(p - s);
            if (ordinal_suffix(p, v))
                p += 2; /* "23rd September 1981" */
        } else if ((*p | 32) >= 'a' && (*p | 32) <= 'z') {
            while ((*p | 32) >= 'a' && (*p | 32) <= 'z')
                p++;
            int m = month_name(s, (size_t)(p - s));
            if (!m) {
                au_norm_refuse(why, "not a date: unexpected word '%.*s'",
                               (int)(p - s) > 20 ? 20 : (int)(p - s), s);
                return -1;
            }
            if (*p == '.')
                p++; /* "Sep." */
            parts[np].val = m;
            parts[np].width = 0;
        } else {
            if (*p)
                au_norm_refuse(why, "not a date: unexpected character '%c'", *p);
            else
                au_norm_refuse(why, "not a date: empty");
            return -1;
        }
        np++;
        *tail = p;
        if (np == 3 || !*p || is_time_tail(p))
            return np;
        if (*p == ',') /* "Sep 23, 1981" */
            p++;
        if (*p == '/' || *p == '-' || *p == '.' || *p == ' ')
            p++;
        if (*p == ' ')
            p++;
        if (!*p) {
            au_norm_refuse(why, "not a date: ends with a separator");
            return -1;
        }
    }
}

static au_rc year_part(const dpart *p, int *y, au_norm_why *why)
{
    if (p->width == 0)
        return au_norm_refuse(why, "not a date: month name where the year should be");
    if (p->width <= 2)
        return au_norm_refuse(why, "two-digit year %02d, write the year in full", p->val);
    *y = p->val;
    return AU_OK;
}

/* Day/month from the two non-year parts a (first written) and b, by format. */
static au_rc day_month(const dpart *a, const dpart *b, au_date_format fmt, int *d, int *m,
                       au_norm_why *why)
{
    if (a->width == 0 || b->width == 0) { /* a month name makes the order explicit */
        if (a->width == 0 && b->width == 0)
            return au_norm_refuse(why, "not a date: two month names");
        *m = a->width == 0 ? a->val : b->val;
        *d = a->width == 0 ? b->val : a->val;
        return AU_OK;
    }
    switch (fmt) {
    case AU_DATE_DMY:
        *d = a->val, *m = b->val;
        return AU_OK;
    case AU_DATE_MDY:
        *m = a->val, *d = b->val;
        return AU_OK;
    case AU_DATE_AUTO:
        if (a->val > 12 && b->val > 12)
            return au_norm_refuse(why, "not a date: neither %d nor %d is a month", a->val, b->val);
        if (a->val > 12)
            *d = a->val, *m = b->val;
        else if (b->val > 12)
            *m = a->val, *d = b->val;
        else if (a->val == b->val)
            *d = *m = a->val;
        else
            return au_norm_refuse(why, "ambiguous day/month order, set a format");
        return AU_OK;
    default:
        return au_norm_refuse(why, "not a date in the %s format", au_date_format_name(fmt));
    }
}

/* 8 digits in one run: YYYYMMDD, or DDMMYYYY / MMDDYYYY under those formats. */
static au_rc compact(int v, au_date_format fmt, int *y, int *m, int *d)
{
    if (fmt == AU_DATE_DMY) {
        *d = v / 1000000, *m = v / 10000 % 100, *y = v % 10000;
    } else if (fmt == AU_DATE_MDY) {
        *m = v / 1000000, *d = v / 10000 % 100, *y = v % 10000;
    } else {
        *y = v / 10000, *m = v / 100 % 100, *d = v % 100;
    }
    return AU_OK;
}

au_rc au_norm_date_clean(const char *t, au_date_format fmt, char **iso, au_norm_why *why)
{
    dpart p[3];
    const char *tail = t;
    int y = 0, m = 0, d = 0;
    au_rc rc = AU_OK;
    int np = split(t, p, &tail, why);
    if (np < 0)
        return AU_ERR_INVALID;
    int year_first = p[0].width == 4 || (np == 3 && p[0].width == 3);
    if (*tail && !(is_time_tail(tail) && (np == 3 || (np == 1 && p[0].width == 8))))
        return au_norm_refuse(why, "not a date: unexpected text after the date");
    if (np == 1 && p[0].width == 8) {
        compact(p[0].val, fmt, &y, &m, &d);
    } else if (np == 1) {
        return au_norm_refuse(why, "not a date: a single number");
    } else if (np == 2) {
        return au_norm_refuse(why, "not a date: day, month or year missing");
    } else if (year_first) {
        y = p[0].val;
        if (p[1].width == 0 || p[2].width == 0)
            rc = day_month(&p[1], &p[2], fmt, &d, &m, why);
        else
            m = p[1].val, d = p[2].val; /* year-month-day is the only year-first order in use */
    } else {
        if (fmt == AU_DATE_ISO || fmt == AU_DATE_YYYYMMDD)
            return au_norm_refuse(why, "not a date in the %s format", au_date_format_name(fmt));
        if (p[0].width == 0 && p[2].width != 0 && p[1].width <= 2 && p[1].width > 0) {
            /* "Sep 23 1981" */
            rc = year_part(&p[2], &y, why);
            m = p[0].val, d = p[1].val;
        } else {
            rc = year_part(&p[2], &y, why);
            if (!rc)
                rc = day_month(&p[0], &p[1], fmt, &d, &m, why);
        }
    }
    if (rc)
        return rc;
    if ((rc = check(y, m, d, why)))
        return rc;
    char *o = au_malloc(11);
    if (!o)
        return AU_ERR_NOMEM;
    /* by hand: snprintf was a visible share of import time */
    o[0] = (char)('0' + y / 1000), o[1] = (char)('0' + y / 100 % 10);
    o[2] = (char)('0' + y / 10 % 10), o[3] = (char)('0' + y % 10), o[4] = '-';
    o[5] = (char)('0' + m / 10), o[6] = (char)('0' + m % 10), o[7] = '-';
    o[8] = (char)('0' + d / 10), o[9] = (char)('0' + d % 10), o[10] = '\0';
    *iso = o;
    return AU_OK;
}

au_rc au_norm_date(const char *in, au_date_format fmt, char **iso, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_date_clean(t, fmt, iso, why);
    au_free(t);
    return rc;
}
