/*
 * Person and place names: the display capitalisation of a name part, a city or a street, and
 * splitting / joining full names.
 *
 * Capitalisation only touches words written entirely in one case ("JOHN", "mcdonald"): a word in
 * mixed case ("MacDonald", "DeVito") was typed by someone who knew, and is kept, and so is a
 * capitalised word ("Van"), except that "Mcdonald" becomes "McDonald". When the value as a whole
 * shows deliberate casing (a word of two or more letters in both cases: "van der Berg"), its
 * all-lower words are kept too; its all-capital words are still re-cased ("John SMITH"). Words are
 * the letter runs between spaces, hyphens and apostrophes, so "anne-marie o'brien" becomes
 * "Anne-Marie O'Brien". "Mc" names get their third letter raised ("McDonald"); "Mac" names do
 * not, because Mack and Macy are more common than MacLeod written in one case. Nobiliary
 * particles (van, der, de, von...) stay lower-case except as the first word, which gives
 * "Van der Berg" as a surname on its own and "Jan van der Berg" in a full name.
 *
 * Splitting: "Last, First Middle" when there is a comma; "LAST First Middle" when the leading
 * words alone are in capitals (the surname-first convention of French and East Asian forms);
 * else "First Middle... Last"; leading
 * titles (Mr, Dr...) and trailing suffixes (Jr, PhD...) are dropped; particles before the last
 * word belong to the last name ("Ludwig van Beethoven"); a single word is taken as the last name,
 * because a source that writes one word in a full-name field is most often writing a surname
 * (and matching weighs the last name most). Initials lose their dot ("A." -> "A").
 *
 * Places (cities, address lines) are re-cased by the same rules with their own lower-case words
 * ("Newcastle upon Tyne", "Henley-on-Thames", "Rue de la Paix") and two more: letters touching
 * digits are unit letters, postcodes or ordinals ("12A", "LS1 4AP", "5th"), and "PO" and compass
 * points (NW, SE...) stay in capitals: "ST JOHN'S RD" -> "St John's Rd".
 */
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

static const char *const particles[] = {"van", "von", "der", "den", "de",  "del", "della",
                                        "di",  "da",  "du",  "des", "la",  "le",  "dos",
                                        "das", "ten", "ter", "zu",  "bin", "ibn", NULL};

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && !strncasecmp(list[i], s, n))
            return 1;
    return 0;
}

/* --- capitalisation ----------------------------------------------------------------------- */

static int cp_is_letter(int32_t c)
{
    if (c < 0x80)
        return (c | 32) >= 'a' && (c | 32) <= 'z';
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME);
}

static int32_t cp_lower(int32_t c)
{
    return c < 0x80 ? au_norm_lower(c) : utf8proc_tolower(c);
}

static int32_t cp_upper(int32_t c)
{
    return c < 0x80 ? au_norm_upper(c) : utf8proc_toupper(c);
}

static int is_mc(const char *ascii, size_t an, size_t n)
{
    return n > 2 && an >= 2 && (ascii[0] | 32) == 'm' && (ascii[1] | 32) == 'c';
}

/* Words that stay lower-case except as the first word, in places: particles and the linking
 * words of English, French and German place names ("Newcastle upon Tyne", "Henley-on-Thames",
 * "Barrow-in-Furness", "Ashby-de-la-Zouch", "Frankfurt am Main"). */
static const char *const place_lower[] = {
    "van", "von", "der", "den", "de",  "del",   "della", "di",    "da", "du", "des",
    "la",  "le",  "les", "aux", "sur", "sous",  "upon",  "on",    "in", "by", "the",
    "of",  "and", "am",  "im",  "an",  "super", "cum",   "under", NULL};
/* Words written in capitals in places: post office box and compass points. */
static const char *const place_upper[] = {"po", "nw", "ne", "sw", "se", NULL};

/* How a value is re-cased. */
typedef struct casing {
    const char *const *lower; /* words kept lower-case except as the first word */
    int place;                /* letters next to digits ("12a", "ls1", "5TH"), place_upper */
    int deliberate;           /* the value shows deliberate casing: all-lower words are kept */
} casing;

static int is_ordinal(const char *ascii, size_t an, size_t n)
{
    return n == 2 && an == 2 &&
           (in_list((const char *const[]){"st", "nd", "rd", "th", NULL}, ascii, 2));
}

/* Letters glued to digits in a place: unit letters and postcodes in capitals ("12A", "LS1 4AP"),
 * ordinal suffixes in lower case ("5th"). */
