/*
 * Normalisation of canonical attribute values. Every function takes a raw value and produces
 * a cleaned display value and/or a comparison key, or refuses the value with a reason that names
 * what is wrong ("month 13 out of range"), never guessing. Pure functions, thread-safe, no
 * globals. All returned strings are heap-allocated (au_malloc) and owned by the caller.
 * On error nothing is returned through the out parameters.
 */
#ifndef AU_NORMALIZE_H
#define AU_NORMALIZE_H

#include <stddef.h>

#include "record/record.h"
#include "lib/rc.h"

/* How a source writes dates. */
typedef enum {
    AU_DATE_AUTO,     /* ISO or YYYYMMDD; D/M/Y only when unambiguous (a part > 12) */
    AU_DATE_YYYYMMDD, /* 19810923 */
    AU_DATE_ISO,      /* 1981-09-23 (also accepts a trailing time, ignored) */
    AU_DATE_DMY,      /* 23/09/1981, 23-09-1981, 23.09.1981 */
    AU_DATE_MDY       /* 09/23/1981 */
} au_date_format;

/* Parses "YYYYMMDD", "YYYY-MM-DD", "DMY", "MDY", "auto" (case-insensitive); -1 if unknown. */
int au_date_format_from_name(const char *name);
const char *au_date_format_name(au_date_format f);

/* Per-source options that change how values are read. Zero-initialised fields are defaults. */
typedef struct au_norm_opts {
    char country[3];            /* ISO 3166-1 alpha-2 default for phones/postcodes, "" = none */
    au_date_format date_format; /* for AU_KIND_DATE attributes */
    int yy_pivot;               /* two-digit years below it are 20yy, the rest 19yy (1..99);
                                   0 = the latest century that is not in the future */
    int today;                  /* YYYYMMDD (UTC) no date of birth may be after; 0 = the clock */
} au_norm_opts;

/* Why a value was refused; filled on AU_ERR_INVALID. */
typedef struct au_norm_why {
    char reason[160];
} au_norm_why;

/* --- UTF-8 and text ---------------------------------------------------------------------- */
/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int au_utf8_valid(const char *s, size_t n);
/* NFKC, control characters dropped, runs of white space collapsed to one space, trimmed. */
au_rc au_norm_text(const char *in, char **out);
/* Comparison form: NFKC + case fold + accents stripped + punctuation and symbols to space +
 * collapsed ("  José-Luis O'Brien " -> "jose luis obrien"). Apostrophes are dropped, not turned
 * into a space, so "O'Brien" and "OBrien" meet; "ß" folds to "ss", Turkish "İ"/"ı" to "i". */
au_rc au_norm_key(const char *in, char **out);

/* --- typed values ------------------------------------------------------------------------ */
/* "  John.Smith+news@GoogleMail.com " -> value "john.smith+news@googlemail.com",
 * key "johnsmith@gmail.com" (provider-insignificant dots and +tags dropped for known providers). */
au_rc au_norm_email(const char *in, char **value, char **key, au_norm_why *why);
/* "+44 20 7946 0958", "020 79460958" (country GB) -> "+442079460958". */
au_rc au_norm_phone(const char *in, const char *country, char **e164, au_norm_why *why);
/* A date of birth to "YYYY-MM-DD", or "YYYY-MM" / "YYYY" for a partial date ("03/1958",
 * "1958"); two-digit years ("12/11/70", "701112") get the century that keeps the date in the
 * past. Impossible dates (Feb 30, month 13), years before 1000 and dates after today are
 * refused. au_norm_date_with takes the pivot and an injected today from opts. */
au_rc au_norm_date(const char *in, au_date_format fmt, char **iso, au_norm_why *why);
au_rc au_norm_date_with(const char *in, const au_norm_opts *opts, char **iso, au_norm_why *why);
/* "sw1a1aa" (GB) -> "SW1A 1AA"; other countries: upper-case, inner spaces kept single. */
au_rc au_norm_postcode(const char *in, const char *country, char **out, au_norm_why *why);
/* "United Kingdom", "uk", "GBR" -> "GB". */
au_rc au_norm_country(const char *in, char **out, au_norm_why *why);
/* "M", "male", "Mr" -> "male"; "F", "female", "Mrs", "Ms" -> "female"; "X", "other",
 * "non-binary", "diverse" -> "other"; "U", "unknown", "" -> AU_OK with *out = NULL (absent);
 * anything else AU_ERR_INVALID. */
