/*
 * Tests of the clock module: the real wall clock agrees with time(2), the monotonic clock never
 * goes back, and a manual clock moves only when advanced (what schedule tests rely on).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

Test(clock, wall_clock_agrees_with_time)
{
    /* glibc's time(2) reads the coarse clock, which lags the precise one by up to a scheduler
     * tick, so the upper bound allows one tick (a generous 100 ms) beyond the second. */
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t ms = au_wall_ms();
    int64_t after = (int64_t)time(NULL) * 1000 + 1000 + 100;
    cr_assert(ms >= before && ms < after, "%lld not in [%lld, %lld)", (long long)ms,
              (long long)before, (long long)after);
    cr_assert(au_clock_now_ms(NULL) >= ms);
    cr_assert(au_clock_now_ms(au_clock_system()) >= ms);
}

Test(clock, monotonic_clock_never_goes_back)
{
    int64_t prev = au_mono_us();
    for (int i = 0; i < 1000; i++) {
        int64_t now = au_mono_us();
        cr_assert(now >= prev);
        prev = now;
    }
}

Test(clock, manual_clock_moves_only_when_advanced)
{
    au_manual_clock m;
    au_manual_clock_init(&m, 1000);
    cr_assert_eq(au_clock_now_ms(&m.clock), 1000);
    cr_assert_eq(au_clock_now_ms(&m.clock), 1000);
    au_manual_clock_advance(&m, 250);
    cr_assert_eq(au_clock_now_ms(&m.clock), 1250);
    au_manual_clock_advance(&m, -50);
    cr_assert_eq(au_clock_now_ms(&m.clock), 1200);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(clock, offset_clock_adds_the_file_and_keeps_the_last_good_offset)
{
    char dir[] = "/tmp/au-clock-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/offset", dir);
    au_offset_clock c;
    cr_assert_eq(au_offset_clock_init(&c, ""), AU_ERR_INVALID);
    cr_assert_eq(au_offset_clock_init(&c, path), AU_OK);
    /* No file yet: real time. */
    int64_t before = au_wall_ms(), t = au_clock_now_ms(&c.clock), after = au_wall_ms();
    cr_assert(t >= before && t <= after);
    write_file(path, "3600000\n");
    before = au_wall_ms();
    t = au_clock_now_ms(&c.clock);
    after = au_wall_ms();
    cr_assert(t >= before + 3600000 && t <= after + 3600000, "an hour ahead");
    /* A half-written or garbled file does not move the clock back. */
    write_file(path, "");
    cr_assert_geq(au_clock_now_ms(&c.clock), before + 3600000);
    write_file(path, "12x");
    cr_assert_geq(au_clock_now_ms(&c.clock), before + 3600000);
    write_file(path, "-1000");
    t = au_clock_now_ms(&c.clock);
    cr_assert(t <= au_wall_ms() - 1000, "an offset may be negative");
    unlink(path);
    rmdir(dir);
}
