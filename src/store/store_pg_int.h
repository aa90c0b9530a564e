/*
 * Internals shared by the PostgreSQL back-end files (store_pg.c, store_pg_resolve.c,
 * schema_pg.c): the ordered migration steps, the back-end's method tables registered in store.c,
 * and the helpers that run a cached prepared statement with text parameters.
 */
#ifndef AU_STORE_PG_INT_H
#define AU_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "store/store.h"

/* Number of migration steps = the version of an up-to-date database. */
int au_pg_schema_version(void);
/* SQL of step i (0-based: brings version i to i + 1), NULL when out of range. */
const char *au_pg_migration(int i);

/* Registered twice, so that both URI schemes libpq accepts select it: "postgres://..." and
 * "postgresql://...". */
extern const au_store_ops au_store_pg_ops;
extern const au_store_ops au_store_postgresql_ops;

/* Statement slots: each file owns a range, like the SQLite back-end's, so the names of the
 * statements prepared on a connection ("s<slot>") never collide. */
#define AU_PG_SLOT_RECORDS  0   /* store_pg.c: records and keys, 0..31 */
#define AU_PG_SLOT_RESOLVE  32  /* store_pg_resolve.c: 32..63 */
#define AU_PG_SLOT_PROFILES 64  /* store_pg_profiles.c: 64..79 */
#define AU_PG_SLOT_QUALITY  80  /* store_pg_quality.c: 80..95 */
#define AU_PG_SLOT_INBOUND  96  /* store_pg_inbound.c: 96..103 */
#define AU_PG_SLOT_FLOWS    104 /* store_pg_flows.c: 104..127 */
#define AU_PG_SLOT_PRIVACY  128 /* store_pg_privacy.c: 128..143 */
#define AU_PG_SLOT_AUDIT    144 /* store_pg_audit.c: 144..159 */
#define AU_PG_SLOT_NODES    160 /* store_pg_resolve.c, several nodes on one store: 160..167 */
#define AU_PG_SLOT_CLAIMS   168 /* store_pg_flows.c: outbox and schedule claims, 168..183 */
#define AU_PG_SLOT_BUS      184 /* store_pg_bus.c: 184..191 (160..183: nodes, nodesflow) */
#define AU_PG_SLOT_N        192

/* Parameters of one statement, all sent as text except binary ones (bytea). The numbers are
 * formatted into `num`, so a au_pg_params lives on the caller's stack for the call. */
#define AU_PG_MAX_PARAMS 12
typedef struct au_pg_params {
    int n;
    const char *val[AU_PG_MAX_PARAMS];
    int len[AU_PG_MAX_PARAMS];
    int fmt[AU_PG_MAX_PARAMS];
    char num[AU_PG_MAX_PARAMS][24];
} au_pg_params;
/* Appends a text parameter (borrowed; NULL is SQL NULL). */
void au_pg_text(au_pg_params *p, const char *s);
/* Appends an integer parameter. */
void au_pg_int(au_pg_params *p, int64_t v);
/* Appends a double parameter (full precision). */
void au_pg_double(au_pg_params *p, double v);
/* Appends a binary parameter (borrowed). */
void au_pg_bin(au_pg_params *p, const void *data, int len);

/* Runs the statement of `slot` (prepared from `sql` on this connection on first use) with `p`
 * (NULL: none). Returns the result (PQclear it) when it succeeded, else NULL with *rc set:
 * the server's message is logged under `op`; a unique violation is AU_ERR_CONFLICT, a
 * serialization failure or deadlock AU_ERR_BUSY, anything else AU_ERR_STORE. */
PGresult *au_pg_run(void *impl, int slot, const char *sql, const au_pg_params *p, const char *op,
                    au_rc *rc);
/* Runs a statement for its effect only. */
AU_MUST_USE au_rc au_pg_exec(void *impl, int slot, const char *sql, const au_pg_params *p,
                             const char *op);
