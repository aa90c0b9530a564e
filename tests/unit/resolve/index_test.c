/*
 * Tests of the blocking index (src/resolve/index.c): members of a key are found in insertion
 * order across the inline-to-heap switch and table growth, removal keeps the others, a block
 * past its cap is marked oversized (no candidates) and stays so, and every allocation failure
 * of a fill is reported as AU_ERR_NOMEM.
 */
#include <criterion/criterion.h>

#include "lib/alloc.h"
#include "resolve/resolve_int.h"

#include "../../support/fault.h"

static uint64_t key_of(uint32_t i)
{
    return 0x9e3779b97f4a7c15ULL * (i + 1);
}

Test(bindex, members_are_found_across_inline_heap_and_growth)
{
    au_bindex ix;
    cr_assert_eq(au_bindex_init(&ix), AU_OK);
    /* 5000 keys force several rehashes; key k gets k % 7 + 1 members (inline and heap). */
    for (uint32_t k = 0; k < 5000; k++)
        for (uint32_t m = 0; m <= k % 7; m++)
            cr_assert_eq(au_bindex_add(&ix, key_of(k), k * 10 + m, 100), AU_OK);
    size_t total = 0;
    for (uint32_t k = 0; k < 5000; k++) {
        const au_block *b = au_bindex_find(&ix, key_of(k));
        cr_assert_not_null(b, "key %u", k);
        cr_assert_eq(b->n, k % 7 + 1, "key %u", k);
        cr_assert_eq(b->oversized, 0);
        for (uint32_t m = 0; m < b->n; m++)
            cr_assert_eq(au_block_ids(b)[m], k * 10 + m);
        total += b->n;
    }
    cr_assert_eq(ix.entries, total);
    cr_assert_null(au_bindex_find(&ix, key_of(9999)), "a key never added has no block");
    au_bindex_cleanup(&ix);
}

Test(bindex, removal_keeps_the_other_members_in_order)
{
    au_bindex ix;
    cr_assert_eq(au_bindex_init(&ix), AU_OK);
    for (uint32_t m = 0; m < 6; m++)
        cr_assert_eq(au_bindex_add(&ix, 42, m, 100), AU_OK);
    au_bindex_remove(&ix, 42, 2);
    au_bindex_remove(&ix, 42, 77); /* not a member: nothing happens */
    const au_block *b = au_bindex_find(&ix, 42);
    cr_assert_eq(b->n, 5);
    const uint32_t want[] = {0, 1, 3, 4, 5};
    for (uint32_t i = 0; i < 5; i++)
        cr_assert_eq(au_block_ids(b)[i], want[i]);
    cr_assert_eq(ix.entries, 5);
    au_bindex_cleanup(&ix);
}

Test(bindex, a_block_past_its_cap_is_oversized_for_good)
{
    au_bindex ix;
    cr_assert_eq(au_bindex_init(&ix), AU_OK);
    for (uint32_t m = 0; m < 3; m++)
        cr_assert_eq(au_bindex_add(&ix, 7, m, 3), AU_OK);
    cr_assert_eq(au_bindex_find(&ix, 7)->oversized, 0);
    cr_assert_eq(au_bindex_add(&ix, 7, 3, 3), AU_OK);
    const au_block *b = au_bindex_find(&ix, 7);
    cr_assert_eq(b->oversized, 1);
    cr_assert_eq(b->n, 0, "the list is freed: no candidates from a key everyone shares");
    cr_assert_eq(ix.entries, 0);
    cr_assert_eq(au_bindex_add(&ix, 7, 4, 3), AU_OK);
    cr_assert_eq(au_bindex_find(&ix, 7)->n, 0, "stays oversized");
    cr_assert_eq(au_bindex_add(&ix, 8, 1, 3), AU_OK);
    au_bindex_drop(&ix, 8);
    cr_assert_eq(au_bindex_find(&ix, 8)->oversized, 1);
    au_bindex_cleanup(&ix);
}

static au_rc fill(void *ctx)
{
    (void)ctx;
    au_bindex ix;
    au_rc rc = au_bindex_init(&ix);
    if (rc)
        return rc;
    for (uint32_t k = 0; k < 3000 && !rc; k++)
        for (uint32_t m = 0; m <= k % 9 && !rc; m++)
            rc = au_bindex_add(&ix, key_of(k), m, 100);
    if (!rc)
        cr_assert_eq(au_bindex_find(&ix, key_of(2999))->n, 2999 % 9 + 1);
    au_bindex_cleanup(&ix);
    return rc;
}

Test(bindex, every_allocation_failure_is_reported_as_nomem)
{
    au_fault_every_allocation(fill, NULL);
}
