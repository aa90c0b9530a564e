/*
 * The embedded SQLite back-end: one database file in WAL mode with synchronous=FULL, so a COMMIT
 * that returned is in the fsynced WAL and survives kill -9 or power loss. Every statement is
 * prepared once per handle (lazily, on first use) and cached, because the import path runs the
 * same three statements a million times. SQLite errors are logged with SQLite's own message and
 * reported as AU_ERR_STORE (constraint violations as AU_ERR_CONFLICT, lock timeouts as
 * AU_ERR_BUSY); nothing here aborts.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/log.h"
#include "store/store_sqlite_int.h"

/* X(statement id, SQL). Columns read back are listed in the same order as the readers use. */
#define SQ_STMT_LIST(X)                                                                            \
    X(BEGIN_RW, "BEGIN IMMEDIATE")                                                                 \
    X(BEGIN_RO, "BEGIN")                                                                           \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(SAVEPOINT, "SAVEPOINT au_job")                                                               \
    X(RELEASE, "RELEASE au_job")                                                                   \
    X(ROLLBACK_TO, "ROLLBACK TO au_job")                                                           \
    X(SOURCE_PUT, "INSERT INTO sources(name, definition, updated_ms) VALUES (?1, ?2, ?3) "         \
                  "ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, "             \
                  "updated_ms = excluded.updated_ms")                                              \
    X(SOURCE_GET, "SELECT definition FROM sources WHERE name = ?1")                                \
    X(SOURCE_LIST, "SELECT name, definition FROM sources ORDER BY name")                           \
    X(REC_CURRENT, "SELECT id, version, hash, deleted FROM records "                               \
                   "WHERE source = ?1 AND record_id = ?2")                                         \
    X(REC_INSERT, "INSERT INTO records(source, record_id, version, hash, deleted) "                \
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(source, record_id) DO NOTHING")         \
    X(REC_UPDATE, "UPDATE records SET version = ?2, hash = ?3, deleted = ?4 WHERE id = ?1")        \
    X(VER_INSERT, "INSERT INTO versions(rec, version, doc, hash, origin, at_ms, deleted) "         \
                  "VALUES (?1, ?2, au_doc_pack(?3), ?4, "                                          \
                  "(SELECT id FROM origins WHERE name = ?5), ?6, ?7)")                             \
    X(ORIGIN_ADD, "INSERT INTO origins(name) VALUES (?1) ON CONFLICT(name) DO NOTHING")            \
    X(REC_GET_CURRENT, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, "        \
                       "v.at_ms, v.deleted FROM records r JOIN record_versions v "                 \
                       "ON v.rec = r.id AND v.version = r.version "                                \
                       "WHERE r.source = ?1 AND r.record_id = ?2")                                 \
    X(REC_GET_VERSION, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, "        \
                       "v.at_ms, v.deleted FROM records r JOIN record_versions v "                 \
                       "ON v.rec = r.id AND v.version = ?3 "                                       \
                       "WHERE r.source = ?1 AND r.record_id = ?2")                                 \
    X(REC_HISTORY, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, "            \
                   "v.at_ms, v.deleted FROM records r JOIN record_versions v ON v.rec = r.id "     \
                   "WHERE r.source = ?1 AND r.record_id = ?2 ORDER BY v.version")                  \
    X(REC_SCAN, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, "               \
                "v.at_ms, v.deleted FROM records r JOIN record_versions v "                        \
                "ON v.rec = r.id AND v.version = r.version WHERE r.deleted = 0 ORDER BY r.id")     \
    X(REC_COUNT_ALL, "SELECT count(*) FROM records WHERE deleted = 0")                             \
    X(REC_COUNT_SOURCE, "SELECT count(*) FROM records WHERE source = ?1 AND deleted = 0")          \
    X(EV_PUT, "INSERT INTO events(source, event_id, type, at_ms, received_ms, customer, "          \
              "properties, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "                       \
              "ON CONFLICT(source, event_id) DO NOTHING")                                          \
    X(EV_GET, "SELECT source, event_id, type, customer, properties, origin, at_ms, received_ms, "  \
              "seq FROM events WHERE source = ?1 AND event_id = ?2")                               \
    X(KEY_PUT, "INSERT INTO api_keys(id, hash, scopes, name, created_ms) "                         \
               "VALUES (?1, ?2, ?3, ?4, ?5)")                                                      \
    X(KEY_FIND, "SELECT id, scopes, name, created_ms, revoked_ms FROM api_keys WHERE hash = ?1")   \
    X(KEY_LIST, "SELECT id, scopes, name, created_ms, revoked_ms FROM api_keys "                   \
                "ORDER BY created_ms, id")                                                         \
    X(KEY_REVOKE, "UPDATE api_keys SET revoked_ms = CASE WHEN revoked_ms = 0 THEN ?2 "             \
                  "ELSE revoked_ms END WHERE id = ?1")

typedef enum {
#define SQ_STMT_ENUM(id, sql) SQ_##id,
    SQ_STMT_LIST(SQ_STMT_ENUM)
#undef SQ_STMT_ENUM
        SQ_COUNT
} sq_stmt;

static const char *const stmt_sql[SQ_COUNT] = {
#define SQ_STMT_SQL(id, sql) sql,
    SQ_STMT_LIST(SQ_STMT_SQL)
#undef SQ_STMT_SQL
};

typedef struct sq_store {
    sqlite3 *db;                        /* the connection, owned */
    au_store_mode mode;                 /* RW or RO */
    sqlite3_stmt *stmt[SQ_COUNT];       /* prepared on first use, finalised at close */
    sqlite3_stmt *ext[AU_SQLITE_EXT_N]; /* statements of the other back-end files, same rule */
    int64_t last_rec;                   /* records.id last written by record_put/_delete */
    au_sqlite_ckpt *ckpt;               /* RW: the WAL checkpointer thread, owned (may be NULL) */
} sq_store;

/* Logs SQLite's message for `op` and maps the SQLite code onto an au_rc. */
static au_rc sq_fail(sq_store *q, int src, const char *op)
{
    char code[16];
    snprintf(code, sizeof(code), "%d", src);
    au_log(AU_LOG_ERROR, "sqlite error", "op", op, "code", code, "error", sqlite3_errmsg(q->db),
           NULL);
    switch (src & 0xff) {
    case SQLITE_CONSTRAINT:
        return AU_ERR_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AU_ERR_BUSY;
    case SQLITE_NOMEM:
        return AU_ERR_NOMEM;
    default:
        return AU_ERR_STORE;
    }
}

/* The cached statement `id`, reset and unbound, or NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *sq_stmt_get(sq_store *q, sq_stmt id)
{
    sqlite3_stmt *st = q->stmt[id];
    if (st)
        return st;
    int src = sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (src != SQLITE_OK) {
        sq_fail(q, src, stmt_sql[id]);
        return NULL;
    }
    q->stmt[id] = st;
    return st;
}

/* Resets a statement after use so it holds no read lock. Bindings are not cleared: every use
 * binds every parameter, and bound strings are SQLITE_STATIC, only read during the step. */
static void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
}

/* Runs a statement that returns no rows. */
static au_rc sq_exec_stmt(sq_store *q, sq_stmt id)
{
    sqlite3_stmt *st = sq_stmt_get(q, id);
    if (!st)
        return AU_ERR_STORE;
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE || src == SQLITE_ROW ? AU_OK : sq_fail(q, src, stmt_sql[id]);
    sq_done(st);
    return rc;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

char *au_sqlite_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? au_strdup((const char *)s) : NULL;
}

/* ---- open / close / migrations ----------------------------------------------------------- */

/* mkdir -p with mode 0700 (the store holds personal data). */
static int make_dirs(const char *path)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s", path);
    if (n <= 0 || (size_t)n >= sizeof(tmp))
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* A location naming a file (*.db) is used as is; anything else is a directory that holds
 * aurum.db. Read-write opens create the directory. Returns a new string (au_free). */
static char *db_path(const char *location, au_store_mode mode, au_err *err)
{
    size_t n = strlen(location);
    int is_file = n > 3 && strcmp(location + n - 3, ".db") == 0;
    char *dir = au_strdup(location);
    char *path = NULL;

    if (!dir)
        goto out;
    if (is_file) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            dir[0] = '\0';
    }
    if (mode == AU_STORE_RW && dir[0] && make_dirs(dir) != 0) {
        au_err_set(err, AU_ERR_IO, "cannot create store directory '%s': %s", dir, strerror(errno));
        goto out;
    }
    path = is_file ? au_strdup(location) : au_asprintf("%s/aurum.db", location);
    if (!path)
        au_err_set(err, AU_ERR_NOMEM, "out of memory opening the store");
out:
    au_free(dir);
    return path;
}