au_rc au_norm_gender(const char *in, char **out, au_norm_why *why);
/* Name part display form: "o'BRIEN" -> "O'Brien", "mcdonald" -> "McDonald", "van der berg" ->
 * "Van der Berg"; words already in mixed case ("MacDonald") are kept as written. */
au_rc au_norm_name(const char *in, char **out);
/* Place display form (cities, address lines), by the rules of names with place words kept
 * lower ("NEWCASTLE UPON TYNE" -> "Newcastle upon Tyne"), letters touching digits in capitals
 * except ordinals ("12a", "ls1 4ap", "5TH" -> "12A", "LS1 4AP", "5th"), PO and compass points
 * in capitals: "ST JOHN'S RD" -> "St John's Rd". Values showing deliberate casing keep their
 * all-lower words ("12 High street"). */
au_rc au_norm_place(const char *in, char **out);

/* Address line: *value = au_norm_place(in); *key = au_norm_key(in) with street types, directions
 * and unit words folded to one spelling ("12 High Street" and "12 high st." -> "12 high st").
 * Either out may be NULL when not wanted. */
au_rc au_norm_address(const char *in, char **value, char **key);

/* The key by which two addresses are the same address whether a source gave it in parts or as
 * one line: the words of the given keys (address lines, full line, city, state: as stored in
 * au_value.key), street words folded, each word once and sorted, with the postcode's words
 * removed, then '|' and the postcode key (may be NULL). "12 High St" + "Leeds" + "LS1 4AP" and
 * "12 High Street, Leeds LS1 4AP" both give "12 high leeds st|ls14ap". Words are a set, so the
 * order of the parts does not matter ("Flat 2, 12 High St" = "12 High St" + "Flat 2") and a
 * city repeated in the full line counts once. NULL keys are skipped. Caller frees *out. */
au_rc au_norm_address_match_key(const char *const *keys, size_t nkeys, const char *postcode_key,
                                char **out);

/* Splits a full name into first / middle / last ("Smith, John A." and "John A. Smith"); titles
 * and suffixes (Mr, Dr, Jr) are dropped, initials lose their dot, particles join the last name
 * ("Ludwig van Beethoven" -> last "van Beethoven"). A single word is the last name. Any out may
 * be set to NULL when absent; an out pointer may itself be NULL when that part is not wanted. */
au_rc au_norm_name_split(const char *full, char **first, char **middle, char **last);
/* The title and generational suffix found around a name (static canonical strings). */
typedef struct au_name_affixes {
    const char *title;  /* "Dr", "Mrs", "Prof", ...; NULL when none */
    const char *suffix; /* "Jr", "Sr", "II", "III", "IV"; NULL when none */
} au_name_affixes;
/* Takes leading titles and trailing suffixes off a raw name, so they do not pollute the name
 * parts: "Dr. Jane Smith" -> "Jane Smith" (title Dr), "Smith Jr." -> "Smith" (suffix Jr),
 * "SMITH, JOHN III" -> "SMITH, JOHN" (suffix III). Post-nominal letters (PhD, Esq, OBE) are
 * taken off too but not reported. At least one word is always kept ("Dr" alone is a name).
 * *rest is a new string (au_free) without them, or NULL when the name has none. */
au_rc au_norm_name_affixes(const char *raw, char **rest, au_name_affixes *aff);
/* Joins parts skipping absent (NULL or empty) ones: ("John", NULL, "Smith") -> "John Smith";
 * "" when all are absent; NULL only on allocation failure. Caller frees with au_free. */
char *au_norm_name_join(const char *first, const char *middle, const char *last);

/* --- dispatch ---------------------------------------------------------------------------- */
/* Normalises `raw` for attribute `a` according to its kind. On success out->raw is a copy of
 * raw and value/key are set (key may equal value in content; they are always separate
 * allocations); empty-after-cleaning raw (white space, punctuation only, gender "unknown") gives
 * AU_OK with value and key NULL. On AU_ERR_INVALID and AU_ERR_ENCODING `why` says why. Kinds:
 * NAME value au_norm_name, key au_norm_key; PLACE value au_norm_place, key au_norm_key; TEXT value
 * au_norm_text, key au_norm_key; ADDRESS value au_norm_place, key as au_norm_address; EMAIL as
 * au_norm_email; PHONE, DATE, COUNTRY, GENDER key = value; POSTCODE key = its letters and digits;
 * ID value = cleaned text, key = upper-case letters and digits
 * ("AB 12-34" -> "AB1234"). opts may be NULL (no default country, AU_DATE_AUTO). */
au_rc au_norm_value(au_attr a, const char *raw, const au_norm_opts *opts, au_value *out,
                    au_norm_why *why);

#endif
