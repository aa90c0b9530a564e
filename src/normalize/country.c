/*
 * Countries to ISO 3166-1 alpha-2. The input is compared in key form (case-folded, accents and
 * punctuation gone), so "Côte d'Ivoire", "COTE D IVOIRE" and "cote divoire" need one alias
 * at most. Each entry lists the English name, the endonym and the aliases people type; the
 * alpha-2 and alpha-3 codes match on their own.
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
     "united kingdom|uk|great britain|britain|england|scotland|wales|northern ireland|"
     "united kingdom of great britain and northern ireland"},
    {"IE", "IRL", "ireland|eire|republic of ireland|irland|irlande"},
    {"US", "USA",
     "united states|united states of america|usa|us|america|u s a|u s|vereinigte staaten|"
     "etats unis|estados unidos"},
    {"CA", "CAN", "canada|kanada"},
    {"AU", "AUS", "australia|australien|australie"},
    {"NZ", "NZL", "new zealand|aotearoa|neuseeland"},
    {"DE", "DEU",
     "germany|deutschland|allemagne|alemania|germania|brd|federal republic of germany"},
    {"FR", "FRA", "france|frankreich|francia"},
    {"NL", "NLD", "netherlands|the netherlands|holland|nederland|niederlande|pays bas"},
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
    {"CH", "CHE", "switzerland|schweiz|suisse|svizzera|confoederatio helvetica"},
    {"AT", "AUT", "austria|osterreich|oesterreich|autriche"},
    {"PL", "POL", "poland|polska|polen|pologne"},
    {"CZ", "CZE", "czech republic|czechia|cesko|ceska republika|tschechien"},
    {"SK", "SVK", "slovakia|slovensko|slowakei"},
    {"HU", "HUN", "hungary|magyarorszag|ungarn"},
    {"RO", "ROU", "romania|rumanien|roumanie"},
    {"BG", "BGR", "bulgaria|balgariya"},
    {"GR", "GRC", "greece|hellas|ellada|griechenland|grece"},
    {"HR", "HRV", "croatia|hrvatska|kroatien"},
    {"SI", "SVN", "slovenia|slovenija"},
    {"RS", "SRB", "serbia|srbija"},
    {"EE", "EST", "estonia|eesti"},
    {"LV", "LVA", "latvia|latvija"},
    {"LT", "LTU", "lithuania|lietuva"},
    {"UA", "UKR", "ukraine|ukraina"},
    {"RU", "RUS", "russia|russian federation|rossiya|russland"},
    {"TR", "TUR", "turkey|turkiye|turkei"},
    {"CY", "CYP", "cyprus"},
    {"MT", "MLT", "malta"},
    {"IN", "IND", "india|bharat|indien|inde"},
    {"PK", "PAK", "pakistan"},
    {"BD", "BGD", "bangladesh"},
    {"LK", "LKA", "sri lanka"},
    {"CN", "CHN", "china|peoples republic of china|prc|zhongguo"},
    {"HK", "HKG", "hong kong"},
    {"TW", "TWN", "taiwan"},
    {"JP", "JPN", "japan|nippon|nihon|japon"},
    {"KR", "KOR", "south korea|korea|republic of korea"},
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
    {"ZA", "ZAF", "south africa|suid afrika"},
    {"BR", "BRA", "brazil|brasil|brasilien"},
    {"MX", "MEX", "mexico|mexiko|estados unidos mexicanos"},
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

au_rc au_norm_country_clean(const char *t, char **out, au_norm_why *why)
{
    char *key = NULL;
    au_rc rc = au_norm_key(t, &key);
    if (rc)
        return rc;
    const country *c = lookup(key);
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
