/*
 * Countries to ISO 3166-1 alpha-2. The input is compared in key form (case-folded, accents and
 * punctuation gone), so "Côte d'Ivoire", "COTE D IVOIRE" and "cote divoire" need one alias
 * at most. Each entry lists the English name, the endonyms (also in their own script) and the
 * aliases people type ("UK", "England", "Holland", "U.S.A."); the alpha-2 and alpha-3 codes
 * match on their own. A name that matches nothing is compared with every name by edit distance,
 * and corrected only when one country is clearly closest.
 */
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

typedef struct country {
    const char *a2;    /* ISO 3166-1 alpha-2 */
    const char *a3;    /* ISO 3166-1 alpha-3 */
    const char *names; /* key-form names and aliases, '|'-separated */
} country;

static const country countries[] = {
    {"GB", "GBR",
     "united kingdom|uk|u k|great britain|britain|england|scotland|wales|northern ireland|gb|"
     "the united kingdom|cymru|alba|"
     "united kingdom of great britain and northern ireland"},
    {"IE", "IRL", "ireland|eire|republic of ireland|irland|irlande"},
    {"US", "USA",
     "united states|united states of america|usa|us|america|u s a|u s|vereinigte staaten|"
     "etats unis|estados unidos|the united states|the usa|united states america"},
    {"CA", "CAN", "canada|kanada"},
    {"AU", "AUS", "australia|australien|australie"},
    {"NZ", "NZL", "new zealand|aotearoa|neuseeland"},
    {"DE", "DEU",
     "germany|deutschland|allemagne|alemania|germania|brd|federal republic of germany"},
    {"FR", "FRA", "france|frankreich|francia"},
    {"NL", "NLD",
     "netherlands|the netherlands|holland|nederland|niederlande|pays bas|paises bajos"},
    {"BE", "BEL", "belgium|belgie|belgique|belgien|belgica"},
    {"LU", "LUX", "luxembourg|luxemburg"},
    {"ES", "ESP", "spain|espana|spanien|espagne|spagna"},
    {"IT", "ITA", "italy|italia|italien|italie"},
    {"PT", "PRT", "portugal"},
    {"SE", "SWE", "sweden|sverige|schweden|suede"},
    {"NO", "NOR", "norway|norge|noreg|norwegen|norvege"},
    {"DK", "DNK", "denmark|danmark|danemark|daenemark"},
    {"FI", "FIN", "finland|suomi|finnland|finlande"},
    {"IS", "ISL", "iceland|island"},
    {"CH", "CHE", "switzerland|schweiz|suisse|svizzera|svizra|confoederatio helvetica"},
    {"AT", "AUT", "austria|osterreich|oesterreich|autriche"},
    {"PL", "POL", "poland|polska|polen|pologne"},
    {"CZ", "CZE", "czech republic|czechia|cesko|ceska republika|tschechien|czech"},
    {"SK", "SVK", "slovakia|slovensko|slowakei"},
    {"HU", "HUN", "hungary|magyarorszag|ungarn"},
    {"RO", "ROU", "romania|rumanien|roumanie"},
    {"BG", "BGR", "bulgaria|balgariya"},
    {"GR", "GRC", "greece|hellas|ellada|griechenland|grece|ελλαδα"},
    {"HR", "HRV", "croatia|hrvatska|kroatien"},
    {"SI", "SVN", "slovenia|slovenija"},
    {"RS", "SRB", "serbia|srbija"},
    {"EE", "EST", "estonia|eesti"},
    {"LV", "LVA", "latvia|latvija"},
    {"LT", "LTU", "lithuania|lietuva"},
    {"UA", "UKR", "ukraine|ukraina|украина|україна"},
    {"RU", "RUS", "russia|russian federation|rossiya|russland|россия"},
    {"TR", "TUR", "turkey|turkiye|turkei|turquie"},
    {"CY", "CYP", "cyprus"},
    {"MT", "MLT", "malta"},
    {"IN", "IND", "india|bharat|indien|inde"},
    {"PK", "PAK", "pakistan"},
    {"BD", "BGD", "bangladesh"},
    {"LK", "LKA", "sri lanka"},
    {"CN", "CHN", "china|peoples republic of china|prc|zhongguo|中国"},
    {"HK", "HKG", "hong kong"},
    {"TW", "TWN", "taiwan"},
    {"JP", "JPN", "japan|nippon|nihon|japon|日本"},
    {"KR", "KOR", "south korea|korea|republic of korea|대한민국|hanguk"},
    {"SG", "SGP", "singapore"},
    {"MY", "MYS", "malaysia"},
    {"TH", "THA", "thailand"},
    {"VN", "VNM", "vietnam|viet nam"},
    {"PH", "PHL", "philippines"},
    {"ID", "IDN", "indonesia"},
    {"IL", "ISR", "israel"},
    {"AE", "ARE", "united arab emirates|uae|emirates"},
    {"SA", "SAU", "saudi arabia"},
    {"EG", "EGY", "egypt"},
    {"MA", "MAR", "morocco|maroc"},
    {"NG", "NGA", "nigeria"},
    {"KE", "KEN", "kenya"},
    {"GH", "GHA", "ghana"},
    {"ZA", "ZAF", "south africa|suid afrika|rsa"},
    {"BR", "BRA", "brazil|brasil|brasilien|bresil"},
    {"MX", "MEX", "mexico|mexiko|mexique|estados unidos mexicanos"},
    {"AR", "ARG", "argentina|argentinien"},
    {"CL", "CHL", "chile"},
    {"CO", "COL", "colombia|kolumbien"},
    {"PE", "PER", "peru"},
    {"VE", "VEN", "venezuela"},
    {"JM", "JAM", "jamaica"},
    {"GG", "GGY", "guernsey"},
    {"JE", "JEY", "jersey"},
    {"IM", "IMN", "isle of man"},
    {"CI", "CIV", "cote d ivoire|cote divoire|ivory coast"},
    {"LI", "LIE", "liechtenstein|furstentum liechtenstein"},
    {"MC", "MCO", "monaco"},
    {"AD", "AND", "andorra"},
    {"SM", "SMR", "san marino"},
    {"VA", "VAT", "vatican|vatican city|holy see"},
    {"AL", "ALB", "albania|shqiperia"},
    {"BA", "BIH", "bosnia and herzegovina|bosnia|bosna i hercegovina"},
    {"ME", "MNE", "montenegro|crna gora"},
    {"MK", "MKD", "north macedonia|macedonia"},
    {"XK", "XKX", "kosovo"},
    {"BY", "BLR", "belarus|byelorussia"},
    {"MD", "MDA", "moldova"},
    {"GE", "GEO", "georgia|sakartvelo"},
    {"AM", "ARM", "armenia"},
    {"AZ", "AZE", "azerbaijan"},
    {"KZ", "KAZ", "kazakhstan"},
    {"UZ", "UZB", "uzbekistan"},
    {"IR", "IRN", "iran"},
    {"IQ", "IRQ", "iraq"},
    {"JO", "JOR", "jordan"},
    {"LB", "LBN", "lebanon"},
    {"SY", "SYR", "syria"},
    {"KW", "KWT", "kuwait"},
    {"QA", "QAT", "qatar"},
    {"BH", "BHR", "bahrain"},
    {"OM", "OMN", "oman"},
    {"AF", "AFG", "afghanistan"},
    {"NP", "NPL", "nepal"},
    {"MM", "MMR", "myanmar|burma"},
    {"KH", "KHM", "cambodia"},
    {"MN", "MNG", "mongolia"},
    {"TN", "TUN", "tunisia|tunisie"},
    {"DZ", "DZA", "algeria|algerie"},
    {"ET", "ETH", "ethiopia"},
    {"TZ", "TZA", "tanzania"},
    {"UG", "UGA", "uganda"},
    {"SN", "SEN", "senegal"},
    {"CM", "CMR", "cameroon|cameroun"},
    {"ZW", "ZWE", "zimbabwe"},
    {"EC", "ECU", "ecuador"},
    {"BO", "BOL", "bolivia"},
    {"UY", "URY", "uruguay"},
    {"PY", "PRY", "paraguay"},
    {"CU", "CUB", "cuba"},
    {"DO", "DOM", "dominican republic|republica dominicana"},
    {"PR", "PRI", "puerto rico"},
    {"CR", "CRI", "costa rica"},
    {"PA", "PAN", "panama"},
    {"GT", "GTM", "guatemala"},
    {"TT", "TTO", "trinidad and tobago|trinidad"},
    {"GI", "GIB", "gibraltar"},
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

/* True when key equals one of the '|'-separated names. */
static int name_match(const char *names, const char *key, size_t kl)
{
    const char *p = names;
    for (;;) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == kl && !memcmp(p, key, kl))
            return 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}

