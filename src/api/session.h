/*
 * Console sessions: an API key exchanged for a random session id held in a cookie, with a CSRF
 * token the page must echo in X-CSRF-Token on every write. Sessions live in memory only (a
 * restart signs everyone out, which is the safe default) in a fixed-size table, so a flood of
 * sign-ins cannot grow memory: when the table is full the oldest session is dropped. Each
 * session keeps the key's token, not its scopes, so every request re-verifies the key and a
 * revoked key stops working for its sessions too. Times are passed in (milliseconds) so tests
 * drive expiry without sleeping.
 */
#ifndef AU_API_SESSION_H
#define AU_API_SESSION_H

#include <stdint.h>

#include "core/keys.h"
#include "lib/rc.h"

#define AU_SESSION_ID_LEN   44 /* 32 random bytes in unpadded base64url, + NUL */
#define AU_SESSION_CSRF_LEN 44
#define AU_SESSION_MAX      256                  /* sessions held at once */
#define AU_SESSION_IDLE_MS  (8LL * 3600 * 1000)  /* unused this long: expired */
#define AU_SESSION_LIFE_MS  (24LL * 3600 * 1000) /* absolute lifetime */
#define AU_SESSION_COOKIE   "aurum_session"

typedef struct au_sessions au_sessions;

/* The table; caller frees with au_sessions_free (which wipes the tokens it holds). */
au_sessions *au_sessions_new(void);
void au_sessions_free(au_sessions *s);

/* Opens a session for a verified key token (copied). id and csrf receive new random values;
 * *expires_ms the absolute expiry. */
au_rc au_sessions_create(au_sessions *s, const char *token, int64_t now_ms,
                         char id[AU_SESSION_ID_LEN], char csrf[AU_SESSION_CSRF_LEN],
                         int64_t *expires_ms);
/* Finds a live session and touches it: AU_OK with the key token and the CSRF token copied out,
 * AU_ERR_UNAUTHORIZED when unknown or expired (an expired one is wiped). */
au_rc au_sessions_get(au_sessions *s, const char *id, int64_t now_ms, char token[AU_KEY_TOKEN_MAX],
                      char csrf[AU_SESSION_CSRF_LEN], int64_t *expires_ms);
/* Ends a session; unknown ids are ignored. */
void au_sessions_end(au_sessions *s, const char *id);
/* 1 when `presented` equals `csrf` (constant time); 0 for NULL or a different value. */
int au_session_csrf_ok(const char *csrf, const char *presented);

/* The value of cookie `name` in a Cookie header, copied to out (cap bytes); 0 when absent or too
 * long. */
int au_cookie_value(const char *header, const char *name, char *out, size_t cap);

#endif
