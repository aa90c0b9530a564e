/*
 * A one-line progress display for long batch jobs (import): records done, records per second,
 * and when the total size is known, percent and ETA. Written to stderr only when stderr is a
 * terminal, redrawn at most ten times a second, so logs and pipes never see it.
 */
#ifndef AU_PROGRESS_H
#define AU_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef struct au_progress {
    FILE *out;          /* stderr, or NULL when not a terminal (then nothing is printed) */
    const char *label;  /* shown first, borrowed */
    size_t total_bytes; /* 0 when unknown */
    double started;     /* monotonic seconds */
    double last_draw;   /* monotonic seconds of the last redraw */
    int drawn;          /* a line is on screen */
} au_progress;

/* Monotonic clock in seconds. */
double au_progress_now(void);
/* label borrowed; total_bytes 0 when unknown. */
void au_progress_init(au_progress *p, const char *label, size_t total_bytes);
/* Cheap to call per record: redraws only every 100 ms. */
void au_progress_update(au_progress *p, long records, size_t bytes);
/* Draws the final state and ends the line (nothing when not a terminal). */
void au_progress_finish(au_progress *p, long records, size_t bytes);

#endif