static void recase_glued(int32_t *w, size_t n, const char *ascii, size_t an, int digit_before,
                         int digit_after)
{
    int lower = digit_before && !digit_after && is_ordinal(ascii, an, n);
    for (size_t i = 0; i < n; i++)
        w[i] = lower ? cp_lower(w[i]) : cp_upper(w[i]);
}

/* Re-cases the word w[0..n) (code points) in place; `first` when it opens the value,
 * `after_apos` when it follows an apostrophe, digit_before/after when digits touch it. */
static void recase_word(int32_t *w, size_t n, const casing *cs, int first, int after_apos,
                        int digit_before, int digit_after)
{
    if (after_apos && n == 1) { /* "JOHN'S" */
        w[0] = cp_lower(w[0]);
        return;
    }
    int rest_lower = 0, rest_upper = 0;
    char ascii[8];
    size_t an = 0;
    for (size_t i = 0; i < n; i++) {
        if (an < sizeof(ascii) && w[i] < 0x80)
            ascii[an++] = (char)w[i];
        if (i == 0)
            continue;
        if (cp_lower(w[i]) != w[i])
            rest_upper = 1;
        if (cp_upper(w[i]) != w[i] && w[i] != 0xDF) /* ß is in upper-case words too */
            rest_lower = 1;
    }
    if (cs->place && (digit_before || digit_after)) {
        recase_glued(w, n, ascii, an, digit_before, digit_after);
        return;
    }
    int first_upper = cp_lower(w[0]) != w[0];
    if (rest_lower && rest_upper)
        return; /* mixed case ("MacDonald", "McDONALD"): typed deliberately */
    if (first_upper && !rest_upper) {
        /* Capitalised already: keep it ("Van" is how Belgians write it), except that "Mc" names
         * are almost never meant as "Mcdonald" */
        if (is_mc(ascii, an, n))
            w[2] = cp_upper(w[2]);
        return;
    }
    if (cs->deliberate && !first_upper)
        return; /* "van" in "van der Berg": whoever capitalised Berg wrote "van" on purpose */
    for (size_t i = 0; i < n; i++)
        w[i] = cp_lower(w[i]);
    if (!first && an == n && in_list(cs->lower, ascii, n))
        return; /* "van" */
    if (cs->place && an == n && in_list(place_upper, ascii, n)) {
        for (size_t i = 0; i < n; i++)
            w[i] = cp_upper(w[i]);
        return;
    }
    w[0] = cp_upper(w[0]);
    if (is_mc(ascii, an, n))
        w[2] = cp_upper(w[2]);
}

#define STACK_CPS 256

/* A word of two or more letters with both cases ("Berg", "MacDonald") shows that the writer
 * cased the value on purpose; "o'BRIEN" and "LEEDS" do not. */
static int shows_deliberate_case(const int32_t *w, size_t n)
{
    int up = 0, low = 0;
    for (size_t i = 0; i < n; i++) {
        up |= cp_lower(w[i]) != w[i];
        low |= cp_upper(w[i]) != w[i] && w[i] != 0xDF;
    }
    return n >= 2 && up && low;
}

static int cp_is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

/* Re-cases every letter run of cp[0..ncp) in place. */
static void recase(int32_t *cp, size_t ncp, casing *cs)
{
    /* letters glued to digits are forced to one case, so they say nothing (and would make a
     * second pass over the output differ from the first) */
    for (size_t i = 0, s; i < ncp && !cs->deliberate; i++) {
        for (s = i; i < ncp && cp_is_letter(cp[i]); i++)
            ;
        int glued =
            cs->place && ((s > 0 && cp_is_digit(cp[s - 1])) || (i < ncp && cp_is_digit(cp[i])));
        cs->deliberate = !glued && shows_deliberate_case(cp + s, i - s);
    }
    int first = 1;
    for (size_t i = 0; i < ncp;) {
        if (!cp_is_letter(cp[i])) {
            /* in a place, a comma or a house number starts a new name: "12 The Mall" */
            if (cs->place &&
                (cp[i] == ',' || (cp_is_digit(cp[i]) && (i + 1 == ncp || cp[i + 1] == ' '))))
                first = 1;
            i++;
            continue;
        }
        size_t s = i;
        while (i < ncp && cp_is_letter(cp[i]))
            i++;
        int after_apos = s > 0 && (cp[s - 1] == '\'' || cp[s - 1] == 0x2019);
        int digit_before = s > 0 && cp_is_digit(cp[s - 1]);
        int digit_after = i < ncp && cp_is_digit(cp[i]);
        recase_word(cp + s, i - s, cs, first, after_apos, digit_before, digit_after);
        first = 0;
    }
}

