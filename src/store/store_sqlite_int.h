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
/* The bus domain table (store_sqlite_bus.c). */
extern const struct au_store_bus_ops au_sqlite_bus_ops;

/* --- helpers for the back-end's other files (store_sqlite_resolve.c, ...) ----------------- */
#include <sqlite3.h>

/* Statement slots of the other files, cached per handle like store_sqlite.c's own: each file
 * owns a range so their statements never collide. */
#define AU_SQLITE_EXT_RESOLVE  0   /* resolution: slots 0..31 */
#define AU_SQLITE_EXT_PROFILES 32  /* profiles: slots 32..63 */
#define AU_SQLITE_EXT_FLOWS    64  /* flows: slots 64..95 */
#define AU_SQLITE_EXT_QUALITY  96  /* quality ledger: slots 96..111 */
#define AU_SQLITE_EXT_PRIVACY  112 /* privacy: slots 112..115 */
#define AU_SQLITE_EXT_AUDIT    116 /* audit log and retention: slots 116..127 */
#define AU_SQLITE_EXT_INBOUND  136 /* inbound connectors: slots 136..151 (128..135 free) */
#define AU_SQLITE_EXT_INBOUND2 152 /* inbound connectors, second range: slots 152..159 */
#define AU_SQLITE_EXT_BUS      160 /* the bus publisher's reads: slots 160..167 */
#define AU_SQLITE_EXT_N        168

/* The WAL checkpointer of a read-write handle (store_sqlite_ckpt.c). */
typedef struct au_sqlite_ckpt au_sqlite_ckpt;
/* Starts the thread and turns the writer connection's autocheckpoint off; NULL (logged) when
 * the database has no file or the thread cannot start: the writer then checkpoints itself. */
au_sqlite_ckpt *au_sqlite_ckpt_start(sqlite3 *writer);
/* Has the thread run one round now and waits for it (tests, and whoever needs the WAL copied
 * before going on): a PASSIVE checkpoint, or past the truncate size a TRUNCATE one; *log and *done
 * are SQLite's counts of frames in the WAL and frames copied (-1: no checkpoint happened).
 * AU_ERR_STORE when the thread is stopping. */
AU_MUST_USE au_rc au_sqlite_ckpt_round(au_sqlite_ckpt *c, int *log, int *done);
/* Stops the thread (NULL: no-op) and gives the writer its autocheckpoint back. */
void au_sqlite_ckpt_stop(au_sqlite_ckpt *c, sqlite3 *writer);
/* The WAL size in frames from which a round truncates the WAL (tests: without it, a test would
 * write 256 MB to reach the default). */
void au_sqlite_ckpt_truncate_at(au_sqlite_ckpt *c, int frames);

/* Record documents packed with a preset dictionary (store_sqlite_doc.c). Registers the SQL
 * functions au_doc_pack(text) -> blob and au_doc_text(blob) -> text on `db` (their state is
 * the connection's, freed at its close); an SQLite code. */
int au_sqlite_doc_register(sqlite3 *db);
/* The preset dictionary (static, *n bytes). */
const unsigned char *au_sqlite_doc_dict(size_t *n);
/* The text of the packed document z[0..n) (trailing bytes ignored), NUL-terminated, owned by the
 * caller (au_free), *len its length; NULL when z is not one. With `partial`, a damaged or cut
 * stream gives what inflated before the damage (scans of raw file bytes, tests). */
char *au_sqlite_doc_unpack(const void *z, size_t n, int partial, size_t *len);

/* The connection of a handle. */
sqlite3 *au_sqlite_db(void *impl);
/* The statement cached in `slot`, prepared from `sql` on first use; reset it after use with
 * sqlite3_reset. NULL (logged) when it cannot be prepared. */
sqlite3_stmt *au_sqlite_stmt(void *impl, int slot, const char *sql);
/* One flow_runs row in the shared column order (store_sqlite_flows.c); strings borrowed. */
void au_sqlite_run_row(sqlite3_stmt *st, au_run_row *r);
/* Logs SQLite's message for `op` and maps the code onto an au_rc. */
AU_MUST_USE au_rc au_sqlite_fail(void *impl, int src, const char *op);
/* Binds s, or NULL as SQL NULL, as a static (not copied) text. */
int au_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column i as text, NULL for SQL NULL; valid until the statement is stepped or reset. */
const char *au_sqlite_col_text(sqlite3_stmt *st, int i);
/* Column i as a new string (au_free), NULL for SQL NULL or on allocation failure. */
char *au_sqlite_col_dup(sqlite3_stmt *st, int i);
/* Steps a bound statement selecting source, event_id, type, customer, properties, origin,
 * at_ms, received_ms, seq and fills *out (cleared by the caller) from its first row; resets
 * the statement. AU_ERR_NOT_FOUND without a row. */
