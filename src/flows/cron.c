/*
 * Cron parsing into per-field bit sets, and next-fire search over local civil time. The search
 * walks civil days forward (cheap: day rules first, then hours and minutes), converts each
 * matching civil minute to the real instants that show it on the wall clock, and keeps the
 * earliest one after the reference time. Scanning a few hours around the reference time makes
 * daylight-saving jumps (where civil order and real order differ) come out right.
 */
#include "flows/cron.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/isotime.h"

struct au_cron {
    uint64_t minutes; /* bit m: minute m (0-59) */
    uint32_t hours;   /* bit h: hour h (0-23) */
    uint32_t mdays;   /* bit d: day of month d (1-31) */
    uint16_t months;  /* bit m: month m (1-12) */
    uint8_t wdays;    /* bit d: weekday d (0 = Sunday .. 6) */
    int mday_star;    /* day-of-month field starts with '*' */
    int wday_star;    /* day-of-week field starts with '*' */
    int hour_star;    /* hour field is exactly '*': repeated autumn hours fire twice */
    char tz[64];      /* IANA zone name */
};

typedef struct field_spec {
    const char *name;         /* for error messages */
    int lo, hi;               /* accepted values */
    const char *const *names; /* 3-letter names for lo.., or NULL */
} field_spec;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const field_spec fields[5] = {
    {"minute", 0, 59, NULL},           {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},     {"month", 1, 12, month_names},
    {"day of week", 0, 7, wday_names},
};

static const struct {
    const char *macro;
    const char *spec;
} macros[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
              {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
              {"@hourly", "0 * * * *"}};

/* Reads a number or a name at *p; -1 if neither. */
static int read_value(const char **p, const char *end, const field_spec *f, int *v)
{
    const char *s = *p;
    if (s < end && isdigit((unsigned char)*s)) {
        long n = 0;
        while (s < end && isdigit((unsigned char)*s) && n < 1000)
            n = n * 10 + (*s++ - '0');
        *v = (int)n;
        *p = s;
        return 0;
    }
    if (f->names && end - s >= 3) {
        for (int i = 0; f->names[i]; i++)
            if (!strncasecmp(s, f->names[i], 3) &&
                (end - s == 3 || !isalpha((unsigned char)s[3]))) {
                *v = f->lo + i;
                *p = s + 3;
                return 0;
            }
    }
    return -1;
}

/* Parses one field text [s, end) starting at column col into a bit set. */
static au_rc parse_field(const char *s, const char *end, int col, const field_spec *f,
                         uint64_t *bits, au_err *err)
{
    const char *p = s;
    *bits = 0;
    for (;;) {
        const char *item = p;
        int lo, hi, step = 1;
        if (p < end && *p == '*') {
            lo = f->lo;
            hi = f->hi;
            p++;
        } else {
            if (read_value(&p, end, f, &lo))
                goto bad;
            hi = lo;
            if (p < end && *p == '-') {
                p++;
                if (read_value(&p, end, f, &hi))
                    goto bad;
            }
        }
        if (p < end && *p == '/') {
            p++;
            if (p >= end || !isdigit((unsigned char)*p) || read_value(&p, end, f, &step) ||
                step < 1 || step > f->hi)
                return au_err_set(err, AU_ERR_INVALID, "cron %s: invalid step at column %d",
                                  f->name, col + (int)(item - s));
            if (hi == lo && *item != '*')
                hi = f->hi;
        }
        if (lo < f->lo || hi > f->hi || lo > hi)
            return au_err_set(err, AU_ERR_INVALID,
                              "cron %s: '%.*s' out of range %d-%d at column %d", f->name,
                              (int)(p - item), item, f->lo, f->hi, col + (int)(item - s));
        for (int v = lo; v <= hi; v += step)
            *bits |= 1ULL << v;
        if (p == end)
            return AU_OK;
        if (*p != ',')
            goto bad;
        p++;
    }
bad:
    return au_err_set(err, AU_ERR_INVALID, "cron %s: unexpected '%.*s' at column %d", f->name,
                      (int)(end - p > 10 ? 10 : end - p), p, col + (int)(p - s));
}

int au_cron_tz_valid(const char *tz)
{
    char path[512], magic[4];
    if (!tz || !*tz || strlen(tz) >= 64 || tz[0] == '/' || strstr(tz, ".."))
        return -1;
    for (const char *p = tz; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
            return -1;
    const char *dir = getenv("TZDIR");
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    return n == 4 && !memcmp(magic, "TZif", 4) ? 0 : -1;
}

static const int month_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

au_rc au_cron_parse(const char *spec, const char *tz, au_cron **out, au_err *err)
{
    au_cron *c = NULL;
    au_rc rc = AU_OK;
    *out = NULL;
    if (!tz || !*tz)
        tz = "UTC";
    if (strlen(spec) > AU_CRON_MAX_SPEC)
        return au_err_set(err, AU_ERR_TOO_LARGE, "cron schedule longer than %d bytes",
                          AU_CRON_MAX_SPEC);
    if (au_cron_tz_valid(tz))
        return au_err_set(err, AU_ERR_INVALID, "unknown time zone '%.64s'", tz);
    const char *text = spec;
    while (*text == ' ' || *text == '\t')
        text++;
    if (*text == '@') {
        size_t len = strcspn(text, " \t");
        const char *rest = text + len + strspn(text + len, " \t");
        size_t i;
        for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (strlen(macros[i].macro) == len && !strncasecmp(text, macros[i].macro, len))
                break;
        if (i == sizeof(macros) / sizeof(macros[0]) || *rest)
            return au_err_set(err, AU_ERR_INVALID, "unknown cron shorthand '%.*s'",
                              (int)(len > 20 ? 20 : len), text);
        spec = text = macros[i].spec;
    }
    c = au_calloc(1, sizeof(*c));
    if (!c)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    snprintf(c->tz, sizeof(c->tz), "%s", tz);
    const char *p = text;
    uint64_t bits[5];
    int nf = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (nf == 5) {
            rc = au_err_set(err, AU_ERR_INVALID, "cron schedule has more than 5 fields (column %d)",
                            (int)(start - spec) + 1);
            goto out;
        }
        rc = parse_field(start, p, (int)(start - spec) + 1, &fields[nf], &bits[nf], err);
        if (rc)
            goto out;
        if (nf == 1 && p - start == 1 && *start == '*')
            c->hour_star = 1;
        if (nf == 2)
            c->mday_star = *start == '*';
        if (nf == 4)
            c->wday_star = *start == '*';
        nf++;
    }
    if (nf != 5) {
        rc = au_err_set(err, AU_ERR_INVALID,
                        "cron schedule needs 5 fields (minute hour day-of-month month "
                        "day-of-week), found %d",
                        nf);
        goto out;
    }
    c->minutes = bits[0];
    c->hours = (uint32_t)bits[1];
    c->mdays = (uint32_t)bits[2];
    c->months = (uint16_t)bits[3];
    c->wdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7F); /* 7 is Sunday too */
    if (!c->wday_star || c->mday_star)
        goto done;
    /* Only the day of month restricts days: refuse dates no month has (30 February). */
    for (int m = 1; m <= 12; m++)
        if ((c->months >> m & 1) && (c->mdays & ((2U << month_days[m]) - 2)))
            goto done;
    rc = au_err_set(err, AU_ERR_INVALID, "cron schedule never fires (no such day in those months)");
    goto out;
done:
    *out = c;
    c = NULL;
out:
    au_cron_free(c);
    return rc;
}

