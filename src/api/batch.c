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

/* JSON lines: one document per non-blank line; errors name the line of the body. */
static au_rc parse_jsonl(const au_req *req, json_t *out, au_err *err)
{
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
            if (!doc)
                return au_err_set(err, AU_ERR_PARSE, "malformed JSON at line %d, column %d: %s",
                                  line, je.column, je.text);
            if (json_array_append_new(out, doc))
                return AU_ERR_NOMEM;
        }
        p = le + 1;
    }
    return AU_OK;
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
        rc = parse_jsonl(req, docs, err);
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
