/*
 * The store suites' fixtures on both back-ends (pgsuite.h); the PostgreSQL server is the run's
 * (tests/support/pgrun).
 */
#include "pgsuite.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../support/pgrun.h"

void au_pgsuite_database(char *loc, size_t cap)
{
    char why[256];
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    cr_assert_eq(au_pgrun_database(loc, cap, 0, why, sizeof(why)), 0, "%s", why);
}

const au_pgserver *au_pgsuite_server(void)
{
    return au_pgrun_server();
}

void au_pgsuite_open_sqlite(char *dir, size_t cap, au_store **st)
{
    au_err err;
    snprintf(dir, cap, "/tmp/aurum-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RW, st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

void au_pgsuite_open_pg(char *dir, au_store **st)
{
    char loc[256];
    au_err err;
    dir[0] = '\0';
    au_pgsuite_database(loc, sizeof(loc));
    au_err_init(&err);
    cr_assert_eq(au_store_open(loc, AU_STORE_RW, st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

void au_pgsuite_close(au_store *st, const char *dir)
{
    au_store_close(st);
    au_pgrun_drop_mine();
    if (dir && dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
