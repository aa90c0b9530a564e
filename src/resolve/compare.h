/*
 * String and date comparators used by the matcher: Jaro-Winkler similarity, bounded
 * Damerau-Levenshtein (optimal string alignment) distance, Double Metaphone phonetic codes and
 * date comparison levels. Pure functions on byte strings (the comparison keys are already
 * accent-free and case-folded); no allocation, thread-safe.
 */
#ifndef AU_COMPARE_H
#define AU_COMPARE_H

#include <stddef.h>

/* Jaro-Winkler similarity in [0,1] (prefix scale 0.1, up to 4 prefix characters). Empty
 * strings compare as 0 unless both are empty (1). */
double au_cmp_jaro_winkler(const char *a, const char *b);

/* Damerau-Levenshtein distance (insertions, deletions, substitutions, adjacent transpositions)
 * between a and b, or max + 1 as soon as it is known to exceed max (bounded work). Strings
 * longer than 63 bytes are compared on their first 63 bytes. */
int au_cmp_damerau_levenshtein(const char *a, const char *b, int max);

/* A 64-bit character signature of a string: how many of its bytes fall in each of 8 classes
 * (one count per byte), or 0 when the string is empty or too long (63 bytes and more) for the
 * bounds below to hold. It lets two strings be told apart without reading them:
 * au_cmp_sig_l1(a, b) <= 2 * Damerau-Levenshtein distance (an edit moves at most two counts
 * by one), and au_cmp_sig_jw_max bounds Jaro-Winkler from above. */
#define AU_CMP_SIG_MAXLEN 62
unsigned long long au_cmp_sig(const char *s);
int au_cmp_sig_l1(unsigned long long a, unsigned long long b);
double au_cmp_sig_jw_max(unsigned long long a, unsigned long long b);

/* Longest Double Metaphone code kept (the published algorithm uses 4). */
#define AU_DMETA_MAX 8

/* Double Metaphone codes of a name: primary and alternate, each at most `maxlen` (<=
 * AU_DMETA_MAX) characters, written NUL-terminated into buffers of AU_DMETA_MAX + 1 bytes.
 * Non-letters are ignored; an empty input gives empty codes. */
void au_cmp_double_metaphone(const char *s, int maxlen, char *primary, char *alternate);

/* A date split into parts; 0 for unknown. */
typedef struct au_date_parts {
    short y;
    signed char m, d;
} au_date_parts;

/* Parses "YYYY-MM-DD" (also "YYYYMMDD"); returns 0 and zeroed parts when it is not a date. */
int au_cmp_date_parse(const char *s, au_date_parts *out);

/* How two dates agree, best first. */
typedef enum {
    AU_DATE_EQUAL = 0,      /* same date */
    AU_DATE_DM_SWAPPED = 1, /* day and month swapped (American vs European entry) */
    AU_DATE_YEAR_OFF1 = 2,  /* only the year differs, by one */
    AU_DATE_ONE_PART = 3,   /* exactly one of year/month/day differs */
    AU_DATE_DIFFERENT = 4,  /* anything else */
    AU_DATE_MISSING = -1    /* either side unknown */
} au_date_level;

au_date_level au_cmp_date(au_date_parts a, au_date_parts b);

/* 1 when one name is a single initial (or initial + '.') equal to the other's first letter. */
int au_cmp_initial(const char *a, const char *b);

#endif
