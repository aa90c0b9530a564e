/*
 * API keys. A token is "au_" followed by 32 random bytes in unpadded base64url; the store keeps
 * only its BLAKE2b-256 hash, the public id ("key_" + 10 hex digits) and the scopes. Scopes are a
 * JSON array of "admin" (everything), "read" (every GET), "read:masked" (every GET, personal
 * values masked: src/audit/mask.h; no export) and "write:<source>" / "write:*".
 * Verification hashes the presented token and looks the hash up in an in-memory cache filled
 * from the store on a miss; revoking through au_keys_revoke updates the store (through the
 * engine's writer) and drops the cached entry at once.
 */
#ifndef AU_KEYS_H
#define AU_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/rc.h"

#define AU_KEY_TOKEN_MAX 64 /* token length + NUL, with room to spare */
#define AU_KEY_ID_MAX    24 /* public id + NUL */
#define AU_KEY_HASH_LEN  32
/* How long a verified key is trusted without asking the store again: the delay after which a
 * key revoked by another process (the `aurum keys` CLI) stops working in a running daemon. */
#define AU_KEY_CACHE_TTL_MS 5000

/* What a verified key may do. Strings owned by the struct; au_key_scopes_cleanup. */
typedef struct au_key_scopes {
    char id[AU_KEY_ID_MAX]; /* public id of the key, for logs and origins */
    int admin;              /* "admin": every scope */
    int read;               /* "read" */
    int masked;             /* "read:masked": reads, with personal values masked */
    int write_all;          /* "write:*" */
    char **write;           /* sources of "write:<source>" */
    size_t nwrite;
} au_key_scopes;
void au_key_scopes_cleanup(au_key_scopes *s);

/* Parses a JSON array of scope strings; unknown scopes are AU_ERR_INVALID naming the scope. */
au_rc au_key_scopes_parse(const char *json, au_key_scopes *out, au_err *err);
/* Checks a scope string ("admin", "read", "read:masked", "write:crm", "write:*") for validity. */
int au_key_scope_valid(const char *scope);
/* 1 when the key may read / may write to `source` / is an admin. */
int au_key_can_read(const au_key_scopes *s);
int au_key_can_write(const au_key_scopes *s, const char *source);
int au_key_is_admin(const au_key_scopes *s);
/* 1 when the key's reads are masked: read:masked without read or admin. */
int au_key_is_masked(const au_key_scopes *s);

/* A new random token, its public id and its hash. Needs sodium_init() done (au_keys_init). */
au_rc au_key_generate(char token[AU_KEY_TOKEN_MAX], char id[AU_KEY_ID_MAX],
                      uint8_t hash[AU_KEY_HASH_LEN]);
/* The stored hash of a token. */
void au_key_hash(const char *token, size_t len, uint8_t hash[AU_KEY_HASH_LEN]);
/* Initialises libsodium once per process; AU_ERR_INTERNAL if it cannot. */
au_rc au_keys_init(void);

/* The verifier with its cache; borrows the engine. Caller frees with au_keys_free. */
typedef struct au_keys au_keys;
au_rc au_keys_new(au_engine *e, au_keys **out);
void au_keys_free(au_keys *k);
/* Verifies a presented token: AU_OK and *out filled (caller cleans up), or AU_ERR_UNAUTHORIZED
 * for an unknown or revoked key. */
au_rc au_keys_verify(au_keys *k, const char *token, au_key_scopes *out, au_err *err);
/* Creates a key with the given scopes (JSON array) and name (may be NULL); writes the token
 * (shown once) and the id. */
au_rc au_keys_create(au_engine *e, const char *scopes_json, const char *name,
                     char token[AU_KEY_TOKEN_MAX], char id[AU_KEY_ID_MAX], au_err *err);
/* Revokes key `id` (AU_ERR_NOT_FOUND if unknown) and forgets it in k's cache (k may be NULL). */
au_rc au_keys_revoke(au_engine *e, au_keys *k, const char *id, au_err *err);

/* Fewest characters of an AURUM_ADMIN_KEY token; a shorter one is refused at start. */
#define AU_ADMIN_KEY_MIN 32

/* Start-up bootstrap: when `env_token` (AURUM_ADMIN_KEY) is given, its hash is stored as an admin
 * key unless already present; otherwise, when the store holds no keys at all, a new admin key
 * is created and its token written to DIR/admin.key (created exclusively, mode 0600).
 * *created_path is set (static storage not needed: caller buffer of `cap`) when a file was
 * written, else emptied. An env_token shorter than AU_ADMIN_KEY_MIN is AU_ERR_INVALID. */
au_rc au_keys_bootstrap(au_engine *e, const char *data_dir, const char *env_token,
                        char *created_path, size_t cap, au_err *err);

#endif
