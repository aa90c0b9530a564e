/*
 * Address lines. The display value is the cleaned text; the key is the text key with street
 * types, directions and unit designators folded to one spelling each, so "12 High Street" and
 * "12 high st." compare equal. Only whole words are replaced; the table maps the long form and
 * the common variants to the abbreviation postal services use. Every canonical form is no longer
 * than the words mapped onto it (hence "av" for avenue and "apt" for flat/unit/suite), so the key
 * is rewritten in place without another allocation.
 */
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

typedef struct abbrev {
    const char *word; /* key-form word */
    const char *abbr; /* its canonical form in the key */
} abbrev;

static const abbrev abbrevs[] = {
    {"street", "st"},     {"str", "st"},         {"road", "rd"},        {"avenue", "av"},
    {"ave", "av"},        {"drive", "dr"},       {"drv", "dr"},         {"lane", "ln"},
    {"court", "ct"},      {"crt", "ct"},         {"place", "pl"},       {"crescent", "cres"},
    {"cresc", "cres"},    {"terrace", "tce"},    {"terr", "tce"},       {"ter", "tce"},
    {"close", "cl"},      {"square", "sq"},      {"boulevard", "blvd"}, {"highway", "hwy"},
    {"parade", "pde"},    {"grove", "gr"},       {"gardens", "gdns"},   {"mount", "mt"},
    {"circle", "cir"},    {"way", "wy"},         {"parkway", "pkwy"},   {"esplanade", "esp"},
    {"circuit", "cct"},   {"mews", "mews"},      {"north", "n"},        {"south", "s"},
    {"east", "e"},        {"west", "w"},         {"northeast", "ne"},   {"northwest", "nw"},
    {"southeast", "se"},  {"southwest", "sw"},   {"flat", "apt"},       {"unit", "apt"},
    {"apartment", "apt"}, {"appartment", "apt"}, {"suite", "apt"},      {"ste", "apt"},
    {"number", "no"},     {"nr", "no"},          {"saint", "st"},
};

static const char *abbrev_of(const char *w, size_t n)
{
    /* every table word is at most 11 letters; this keeps the common case to one length test */
    if (n > 11 || n == 0 || (w[0] >= '0' && w[0] <= '9'))
        return NULL;
    for (size_t i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
        if (abbrevs[i].word[0] == w[0] && !strncmp(abbrevs[i].word, w, n) &&
            abbrevs[i].word[n] == '\0')
            return abbrevs[i].abbr;
    return NULL;
}

/* Rewrites the key k in place: every replacement is no longer than the word it replaces. */
static void fold_words(char *k)
{
    char *r = k, *w = k;
    while (*r) {
        char *s = r;
        while (*r && *r != ' ')
            r++;
        size_t n = (size_t)(r - s);
        const char *a = abbrev_of(s, n);
        if (a) {
            size_t an = strlen(a);
            memmove(w, a, an);
            w += an;
        } else {
            memmove(w, s, n);
            w += n;
        }
        if (*r == ' ')
            *w++ = *r++;
    }
    *w = '\0';
}

au_rc au_norm_address_clean(const char *t, char **key)
{
    char *k = NULL;
    au_rc rc = au_norm_key(t, &k);
    if (rc)
        return rc;
    fold_words(k);
    *key = k;
    return AU_OK;
}

au_rc au_norm_address(const char *in, char **value, char **key)
{
    char *t = NULL, *k = NULL;
    au_rc rc = au_norm_text(in, &t);
    if (rc)
        goto out;
    if ((rc = au_norm_address_clean(t, &k)))
        goto out;
out:
    if (rc) {
        au_free(t);
        return rc;
    }
    if (value)
        *value = t;
    else
        au_free(t);
    if (key)
        *key = k;
    else
        au_free(k);
    return AU_OK;
}
