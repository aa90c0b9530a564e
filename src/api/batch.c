/*
 * Request bodies that carry a batch: a JSON array, a single JSON object (a batch of one) or JSON
 * lines (Content-Type application/x-ndjson, application/jsonl). Records and events share it so
 * that every bulk endpoint accepts the same forms, e.g. a generated events.jsonl file as is.
 */
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "lib/alloc.h"
#include "normalize/normalize.h"

static int is_jsonl(const char *ctype)
{
    return ctype && (strncasecmp(ctype, "application/x-ndjson", 20) == 0 ||
                     strncasecmp(ctype, "application/jsonl", 17) == 0 ||
                     strncasecmp(ctype, "application/x-jsonlines", 23) == 0);
}

/* JSON lines: one document per non-blank line, handed to fn one at a time; errors name the line
 * of the body. */
static au_rc parse_jsonl(const au_req *req, size_t max, au_batch_fn fn, void *ctx, au_err *err)
{
    size_t index = 0;
    const char *p = req->body, *end = req->body + req->body_len;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < le) {
            json_error_t je;
            json_t *doc = json_loadb(p, (size_t)(le - p), 0, &je);
            if (!doc || index == max) {
                json_decref(doc);
                au_err_cleanup(err); /* the body's error prevails over the documents' */
                au_err_init(err);
            }
            if (!doc)
                return au_err_set(err, AU_ERR_PARSE, "malformed JSON at line %d, column %d: %s",
                                  line, je.column, je.text);
            if (index == max)
                return au_err_set(err, AU_ERR_TOO_LARGE, "a batch holds at most %zu items", max);
            au_rc rc = fn(doc, index++, ctx, err);
            json_decref(doc);
            if (rc)
                return rc;
        }
        p = le + 1;
    }
    return AU_OK;
}

static au_rc append(json_t *doc, size_t index, void *docs, au_err *err)
{
    (void)index;
    (void)err;
    return json_array_append(docs, doc) ? AU_ERR_NOMEM : AU_OK;
}

/* The body as an array of documents (a single object counts as a batch of one). */
au_rc au_req_parse_batch(const au_req *req, size_t max, json_t **out, au_err *err)
{
    json_t *docs = NULL;
    au_rc rc = AU_OK;
    if (is_jsonl(req->content_type)) {
        if (!au_utf8_valid(req->body, req->body_len))
            return au_err_set(err, AU_ERR_ENCODING, "request body is not valid UTF-8");
        if (!(docs = json_array()))
            return AU_ERR_NOMEM;
        rc = parse_jsonl(req, max, append, docs, err);
    } else if (!(rc = au_req_parse_json(req, &docs, err)) && json_is_object(docs)) {
        json_t *one = json_pack("[o]", docs);
        docs = one;
        rc = one ? AU_OK : AU_ERR_NOMEM;
    } else if (!rc && !json_is_array(docs)) {
        rc = au_err_set(err, AU_ERR_INVALID,
                        "expected a JSON object or array (or JSON lines with Content-Type "
                        "application/x-ndjson)");
    }
    if (!rc && json_array_size(docs) > max)
        rc = au_err_set(err, AU_ERR_TOO_LARGE, "a batch holds at most %zu items", max);
    if (rc) {
        json_decref(docs);
        docs = NULL;
    }
    *out = docs;
    return rc;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Hands the documents of the whole body to fn from index `from` on: the way of bodies the
 * streaming parse does not handle (and of the errors, which then name line and column). */
static au_rc each_parsed(const au_req *req, size_t max, size_t from, au_batch_fn fn, void *ctx,
                         au_err *err)
{
    json_t *docs = NULL;
    au_err_cleanup(err); /* what was said of documents before: the body's error prevails */
    au_err_init(err);
    au_rc rc = au_req_parse_batch(req, max, &docs, err);
    for (size_t i = from; !rc && i < json_array_size(docs); i++)
        rc = fn(json_array_get(docs, i), i, ctx, err);
    json_decref(docs);
    return rc;
}

/* A JSON array, one element at a time: each element is decoded alone (JSON_DISABLE_EOF_CHECK
 * stops at its closing brace, je.position is where), handed to fn and freed. Anything else than
 * an object or array element, or a syntax error, hands over to each_parsed from that element on:
 * the elements before it decode alike in the whole body, and its errors stay the same. */
static au_rc each_in_array(const au_req *req, size_t max, au_batch_fn fn, void *ctx, au_err *err)
{
    const char *end = req->body + req->body_len;
    const char *p = skip_ws(skip_ws(req->body, end) + 1, end); /* past '[' */
    size_t i = 0;
    if (p < end && *p == ']')
        return skip_ws(p + 1, end) == end ? AU_OK : each_parsed(req, max, 0, fn, ctx, err);
    for (;; i++) {
        json_error_t je;
        json_t *doc = p < end && (*p == '{' || *p == '[')
                          ? json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, &je)
                          : NULL;
        if (!doc || i == max) {
            json_decref(doc);
            return each_parsed(req, max, i, fn, ctx, err);
        }
        au_rc rc = fn(doc, i, ctx, err);
        json_decref(doc);
        if (rc)
            return rc;
        p = skip_ws(p + je.position, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        else if (p < end && *p == ']' && skip_ws(p + 1, end) == end)
            return AU_OK;
        else
            return each_parsed(req, max, i + 1, fn, ctx, err);
    }
}

au_rc au_req_batch_each(const au_req *req, size_t max, au_batch_fn fn, void *ctx, au_err *err)
{
    if (!au_utf8_valid(req->body, req->body_len))
        return au_err_set(err, AU_ERR_ENCODING, "request body is not valid UTF-8");
    if (is_jsonl(req->content_type))
        return parse_jsonl(req, max, fn, ctx, err);
    const char *p = skip_ws(req->body, req->body + req->body_len);
    if (p < req->body + req->body_len && *p == '[')
        return each_in_array(req, max, fn, ctx, err);
    return each_parsed(req, max, 0, fn, ctx, err);
}
