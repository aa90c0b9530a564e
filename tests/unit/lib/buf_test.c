/*
 * Unit tests for the bounded buffer, the error type and the allocation failure injector.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/rc.h"

Test(buf, appends_until_the_limit_then_refuses)
{
    au_buf b;
    au_buf_init(&b, 8);
    cr_assert_eq(au_buf_puts(&b, "abcd"), AU_OK);
    cr_assert_eq(au_buf_printf(&b, "%d", 123), AU_OK);
    cr_assert_str_eq(b.data, "abcd123");
    cr_assert_eq(au_buf_puts(&b, "xy"), AU_ERR_TOO_LARGE);
    cr_assert_str_eq(b.data, "abcd123", "a refused append leaves the buffer as it was");
    char *s = au_buf_steal(&b);
    cr_assert_str_eq(s, "abcd123");
    cr_assert_null(b.data);
    au_free(s);
    au_buf_cleanup(&b);
}

Test(rc, every_code_maps_to_a_status_and_a_name)
{
    cr_assert_eq(au_rc_http_status(AU_ERR_NOT_FOUND), 404);
    cr_assert_eq(au_rc_http_status(AU_ERR_TOO_LARGE), 413);
    cr_assert_eq(au_rc_http_status(AU_ERR_UNAUTHORIZED), 401);
    cr_assert_str_eq(au_rc_code(AU_ERR_INVALID), "invalid_input");
}

Test(rc, details_are_bounded)
{
    au_err e;
    au_err_init(&e);
    au_err_set(&e, AU_ERR_INVALID, "batch rejected: %d invalid records", 150);
    for (int i = 0; i < 150; i++)
        au_err_detail_add(&e, i, "r1", "email", "not an e-mail address");
    cr_assert_eq(e.ndetails, AU_ERR_MAX_DETAILS);
    cr_assert_eq(e.dropped, 50);
    cr_assert_str_eq(e.details[3].field, "email");
    au_err_cleanup(&e);
    cr_assert_eq(e.rc, AU_OK);
}

Test(alloc, injected_failure_hits_the_nth_allocation)
{
    au_alloc_fail_after(1);
    void *a = au_malloc(10);
    void *b = au_malloc(10);
    au_alloc_fail_after(-1);
    cr_assert_not_null(a);
    cr_assert_null(b);
    au_free(a);
}
