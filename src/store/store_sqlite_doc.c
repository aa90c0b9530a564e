/*
 * The stored form of a record document in the SQLite store (migration 9, docs/STORE.md): a zlib
 * stream deflated with a preset dictionary of the canonical schema's keys and common values.
 * A document is ~600 bytes of JSON whose keys repeat in every row; deflate alone gains little on
 * so short an input (it has no history to refer back to), the dictionary gives it that history,
 * so a document shrinks to about a third. The zlib header carries the dictionary's Adler-32
 * (DICTID): a later dictionary is a new DICTID, and a stream names the one it needs.
 *
 * SQL sees documents through two functions registered on every connection the store opens:
 * au_doc_pack(text) -> blob and au_doc_text(blob) -> text (both pass NULL through; a TEXT
 * argument to au_doc_text is returned as is), so the migration, the record_versions view and
 * ad-hoc SQL read documents as before.
 */
#include <string.h>
#include <zlib.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* Keys and values that recur in documents of the canonical schema: common UK cities, street
 * types and their keys, e-mail domains and phone prefixes, then the skeleton of a document with
 * the attributes most sources map, last (deflate prefers the nearest match, and shorter
 * distances cost fewer bits). On 5,000 generated documents (634 bytes on average) it packs to
 * 183 bytes, against 282 with no dictionary. Never edit it: stored documents need this exact
 * dictionary; a new one goes beside it, known by its Adler-32 (the zlib header's DICTID). */
static const char doc_dict[] =
    "Nottingham\",\"key\":\"nottingham\"Leicester\",\"key\":\"leicester\"Belfast\",\"key\":\""
    "belfast\"Edinburgh\",\"key\":\"edinburgh\"Bristol\",\"key\":\"bristol\"Liverpool\",\"key"
    "\":\"liverpool\"Sheffield\",\"key\":\"sheffield\"Glasgow\",\"key\":\"glasgow\"Leeds\",\""
    "key\":\"leeds\"Manchester\",\"key\":\"manchester\"Birmingham\",\"key\":\"birmingham\" ct"
    "\" gdns\" gr\" cl\" row\" cres\" way\" tce\" st\" dr\" pl\" av\" rd\" ln\"\"custom\":{},"
    "\"raw\":null,\"title\":\"gender\":\"company\":\"country\":\"GB\",\"region\":\"address_li"
    "ne2\":{\"value\":\" Court Gardens Grove Close Row Crescent Way Terrace Street Drive Plac"
    "e Avenue Road Lane @yahoo.co.uk\",@btinternet.com\",@icloud.com\",@hotmail.com\",@outloo"
    "k.com\",@hotmail.co.uk\",@gmail.com\",\"+447700900\",\"07700 900\",\"020 7946 0\"},\"inp"
    "ut\":{\"id\":\"\",\"first_name\":\"\",\"last_name\":\"\",\"dob\":\"\",\"email\":\"\",\"p"
    "hone\":\"\",\"address\":\"\",\"city\":\"London\",\"postcode\":\"\"}}{\"attrs\":{\"first_"
    "name\":{\"value\":\"\",\"key\":\"\"},\"last_name\":{\"value\":\"\",\"key\":\"\"},\"full_"
    "name\":{\"value\":\"\",\"key\":\"\"},\"email\":\"\",\"phone\":{\"raw\":\"\",\"value\":\""
    "+4420794600\"},\"date_of_birth\":\"19\",\"address_line1\":{\"value\":\"\",\"key\":\"\"},"
    "\"city\":{\"value\":\"London\",\"key\":\"london\"},\"postcode\":{\"raw\":\"\",\"value\":"
    "\"\",\"key\":\"\"}},\"input\":{\"id\":\"";

/* zlib level 6 (the default): 183 bytes per generated document against 205 at level 1; every
 * byte saved is written twice on import (WAL, then the database). */
#define DOC_LEVEL 6

const unsigned char *au_sqlite_doc_dict(size_t *n)
{
    *n = sizeof(doc_dict) - 1;
    return (const unsigned char *)doc_dict;
}

/* One connection's deflate state and output buffer, reused for every document. */
typedef struct {
    z_stream z;         /* deflateInit2 once, deflateReset per document */
    unsigned char *out; /* owned; grown to deflateBound of the largest document */
    size_t cap;
} doc_packer;

/* One connection's inflate state and output buffer. */
typedef struct {
    z_stream z; /* inflateInit once, inflateReset per document */
    char *out;  /* owned; grown to the largest document */
    size_t cap;
} doc_unpacker;

/* The buffers come from SQLite's allocator, not au_malloc: they are allocated inside SQL
 * function calls, where a failure is SQLite's out-of-memory (which rolls back the whole
 * transaction), and au_malloc's fault injection tests failures of the store's own code. */
static int grow(void *pbuf, size_t *cap, size_t need)
{
    unsigned char **buf = pbuf;
    if (need <= *cap)
        return 0;
    size_t n = need < 1024 ? 1024 : need + need / 2;
    unsigned char *p = sqlite3_realloc64(*buf, n);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

/* Deflates text[0..n) into p->out; the packed length, or -1 (zlib or allocation failure). */
static long pack(doc_packer *p, const void *text, size_t n)
{
    size_t dl;
    const unsigned char *dict = au_sqlite_doc_dict(&dl);
    if (deflateReset(&p->z) != Z_OK || deflateSetDictionary(&p->z, dict, (uInt)dl) != Z_OK ||
        grow(&p->out, &p->cap, deflateBound(&p->z, (uLong)n)) != 0)
        return -1;
    p->z.next_in = (unsigned char *)text; /* zlib's API is not const; it only reads */
    p->z.avail_in = (uInt)n;
    p->z.next_out = p->out;
    p->z.avail_out = (uInt)p->cap;
    return deflate(&p->z, Z_FINISH) == Z_STREAM_END ? (long)p->z.total_out : -1;
}

/* Inflates z[0..n) into u->out, growing it; the text's length, or -1 when the stream is not a
 * complete document of this dictionary, -2 when memory ran out. With `partial`, what inflated
 * before an error counts. */
static long unpack(doc_unpacker *u, const void *z, size_t n, int partial)
{
    size_t dl;
    const unsigned char *dict = au_sqlite_doc_dict(&dl);
    int zrc = inflateReset(&u->z);
    u->z.next_in = (unsigned char *)z; /* only read */
    u->z.avail_in = (uInt)n;
    while (zrc == Z_OK) {
        /* +1: room for the terminating NUL */
        if (grow(&u->out, &u->cap, u->z.total_out + 1024 + 1) != 0)
            return -2;
        u->z.next_out = (unsigned char *)u->out + u->z.total_out;
        u->z.avail_out = (uInt)(u->cap - u->z.total_out - 1);
        zrc = inflate(&u->z, Z_NO_FLUSH);
        if (zrc == Z_NEED_DICT)
            zrc = inflateSetDictionary(&u->z, dict, (uInt)dl);
        if (zrc == Z_BUF_ERROR && u->z.avail_out > 0)
            break; /* input ended before the stream did */
    }
    if (zrc != Z_STREAM_END && !(partial && u->z.total_out > 0))
        return -1;
    u->out[u->z.total_out] = '\0';
    return (long)u->z.total_out;
}

static void packer_free(void *arg)
{
    doc_packer *p = arg;
    deflateEnd(&p->z);
    sqlite3_free(p->out);
    au_free(p);
}

static void unpacker_free(void *arg)
{
    doc_unpacker *u = arg;
    if (!u)
        return;
    inflateEnd(&u->z);
    sqlite3_free(u->out);
    au_free(u);
}

static doc_unpacker *unpacker_new(void)
{
    doc_unpacker *u = au_calloc(1, sizeof(*u));
    if (u && inflateInit(&u->z) != Z_OK) {
        au_free(u);
        u = NULL;
    }
    return u;
}

/* au_doc_pack(text): NULL stays NULL, a BLOB is taken as already packed. */
static void fn_pack(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_NULL || type == SQLITE_BLOB) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    const unsigned char *text = sqlite3_value_text(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    long len = text ? pack(sqlite3_user_data(ctx), text, n) : -1;
    if (len < 0)
        sqlite3_result_error_nomem(ctx);
    else /* copied: the buffer is the next document's */
        sqlite3_result_blob(ctx, ((doc_packer *)sqlite3_user_data(ctx))->out, (int)len,
                            SQLITE_TRANSIENT);
}

/* au_doc_text(blob): NULL stays NULL, TEXT is returned as is, a damaged stream is an error. */
static void fn_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int type = sqlite3_value_type(argv[0]);
    if (type != SQLITE_BLOB) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    doc_unpacker *u = sqlite3_user_data(ctx);
    long len = unpack(u, sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), 0);
    if (len == -2) /* reported as such: the store's callers answer AU_ERR_NOMEM */
        sqlite3_result_error_nomem(ctx);
    else if (len < 0)
        sqlite3_result_error(ctx, "au_doc_text: not a packed document", -1);
    else
        sqlite3_result_text(ctx, u->out, (int)len, SQLITE_TRANSIENT);
}

