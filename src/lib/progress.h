/*
 * Progress of long batch jobs (import): records done, records per second, and when the total
 * size is known, percent and ETA. On a terminal one line is redrawn in place at most ten times
 * a second; elsewhere (a pipe, a log file, CI) a plain line is appended every
 * AU_PROGRESS_PLAIN_EVERY seconds, so a long job is never silent and never fills a log with
 * carriage returns. The clock is injectable so tests advance time instead of waiting.
 */
#ifndef AU_PROGRESS_H
#define AU_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

/* Seconds between two plain lines when the output is not a terminal. */
#define AU_PROGRESS_PLAIN_EVERY 5.0

typedef struct au_progress {
    FILE *out;           /* where lines go, NULL: nothing is printed */
    int tty;             /* out is a terminal: redraw one line in place */
    double (*now)(void); /* monotonic seconds */
    const char *label;   /* shown first, borrowed */
    size_t total_bytes;  /* 0 when unknown */
    double started;      /* now() at init */
    double last_draw;    /* now() of the last line or redraw */
    int drawn;           /* a redrawn line is on screen */
} au_progress;

/* Monotonic clock in seconds. */
double au_progress_now(void);
/* On stderr, a terminal or not. label borrowed; total_bytes 0 when unknown. */
void au_progress_init(au_progress *p, const char *label, size_t total_bytes);
/* On `out` (NULL: silent), redrawn when tty, with time from `now`. */
void au_progress_init_on(au_progress *p, const char *label, size_t total_bytes, FILE *out, int tty,
                         double (*now)(void));
/* Cheap to call per record: prints only when the interval has passed. */
void au_progress_update(au_progress *p, long records, size_t bytes);
/* On a terminal draws the final state and ends the line; elsewhere prints nothing more. */
void au_progress_finish(au_progress *p, long records, size_t bytes);

#endif
