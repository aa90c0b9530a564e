/*
 * The real clocks and the manual test clock behind au_clock (see clock.h for why time is
 * injected rather than read directly).
 */
#include "lib/clock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

struct timespec au_timespec_of_ms(int64_t wall_ms)
{
    struct timespec ts = {(time_t)(wall_ms / 1000), (long)(wall_ms % 1000) * 1000000L};
    return ts;
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

/* The file's offset, or `last` when it cannot be read whole as one integer (with an optional
 * trailing newline). */
static int64_t read_offset(const char *path, int64_t last)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return last;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return last;
    buf[n] = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || (*end && strcmp(end, "\n")))
        return last;
    return (int64_t)v;
}

static int64_t offset_now(void *ctx)
{
    au_offset_clock *c = ctx;
    int64_t ms = read_offset(c->path, atomic_load(&c->ms));
    atomic_store(&c->ms, ms);
    return au_wall_ms() + ms;
}

au_rc au_offset_clock_init(au_offset_clock *c, const char *path)
{
    size_t len = path ? strlen(path) : 0;
    if (!len || len >= sizeof(c->path))
        return AU_ERR_INVALID;
    memcpy(c->path, path, len + 1);
    c->clock.now_ms = offset_now;
    c->clock.ctx = c;
    atomic_store(&c->ms, 0);
    return AU_OK;
}
