/*
 * Logs on stderr in one of two forms: JSON lines ({"ts":..,"level":..,"msg":..,...}) that log
 * shippers parse without patterns, or, for a person at a terminal, text lines
 * (`2026-12-05 23:59:01 info  listening addr=127.0.0.1:8080`). By default the form follows
 * stderr: text on a terminal, JSON otherwise; --log-format and the config's log_format choose.
 * Extra fields are given as key/value pairs of strings:
 * au_log(AU_LOG_INFO, "listening", "addr", "127.0.0.1:8080", NULL).
 * Level and format are start-up configuration, set before threads start.
 */
#ifndef AU_LOG_H
#define AU_LOG_H

#include <stdio.h>

typedef enum { AU_LOG_DEBUG, AU_LOG_INFO, AU_LOG_WARN, AU_LOG_ERROR } au_log_level;
typedef enum { AU_LOG_AUTO, AU_LOG_TEXT, AU_LOG_JSON } au_log_format;

/* Who set the format: a later setting from a lower source is ignored, so a --log-format on the
 * command line wins over the configuration file whichever is applied last. */
enum { AU_LOG_FROM_DEFAULT, AU_LOG_FROM_CONFIG, AU_LOG_FROM_CLI };

void au_log_set_level(au_log_level level);
void au_log_set_format(au_log_format format, int from);
/* "text" -> AU_LOG_TEXT, "json" -> AU_LOG_JSON, "auto" -> AU_LOG_AUTO; -1 for anything else. */
int au_log_format_from_name(const char *name);
/* key/value pairs of const char *, terminated by NULL. Thread-safe: each line is one write(2). */
void au_log(au_log_level level, const char *msg, ...) __attribute__((sentinel));

/* Formats one line as au_log would in `format` (AUTO counts as JSON) at wall-clock time
 * `sec`.`nsec`; kv is a NULL-terminated key/value list. Returns the length (<= cap), the line
 * ends with '\n'. For tests and for au_log itself. */
size_t au_log_format_line(char *out, size_t cap, au_log_format format, long long sec, long nsec,
                          au_log_level level, const char *msg, const char *const *kv);

#endif