/* Decodes t, re-cases it with cs and encodes the result into *out. */
static au_rc clean_cased(const char *t, casing *cs, char **out)
{
    int32_t stackbuf[STACK_CPS], *cp = stackbuf;
    size_t n = strlen(t), ncp = 0;
    au_rc rc = AU_OK;
    if (n > STACK_CPS && !(cp = au_malloc(n * sizeof(*cp)))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n;) {
        utf8proc_ssize_t l =
            utf8proc_iterate((const uint8_t *)t + i, (utf8proc_ssize_t)(n - i), &cp[ncp]);
        if (l <= 0) {
            rc = AU_ERR_ENCODING;
            goto out;
        }
        i += (size_t)l;
        ncp++;
    }
    recase(cp, ncp, cs);
    /* case mapping can change encoded lengths (e.g. U+0250 -> U+2C6F: 2 -> 3 bytes) */
    size_t bytes = 0;
    for (size_t i = 0; i < ncp; i++)
        bytes += cp[i] < 0x80 ? 1 : cp[i] < 0x800 ? 2 : cp[i] < 0x10000 ? 3 : 4;
    char *o = au_malloc(bytes + 1);
    if (!o) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t w = 0;
    for (size_t i = 0; i < ncp; i++)
        w += (size_t)utf8proc_encode_char(cp[i], (uint8_t *)o + w);
    o[w] = '\0';
    *out = o;
out:
    if (cp != stackbuf)
        au_free(cp);
    return rc;
}

au_rc au_norm_name_clean(const char *t, char **out)
{
    casing cs = {particles, 0, 0};
    return clean_cased(t, &cs, out);
}

au_rc au_norm_place_clean(const char *t, char **out)
{
    casing cs = {place_lower, 1, 0};
    return clean_cased(t, &cs, out);
}

au_rc au_norm_place(const char *in, char **out)
{
    char *t = NULL;
    au_rc rc = au_norm_text(in, &t);
    if (!rc)
        rc = au_norm_place_clean(t, out);
    au_free(t);
    return rc;
}

au_rc au_norm_name(const char *in, char **out)
{
    char *t = NULL;
    au_rc rc = au_norm_text(in, &t);
    if (!rc)
        rc = au_norm_name_clean(t, out);
    au_free(t);
    return rc;
}

/* --- split and join ----------------------------------------------------------------------- */

static const char *const titles[] = {"mr",   "mrs",       "ms",  "miss",  "mx",   "dr",   "doctor",
                                     "prof", "professor", "sir", "dame",  "lady", "lord", "rev",
                                     "revd", "reverend",  "fr",  "herr",  "frau", "mme",  "mlle",
                                     "capt", "captain",   "col", "major", "sgt",  NULL};
static const char *const suffixes[] = {"jr",  "jnr", "junior", "sr", "snr", "senior", "ii",
                                       "iii", "iv",  "phd",    "md", "esq", "obe",    "mbe",
                                       "cbe", "kbe", "dds",    "qc", "kc",  "mp",     NULL};

typedef struct tok {
    const char *s; /* into the cleaned text */
    size_t n;
} tok;

/* Token length without trailing dots, for title/suffix look-up. */
static int tok_is(const tok *t, const char *const *list)
{
    size_t n = t->n;
    while (n && t->s[n - 1] == '.')
        n--;
    return n && in_list(list, t->s, n);
}

/* Splits s[0..n) at spaces into toks (capacity cap); returns the count. */
static size_t tokenize(const char *s, size_t n, tok *toks, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < n && k < cap) {
        while (i < n && s[i] == ' ')
            i++;
        if (i == n)
            break;
        size_t b = i;
        while (i < n && s[i] != ' ')
            i++;
        toks[k].s = s + b;
        toks[k].n = i - b;
        k++;
    }
    return k;
}

/* Copy of tokens [a, b) joined by spaces, initials without their dot; NULL-and-ok when a == b. */
static au_rc join_toks(const tok *toks, size_t a, size_t b, char **out)
{
    *out = NULL;
    if (a >= b)
        return AU_OK;
    size_t len = 0;
    for (size_t i = a; i < b; i++)
        len += toks[i].n + 1;
    char *o = au_malloc(len);
    if (!o)
        return AU_ERR_NOMEM;
    size_t w = 0;
    for (size_t i = a; i < b; i++) {
        size_t n = toks[i].n;
        if (n == 2 && toks[i].s[1] == '.')
            n = 1;
        if (w)
            o[w++] = ' ';
        memcpy(o + w, toks[i].s, n);
        w += n;
    }
    o[w] = '\0';
    *out = o;
    return AU_OK;
}

/* Drops leading titles and trailing suffixes from toks[*a, *b), keeping at least one token. */
static void trim_toks(const tok *toks, size_t *a, size_t *b)
{
    while (*b - *a > 1 && tok_is(&toks[*a], titles))
        (*a)++;
    while (*b - *a > 1 && tok_is(&toks[*b - 1], suffixes))
        (*b)--;
}

