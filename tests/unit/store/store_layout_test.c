/*
 * The slimmer SQLite layout of migration 9 (docs/STORE.md): documents packed with a preset
 * dictionary (au_doc_pack / au_doc_text, src/store/store_sqlite_doc.c), origins by number, and
 * the conversion of a store written by the previous schema: every version, document, origin,
 * hash and tombstone reads back the same, the record_versions view still answers SQL, and the
 * old plain-text pages are gone from the file. Also the byte scan the erasure tests rely on
 * (tests/support/docscan.h): it must see a value inside a packed document, whole or cut off.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "store/store.h"
#include "store/store_sqlite_int.h"

#include "../../support/docscan.h"

/* A document as au_record_to_text writes one for the generated people. */
static const char doc_a[] =
    "{\"attrs\":{\"first_name\":{\"raw\":\"Zebedee\",\"value\":\"zebedee\"},"
    "\"last_name\":{\"raw\":\"Quartermaine\",\"value\":\"quartermaine\"},"
    "\"email\":\"zebedee.q@example.org\",\"phone\":{\"raw\":\"020 7946 0999\","
    "\"value\":\"+442079460999\"},\"address_line1\":{\"raw\":\"4 Marlowe Crescent\","
    "\"value\":\"4 marlowe crescent\"},\"city\":{\"raw\":\"Leeds\",\"value\":\"leeds\"},"
    "\"postal_code\":{\"raw\":\"LS1 4AP\",\"value\":\"LS1 4AP\",\"key\":\"ls14ap\"}},"
    "\"custom\":{},\"input\":{\"rec_id\":\"rec-17-org\",\"given_name\":\"Zebedee\","
    "\"surname\":\"Quartermaine\",\"street_number\":\"4\",\"address_1\":\"Marlowe Crescent\","
    "\"suburb\":\"Leeds\",\"postcode\":\"LS1 4AP\",\"phone_number\":\"020 7946 0999\"}}";

static sqlite3 *mem_db(void)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(au_sqlite_doc_register(db), SQLITE_OK);
    return db;
}

/* au_doc_pack(text) into a new buffer (au_free), *n its length. */
static unsigned char *pack(sqlite3 *db, const char *text, size_t *n)
{
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT au_doc_pack(?1)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_type(st, 0), SQLITE_BLOB);
    *n = (size_t)sqlite3_column_bytes(st, 0);
    unsigned char *out = au_malloc(*n);
    memcpy(out, sqlite3_column_blob(st, 0), *n);
    sqlite3_finalize(st);
    return out;
}

Test(store_layout, packed_documents_read_back_and_are_a_third_the_size)
{
    sqlite3 *db = mem_db();
    size_t n = 0;
    unsigned char *z = pack(db, doc_a, &n);
    cr_assert_lt(n * 10, (sizeof(doc_a) - 1) * 6, "%zu bytes packed of %zu", n, sizeof(doc_a) - 1);
    size_t len = 0;
    char *back = au_sqlite_doc_unpack(z, n, 0, &len);
    cr_assert_str_eq(back, doc_a);
    cr_assert_eq(len, sizeof(doc_a) - 1);
    au_free(back);
    /* SQL reads it back too; NULL (a tombstone) and unpacked text pass through */
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT au_doc_text(au_doc_pack(?1)), au_doc_pack(NULL), "
                                    "au_doc_text(NULL), au_doc_text('{}')",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, doc_a, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), doc_a);
    cr_assert_eq(sqlite3_column_type(st, 1), SQLITE_NULL);
    cr_assert_eq(sqlite3_column_type(st, 2), SQLITE_NULL);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 3), "{}");
    sqlite3_finalize(st);
    /* damaged bytes are an error, not a wrong document */
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT au_doc_text(x'789c0102')", -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ERROR);
    sqlite3_finalize(st);
    au_free(z);
    sqlite3_close(db);
}

/* The erasure tests scan raw file bytes; a packed document hides its values from a plain
 * search, and the scan must still see them, also in a document cut off by a page end. */
