/*
 * The hash chain of the audit log and the two readers of it: verification (`aurum audit
 * verify`) and the listing of GET /v1/audit.
 *
 * An entry's hash covers the previous entry's hash and a canonical encoding of its own fields:
 * a version tag, the id and time as 8-byte big-endian integers, then each text field prefixed by
 * its 4-byte big-endian length, so no two different entries encode alike. Including the id makes
 * a removed entry (a hole in the ids) or two swapped entries break the chain even when their
 * contents are re-hashed by whoever swapped them, since every later hash depends on them.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "lib/isotime.h"

static void put_u64(crypto_generichash_state *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
    crypto_generichash_update(h, b, sizeof(b));
}

static void put_text(crypto_generichash_state *h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    unsigned char b[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    crypto_generichash_update(h, b, sizeof(b));
    if (n)
        crypto_generichash_update(h, (const unsigned char *)s, n);
}

void au_audit_hash(const uint8_t prev[AU_AUDIT_HASH_LEN], const au_audit_row *r,
                   uint8_t out[AU_AUDIT_HASH_LEN])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, AU_AUDIT_HASH_LEN);
    crypto_generichash_update(&h, (const unsigned char *)"aurum-audit-1", 13);
    crypto_generichash_update(&h, prev, AU_AUDIT_HASH_LEN);
    put_u64(&h, (uint64_t)r->id);
    put_u64(&h, (uint64_t)r->at_ms);
    put_text(&h, r->action);
    put_text(&h, r->key_id);
    put_text(&h, r->client);
    put_text(&h, r->route);
    put_text(&h, r->profiles);
    put_text(&h, r->records);
    crypto_generichash_final(&h, out, AU_AUDIT_HASH_LEN);
}

/* --- verification ------------------------------------------------------------------------- */

typedef struct walk {
    au_audit_verdict *v;
    uint8_t prev[AU_AUDIT_HASH_LEN]; /* hash the next entry must chain from */
    int64_t expect;                  /* id the next entry must have */
} walk;

static int check_entry(void *ctx, const au_audit_row *r)
{
    walk *w = ctx;
    uint8_t h[AU_AUDIT_HASH_LEN];
    if (r->id != w->expect) {
        w->v->broken = w->expect;
        snprintf(w->v->reason, sizeof(w->v->reason),
                 r->id > w->expect ? "entry %lld is missing (the next one present is %lld)"
                                   : "entry %lld is out of order (found %lld)",
                 (long long)w->expect, (long long)r->id);
        return 1;
    }
    au_audit_hash(w->prev, r, h);
    if (sodium_memcmp(h, r->hash, AU_AUDIT_HASH_LEN) != 0) {
        w->v->broken = r->id;
        snprintf(w->v->reason, sizeof(w->v->reason),
                 "entry %lld does not match its hash (edited, or an earlier entry was changed "
                 "or removed)",
                 (long long)r->id);
        return 1;
    }
    memcpy(w->prev, h, AU_AUDIT_HASH_LEN);
    w->expect++;
    w->v->entries++;
    return 0;
}

au_rc au_audit_verify(au_store *st, au_audit_verdict *v)
{
    au_audit_anchor a;
    walk w = {.v = v};
    memset(v, 0, sizeof(*v));
    au_rc rc = au_store_audit_anchor(st, &a);
    if (rc)
        return rc;
    memcpy(w.prev, a.hash, AU_AUDIT_HASH_LEN);
    w.expect = a.id + 1;
    v->anchor = a.id;
    rc = au_store_audit_scan(st, check_entry, &w);
    if (rc == 1) /* stopped at the broken link */
        rc = AU_OK;
    memcpy(v->head, w.prev, AU_AUDIT_HASH_LEN);
    return rc;
}

/* --- listing ------------------------------------------------------------------------------ */

typedef struct lister {
    json_t *list;
    int64_t last; /* id of the last entry added */
    int n;
} lister;

static int add_entry(void *ctx, const au_audit_row *r)
{
    lister *l = ctx;
    char at[40], hex[AU_AUDIT_HASH_LEN * 2 + 1];
    au_iso8601_format(r->at_ms, at, sizeof(at));
    sodium_bin2hex(hex, sizeof(hex), r->hash, AU_AUDIT_HASH_LEN);
    json_t *profiles = json_loads(r->profiles ? r->profiles : "[]", 0, NULL);
    json_t *records = json_loads(r->records ? r->records : "[]", 0, NULL);
    json_t *o =
        json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)r->id,
                  "at", at, "at_ms", (json_int_t)r->at_ms, "action", r->action ? r->action : "",
                  "key_id", r->key_id ? r->key_id : "", "client", r->client ? r->client : "",
                  "route", r->route ? r->route : "", "profiles", profiles ? profiles : json_array(),
                  "records", records ? records : json_array(), "hash", hex);
    if (o && r->key_name && json_object_set_new(o, "key_name", json_string(r->key_name))) {
        json_decref(o);
        return AU_ERR_NOMEM;
    }
    if (!o || json_array_append_new(l->list, o))
        return AU_ERR_NOMEM;
    l->last = r->id;
    l->n++;
    return 0;
}

/* "SOURCE:ID" or a record number to the record number; 0 when no such record. */
static au_rc record_number(au_store *st, const char *record, int64_t *no)
{
    char *end = NULL, src[80];
    const char *colon = strchr(record, ':');
    *no = 0;
    if (isdigit((unsigned char)*record)) {
        errno = 0;
        long long v = strtoll(record, &end, 10);
        if (!*end && !errno && v > 0) {
            *no = v;
            return AU_OK;
        }
    }
    if (!colon || colon == record || !colon[1] || (size_t)(colon - record) >= sizeof(src))
        return AU_ERR_INVALID;
    snprintf(src, sizeof(src), "%.*s", (int)(colon - record), record);
    au_rc rc = au_store_record_no(st, src, colon + 1, no);
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

au_rc au_audit_list(au_store *st, au_audit_filter *f, const char *record, json_t **out,
                    int64_t *next)
{
    lister l = {0};
    au_rc rc = AU_OK;
    *out = NULL;
    *next = 0;
    if (record && (rc = record_number(st, record, &f->record)))
        return rc;
    if (!(l.list = json_array()))
        return AU_ERR_NOMEM;
    if (record && !f->record) { /* no such record: nothing touched it */
        *out = l.list;
        return AU_OK;
    }
    rc = au_store_audit_list(st, f, add_entry, &l);
    if (rc) {
        json_decref(l.list);
        return rc;
    }
    /* A full page may have a next one; the last page answers no cursor. */
    *next = l.n >= f->limit && l.last > 1 ? l.last : 0;
    *out = l.list;
    return AU_OK;
}
