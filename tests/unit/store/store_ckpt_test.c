/*
 * The WAL checkpointer of a read-write SQLite handle (src/store/store_sqlite_ckpt.c), driven
 * directly on a connection of the test's own: its checkpoints must copy the WAL into the
 * database, so the WAL is reused from its start instead of growing with every commit. A round is
 * requested and waited for (au_sqlite_ckpt_round), so nothing here depends on the thread's timer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"

static char dir[64];
static char path[128];

static void ck_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
}

static void ck_teardown(void)
{
    char f[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int src = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(src, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
}

/* A writer set up like the store's: WAL, its own autocheckpoint replaced by the thread's. */
static sqlite3 *open_writer(void)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                 SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)");
    return db;
}

/* `commits` transactions of 20 rows of 2 KB each: about 10 new pages per commit. */
static void write_some(sqlite3 *db, int commits)
{
    for (int i = 0; i < commits; i++)
        exec_ok(db, "BEGIN; INSERT INTO t(v) SELECT randomblob(2000) FROM "
                    "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20) "
                    "SELECT x FROM n); COMMIT");
}

static long wal_bytes(void)
{
    char f[160];
    struct stat sb;
    snprintf(f, sizeof(f), "%s-wal", path);
    return stat(f, &sb) == 0 ? (long)sb.st_size : -1;
}

TestSuite(store_ckpt, .init = ck_setup, .fini = ck_teardown);

/* The checkpointer's connection opened the file but had never read it, so SQLite did not know
 * the file was in WAL mode and every checkpoint was a no-op (log and done -1): the WAL grew by
 * every commit until the last connection closed. */
Test(store_ckpt, copies_the_wal_into_the_database)
{
    sqlite3 *db = open_writer();
    au_sqlite_ckpt *c = au_sqlite_ckpt_start(db);
    cr_assert_not_null(c);
    write_some(db, 100);
    int log = 0, done = 0;
    cr_assert_eq(au_sqlite_ckpt_round(c, &log, &done), 0);
    cr_assert_gt(log, 500, "the WAL holds the 100 commits' pages (%d frames)", log);
    cr_assert_eq(done, log, "nothing reads an old snapshot: every frame is copied (%d of %d)", done,
                 log);
    au_sqlite_ckpt_stop(c, db);
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* Once a checkpoint has copied everything, the writer's next commit starts the WAL again from
 * its beginning: as much written again leaves the file about as large (a few more frames per
 * commit as the table deepens), where without checkpoints it grows by the whole batch. */
Test(store_ckpt, wal_is_reused_not_grown)
{
    sqlite3 *db = open_writer();
    au_sqlite_ckpt *c = au_sqlite_ckpt_start(db);
    cr_assert_not_null(c);
    int log = 0, done = 0;
    write_some(db, 100);
    cr_assert_eq(au_sqlite_ckpt_round(c, &log, &done), 0);
    long first = wal_bytes();
    cr_assert_gt(first, 0);
    for (int round = 0; round < 3; round++) {
        write_some(db, 100);
        cr_assert_eq(au_sqlite_ckpt_round(c, &log, &done), 0);
    }
    cr_assert_lt(wal_bytes(), first * 3 / 2,
                 "WAL %ld bytes after four rounds of writes, %ld after one", wal_bytes(), first);
    au_sqlite_ckpt_stop(c, db);
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* A WAL past the truncate size (continuous commits never let a passive checkpoint finish with
 * nothing left, so the WAL cannot start over) is copied and truncated to nothing by one round,
 * and the writer commits on afterwards. */
Test(store_ckpt, a_long_wal_is_truncated)
{
    sqlite3 *db = open_writer();
    au_sqlite_ckpt *c = au_sqlite_ckpt_start(db);
    cr_assert_not_null(c);
    au_sqlite_ckpt_truncate_at(c, 500);
    write_some(db, 100);
    cr_assert_gt(wal_bytes(), 500L * 4096, "the WAL is past the truncate size before the round");
    int log = 0, done = 0;
    cr_assert_eq(au_sqlite_ckpt_round(c, &log, &done), 0);
    cr_assert_eq(log, 0, "the truncating checkpoint leaves no frame (%d)", log);
    cr_assert_eq(wal_bytes(), 0, "the WAL file is truncated (%ld bytes)", wal_bytes());
    write_some(db, 10);
    cr_assert_gt(wal_bytes(), 0, "the writer goes on in a new WAL");
    au_sqlite_ckpt_stop(c, db);
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}