static au_rc exec_sql(sq_store *q, const char *sql, au_err *err)
{
    char *msg = NULL;
    int src = sqlite3_exec(q->db, sql, NULL, NULL, &msg);
    au_rc rc = AU_OK;
    if (src != SQLITE_OK) {
        au_log(AU_LOG_ERROR, "sqlite error", "op", sql, "error", msg ? msg : "?", NULL);
        rc = au_err_set(err, AU_ERR_STORE, "store: %s", msg ? msg : sqlite3_errstr(src));
    }
    sqlite3_free(msg);
    return rc;
}

static au_rc user_version(sq_store *q, int *v, au_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (src != SQLITE_ROW)
        return au_err_set(err, sq_fail(q, src, "PRAGMA user_version"),
                          "store: cannot read the schema version: %s", sqlite3_errmsg(q->db));
    return AU_OK;
}

/* Applies the missing migration steps in one transaction; running it again is a no-op. */
static au_rc migrate(sq_store *q, au_err *err)
{
    int have = 0, want = au_sqlite_schema_version();
    char sql[64];
    au_rc rc = exec_sql(q, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = user_version(q, &have, err);
    if (rc)
        goto out;
    if (have > want) {
        rc = au_err_set(err, AU_ERR_STORE, "store schema version %d is newer than this aurum (%d)",
                        have, want);
        goto out;
    }
    for (int i = have; i < want && !rc; i++)
        rc = exec_sql(q, au_sqlite_migration(i), err);
    if (rc)
        goto out;
    if (have != want) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
        rc = exec_sql(q, sql, err);
        if (rc)
            goto out;
        au_log(AU_LOG_INFO, "store migrated", "from", have ? "existing" : "empty", NULL);
    }
    rc = exec_sql(q, "COMMIT", err);
out:
    if (rc)
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Readers never migrate: they need the writer to have brought the schema up to date. */
static au_rc check_version(sq_store *q, au_err *err)
{
    int have = 0;
    au_rc rc = user_version(q, &have, err);
    if (!rc && have != au_sqlite_schema_version())
        rc = au_err_set(err, AU_ERR_STORE, "store schema version %d, expected %d", have,
                        au_sqlite_schema_version());
    return rc;
}

/* 8 KiB pages measured fastest for a bulk load of ~600-byte documents (fewer WAL frames than
 * 4 KiB, less rewritten per touched index page than 16 KiB); it only applies to a new file.
 * WAL lets readers run beside the writer; synchronous=FULL makes every COMMIT durable; the
 * autocheckpoint only applies while the checkpointer thread (store_sqlite_ckpt.c) is not running,
 * and the size limit gives the disk back once a bulk load's WAL has been checkpointed. The
 * writer's 192 MB page cache (allocated as used) holds the randomly written indexes of a 1 M-record
 * store (identifiers, record ids): with 64 MB a 1 M import spent ~9 % more CPU re-reading their
 * pages through read() (1 M import: 50.9 -> 46.3 CPU s, peak RSS 735 -> 863 MB). */
static const char pragmas_rw[] = "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;"
                                 "PRAGMA synchronous = FULL;"
                                 "PRAGMA foreign_keys = ON;"
                                 "PRAGMA cache_size = -196608;"
                                 "PRAGMA mmap_size = 268435456;"
                                 "PRAGMA temp_store = MEMORY;"
                                 "PRAGMA wal_autocheckpoint = 10000;"
                                 "PRAGMA journal_size_limit = 67108864;"
                                 "PRAGMA secure_delete = ON;";
/* Readers do not memory-map the file. SQLite unmaps a connection's whole map whenever a read
 * transaction begins after another connection committed (pagerBeginReadTransaction), so while
 * records are written every profile read paid a munmap and then a page fault for each page it
 * touched, which on this machine's virtualised CPU cost more than the read() they replace:
 * bench/read_write.sh on a 200 k store (perf: a quarter of the daemon's samples were those faults
 * and munmaps) went from 170-290 to 100-140 us of daemon CPU per read, alone and beside writes. */
static const char pragmas_ro[] = "PRAGMA cache_size = -16384;"
                                 "PRAGMA mmap_size = 0;"
                                 "PRAGMA temp_store = MEMORY;";

static void sq_close(void *impl)
{
    sq_store *q = impl;
    if (!q)
        return;
    au_sqlite_ckpt_stop(q->ckpt, q->db);
    for (int i = 0; i < SQ_COUNT; i++)
        sqlite3_finalize(q->stmt[i]);
    for (int i = 0; i < AU_SQLITE_EXT_N; i++)
        sqlite3_finalize(q->ext[i]);
    sqlite3_close_v2(q->db);
    au_free(q);
}

static au_rc sq_open(const char *location, au_store_mode mode, void **impl, au_err *err)
{
    sq_store *q = NULL;
    char *path = db_path(location, mode, err);
    au_rc rc = AU_OK;
    int flags =
        SQLITE_OPEN_NOMUTEX |
        (mode == AU_STORE_RO ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

    *impl = NULL;
    if (!path) {
        rc = err && err->rc ? err->rc : AU_ERR_NOMEM;
        goto out;
    }
    q = au_calloc(1, sizeof(*q));
    if (!q) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory opening the store");
        goto out;
    }
    q->mode = mode;
    /* A read-only open never creates: say plainly that there is nothing there (a mistyped
     * --data is the usual cause) instead of SQLite's "unable to open database file". */
    if (mode == AU_STORE_RO && access(path, F_OK) != 0 && errno == ENOENT) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND,
                        "no store at '%s': %s does not exist (check --data or data_dir; "
                        "'aurum serve' and 'aurum import' create a store)",
                        location, path);
        goto out;
    }
    /* Personal data: the file is made (or made again) 0600 before SQLite opens it, and SQLite
     * gives its -wal and -shm files the database file's mode. */
    if (mode != AU_STORE_RO && path[0] != ':') {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (fchmod(fd, 0600) != 0)
                au_log(AU_LOG_WARN, "cannot make the store file 0600", "path", path, NULL);
            close(fd);
        }
    }
    int src = sqlite3_open_v2(path, &q->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = au_err_set(err, AU_ERR_STORE, "cannot open store '%s': %s", path,
                        q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, 5000);
    /* before the migration, which packs the documents of a store older than step 9 */
    src = au_sqlite_doc_register(q->db);
    if (src != SQLITE_OK) {
        rc = au_err_set(err, AU_ERR_NOMEM, "cannot open store '%s': %s", path, sqlite3_errstr(src));
        goto out;
    }
    rc = exec_sql(q, mode == AU_STORE_RO ? pragmas_ro : pragmas_rw, err);
    if (rc)
        goto out;
    rc = mode == AU_STORE_RO ? check_version(q, err) : migrate(q, err);
    if (rc)
        goto out;
    if (mode == AU_STORE_RW)
        q->ckpt = au_sqlite_ckpt_start(q->db);
    *impl = q;
    q = NULL;
out:
    sq_close(q);
    au_free(path);
    return rc;
}

