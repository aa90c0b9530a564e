/*
 * The single customer view: the "profiles" engine hook (keeps the identifier index of records
 * and the customer references of events in the write transaction, and wakes change-feed readers
 * on commit) and the reads the profile API makes (golden record with lineage, lookups by
 * identifier, name search, timeline, change feed).
 *
 * Golden records are computed at read time from the profile's current member records with the
 * configured survivorship rules (docs/PROFILES.md, "Materialisation"): membership is read when
 * the request is served, so a profile always reflects the latest committed assignment, merges
 * and splits included, and bulk import pays nothing for golden records.
 *
 * Thread safety: the read functions take a reader handle (au_engine_reader) owned by the calling
 * thread; au_profiles_generation and au_profiles_wait may be called from any thread.
 */
#ifndef AU_PROFILES_H
#define AU_PROFILES_H

#include <jansson.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/rc.h"
#include "store/store.h"

typedef struct au_profiles au_profiles;

/* The engine hook (hook.c), wired by the composition root (src/app/compose.c). */
extern const au_engine_hook au_profiles_hook;

/* The hook's state of an engine (NULL when the hook is not registered). */
au_profiles *au_profiles_of(au_engine *e);

/* --- bulk load (offline import) ------------------------------------------------------------ */
/* on = 1: from now on the identifier rows of new records are kept in memory over every job and
 * written once, sorted, by the call with on = 0 (an index built in order instead of random
 * inserts per batch). Meanwhile lookups do not see the new records. A durable marker committed
 * with the load's first record makes the next open rebuild the rows a killed load left out.
 * For a writer nobody reads from meanwhile (aurum import holds the data directory's lock).
 * Waits for the writer; AU_OK when the hook is not registered. */
au_rc au_profiles_bulk(au_engine *e, int on, au_err *err);

/* --- change-feed wake-up -------------------------------------------------------------------- */
/* A counter bumped after every committed group. */
uint64_t au_profiles_generation(au_profiles *p);
/* Waits until the generation differs from `gen` or `deadline_ms` (CLOCK_REALTIME ms) passes.
 * Returns 1 when it changed. */
int au_profiles_wait(au_profiles *p, uint64_t gen, int64_t deadline_ms);

/* --- reads ---------------------------------------------------------------------------------- */
/* The golden record of profile `id` (following merges: the answer then carries "merged_into"
 * and "requested_id"). lineage 0 drops the "lineage" member. AU_ERR_NOT_FOUND for an unknown or
 * empty profile. *out is a new reference. */
au_rc au_profile_get(au_engine *e, au_store *st, int64_t id, int lineage, json_t **out,
                     au_err *err);
/* The same as compact JSON text (*text au_malloc'd, caller frees), served from a cache of
 * recently read profiles: an entry is dropped when a commit's change-feed rows name its profile
 * and lives at most 5 s (source trust changes are not in the feed). */
au_rc au_profile_get_text(au_engine *e, au_store *st, int64_t id, int lineage, char **text,
                          size_t *len, au_err *err);
/* Profiles holding an identifier: exactly one of email, phone, (source and record) is used.
 * *out is a new array of golden records (possibly empty). */
au_rc au_profile_lookup(au_engine *e, au_store *st, const char *email, const char *phone,
                        const char *source, const char *record, int lineage, json_t **out,
                        au_err *err);
/* Name search: every word of q matched against name keys exactly, by prefix or within a small
 * edit distance; profiles ranked by score. *out is a new array of
 * {"id","score","name","email"}. */
au_rc au_profile_search(au_engine *e, au_store *st, const char *q, int limit, json_t **out,
                        au_err *err);
/* Timeline page: events of all member records newest first, after the event `before_seq`
 * (0 = from the newest). *out = {"profile","events":[...],"next_cursor"}. */
au_rc au_profile_timeline(au_engine *e, au_store *st, int64_t id, int64_t before_seq,
                          const char *type, const char *source, int limit, json_t **out,
                          au_err *err);
/* Change-feed rows after `after`: *out a new array of {"cursor","seq","profile","kind",...};
 * *last the seq of the last row (after when none). */
au_rc au_profile_changes(au_store *st, int64_t after, int limit, json_t **out, int64_t *last);
/* The newest committed change-feed position in st's snapshot (0 when the feed is empty): where a
 * consumer asking for "changes from now on" (GET /v1/changes?after=now) starts. */
au_rc au_profile_changes_now(au_store *st, int64_t *seq);

#endif
