/*
 * The `file` step: appends the step's body, one compact JSON object per line (JSONL), to a
 * local file and fsyncs it before reporting success, so a delivered run survives a crash.
 * Each line is written with one write(2) on an O_APPEND descriptor, so concurrent runs do not
 * interleave lines. Useful as an audit trail, for demos and as the simplest durable target.
 *
 * Missing directories of the path are created (mode 0750) on the first delivery, as a user who
 * names /var/log/aurum/orders.jsonl expects. A path that can never be written as configured (a
 * parent that is a file, no permission, a read-only file system, a name too long) fails the
 * delivery for good with the exact directory and reason, so the run shows it and the dead
 * letter can be replayed once the path is fixed; other errors (no space, too many open files)
 * are retried.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"

static const au_connector_option file_options[] = {
    AU_CONNECTOR_OPT("path", AU_OPT_STRING, 1, NULL, 0, 0,
                     "absolute path of the JSONL file (created, with missing directories)"),
    AU_CONNECTOR_OPT("body", AU_OPT_MAPPING, 1, NULL, 0, 0,
                     "the object written as one line; strings are templates"),
    {0},
};

typedef struct file_state {
    int fd; /* O_APPEND descriptor of the target file */
} file_state;

static au_rc file_validate(const json_t *config, au_err *err)
{
    const char *path = json_string_value(json_object_get(config, "path"));
    if (!path || path[0] != '/')
        return au_err_set(err, AU_ERR_INVALID, "path must be an absolute file path");
    return AU_OK;
}

/* The rc of a failed mkdir or open: AU_ERR_FORBIDDEN / AU_ERR_INVALID when the path can never
 * work as configured (the delivery then fails for good), AU_ERR_IO when it may pass later. */
static au_rc path_rc(int e)
{
    switch (e) {
    case EACCES:
    case EPERM:
    case EROFS:
        return AU_ERR_FORBIDDEN;
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case EEXIST: /* a parent exists but is not a directory */
        return AU_ERR_INVALID;
    default:
        return AU_ERR_IO;
    }
}

/* Creates the missing directories above the file `path` (absolute), like mkdir -p. */
static au_rc make_parents(const char *path, au_err *err)
{
    char *dir = au_strdup(path);
    au_rc rc = dir ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    char *end = dir ? strrchr(dir, '/') : NULL;
    for (char *p = dir ? dir + 1 : NULL; !rc && p && p <= end; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        struct stat sb;
        if (mkdir(dir, 0750) && errno != EEXIST)
            rc = au_err_set(err, path_rc(errno), "cannot create directory %s for %s: %s", dir, path,
                            strerror(errno));
        else if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
            rc = au_err_set(err, AU_ERR_INVALID, "%s is not a directory (path %s)", dir, path);
        *p = '/';
    }
    au_free(dir);
    return rc;
}

static au_rc file_prepare(const au_flow_step *step, void **state, au_err *err)
{
    const char *path = json_string_value(json_object_get(step->config, "path"));
    file_state *st = au_calloc(1, sizeof(*st));
    au_rc rc = st ? make_parents(path, err) : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (!rc && (st->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0)
        rc = au_err_set(err, path_rc(errno), "cannot open %s: %s", path, strerror(errno));
    if (rc) {
        au_free(st);
        return rc;
    }
    *state = st;
    return AU_OK;
}

static void file_send(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                      au_delivery *out)
{
    file_state *st = state;
    json_t *body = NULL;
    char *line = NULL;
    au_expr_error ee;
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    if (au_flow_value_eval(au_flow_step_value(step, "body"), ctx, now_ms, &body, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "body: %s", ee.message);
        goto out;
    }
    line = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = line ? strlen(line) : 0;
    if (!line) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        goto out;
    }
    line[len] = '\n'; /* replaces the NUL; the buffer is not used as a string afterwards */
    ssize_t n = write(st->fd, line, len + 1);
    if (n != (ssize_t)len + 1) {
        au_delivery_set(out, AU_DELIVER_RETRY, "write: %s",
                        n < 0 ? strerror(errno) : "short write");
        goto out;
    }
    if (fsync(st->fd)) {
        au_delivery_set(out, AU_DELIVER_RETRY, "fsync: %s", strerror(errno));
        goto out;
    }
    out->status = AU_DELIVER_OK;
out:
    free(line);
    json_decref(body);
}

static void file_close(void *state)
{
    file_state *st = state;
    if (!st)
        return;
    close(st->fd);
    au_free(st);
}

const au_connector au_connector_file = {
    .name = "file",
    .help = "append the body as a JSON line to a local file (fsync'd)",
    .options = file_options,
    .validate = file_validate,
    .prepare = file_prepare,
    .send = file_send,
    .close = file_close,
};