int au_sqlite_doc_register(sqlite3 *db)
{
    doc_packer *p = au_calloc(1, sizeof(*p));
    doc_unpacker *u = unpacker_new();
    if (!p || !u || deflateInit2(&p->z, DOC_LEVEL, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        au_free(p);
        unpacker_free(u);
        return SQLITE_NOMEM;
    }
    /* Each state belongs to its function from here on: SQLite calls the destructor when the
     * connection closes, and also when registering fails. */
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int src = sqlite3_create_function_v2(db, "au_doc_pack", 1, flags, p, fn_pack, NULL, NULL,
                                         packer_free);
    int src2 = sqlite3_create_function_v2(db, "au_doc_text", 1, flags, u, fn_text, NULL, NULL,
                                          unpacker_free);
    return src != SQLITE_OK ? src : src2;
}

char *au_sqlite_doc_unpack(const void *z, size_t n, int partial, size_t *len)
{
    doc_unpacker *u = unpacker_new();
    char *text = NULL;
    long got = u ? unpack(u, z, n, partial) : -1;
    if (got >= 0 && (text = au_malloc((size_t)got + 1)) != NULL) {
        memcpy(text, u->out, (size_t)got + 1);
        *len = (size_t)got;
    }
    unpacker_free(u);
    return text;
}