static const country *lookup(const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < NCOUNTRIES; i++) {
        const country *c = &countries[i];
        if (kl == 2 && key[0] == (c->a2[0] | 32) && key[1] == (c->a2[1] | 32))
            return c;
        if (kl == 3 && key[0] == (c->a3[0] | 32) && key[1] == (c->a3[1] | 32) &&
            key[2] == (c->a3[2] | 32))
            return c;
        if (name_match(c->names, key, kl))
            return c;
    }
    return NULL;
}

/* Edit distance of a[0..la) and b[0..lb), a swap of two neighbours counting as one edit
 * ("Germnay"), giving up (returning max + 1) beyond max. Country names are short: anything
 * longer than 47 bytes is not compared. */
static size_t bounded_distance(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
    size_t rows[3][48];
    if (la > 47 || lb > 47 || (la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t row_min = cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t c = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < c)
                c = prev2[j - 2] + 1;
            cur[j] = c;
            row_min = c < row_min ? c : row_min;
        }
        if (row_min > max)
            return max + 1;
        size_t *t = prev2;
        prev2 = prev, prev = cur, cur = t;
    }
    return prev[lb];
}

/* The one country with a name within a small edit distance of key (1 for names of 4 to 7
 * letters, 2 from 8), for misspellings such as "Lichtenstein" or "Germnay". NULL when none is
 * that close or two countries are equally close: a wrong country is worse than a quarantined
 * one. Codes (2 or 3 letters) are never corrected. */
