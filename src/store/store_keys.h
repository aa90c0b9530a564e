/*
 * The store contract, domain keys: API keys (hash, scopes, revocation).
 * One X-macro list, AU_STORE_KEYS, is the single source of this domain: it declares the
 * au_store_keys_ops slots a back-end implements (first argument: its handle), the au_store_*
 * forwarders callers use (first argument: the au_store), their definitions in store.c and the
 * reference in docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_KEYS_H
#define AU_STORE_KEYS_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_KEYS(X) \
    /* keys */ \
    X(au_rc, key_put, (AU_STORE_SELF, const au_key_row *key), \
      (AU_STORE_IMPL, key)) \
    X(au_rc, key_find, (AU_STORE_SELF, const uint8_t hash[32], au_key_out *out), \
      (AU_STORE_IMPL, hash, out)) \
    X(au_rc, key_list, (AU_STORE_SELF, au_key_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    X(au_rc, key_revoke, (AU_STORE_SELF, const char *id, int64_t at_ms), \
      (AU_STORE_IMPL, id, at_ms))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite.c for SQLite). */
struct au_store_keys_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_KEYS(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_KEYS(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
