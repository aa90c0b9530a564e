/*
 * The privacy engine hook: a deleted record keeps no personal data. When a record is deleted,
 * the documents of all its versions are dropped inside the same transaction, after every other
 * hook has read what it needed (resolution, profiles, flows and the quality ledger read the
 * version before the tombstone), which is why this hook is registered last. Version numbers,
 * hashes, origins and times remain: the history shows that and when the record existed.
 */
#include "privacy/privacy.h"
#include "store/store.h"

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
    .record_deleted = pv_record_deleted,
};