Test(store_layout, byte_scan_sees_into_packed_documents)
{
    sqlite3 *db = mem_db();
    size_t n = 0;
    unsigned char *z = pack(db, doc_a, &n);
    unsigned char page[4096];
    memset(page, 0xa5, sizeof(page));
    memcpy(page + 1000, z, n);
    cr_assert_eq(memmem(page, sizeof(page), "Marlowe", 7), NULL, "deflate hid the value");
    cr_assert_eq(au_test_packed_docs(page, sizeof(page)), 1);
    cr_assert(au_test_bytes_hold(page, sizeof(page), "MARLOWE crescent"));
    cr_assert(au_test_bytes_hold(page, sizeof(page), "zebedee.q@example.org"));
    cr_assert_not(au_test_bytes_hold(page, sizeof(page), "Henrietta"));
    /* the first two thirds only: the beginning of the document is still readable */
    cr_assert(au_test_bytes_hold(page + 1000, n * 2 / 3, "Zebedee"));
    au_free(z);
    sqlite3_close(db);
}

/* ---- migration of a store written by schema 8 ----------------------------------------------- */

static char dir[64];
static char dbfile[128];

static void mig_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-layout-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(dbfile, sizeof(dbfile), "%s/aurum.db", dir);
}

static void mig_teardown(void)
{
    char f[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", dbfile, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%.80s: %s", sql, msg);
}

/* The versions the old store holds: (record, version, doc, origin, deleted). */
static const struct {
    const char *id;
    int version;
    const char *doc; /* NULL: tombstone */
    const char *origin;
} old_rows[] = {
    {"r1", 1, doc_a, "import:people.csv"},
    {"r1", 2, "{\"attrs\":{\"first_name\":\"ann\"},\"custom\":{},\"input\":{\"id\":\"r1\"}}",
     "api:k1"},
    {"r2", 1, "{\"attrs\":{\"email\":\"b@example.org\"},\"custom\":{},\"input\":{}}",
     "import:people.csv"},
    {"r2", 2, NULL, "api:k1"},
    {"r3", 1, "{\"attrs\":{},\"custom\":{\"x\":1},\"input\":{\"Wolfram\":\"yes\"}}", "api:k2"},
};
#define OLD_N (sizeof(old_rows) / sizeof(old_rows[0]))

/* A database at schema 8 as the previous aurum left it: steps 1..8, records with history in
 * record_versions (plain-text documents, origins as strings), then closed. */
