/*
 * Time, in one place. au_wall_ms() and au_mono_us() are the process's only readers of the real
 * clocks; code that schedules by time (retries, back-off, schedules, caches) reads it through an
 * au_clock instead, so a test can substitute a manual clock and advance it rather than sleep.
 * A NULL au_clock means the real one.
 */
#ifndef AU_CLOCK_H
#define AU_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "lib/rc.h"

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t au_wall_ms(void);
/* Microseconds of a monotonic clock with an arbitrary origin: for durations only. */
int64_t au_mono_us(void);

/* The CLOCK_REALTIME instant wall_ms as a timespec: the deadline pthread_cond_timedwait takes. */
struct timespec au_timespec_of_ms(int64_t wall_ms);

/* A clock as a method table; ctx is the implementation's state (not owned). */
typedef struct au_clock {
    int64_t (*now_ms)(void *ctx); /* wall time, milliseconds since the epoch */
    void *ctx;
} au_clock;

/* The real clock (a static object, never freed). */
const au_clock *au_clock_system(void);
/* c's wall time; c == NULL reads the real clock. */
int64_t au_clock_now_ms(const au_clock *c);

/* A clock that moves only when told (tests). Caller-allocated; safe across threads. */
typedef struct au_manual_clock {
    au_clock clock; /* pass &m->clock where an au_clock is expected */
    _Atomic int64_t ms;
} au_manual_clock;

void au_manual_clock_init(au_manual_clock *m, int64_t start_ms);
void au_manual_clock_advance(au_manual_clock *m, int64_t delta_ms);

/* The real clock plus an offset in milliseconds read from a file at every reading: how a test
 * of the real daemon moves its time forward without sleeping (selected at start-up by the
 * configuration's `clock: {offset_file: PATH}`; never chosen otherwise). A missing, partial or
 * unparsable file leaves the last offset read in place (0 at first), so the clock never jumps
 * back because a writer is halfway through. Safe across threads. */
typedef struct au_offset_clock {
    au_clock clock;     /* pass &c->clock where an au_clock is expected */
    char path[4096];    /* the offset file */
    _Atomic int64_t ms; /* the last offset read */
} au_offset_clock;

/* AU_ERR_INVALID when path is empty or too long. */
AU_MUST_USE au_rc au_offset_clock_init(au_offset_clock *c, const char *path);

#endif