AU_MUST_USE au_rc au_sqlite_event_row(void *impl, sqlite3_stmt *st, au_event_out *out,
                                      const char *op);
/* Steps a bound statement whose rows, if any, are not wanted, then resets it. */
AU_MUST_USE au_rc au_sqlite_run(void *impl, sqlite3_stmt *st, const char *op);
/* Steps a bound statement for one integer, then resets it; AU_ERR_NOT_FOUND without a row. */
AU_MUST_USE au_rc au_sqlite_one_int(void *impl, sqlite3_stmt *st, int64_t *out, const char *op);
/* records.id of the record the last record_put / record_delete on this handle wrote. */
int64_t au_sqlite_last_record(void *impl);

/* The resolution domain table of au_store_sqlite_ops (store_sqlite_resolve.c). */
int64_t au_sqlite_record_last_no(void *impl);
AU_MUST_USE au_rc au_sqlite_record_no(void *impl, const char *source, const char *record_id,
                                      int64_t *no);
AU_MUST_USE au_rc au_sqlite_record_ref(void *impl, int64_t no, char **source, char **record_id);
AU_MUST_USE au_rc au_sqlite_resolve_scan(void *impl, au_resolve_row_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_assign_put(void *impl, int64_t no, int64_t profile);
AU_MUST_USE au_rc au_sqlite_profile_of(void *impl, const char *source, const char *record_id,
                                       int64_t *profile);
AU_MUST_USE au_rc au_sqlite_profile_members(void *impl, int64_t profile, au_resolve_row_cb cb,
                                            void *ctx);
AU_MUST_USE au_rc au_sqlite_profile_max(void *impl, int64_t *max);
AU_MUST_USE au_rc au_sqlite_redirect_put(void *impl, int64_t from, int64_t into, int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_redirect_get(void *impl, int64_t from, int64_t *into);
AU_MUST_USE au_rc au_sqlite_override_put(void *impl, const au_override_row *o);
AU_MUST_USE au_rc au_sqlite_override_list(void *impl, au_override_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_review_put(void *impl, const au_review_row *r);
AU_MUST_USE au_rc au_sqlite_review_list(void *impl, long limit, au_review_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_model_put(void *impl, const char *json, int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_model_get(void *impl, char **json);
AU_MUST_USE au_rc au_sqlite_change_add(void *impl, const au_change_row *c);
AU_MUST_USE au_rc au_sqlite_changes_after(void *impl, int64_t after, long limit, au_change_cb cb,
                                          void *ctx);
AU_MUST_USE au_rc au_sqlite_resolve_lock(void *impl, int64_t *last);
AU_MUST_USE au_rc au_sqlite_resolve_changed(void *impl, int64_t after, int64_t upto,
                                            au_resolve_row_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_profile_claim(void *impl, int64_t taken, int64_t *next);

/* The profile domain table of au_store_sqlite_ops (store_sqlite_profiles.c). */
AU_MUST_USE au_rc au_sqlite_record_by_no(void *impl, int64_t no, au_record_out *out);
AU_MUST_USE au_rc au_sqlite_ident_clear(void *impl, int64_t rec);
AU_MUST_USE au_rc au_sqlite_ident_put(void *impl, int kind, const char *key, int64_t rec);
AU_MUST_USE au_rc au_sqlite_ident_rec_index(void *impl, int on);
AU_MUST_USE au_rc au_sqlite_ident_find(void *impl, int kind, const char *key, int prefix, int limit,
                                       au_ident_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_event_ref_put(void *impl, const char *ref, const char *source,
                                          const char *event_id);
AU_MUST_USE au_rc au_sqlite_event_rows(void *impl, sqlite3_stmt *st, au_event_cb cb, void *ctx,
                                       const char *op);
AU_MUST_USE au_rc au_sqlite_timeline(void *impl, const char *refs_json, int64_t before_seq,
                                     const char *type, const char *source, int limit,
                                     au_event_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_record_profile(void *impl, int64_t rec, int64_t *profile);
AU_MUST_USE au_rc au_sqlite_change_last(void *impl, int64_t *seq);
AU_MUST_USE au_rc au_sqlite_events_unlinked(void *impl, au_unlinked_cb cb, void *ctx);

/* The flow domain table of au_store_sqlite_ops (store_sqlite_flows.c). */
AU_MUST_USE au_rc au_sqlite_flow_put(void *impl, const char *name, const char *definition,
                                     int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_flow_delete(void *impl, const char *name);
AU_MUST_USE au_rc au_sqlite_flow_list(void *impl, au_flow_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_outbox_add(void *impl, const au_outbox_row *row, int *added);
AU_MUST_USE au_rc au_sqlite_outbox_pending(void *impl, int limit, au_outbox_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_outbox_set(void *impl, int64_t id, int status, int attempts,
                                       int64_t next_ms, const char *last_error);
/* One node owns a SQLite store (its lock file): every claim is granted, no lease is kept. */
AU_MUST_USE au_rc au_sqlite_outbox_claim(void *impl, const char *node, const int64_t *ids, int n,
                                         int64_t now_ms, int64_t lease_until, au_claim_cb cb,
                                         void *ctx);
AU_MUST_USE au_rc au_sqlite_outbox_renew(void *impl, const char *node, int64_t lease_until);
AU_MUST_USE au_rc au_sqlite_outbox_release(void *impl, const char *node, int64_t *released);
AU_MUST_USE au_rc au_sqlite_schedule_claim(void *impl, const char *name, int64_t at_s,
                                           const char *node, int64_t now_ms, int *won);
AU_MUST_USE au_rc au_sqlite_run_add(void *impl, const au_run_row *row, int64_t *id);
AU_MUST_USE au_rc au_sqlite_run_step(void *impl, int64_t run_id, const char *step_id,
                                     const char *summary, int done, int failed, const char *error,
                                     int attempts, int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_run_list(void *impl, const char *flow, const char *status,
                                     int64_t before, int limit, au_run_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_run_counts(void *impl, const char *flow, au_run_counts *out);
AU_MUST_USE au_rc au_sqlite_dead_add(void *impl, const au_dead_row *row, int64_t *id);
AU_MUST_USE au_rc au_sqlite_dead_list(void *impl, const char *flow, int open_only, int limit,
                                      au_dead_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_dead_replay(void *impl, int64_t id, int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_change_max(void *impl, int64_t *seq);
AU_MUST_USE au_rc au_sqlite_event_latest(void *impl, const char *type, const char *source,
                                         au_event_out *out);

/* The quality domain table of au_store_sqlite_ops (store_sqlite_quality.c). */
AU_MUST_USE au_rc au_sqlite_quality_add(void *impl, const au_quality_row *row);
AU_MUST_USE au_rc au_sqlite_quality_examples(void *impl, const char *source, const char *attribute,
                                             const char *reason, char **json);
AU_MUST_USE au_rc au_sqlite_quality_list(void *impl, const char *source, const char *since,
                                         au_quality_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_record_ids(void *impl, const char *source, int64_t after, int limit,
                                       au_ident_cb cb, void *ctx);

/* The privacy slots of au_store_sqlite_ops (store_sqlite_privacy.c). */
au_rc au_sqlite_subject_purge(void *impl, const au_subject_purge *p, au_purge_counts *n);
au_rc au_sqlite_subject_runs(void *impl, const char *needles, int limit, au_run_cb rcb,
                             au_dead_cb dcb, void *ctx);
au_rc au_sqlite_suppressed(void *impl, const char *hashes, int *yes);
au_rc au_sqlite_checkpoint(void *impl, int *done);
au_rc au_sqlite_record_scrub(void *impl, int64_t no);

/* The inbound slots of au_store_sqlite_ops (store_sqlite_inbound.c). */
AU_MUST_USE au_rc au_sqlite_inbound_get(void *impl, const char *source, char **cursor,
                                        char **state);
AU_MUST_USE au_rc au_sqlite_inbound_put(void *impl, const char *source, const char *cursor,
                                        const char *state, int64_t at_ms);
AU_MUST_USE au_rc au_sqlite_inbound_file_get(void *impl, const char *source,
                                             const char *fingerprint, char **outcome);
AU_MUST_USE au_rc au_sqlite_inbound_list(void *impl, au_inbound_state_cb cb, void *ctx);
AU_MUST_USE au_rc au_sqlite_inbound_file_put(void *impl, const char *source,
                                             const char *fingerprint, const char *name,
                                             const char *outcome, int64_t at_ms);
/* The audit domain table of au_store_sqlite_ops (store_sqlite_audit.c). */
extern const struct au_store_audit_ops au_sqlite_audit_ops;

#endif
