/*
 * The store contract, domain inbound: the persisted state of inbound connectors (src/inbound/,
 * docs/CONNECTORS.md): per source the cursor a connector resumes from (written only after the
 * records it covers were committed, so a restart neither loses nor doubles anything) with its
 * run state as JSON, and the fingerprints of the files a file-drop connector has imported.
 * One X-macro list, AU_STORE_INBOUND, declares the slots, the forwarders and the reference in
 * docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_INBOUND_H
#define AU_STORE_INBOUND_H

#include "store/store.h"

/* One connector's stored state (inbound_list): source and state borrowed for the call. */
typedef au_rc (*au_inbound_state_cb)(void *ctx, const char *source, const char *state,
                                     int64_t updated_ms);

/* clang-format off */
#define AU_STORE_INBOUND(X) \
    /* The cursor and the state (JSON object text) of the connector of `source`; each new \
     * string (au_free) or NULL when never set. AU_ERR_NOT_FOUND when nothing was stored. */ \
    X(au_rc, inbound_get, (AU_STORE_SELF, const char *source, char **cursor, char **state), \
      (AU_STORE_IMPL, source, cursor, state)) \
    /* Stores the cursor (NULL keeps the stored one) and the state (NULL keeps it). */ \
    X(au_rc, inbound_put, (AU_STORE_SELF, const char *source, const char *cursor, const char *state, int64_t at_ms), \
      (AU_STORE_IMPL, source, cursor, state, at_ms)) \
    /* The outcome ("done", "failed") of the file with `fingerprint` already imported into \
     * `source`, as a new string (au_free); AU_ERR_NOT_FOUND for a file never seen. */ \
    X(au_rc, inbound_file_get, (AU_STORE_SELF, const char *source, const char *fingerprint, char **outcome), \
      (AU_STORE_IMPL, source, fingerprint, outcome)) \
    /* Remembers that the file with `fingerprint` (its name `name`) was imported into \
     * `source` with `outcome`; a second import of the same content is then skipped. */ \
    X(au_rc, inbound_file_put, (AU_STORE_SELF, const char *source, const char *fingerprint, const char *name, const char *outcome, int64_t at_ms), \
      (AU_STORE_IMPL, source, fingerprint, name, outcome, at_ms)) \
    /* Calls cb with the state (JSON object text, borrowed for the call) of every connector \
     * that stored one, by source name; a non-zero return of cb stops and is returned. The \
     * quality ledger reads the connectors' refusals and failures with it. */ \
    X(au_rc, inbound_list, (AU_STORE_SELF, au_inbound_state_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_inbound.c for SQLite). */
struct au_store_inbound_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_INBOUND(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_INBOUND(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
