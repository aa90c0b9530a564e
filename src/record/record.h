/*
 * The canonical customer record: what every source's fields are mapped onto, what the store
 * persists and what identity resolution compares. Each canonical attribute keeps three forms:
 * the raw mapped value (lineage, audit), the cleaned display value (golden record) and the
 * comparison key (accent-free, case-folded; what matchers and indexes use).
 */
#ifndef AU_RECORD_H
#define AU_RECORD_H

#include <jansson.h>
#include <stdint.h>

#include "lib/rc.h"

/* What kind of normalisation an attribute gets. */
typedef enum {
    AU_KIND_NAME,     /* person name part: NFKC, whitespace, display capitalisation */
    AU_KIND_TEXT,     /* free text: NFKC, whitespace */
    AU_KIND_PLACE,    /* place name (city): NFKC, whitespace, display capitalisation */
    AU_KIND_GENDER,   /* male / female / other */
    AU_KIND_EMAIL,    /* lower-cased, validated; key drops provider-insignificant parts */
    AU_KIND_PHONE,    /* E.164 using the source's default country */
    AU_KIND_DATE,     /* ISO 8601 YYYY-MM-DD from the mapped format */
    AU_KIND_ADDRESS,  /* address line: as PLACE, common abbreviations in the key */
    AU_KIND_POSTCODE, /* upper-case, country-aware spacing */
    AU_KIND_COUNTRY,  /* ISO 3166-1 alpha-2 */
    AU_KIND_ID        /* identifier: upper-case alphanumerics only in the key */
} au_attr_kind;

/* X(enum suffix, canonical name, kind) — the canonical schema of PRODUCT.md. New attributes go
 * at the end so stored documents and other modules' tables keep their meaning. title ("Dr") and
 * name_suffix ("Jr", "III") are filled from the name fields when a source does not map them. */
#define AU_ATTR_LIST(X)                                                                            \
    X(FIRST_NAME, "first_name", AU_KIND_NAME)                                                      \
    X(MIDDLE_NAME, "middle_name", AU_KIND_NAME)                                                    \
    X(LAST_NAME, "last_name", AU_KIND_NAME)                                                        \
    X(FULL_NAME, "full_name", AU_KIND_NAME)                                                        \
    X(COMPANY, "company", AU_KIND_TEXT)                                                            \
    X(GENDER, "gender", AU_KIND_GENDER)                                                            \
    X(EMAIL, "email", AU_KIND_EMAIL)                                                               \
    X(PHONE, "phone", AU_KIND_PHONE)                                                               \
    X(DATE_OF_BIRTH, "date_of_birth", AU_KIND_DATE)                                                \
    X(ADDRESS_FULL, "address_full", AU_KIND_ADDRESS)                                               \
    X(ADDRESS_LINE1, "address_line1", AU_KIND_ADDRESS)                                             \
    X(ADDRESS_LINE2, "address_line2", AU_KIND_ADDRESS)                                             \
    X(CITY, "city", AU_KIND_PLACE)                                                                 \
    X(POSTCODE, "postcode", AU_KIND_POSTCODE)                                                      \
    X(STATE, "state", AU_KIND_TEXT)                                                                \
    X(COUNTRY, "country", AU_KIND_COUNTRY)                                                         \
    X(NATIONAL_ID, "national_id", AU_KIND_ID)                                                      \
    X(PASSPORT, "passport", AU_KIND_ID)                                                            \
    X(DRIVERS_LICENSE, "drivers_license", AU_KIND_ID)                                              \
    X(TITLE, "title", AU_KIND_TEXT)                                                                \
    X(NAME_SUFFIX, "name_suffix", AU_KIND_TEXT)

typedef enum {
#define AU_ATTR_ENUM(id, name, kind) AU_ATTR_##id,
    AU_ATTR_LIST(AU_ATTR_ENUM)
#undef AU_ATTR_ENUM
        AU_ATTR_COUNT
} au_attr;

/* Canonical name of an attribute ("first_name"). */
const char *au_attr_name(au_attr a);
au_attr_kind au_attr_kind_of(au_attr a);
/* The attribute called `name`, or -1 when it is not canonical (it is then a custom attribute). */
int au_attr_from_name(const char *name);

/* One attribute in its three forms; all NULL when absent. Strings owned by the record.
 * A quarantined value (one that normalisation refused and the source keeps) has raw and reason
 * set and no value or key: lineage and the quality ledger see it, deterministic matching and the
 * golden record do not. */
typedef struct au_value {
    char *raw;    /* as mapped from the source, before any cleaning */
    char *value;  /* cleaned display form */
    char *key;    /* comparison form */
    char *reason; /* why the value is quarantined; NULL for a valid or absent value */
} au_value;

/* A source record after mapping and normalisation. Heap-owned: au_record_new / au_record_free. */
typedef struct au_record {
    char *source;                  /* source name, owned */
    char *record_id;               /* the source's own id, owned */
    au_value attrs[AU_ATTR_COUNT]; /* canonical attributes */
    json_t *custom;                /* object of unmapped source fields (raw), owned reference */
    json_t *input;                 /* the source document as received, owned reference */
    uint64_t hash;                 /* content hash over attrs + custom (au_record_hash) */
} au_record;

au_record *au_record_new(void);
void au_record_free(au_record *r);
/* Sets attribute `a`; takes ownership of the three strings (any may be NULL). */
void au_record_set(au_record *r, au_attr a, char *raw, char *value, char *key);
/* Keeps `raw` for attribute `a` as a quarantined value with its reason; takes ownership of both. */
void au_record_quarantine(au_record *r, au_attr a, char *raw, char *reason);
/* 1 when attribute a holds a quarantined value. */
int au_record_is_quarantined(const au_record *r, au_attr a);
/* Computes and stores r->hash over the normalised content (XXH3), so re-sending an identical
 * record is detected as unchanged without comparing documents. */
uint64_t au_record_hash(au_record *r);
/* The stored document: {"attrs":{name:form},"custom":{...},"input":{...}}. Compact and
 * lossless because every record is written twice on the import path (WAL, then checkpoint):
 * an attribute whose raw, value and key are equal is stored as that string; otherwise as
 * {"raw","value","key"} where raw or key is omitted when equal to value and null when absent;
 * a quarantined value is {"raw","invalid":reason}.
 * New reference; NULL on allocation failure. */
json_t *au_record_to_json(const au_record *r);
/* The attributes of a stored document in full form, {name:{"raw","value","key","status"}}
 * (absent forms omitted; status "valid", or "quarantined" with "reason"), as the API shows them.
 * New reference; NULL on allocation failure. */
json_t *au_record_doc_attrs(const json_t *doc);
/* The same document as compact JSON text, written directly without building a JSON tree,
 * because it runs for every record on the import path. Caller frees with au_free; NULL on
 * allocation failure. */
char *au_record_to_text(const au_record *r);
/* Inverse of au_record_to_json; source and record_id are copied. */
au_rc au_record_from_json(const char *source, const char *record_id, const json_t *doc,
                          au_record **out);

#endif
