/*
 * Comparators for identity resolution. Double Metaphone is written here from Lawrence Philips'
 * published description of the algorithm (C/C++ Users Journal, June 2000): the rules are
 * applied letter by letter with look-around, producing a primary and an alternate code.
 */
#include "resolve/compare.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAXS 64

double au_cmp_jaro_winkler(const char *a, const char *b)
{
    size_t la = strnlen(a, MAXS), lb = strnlen(b, MAXS);
    if (la == 0 && lb == 0)
        return 1.0;
    if (la == 0 || lb == 0)
        return 0.0;
    size_t window = (la > lb ? la : lb) / 2;
    window = window > 0 ? window - 1 : 0;
    /* Matched positions as bit sets: strings are at most MAXS (64) bytes here. pos[c] holds
     * the positions of byte c in b, so the first unmatched equal byte within the window is
     * the lowest bit of one AND (set for b's bytes only, and cleared again after). */
    uint64_t ma = 0, mb = 0, pos[256];
    size_t matches = 0;
    for (size_t j = 0; j < lb; j++)
        pos[(unsigned char)b[j]] = 0;
    for (size_t i = 0; i < la; i++)
        pos[(unsigned char)a[i]] = 0;
    for (size_t j = 0; j < lb; j++)
        pos[(unsigned char)b[j]] |= 1ull << j;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < lb ? i + window + 1 : lb;
        if (lo >= hi)
            continue;
        uint64_t range = (hi - lo >= 64 ? ~0ull : ((1ull << (hi - lo)) - 1)) << lo;
        uint64_t avail = pos[(unsigned char)a[i]] & ~mb & range;
        if (avail) {
            ma |= 1ull << i;
            mb |= avail & (~avail + 1);
            matches++;
        }
    }
    if (matches == 0)
        return 0.0;
    size_t trans = 0;
    uint64_t rb = mb;
    for (size_t i = 0; i < la; i++) {
        if (!(ma >> i & 1))
            continue;
        int k = __builtin_ctzll(rb);
        rb &= rb - 1;
        if (a[i] != b[k])
            trans++;
    }
    double m = (double)matches;
    double j = (m / la + m / lb + (m - trans / 2.0) / m) / 3.0;
    if (j <= 0.7)
        return j;
    size_t pre = 0;
    while (pre < 4 && pre < la && pre < lb && a[pre] == b[pre])
        pre++;
    return j + pre * 0.1 * (1.0 - j);
}