/* ---- transactions ------------------------------------------------------------------------ */

static au_rc sq_begin(void *impl)
{
    sq_store *q = impl;
    return sq_exec_stmt(q, q->mode == AU_STORE_RO ? SQ_BEGIN_RO : SQ_BEGIN_RW);
}

static au_rc sq_commit(void *impl)
{
    return sq_exec_stmt(impl, SQ_COMMIT);
}

static au_rc sq_rollback(void *impl)
{
    return sq_exec_stmt(impl, SQ_ROLLBACK);
}

static au_rc sq_savepoint(void *impl)
{
    return sq_exec_stmt(impl, SQ_SAVEPOINT);
}

static au_rc sq_savepoint_release(void *impl)
{
    return sq_exec_stmt(impl, SQ_RELEASE);
}

static au_rc sq_savepoint_rollback(void *impl)
{
    au_rc rc = sq_exec_stmt(impl, SQ_ROLLBACK_TO);
    if (!rc)
        rc = sq_exec_stmt(impl, SQ_RELEASE);
    return rc;
}

/* ---- sources ----------------------------------------------------------------------------- */

static au_rc sq_source_put(void *impl, const char *name, const char *def_json, int64_t at_ms)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_SOURCE_PUT);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, name);
    bind_text(st, 2, def_json);
    sqlite3_bind_int64(st, 3, at_ms);
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "source_put");
    sq_done(st);
    return rc;
}

