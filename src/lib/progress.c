/*
 * Progress reporting: carriage return and erase-to-end-of-line redraws on a terminal, plain
 * appended lines elsewhere (see progress.h for the intervals).
 */
#include "lib/progress.h"
#include "lib/clock.h"

#include <time.h>
#include <unistd.h>

double au_progress_now(void)
{
    return (double)au_mono_us() / 1e6;
}

void au_progress_init_on(au_progress *p, const char *label, size_t total_bytes, FILE *out, int tty,
                         double (*now)(void))
{
    p->out = out;
    p->tty = tty;
    p->now = now ? now : au_progress_now;
    p->label = label;
    p->total_bytes = total_bytes;
    p->started = p->now();
    p->last_draw = p->started;
    p->drawn = 0;
}

void au_progress_init(au_progress *p, const char *label, size_t total_bytes)
{
    au_progress_init_on(p, label, total_bytes, stderr, isatty(2), au_progress_now);
}

/* "label: N records, R records/s[, P%, ETA S s]" */
static void put_state(au_progress *p, long records, size_t bytes, double now)
{
    double el = now - p->started;
    double rate = el > 0 ? (double)records / el : 0;
    fprintf(p->out, "%s: %ld records, %.0f records/s", p->label, records, rate);
    if (p->total_bytes && bytes <= p->total_bytes) {
        double frac = (double)bytes / (double)p->total_bytes;
        fprintf(p->out, ", %.0f%%", frac * 100);
        if (frac > 0.01 && frac < 1)
            fprintf(p->out, ", ETA %.0f s", el / frac - el);
    }
}

static void draw(au_progress *p, long records, size_t bytes, double now)
{
    if (p->tty)
        fputs("\r\033[K", p->out);
    put_state(p, records, bytes, now);
    if (!p->tty)
        fputc('\n', p->out);
    fflush(p->out);
    p->drawn = p->tty;
    p->last_draw = now;
}

void au_progress_update(au_progress *p, long records, size_t bytes)
{
    if (!p->out)
        return;
    double now = p->now();
    if (now - p->last_draw >= (p->tty ? 0.1 : AU_PROGRESS_PLAIN_EVERY))
        draw(p, records, bytes, now);
}

void au_progress_finish(au_progress *p, long records, size_t bytes)
{
    if (!p->out || !p->tty)
        return;
    draw(p, records, bytes, p->now());
    fputc('\n', p->out);
    p->drawn = 0;
}