/* Runs a statement for one integer (first column of the first row); AU_ERR_NOT_FOUND without a
 * row; a SQL NULL reads as 0. */
AU_MUST_USE au_rc au_pg_one_int(void *impl, int slot, const char *sql, const au_pg_params *p,
                                int64_t *out, const char *op);
/* Column c of row r: NULL for SQL NULL, else the text (owned by the result). */
const char *au_pg_col(const PGresult *res, int r, int c);
/* Column c of row r as an integer, 0 for SQL NULL. */
int64_t au_pg_col_int(const PGresult *res, int r, int c);
/* Takes the change-feed append lock for the rest of the transaction (once per transaction). */
AU_MUST_USE au_rc au_pg_feed_lock(void *impl);
/* 1 between a successful begin and the commit or rollback. */
int au_pg_in_transaction(void *impl);
/* Transaction control of the handle (store_pg.c), for slots that need their own. */
AU_MUST_USE au_rc au_pg_begin(void *impl);
AU_MUST_USE au_rc au_pg_commit(void *impl);
AU_MUST_USE au_rc au_pg_rollback(void *impl);
/* records.id of the record the last record_put / record_delete on this handle wrote. */
int64_t au_pg_last_record(void *impl);

/* The resolution domain table of au_store_pg_ops (store_pg_resolve.c). */
extern const struct au_store_resolution_ops au_pg_resolution_ops;
/* The profiles domain table (store_pg_profiles.c), and records.events_unlinked, which reads
 * the profiles' identifier index. */
extern const struct au_store_profiles_ops au_pg_profiles_ops;
AU_MUST_USE au_rc au_pg_events_unlinked(void *impl, au_unlinked_cb cb, void *ctx);
/* Row i of a flow_runs result in the run queries' column order (store_pg_flows.c). */
au_run_row au_pg_run_row(const PGresult *res, int i);

/* The quality and inbound domain tables (store_pg_quality.c, store_pg_inbound.c). */
extern const struct au_store_quality_ops au_pg_quality_ops;
extern const struct au_store_inbound_ops au_pg_inbound_ops;
/* The flows domain table (store_pg_flows.c). */
extern const struct au_store_flows_ops au_pg_flows_ops;
/* The privacy and audit domain tables (store_pg_privacy.c, store_pg_audit.c). */
extern const struct au_store_privacy_ops au_pg_privacy_ops;
extern const struct au_store_audit_ops au_pg_audit_ops;
/* The bus domain table (store_pg_bus.c). */
extern const struct au_store_bus_ops au_pg_bus_ops;
/* Runs a command that cannot be prepared (VACUUM, CHECKPOINT) outside a transaction; the
 * server's message is logged under `op`. */
AU_MUST_USE au_rc au_pg_utility(void *impl, const char *sql, const char *op);
/* Fills *out (cleared by the caller) with copies of row r of an event result (source,
 * event_id, type, customer, properties, origin, at_ms, received_ms, seq). */
AU_MUST_USE au_rc au_pg_event_copy(const PGresult *res, int r, au_event_out *out);
/* Hands each row of an event result (columns as au_pg_event_copy's) to cb, borrowed: valid
 * during the callback only; stops at the first non-zero return. Takes res (cleared here, NULL
 * allowed) and the rc of the query that made it, returned when it failed. */
AU_MUST_USE au_rc au_pg_event_rows(PGresult *res, au_rc rc, au_event_cb cb, void *ctx);
/* A copy of column c of row r (au_free), NULL for SQL NULL; *bad set when the copy failed. */
char *au_pg_col_dup(const PGresult *res, int r, int c, int *bad);
/* Fills *out (cleared first) with copies of row r of a result whose columns are source,
 * record_id, version, doc, hash, origin, at_ms, deleted; AU_ERR_NOMEM on a failed copy. */
AU_MUST_USE au_rc au_pg_record_copy(const PGresult *res, int r, au_record_out *out);

#endif