static au_rc sq_source_get(void *impl, const char *name, char **def_json)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_SOURCE_GET);
    au_rc rc = AU_OK;
    *def_json = NULL;
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, name);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *def_json = au_sqlite_col_dup(st, 0);
        if (!*def_json)
            rc = AU_ERR_NOMEM;
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(q, src, "source_get");
    }
    sq_done(st);
    return rc;
}

static au_rc sq_source_list(void *impl, au_source_cb cb, void *ctx)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_SOURCE_LIST);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int stop = cb(ctx, (const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1));
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_fail(q, src, "source_list");
    sq_done(st);
    return rc;
}

/* ---- records ----------------------------------------------------------------------------- */

typedef struct cur_state {
    int64_t id, version;
    uint64_t hash;
    int deleted;
} cur_state;

/* The current-state row of a record; AU_ERR_NOT_FOUND when the key was never written. */
static au_rc current(sq_store *q, const char *source, const char *record_id, cur_state *c)
{
    sqlite3_stmt *st = sq_stmt_get(q, SQ_REC_CURRENT);
    au_rc rc = AU_OK;
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, source);
    bind_text(st, 2, record_id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        c->id = sqlite3_column_int64(st, 0);
        c->version = sqlite3_column_int64(st, 1);
        c->hash = (uint64_t)sqlite3_column_int64(st, 2);
        c->deleted = sqlite3_column_int(st, 3);
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(q, src, "record_current");
    }
    sq_done(st);
    return rc;
}

