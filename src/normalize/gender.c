/*
 * Gender to one of "male", "female", "other"; "unknown" and friends mean absent (AU_OK with a
 * NULL value) because a source saying it does not know is not a fact about the customer.
 * Words are compared in key form, so "Mr.", "MALE" and "Männlich" need no extra entries. The
 * ISO/IEC 5218 digits (1 male, 2 female, 0 not known, 9 not applicable) are accepted too.
 */
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

typedef struct gender_word {
    const char *word;  /* key form */
    const char *value; /* canonical value, NULL = absent */
} gender_word;

static const gender_word words[] = {
    {"m", "male"},
    {"male", "male"},
    {"man", "male"},
    {"mr", "male"},
    {"masculine", "male"},
    {"boy", "male"},
    {"h", "male"},
    {"homme", "male"},
    {"mannlich", "male"},
    {"herr", "male"},
    {"hombre", "male"},
    {"masculino", "male"},
    {"f", "female"},
    {"female", "female"},
    {"woman", "female"},
    {"mrs", "female"},
    {"ms", "female"},
    {"miss", "female"},
    {"feminine", "female"},
    {"girl", "female"},
    {"w", "female"},
    {"weiblich", "female"},
    {"frau", "female"},
    {"femme", "female"},
    {"mujer", "female"},
    {"femenino", "female"},
    {"x", "other"},
    {"other", "other"},
    {"non binary", "other"},
    {"nonbinary", "other"},
    {"diverse", "other"},
    {"divers", "other"},
    {"d", "other"},
    {"nb", "other"},
    {"o", "other"},
    {"mx", "other"},
    {"u", NULL},
    {"unknown", NULL},
    {"unk", NULL},
    {"n a", NULL},
    {"na", NULL},
    {"not known", NULL},
    {"not specified", NULL},
    {"prefer not to say", NULL},
    {"unspecified", NULL},
    {"", NULL},
    /* ISO/IEC 5218 codes, used by public-sector and HR systems */
    {"1", "male"},
    {"2", "female"},
    {"0", NULL},
    {"9", NULL},
};

au_rc au_norm_gender_clean(const char *t, char **out, au_norm_why *why)
{
    char *key = NULL;
    au_rc rc = au_norm_key(t, &key);
    if (rc)
        return rc;
    size_t i;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(words[i].word, key))
            break;
    if (i == sizeof(words) / sizeof(words[0])) {
        rc = au_norm_refuse(why, "unknown gender '%.40s'", t);
        goto out;
    }
    char *o = NULL;
    if (words[i].value && !(o = au_strdup(words[i].value))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    *out = o;
out:
    au_free(key);
    return rc;
}

au_rc au_norm_gender(const char *in, char **out, au_norm_why *why)
{
    char *t = NULL;
    au_rc rc = au_norm_prepare(in, &t, why);
    if (!rc)
        rc = au_norm_gender_clean(t, out, why);
    au_free(t);
    return rc;
}
