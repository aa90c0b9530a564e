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
        {"2100-12-31", AU_DATE_ISO, "2100-12-31"},
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
        {"1799-12-31", AU_DATE_ISO, "year 1799 out of range 1800..2100"},
        {"2101-01-01", AU_DATE_ISO, "year 2101 out of range 1800..2100"},
        {"23/09/81", AU_DATE_DMY, "two-digit year 81, write the year in full"},
        {"23/09/05", AU_DATE_AUTO, "two-digit year 05, write the year in full"},
        {"23/09/1981", AU_DATE_ISO, "not a date in the YYYY-MM-DD format"},
        {"23/09/1981", AU_DATE_YYYYMMDD, "not a date in the YYYYMMDD format"},
        {"13/13/1981", AU_DATE_AUTO, "not a date: neither 13 nor 13 is a month"},
        {"1981-09", AU_DATE_ISO, "not a date: day, month or year missing"},
        {"1981", AU_DATE_AUTO, "not a date: a single number"},
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