/* Updates the current-state row of an existing record to (version, hash, deleted). */
static au_rc update_current(sq_store *q, const cur_state *c)
{
    sqlite3_stmt *st = sq_stmt_get(q, SQ_REC_UPDATE);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->version);
    sqlite3_bind_int64(st, 3, (int64_t)c->hash);
    sqlite3_bind_int(st, 4, c->deleted);
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "record_update");
    sq_done(st);
    return rc;
}

/* Creates the current-state row (version 1) if the key is new: *created is 0 when it already
 * existed. Trying the insert first makes a fresh key cost one statement, not a lookup plus an
 * insert; that is the common case of a bulk load. */
static au_rc insert_current(sq_store *q, const au_record_row *row, cur_state *c, int *created)
{
    sqlite3_stmt *st = sq_stmt_get(q, SQ_REC_INSERT);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, row->source);
    bind_text(st, 2, row->record_id);
    sqlite3_bind_int64(st, 3, 1);
    sqlite3_bind_int64(st, 4, (int64_t)row->hash);
    sqlite3_bind_int(st, 5, 0);
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "record_insert");
    *created = !rc && sqlite3_changes(q->db) > 0;
    if (*created) {
        c->id = sqlite3_last_insert_rowid(q->db);
        c->version = 1;
        c->hash = row->hash;
        c->deleted = 0;
    }
    sq_done(st);
    return rc;
}

/* Adds `origin` to the origins table (nothing when it is there). */
static au_rc add_origin(sq_store *q, const char *origin)
{
    sqlite3_stmt *st = sq_stmt_get(q, SQ_ORIGIN_ADD);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, origin);
    int src = sqlite3_step(st);
    sq_done(st);
    return src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "origin_add");
}

/* Inserts the version row. The origin's number is looked up inside the insert; an origin not
 * seen yet makes it fail on versions.origin NOT NULL (only that statement is undone), and it
 * is added and the insert retried. No cache of origin numbers: one would have to follow every
 * rollback that can remove a just-added origin. */
static au_rc add_version(sq_store *q, const cur_state *c, const char *doc, const char *origin,
                         int64_t at_ms)
{
    sqlite3_stmt *st = sq_stmt_get(q, SQ_VER_INSERT);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->version);
    bind_text(st, 3, doc);
    sqlite3_bind_int64(st, 4, (int64_t)c->hash);
    bind_text(st, 5, origin ? origin : "");
    sqlite3_bind_int64(st, 6, at_ms);
    sqlite3_bind_int(st, 7, c->deleted);
    int src = sqlite3_step(st);
    sq_done(st);
    if (src == SQLITE_CONSTRAINT_NOTNULL) {
        au_rc rc = add_origin(q, origin ? origin : "");
        if (rc)
            return rc;
        src = sqlite3_step(st);
        sq_done(st);
    }
    return src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "record_add_version");
}

static au_rc sq_record_put(void *impl, const au_record_row *row, au_put_outcome *outcome,
                           int64_t *version)
{
    sq_store *q = impl;
    cur_state c = {0};
    int created = 0;
    au_rc rc = insert_current(q, row, &c, &created);

    if (rc)
        return rc;
    if (created) {
        *outcome = AU_PUT_INSERTED;
    } else {
        rc = current(q, row->source, row->record_id, &c);
        if (rc)
            return rc;
        if (!c.deleted && c.hash == row->hash) {
            q->last_rec = c.id;
            *outcome = AU_PUT_UNCHANGED;
            if (version)
                *version = c.version;
            return AU_OK;
        }
        *outcome = c.deleted ? AU_PUT_INSERTED : AU_PUT_UPDATED;
        c.version++;
        c.hash = row->hash;
        c.deleted = 0;
        rc = update_current(q, &c);
    }
    q->last_rec = c.id;
    if (!rc)
        rc = add_version(q, &c, row->doc, row->origin, row->at_ms);
    if (!rc && version)
        *version = c.version;
    return rc;
}

static au_rc sq_record_delete(void *impl, const char *source, const char *record_id,
                              const char *origin, int64_t at_ms)
{
    sq_store *q = impl;
    cur_state c = {0};
    au_rc rc = current(q, source, record_id, &c);
    if (rc)
        return rc;
    if (c.deleted)
        return AU_ERR_NOT_FOUND;
    c.version++;
    c.hash = 0;
    c.deleted = 1;
    q->last_rec = c.id;
    rc = update_current(q, &c);
    if (!rc)
        rc = add_version(q, &c, NULL, origin, at_ms);
    return rc;
}

