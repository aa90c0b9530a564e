/*
 * Cron schedules for flow triggers: the classic five fields (minute hour day-of-month month
 * day-of-week) with lists, ranges, steps, month and weekday names and the @hourly/@daily/
 * @weekly/@monthly/@yearly shorthands, evaluated in an IANA time zone. au_cron_next answers
 * "when does it fire next after t", which is all a scheduler needs.
 *
 * Daylight-saving rules (docs/FLOWS.md): a local time that does not exist (the hour skipped in
 * spring) fires at the same distance from the previous midnight, i.e. one hour "late" in wall
 * clock; a local time that happens twice (autumn) fires once, at its first occurrence, unless
 * the hour field is "*", in which case both real hours fire.
 *
 * Time-zone conversion uses the C library: a process-wide mutex guards setenv("TZ") + tzset +
 * localtime_r, and the previous TZ is restored. This is correct and simple; the cost is that
 * other threads must not call localtime() with TZ-dependent expectations while a schedule is
 * being computed (Aurum's own code formats times in UTC only).
 */
#ifndef AU_CRON_H
#define AU_CRON_H

#include <stdint.h>

#include "lib/rc.h"

typedef struct au_cron au_cron;

/* Longest accepted schedule text. */
#define AU_CRON_MAX_SPEC 256

/* Parses `spec` in time zone `tz` (IANA name such as "Europe/London"; NULL or "" means UTC).
 * Errors name the field and the column (1-based) of the offending text; a schedule that can
 * never fire ("0 0 30 2 *") is refused. *out is freed with au_cron_free. */
au_rc au_cron_parse(const char *spec, const char *tz, au_cron **out, au_err *err);
void au_cron_free(au_cron *c);
/* The next firing time strictly after `after` (Unix seconds), in Unix seconds.
 * AU_ERR_NOT_FOUND if none within five years (cannot happen for a schedule that parsed);
 * AU_ERR_INVALID if `after` is before 1970 or after the year 9000. */
au_rc au_cron_next(const au_cron *c, int64_t after, int64_t *next);
/* The time zone name the schedule runs in ("UTC" by default). Owned by c. */
const char *au_cron_timezone(const au_cron *c);
/* 0 when `tz` names a readable TZif file under the zoneinfo directory (TZDIR or
 * /usr/share/zoneinfo); -1 otherwise. Rejects path tricks ("..", leading '/'). */
int au_cron_tz_valid(const char *tz);

#endif
