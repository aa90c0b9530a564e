/*
 * The logger. A line is built in a stack buffer and written with a single write(2) so lines
 * from concurrent threads never interleave. The text form quotes a value only when it holds a
 * space, a quote or '=' so that it stays readable and still splits unambiguously.
 */
#include "lib/log.h"
#include "lib/alloc.h"
#include "lib/redact.h"
#include "lib/clock.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static au_log_level threshold = AU_LOG_INFO;
static au_log_format chosen = AU_LOG_AUTO; /* start-up configuration */
static int chosen_from = AU_LOG_FROM_DEFAULT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void au_log_set_level(au_log_level level)
{
    threshold = level;
}

void au_log_set_format(au_log_format format, int from)
{
    if (from < chosen_from)
        return;
    chosen = format;
    chosen_from = from;
}

int au_log_format_from_name(const char *name)
{
    static const char *const names[] = {"auto", "text", "json"};
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static size_t put_json_string(char *out, size_t cap, size_t pos, const char *s)
{
    if (pos < cap)
        out[pos++] = '"';
    for (; s && *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[pos++] = '\\';
            out[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(out + pos, cap - pos, "\\u%04x", c);
        } else {
            out[pos++] = (char)c;
        }
    }
    if (pos < cap)
        out[pos++] = '"';
    return pos;
}

/* A text value: bare, or JSON-quoted when it is empty or holds a separator or control byte. */
static size_t put_text_value(char *out, size_t cap, size_t pos, const char *s)
{
    int quote = !s || !*s;
    for (const char *p = s; p && *p && !quote; p++)
        quote = *p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20;
    if (quote)
        return put_json_string(out, cap, pos, s);
    size_t n = strlen(s);
    if (n > cap - pos)
        n = cap - pos;
    memcpy(out + pos, s, n);
    return pos + n;
}

static size_t json_line(char *line, size_t cap, const struct tm *tm, long nsec, au_log_level level,
                        const char *msg, const char *const *kv)
{
    size_t pos = strftime(line, cap, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", tm);
    pos +=
        (size_t)snprintf(line + pos, cap - pos,
                         ".%03ldZ\",\"level\":\"%s\",\"msg\":", nsec / 1000000, level_names[level]);
    pos = put_json_string(line, cap, pos, msg);
    for (; kv && kv[0] && pos + 4 < cap; kv += 2) {
        line[pos++] = ',';
        pos = put_json_string(line, cap, pos, kv[0]);
        line[pos++] = ':';
        pos = put_json_string(line, cap, pos, kv[1] ? kv[1] : "");
    }
    if (pos < cap)
        line[pos++] = '}';
    return pos;
}

static size_t text_line(char *line, size_t cap, const struct tm *tm, au_log_level level,
                        const char *msg, const char *const *kv)
{
    size_t pos = strftime(line, cap, "%Y-%m-%d %H:%M:%S ", tm);
    pos += (size_t)snprintf(line + pos, cap - pos, "%-5s %s", level_names[level], msg);
    if (pos > cap)
        pos = cap;
    for (; kv && kv[0] && pos + 4 < cap; kv += 2) {
        pos += (size_t)snprintf(line + pos, cap - pos, " %s=", kv[0]);
        if (pos >= cap) {
            pos = cap;
            break;
        }
        pos = put_text_value(line, cap, pos, kv[1] ? kv[1] : "");
    }
    return pos;
}

size_t au_log_format_line(char *out, size_t cap, au_log_format format, long long sec, long nsec,
                          au_log_level level, const char *msg, const char *const *kv)
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (cap < 2)
        return 0;
    /* The text form is for a person: local time. JSON carries UTC with its zone. */
    if (format == AU_LOG_TEXT)
        localtime_r(&t, &tm);
    else
        gmtime_r(&t, &tm);
    size_t pos = format == AU_LOG_TEXT ? text_line(out, cap - 1, &tm, level, msg, kv)
                                       : json_line(out, cap - 1, &tm, nsec, level, msg, kv);
    out[pos++] = '\n';
    return pos;
}

void au_log(au_log_level level, const char *msg, ...)
{
    if (level < threshold)
        return;
    const char *kv[2 * 16 + 1];
    size_t n = 0;
    va_list ap;
    va_start(ap, msg);
    for (const char *k; n + 2 < sizeof kv / sizeof kv[0] && (k = va_arg(ap, const char *));) {
        kv[n++] = k;
        kv[n++] = va_arg(ap, const char *);
    }
    va_end(ap);
    kv[n] = NULL;
    au_log_format f = chosen;
    if (f == AU_LOG_AUTO)
        f = isatty(STDERR_FILENO) ? AU_LOG_TEXT : AU_LOG_JSON;
    char line[4096 + 1]; /* + the NUL the redaction reads to */
    int64_t ms = au_wall_ms();
    size_t len = au_log_format_line(line, sizeof line - 1, f, (long long)(ms / 1000),
                                    (long)(ms % 1000) * 1000000L, level, msg, kv);
    line[len] = '\0';
    /* Credentials by type (URL passwords, ?token=, conninfo password=) never reach the log. */
    char *clean = au_redact_text(line);
    ssize_t w =
        clean ? write(STDERR_FILENO, clean, strlen(clean)) : write(STDERR_FILENO, line, len);
    au_free(clean);
    (void)w;
}
