/*
 * Calendar dates to ISO "YYYY-MM-DD", or to "YYYY-MM" / "YYYY" when the source only knows that
 * much (a partial date keeps its precision so matching compares what is known). A date is read
 * as up to three parts (digit runs or an English month name) separated by "/", "-", "." or
 * spaces, then assigned to year, month and day by the source's declared format. Day/month order
 * is never guessed: in AUTO mode a D/M/Y-looking date is accepted only when one part cannot be a
 * month or both readings agree. A two-digit year is read as a person would for a date of birth,
 * which is never in the future: 70 is 1970, 05 is 2005 while 2005 is past (or by a fixed pivot
 * the source declares). Dates back to the year 1000 are accepted (historical registers); dates
 * after "today" (injectable for tests) and impossible dates are refused with the reason.
 * A year-first date (4-digit first part) is unambiguous and accepted under every format.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"
#include "lib/clock.h"

#define YEAR_MIN 1000

typedef struct dpart {
    int val;   /* numeric value (month number for a month name) */
    int width; /* digits written; 0 for a month name */
} dpart;

/* A date being read. prec is what the source gave: 1 the year, 2 year and month, 3 a full date
 * (a partial date has its missing parts 0); yy2 is set while the year is still a two-digit one
 * waiting for its century. */
typedef struct ymd {
    int y, m, d;
    int prec;
    int yy2;
} ymd;

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

