/*
 * Incremental identity resolution: the resolver keeps, in memory, a compact feature row per
 * record (interned name ids, phonetic codes, date parts, identifiers), a blocking index and the
 * current clustering, and updates them record by record.
 *
 * How the daemon uses it (integration in the writer thread, later):
 *   - at start-up: au_resolver_new(model), then for every stored record
 *     au_resolver_restore(res, record_no, rec, profile_no), every stored override
 *     au_resolver_restore_override(...), and au_resolver_set_next_profile(last + 1): no scoring
 *     happens, the persisted clustering is taken as is;
 *   - for each upsert or delete, inside the store transaction: au_resolver_add / _update /
 *     _remove, then persist what `au_resolve_changes` lists (records that changed profile,
 *     profiles that vanished and where they went, possible matches for review) in the same
 *     transaction;
 *   - manual decisions: au_resolver_override (must-link = merge, cannot-link = split / do not
 *     link); they are kept and win over the model in every later re-evaluation.
 *
 * record_no is the caller's dense record number (e.g. the store's row number); older records
 * have smaller numbers, which is what "older" means for stable ids. Profile numbers are >= 1.
 *
 * How a record joins a profile (the chaining guard): a candidate pair links when a
 * deterministic rule fires (same national id, passport or declared shared customer number;
 * same e-mail, phone or licence when the given names do not clearly differ) or its match weight
 * reaches model.match_weight, and no conflict forbids it. A record joins a profile only if
 * (1) it links to at least one member, (2) no member has a conflicting strong identifier
 * (national id or passport more than model.conflict_max_edits edits apart) or a cannot-link
 * with it, (3) no sampled member scores below model.join_min_weight with it and (4) its mean
 * weight over the members (up to model.cluster_check_max of them, rule links counted as at
 * least match_weight) reaches model.join_mean_weight. When a record links to several profiles
 * they are merged only if they also pass (2)-(4) against each other; otherwise it joins the
 * best one. Re-evaluation of a profile rebuilds it from its pairwise links with the same tests
 * (strongest links first, must-links first), so A~B and B~C never hold A and C together when
 * A and C clearly differ.
 *
 * Rollback: the resolver is not transactional. A caller that rolls a transaction back must
 * undo the calls it made (update/remove with the previous content) or rebuild the resolver
 * from the store.
 *
 * Single-threaded: one resolver is used by one thread at a time (the writer).
 */
#ifndef AU_RESOLVE_H
#define AU_RESOLVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"
#include "lib/rc.h"
#include "resolve/model.h"

typedef struct au_resolver au_resolver;

/* One record whose profile changed (old 0: new record; new 0: record removed). */
typedef struct au_resolve_move {
    uint32_t record_no;
    uint32_t old_profile, new_profile;
} au_resolve_move;

/* A profile that no longer exists and the profile that absorbed it (0: it simply emptied). */
typedef struct au_resolve_redirect {
    uint32_t from, into;
} au_resolve_redirect;

/* A pair scoring between possible_weight and match_weight: for human review. */
typedef struct au_resolve_possible {
    uint32_t a, b;
    double weight;
} au_resolve_possible;

/* What one call changed. Caller-allocated: au_resolve_changes_init / _cleanup; each resolver
 * call appends (call _reset between transactions). */
typedef struct au_resolve_changes {
    au_resolve_move *moves;
    size_t nmoves, capmoves;
    au_resolve_redirect *redirects;
    size_t nredirects, capredirects;
    au_resolve_possible *possible;
    size_t npossible, cappossible;
} au_resolve_changes;

void au_resolve_changes_init(au_resolve_changes *c);
void au_resolve_changes_reset(au_resolve_changes *c);
void au_resolve_changes_cleanup(au_resolve_changes *c);

/* --- life cycle -------------------------------------------------------------------------- */
/* A resolver for `model` (copied). Caller frees with au_resolver_free. */
au_rc au_resolver_new(const au_model *model, au_resolver **out);
void au_resolver_free(au_resolver *res);
const au_model *au_resolver_model(const au_resolver *res);
/* Hint: about n records will be resolved (an import of a known size on top of the store). The
 * derived prior uses max(live records, n), so the first records of a large import are judged
 * as strictly as the last. */
void au_resolver_expect_records(au_resolver *res, size_t n);

/* --- incremental resolution ------------------------------------------------------------- */
/* Adds record `record_no` (must be unused) and resolves it. rec is borrowed: only its
 * attribute keys are read, nothing is kept. Changes are appended to ch (may be NULL). */
au_rc au_resolver_add(au_resolver *res, uint32_t record_no, const au_record *rec,
                      au_resolve_changes *ch);
/* Replaces the content of an existing record and re-resolves it and its old cluster. */
au_rc au_resolver_update(au_resolver *res, uint32_t record_no, const au_record *rec,
                         au_resolve_changes *ch);
