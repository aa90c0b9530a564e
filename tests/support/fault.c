/*
 * The fault-injection loop shared by the unit tests (see fault.h).
 */
#include "fault.h"

#include <criterion/criterion.h>

#include "lib/alloc.h"

long au_fault_every_allocation(au_fault_op op, void *ctx)
{
    au_alloc_fail_after(-1);
    cr_assert_eq(op(ctx), AU_OK, "the operation fails without any injected fault");
    long total = au_alloc_count();
    cr_assert_gt(total, 0, "the operation allocates nothing: nothing to inject");
    for (long n = 0; n < total; n++) {
        au_alloc_fail_after(n);
        au_rc rc = op(ctx);
        au_alloc_fail_after(-1);
        cr_assert_eq(rc, AU_ERR_NOMEM, "allocation %ld of %ld failing: rc %d, not AU_ERR_NOMEM",
                     n + 1, total, rc);
    }
    au_alloc_fail_after(total);
    au_rc rc = op(ctx);
    au_alloc_fail_after(-1);
    cr_assert_eq(rc, AU_OK, "the operation fails once all its %ld allocations succeed", total);
    return total;
}
