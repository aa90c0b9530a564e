/*
 * Console session table tests: a session gives back its key and CSRF token, expires after the
 * idle timeout and the absolute lifetime (time passed in, no sleeping), ends on sign-out, a full
 * table drops the least recently used session, CSRF comparison and cookie parsing.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "api/session.h"
#include "core/keys.h"

static au_sessions *s;

static void setup(void)
{
    cr_assert_eq(au_keys_init(), AU_OK);
    s = au_sessions_new();
    cr_assert_not_null(s);
}

static void teardown(void)
{
    au_sessions_free(s);
}

TestSuite(session, .init = setup, .fini = teardown);

Test(session, create_then_get_returns_the_key_and_csrf)
{
    char id[AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN], tok[AU_KEY_TOKEN_MAX],
        csrf2[AU_SESSION_CSRF_LEN];
    int64_t exp, exp2;
    cr_assert_eq(au_sessions_create(s, "au_key1", 1000, id, csrf, &exp), AU_OK);
    cr_assert_eq(strlen(id), AU_SESSION_ID_LEN - 1);
    cr_assert_str_neq(id, csrf, "the CSRF token is not the session id");
    cr_assert_eq(exp, 1000 + AU_SESSION_IDLE_MS);
    cr_assert_eq(au_sessions_get(s, id, 2000, tok, csrf2, &exp2), AU_OK);
    cr_assert_str_eq(tok, "au_key1");
    cr_assert_str_eq(csrf2, csrf);
    cr_assert_eq(exp2, 2000 + AU_SESSION_IDLE_MS, "a use extends the idle expiry");
    char other[AU_SESSION_ID_LEN];
    memcpy(other, id, sizeof(other));
    other[0] = other[0] == 'A' ? 'B' : 'A';
    cr_assert_eq(au_sessions_get(s, other, 2000, tok, csrf2, &exp2), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_sessions_get(s, "short", 2000, tok, csrf2, &exp2), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_sessions_get(s, NULL, 2000, tok, csrf2, &exp2), AU_ERR_UNAUTHORIZED);
}

Test(session, idle_and_absolute_expiry)
{
    char id[AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN], tok[AU_KEY_TOKEN_MAX];
    int64_t exp;
    cr_assert_eq(au_sessions_create(s, "au_k", 0, id, csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_get(s, id, AU_SESSION_IDLE_MS, tok, csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_get(s, id, 2 * AU_SESSION_IDLE_MS + 1, tok, csrf, &exp),
                 AU_ERR_UNAUTHORIZED, "idle longer than the timeout");
    cr_assert_eq(au_sessions_get(s, id, 0, tok, csrf, &exp), AU_ERR_UNAUTHORIZED,
                 "an expired session is gone, not merely refused");

    /* used every hour, it still ends at the absolute lifetime */
    cr_assert_eq(au_sessions_create(s, "au_k", 0, id, csrf, &exp), AU_OK);
    int64_t t = 0;
    for (; t + 3600000 <= AU_SESSION_LIFE_MS; t += 3600000)
        cr_assert_eq(au_sessions_get(s, id, t, tok, csrf, &exp), AU_OK, "at %lld", (long long)t);
    cr_assert_eq(exp, AU_SESSION_LIFE_MS, "the last hour is bounded by the lifetime");
    cr_assert_eq(au_sessions_get(s, id, AU_SESSION_LIFE_MS + 1, tok, csrf, &exp),
                 AU_ERR_UNAUTHORIZED);
}

Test(session, end_signs_out)
{
    char id[AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN], tok[AU_KEY_TOKEN_MAX];
    int64_t exp;
    cr_assert_eq(au_sessions_create(s, "au_k", 0, id, csrf, &exp), AU_OK);
    au_sessions_end(s, id);
    cr_assert_eq(au_sessions_get(s, id, 1, tok, csrf, &exp), AU_ERR_UNAUTHORIZED);
    au_sessions_end(s, "unknown"); /* ignored */
}

Test(session, a_full_table_drops_the_least_recently_used)
{
    char ids[AU_SESSION_MAX + 1][AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN],
        tok[AU_KEY_TOKEN_MAX];
    int64_t exp;
    for (int i = 0; i < AU_SESSION_MAX; i++)
        cr_assert_eq(au_sessions_create(s, "au_k", 10 + i, ids[i], csrf, &exp), AU_OK);
    /* session 0 is used again, so session 1 is now the least recently used */
    cr_assert_eq(au_sessions_get(s, ids[0], 1000, tok, csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_create(s, "au_new", 1001, ids[AU_SESSION_MAX], csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_get(s, ids[1], 1002, tok, csrf, &exp), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_sessions_get(s, ids[0], 1002, tok, csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_get(s, ids[2], 1002, tok, csrf, &exp), AU_OK);
    cr_assert_eq(au_sessions_get(s, ids[AU_SESSION_MAX], 1002, tok, csrf, &exp), AU_OK);
    cr_assert_str_eq(tok, "au_new");
}

Test(session, an_oversized_token_is_refused)
{
    char id[AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN], big[AU_KEY_TOKEN_MAX + 8];
    int64_t exp;
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_eq(au_sessions_create(s, big, 0, id, csrf, &exp), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_sessions_create(s, NULL, 0, id, csrf, &exp), AU_ERR_UNAUTHORIZED);
}

Test(session, csrf_comparison)
{
    cr_assert(au_session_csrf_ok("abc", "abc"));
    cr_assert_not(au_session_csrf_ok("abc", "abd"));
    cr_assert_not(au_session_csrf_ok("abc", "ab"));
    cr_assert_not(au_session_csrf_ok("abc", NULL));
    cr_assert_not(au_session_csrf_ok("", ""), "an empty token never matches");
}

Test(session, cookie_value)
{
    char v[16];
    cr_assert(au_cookie_value("a=1; aurum_session=xyz; b=2", "aurum_session", v, sizeof(v)));
    cr_assert_str_eq(v, "xyz");
    cr_assert(au_cookie_value("aurum_session=q", "aurum_session", v, sizeof(v)));
    cr_assert_str_eq(v, "q");
    cr_assert_not(au_cookie_value("xaurum_session=1", "aurum_session", v, sizeof(v)));
    cr_assert_not(au_cookie_value("aurum_sessionx=1", "aurum_session", v, sizeof(v)));
    cr_assert_not(au_cookie_value(NULL, "aurum_session", v, sizeof(v)));
    cr_assert_not(
        au_cookie_value("aurum_session=0123456789abcdefXYZ", "aurum_session", v, sizeof(v)),
        "too long for the buffer: absent, not truncated");
}