/* Points `r` at the columns of the current row (valid until the next step): no copies, so a
 * start-up scan of a million records does not duplicate every document. */
static void record_borrow(sqlite3_stmt *st, au_record_out *r)
{
    r->source = (char *)sqlite3_column_text(st, 0);
    r->record_id = (char *)sqlite3_column_text(st, 1);
    r->version = sqlite3_column_int64(st, 2);
    r->doc = (char *)sqlite3_column_text(st, 3);
    r->hash = (uint64_t)sqlite3_column_int64(st, 4);
    r->origin = (char *)sqlite3_column_text(st, 5);
    r->at_ms = sqlite3_column_int64(st, 6);
    r->deleted = sqlite3_column_int(st, 7);
}

static au_rc sq_record_get(void *impl, const char *source, const char *record_id, int64_t version,
                           au_record_out *out)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, version ? SQ_REC_GET_VERSION : SQ_REC_GET_CURRENT);
    au_rc rc = AU_OK;
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, source);
    bind_text(st, 2, record_id);
    if (version)
        sqlite3_bind_int64(st, 3, version);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        au_record_out b;
        record_borrow(st, &b);
        *out = b;
        out->source = au_strdup(b.source);
        out->record_id = au_strdup(b.record_id);
        out->doc = b.doc ? au_strdup(b.doc) : NULL;
        out->origin = au_strdup(b.origin);
        if (!out->source || !out->record_id || !out->origin || (b.doc && !out->doc)) {
            au_record_out_cleanup(out);
            rc = AU_ERR_NOMEM;
        }
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(q, src, "record_get");
    }
    sq_done(st);
    return rc;
}

/* Runs a record query whose rows are passed borrowed to cb. */
static au_rc record_iterate(sq_store *q, sqlite3_stmt *st, au_record_cb cb, void *ctx,
                            const char *op)
{
    au_rc rc = AU_OK;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_record_out r;
        record_borrow(st, &r);
        int stop = cb(ctx, &r);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_fail(q, src, op);
    sq_done(st);
    return rc;
}

static au_rc sq_record_history(void *impl, const char *source, const char *record_id,
                               au_record_cb cb, void *ctx)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_REC_HISTORY);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, source);
    bind_text(st, 2, record_id);
    return record_iterate(q, st, cb, ctx, "record_history");
}

static au_rc sq_record_scan(void *impl, au_record_cb cb, void *ctx)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_REC_SCAN);
    if (!st)
        return AU_ERR_STORE;
    return record_iterate(q, st, cb, ctx, "record_scan");
}

static au_rc sq_record_count(void *impl, const char *source, int64_t *count)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, source ? SQ_REC_COUNT_SOURCE : SQ_REC_COUNT_ALL);
    au_rc rc = AU_OK;
    *count = 0;
    if (!st)
        return AU_ERR_STORE;
    if (source)
        bind_text(st, 1, source);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    else
        rc = sq_fail(q, src, "record_count");
    sq_done(st);
    return rc;
}

/* ---- events ------------------------------------------------------------------------------ */

static au_rc sq_event_put(void *impl, const au_event_row *ev, au_put_outcome *outcome)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_EV_PUT);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, ev->source);
    bind_text(st, 2, ev->event_id);
    bind_text(st, 3, ev->type);
    sqlite3_bind_int64(st, 4, ev->at_ms);
    sqlite3_bind_int64(st, 5, ev->received_ms);
    bind_text(st, 6, ev->customer);
    bind_text(st, 7, ev->properties);
    bind_text(st, 8, ev->origin ? ev->origin : "");
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "event_put");
    if (!rc)
        *outcome = sqlite3_changes(q->db) ? AU_PUT_INSERTED : AU_PUT_UNCHANGED;
    sq_done(st);
    return rc;
}

au_rc au_sqlite_event_row(void *impl, sqlite3_stmt *st, au_event_out *out, const char *op)
{
    au_rc rc = AU_OK;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->source = au_sqlite_col_dup(st, 0);
        out->event_id = au_sqlite_col_dup(st, 1);
        out->type = au_sqlite_col_dup(st, 2);
        out->customer = au_sqlite_col_dup(st, 3);
        out->properties = au_sqlite_col_dup(st, 4);
        out->origin = au_sqlite_col_dup(st, 5);
        out->at_ms = sqlite3_column_int64(st, 6);
        out->received_ms = sqlite3_column_int64(st, 7);
        out->seq = sqlite3_column_int64(st, 8);
        if (!out->source || !out->event_id || !out->type || !out->origin) {
            au_event_out_cleanup(out);
            rc = AU_ERR_NOMEM;
        }
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(impl, src, op);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static au_rc sq_event_get(void *impl, const char *source, const char *event_id, au_event_out *out)
{
    sqlite3_stmt *st = sq_stmt_get(impl, SQ_EV_GET);
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, source);
    bind_text(st, 2, event_id);
    return au_sqlite_event_row(impl, st, out, "event_get");
}