/* Letters in the token, or -1 when one of them is lower-case. */
static int caps_letters(const tok *t)
{
    int letters = 0;
    for (size_t i = 0; i < t->n;) {
        int32_t c;
        utf8proc_ssize_t l =
            utf8proc_iterate((const uint8_t *)t->s + i, (utf8proc_ssize_t)(t->n - i), &c);
        if (l <= 0)
            return -1;
        i += (size_t)l;
        if (!cp_is_letter(c))
            continue;
        if (cp_upper(c) != c && c != 0xDF)
            return -1;
        letters++;
    }
    return letters;
}

/* Length of the leading run of capitalised words in toks[a, b) when the surname-first
 * convention of French, Belgian and East Asian forms is used ("DUPONT Jean", "DE LA CRUZ
 * Maria"): the run is all capitals (words of 2+ letters), the rest is not. 0 otherwise, also
 * for a name written all in capitals, which carries no such signal. */
static size_t caps_run(const tok *toks, size_t a, size_t b)
{
    size_t k = a;
    while (k < b && caps_letters(&toks[k]) >= 2)
        k++;
    if (k == a || k == b)
        return 0;
    for (size_t i = k; i < b; i++)
        if (caps_letters(&toks[i]) >= 1) /* another capitalised word, or an initial first */
            return 0;
    return k - a;
}

#define MAX_TOKS 64

au_rc au_norm_name_split(const char *full, char **first, char **middle, char **last)
{
    char *t = NULL, *f = NULL, *m = NULL, *l = NULL;
    tok toks[MAX_TOKS];
    au_rc rc = au_norm_text(full, &t);
    if (rc)
        goto out;
    const char *comma = strchr(t, ',');
    if (comma) {
        /* "Smith, John A." / "Smith Jr, Dr John" / "Smith, John, PhD" */
        size_t nl = tokenize(t, (size_t)(comma - t), toks, MAX_TOKS), la = 0, lb = nl;
        if (nl)
            trim_toks(toks, &la, &lb);
        if ((rc = join_toks(toks, la, lb, &l)))
            goto out;
        const char *r = comma + 1, *r2 = strchr(r, ',');
        size_t rn = r2 ? (size_t)(r2 - r) : strlen(r);
        size_t nr = tokenize(r, rn, toks, MAX_TOKS), a = 0, b = nr;
        if (nr)
            trim_toks(toks, &a, &b);
        if ((rc = join_toks(toks, a, a + 1 < b ? a + 1 : b, &f)) ||
            (rc = join_toks(toks, a + 1, b, &m)))
            goto out;
    } else {
        size_t nt = tokenize(t, strlen(t), toks, MAX_TOKS), a = 0, b = nt;
        if (nt == 0)
            goto out;
        trim_toks(toks, &a, &b);
        if (b - a == 1) {
            rc = join_toks(toks, a, b, &l);
            goto out;
        }
        size_t cr = caps_run(toks, a, b);
        if (cr) {
            if (!(rc = join_toks(toks, a, a + cr, &l)) &&
                !(rc = join_toks(toks, a + cr, a + cr + 1, &f)))
                rc = join_toks(toks, a + cr + 1, b, &m);
            goto out;
        }
        size_t ls = b - 1; /* particles before the last word join the last name */
        while (ls > a + 1 && in_list(particles, toks[ls - 1].s, toks[ls - 1].n))
            ls--;
        if ((rc = join_toks(toks, a, a + 1, &f)) || (rc = join_toks(toks, a + 1, ls, &m)) ||
            (rc = join_toks(toks, ls, b, &l)))
            goto out;
    }
out:
    au_free(t);
    if (rc) {
        au_free(f);
        au_free(m);
        au_free(l);
        return rc;
    }
    if (first)
        *first = f;
    else
        au_free(f);
    if (middle)
        *middle = m;
    else
        au_free(m);
    if (last)
        *last = l;
    else
        au_free(l);
    return AU_OK;
}

char *au_norm_name_join(const char *first, const char *middle, const char *last)
{
    const char *parts[3] = {first, middle, last};
    size_t len = 1;
    for (int i = 0; i < 3; i++)
        if (parts[i])
            len += strlen(parts[i]) + 1;
    char *o = au_malloc(len);
    if (!o)
        return NULL;
    size_t w = 0;
    for (int i = 0; i < 3; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        size_t n = strlen(parts[i]);
        if (w)
            o[w++] = ' ';
        memcpy(o + w, parts[i], n);
        w += n;
    }
    o[w] = '\0';
    return o;
}