static void write_schema8_store(void)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(dbfile, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA page_size = 8192; BEGIN");
    for (int i = 0; i < 8; i++)
        exec_ok(db, au_sqlite_migration(i));
    exec_ok(db, "PRAGMA user_version = 8");
    sqlite3_stmt *rec = NULL, *ver = NULL;
    cr_assert_eq(
        sqlite3_prepare_v2(db,
                           "INSERT INTO records(source, record_id, version, hash, deleted) "
                           "VALUES ('crm', ?1, ?2, ?3, ?4) ON CONFLICT(source, record_id) "
                           "DO UPDATE SET version = ?2, hash = ?3, deleted = ?4",
                           -1, &rec, NULL),
        SQLITE_OK);
    cr_assert_eq(
        sqlite3_prepare_v2(db,
                           "INSERT INTO record_versions(rec, version, doc, hash, origin, "
                           "at_ms, deleted) SELECT id, ?2, ?3, ?4, ?5, ?6, ?7 FROM records "
                           "WHERE source = 'crm' AND record_id = ?1",
                           -1, &ver, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < OLD_N; i++) {
        int64_t hash = old_rows[i].doc ? 1000 + (int64_t)i : 0;
        sqlite3_bind_text(rec, 1, old_rows[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int(rec, 2, old_rows[i].version);
        sqlite3_bind_int64(rec, 3, hash);
        sqlite3_bind_int(rec, 4, !old_rows[i].doc);
        cr_assert_eq(sqlite3_step(rec), SQLITE_DONE);
        sqlite3_reset(rec);
        sqlite3_bind_text(ver, 1, old_rows[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int(ver, 2, old_rows[i].version);
        sqlite3_bind_text(ver, 3, old_rows[i].doc, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ver, 4, hash);
        sqlite3_bind_text(ver, 5, old_rows[i].origin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ver, 6, 5000 + (int64_t)i);
        sqlite3_bind_int(ver, 7, !old_rows[i].doc);
        cr_assert_eq(sqlite3_step(ver), SQLITE_DONE);
        sqlite3_reset(ver);
    }
    sqlite3_finalize(rec);
    sqlite3_finalize(ver);
    exec_ok(db, "COMMIT");
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* Every old version, read back through the store after the migration. */
static void check_versions(au_store *s)
{
    for (size_t i = 0; i < OLD_N; i++) {
        au_record_out out = {0};
        cr_assert_eq(au_store_record_get(s, "crm", old_rows[i].id, old_rows[i].version, &out),
                     AU_OK, "%s v%d", old_rows[i].id, old_rows[i].version);
        if (old_rows[i].doc)
            cr_assert_str_eq(out.doc, old_rows[i].doc);
        else
            cr_assert_null(out.doc);
        cr_assert_str_eq(out.origin, old_rows[i].origin);
        cr_assert_eq(out.hash, old_rows[i].doc ? 1000 + i : 0);
        cr_assert_eq(out.at_ms, 5000 + (int64_t)i);
        cr_assert_eq(out.deleted, !old_rows[i].doc);
        au_record_out_cleanup(&out);
    }
}

static int count_cb(void *ctx, const au_record_out *r)
{
    (*(int *)ctx)++;
    return 0;
}

TestSuite(store_layout_mig, .init = mig_setup, .fini = mig_teardown);

Test(store_layout_mig, a_schema8_store_is_converted_and_reads_back_whole)
{
    write_schema8_store();
    cr_assert(au_test_file_holds(dbfile, "Quartermaine"));
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RW, &s, &err), AU_OK, "%s", err.message);
    check_versions(s);
    int n = 0;
    cr_assert_eq(au_store_record_history(s, "crm", "r1", count_cb, &n), AU_OK);
    cr_assert_eq(n, 2);
    n = 0;
    cr_assert_eq(au_store_record_scan(s, count_cb, &n), AU_OK);
    cr_assert_eq(n, 2, "r1 and r3 are live, r2 is deleted");
    /* written after the migration: a new origin, then read back beside the old ones */
    au_record_row row = {"crm", "r4",      "{\"attrs\":{},\"custom\":{},\"input\":{}}",
                         77,    "cli:new", 9000};
    au_put_outcome o;
    int64_t v = 0;
    cr_assert_eq(au_store_record_put(s, &row, &o, &v), AU_OK);
    au_record_out out = {0};
    cr_assert_eq(au_store_record_get(s, "crm", "r4", 0, &out), AU_OK);
    cr_assert_str_eq(out.origin, "cli:new");
    cr_assert_str_eq(out.doc, row.doc);
    au_record_out_cleanup(&out);
    au_store_close(s);

    /* the compatibility view answers SQL on a connection with the functions */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open(dbfile, &db), SQLITE_OK);
    cr_assert_eq(au_sqlite_doc_register(db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT doc, origin, (SELECT user_version FROM "
                                    "pragma_user_version) FROM record_versions "
                                    "WHERE rec = 1 AND version = 1",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), doc_a);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "import:people.csv");
    cr_assert_eq(sqlite3_column_int(st, 2), au_sqlite_schema_version());
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* the old plain-text rows are zeroed (secure_delete), the packed ones hold the values */
    FILE *f = fopen(dbfile, "rb");
    cr_assert_not_null(f);
    static unsigned char buf[1 << 20];
    size_t got = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cr_assert_lt(got, sizeof(buf));
    cr_assert_null(memmem(buf, got, "Quartermaine", 12), "plain text left in the file");
    cr_assert_null(memmem(buf, got, "Wolfram", 7), "plain text left in the file");
    cr_assert(au_test_bytes_hold(buf, got, "Quartermaine"), "the packed document is there");
    au_err_cleanup(&err);
}
