/*
 * The store choice of the two-store suites (both.h). Each test runs in its own process, so the
 * choice is a static of that process, set by the suite's .init before the fixture runs.
 */
#include "both.h"

#include <stdio.h>

#include "../support/pgrun.h"

static char pg_loc[160]; /* "" on SQLite; the test's database on PostgreSQL */

const char *au_both_store(const char *data_dir)
{
    return pg_loc[0] ? pg_loc : data_dir;
}

int au_both_is_pg(void)
{
    return pg_loc[0] != '\0';
}

void au_both_init_sqlite(void)
{
    pg_loc[0] = '\0';
}

void au_both_init_pg(void)
{
    char why[256];
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    cr_assert_eq(au_pgrun_database(pg_loc, sizeof(pg_loc), 1, why, sizeof(why)), 0, "%s", why);
}

void au_both_fini_pg(void)
{
    au_pgrun_drop_mine();
}
