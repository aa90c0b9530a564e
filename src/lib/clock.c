/*
 * The real clocks and the manual test clock behind au_clock (see clock.h for why time is
 * injected rather than read directly).
 */
#include "lib/clock.h"

#include <time.h>

int64_t au_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t au_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t system_now(void *ctx)
{
    (void)ctx;
    return au_wall_ms();
}

static const au_clock system_clock = {system_now, NULL};

const au_clock *au_clock_system(void)
{
    return &system_clock;
}

int64_t au_clock_now_ms(const au_clock *c)
{
    return c ? c->now_ms(c->ctx) : au_wall_ms();
}

static int64_t manual_now(void *ctx)
{
    au_manual_clock *m = ctx;
    return atomic_load(&m->ms);
}

void au_manual_clock_init(au_manual_clock *m, int64_t start_ms)
{
    m->clock.now_ms = manual_now;
    m->clock.ctx = m;
    atomic_store(&m->ms, start_ms);
}

void au_manual_clock_advance(au_manual_clock *m, int64_t delta_ms)
{
    atomic_fetch_add(&m->ms, delta_ms);
}
