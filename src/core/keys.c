/*
 * API keys: generation, scope parsing and checks, verification with a cache, bootstrap.
 *
 * Tokens carry 256 bits of randomness, so a single fast hash (BLAKE2b-256, crypto_generichash)
 * is enough to make the stored form useless to an attacker: no password-hashing KDF
 * (crypto_pwhash) is needed because there is nothing to brute-force, and a slow hash would
 * cost every request milliseconds. Comparisons of hashes use sodium_memcmp (constant time).
 */
#include "core/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/log.h"
#include "lib/clock.h"

/* The cache is reset when it holds this many keys, so forged tokens cannot grow memory. */
#define CACHE_MAX 1024

typedef struct cache_entry {
    uint8_t hash[AU_KEY_HASH_LEN]; /* hash of the token */
    int64_t cached_ms;             /* when it was read from the store */
    au_key_scopes scopes;          /* what it may do */
} cache_entry;

struct au_keys {
    au_engine *engine;     /* borrowed */
    pthread_rwlock_t lock; /* guards entries */
    cache_entry *entries;  /* owned array */
    size_t n, cap;
};

au_rc au_keys_init(void)
{
    return sodium_init() < 0 ? AU_ERR_INTERNAL : AU_OK;
}

void au_key_scopes_cleanup(au_key_scopes *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nwrite; i++)
        au_free(s->write[i]);
    au_free(s->write);
    memset(s, 0, sizeof(*s));
}

int au_key_scope_valid(const char *scope)
{
    if (!scope)
        return 0;
    if (strcmp(scope, "admin") == 0 || strcmp(scope, "read") == 0 ||
        strcmp(scope, "read:masked") == 0)
        return 1;
    return strncmp(scope, "write:", 6) == 0 && scope[6] != '\0';
}

static au_rc scopes_add(au_key_scopes *out, const char *scope)
{
    if (strcmp(scope, "admin") == 0) {
        out->admin = 1;
    } else if (strcmp(scope, "read") == 0) {
        out->read = 1;
    } else if (strcmp(scope, "read:masked") == 0) {
        out->masked = 1;
    } else if (strcmp(scope, "write:*") == 0) {
        out->write_all = 1;
    } else {
        char **w = au_realloc(out->write, (out->nwrite + 1) * sizeof(*w));
        if (!w)
            return AU_ERR_NOMEM;
        out->write = w;
        if (!(w[out->nwrite] = au_strdup(scope + 6)))
            return AU_ERR_NOMEM;
        out->nwrite++;
    }
    return AU_OK;
}

au_rc au_key_scopes_parse(const char *json, au_key_scopes *out, au_err *err)
{
    au_rc rc = AU_OK;
    memset(out, 0, sizeof(*out));
    json_t *arr = json_loads(json ? json : "", 0, NULL);
    if (!json_is_array(arr)) {
        rc = au_err_set(err, AU_ERR_INVALID, "scopes must be a JSON array of strings");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (!au_key_scope_valid(s)) {
            rc = au_err_set(err, AU_ERR_INVALID,
                            "unknown scope '%s' (admin, read, read:masked, write:<source>, "
                            "write:*)",
                            s ? s : "(not a string)");
            goto out;
        }
        if ((rc = scopes_add(out, s)))
            goto out;
    }
out:
    json_decref(arr);
    if (rc)
        au_key_scopes_cleanup(out);
    return rc;
}

int au_key_is_admin(const au_key_scopes *s)
{
    return s && s->admin;
}

int au_key_can_read(const au_key_scopes *s)
{
    return s && (s->admin || s->read || s->masked);
}

int au_key_is_masked(const au_key_scopes *s)
{
    return s && s->masked && !s->read && !s->admin;
}

int au_key_can_write(const au_key_scopes *s, const char *source)
{
    if (!s)
        return 0;
    if (s->admin || s->write_all)
        return 1;
    for (size_t i = 0; i < s->nwrite; i++)
        if (source && strcmp(s->write[i], source) == 0)
            return 1;
    return 0;
}

static au_rc scopes_copy(const au_key_scopes *src, au_key_scopes *dst)
{
    *dst = *src;
    dst->write = NULL;
    dst->nwrite = 0;
    for (size_t i = 0; i < src->nwrite; i++) {
        char **w = au_realloc(dst->write, (dst->nwrite + 1) * sizeof(*w));
        if (!w || !(w[dst->nwrite] = au_strdup(src->write[i]))) {
            if (w)
                dst->write = w;
            au_key_scopes_cleanup(dst);
            return AU_ERR_NOMEM;
        }
        dst->write = w;
        dst->nwrite++;
    }
    return AU_OK;
}

void au_key_hash(const char *token, size_t len, uint8_t hash[AU_KEY_HASH_LEN])
{
    crypto_generichash(hash, AU_KEY_HASH_LEN, (const unsigned char *)token, len, NULL, 0);
}

