/*
 * The au_rc table and the au_err helpers. Keeping codes, JSON names and HTTP statuses in one
 * X-macro list means an error cannot be added without saying how the API reports it.
 */
#include "lib/rc.h"

#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/array.h"

#define AU_RC_CASE_CODE(name, value, code, status, msg)                                            \
    case name:                                                                                     \
        return code;
#define AU_RC_CASE_MSG(name, value, code, status, msg)                                             \
    case name:                                                                                     \
        return msg;
#define AU_RC_CASE_STATUS(name, value, code, status, msg)                                          \
    case name:                                                                                     \
        return status;

const char *au_rc_code(au_rc rc)
{
    switch (rc) {
        AU_RC_LIST(AU_RC_CASE_CODE)
    }
    return "internal";
}

const char *au_rc_message(au_rc rc)
{
    switch (rc) {
        AU_RC_LIST(AU_RC_CASE_MSG)
    }
    return "internal error";
}

int au_rc_http_status(au_rc rc)
{
    switch (rc) {
        AU_RC_LIST(AU_RC_CASE_STATUS)
    }
    return 500;
}

void au_err_init(au_err *err)
{
    memset(err, 0, sizeof(*err));
}

void au_err_cleanup(au_err *err)
{
    if (!err)
        return;
    for (size_t i = 0; i < err->ndetails; i++) {
        au_free(err->details[i].record_id);
        au_free(err->details[i].field);
        au_free(err->details[i].reason);
    }
    au_free(err->details);
    au_err_init(err);
}

au_rc au_err_vset(au_err *err, au_rc rc, const char *fmt, va_list ap)
{
    if (!err)
        return rc;
    err->rc = rc;
    if (fmt)
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
    else
        snprintf(err->message, sizeof(err->message), "%s", au_rc_message(rc));
    return rc;
}

au_rc au_err_set(au_err *err, au_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    au_err_vset(err, rc, fmt, ap);
    va_end(ap);
    return rc;
}

static void detail_push(au_err *err, long index, const char *record_id, const char *field,
                        char *reason)
{
    if (err->ndetails >= AU_ERR_MAX_DETAILS) {
        err->dropped++;
        au_free(reason);
        return;
    }
    if (AU_ARRAY_GROW(err->details, err->cap, err->ndetails + 1, 4)) {
        err->dropped++;
        au_free(reason);
        return;
    }
    au_err_detail *d = &err->details[err->ndetails++];
    d->index = index;
    d->record_id = record_id ? au_strdup(record_id) : NULL;
    d->field = field ? au_strdup(field) : NULL;
    d->reason = reason;
}

void au_err_detail_add(au_err *err, long index, const char *record_id, const char *field,
                       const char *fmt, ...)
{
    if (!err)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    detail_push(err, index, record_id, field, au_strdup(buf));
}

void au_err_take_details(au_err *dst, au_err *src, long index_offset)
{
    for (size_t i = 0; i < src->ndetails; i++) {
        au_err_detail *s = &src->details[i];
        detail_push(dst, s->index >= 0 ? s->index + index_offset : -1, s->record_id, s->field,
                    s->reason);
        s->reason = NULL;
    }
    dst->dropped += src->dropped;
    for (size_t i = 0; i < src->ndetails; i++) {
        au_free(src->details[i].record_id);
        au_free(src->details[i].field);
    }
    src->ndetails = 0;
    src->dropped = 0;
}
