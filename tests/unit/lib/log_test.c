/*
 * Unit tests for the two log line forms: text for a person at a terminal
 * (`2026-12-05 23:59:01 info  message key=value`, values quoted only when they must be) and
 * JSON lines otherwise; and the precedence of --log-format over the config's log_format.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

/* 2026-12-05 23:59:01.250 UTC */
#define T_SEC  1796515141LL
#define T_NSEC 250000000L

static void utc(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

Test(log, text_line_is_time_level_message_and_pairs, .init = utc)
{
    char line[512];
    const char *kv[] = {"addr", "127.0.0.1:8080", "data", "/var/lib/aurum", NULL};
    size_t n = au_log_format_line(line, sizeof line, AU_LOG_TEXT, T_SEC, T_NSEC, AU_LOG_INFO,
                                  "listening", kv);
    line[n] = 0;
    cr_assert_str_eq(line, "2026-12-05 23:59:01 info  listening addr=127.0.0.1:8080 "
                           "data=/var/lib/aurum\n");
}

Test(log, text_values_with_spaces_quotes_or_nothing_are_quoted, .init = utc)
{
    char line[512];
    const char *kv[] = {"error", "no such file", "q", "a\"b", "empty", "", NULL};
    size_t n = au_log_format_line(line, sizeof line, AU_LOG_TEXT, T_SEC, 0, AU_LOG_ERROR,
                                  "cannot serve", kv);
    line[n] = 0;
    cr_assert_str_eq(line, "2026-12-05 23:59:01 error cannot serve error=\"no such file\" "
                           "q=\"a\\\"b\" empty=\"\"\n");
}

Test(log, json_line_carries_utc_milliseconds_and_escapes)
{
    char line[512];
    const char *kv[] = {"path", "a\"b\n", NULL};
    size_t n =
        au_log_format_line(line, sizeof line, AU_LOG_JSON, T_SEC, T_NSEC, AU_LOG_WARN, "slow", kv);
    line[n] = 0;
    cr_assert_str_eq(line, "{\"ts\":\"2026-12-05T23:59:01.250Z\",\"level\":\"warn\","
                           "\"msg\":\"slow\",\"path\":\"a\\\"b\\u000a\"}\n");
}

Test(log, a_long_line_is_cut_and_still_ends_with_a_newline)
{
    char line[64];
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    const char *kv[] = {"k", big, NULL};
    for (int f = AU_LOG_TEXT; f <= AU_LOG_JSON; f++) {
        size_t n =
            au_log_format_line(line, sizeof line, (au_log_format)f, T_SEC, 0, AU_LOG_INFO, "m", kv);
        cr_assert_leq(n, sizeof line);
        cr_assert_eq(line[n - 1], '\n');
    }
}

Test(log, format_names)
{
    cr_assert_eq(au_log_format_from_name("text"), AU_LOG_TEXT);
    cr_assert_eq(au_log_format_from_name("json"), AU_LOG_JSON);
    cr_assert_eq(au_log_format_from_name("auto"), AU_LOG_AUTO);
    cr_assert_eq(au_log_format_from_name("yaml"), -1);
    cr_assert_eq(au_log_format_from_name(NULL), -1);
}
