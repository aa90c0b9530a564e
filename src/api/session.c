/*
 * The in-memory session table of the console (see session.h): a fixed array under one mutex.
 * Ids and CSRF tokens are 32 bytes from libsodium's CSPRNG; lookups compare ids in constant
 * time so a timing probe learns nothing about a live id.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "api/session.h"
#include "lib/alloc.h"

/* One slot; id[0] == '\0' marks a free one. */
typedef struct session {
    char id[AU_SESSION_ID_LEN];     /* cookie value */
    char csrf[AU_SESSION_CSRF_LEN]; /* echoed in X-CSRF-Token */
    char token[AU_KEY_TOKEN_MAX];   /* the API key, re-verified on each request */
    int64_t created_ms;             /* for the absolute lifetime */
    int64_t used_ms;                /* for the idle timeout */
} session;

struct au_sessions {
    pthread_mutex_t mu;
    session slot[AU_SESSION_MAX];
};

au_sessions *au_sessions_new(void)
{
    au_sessions *s = au_calloc(1, sizeof(*s));
    if (s)
        pthread_mutex_init(&s->mu, NULL);
    return s;
}

void au_sessions_free(au_sessions *s)
{
    if (!s)
        return;
    sodium_memzero(s->slot, sizeof(s->slot));
    pthread_mutex_destroy(&s->mu);
    au_free(s);
}

static void random_token(char out[AU_SESSION_ID_LEN])
{
    unsigned char rnd[32];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2base64(out, AU_SESSION_ID_LEN, rnd, sizeof(rnd),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int expired(const session *e, int64_t now_ms)
{
    return now_ms - e->used_ms > AU_SESSION_IDLE_MS || now_ms - e->created_ms > AU_SESSION_LIFE_MS;
}

static int64_t expiry(const session *e)
{
    int64_t idle = e->used_ms + AU_SESSION_IDLE_MS, life = e->created_ms + AU_SESSION_LIFE_MS;
    return idle < life ? idle : life;
}

/* A free or expired slot, else the least recently used one (its session is dropped). */
static session *free_slot(au_sessions *s, int64_t now_ms)
{
    session *lru = &s->slot[0];
    for (size_t i = 0; i < AU_SESSION_MAX; i++) {
        session *e = &s->slot[i];
        if (!e->id[0] || expired(e, now_ms))
            return e;
        if (e->used_ms < lru->used_ms)
            lru = e;
    }
    return lru;
}

au_rc au_sessions_create(au_sessions *s, const char *token, int64_t now_ms,
                         char id[AU_SESSION_ID_LEN], char csrf[AU_SESSION_CSRF_LEN],
                         int64_t *expires_ms)
{
    if (!token || strlen(token) >= AU_KEY_TOKEN_MAX)
        return AU_ERR_UNAUTHORIZED;
    pthread_mutex_lock(&s->mu);
    session *e = free_slot(s, now_ms);
    sodium_memzero(e, sizeof(*e));
    random_token(e->id);
    random_token(e->csrf);
    memcpy(e->token, token, strlen(token) + 1);
    e->created_ms = e->used_ms = now_ms;
    memcpy(id, e->id, AU_SESSION_ID_LEN);
    memcpy(csrf, e->csrf, AU_SESSION_CSRF_LEN);
    *expires_ms = expiry(e);
    pthread_mutex_unlock(&s->mu);
    return AU_OK;
}

/* The slot holding id, or NULL; called with the mutex held. */
static session *find(au_sessions *s, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n + 1 != AU_SESSION_ID_LEN)
        return NULL;
    for (size_t i = 0; i < AU_SESSION_MAX; i++)
        if (s->slot[i].id[0] && sodium_memcmp(s->slot[i].id, id, n) == 0)
            return &s->slot[i];
    return NULL;
}

au_rc au_sessions_get(au_sessions *s, const char *id, int64_t now_ms, char token[AU_KEY_TOKEN_MAX],
                      char csrf[AU_SESSION_CSRF_LEN], int64_t *expires_ms)
{
    au_rc rc = AU_ERR_UNAUTHORIZED;
    pthread_mutex_lock(&s->mu);
    session *e = find(s, id);
    if (e && expired(e, now_ms))
        sodium_memzero(e, sizeof(*e));
    else if (e) {
        e->used_ms = now_ms;
        memcpy(token, e->token, AU_KEY_TOKEN_MAX);
        memcpy(csrf, e->csrf, AU_SESSION_CSRF_LEN);
        *expires_ms = expiry(e);
        rc = AU_OK;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void au_sessions_end(au_sessions *s, const char *id)
{
    pthread_mutex_lock(&s->mu);
    session *e = find(s, id);
    if (e)
        sodium_memzero(e, sizeof(*e));
    pthread_mutex_unlock(&s->mu);
}

int au_session_csrf_ok(const char *csrf, const char *presented)
{
    size_t n = csrf ? strlen(csrf) : 0;
    if (!n || !presented || strlen(presented) != n)
        return 0;
    return sodium_memcmp(csrf, presented, n) == 0;
}

int au_cookie_value(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl + 1 > cap)
                return 0;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return 1;
        }
        p += len;
    }
    return 0;
}