/* ---- API keys ---------------------------------------------------------------------------- */

static au_rc sq_key_put(void *impl, const au_key_row *key)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_KEY_PUT);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, key->id);
    sqlite3_bind_blob(st, 2, key->hash, 32, SQLITE_STATIC);
    bind_text(st, 3, key->scopes ? key->scopes : "[]");
    bind_text(st, 4, key->name);
    sqlite3_bind_int64(st, 5, key->created_ms);
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "key_put");
    sq_done(st);
    return rc;
}

static au_rc key_read(sqlite3_stmt *st, au_key_out *k)
{
    k->id = au_sqlite_col_dup(st, 0);
    k->scopes = au_sqlite_col_dup(st, 1);
    k->name = au_sqlite_col_dup(st, 2);
    k->created_ms = sqlite3_column_int64(st, 3);
    k->revoked_ms = sqlite3_column_int64(st, 4);
    if (!k->id || !k->scopes || (sqlite3_column_type(st, 2) != SQLITE_NULL && !k->name)) {
        au_key_out_cleanup(k);
        return AU_ERR_NOMEM;
    }
    return AU_OK;
}

static au_rc sq_key_find(void *impl, const uint8_t hash[32], au_key_out *out)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_KEY_FIND);
    au_rc rc;
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        rc = key_read(st, out);
    else
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(q, src, "key_find");
    sq_done(st);
    return rc;
}

static au_rc sq_key_list(void *impl, au_key_cb cb, void *ctx)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_KEY_LIST);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_key_out k = {0};
        rc = key_read(st, &k);
        if (rc)
            break;
        int stop = cb(ctx, &k);
        au_key_out_cleanup(&k);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_fail(q, src, "key_list");
    sq_done(st);
    return rc;
}

/* Revoking twice keeps the first revocation time; an unknown id is AU_ERR_NOT_FOUND. */
static au_rc sq_key_revoke(void *impl, const char *id, int64_t at_ms)
{
    sq_store *q = impl;
    sqlite3_stmt *st = sq_stmt_get(q, SQ_KEY_REVOKE);
    if (!st)
        return AU_ERR_STORE;
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, at_ms);
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE ? AU_OK : sq_fail(q, src, "key_revoke");
    if (!rc && sqlite3_changes(q->db) == 0)
        rc = AU_ERR_NOT_FOUND;
    sq_done(st);
    return rc;
}

/* ---- shared with the other files of the back-end (store_sqlite_int.h) ------------------- */

sqlite3 *au_sqlite_db(void *impl)
{
    return ((sq_store *)impl)->db;
}

sqlite3_stmt *au_sqlite_stmt(void *impl, int slot, const char *sql)
{
    sq_store *q = impl;
    if (slot < 0 || slot >= AU_SQLITE_EXT_N)
        return NULL;
    if (q->ext[slot])
        return q->ext[slot];
    int src = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->ext[slot], NULL);
    if (src != SQLITE_OK) {
        sq_fail(q, src, sql);
        q->ext[slot] = NULL;
    }
    return q->ext[slot];
}

au_rc au_sqlite_fail(void *impl, int src, const char *op)
{
    return sq_fail(impl, src, op);
}

int au_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

const char *au_sqlite_col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

