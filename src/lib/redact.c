/*
 * Credential redaction by type (redact.h). Text is scanned once from left to right; each rule
 * finds where a credential value starts and ends, and the output copies everything else.
 * Matching is ASCII case-insensitive and bounded by the text: hostile input costs linear time.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/redact.h"

static const char *const secret_keys[] = {"authorization", "proxy-authorization", "x-api-key",
                                          "cookie",        "set-cookie",          NULL};
static const char *const secret_parts[] = {"token",  "secret",  "password", "passwd",
                                           "apikey", "api_key", "api-key",  NULL};
/* Query parameters whose value is a credential (whole name, case-insensitive). */
static const char *const secret_params[] = {
    "token",    "key",  "api_key", "apikey",       "sig",  "signature",     "secret",
    "password", "pass", "pwd",     "access_token", "auth", "client_secret", NULL};

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

int au_redact_key_is_secret(const char *key)
{
    if (!key)
        return 0;
    for (size_t i = 0; secret_keys[i]; i++)
        if (!strcasecmp(key, secret_keys[i]))
            return 1;
    for (size_t i = 0; secret_parts[i]; i++)
        if (contains_ci(key, secret_parts[i]))
            return 1;
    return 0;
}

static int is_placeholder(const char *s, size_t len)
{
    return len > 9 && !strncmp(s, "[secret:", 8) && s[len - 1] == ']';
}

/* At text[i] a URL's "scheme://": the end of its userinfo password (at '@'), with *start at
 * the password's first byte; 0 when there is none. */
static size_t url_password(const char *t, size_t i, size_t *start)
{
    size_t j = i + 3, colon = 0;
    for (; t[j] && !strchr("/?#@ \t\r\n\"'\\", t[j]); j++)
        if (t[j] == ':' && !colon)
            colon = j;
    if (t[j] != '@' || !colon)
        return 0;
    *start = colon + 1;
    return j;
}

/* At text[i] just after '?' or '&': the end of a credential parameter's value, with *start at
 * its first byte; 0 when the parameter is not a credential. */
static size_t query_value(const char *t, size_t i, size_t *start)
{
    size_t n = strcspn(t + i, "=&#; \t\r\n\"'");
    if (t[i + n] != '=')
        return 0;
    for (size_t k = 0; secret_params[k]; k++) {
        if (strlen(secret_params[k]) == n && !strncasecmp(t + i, secret_params[k], n)) {
            *start = i + n + 1;
            return *start + strcspn(t + *start, "&#; \t\r\n\"'\\");
        }
    }
    return 0;
}

/* At text[i] "password" of a conninfo (start of the text or after white space): the end of the
 * value (quoted with ' or bare), with *start at its first byte; 0 when it is not one. */
static size_t conninfo_password(const char *t, size_t i, size_t *start)
{
    static const char kw[] = "password";
    size_t j = i + sizeof(kw) - 1;
    if ((i > 0 && !isspace((unsigned char)t[i - 1])) || strncasecmp(t + i, kw, sizeof(kw) - 1))
        return 0;
    while (t[j] == ' ')
        j++;
    if (t[j] != '=')
        return 0;
    j++;
    while (t[j] == ' ')
        j++;
    *start = j;
    if (t[j] == '\'') {
        for (j++; t[j] && t[j] != '\''; j++)
            if (t[j] == '\\' && t[j + 1])
                j++;
        return t[j] ? j + 1 : j;
    }
    return j + strcspn(t + j, " \t\r\n\"\\"); /* a quote or \\ ends it inside JSON text */
}

char *au_redact_text(const char *text)
{
    au_buf b;
    size_t copied = 0, changed = 0;
    char *out = NULL;
    if (!text)
        return NULL;
    au_buf_init(&b, strlen(text) + 64);
    for (size_t i = 0; text[i]; i++) {
        size_t start = 0, end = 0;
        if (text[i] == ':' && text[i + 1] == '/' && text[i + 2] == '/')
            end = url_password(text, i, &start);
        else if ((text[i] == '?' || text[i] == '&') && text[i + 1])
            end = query_value(text, i + 1, &start);
        else if (text[i] == 'p' || text[i] == 'P')
            end = conninfo_password(text, i, &start);
        if (!end || end <= start || is_placeholder(text + start, end - start))
            continue;
        if (au_buf_append(&b, text + copied, start - copied) ||
            au_buf_append(&b, AU_REDACTED, sizeof(AU_REDACTED) - 1))
            goto out;
        copied = end;
        i = end - 1;
        changed++;
    }
    if (changed && !au_buf_append(&b, text + copied, strlen(text) - copied))
        out = au_strndup(b.data, b.len);
out:
    au_buf_cleanup(&b);
    return out;
}

/* A value under a credential key: hidden unless it only names a secret of the store. */
static json_t *hide(json_t *v)
{
    const char *s = json_string_value(v);
    if (json_is_null(v) || (s && (!*s || strstr(s, "[secret:") || !strcmp(s, "********"))))
        return NULL;
    return json_string(AU_REDACTED);
}

void au_redact_json(json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach(j, k, v)
        {
            json_t *h = au_redact_key_is_secret(k) && !json_is_object(v) && !json_is_array(v)
                            ? hide(v)
                            : NULL;
            if (h)
                json_object_set_new(j, k, h);
            else
                au_redact_json(v);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) au_redact_json(v);
    } else if (json_is_string(j)) {
        char *r = au_redact_text(json_string_value(j));
        if (r)
            json_string_set(j, r);
        au_free(r);
    }
}
