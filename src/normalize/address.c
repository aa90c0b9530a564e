/*
 * Address lines. The display value is the cleaned text re-cased as a place (name.c: "12 HIGH
 * ST" -> "12 High St", kept as typed when typed in mixed case); the key is the text key with street
 * types, directions and unit designators folded to one spelling each, so "12 High Street" and
 * "12 high st." compare equal. Only whole words are replaced; the table maps the long form and
 * the common variants to the abbreviation postal services use. Every canonical form is no longer
 * than the words mapped onto it (hence "av" for avenue and "apt" for flat/unit/suite), so the key
 * is rewritten in place without another allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "normalize/normalize_int.h"

typedef struct abbrev {
    const char *word; /* key-form word */
    size_t len;       /* strlen(word) */
    const char *abbr; /* its canonical form in the key */
} abbrev;

#define A(w, a)                                                                                    \
    {                                                                                              \
        w, sizeof(w) - 1, a                                                                        \
    }
static const abbrev abbrevs[] = {
    A("street", "st"),     A("str", "st"),         A("road", "rd"),        A("avenue", "av"),
    A("ave", "av"),        A("drive", "dr"),       A("drv", "dr"),         A("lane", "ln"),
    A("court", "ct"),      A("crt", "ct"),         A("place", "pl"),       A("crescent", "cres"),
    A("cresc", "cres"),    A("terrace", "tce"),    A("terr", "tce"),       A("ter", "tce"),
    A("close", "cl"),      A("square", "sq"),      A("boulevard", "blvd"), A("highway", "hwy"),
    A("parade", "pde"),    A("grove", "gr"),       A("gardens", "gdns"),   A("mount", "mt"),
    A("circle", "cir"),    A("way", "wy"),         A("parkway", "pkwy"),   A("esplanade", "esp"),
    A("circuit", "cct"),   A("mews", "mews"),      A("north", "n"),        A("south", "s"),
    A("east", "e"),        A("west", "w"),         A("northeast", "ne"),   A("northwest", "nw"),
    A("southeast", "se"),  A("southwest", "sw"),   A("flat", "apt"),       A("unit", "apt"),
    A("apartment", "apt"), A("appartment", "apt"), A("suite", "apt"),      A("ste", "apt"),
    A("number", "no"),     A("nr", "no"),          A("saint", "st"),
};
#undef A

static const char *abbrev_of(const char *w, size_t n)
{
    if (n == 0 || (w[0] >= '0' && w[0] <= '9'))
        return NULL;
    for (size_t i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
        if (abbrevs[i].len == n && abbrevs[i].word[0] == w[0] && !memcmp(abbrevs[i].word, w, n))
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
    if (value)
        rc = au_norm_place_clean(t, value);
out:
    au_free(t);
    if (rc) {
        au_free(k);
        return rc;
    }
    if (key)
        *key = k;
    else
        au_free(k);
    return AU_OK;
}

/* --- one key for an address in parts or in one line ---------------------------------------- */

typedef struct word {
    const char *s; /* into the folded copy */
    size_t n;
} word;

static int word_cmp(const void *pa, const void *pb)
{
    const word *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Marks (n = 0) the words of w[0..nw) that spell the postcode pc alone or with the next word
 * ("ls1" "4ap" for "ls14ap"), so a postcode inside a full line is not taken for street words. */
static void drop_postcode(word *w, size_t nw, const char *pc, size_t pcn)
{
    for (size_t i = 0; pcn && i < nw; i++) {
        if (w[i].n == pcn && !memcmp(w[i].s, pc, pcn)) {
            w[i].n = 0;
        } else if (i + 1 < nw && w[i].n && w[i].n < pcn && w[i].n + w[i + 1].n == pcn &&
                   !memcmp(w[i].s, pc, w[i].n) && !memcmp(w[i + 1].s, pc + w[i].n, w[i + 1].n)) {
            w[i].n = w[i + 1].n = 0;
            i++;
        }
    }
}

/* Splits the folded text t at spaces into w (room for every word), returning the count. */
static size_t split_words(const char *t, word *w)
{
    size_t nw = 0;
    for (const char *p = t; *p;) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p > s)
            w[nw++] = (word){s, (size_t)(p - s)};
    }
    return nw;
}

au_rc au_norm_address_match_key(const char *const *keys, size_t nkeys, const char *postcode_key,
                                char **out)
{
    au_buf all, key;
    word *w = NULL;
    char pc[64];
    size_t pcn = 0;
    au_rc rc = AU_OK;
    au_buf_init(&all, 1 << 20);
    au_buf_init(&key, 1 << 20);
    for (const char *p = postcode_key ? postcode_key : ""; *p && pcn < sizeof(pc) - 1; p++)
        if (au_norm_isalnum((unsigned char)*p))
            pc[pcn++] = (char)au_norm_lower((unsigned char)*p);
    pc[pcn] = '\0';
    for (size_t i = 0; i < nkeys && !rc; i++)
        if (keys[i] && *keys[i] && !(rc = au_buf_puts(&all, keys[i])))
            rc = au_buf_putc(&all, ' ');
    if (rc || (rc = au_buf_putc(&all, ' ')))
        goto out;
    fold_words(all.data); /* a city key ("saint albans") is not folded when stored */
    if (!(w = au_malloc((all.len / 2 + 1) * sizeof(*w)))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t nw = split_words(all.data, w);
    drop_postcode(w, nw, pc, pcn);
    qsort(w, nw, sizeof(*w), word_cmp);
    for (size_t i = 0; i < nw && !rc; i++) {
        if (!w[i].n || (i && w[i - 1].n && !word_cmp(&w[i - 1], &w[i])))
            continue;
        if (key.len && (rc = au_buf_putc(&key, ' ')))
            break;
        rc = au_buf_append(&key, w[i].s, w[i].n);
    }
    if (!rc && !(rc = au_buf_putc(&key, '|')) && !(rc = au_buf_puts(&key, pc)))
        *out = au_buf_steal(&key);
out:
    au_free(w);
    au_buf_cleanup(&all);
    au_buf_cleanup(&key);
    return rc;
}
