/*
 * Unit tests for dates (src/normalize/date.c): every format, separators, trailing times, month
 * names, AUTO's refusal to guess, impossible dates with precise reasons, and format names.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(date, accepted_dates)
{
    static const struct {
        const char *in;
        au_date_format fmt;
        const char *iso;
    } cases[] = {
        {"1981-09-23", AU_DATE_ISO, "1981-09-23"},
        {"1981-9-3", AU_DATE_ISO, "1981-09-03"},
        {"1981/09/23", AU_DATE_ISO, "1981-09-23"},
        {"1981.09.23", AU_DATE_AUTO, "1981-09-23"},
        {"1981-09-23T10:15:00Z", AU_DATE_ISO, "1981-09-23"},
        {"1981-09-23 10:15:00", AU_DATE_AUTO, "1981-09-23"},
        {"1981-09-23T10:15:00+02:00", AU_DATE_AUTO, "1981-09-23"},
        {"19810923", AU_DATE_YYYYMMDD, "1981-09-23"},
        {"19810923", AU_DATE_AUTO, "1981-09-23"},
        {"1981-09-23", AU_DATE_YYYYMMDD, "1981-09-23"},
        {"23/09/1981", AU_DATE_DMY, "1981-09-23"},
        {"23/09/1981 00:00:00", AU_DATE_DMY, "1981-09-23"},
        {"19810923 10:15", AU_DATE_AUTO, "1981-09-23"},
        {"23-09-1981", AU_DATE_DMY, "1981-09-23"},
        {"23.09.1981", AU_DATE_DMY, "1981-09-23"},
        {"23 09 1981", AU_DATE_DMY, "1981-09-23"},
        {"3/9/1981", AU_DATE_DMY, "1981-09-03"},
        {"3/9/1981", AU_DATE_MDY, "1981-03-09"},
        {"09/23/1981", AU_DATE_MDY, "1981-09-23"},
        {"23091981", AU_DATE_DMY, "1981-09-23"},
        {"09231981", AU_DATE_MDY, "1981-09-23"},
        {"1981-09-23", AU_DATE_DMY, "1981-09-23"}, /* year-first is never ambiguous */
        {"23/09/1981", AU_DATE_AUTO, "1981-09-23"},
        {"09/23/1981", AU_DATE_AUTO, "1981-09-23"},
        {"05/05/1981", AU_DATE_AUTO, "1981-05-05"},
        {"23 Sep 1981", AU_DATE_AUTO, "1981-09-23"},
        {"23 September 1981", AU_DATE_MDY, "1981-09-23"},
        {"Sep 23, 1981", AU_DATE_AUTO, "1981-09-23"},
        {"23rd September 1981", AU_DATE_AUTO, "1981-09-23"},
        {"September 1st, 1981", AU_DATE_AUTO, "1981-09-01"},
        {"sept. 23 1981", AU_DATE_DMY, "1981-09-23"},
        {"23-SEP-1981", AU_DATE_AUTO, "1981-09-23"},
        {"1981-Sep-23", AU_DATE_AUTO, "1981-09-23"},
        {"29/02/2000", AU_DATE_DMY, "2000-02-29"},
        {"29/02/1984", AU_DATE_DMY, "1984-02-29"},
        {"  1981-09-23  ", AU_DATE_ISO, "1981-09-23"},
        {"1800-01-01", AU_DATE_ISO, "1800-01-01"},
        {"1000-01-01", AU_DATE_ISO, "1000-01-01"},
        {"14 July 1789", AU_DATE_AUTO, "1789-07-14"},
        {"1958", AU_DATE_AUTO, "1958"},
        {"1958-03", AU_DATE_ISO, "1958-03"},
        {"03/1958", AU_DATE_DMY, "1958-03"},
        {"March 1958", AU_DATE_AUTO, "1958-03"},
        {"1958 Mar", AU_DATE_AUTO, "1958-03"},
        {"\xef\xbc\x91\xef\xbc\x99\xef\xbc\x98\xef\xbc\x91-09-23", AU_DATE_ISO, "1981-09-23"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_date(cases[i].in, cases[i].fmt, &o, &why), AU_OK, "case %zu (%s): %s",
                     i, cases[i].in, why.reason);
        cr_expect_str_eq(o, cases[i].iso, "case %zu: %s", i, cases[i].in);
        au_free(o);
    }
}

