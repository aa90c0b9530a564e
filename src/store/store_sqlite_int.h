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

/* For the back-end files other than store_sqlite.c (resolution, profiles, flows), which add
 * their own statements to the same connection. Each file owns a range of slots. */
#include <sqlite3.h>
#define AU_SQLITE_EXT_STMTS 96
#define AU_SQLITE_EXT_PROFILES 32 /* profiles use slots 32..63 */
/* The connection of a handle. */
sqlite3 *au_sqlite_db(void *impl);
/* The cached statement in `slot`, prepared from `sql` on first use; NULL (logged) on error.
 * The caller resets it after use (sqlite3_reset). */
sqlite3_stmt *au_sqlite_ext_stmt(void *impl, int slot, const char *sql);
/* Logs SQLite's message for `op` and maps the SQLite code onto an au_rc. */
au_rc au_sqlite_fail(void *impl, int src, const char *op);

/* profiles (store_sqlite_profiles.c): the au_store_ops slots of the same names */
au_rc au_sq_record_no(void *impl, const char *source, const char *record_id, int64_t *no);
au_rc au_sq_record_by_no(void *impl, int64_t no, au_record_out *out);
au_rc au_sq_ident_clear(void *impl, int64_t rec);
au_rc au_sq_ident_put(void *impl, int kind, const char *key, int64_t rec);
au_rc au_sq_ident_find(void *impl, int kind, const char *key, int prefix, int limit,
                       au_ident_cb cb, void *ctx);
au_rc au_sq_event_ref_put(void *impl, const char *ref, const char *source, const char *event_id);
au_rc au_sq_timeline(void *impl, const char *refs_json, int64_t before_seq, const char *type,
                     const char *source, int limit, au_event_cb cb, void *ctx);
au_rc au_sq_change_append(void *impl, int64_t profile, const char *kind, int64_t other,
                          const char *source, const char *record_id, int64_t at_ms);
au_rc au_sq_changes_after(void *impl, int64_t after, int limit, au_change_cb cb, void *ctx);
au_rc au_sq_change_last(void *impl, int64_t *seq);
au_rc au_sq_profile_members(void *impl, int64_t profile, au_ident_cb cb, void *ctx);
au_rc au_sq_record_profile(void *impl, int64_t rec, int64_t *profile);
au_rc au_sq_profile_redirect(void *impl, int64_t profile, int64_t *into);

#endif
