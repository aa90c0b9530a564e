/*
 * The fixtures of the store test suites that run on PostgreSQL (store_pg, store_profiles_pg,
 * store_audit_pg, store_privacy_pg): each test gets a fresh, empty database (the store's
 * migration runs in the test) on the run's server (tests/support/pgrun.h), dropped at its end.
 */
#ifndef AU_TEST_PGSUITE_H
#define AU_TEST_PGSUITE_H

#include <stddef.h>

#include "../../support/pgrun.h"
#include "store/store.h"

/* In a test's .init: skips the test when PostgreSQL is not installed, fails it when the server
 * did not start; else creates an empty database and writes its postgres:// URI to loc. */
void au_pgsuite_database(char *loc, size_t cap);
/* The server (conninfo and port filled in by au_pgsuite_database). */
const au_pgserver *au_pgsuite_server(void);

/* The fixture of a suite run on both back-ends: a SQLite store in a new temporary directory
 * (written to dir, cap bytes), or a store on a fresh PostgreSQL database (dir set to ""); closed,
 * and the directory removed, by au_pgsuite_close. */
void au_pgsuite_open_sqlite(char *dir, size_t cap, au_store **st);
void au_pgsuite_open_pg(char *dir, au_store **st);
void au_pgsuite_close(au_store *st, const char *dir);

/* The suites SUITE (SQLite) and SUITE_pg (PostgreSQL) with the fixture above, the store in the
 * file's `st`; AU_STORE_CASE(SUITE, name) then defines one body run as both SUITE/<name> and
 * SUITE_pg/<name>. */
#define AU_STORE_BOTH(suite)                                                                       \
    static char dir[64];                                                                           \
    static au_store *st;                                                                           \
    static void setup(void)                                                                        \
    {                                                                                              \
        au_pgsuite_open_sqlite(dir, sizeof(dir), &st);                                             \
    }                                                                                              \
    static void pg_setup(void)                                                                     \
    {                                                                                              \
        au_pgsuite_open_pg(dir, &st);                                                              \
    }                                                                                              \
    static void teardown(void)                                                                     \
    {                                                                                              \
        au_pgsuite_close(st, dir);                                                                 \
    }                                                                                              \
    TestSuite(suite, .init = setup, .fini = teardown);                                             \
    TestSuite(suite##_pg, .init = pg_setup, .fini = teardown)

#define AU_STORE_CASE(suite, name)                                                                 \
    static void name(void);                                                                        \
    Test(suite, name)                                                                              \
    {                                                                                              \
        name();                                                                                    \
    }                                                                                              \
    Test(suite##_pg, name)                                                                         \
    {                                                                                              \
        name();                                                                                    \
    }                                                                                              \
    static void name(void)

#endif
