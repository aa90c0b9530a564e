/*
 * JSON-lines logger. A line is built in a stack buffer and written with a single write(2) so
 * lines from concurrent threads never interleave.
 */
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static au_log_level threshold = AU_LOG_INFO;

void au_log_set_level(au_log_level level)
{
    threshold = level;
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

void au_log(au_log_level level, const char *msg, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < threshold)
        return;
    char line[4096];
    size_t cap = sizeof(line) - 2, pos = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    pos += strftime(line, cap, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
    pos +=
        (size_t)snprintf(line + pos, cap - pos,
                         ".%03ldZ\",\"level\":\"%s\",\"msg\":", ts.tv_nsec / 1000000, names[level]);
    pos = put_json_string(line, cap, pos, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (pos + 4 >= cap)
            break;
        line[pos++] = ',';
        pos = put_json_string(line, cap, pos, k);
        line[pos++] = ':';
        pos = put_json_string(line, cap, pos, v ? v : "");
    }
    va_end(ap);
    line[pos++] = '}';
    line[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, pos);
    (void)w;
}