/* Removes a record; its cluster is re-evaluated. AU_ERR_NOT_FOUND if unknown. */
au_rc au_resolver_remove(au_resolver *res, uint32_t record_no, au_resolve_changes *ch);
/* Makes the clustering independent of the order in which records arrived: for every record
 * added or updated since the last call, the connected component of pair links holding it (links
 * found when records were resolved, plus the members of their profiles) is clustered again from
 * scratch with the chaining guard, members and links taken in order of a hash of (source,
 * record id), never of arrival. A component of more than AU_SETTLE_MAX records is left as it is.
 * Called once per write job (the engine hook's job_applied) and after resolving a batch at
 * start-up; changes are appended to ch (may be NULL). Does nothing unless model.settle is set
 * (no records are queued and no links kept then). */
#define AU_SETTLE_MAX 256
au_rc au_resolver_settle(au_resolver *res, au_resolve_changes *ch);

/* --- manual decisions ------------------------------------------------------------------- */
typedef enum {
    AU_LINK_NONE = 0,  /* forget a previous decision on this pair */
    AU_LINK_MUST = 1,  /* same person: merge */
    AU_LINK_CANNOT = 2 /* different people: never in one profile */
} au_link_kind;

/* Records a decision on (a, b) and applies it (merge or split, with re-evaluation). */
au_rc au_resolver_override(au_resolver *res, uint32_t a, uint32_t b, au_link_kind kind,
                           au_resolve_changes *ch);

/* The cannot-link decisions between a member of profile pa and a member of profile pb, as
 * pairs of record numbers: (*pairs)[2i], (*pairs)[2i+1] for i < *n. *pairs is allocated
 * (au_free; NULL when *n is 0). A merge of the two profiles forgets them first. */
AU_MUST_USE au_rc au_resolver_cannot_links(const au_resolver *res, uint32_t pa, uint32_t pb,
                                           uint32_t **pairs, size_t *n);

/* --- start-up from persisted state ------------------------------------------------------ */
au_rc au_resolver_restore(au_resolver *res, uint32_t record_no, const au_record *rec,
                          uint32_t profile_no);
au_rc au_resolver_restore_override(au_resolver *res, uint32_t a, uint32_t b, au_link_kind kind);
void au_resolver_set_next_profile(au_resolver *res, uint32_t next);
/* A decision made elsewhere (another node sharing the store), taken as it is, without
 * scoring: record no now belongs to `profile` (0: it is gone) and, when rec is not NULL, has
 * rec's content (rec is borrowed; an unknown record needs it). Profiles that empty vanish
 * without a redirect; nothing is re-evaluated. AU_ERR_NOT_FOUND for an unknown record without
 * content. */
au_rc au_resolver_adopt(au_resolver *res, uint32_t no, const au_record *rec, uint32_t profile);

/* --- queries ---------------------------------------------------------------------------- */
/* Profile of a record, 0 if the record is unknown. */
uint32_t au_resolver_profile_of(const au_resolver *res, uint32_t record_no);
/* Where a vanished profile went (following redirects), the profile itself if it exists, 0 if
 * it never existed or emptied. */
uint32_t au_resolver_profile_resolve(const au_resolver *res, uint32_t profile_no);
/* Members of a profile: a borrowed array valid until the next mutating call. */
const uint32_t *au_resolver_members(const au_resolver *res, uint32_t profile_no, size_t *n);
/* Number of live records and of non-empty profiles. */
size_t au_resolver_record_count(const au_resolver *res);
size_t au_resolver_profile_count(const au_resolver *res);
/* Bytes held by the resolver (for /metrics and the memory budget). */
size_t au_resolver_memory(const au_resolver *res);

/* --- generic values ----------------------------------------------------------------------- */
/* The e-mails, phones, national ids and addresses treated as generic (no evidence, no rule, no
 * blocking key) or configured never to be: {"values":[{"column","value","generic","reason",
 * "records"}],"total","truncated"}, at most `max` values. reason: placeholder,
 * shared_by_different_people, configured_always, configured_never; records: live records
 * holding the value. New reference; NULL on allocation failure. */
json_t *au_resolver_generic_list(const au_resolver *res, size_t max);

/* --- explain ---------------------------------------------------------------------------- */
/* Why a and b do or do not match: {"a","b","rule","conflict","swapped_names","comparisons":
 * [{"column","level","label","weight","tf_adjustment"}], "prior_weight","total","probability",
 * "decision":"match|possible|non_match"}. New reference; NULL when a record is unknown. */
json_t *au_resolver_explain_pair(const au_resolver *res, uint32_t a, uint32_t b);
/* For every member of a profile: its best link inside the profile with the pair explanation,
 * and the member's mean support. New reference; NULL when the profile does not exist. */
json_t *au_resolver_explain_profile(const au_resolver *res, uint32_t profile_no);

#endif