au_rc au_sqlite_run(void *impl, sqlite3_stmt *st, const char *op)
{
    int src = sqlite3_step(st);
    au_rc rc = src == SQLITE_DONE || src == SQLITE_ROW ? AU_OK : sq_fail(impl, src, op);
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_one_int(void *impl, sqlite3_stmt *st, int64_t *out, const char *op)
{
    int src = sqlite3_step(st);
    au_rc rc = AU_OK;
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : sq_fail(impl, src, op);
    sqlite3_reset(st);
    return rc;
}

int64_t au_sqlite_last_record(void *impl)
{
    return ((sq_store *)impl)->last_rec;
}

/* The flow slots come from a macro, which clang-format cannot lay out. */
/* clang-format off */
static const struct au_store_records_ops sqlite_records = {
    .source_put = sq_source_put,
    .source_get = sq_source_get,
    .source_list = sq_source_list,
    .record_put = sq_record_put,
    .record_delete = sq_record_delete,
    .record_get = sq_record_get,
    .record_history = sq_record_history,
    .record_scan = sq_record_scan,
    .record_count = sq_record_count,
    .event_put = sq_event_put,
    .event_get = sq_event_get,
    .events_unlinked = au_sqlite_events_unlinked,
};

static const struct au_store_keys_ops sqlite_keys = {
    .key_put = sq_key_put,
    .key_find = sq_key_find,
    .key_list = sq_key_list,
    .key_revoke = sq_key_revoke,
};

static const struct au_store_resolution_ops sqlite_resolution = {
    .record_last_no = au_sqlite_record_last_no,
    .record_no = au_sqlite_record_no,
    .record_ref = au_sqlite_record_ref,
    .resolve_scan = au_sqlite_resolve_scan,
    .assign_put = au_sqlite_assign_put,
    .profile_of = au_sqlite_profile_of,
    .profile_members = au_sqlite_profile_members,
    .profile_max = au_sqlite_profile_max,
    .redirect_put = au_sqlite_redirect_put,
    .redirect_get = au_sqlite_redirect_get,
    .override_put = au_sqlite_override_put,
    .override_list = au_sqlite_override_list,
    .review_put = au_sqlite_review_put,
    .review_list = au_sqlite_review_list,
    .model_put = au_sqlite_model_put,
    .model_get = au_sqlite_model_get,
    .change_add = au_sqlite_change_add,
    .changes_after = au_sqlite_changes_after,
    .resolve_lock = au_sqlite_resolve_lock,
    .resolve_changed = au_sqlite_resolve_changed,
    .profile_claim = au_sqlite_profile_claim,
};

static const struct au_store_profiles_ops sqlite_profiles = {
    .record_by_no = au_sqlite_record_by_no,
    .ident_clear = au_sqlite_ident_clear,
    .ident_put = au_sqlite_ident_put,
    .ident_rec_index = au_sqlite_ident_rec_index,
    .ident_find = au_sqlite_ident_find,
    .event_ref_put = au_sqlite_event_ref_put,
    .timeline = au_sqlite_timeline,
    .record_profile = au_sqlite_record_profile,
    .change_last = au_sqlite_change_last,
};

static const struct au_store_flows_ops sqlite_flows = {
    .flow_put = au_sqlite_flow_put,
    .flow_delete = au_sqlite_flow_delete,
    .flow_list = au_sqlite_flow_list,
    .outbox_add = au_sqlite_outbox_add,
    .outbox_pending = au_sqlite_outbox_pending,
    .outbox_set = au_sqlite_outbox_set,
    .outbox_claim = au_sqlite_outbox_claim,
    .outbox_renew = au_sqlite_outbox_renew,
    .outbox_release = au_sqlite_outbox_release,
    .schedule_claim = au_sqlite_schedule_claim,
    .run_add = au_sqlite_run_add,
    .run_step = au_sqlite_run_step,
    .run_list = au_sqlite_run_list,
    .run_counts = au_sqlite_run_counts,
    .dead_add = au_sqlite_dead_add,
    .dead_list = au_sqlite_dead_list,
    .dead_replay = au_sqlite_dead_replay,
    .change_max = au_sqlite_change_max,
    .event_latest = au_sqlite_event_latest,
};

static const struct au_store_quality_ops sqlite_quality = {
    .quality_add = au_sqlite_quality_add,
    .quality_examples = au_sqlite_quality_examples,
    .quality_list = au_sqlite_quality_list,
    .record_ids = au_sqlite_record_ids,
};

static const struct au_store_privacy_ops sqlite_privacy = {
    .subject_purge = au_sqlite_subject_purge,
    .subject_runs = au_sqlite_subject_runs,
    .suppressed = au_sqlite_suppressed,
    .checkpoint = au_sqlite_checkpoint,
    .record_scrub = au_sqlite_record_scrub,
};

static const struct au_store_inbound_ops sqlite_inbound = {
    .inbound_get = au_sqlite_inbound_get,
    .inbound_put = au_sqlite_inbound_put,
    .inbound_file_get = au_sqlite_inbound_file_get,
    .inbound_file_put = au_sqlite_inbound_file_put,
    .inbound_list = au_sqlite_inbound_list,
};

const au_store_ops au_store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .savepoint_release = sq_savepoint_release,
    .savepoint_rollback = sq_savepoint_rollback,
    .records = &sqlite_records,
    .keys = &sqlite_keys,
    .resolution = &sqlite_resolution,
    .profiles = &sqlite_profiles,
    .flows = &sqlite_flows,
    .quality = &sqlite_quality,
    .privacy = &sqlite_privacy,
    .inbound = &sqlite_inbound,
    .audit = &au_sqlite_audit_ops,
    .bus = &au_sqlite_bus_ops,
};
/* clang-format on */
