/*
 * One test body, run on both stores. AU_BOTH_SUITE(s, init, fini) declares the suites s (the
 * store is SQLite in the test's data directory) and s_pg (the store is a fresh database of the
 * run's PostgreSQL server, tests/support/pgrun.h, copied from the migrated template and dropped
 * after the test); AU_BOTH_TEST(s, name, ...) then defines a body run as s/name and s_pg/name.
 * The fixture finds the store with au_both_store(data_dir): the data directory itself on
 * SQLite, the postgres:// URI on PostgreSQL — what au_engine_open_at and au_store_open take.
 *
 * A test that is about SQLite itself (its files, its bytes, its locking) is declared with
 * AU_SQLITE_ONLY(s, name, reason, ...): a plain Test of s whose description gives the reason,
 * so the exception is written where the test is.
 */
#ifndef AU_TEST_BOTH_H
#define AU_TEST_BOTH_H

#include <criterion/criterion.h>

/* Where the current test's store is: data_dir on SQLite, the database's URI on PostgreSQL. */
const char *au_both_store(const char *data_dir);
/* 1 when the current test runs in the _pg twin. */
int au_both_is_pg(void);

/* The suites' .init halves (not for direct use): choose the store, then run the fixture's. */
void au_both_init_sqlite(void);
void au_both_init_pg(void);
/* The _pg twin's .fini tail: drops the test's database. */
void au_both_fini_pg(void);

#define AU_BOTH_SUITE(suite, set_up, tear_down, ...)                                               \
    static void suite##_both_init(void)                                                            \
    {                                                                                              \
        au_both_init_sqlite();                                                                     \
        set_up();                                                                                  \
    }                                                                                              \
    static void suite##_both_init_pg(void)                                                         \
    {                                                                                              \
        au_both_init_pg();                                                                         \
        set_up();                                                                                  \
    }                                                                                              \
    static void suite##_both_fini_pg(void)                                                         \
    {                                                                                              \
        tear_down();                                                                               \
        au_both_fini_pg();                                                                         \
    }                                                                                              \
    TestSuite(suite, .init = suite##_both_init, .fini = tear_down, ##__VA_ARGS__);                 \
    TestSuite(suite##_pg, .init = suite##_both_init_pg, .fini = suite##_both_fini_pg, ##__VA_ARGS__)

#define AU_BOTH_TEST(suite, name, ...)                                                             \
    static void suite##_##name(void);                                                              \
    Test(suite, name, ##__VA_ARGS__)                                                               \
    {                                                                                              \
        suite##_##name();                                                                          \
    }                                                                                              \
    Test(suite##_pg, name, ##__VA_ARGS__)                                                          \
    {                                                                                              \
        suite##_##name();                                                                          \
    }                                                                                              \
    static void suite##_##name(void)

#define AU_SQLITE_ONLY(suite, name, reason, ...)                                                   \
    Test(suite, name, .description = "SQLite only: " reason, ##__VA_ARGS__)

#endif