Test(date, refusals_say_why)
{
    static const struct {
        const char *in;
        au_date_format fmt;
        const char *reason;
    } cases[] = {
        {"03/04/1981", AU_DATE_AUTO, "ambiguous day/month order, set a format"},
        {"31/04/1981", AU_DATE_DMY, "day 31 out of range for month 4"},
        {"1981-04-31", AU_DATE_ISO, "day 31 out of range for month 4"},
        {"1981-02-29", AU_DATE_ISO, "day 29 out of range for month 2 (1981 is not a leap year)"},
        {"29/02/1900", AU_DATE_DMY, "day 29 out of range for month 2 (1900 is not a leap year)"},
        {"1981-02-30", AU_DATE_ISO, "day 30 out of range for month 2"},
        {"1981-13-01", AU_DATE_ISO, "month 13 out of range"},
        {"1981-00-10", AU_DATE_ISO, "month 0 out of range"},
        {"1981-04-00", AU_DATE_ISO, "day 0 out of range for month 4"},
        {"19811301", AU_DATE_YYYYMMDD, "month 13 out of range"},
        {"0999-12-31", AU_DATE_ISO, "year 999 before 1000"},
        {"12/11/7", AU_DATE_DMY, "not a date: a 1-digit year"},
        {"12/11/70", AU_DATE_AUTO, "ambiguous day/month order, set a format"},
        {"1958-13", AU_DATE_ISO, "month 13 out of range"},
        {"13/1958", AU_DATE_DMY, "month 13 out of range"},
        {"03/1958", AU_DATE_ISO, "not a date: day, month or year missing"},
        {"3/11", AU_DATE_DMY, "not a date: day, month or year missing"},
        {"23/09/1981", AU_DATE_ISO, "not a date in the YYYY-MM-DD format"},
        {"23/09/1981", AU_DATE_YYYYMMDD, "not a date in the YYYYMMDD format"},
        {"13/13/1981", AU_DATE_AUTO, "not a date: neither 13 nor 13 is a month"},
        {"19811", AU_DATE_AUTO, "not a date: a single number"},
        {"yesterday", AU_DATE_AUTO, "not a date: unexpected word 'yesterday'"},
        {"1981-09-23 garbage", AU_DATE_ISO, "not a date: unexpected text after the date"},
        {"1981-09-23-", AU_DATE_ISO, "not a date: unexpected text after the date"},
        {"1981-09-", AU_DATE_ISO, "not a date: ends with a separator"},
        {"23/09/1981 noon", AU_DATE_DMY, "not a date: unexpected text after the date"},
        {"?", AU_DATE_AUTO, "not a date: unexpected character '?'"},
        {"123456789012", AU_DATE_AUTO, "not a date: number too long"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = (char *)0x1;
        au_norm_why why = {{0}};
        cr_expect_eq(au_norm_date(cases[i].in, cases[i].fmt, &o, &why), AU_ERR_INVALID,
                     "case %zu (%s)", i, cases[i].in);
        cr_expect_str_eq(why.reason, cases[i].reason, "case %zu: %s", i, cases[i].in);
        cr_expect_eq(o, (char *)0x1);
    }
}

/* A date of birth is never in the future: a two-digit year takes the latest century that keeps
 * it in the past, relative to an injected today, unless the source sets a pivot. */
Test(date, two_digit_years_and_the_future)
{
    static const struct {
        const char *in;
        au_date_format fmt;
        int pivot, today;
        const char *iso; /* NULL: refused */
    } cases[] = {
        {"12/11/70", AU_DATE_DMY, 0, 20261205, "1970-11-12"},
        {"12-11-70", AU_DATE_DMY, 0, 20261205, "1970-11-12"},
        {"701112", AU_DATE_AUTO, 0, 20261205, "1970-11-12"},
        {"701112", AU_DATE_YYYYMMDD, 0, 20261205, "1970-11-12"},
        {"121170", AU_DATE_DMY, 0, 20261205, "1970-11-12"},
        {"111270", AU_DATE_MDY, 0, 20261205, "1970-11-12"},
        {"23/09/05", AU_DATE_AUTO, 0, 20261205, "2005-09-23"},
        {"23/09/05", AU_DATE_AUTO, 0, 20050922, "1905-09-23"}, /* 2005-09-23 is tomorrow */
        {"23/09/05", AU_DATE_AUTO, 0, 20050923, "2005-09-23"}, /* born today */
        {"01/01/26", AU_DATE_DMY, 0, 20261205, "2026-01-01"},
        {"31/12/26", AU_DATE_DMY, 0, 20261205, "1926-12-31"},
        {"12/11/70", AU_DATE_DMY, 50, 20261205, "1970-11-12"},
        {"12/11/20", AU_DATE_DMY, 10, 20261205, "1920-11-12"}, /* pivot 10: 20 is 1920 */
        {"12/11/05", AU_DATE_DMY, 10, 20261205, "2005-11-12"},
        {"2026-12-05", AU_DATE_ISO, 0, 20261205, "2026-12-05"},
        {"2026-12-06", AU_DATE_ISO, 0, 20261205, NULL},
        {"2027", AU_DATE_AUTO, 0, 20261205, NULL},
        {"2026-12", AU_DATE_AUTO, 0, 20261205, "2026-12"},
        {"12/11/30", AU_DATE_DMY, 40, 20261205, NULL}, /* the pivot's 2030 is still future */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        au_norm_opts o = {"", cases[i].fmt, cases[i].pivot, cases[i].today};
        char *iso = NULL;
        au_norm_why why = {{0}};
        au_rc rc = au_norm_date_with(cases[i].in, &o, &iso, &why);
        if (!cases[i].iso) {
            cr_expect_eq(rc, AU_ERR_INVALID, "case %zu (%s) gave %s", i, cases[i].in, iso);
            cr_expect(strstr(why.reason, "future") != NULL, "case %zu: %s", i, why.reason);
            continue;
        }
        cr_assert_eq(rc, AU_OK, "case %zu (%s): %s", i, cases[i].in, why.reason);
        cr_expect_str_eq(iso, cases[i].iso, "case %zu: %s", i, cases[i].in);
        au_free(iso);
    }
}

/* Without an injected today the clock is used: nothing in the far future passes. */
Test(date, the_clock_is_today_by_default)
{
    char *iso = NULL;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_date("9000-01-01", AU_DATE_ISO, &iso, &why), AU_ERR_INVALID);
    cr_expect(strstr(why.reason, "future") != NULL, "%s", why.reason);
    cr_assert_eq(au_norm_date("01/01/00", AU_DATE_DMY, &iso, &why), AU_OK, "%s", why.reason);
    cr_expect_str_eq(iso, "2000-01-01");
    au_free(iso);
}