void au_cron_free(au_cron *c)
{
    au_free(c);
}

const char *au_cron_timezone(const au_cron *c)
{
    return c->tz;
}

/* ---------------------------------------------------------------------------------------------
 * Next fire time
 */

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* UTC offset in seconds at instant t, in the zone currently set. */
static long utc_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int day_matches(const au_cron *c, int64_t day)
{
    int64_t y;
    unsigned m, d;
    au_civil_from_days(day, &y, &m, &d);
    if (!(c->months >> m & 1))
        return 0;
    int wd = (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int md_ok = c->mdays >> d & 1, wd_ok = c->wdays >> wd & 1;
    if (!c->mday_star && !c->wday_star)
        return md_ok || wd_ok;
    return md_ok && wd_ok;
}

/* The instants at which civil time `civ` (seconds, as if UTC) is shown, earliest first.
 * Returns how many (1 or 2); a civil time inside a spring gap maps to civ - offset-before. */
static int instants(int64_t civ, int64_t out[2])
{
    long before = utc_offset(civ - 86400), after = utc_offset(civ + 86400);
    int n = 0;
    if (utc_offset(civ - before) == before)
        out[n++] = civ - before;
    if (after != before && utc_offset(civ - after) == after) {
        out[n++] = civ - after;
        if (n == 2 && out[1] < out[0]) {
            int64_t t = out[0];
            out[0] = out[1];
            out[1] = t;
        }
    }
    if (n == 0)
        out[n++] = civ - before;
    return n;
}

/* Clock shifts are at most a few hours; scanning this far around keeps real order. */
#define SHIFT_WINDOW (4 * 3600)

static int64_t search(const au_cron *c, int64_t after)
{
    int64_t civ_after = after + utc_offset(after);
    int64_t start = floor_div(civ_after - SHIFT_WINDOW, 60) * 60;
    int64_t best = INT64_MIN, stop = INT64_MAX;
    int64_t first_day = floor_div(start, 86400);
    for (int64_t day = first_day; day < first_day + 5 * 366 + 2; day++) {
        if (day * 86400 > stop)
            break;
        if (!day_matches(c, day))
            continue;
        for (int h = 0; h < 24; h++) {
            if (!(c->hours >> h & 1))
                continue;
            for (int m = 0; m < 60; m++) {
                if (!(c->minutes >> m & 1))
                    continue;
                int64_t civ = day * 86400 + h * 3600 + m * 60;
                if (civ < start)
                    continue;
                if (civ > stop)
                    return best;
                int64_t t[2];
                int n = instants(civ, t);
                if (!c->hour_star)
                    n = 1;
                for (int i = 0; i < n; i++) {
                    if (t[i] > after && (best == INT64_MIN || t[i] < best)) {
                        best = t[i];
                        stop = civ + SHIFT_WINDOW;
                    }
                }
            }
        }
    }
    return best;
}

/* Years 1970..9000 keep every computation far from overflow and from the C library's limits. */
#define NEXT_MIN 0
#define NEXT_MAX 221845392000LL

au_rc au_cron_next(const au_cron *c, int64_t after, int64_t *next)
{
    if (after < NEXT_MIN || after > NEXT_MAX)
        return AU_ERR_INVALID;
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? au_strdup(old) : NULL;
    char tz[80];
    snprintf(tz, sizeof(tz), ":%s", c->tz);
    setenv("TZ", tz, 1);
    tzset();
    int64_t t = search(c, after);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    au_free(saved);
    if (t == INT64_MIN)
        return AU_ERR_NOT_FOUND;
    *next = t;
    return AU_OK;
}
