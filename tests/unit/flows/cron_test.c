/*
 * Tests of cron parsing and next-fire computation, including the daylight-saving transitions
 * of Europe/London and America/New_York (spring gap and autumn repeat) in 2026.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "flows/cron.h"
#include "flows/expr.h"
#include "lib/isotime.h"

static int64_t at(const char *iso)
{
    int64_t ms;
    cr_assert_eq(au_iso8601_parse(iso, strlen(iso), &ms), 0, "bad date %s", iso);
    return ms / 1000;
}

static const char *iso(int64_t s, char *buf)
{
    au_iso8601_format(s * 1000, buf, 40);
    return buf;
}

typedef struct next_case {
    const char *spec;
    const char *tz;
    const char *after;
    const char *fires[4]; /* successive next times, UTC; NULL-terminated */
} next_case;

static const next_case cases[] = {
    {"* * * * *", NULL, "2026-01-01T00:00:30Z", {"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
    {"*/15 9-10 * * *",
     "UTC",
     "2026-01-01T10:40:00Z",
     {"2026-01-01T10:45:00Z", "2026-01-02T09:00:00Z", "2026-01-02T09:15:00Z"}},
    {"0 9 * * MON-FRI",
     "Europe/London",
     "2026-03-27T10:00:00Z",
     {"2026-03-30T08:00:00Z", "2026-03-31T08:00:00Z"}},
    {"0 0 29 2 *", NULL, "2026-01-01T00:00:00Z", {"2028-02-29T00:00:00Z"}},
    {"0 12 1,15 * fri",
     NULL,
     "2026-05-01T12:00:00Z",
     {"2026-05-08T12:00:00Z", "2026-05-15T12:00:00Z", "2026-05-22T12:00:00Z"}},
    {"0 0 * * 7", NULL, "2026-11-23T00:00:00Z", {"2026-11-29T00:00:00Z"}},
    {"0 0 1 jan,Jul *",
     NULL,
     "2026-02-01T00:00:00Z",
     {"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
    {"5/20 * * * *",
     NULL,
     "2026-01-01T00:00:00Z",
     {"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z"}},
    {"@hourly", NULL, "2026-01-01T00:00:00Z", {"2026-01-01T01:00:00Z"}},
    {"@daily", "America/New_York", "2026-01-01T00:00:00Z", {"2026-01-01T05:00:00Z"}},
    {"@weekly", NULL, "2026-11-23T00:00:00Z", {"2026-11-29T00:00:00Z"}},
    {"@monthly", NULL, "2026-11-23T00:00:00Z", {"2026-12-01T00:00:00Z"}},
    /* London spring forward, 29 March 2026 01:00 GMT -> 02:00 BST: 01:30 does not exist and
     * fires at 02:30 BST (01:30Z); the day after is back to 01:30 BST. */
    {"30 1 * * *",
     "Europe/London",
     "2026-03-28T12:00:00Z",
     {"2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"}},
    /* Every 30 minutes across the gap stays every 30 real minutes. */
    {"*/30 * * * *",
     "Europe/London",
     "2026-03-29T00:30:00Z",
     {"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"}},
    /* London fall back, 25 October 2026 02:00 BST -> 01:00 GMT: 01:30 happens twice; a fixed
     * hour fires once (first occurrence), an hourly job fires in both real hours. */
    {"30 1 * * *",
     "Europe/London",
     "2026-10-24T12:00:00Z",
     {"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
    {"30 * * * *",
     "Europe/London",
     "2026-10-24T23:00:00Z",
     {"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z",
      "2026-10-25T02:30:00Z"}},
    /* New York, 8 March 2026 02:00 EST -> 03:00 EDT and 1 November 02:00 EDT -> 01:00 EST. */
    {"0 2 * * *",
     "America/New_York",
     "2026-03-07T12:00:00Z",
     {"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"}},
    {"0 1 * * *",
     "America/New_York",
     "2026-10-31T12:00:00Z",
     {"2026-11-01T05:00:00Z", "2026-11-02T06:00:00Z"}},
    {"0 9 * * 1",
     "America/New_York",
     "2026-03-01T00:00:00Z",
     {"2026-03-02T14:00:00Z", "2026-03-09T13:00:00Z"}},
};

Test(cron, next_fire_times_including_dst)
{
    char a[40], b[40];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const next_case *k = &cases[i];
        au_cron *c;
        au_err err;
        au_err_init(&err);
        cr_assert_eq(au_cron_parse(k->spec, k->tz, &c, &err), AU_OK, "%s: %s", k->spec,
                     err.message);
        int64_t t = at(k->after);
        for (int j = 0; j < 4 && k->fires[j]; j++) {
            int64_t next;
            cr_assert_eq(au_cron_next(c, t, &next), AU_OK);
            cr_assert_eq(next, at(k->fires[j]), "'%s' %s after %s: got %s want %s", k->spec,
                         k->tz ? k->tz : "UTC", iso(t, a), iso(next, b), k->fires[j]);
            t = next;
        }
        au_cron_free(c);
        au_err_cleanup(&err);
    }
}

Test(cron, restores_the_process_time_zone)
{
    setenv("TZ", "Asia/Tokyo", 1);
    au_cron *c;
    cr_assert_eq(au_cron_parse("0 0 * * *", "Europe/London", &c, NULL), AU_OK);
    int64_t next;
    cr_assert_eq(au_cron_next(c, 0, &next), AU_OK);
    cr_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
    cr_assert_str_eq(au_cron_timezone(c), "Europe/London");
    au_cron_free(c);
    unsetenv("TZ");
}

typedef struct bad_case {
    const char *spec;
    const char *tz;
    const char *message;
} bad_case;

static const bad_case bad[] = {
    {"60 * * * *", NULL, "cron minute: '60' out of range 0-59 at column 1"},
    {"0 24 * * *", NULL, "cron hour: '24' out of range 0-23 at column 3"},
    {"0 0 0 * *", NULL, "cron day of month: '0' out of range 1-31 at column 5"},
    {"0 0 * 13 *", NULL, "cron month: '13' out of range 1-12 at column 7"},
    {"0 0 * * 8", NULL, "cron day of week: '8' out of range 0-7 at column 9"},
    {"5-1 * * * *", NULL, "cron minute: '5-1' out of range 0-59 at column 1"},
    {"*/0 * * * *", NULL, "cron minute: invalid step at column 1"},
    {"1,,2 * * * *", NULL, "cron minute: unexpected ',2' at column 3"},
    {"* * * FOO *", NULL, "cron month: unexpected 'FOO' at column 7"},
    {"* * * *", NULL,
     "cron schedule needs 5 fields (minute hour day-of-month month day-of-week), found 4"},
    {"* * * * * *", NULL, "cron schedule has more than 5 fields (column 11)"},
    {"0 0 30 2 *", NULL, "cron schedule never fires (no such day in those months)"},
    {"@often", NULL, "unknown cron shorthand '@often'"},
    {"0 0 * * *", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"},
    {"0 0 * * *", "../../etc/passwd", "unknown time zone '../../etc/passwd'"},
    {"0 0 * * *", "/etc/passwd", "unknown time zone '/etc/passwd'"},
};

Test(cron, errors_name_field_and_column)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        au_cron *c = (au_cron *)1;
        au_err err;
        au_err_init(&err);
        cr_assert_neq(au_cron_parse(bad[i].spec, bad[i].tz, &c, &err), AU_OK, "%s", bad[i].spec);
        cr_assert_null(c);
        cr_assert_str_eq(err.message, bad[i].message, "for '%s'", bad[i].spec);
        au_err_cleanup(&err);
    }
}

Test(cron, day_of_month_and_week_both_restricted_means_either)
{
    au_cron *c;
    int64_t next;
    /* 31 February never exists but every Monday does. */
    cr_assert_eq(au_cron_parse("0 0 31 2 mon", NULL, &c, NULL), AU_OK);
    cr_assert_eq(au_cron_next(c, at("2026-02-01T00:00:00Z"), &next), AU_OK);
    cr_assert_eq(next, at("2026-02-02T00:00:00Z"));
    au_cron_free(c);
}

Test(cron, refuses_reference_times_out_of_range)
{
    au_cron *c;
    int64_t next;
    cr_assert_eq(au_cron_parse("* * * * *", NULL, &c, NULL), AU_OK);
    cr_assert_eq(au_cron_next(c, -1, &next), AU_ERR_INVALID);
    cr_assert_eq(au_cron_next(c, INT64_MAX, &next), AU_ERR_INVALID);
    au_cron_free(c);
}
