/*
 * UTF-8 validation and the two text forms every other normaliser builds on: the cleaned display
 * text (NFKC, controls dropped, white space collapsed) and the comparison key (additionally case
 * folded, accents stripped, punctuation turned into word breaks). Import pushes ~2.5 M values a
 * second through here, so pure-ASCII input (the common case) never reaches utf8proc: it is
 * handled in one pass with one allocation. Non-ASCII input is decomposed by utf8proc into a
 * stack buffer when it fits, filtered in code-point space, then encoded once into the result.
 *
 * Key rules, chosen for record linkage: apostrophes are dropped rather than turned into a space
 * so that "O'Brien" and "OBrien" meet ("obrien"; "O Brien" stays "o brien"); all other
 * punctuation and symbols (hyphen, dot, comma, slash, &) become a space; dotless i becomes i so
 * that Turkish spellings meet their ASCII transliterations.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

au_rc au_norm_refuse(au_norm_why *why, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
        va_end(ap);
    }
    return AU_ERR_INVALID;
}

/* Full validation, used only once a byte >= 0x80 has been seen. */
static int utf8_valid_tail(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* > U+10FFFF */
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += len;
    }
    return 1;
}

/* Length of the leading pure-ASCII run of s[0..n). */
static size_t ascii_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !((unsigned char)s[i] & 0x80))
        i++;
    return i;
}

int au_utf8_valid(const char *s, size_t n)
{
    if (!s)
        return n == 0;
    size_t i = ascii_prefix(s, n);
    return i == n || utf8_valid_tail((const unsigned char *)s + i, n - i);
}

static int ascii_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* What a code point becomes in a given form. */
enum cp_class { CP_KEEP, CP_SPACE, CP_DROP };

static enum cp_class classify_text(int32_t c)
{
    if (c < 0x80) {
        if (ascii_space(c))
            return CP_SPACE;
        return (c < 0x20 || c == 0x7f) ? CP_DROP : CP_KEEP;
    }
    /* zero-width space, BOM, soft hyphen: invisible noise from spreadsheets and web forms */
    if (c == 0x200B || c == 0xFEFF || c == 0x00AD)
        return CP_DROP;
    /* bidirectional overrides and isolates: invisible, and a known way to spoof a displayed
     * name; nothing a customer attribute needs */
    if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F)
        return CP_DROP;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return CP_SPACE;
    case UTF8PROC_CATEGORY_CC:
        return c == 0x85 ? CP_SPACE : CP_DROP;
    default:
        return CP_KEEP;
    }
}

static int is_apostrophe(int32_t c)
{
    return c == '\'' || c == '`' || c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x00B4;
}

static enum cp_class classify_key(int32_t c)
{
    if (c < 0x80) {
        if (au_norm_isalnum(c))
            return CP_KEEP;
        if (is_apostrophe(c) || (c < 0x20 && !ascii_space(c)) || c == 0x7f)
            return CP_DROP;
        return CP_SPACE;
    }
    if (is_apostrophe(c))
        return CP_DROP;
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO)
        return CP_KEEP; /* letters, marks that survived, numbers */
    if (cat == UTF8PROC_CATEGORY_CC)
        return c == 0x85 ? CP_SPACE : CP_DROP;
    if (cat >= UTF8PROC_CATEGORY_CF && cat <= UTF8PROC_CATEGORY_CO)
        return CP_DROP;
    return CP_SPACE; /* punctuation, symbols, separators, unassigned */
}

/* ASCII fast path: one pass, one allocation, no function calls per byte. The rules are those
 * of classify_text / classify_key restricted to ASCII. */
static au_rc ascii_form(const char *s, size_t n, int key, char **out)
{
    char *o = au_malloc(n + 1);
    if (!o)
        return AU_ERR_NOMEM;
    size_t j = 0;
    int pend = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (key) {
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                if (c == '\'' || c == '`' || c == 0x7f || (c < 0x20 && !ascii_space(c)))
                    continue;
                pend = j > 0;
                continue;
            }
        } else if (c <= ' ' || c == 0x7f) {
            if (c == ' ' || ascii_space(c))
                pend = j > 0;
            continue;
        }
        if (pend) {
            o[j++] = ' ';
            pend = 0;
        }
        o[j++] = (char)c;
    }
    o[j] = '\0';
    *out = o;
    return AU_OK;
}

#define STACK_CPS 256

/* Slow path: utf8proc decomposition (+ compose) into code points, filter, encode. */
static au_rc unicode_form(const char *s, size_t n, int key, char **out)
{
    int32_t stackbuf[STACK_CPS];
    int32_t *buf = stackbuf;
    au_rc rc = AU_OK;
    utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE;
    if (key)
        opt |= UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP;
    utf8proc_ssize_t len =
        utf8proc_decompose((const uint8_t *)s, (utf8proc_ssize_t)n, buf, STACK_CPS, opt);
    if (len > STACK_CPS) {
        buf = au_malloc((size_t)len * sizeof(*buf));
        if (!buf) {
            rc = AU_ERR_NOMEM;
            goto out;
        }
        len = utf8proc_decompose((const uint8_t *)s, (utf8proc_ssize_t)n, buf, len, opt);
    }
    if (len >= 0)
        len = utf8proc_normalize_utf32(buf, len, opt);
    if (len < 0) {
        rc = len == UTF8PROC_ERROR_NOMEM ? AU_ERR_NOMEM : AU_ERR_ENCODING;
        goto out;
    }
    /* filter in place, counting the encoded size as we go */
    size_t j = 0, bytes = 0;
    int pend = 0;
    for (utf8proc_ssize_t i = 0; i < len; i++) {
        int32_t c = buf[i];
        enum cp_class k = key ? classify_key(c) : classify_text(c);
        if (k == CP_DROP)
            continue;
        if (k == CP_SPACE) {
            pend = j > 0;
            continue;
        }
        if (pend) {
            buf[j++] = ' ';
            bytes++;
            pend = 0;
        }
        if (key && c == 0x0131)
            c = 'i';
        buf[j++] = c;
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    char *o = au_malloc(bytes + 1);
    if (!o) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t w = 0;
    for (size_t i = 0; i < j; i++)
        w += (size_t)utf8proc_encode_char(buf[i], (uint8_t *)o + w);
    o[w] = '\0';
    *out = o;
out:
    if (buf != stackbuf)
        au_free(buf);
    return rc;
}

static au_rc form(const char *s, size_t n, int key, char **out)
{
    size_t a = ascii_prefix(s, n);
    if (a == n)
        return ascii_form(s, n, key, out);
    if (!utf8_valid_tail((const unsigned char *)s + a, n - a))
        return AU_ERR_ENCODING;
    return unicode_form(s, n, key, out);
}

au_rc au_norm_text_n(const char *s, size_t n, char **out)
{
    return form(s, n, 0, out);
}

au_rc au_norm_key_n(const char *s, size_t n, char **out)
{
    return form(s, n, 1, out);
}

au_rc au_norm_text(const char *in, char **out)
{
    return in ? form(in, strlen(in), 0, out) : form("", 0, 0, out);
}

au_rc au_norm_key(const char *in, char **out)
{
    return in ? form(in, strlen(in), 1, out) : form("", 0, 1, out);
}

au_rc au_norm_prepare(const char *in, char **text, au_norm_why *why)
{
    au_rc rc = au_norm_text(in, text);
    if (rc == AU_ERR_ENCODING && why)
        snprintf(why->reason, sizeof(why->reason), "not valid UTF-8");
    return rc;
}
