/*
 * Tests of the growable array (src/lib/array.c): capacity doubles from the first size, reserving
 * what is already there allocates nothing, a failed growth leaves the array usable, and an
 * impossible size is refused rather than overflowing.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "lib/alloc.h"
#include "lib/array.h"

#include "../../support/fault.h"

Test(array, grows_by_doubling_and_keeps_contents)
{
    int64_t *a = NULL;
    size_t n = 0, cap = 0;
    for (int64_t i = 0; i < 100; i++) {
        cr_assert_eq(AU_ARRAY_GROW(a, cap, n + 1, 8), AU_OK);
        a[n++] = i * 3;
    }
    cr_assert_eq(cap, 128, "8, 16, 32, 64, 128");
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(a[i], (int64_t)i * 3);
    au_alloc_fail_after(0);
    cr_assert_eq(AU_ARRAY_GROW(a, cap, 128, 8), AU_OK, "room already there: no allocation");
    au_alloc_fail_after(-1);
    au_free(a);
}

Test(array, a_failed_growth_leaves_the_array_unchanged)
{
    int *a = NULL;
    size_t cap = 0;
    cr_assert_eq(AU_ARRAY_GROW(a, cap, 4, 4), AU_OK);
    a[3] = 7;
    int *before = a;
    au_alloc_fail_after(0);
    cr_assert_eq(AU_ARRAY_GROW(a, cap, 5, 4), AU_ERR_NOMEM);
    au_alloc_fail_after(-1);
    cr_assert_eq(a, before);
    cr_assert_eq(cap, 4);
    cr_assert_eq(a[3], 7);
    au_free(a);
}

Test(array, impossible_sizes_are_refused)
{
    int64_t *a = NULL;
    size_t cap = 0;
    cr_assert_eq(AU_ARRAY_GROW(a, cap, SIZE_MAX / 4, 8), AU_ERR_NOMEM);
    cr_assert_null(a);
    cr_assert_eq(cap, 0);
}

static au_rc fill(void *ctx)
{
    (void)ctx;
    char **a = NULL;
    size_t n = 0, cap = 0;
    au_rc rc = AU_OK;
    for (int i = 0; i < 40 && !rc; i++) {
        if (!(rc = AU_ARRAY_GROW(a, cap, n + 1, 2)) && !(a[n] = au_asprintf("%d", i)))
            rc = AU_ERR_NOMEM;
        if (!rc)
            n++;
    }
    if (!rc)
        cr_assert_str_eq(a[39], "39");
    for (size_t i = 0; i < n; i++)
        au_free(a[i]);
    au_free(a);
    return rc;
}

Test(array, every_allocation_failure_is_reported_as_nomem)
{
    cr_assert_eq(au_fault_every_allocation(fill, NULL), 40 + 6,
                 "40 strings and 6 growths: 2, 4, 8, 16, 32, 64");
}