static const country *closest(const char *key)
{
    size_t kl = strlen(key);
    if (kl < 4)
        return NULL;
    size_t max = kl >= 8 ? 2 : 1, best = max + 1;
    const country *found = NULL;
    int tie = 0;
    for (size_t i = 0; i < NCOUNTRIES; i++) {
        for (const char *p = countries[i].names; p;) {
            const char *e = strchr(p, '|');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            size_t d = l >= 4 ? bounded_distance(key, kl, p, l, max) : max + 1;
            if (d < best) {
                best = d, found = &countries[i], tie = 0;
            } else if (d == best && found != &countries[i]) {
                tie = 1;
            }
            p = e ? e + 1 : NULL;
        }
    }
    return tie ? NULL : found;
}

au_rc au_norm_country_clean(const char *t, char **out, au_norm_why *why)
{
    char *key = NULL;
    au_rc rc = au_norm_key(t, &key);
    if (rc)
        return rc;
    const country *c = lookup(key);
    if (!c)
        c = closest(key);
    if (!c) {
        rc = au_norm_refuse(why, "unknown country '%.60s'", t);
        goto out;
    }
    char *o = au_strdup(c->a2);
    if (!o) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    *out = o;
out:
    au_free(key);
    return rc;
}

au_rc au_norm_country(const char *in, char **out, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_country_clean(t, out, why);
    au_free(t);
    return rc;
}
