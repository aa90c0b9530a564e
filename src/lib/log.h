/*
 * Structured logs: one JSON object per line on stderr ({"ts":..,"level":..,"msg":..,...}), so
 * that log shippers parse them without patterns. Extra fields are given as key/value pairs of
 * strings: au_log(AU_LOG_INFO, "listening", "addr", "127.0.0.1:8080", NULL).
 * The level threshold is part of the configuration read at start-up.
 */
#ifndef AU_LOG_H
#define AU_LOG_H

typedef enum { AU_LOG_DEBUG, AU_LOG_INFO, AU_LOG_WARN, AU_LOG_ERROR } au_log_level;

void au_log_set_level(au_log_level level);
/* key/value pairs of const char *, terminated by NULL. Thread-safe: each line is one write(2). */
void au_log(au_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
