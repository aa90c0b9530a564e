/*
 * au_norm_value: the one entry point import and the API use, dispatching on the attribute's
 * kind. The raw text is cleaned once (au_norm_text) and the typed parsers work on the cleaned
 * text; input that cleans to nothing (white space, or punctuation only, whose key is empty) is
 * "absent", not an error: the raw text is still returned for lineage. Also the date-format names
 * used in source mappings.
 */
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "normalize/normalize_int.h"

static const struct {
    au_date_format f;
    const char *name;
} date_formats[] = {
    {AU_DATE_AUTO, "auto"}, {AU_DATE_YYYYMMDD, "YYYYMMDD"}, {AU_DATE_ISO, "YYYY-MM-DD"},
    {AU_DATE_DMY, "DMY"},   {AU_DATE_MDY, "MDY"},
};
#define NFORMATS (sizeof(date_formats) / sizeof(date_formats[0]))

int au_date_format_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < NFORMATS; i++)
        if (!strcasecmp(name, date_formats[i].name))
            return (int)date_formats[i].f;
    /* spellings people write in mappings */
    if (!strcasecmp(name, "iso") || !strcasecmp(name, "iso8601"))
        return AU_DATE_ISO;
    if (!strcasecmp(name, "DD/MM/YYYY") || !strcasecmp(name, "D/M/Y"))
        return AU_DATE_DMY;
    if (!strcasecmp(name, "MM/DD/YYYY") || !strcasecmp(name, "M/D/Y"))
        return AU_DATE_MDY;
    return -1;
}

const char *au_date_format_name(au_date_format f)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (date_formats[i].f == f)
            return date_formats[i].name;
    return "unknown";
}

/* Upper-case letters and digits of t; NULL on allocation failure. */
static char *id_key(const char *t)
{
    char *k = au_malloc(strlen(t) + 1);
    if (!k)
        return NULL;
    size_t j = 0;
    for (const char *p = t; *p; p++)
        if (au_norm_isalnum((unsigned char)*p))
            k[j++] = (char)au_norm_upper((unsigned char)*p);
    k[j] = '\0';
    return k;
}

/* Letters and digits of a cleaned postcode. */
static char *postcode_key(const char *v)
{
    return id_key(v);
}

/* Fills *value and *key from the cleaned, non-empty text *tp. Kinds whose value is the cleaned
 * text itself take it over (*tp set to NULL) instead of copying it. */
static au_rc typed(au_attr_kind kind, char **tp, const au_norm_opts *o, char **value, char **key,
                   au_norm_why *why)
{
    const char *t = *tp;
    au_rc rc = AU_OK;
    const char *country = o ? o->country : "";
    switch (kind) {
    case AU_KIND_NAME:
        if (!(rc = au_norm_name_clean(t, value)))
            rc = au_norm_key(t, key);
        return rc;
    case AU_KIND_TEXT:
        if ((rc = au_norm_key(t, key)))
            return rc;
        *value = *tp, *tp = NULL;
        return AU_OK;
    case AU_KIND_PLACE:
        if (!(rc = au_norm_place_clean(t, value)))
            rc = au_norm_key(t, key);
        return rc;
    case AU_KIND_ADDRESS:
        if (!(rc = au_norm_place_clean(t, value)))
            rc = au_norm_address_clean(t, key);
        return rc;
    case AU_KIND_EMAIL:
        return au_norm_email_clean(t, value, key, why);
    case AU_KIND_PHONE:
        rc = au_norm_phone_clean(t, country, value, why);
        break;
    case AU_KIND_DATE:
        rc = au_norm_date_clean(t, o ? o->date_format : AU_DATE_AUTO, value, why);
        break;
    case AU_KIND_POSTCODE:
        if ((rc = au_norm_postcode_clean(t, country, value, why)))
            return rc;
        return (*key = postcode_key(*value)) ? AU_OK : AU_ERR_NOMEM;
    case AU_KIND_COUNTRY:
        rc = au_norm_country_clean(t, value, why);
        break;
    case AU_KIND_GENDER:
        rc = au_norm_gender_clean(t, value, why);
        break;
    case AU_KIND_ID:
        if (!(*key = id_key(t)))
            return AU_ERR_NOMEM;
        if (!**key)
            return au_norm_refuse(why, "identifier has no letters or digits");
        *value = *tp, *tp = NULL;
        return AU_OK;
    }
    if (rc || !*value)
        return rc;
    /* canonical single forms: the key is the value */
    return (*key = au_strdup(*value)) ? AU_OK : AU_ERR_NOMEM;
}

au_rc au_norm_value(au_attr a, const char *raw, const au_norm_opts *opts, au_value *out,
                    au_norm_why *why)
{
    char *r = NULL, *t = NULL, *v = NULL, *k = NULL;
    au_rc rc = AU_OK;
    if ((unsigned)a >= AU_ATTR_COUNT)
        return AU_ERR_INTERNAL;
    if (raw) {
        if ((rc = au_norm_prepare(raw, &t, why)))
            goto out;
        if (!(r = au_strdup(raw))) {
            rc = AU_ERR_NOMEM;
            goto out;
        }
        if (*t)
            rc = typed(au_attr_kind_of(a), &t, opts, &v, &k, why);
    }
out:
    au_free(t);
    if (rc) {
        au_free(r);
        au_free(v);
        au_free(k);
        return rc;
    }
    if ((v && !*v) || (k && !*k)) { /* punctuation only ("-", "..."): nothing to keep */
        au_free(v);
        au_free(k);
        v = k = NULL;
    }
    out->raw = r;
    out->value = v;
    out->key = k;
    return AU_OK;
}
