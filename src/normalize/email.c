/*
 * E-mail addresses: the display value is the address lower-cased (domains are case-insensitive
 * and, in practice, so are local parts at every large provider); the key additionally drops
 * what the provider ignores so that one mailbox has one key: the +tag everywhere, and the dots
 * of the local part at Gmail, whose two domains are one.
 * Validation is deliberately practical rather than RFC 5322 complete: quoted local parts and IP
 * literals do not occur in customer data, while typos ("john@gmail", "john@@x.com") do.
 */
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

static int local_char_ok(int c)
{
    return au_norm_isalnum(c) || (c >= 0x80) || (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

static au_rc check_local(const char *l, size_t n, au_norm_why *why)
{
    if (n == 0)
        return au_norm_refuse(why, "not an e-mail address: empty local part");
    if (n > 64)
        return au_norm_refuse(why, "not an e-mail address: local part longer than 64 characters");
    if (l[0] == '.' || l[n - 1] == '.')
        return au_norm_refuse(why, "not an e-mail address: local part starts or ends with a dot");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (!local_char_ok(c)) {
            if (c == ' ')
                return au_norm_refuse(why, "not an e-mail address: space in local part");
            return au_norm_refuse(why,
                                  "not an e-mail address: invalid character '%c' in local part", c);
        }
        if (c == '.' && l[i + 1] == '.')
            return au_norm_refuse(why, "not an e-mail address: consecutive dots in local part");
    }
    return AU_OK;
}

static au_rc check_domain(const char *d, size_t n, au_norm_why *why)
{
    if (n == 0)
        return au_norm_refuse(why, "not an e-mail address: missing domain");
    if (n > 253)
        return au_norm_refuse(why, "not an e-mail address: domain longer than 253 characters");
    if (!memchr(d, '.', n))
        return au_norm_refuse(why, "not an e-mail address: domain has no dot");
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.') {
            unsigned char c = (unsigned char)d[i];
            if (!au_norm_isalnum(c) && c != '-' && c < 0x80) {
                if (c == ' ')
                    return au_norm_refuse(why, "not an e-mail address: space in domain");
                return au_norm_refuse(why,
                                      "not an e-mail address: invalid character '%c' in domain", c);
            }
            continue;
        }
        size_t len = i - start;
        if (len == 0)
            return au_norm_refuse(why, "not an e-mail address: empty label in domain");
        if (len > 63)
            return au_norm_refuse(why, "not an e-mail address: domain label longer than 63 "
                                       "characters");
        if (d[start] == '-' || d[i - 1] == '-')
            return au_norm_refuse(why, "not an e-mail address: domain label starts or ends with "
                                       "a hyphen");
        if (i == n && len < 2)
            return au_norm_refuse(why, "not an e-mail address: top-level domain too short");
        start = i + 1;
    }
    return AU_OK;
}

/* Key of a valid, lower-cased address: provider-insignificant parts dropped. */
static char *email_key(const char *v, size_t at)
{
    const char *dom = v + at + 1;
    int gmail = !strcmp(dom, "gmail.com") || !strcmp(dom, "googlemail.com");
    size_t llen = at;
    const char *plus = memchr(v, '+', at);
    if (plus && plus != v)
        llen = (size_t)(plus - v);
    const char *outdom = gmail ? "gmail.com" : dom;
    size_t dlen = strlen(outdom);
    char *k = au_malloc(llen + 1 + dlen + 1);
    if (!k)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < llen; i++)
        if (!(gmail && v[i] == '.'))
            k[j++] = v[i];
    if (j == 0) /* a Gmail local part of dots only is invalid anyway; keep something */
        k[j++] = '.';
    k[j++] = '@';
    memcpy(k + j, outdom, dlen + 1);
    return k;
}

/* The address inside what people paste: a display form ("Bob Smith" <bob@x.com>,
 * Bob Smith <bob@x.com>), a mailto: link (its ?subject=... dropped), stray angle brackets, quotes,
 * and trailing dots or commas from a sentence. Narrows t[0..*n) in place of copying. */
static const char *unwrap(const char *t, size_t *n)
{
    size_t len = *n;
    const char *lt = len && t[len - 1] == '>' ? memrchr(t, '<', len) : NULL;
    if (lt) { /* display name, then <address> */
        len -= (size_t)(lt - t) + 2;
        t = lt + 1;
    }
    while (len && (t[0] == '<' || t[0] == '"' || t[0] == '\'' || t[0] == ' '))
        t++, len--;
    if (len >= 7 && !strncasecmp(t, "mailto:", 7)) {
        t += 7, len -= 7;
        const char *q = memchr(t, '?', len);
        if (q)
            len = (size_t)(q - t);
    }
    while (len && strchr(">\"' .,;", t[len - 1]))
        len--;
    while (len && t[0] == ' ')
        t++, len--;
    *n = len;
    return t;
}

au_rc au_norm_email_clean(const char *t, char **value, char **key, au_norm_why *why)
{
    au_rc rc = AU_OK;
    char *v = NULL, *k = NULL;
    size_t n = strlen(t);
    t = unwrap(t, &n);
    if (n == 0) {
        rc = au_norm_refuse(why, "not an e-mail address: empty");
        goto out;
    }
    const char *at = memchr(t, '@', n);
    if (!at) {
        rc = au_norm_refuse(why, "not an e-mail address: missing @");
        goto out;
    }
    if (memchr(at + 1, '@', n - (size_t)(at - t) - 1)) {
        rc = au_norm_refuse(why, "not an e-mail address: more than one @");
        goto out;
    }
    size_t atpos = (size_t)(at - t);
    if ((rc = check_local(t, atpos, why)) || (rc = check_domain(at + 1, n - atpos - 1, why)))
        goto out;
    if (n > 254) {
        rc = au_norm_refuse(why, "not an e-mail address: longer than 254 characters");
        goto out;
    }
    v = au_strndup(t, n);
    if (!v) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (char)au_norm_lower((unsigned char)v[i]);
    if (key && !(k = email_key(v, atpos))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
out:
    if (rc) {
        au_free(v);
        au_free(k);
        return rc;
    }
    if (value)
        *value = v;
    else
        au_free(v);
    if (key)
        *key = k;
    return AU_OK;
}

au_rc au_norm_email(const char *in, char **value, char **key, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_email_clean(t, value, key, why);
    au_free(t);
    return rc;
}