au_rc au_key_generate(char token[AU_KEY_TOKEN_MAX], char id[AU_KEY_ID_MAX],
                      uint8_t hash[AU_KEY_HASH_LEN])
{
    unsigned char secret[32], idb[5];
    randombytes_buf(secret, sizeof(secret));
    randombytes_buf(idb, sizeof(idb));
    memcpy(token, "au_", 3);
    sodium_bin2base64(token + 3, AU_KEY_TOKEN_MAX - 3, secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memcpy(id, "key_", 4);
    sodium_bin2hex(id + 4, AU_KEY_ID_MAX - 4, idb, sizeof(idb));
    au_key_hash(token, strlen(token), hash);
    sodium_memzero(secret, sizeof(secret));
    return AU_OK;
}

au_rc au_keys_new(au_engine *e, au_keys **out)
{
    au_keys *k = au_calloc(1, sizeof(*k));
    if (!k)
        return AU_ERR_NOMEM;
    k->engine = e;
    pthread_rwlock_init(&k->lock, NULL);
    *out = k;
    return AU_OK;
}

static void cache_clear(au_keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        au_key_scopes_cleanup(&k->entries[i].scopes);
    k->n = 0;
}

void au_keys_free(au_keys *k)
{
    if (!k)
        return;
    cache_clear(k);
    au_free(k->entries);
    pthread_rwlock_destroy(&k->lock);
    au_free(k);
}

/* Index of the entry for hash, or -1. Caller holds the lock. */
static long cache_find(const au_keys *k, const uint8_t *hash)
{
    for (size_t i = 0; i < k->n; i++)
        if (sodium_memcmp(k->entries[i].hash, hash, AU_KEY_HASH_LEN) == 0)
            return (long)i;
    return -1;
}

/* Looks the hash up in the cache; 1 and *out filled on a fresh hit. Entries older than the TTL
 * miss, so a key revoked by another process (`aurum keys revoke`) stops working soon. */
static int cache_get(au_keys *k, const uint8_t *hash, au_key_scopes *out, au_rc *rc)
{
    int hit = 0;
    pthread_rwlock_rdlock(&k->lock);
    long i = cache_find(k, hash);
    if (i >= 0 && au_wall_ms() - k->entries[i].cached_ms < AU_KEY_CACHE_TTL_MS) {
        hit = 1;
        *rc = scopes_copy(&k->entries[i].scopes, out);
    }
    pthread_rwlock_unlock(&k->lock);
    return hit;
}

/* Remembers a verified key; a failure to cache only costs a later store lookup. */
static void cache_put(au_keys *k, const uint8_t *hash, const au_key_scopes *s)
{
    pthread_rwlock_wrlock(&k->lock);
    long old = cache_find(k, hash);
    if (old >= 0) {
        au_key_scopes_cleanup(&k->entries[old].scopes);
        k->entries[old] = k->entries[--k->n];
    }
    if (k->n >= CACHE_MAX)
        cache_clear(k);
    if (AU_ARRAY_GROW(k->entries, k->cap, k->n + 1, 8))
        goto out;
    cache_entry *e = &k->entries[k->n];
    memcpy(e->hash, hash, AU_KEY_HASH_LEN);
    e->cached_ms = au_wall_ms();
    if (scopes_copy(s, &e->scopes) == AU_OK)
        k->n++;
out:
    pthread_rwlock_unlock(&k->lock);
}

static void cache_forget(au_keys *k, const char *id)
{
    pthread_rwlock_wrlock(&k->lock);
    for (size_t i = 0; i < k->n;) {
        if (strcmp(k->entries[i].scopes.id, id) == 0) {
            au_key_scopes_cleanup(&k->entries[i].scopes);
            k->entries[i] = k->entries[--k->n];
        } else {
            i++;
        }
    }
    pthread_rwlock_unlock(&k->lock);
}

/* Reads the key with this hash from the store. */
static au_rc store_lookup(au_engine *e, const uint8_t *hash, au_key_scopes *out, au_err *err)
{
    au_key_out row = {0};
    au_store *s = au_engine_reader(e);
    if (!s)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_store_key_find(s, hash, &row);
    au_engine_reader_release(e, s);
    if (rc == AU_ERR_NOT_FOUND || (!rc && row.revoked_ms)) {
        rc = au_err_set(err, AU_ERR_UNAUTHORIZED, "unknown or revoked API key");
        goto out;
    }
    if (rc) {
        au_err_set(err, rc, "cannot look up the API key");
        goto out;
    }
    if ((rc = au_key_scopes_parse(row.scopes, out, err)))
        goto out;
    snprintf(out->id, sizeof(out->id), "%s", row.id ? row.id : "");
out:
    au_key_out_cleanup(&row);
    return rc;
}

au_rc au_keys_verify(au_keys *k, const char *token, au_key_scopes *out, au_err *err)
{
    uint8_t hash[AU_KEY_HASH_LEN];
    au_rc rc = AU_OK;
    memset(out, 0, sizeof(*out));
    if (!token || !*token)
        return au_err_set(err, AU_ERR_UNAUTHORIZED,
                          "missing API key (Authorization: Bearer <key> or X-API-Key)");
    au_key_hash(token, strlen(token), hash);
    if (cache_get(k, hash, out, &rc))
        return rc ? au_err_set(err, rc, NULL) : AU_OK;
    if ((rc = store_lookup(k->engine, hash, out, err)))
        return rc;
    cache_put(k, hash, out);
    return AU_OK;
}

au_rc au_keys_create(au_engine *e, const char *scopes_json, const char *name,
                     char token[AU_KEY_TOKEN_MAX], char id[AU_KEY_ID_MAX], au_err *err)
{
    uint8_t hash[AU_KEY_HASH_LEN];
    au_key_scopes check;
    au_rc rc = au_key_scopes_parse(scopes_json, &check, err);
    if (rc)
        return rc;
    au_key_scopes_cleanup(&check);
    au_key_generate(token, id, hash);
    au_key_row row = {id, hash, scopes_json, name, au_wall_ms()};
    return au_engine_key_put(e, &row, err);
}

au_rc au_keys_revoke(au_engine *e, au_keys *k, const char *id, au_err *err)
{
    au_rc rc = au_engine_key_revoke(e, id, err);
    /* Forget the key even if the store failed: a stale grant is worse than a store lookup. */
    if (k)
        cache_forget(k, id);
    return rc;
}

static int count_key(void *ctx, const au_key_out *key)
{
    (*(long *)ctx)++;
    return 0;
}

static au_rc ensure_env_key(au_engine *e, const char *token, au_err *err)
{
    uint8_t hash[AU_KEY_HASH_LEN];
    au_key_out row = {0};
    au_key_hash(token, strlen(token), hash);
    au_store *s = au_engine_reader(e);
    if (!s)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_store_key_find(s, hash, &row);
    au_engine_reader_release(e, s);
    if (rc == AU_OK) {
        if (row.revoked_ms)
            au_log(AU_LOG_WARN, "AURUM_ADMIN_KEY was revoked; it stays revoked", "key_id", row.id,
                   NULL);
        au_key_out_cleanup(&row);
        return AU_OK;
    }
    if (rc != AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "cannot look up AURUM_ADMIN_KEY in the store");
    /* The id derives from the hash so the same environment key maps to the same row. */
    char id[AU_KEY_ID_MAX] = "key_";
    sodium_bin2hex(id + 4, sizeof(id) - 4, hash, 5);
    au_key_row key = {id, hash, "[\"admin\"]", "AURUM_ADMIN_KEY", au_wall_ms()};
    rc = au_engine_key_put(e, &key, err);
    if (!rc)
        au_log(AU_LOG_INFO, "admin key from AURUM_ADMIN_KEY registered", "key_id", id, NULL);
    return rc;
}

static au_rc create_first_key(au_engine *e, const char *data_dir, char *path, size_t cap,
                              au_err *err)
{
    char token[AU_KEY_TOKEN_MAX], id[AU_KEY_ID_MAX];
    au_rc rc = AU_OK;
    snprintf(path, cap, "%s/admin.key", data_dir);
    /* Exclusive create first: a key whose token could not be handed over would be useless. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = au_err_set(err, AU_ERR_IO,
                        "cannot create %s (%s); the store holds no API keys: remove the file or "
                        "set AURUM_ADMIN_KEY",
                        path, strerror(errno));
        goto out;
    }
    if ((rc = au_keys_create(e, "[\"admin\"]", "bootstrap admin", token, id, err)))
        goto out;
    size_t len = strlen(token);
    token[len] = '\n';
    if (write(fd, token, len + 1) != (ssize_t)(len + 1) || fsync(fd) != 0)
        rc = au_err_set(err, AU_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    sodium_memzero(token, sizeof(token));
    if (!rc)
        au_log(AU_LOG_INFO, "created the first admin key", "key_id", id, "file", path, NULL);
out:
    if (fd >= 0)
        close(fd);
    if (rc && fd >= 0)
        unlink(path);
    if (rc)
        path[0] = '\0';
    return rc;
}

au_rc au_keys_bootstrap(au_engine *e, const char *data_dir, const char *env_token,
                        char *created_path, size_t cap, au_err *err)
{
    if (cap)
        created_path[0] = '\0';
    /* A short admin token can be guessed or brute-forced over the network: refused at start,
     * before anything is registered (an empty variable means "not set"). */
    if (env_token && *env_token && strlen(env_token) < AU_ADMIN_KEY_MIN)
        return au_err_set(err, AU_ERR_INVALID,
                          "AURUM_ADMIN_KEY has %zu characters; at least %d are required (e.g. "
                          "'aurum keys create' prints a suitable token, or use 32 random hex "
                          "digits)",
                          strlen(env_token), AU_ADMIN_KEY_MIN);
    if (env_token && *env_token)
        return ensure_env_key(e, env_token, err);
    long n = 0;
    au_store *s = au_engine_reader(e);
    if (!s)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_store_key_list(s, count_key, &n);
    au_engine_reader_release(e, s);
    if (rc)
        return au_err_set(err, rc, "cannot list API keys");
    if (n > 0)
        return AU_OK;
    return create_first_key(e, data_dir, created_path, cap, err);
}
