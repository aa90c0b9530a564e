/*
 * Progress line: carriage return and erase-to-end-of-line redraws on a terminal.
 */
#include "lib/progress.h"

#include <time.h>
#include <unistd.h>

double au_progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void au_progress_init(au_progress *p, const char *label, size_t total_bytes)
{
    p->out = isatty(2) ? stderr : NULL;
    p->label = label;
    p->total_bytes = total_bytes;
    p->started = au_progress_now();
    p->last_draw = 0;
    p->drawn = 0;
}

static void draw(au_progress *p, long records, size_t bytes, double now)
{
    double el = now - p->started;
    double rate = el > 0 ? (double)records / el : 0;
    fprintf(p->out, "\r\033[K%s: %ld records, %.0f records/s", p->label, records, rate);
    if (p->total_bytes && bytes <= p->total_bytes) {
        double frac = (double)bytes / (double)p->total_bytes;
        fprintf(p->out, ", %.0f%%", frac * 100);
        if (frac > 0.01 && frac < 1)
            fprintf(p->out, ", ETA %.0f s", el / frac - el);
    }
    fflush(p->out);
    p->drawn = 1;
    p->last_draw = now;
}

void au_progress_update(au_progress *p, long records, size_t bytes)
{
    if (!p->out)
        return;
    double now = au_progress_now();
    if (now - p->last_draw >= 0.1)
        draw(p, records, bytes, now);
}

void au_progress_finish(au_progress *p, long records, size_t bytes)
{
    if (!p->out)
        return;
    draw(p, records, bytes, au_progress_now());
    fputc('\n', p->out);
    p->drawn = 0;
}
