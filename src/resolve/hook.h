/*
 * Identity resolution inside the engine: the "resolve" hook keeps an au_resolver in step with
 * the store. At open it loads the match model (the last trained model in the store, then the
 * config's `matching:` section over it, both over au_model_default), restores every stored
 * record with its profile and every override (records without a profile, e.g. from a data dir
 * written before resolution existed, are resolved then). Every record written or deleted by the
 * writer is resolved in the same transaction, and what changed (assignments, redirects of
 * vanished profiles, the review queue, the change feed) is written with it.
 *
 * Threads: every resolver call, the writer's and the readers', holds the hook's lock exclusively
 * (scoring fills a memo table even for a read); the read functions below may run on any thread
 * (API handlers). They may see the effect of a write a
 * moment before its transaction commits; after a rollback the resolver is rebuilt from the store.
 */
#ifndef AU_RESOLVE_HOOK_H
#define AU_RESOLVE_HOOK_H

#include <jansson.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/buf.h"
#include "resolve/model.h"
#include "resolve/resolve.h"
#include "store/store.h"

extern const au_engine_hook au_resolve_hook;

/* The hook's state (au_engine_hook_state(e, "resolve")). */
typedef struct au_resolve_state au_resolve_state;

/* The model used by a store: au_model_default, then the last model stored by `aurum train`,
 * then the config's `matching:` section (cfg may be NULL). */
au_rc au_resolve_load_model(au_store *st, const au_config *cfg, au_model *m, au_err *err);

/* Restores a resolver from a store: records with a profile are restored as they are; records
 * without one are resolved (and, when persist is set, their assignments and changes written:
 * st must be read-write and inside a transaction). */
au_rc au_resolve_restore_all(au_resolver *res, au_store *st, int persist, au_err *err);

/* A state for offline readers (the CLI): model and resolver loaded from st, which is only read
 * (records without a profile are resolved in memory only). Freed with au_resolve_state_free. */
au_rc au_resolve_state_load(au_store *st, const au_config *cfg, au_resolve_state **out,
                            au_err *err);
void au_resolve_state_free(au_resolve_state *s);
/* Its resolver, for training (not to be mutated). */
const au_resolver *au_resolve_state_resolver(const au_resolve_state *s);

/* A record holding only the comparison keys (attrs.<name>.key) of a stored document, read
 * without building a JSON tree (start-up of a large store). AU_ERR_PARSE for anything the
 * scanner does not understand: use au_record_from_json then. (hook_doc.c) */
au_rc au_resolve_keys_from_doc(const char *doc, const char *source, const char *record_id,
                               au_record **out);

/* --- reads (any thread) ------------------------------------------------------------------- */
/* Explanation of two records / of a profile, with every record number replaced by its
 * {"source","record"} (looked up in st, a reader handle of the caller). New reference; NULL
 * with AU_ERR_NOT_FOUND in err when a record or the profile does not exist. */
json_t *au_resolve_explain_pair(au_resolve_state *s, au_store *st, const char *sa, const char *ra,
                                const char *sb, const char *rb, au_err *err);
json_t *au_resolve_explain_profile(au_resolve_state *s, au_store *st, int64_t profile, au_err *err);

/* The generic values of the resolver (au_resolver_generic_list), at most max of them; the
 * quality ledger and GET /v1/quality/generic call it. New reference; NULL on allocation
 * failure. */
json_t *au_resolve_generic_list(au_resolve_state *s, size_t max);

/* Appends aurum_profile_changes_total{kind} (change-feed rows written by committed groups) to
 * the /metrics text; any thread. */
au_rc au_resolve_metrics(au_resolve_state *s, au_buf *out);

/* Reads of the persisted resolution for API handlers, from a reader handle (au_engine_reader)
 * so handlers stay off the store contract; same results as au_store_profile_of,
 * au_store_record_ref (strings to au_free) and au_store_review_list. */
au_rc au_resolve_profile_of(au_store *rd, const char *source, const char *record_id,
                            int64_t *profile);
au_rc au_resolve_record_ref(au_store *rd, int64_t no, char **source, char **record_id);
au_rc au_resolve_review_list(au_store *rd, long limit, au_review_cb cb, void *ctx);

/* --- manual decisions (through the writer, persisted, win in every later re-evaluation) --- */
/* A decision on a pair of records: must-link (merge), cannot-link (split), none (forget). */
au_rc au_resolve_override(au_engine *e, const char *sa, const char *ra, const char *sb,
                          const char *rb, au_link_kind kind, const char *origin, au_err *err);
/* Merges profile `a` with the profile of record (source, record) or, with source NULL, with
 * profile `b`: a must-link between one member of each; every cannot-link between a member of
 * one and a member of the other is forgotten first (a merge after a split undoes the split). */
au_rc au_resolve_merge(au_engine *e, int64_t a, const char *source, const char *record, int64_t b,
                       const char *origin, au_err *err);
/* Splits the listed records off profile `p`: cannot-links between each of them and every other
 * member. */
au_rc au_resolve_split(au_engine *e, int64_t p, const char *const *sources,
                       const char *const *records, size_t n, const char *origin, au_err *err);

/* Parses "must_link" / "cannot_link" / "none"; -1 when unknown. */
int au_resolve_link_kind(const char *name);
const char *au_resolve_link_name(au_link_kind k);

#endif