Test(date, invalid_utf8_and_long_input)
{
    char *o = NULL;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_date("1981-09-2\xc3", AU_DATE_ISO, &o, &why), AU_ERR_ENCODING);
    char s[10000];
    memset(s, '1', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    cr_expect_eq(au_norm_date(s, AU_DATE_AUTO, &o, &why), AU_ERR_INVALID);
    for (size_t i = 0; i < sizeof(s) - 1; i++)
        s[i] = i % 2 ? '/' : '1';
    cr_expect_eq(au_norm_date(s, AU_DATE_AUTO, &o, &why), AU_ERR_INVALID);
}

Test(date, format_names_round_trip)
{
    au_date_format all[] = {AU_DATE_AUTO, AU_DATE_YYYYMMDD, AU_DATE_ISO, AU_DATE_DMY, AU_DATE_MDY};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        cr_expect_eq(au_date_format_from_name(au_date_format_name(all[i])), (int)all[i]);
    cr_expect_eq(au_date_format_from_name("dmy"), AU_DATE_DMY);
    cr_expect_eq(au_date_format_from_name("yyyy-mm-dd"), AU_DATE_ISO);
    cr_expect_eq(au_date_format_from_name("Auto"), AU_DATE_AUTO);
    cr_expect_eq(au_date_format_from_name("DD/MM/YYYY"), AU_DATE_DMY);
    cr_expect_eq(au_date_format_from_name("julian"), -1);
    cr_expect_eq(au_date_format_from_name(NULL), -1);
}