/* Today as YYYYMMDD (UTC): the injected opts->today, else the clock. */
static int today_of(const au_norm_opts *o)
{
    if (o && o->today)
        return o->today;
    time_t now = (time_t)(au_wall_ms() / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* YYYYMMDD of a possibly partial date, unknown parts taken as early as possible, so that a
 * partial date is "in the future" only when all of it is. */
static int ymd_num(const ymd *t)
{
    /* Any year past 9999 is the future; clamping keeps the product within an int (a fuzzed
     * "31/12/3533998" overflowed it). */
    int y = t->y > 9999 ? 9999 : t->y;
    return y * 10000 + (t->prec > 1 ? t->m : 1) * 100 + (t->prec > 2 ? t->d : 1);
}

/* Gives a two-digit year its century: by the source's pivot when set (yy below the pivot is
 * 20yy), else the latest century that does not put the date after today. */
static void century(ymd *t, const au_norm_opts *o, int today)
{
    int yy = t->y;
    if (!t->yy2)
        return;
    t->yy2 = 0;
    int pivot = o ? o->yy_pivot : 0;
    if (pivot > 0 && pivot < 100) {
        t->y = yy < pivot ? 2000 + yy : 1900 + yy;
        return;
    }
    int c = today / 1000000 * 100; /* this century */
    t->y = c + yy;
    if (ymd_num(t) > today)
        t->y -= 100;
}

static au_rc check(const ymd *t, int today, au_norm_why *why)
{
    if (t->y < YEAR_MIN)
        return au_norm_refuse(why, "year %d before %d", t->y, YEAR_MIN);
    if (t->prec > 1 && (t->m < 1 || t->m > 12))
        return au_norm_refuse(why, "month %d out of range", t->m);
    if (t->prec > 2 && (t->d < 1 || t->d > days_in(t->y, t->m))) {
        if (t->m == 2 && t->d == 29)
            return au_norm_refuse(why, "day 29 out of range for month 2 (%d is not a leap year)",
                                  t->y);
        return au_norm_refuse(why, "day %d out of range for month %d", t->d, t->m);
    }
    if (ymd_num(t) > today)
        return au_norm_refuse(why, "date of birth in the future (after %04d-%02d-%02d)",
                              today / 10000, today / 100 % 100, today % 100);
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

/* The year written last: four digits, or two whose century is decided once the day and month
 * are known. */
static au_rc year_part(const dpart *p, ymd *t, au_norm_why *why)
{
    if (p->width == 0)
        return au_norm_refuse(why, "not a date: month name where the year should be");
    if (p->width == 1 || p->width == 3)
        return au_norm_refuse(why, "not a date: a %d-digit year", p->width);
    t->y = p->val;
    t->yy2 = p->width == 2;
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

/* One run of 8 digits (YYYYMMDD, or DDMMYYYY / MMDDYYYY under those formats) or 6 digits
 * (YYMMDD, or DDMMYY / MMDDYY). */
static void compact(int v, int width, au_date_format fmt, ymd *t)
{
    int ydiv = width == 8 ? 10000 : 100;
    t->yy2 = width == 6;
    t->prec = 3;
    if (fmt == AU_DATE_DMY) {
        t->d = v / (ydiv * 100), t->m = v / ydiv % 100, t->y = v % ydiv;
    } else if (fmt == AU_DATE_MDY) {
        t->m = v / (ydiv * 100), t->d = v / ydiv % 100, t->y = v % ydiv;
    } else {
        t->y = v / 10000, t->m = v / 100 % 100, t->d = v % 100;
    }
}

/* A month part of a partial date: a month name or a 1-2 digit number. */
static int is_month_part(const dpart *p)
{
    return p->width == 0 || p->width <= 2;
}

/* Year and month only: "1958-03", "03/1958", "March 1958". */
static au_rc partial(const dpart *p, au_date_format fmt, ymd *t, au_norm_why *why)
{
    if (p[0].width == 4 && is_month_part(&p[1]))
        t->y = p[0].val, t->m = p[1].val;
    else if (p[1].width == 4 && is_month_part(&p[0]) && fmt != AU_DATE_ISO &&
             fmt != AU_DATE_YYYYMMDD)
        t->y = p[1].val, t->m = p[0].val;
    else
        return au_norm_refuse(why, "not a date: day, month or year missing");
    t->prec = 2;
    return AU_OK;
}

/* Three parts, the year last: "23/09/1981", "Sep 23 1981", "12-11-70". */
static au_rc year_last(const dpart *p, au_date_format fmt, ymd *t, au_norm_why *why)
{
    if (fmt == AU_DATE_ISO || fmt == AU_DATE_YYYYMMDD)
        return au_norm_refuse(why, "not a date in the %s format", au_date_format_name(fmt));
    au_rc rc = year_part(&p[2], t, why);
    if (rc)
        return rc;
    t->prec = 3;
    if (p[0].width == 0 && p[1].width <= 2 && p[1].width > 0) {
        t->m = p[0].val, t->d = p[1].val; /* "Sep 23 1981" */
        return AU_OK;
    }
    return day_month(&p[0], &p[1], fmt, &t->d, &t->m, why);
}

/* Reads the parts of s into *t (not yet checked). */
static au_rc read_date(const char *s, au_date_format fmt, ymd *t, au_norm_why *why)
{
    dpart p[3];
    const char *tail = s;
    int np = split(s, p, &tail, why);
    if (np < 0)
        return AU_ERR_INVALID;
    int compact_run = np == 1 && (p[0].width == 8 || p[0].width == 6);
    if (*tail && !(is_time_tail(tail) && (np == 3 || compact_run)))
        return au_norm_refuse(why, "not a date: unexpected text after the date");
    if (compact_run) {
        compact(p[0].val, p[0].width, fmt, t);
        return AU_OK;
    }
    if (np == 1 && p[0].width == 4) {
        t->y = p[0].val, t->prec = 1; /* the year alone */
        return AU_OK;
    }
    if (np == 1)
        return au_norm_refuse(why, "not a date: a single number");
    if (np == 2)
        return partial(p, fmt, t, why);
    if (p[0].width == 4 || p[0].width == 3) {
        t->y = p[0].val, t->prec = 3;
        if (p[1].width == 0 || p[2].width == 0)
            return day_month(&p[1], &p[2], fmt, &t->d, &t->m, why);
        t->m = p[1].val, t->d = p[2].val; /* year-month-day is the only year-first order in use */
        return AU_OK;
    }
    return year_last(p, fmt, t, why);
}

/* Writes n digits of v into o (by hand: snprintf was a visible share of import time). */
static void put_digits(char *o, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
}

au_rc au_norm_date_clean(const char *s, const au_norm_opts *opts, char **iso, au_norm_why *why)
{
    ymd t = {0, 0, 0, 0, 0};
    au_rc rc = read_date(s, opts ? opts->date_format : AU_DATE_AUTO, &t, why);
    if (rc)
        return rc;
    int today = today_of(opts);
    century(&t, opts, today);
    if ((rc = check(&t, today, why)))
        return rc;
    char *o = au_malloc(11);
    if (!o)
        return AU_ERR_NOMEM;
    put_digits(o, t.y, 4);
    size_t n = 4;
    if (t.prec > 1) {
        o[4] = '-';
        put_digits(o + 5, t.m, 2);
        n = 7;
    }
    if (t.prec > 2) {
        o[7] = '-';
        put_digits(o + 8, t.d, 2);
        n = 10;
    }
    o[n] = '\0';
    *iso = o;
    return AU_OK;
}

au_rc au_norm_date_with(const char *in, const au_norm_opts *opts, char **iso, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_date_clean(t, opts, iso, why);
    au_free(t);
    return rc;
}

au_rc au_norm_date(const char *in, au_date_format fmt, char **iso, au_norm_why *why)
{
    au_norm_opts o = {"", fmt, 0, 0};
    return au_norm_date_with(in, &o, iso, why);
}
