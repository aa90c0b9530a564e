/*
 * Segment compatibility: maps the messages of the Segment HTTP Tracking API (identify, track,
 * page, screen, group, alias and batch) onto what Aurum ingests, so that Segment's own SDKs can
 * send to Aurum unchanged. Pure functions on JSON; the HTTP layer does transport, size limits and
 * authentication, this module does meaning and validation.
 *
 * Each message becomes one or more intake items (JSON objects with "kind"):
 *
 *   identify → {"kind":"record", "source":"segment", "record_id", "doc", "message_id", "at_ms"}
 *              doc is a flat source document for the `segment` source (see
 *              au_segment_source_definition): traits mapped onto canonical attribute names,
 *              other traits kept under their own (dotted, for nested objects) names.
 *              With both userId and anonymousId it also yields a link (reason "identify"), so
 *              that what the visitor did anonymously joins the identified customer.
 *   track, page, screen, group
 *            → {"kind":"event", "source":"segment", "event_id", "type", "segment_type", "at_ms",
 *               "customer":{"source":"segment","record"}, "properties", "context"}
 *   alias    → {"kind":"link", "reason":"alias", "to":{"source":"segment","record":userId},
 *               "from":[{"source":"segment","record":previousId},
 *                       {"source":"segment","record":"anon:"+previousId}]}
 *              (previousId may have been either a userId or an anonymousId; the resolver links
 *              whichever record exists).
 *
 * Record ids: userId, or "anon:" + anonymousId when there is no userId. Event ids: messageId, or
 * when absent "h_" + a hash of the message, so a retried identical message stays idempotent.
 * Event time: timestamp, else originalTimestamp, else sentAt, else receivedAt, else the time the
 * server received the request.
 */
#ifndef AU_SEGMENT_H
#define AU_SEGMENT_H

#include <jansson.h>
#include <stdint.h>

#include "lib/rc.h"

/* Segment's published limits, for the HTTP layer to enforce on the raw body. */
#define AU_SEGMENT_MAX_MESSAGE_BYTES (32 * 1024)
#define AU_SEGMENT_MAX_BATCH_BYTES   (500 * 1024)
#define AU_SEGMENT_MAX_BATCH_ITEMS   2500

/* Name of the source Segment data lands in. */
#define AU_SEGMENT_SOURCE "segment"

/* Maps one message. `type` is the call type given by the endpoint ("identify" for
 * /v1/identify...) or NULL to take it from the message's "type" (as in a batch); a message whose
 * "type" contradicts the endpoint is refused. received_ms is the server's receive time.
 * On success *items is a new array of intake items (caller decrefs). On AU_ERR_INVALID the
 * message and one detail (index -1, field, reason) say what is wrong; *items is untouched. */
au_rc au_segment_map(const char *type, const json_t *msg, int64_t received_ms, json_t **items,
                     au_err *err);

/* Maps a /v1/batch body {"batch":[...], "context", "sentAt", ...}. The batch-level context and
 * sentAt apply to messages that lack their own. All or nothing: when any message is invalid,
 * AU_ERR_INVALID with one detail per invalid message naming its index (and messageId when
 * known); *items is untouched. Otherwise *items is one flat array of every message's items. */
au_rc au_segment_map_batch(const json_t *body, int64_t received_ms, json_t **items, au_err *err);

/* The write key from an "Authorization: Basic base64(writeKey:)" header value (the password part
 * is ignored, a missing colon tolerated as Segment does). AU_ERR_UNAUTHORIZED with a precise
 * message when the header is absent, not Basic, not base64 or has an empty key. On success *key
 * is a new string the caller frees with au_free. */
au_rc au_segment_write_key_from_basic(const char *header, char **key, au_err *err);
/* The "writeKey" member of a body (the other way Segment clients authenticate); borrowed from
 * body, NULL when absent or not a non-empty string. */
const char *au_segment_write_key_from_body(const json_t *body);

/* The definition of the `segment` source that identify documents are made for (the JSON of
 * PUT /v1/sources/segment). New reference, NULL on allocation failure. */
json_t *au_segment_source_definition(void);

#endif
