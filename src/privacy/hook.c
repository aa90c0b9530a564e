/*
 * The privacy engine hook, registered last in app/compose.c:
 * - a deleted record keeps no personal data: the documents of all its versions are dropped
 *   inside the same transaction, after every other hook has read what it needed (resolution,
 *   profiles, flows and the quality ledger read the version before the tombstone). Version
 *   numbers, hashes, origins and times remain: the history shows that and when it existed.
 * - the suppression list: once an erasure asked for it, a record naming an erased person (by
 *   hashed e-mail key, phone key or source record) fails its write with AU_ERR_CONFLICT, so
 *   the person is not re-imported. Nothing is checked while the list is empty.
 */
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "privacy/privacy_int.h"
#include "store/store.h"

/* Writer-thread state. */
typedef struct pv_state {
    int any; /* the suppression list may hold entries: check every written record */
} pv_state;

static au_rc pv_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    (void)e;
    pv_state *s = au_calloc(1, sizeof(*s));
    if (!s)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    au_rc rc = au_store_suppressed(st, NULL, &s->any);
    if (rc) {
        au_free(s);
        return au_err_set(err, rc, "cannot read the suppression list");
    }
    *state = s;
    return AU_OK;
}

static void pv_close(void *state)
{
    au_free(state);
}

void au_privacy_hook_suppressing(void *state)
{
    if (state)
        ((pv_state *)state)->any = 1;
}

/* Appends ,"<hash>" of kind:value to buf (a JSON array being built). */
static void add_hash(char *buf, size_t cap, const char *kind, const char *value)
{
    char h[65];
    au_subject_hash(kind, value, h);
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s\"%s\"", n > 1 ? "," : "", h);
}

static au_rc pv_record_written(void *state, au_store *st, const au_record *r,
                               au_put_outcome outcome, int64_t version, int64_t at_ms)
{
    (void)outcome;
    (void)version;
    (void)at_ms;
    if (!((pv_state *)state)->any)
        return AU_OK;
    char hashes[3 * 70 + 4] = "[";
    char *ref = au_asprintf("%s\x1f%s", r->source, r->record_id);
    if (!ref)
        return AU_ERR_NOMEM;
    add_hash(hashes, sizeof(hashes), "record", ref);
    au_free(ref);
    if (r->attrs[AU_ATTR_EMAIL].key)
        add_hash(hashes, sizeof(hashes), "email", r->attrs[AU_ATTR_EMAIL].key);
    if (r->attrs[AU_ATTR_PHONE].key)
        add_hash(hashes, sizeof(hashes), "phone", r->attrs[AU_ATTR_PHONE].key);
    size_t n = strlen(hashes);
    snprintf(hashes + n, sizeof(hashes) - n, "]");
    int yes = 0;
    au_rc rc = au_store_suppressed(st, hashes, &yes);
    return rc ? rc : yes ? AU_ERR_CONFLICT : AU_OK;
}

static au_rc pv_record_deleted(void *state, au_store *st, const char *source, const char *record_id,
                               int64_t at_ms)
{
    int64_t no = 0;
    (void)state;
    (void)at_ms;
    au_rc rc = au_store_record_no(st, source, record_id, &no);
    return rc ? rc : au_store_record_scrub(st, no);
}

const au_engine_hook au_privacy_hook = {
    .name = "privacy",
    .open = pv_open,
    .close = pv_close,
    .record_written = pv_record_written,
    .record_deleted = pv_record_deleted,
};
