/*
 * Tests of the clock module: the real wall clock agrees with time(2), the monotonic clock never
 * goes back, and a manual clock moves only when advanced (what schedule tests rely on).
 */
#include <criterion/criterion.h>
#include <time.h>

#include "lib/clock.h"

Test(clock, wall_clock_agrees_with_time)
{
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t ms = au_wall_ms();
    int64_t after = (int64_t)time(NULL) * 1000 + 1000;
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
