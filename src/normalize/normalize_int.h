/*
 * Internals shared by the normalisation files (not part of the contract). The typed parsers
 * come in two layers: the public au_norm_* function validates UTF-8 and cleans the text once
 * (au_norm_text), then calls the *_clean variant, which assumes NFKC, trimmed, single-spaced,
 * valid UTF-8 input. au_norm_value cleans once and calls the *_clean variants directly, so a
 * record attribute is scanned as few times as possible.
 */
#ifndef AU_NORMALIZE_INT_H
#define AU_NORMALIZE_INT_H

#include <stddef.h>

#include "normalize/normalize.h"

/* Fills why->reason (why may be NULL) and returns AU_ERR_INVALID. */
au_rc au_norm_refuse(au_norm_why *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* au_norm_text / au_norm_key over s[0..n), which must already be valid UTF-8. */
au_rc au_norm_text_n(const char *s, size_t n, char **out);
au_rc au_norm_key_n(const char *s, size_t n, char **out);
/* Lower-case ASCII letter test and case mapping without locale look-ups. */
static inline int au_norm_isalnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int au_norm_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
static inline int au_norm_upper(int c)
{
    return (c >= 'a' && c <= 'z') ? c - 32 : c;
}

/* Typed parsers over cleaned text (see the file comment). Same contracts as the public ones. */
au_rc au_norm_email_clean(const char *t, char **value, char **key, au_norm_why *why);
au_rc au_norm_phone_clean(const char *t, const char *country, char **e164, au_norm_why *why);
au_rc au_norm_date_clean(const char *t, au_date_format fmt, char **iso, au_norm_why *why);
au_rc au_norm_postcode_clean(const char *t, const char *country, char **out, au_norm_why *why);
au_rc au_norm_country_clean(const char *t, char **out, au_norm_why *why);
au_rc au_norm_gender_clean(const char *t, char **out, au_norm_why *why);
au_rc au_norm_name_clean(const char *t, char **out);
au_rc au_norm_place_clean(const char *t, char **out);
au_rc au_norm_address_clean(const char *t, char **key);
/* Shared prologue of the public typed functions: *text = au_norm_text(in), owned by the caller.
 * AU_ERR_ENCODING (with a reason) for invalid UTF-8; a NULL `in` is treated as empty. */
au_rc au_norm_prepare(const char *in, char **text, au_norm_why *why);

#endif