int au_cmp_damerau_levenshtein(const char *a, const char *b, int max)
{
    int la = (int)strnlen(a, MAXS - 1), lb = (int)strnlen(b, MAXS - 1);
    if (abs(la - lb) > max)
        return max + 1;
    /* Three rolling rows of the optimal-string-alignment table, each computed only within
     * max of the diagonal: a cell further out costs more than max edits, so it is held at
     * max + 1 (which is also what any value past the bound is reported as). */
    const int inf = max + 1;
    int rows[3][MAXS + 1];
    int *pp = rows[0], *p = rows[1], *c = rows[2];
    for (int j = 0; j <= lb; j++)
        p[j] = j <= max ? j : inf;
    for (int i = 1; i <= la; i++) {
        int lo = i - max > 1 ? i - max : 1, hi = i + max < lb ? i + max : lb;
        c[0] = i <= max ? i : inf;
        c[lo - 1] = lo > 1 ? inf : c[0];
        int rowmin = c[lo - 1];
        for (int j = lo; j <= hi; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = p[j - 1] + cost;
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (hi < lb)
            c[hi + 1] = inf;
        if (rowmin > max)
            return max + 1;
        int *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb] > max ? max + 1 : p[lb];
}

unsigned long long au_cmp_sig(const char *s)
{
    unsigned long long sig = 0;
    size_t n = strnlen(s, AU_CMP_SIG_MAXLEN + 1);
    if (n == 0 || n > AU_CMP_SIG_MAXLEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        sig += 1ull << (((unsigned char)s[i] & 7) * 8);
    return sig;
}

/* Sum of |a_i - b_i| over the 8 byte counts (psadbw on x86-64). */
static int sad8(unsigned long long a, unsigned long long b)
{
#if defined(__SSE2__)
    __m128i x = _mm_cvtsi64_si128((long long)a), y = _mm_cvtsi64_si128((long long)b);
    return _mm_cvtsi128_si32(_mm_sad_epu8(x, y));
#else
    int d = 0;
    for (int i = 0; i < 8; i++) {
        int x = (int)(a >> (i * 8) & 0xff) - (int)(b >> (i * 8) & 0xff);
        d += x < 0 ? -x : x;
    }
    return d;
#endif
}

int au_cmp_sig_l1(unsigned long long a, unsigned long long b)
{
    return sad8(a, b);
}

double au_cmp_sig_jw_max(unsigned long long a, unsigned long long b)
{
    /* Matched characters pair equal bytes, so they are at most the common counts per class
     * (sum of min = (la + lb - L1) / 2); transpositions only lower Jaro, and the Winkler
     * prefix adds at most 0.4 (1 - j). Counts sum to at most 62, so one multiply adds them. */
    int la = (int)((a * 0x0101010101010101ull) >> 56),
        lb = (int)((b * 0x0101010101010101ull) >> 56);
    int m = (la + lb - sad8(a, b)) / 2;
    if (m == 0)
        return 0.0;
    double j = ((double)m / la + (double)m / lb + 1.0) / 3.0;
    return j + 0.4 * (1.0 - j);
}

/* ---- Double Metaphone ------------------------------------------------------------------ */

typedef struct dm {
    char w[MAXS + 8]; /* upper-case letters of the input, padded with NULs */
    int len, last, maxlen;
    char p[AU_DMETA_MAX + 1], a[AU_DMETA_MAX + 1];
    int pl, al;
} dm;

static char at(const dm *d, int i)
{
    return i >= 0 && i < d->len ? d->w[i] : '\0';
}

/* 1 when one of the NULL-terminated candidate strings occurs at position i. */
static int is_at(const dm *d, int i, const char *const *cands)
{
    if (i < 0)
        return 0;
    for (; *cands; cands++) {
        int n = (int)strlen(*cands);
        if (i + n <= d->len && memcmp(d->w + i, *cands, (size_t)n) == 0)
            return 1;
    }
    return 0;
}
#define AT(d, i, ...) is_at(d, i, (const char *const[]){__VA_ARGS__, NULL})

static int vowel(const dm *d, int i)
{
    char c = at(d, i);
    return c && strchr("AEIOUY", c) != NULL;
}

static void add2(dm *d, const char *prim, const char *alt)
{
    for (; *prim && d->pl < d->maxlen; prim++)
        d->p[d->pl++] = *prim;
    for (; *alt && d->al < d->maxlen; alt++)
        d->a[d->al++] = *alt;
}

static void add(dm *d, const char *s)
{
    add2(d, s, s);
}

static int slavo_germanic(const dm *d)
{
    return strchr(d->w, 'W') || strchr(d->w, 'K') || strstr(d->w, "CZ") || strstr(d->w, "WITZ");
}

static int germanic_start(const dm *d)
{
    return AT(d, 0, "VAN ", "VON ", "SCH");
}

static int do_c(dm *d, int i)
{
    if (i > 1 && !vowel(d, i - 2) && AT(d, i - 1, "ACH") && at(d, i + 2) != 'I' &&
        (at(d, i + 2) != 'E' || AT(d, i - 2, "BACHER", "MACHER"))) {
        add(d, "K");
        return 2;
    }
    if (i == 0 && AT(d, i, "CAESAR")) {
        add(d, "S");
        return 2;
    }
    if (AT(d, i, "CHIA")) {
        add(d, "K");
        return 2;
    }
    if (AT(d, i, "CH")) {
        if (i > 0 && AT(d, i, "CHAE")) {
            add2(d, "K", "X");
            return 2;
        }
        if (i == 0 &&
            (AT(d, i + 1, "HARAC", "HARIS") || AT(d, i + 1, "HOR", "HYM", "HIA", "HEM")) &&
            !AT(d, 0, "CHORE")) {
            add(d, "K");
            return 2;
        }
        if (germanic_start(d) || AT(d, i - 2, "ORCHES", "ARCHIT", "ORCHID") ||
            AT(d, i + 2, "T", "S") ||
            ((AT(d, i - 1, "A", "O", "U", "E") || i == 0) &&
             (AT(d, i + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W") || i + 2 >= d->len))) {
            add(d, "K");
        } else if (i > 0) {
            if (AT(d, 0, "MC"))
                add(d, "K");
            else
                add2(d, "X", "K");
        } else {
            add(d, "X");
        }
        return 2;
    }
    if (AT(d, i, "CZ") && !AT(d, i - 2, "WICZ")) {
        add2(d, "S", "X");
        return 2;
    }
    if (AT(d, i + 1, "CIA")) {
        add(d, "X");
        return 3;
    }
    if (AT(d, i, "CC") && !(i == 1 && at(d, 0) == 'M')) {
        if (AT(d, i + 2, "I", "E", "H") && !AT(d, i + 2, "HU")) {
            if ((i == 1 && at(d, i - 1) == 'A') || AT(d, i - 1, "UCCEE", "UCCES"))
                add(d, "KS");
            else
                add(d, "X");
            return 3;
        }
        add(d, "K");
        return 2;
    }
    if (AT(d, i, "CK", "CG", "CQ")) {
        add(d, "K");
        return 2;
    }
    if (AT(d, i, "CI", "CE", "CY")) {
        if (AT(d, i, "CIO", "CIE", "CIA"))
            add2(d, "S", "X");
        else
            add(d, "S");
        return 2;
    }
    add(d, "K");
    if (AT(d, i + 1, "C", "K", "Q") && !AT(d, i + 1, "CE", "CI"))
        return 2;
    return 1;
}

static int do_g(dm *d, int i, int slavo)
{
    char n = at(d, i + 1);
    if (n == 'H') {
        if (i > 0 && !vowel(d, i - 1)) {
            add(d, "K");
            return 2;
        }
        if (i == 0) {
            add(d, at(d, i + 2) == 'I' ? "J" : "K");
            return 2;
        }
        if ((i > 1 && AT(d, i - 2, "B", "H", "D")) || (i > 2 && AT(d, i - 3, "B", "H", "D")) ||
            (i > 3 && AT(d, i - 4, "B", "H")))
            return 2;
        if (i > 2 && at(d, i - 1) == 'U' && AT(d, i - 3, "C", "G", "L", "R", "T"))
            add(d, "F");
        else if (i > 0 && at(d, i - 1) != 'I')
            add(d, "K");
        return 2;
    }
    if (n == 'N') {
        if (i == 1 && vowel(d, 0) && !slavo)
            add2(d, "KN", "N");
        else if (!AT(d, i + 2, "EY") && at(d, i + 1) != 'Y' && !slavo)
            add2(d, "N", "KN");
        else
            add(d, "KN");
        return 2;
    }
    if (AT(d, i + 1, "LI") && !slavo) {
        add2(d, "KL", "L");
        return 2;
    }
    if (i == 0 && (n == 'Y' || AT(d, i + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE",
                                  "EI", "ER"))) {
        add2(d, "K", "J");
        return 2;
    }
    if ((AT(d, i + 1, "ER") || n == 'Y') && !AT(d, 0, "DANGER", "RANGER", "MANGER") &&
        !AT(d, i - 1, "E", "I") && !AT(d, i - 1, "RGY", "OGY")) {
        add2(d, "K", "J");
        return 2;
    }
    if (AT(d, i + 1, "E", "I", "Y") || AT(d, i - 1, "AGGI", "OGGI")) {
        if (germanic_start(d) || AT(d, i + 1, "ET"))
            add(d, "K");
        else if (AT(d, i + 1, "IER") && i + 3 >= d->len)
            add(d, "J");
        else
            add2(d, "J", "K");
        return 2;
    }
    add(d, "K");
    return n == 'G' ? 2 : 1;
}

static int do_j(dm *d, int i, int slavo)
{
    if (AT(d, i, "JOSE") || AT(d, 0, "SAN ")) {
        if ((i == 0 && i + 4 >= d->len) || AT(d, 0, "SAN "))
            add(d, "H");
        else
            add2(d, "J", "H");
        return 1;
    }
    if (i == 0)
        add2(d, "J", "A");
    else if (vowel(d, i - 1) && !slavo && (at(d, i + 1) == 'A' || at(d, i + 1) == 'O'))
        add2(d, "J", "H");
    else if (i == d->last)
        add2(d, "J", "");
    else if (!AT(d, i + 1, "L", "T", "K", "S", "N", "M", "B", "Z") && !AT(d, i - 1, "S", "K", "L"))
        add(d, "J");
    return at(d, i + 1) == 'J' ? 2 : 1;
}

static int do_l(dm *d, int i)
{
    if (at(d, i + 1) == 'L') {
        if ((i == d->len - 3 && AT(d, i - 1, "ILLO", "ILLA", "ALLE")) ||
            ((AT(d, d->last - 1, "AS", "OS") || AT(d, d->last, "A", "O")) &&
             AT(d, i - 1, "ALLE"))) {
            add2(d, "L", "");
            return 2;
        }
        add(d, "L");
        return 2;
    }
    add(d, "L");
    return 1;
}

static int do_s(dm *d, int i, int slavo)
{
    if (AT(d, i - 1, "ISL", "YSL"))
        return 1;
    if (i == 0 && AT(d, i, "SUGAR")) {
        add2(d, "X", "S");
        return 1;
    }
    if (AT(d, i, "SH")) {
        if (AT(d, i + 1, "HEIM", "HOEK", "HOLM", "HOLZ"))
            add(d, "S");
        else
            add(d, "X");
        return 2;
    }
    if (AT(d, i, "SIO", "SIA")) {
        if (slavo)
            add(d, "S");
        else
            add2(d, "S", "X");
        return 3;
    }
    if ((i == 0 && AT(d, i + 1, "M", "N", "L", "W")) || at(d, i + 1) == 'Z') {
        add2(d, "S", "X");
        return at(d, i + 1) == 'Z' ? 2 : 1;
    }
    if (AT(d, i, "SC")) {
        if (at(d, i + 2) == 'H') {
            if (AT(d, i + 3, "OO", "ER", "EN", "UY", "ED", "EM")) {
                if (AT(d, i + 3, "ER", "EN"))
                    add2(d, "X", "SK");
                else
                    add(d, "SK");
                return 3;
            }
            if (i == 0 && !vowel(d, 3) && at(d, 3) != 'W')
                add2(d, "X", "S");
            else
                add(d, "X");
            return 3;
        }
        if (AT(d, i + 2, "I", "E", "Y"))
            add(d, "S");
        else
            add(d, "SK");
        return 3;
    }
    if (i == d->last && AT(d, i - 2, "AI", "OI"))
        add2(d, "", "S");
    else
        add(d, "S");
    return AT(d, i + 1, "S", "Z") ? 2 : 1;
}

static int do_t(dm *d, int i)
{
    if (AT(d, i, "TION", "TIA", "TCH")) {
        add(d, "X");
        return 3;
    }
    if (AT(d, i, "TH", "TTH")) {
        if (AT(d, i + 2, "OM", "AM") || germanic_start(d))
            add(d, "T");
        else
            add2(d, "0", "T");
        return 2;
    }
    add(d, "T");
    return AT(d, i + 1, "T", "D") ? 2 : 1;
}

static int do_w(dm *d, int i)
{
    if (AT(d, i, "WR")) {
        add(d, "R");
        return 2;
    }
    if (i == 0 && (vowel(d, i + 1) || AT(d, i, "WH"))) {
        if (vowel(d, i + 1))
            add2(d, "A", "F");
        else
            add(d, "A");
    }
    if ((i == d->last && vowel(d, i - 1)) || AT(d, i - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") ||
        AT(d, 0, "SCH")) {
        add2(d, "", "F");
        return 1;
    }
    if (AT(d, i, "WICZ", "WITZ")) {
        add2(d, "TS", "FX");
        return 4;
    }
    return 1;
}

static int do_rest(dm *d, int i, int slavo)
{
    char c = d->w[i], n = at(d, i + 1);
    switch (c) {
    case 'B':
        add(d, "P");
        return n == 'B' ? 2 : 1;
    case 'D':
        if (AT(d, i, "DG")) {
            if (AT(d, i + 2, "I", "E", "Y")) {
                add(d, "J");
                return 3;
            }
            add(d, "TK");
            return 2;
        }
        add(d, "T");
        return AT(d, i, "DT", "DD") ? 2 : 1;
    case 'F':
    case 'K':
    case 'N':
        add(d, (char[]){c, 0});
        return n == c ? 2 : 1;
    case 'H':
        if ((i == 0 || vowel(d, i - 1)) && vowel(d, i + 1)) {
            add(d, "H");
            return 2;
        }
        return 1;
    case 'M':
        add(d, "M");
        return ((AT(d, i - 1, "UMB") && (i + 1 == d->last || AT(d, i + 2, "ER"))) || n == 'M') ? 2
                                                                                               : 1;
    case 'P':
        if (n == 'H') {
            add(d, "F");
            return 2;
        }
        add(d, "P");
        return (n == 'P' || n == 'B') ? 2 : 1;
    case 'Q':
        add(d, "K");
        return n == 'Q' ? 2 : 1;
    case 'R':
        if (i == d->last && !slavo && AT(d, i - 2, "IE") && !AT(d, i - 4, "ME", "MA"))
            add2(d, "", "R");
        else
            add(d, "R");
        return n == 'R' ? 2 : 1;
    case 'V':
        add(d, "F");
        return n == 'V' ? 2 : 1;
    case 'X':
        if (!(i == d->last && (AT(d, i - 3, "IAU", "EAU") || AT(d, i - 2, "AU", "OU"))))
            add(d, "KS");
        return (n == 'C' || n == 'X') ? 2 : 1;
    case 'Z':
        if (n == 'H') {
            add(d, "J");
            return 2;
        }
        if (AT(d, i + 1, "ZO", "ZI", "ZA") || (slavo && i > 0 && at(d, i - 1) != 'T'))
            add2(d, "S", "TS");
        else
            add(d, "S");
        return n == 'Z' ? 2 : 1;
    default:
        return 1;
    }
}

void au_cmp_double_metaphone(const char *s, int maxlen, char *primary, char *alternate)
{
    dm d;
    memset(&d, 0, sizeof d);
    d.maxlen = maxlen > AU_DMETA_MAX ? AU_DMETA_MAX : maxlen;
    for (; *s && d.len < MAXS; s++) {
        char c = *s;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c >= 'A' && c <= 'Z')
            d.w[d.len++] = c;
    }
    d.last = d.len - 1;
    int slavo = slavo_germanic(&d);
    int i = 0;
    if (AT(&d, 0, "GN", "KN", "PN", "WR", "PS"))
        i = 1;
    if (at(&d, 0) == 'X') {
        add(&d, "S");
        i = 1;
    }
    while (i < d.len && (d.pl < d.maxlen || d.al < d.maxlen)) {
        char c = d.w[i];
        if (strchr("AEIOUY", c)) {
            if (i == 0)
                add(&d, "A");
            i++;
            continue;
        }
        switch (c) {
        case 'C':
            i += do_c(&d, i);
            break;
        case 'G':
            i += do_g(&d, i, slavo);
            break;
        case 'J':
            i += do_j(&d, i, slavo);
            break;
        case 'L':
            i += do_l(&d, i);
            break;
        case 'S':
            i += do_s(&d, i, slavo);
            break;
        case 'T':
            i += do_t(&d, i);
            break;
        case 'W':
            i += do_w(&d, i);
            break;
        default:
            i += do_rest(&d, i, slavo);
        }
    }
    memcpy(primary, d.p, (size_t)d.pl + 1);
    memcpy(alternate, d.a, (size_t)d.al + 1);
}

/* ---- dates ----------------------------------------------------------------------------- */

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int au_cmp_date_parse(const char *s, au_date_parts *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return 0;
    size_t n = strlen(s);
    int y, m, d;
    if (n >= 10 && s[4] == '-' && s[7] == '-') {
        y = digits(s, 4);
        m = digits(s + 5, 2);
        d = digits(s + 8, 2);
    } else if (n == 8) {
        y = digits(s, 4);
        m = digits(s + 4, 2);
        d = digits(s + 6, 2);
    } else {
        return 0;
    }
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    out->y = (short)y;
    out->m = (signed char)m;
    out->d = (signed char)d;
    return 1;
}

au_date_level au_cmp_date(au_date_parts a, au_date_parts b)
{
    if (!a.y || !b.y)
        return AU_DATE_MISSING;
    int ey = a.y == b.y, em = a.m == b.m, ed = a.d == b.d;
    if (ey && em && ed)
        return AU_DATE_EQUAL;
    if (ey && a.m == b.d && a.d == b.m)
        return AU_DATE_DM_SWAPPED;
    if (em && ed && abs(a.y - b.y) == 1)
        return AU_DATE_YEAR_OFF1;
    if (ey + em + ed == 2)
        return AU_DATE_ONE_PART;
    return AU_DATE_DIFFERENT;
}

int au_cmp_initial(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int ia = la == 1 || (la == 2 && a[1] == '.');
    int ib = lb == 1 || (lb == 2 && b[1] == '.');
    if (!la || !lb || (!ia && !ib))
        return 0;
    return a[0] == b[0];
}
