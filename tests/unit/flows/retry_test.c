/*
 * Tests of the delivery recorder's schedule (au_flows_retry_plan): delivered, retried with an
 * exponential, capped and jittered back-off, the target's Retry-After honoured, and dead-lettered
 * once the attempts are spent or on a permanent failure. Time comes from a manual clock and the
 * jitter from a fixed function, so every due time is exact.
 */
#include <criterion/criterion.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "flows/flows_int.h"
#include "lib/clock.h"

static uint32_t jitter_none(uint32_t upper)
{
    (void)upper;
    return 0;
}

static uint32_t jitter_max(uint32_t upper)
{
    return upper - 1;
}

static au_flowdef policy(long max_attempts, long backoff, long cap)
{
    au_flowdef d = {0};
    d.max_attempts = max_attempts;
    d.backoff_ms = backoff;
    d.max_backoff_ms = cap;
    return d;
}

Test(retry, delivered_needs_no_next_attempt)
{
    au_flowdef d = policy(5, 1000, 60000);
    au_retry_plan p = au_flows_retry_plan(&d, AU_DELIVER_OK, 0, -1, 5000, jitter_none);
    cr_assert_eq(p.verdict, 0);
    cr_assert_eq(p.next_ms, 0);
}

Test(retry, backoff_doubles_per_attempt_and_is_capped)
{
    au_flowdef d = policy(10, 1000, 5000);
    au_manual_clock m;
    au_manual_clock_init(&m, 1000000);
    /* Without jitter the delay is the lower half: 500, 1000, 2000, then the cap's half. */
    const int64_t low[] = {500, 1000, 2000, 2500, 2500};
    /* With the most jitter it is the full delay: 1000, 2000, 4000, 5000 (capped). */
    const int64_t high[] = {1000, 2000, 4000, 5000, 5000};
    for (int a = 0; a < 5; a++) {
        int64_t now = au_clock_now_ms(&m.clock);
        au_retry_plan lo = au_flows_retry_plan(&d, AU_DELIVER_RETRY, a, -1, now, jitter_none);
        au_retry_plan hi = au_flows_retry_plan(&d, AU_DELIVER_RETRY, a, -1, now, jitter_max);
        cr_assert_eq(lo.verdict, 1, "attempt %d", a);
        cr_assert_eq(lo.next_ms - now, low[a], "attempt %d: %lld", a,
                     (long long)(lo.next_ms - now));
        cr_assert_eq(hi.next_ms - now, high[a], "attempt %d: %lld", a,
                     (long long)(hi.next_ms - now));
        au_manual_clock_advance(&m, hi.next_ms - now);
    }
}

Test(retry, real_jitter_stays_in_the_upper_half)
{
    au_flowdef d = policy(5, 4000, 60000);
    for (int i = 0; i < 200; i++) {
        au_retry_plan p = au_flows_retry_plan(&d, AU_DELIVER_RETRY, 0, -1, 0, NULL);
        cr_assert(p.next_ms >= 2000 && p.next_ms <= 4000, "%lld", (long long)p.next_ms);
    }
}

Test(retry, retry_after_replaces_the_backoff)
{
    au_flowdef d = policy(5, 1000, 60000);
    au_retry_plan p = au_flows_retry_plan(&d, AU_DELIVER_RETRY, 2, 30000, 7000, jitter_max);
    cr_assert_eq(p.verdict, 1);
    cr_assert_eq(p.next_ms, 37000);
}

Test(retry, last_attempt_goes_to_the_dead_letters)
{
    au_flowdef d = policy(3, 1000, 60000);
    cr_assert_eq(au_flows_retry_plan(&d, AU_DELIVER_RETRY, 1, -1, 0, jitter_none).verdict, 1);
    au_retry_plan p = au_flows_retry_plan(&d, AU_DELIVER_RETRY, 2, -1, 0, jitter_none);
    cr_assert_eq(p.verdict, 2);
    cr_assert_eq(p.next_ms, 0);
}

Test(retry, permanent_failure_is_dead_at_once)
{
    au_flowdef d = policy(5, 1000, 60000);
    cr_assert_eq(au_flows_retry_plan(&d, AU_DELIVER_FAIL, 0, -1, 0, jitter_none).verdict, 2);
}

Test(retry, removed_flow_gets_a_single_attempt)
{
    cr_assert_eq(au_flows_retry_plan(NULL, AU_DELIVER_RETRY, 0, -1, 0, jitter_none).verdict, 2);
}
