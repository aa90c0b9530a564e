/*
 * Internals shared by the SQLite back-end files (store_sqlite.c, schema_sqlite.c): the ordered
 * migration steps, and the back-end's method table registered in store.c.
 */
#ifndef AU_STORE_SQLITE_INT_H
#define AU_STORE_SQLITE_INT_H

#include "store/store.h"

/* Number of migration steps = the user_version of an up-to-date database. */
int au_sqlite_schema_version(void);
/* SQL of step i (0-based: brings user_version i to i + 1), NULL when out of range. */
const char *au_sqlite_migration(int i);

extern const au_store_ops au_store_sqlite_ops;

/* For the back-end's other files (store_sqlite_<area>.c), which get the same `impl` handle. */
struct sqlite3;
struct sqlite3_stmt;
/* The connection of a handle. */
struct sqlite3 *au_sqlite_db(void *impl);
/* Logs SQLite's message for `op` and maps the SQLite code onto an au_rc. */
au_rc au_sqlite_fail(void *impl, int src, const char *op);
/* A prepared statement for `sql`, cached per handle by the address of `sql` (which must be a
 * static string); reset it after use. NULL (logged) when it cannot be prepared. */
struct sqlite3_stmt *au_sqlite_stmt(void *impl, const char *sql);

/* --- flows (store_sqlite_flows.c), listed in au_store_sqlite_ops by AU_SQLITE_FLOW_OPS ---- */
au_rc au_sqlite_flow_put(void *impl, const char *name, const char *definition, int64_t at_ms);
au_rc au_sqlite_flow_delete(void *impl, const char *name);
au_rc au_sqlite_flow_list(void *impl, au_flow_cb cb, void *ctx);
au_rc au_sqlite_outbox_add(void *impl, const au_outbox_row *row, int *added);
au_rc au_sqlite_outbox_pending(void *impl, int limit, au_outbox_cb cb, void *ctx);
au_rc au_sqlite_outbox_set(void *impl, int64_t id, int status, int attempts, int64_t next_ms,
                           const char *last_error);
au_rc au_sqlite_run_add(void *impl, const au_run_row *row, int64_t *id);
au_rc au_sqlite_run_step(void *impl, int64_t run_id, const char *step_id, const char *summary,
                         int done, int failed, int attempts, int64_t at_ms);
au_rc au_sqlite_run_list(void *impl, const char *flow, int64_t before, int limit, au_run_cb cb,
                         void *ctx);
au_rc au_sqlite_dead_add(void *impl, const au_dead_row *row, int64_t *id);
au_rc au_sqlite_dead_list(void *impl, const char *flow, int open_only, int limit, au_dead_cb cb,
                          void *ctx);
au_rc au_sqlite_dead_replay(void *impl, int64_t id, int64_t at_ms);

#define AU_SQLITE_FLOW_OPS                                                                         \
    .flow_put = au_sqlite_flow_put, .flow_delete = au_sqlite_flow_delete,                          \
    .flow_list = au_sqlite_flow_list, .outbox_add = au_sqlite_outbox_add,                          \
    .outbox_pending = au_sqlite_outbox_pending, .outbox_set = au_sqlite_outbox_set,                \
    .run_add = au_sqlite_run_add, .run_step = au_sqlite_run_step, .run_list = au_sqlite_run_list,  \
    .dead_add = au_sqlite_dead_add, .dead_list = au_sqlite_dead_list,                              \
    .dead_replay = au_sqlite_dead_replay,

#endif
