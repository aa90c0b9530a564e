/*
 * Dates and times in ISO 8601 and the proleptic Gregorian calendar, independent of the process
 * time zone (no mktime/TZ): event times in the API, Segment timestamps, dates in flow
 * expressions and cron schedules all go through this one parser and formatter.
 */
#ifndef AU_ISOTIME_H
#define AU_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#include "lib/rc.h"

/* Days since 1970-01-01 of year y, month m (1..12), day d. */
int64_t au_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of au_days_from_civil. */
void au_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 28..31; m is 1..12. */
int au_days_in_month(int64_t y, unsigned m);

/* Parses s[0..len): "YYYY-MM-DD", optionally followed by "T" (or "t" or a space) and
 * "HH:MM[:SS[.fraction]]" and "Z" or "+HH[:MM]" / "-HH[MM]" (UTC when absent), into Unix ms.
 * Impossible dates (Feb 30) and trailing characters are AU_ERR_INVALID. */
AU_MUST_USE au_rc au_iso8601_parse(const char *s, size_t len, int64_t *ms);
/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (milliseconds only when not zero) into buf. */
void au_iso8601_format(int64_t ms, char *buf, size_t size);

#endif
