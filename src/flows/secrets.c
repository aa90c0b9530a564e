/*
 * The secrets store (secrets.h). The decrypted values are kept in memory (a JSON object under
 * a mutex) because every delivery needs them; the file holds only boxes. Every change rewrites
 * DATA/secrets.json through a temporary file, fsync and rename, so a crash leaves the old or
 * the new file, never half of one. The plaintext sealed in each box is "NAME\0VALUE": opening
 * checks the name, so boxes cannot be swapped between names.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flows/secrets.h"
#include "lib/alloc.h"
#include "lib/isotime.h"
#include "lib/opts.h"
#include "lib/clock.h"

#define KEY_HEX (crypto_secretbox_KEYBYTES * 2)

struct au_secrets {
    pthread_mutex_t mu;                           /* guards values, updated and the file */
    unsigned char key[crypto_secretbox_KEYBYTES]; /* the store key */
    char *path;                                   /* DATA/secrets.json, owned */
    json_t *values;                               /* name -> value (decrypted), owned */
    json_t *updated;                              /* name -> ISO time of the last set, owned */
};

int au_secrets_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > AU_SECRET_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

/* Parses 64 hex digits (surrounding white space allowed) into key. */
static int key_from_hex(const char *text, unsigned char *key)
{
    size_t len = 0;
    const char *end = NULL;
    while (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r')
        text++;
    if (sodium_hex2bin(key, crypto_secretbox_KEYBYTES, text, strlen(text), " \t\r\n", &len, &end) ||
        len != crypto_secretbox_KEYBYTES)
        return -1;
    return 0;
}

/* Reads a small file whole; NULL when it cannot be read. Caller au_frees. */
static char *slurp(const char *path, size_t max, int *missing)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    *missing = !fp && errno == ENOENT;
    if (!fp)
        return NULL;
    buf = au_malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, fp) : 0;
    if (buf && (ferror(fp) || !feof(fp))) {
        au_free(buf);
        buf = NULL;
    } else if (buf) {
        buf[n] = '\0';
    }
    fclose(fp);
    return buf;
}

/* Writes text to path durably (temporary file, fsync, rename) with the given mode. */
static au_rc write_file(const char *path, const char *text, mode_t mode, au_err *err)
{
    au_rc rc = AU_OK;
    char *tmp = au_asprintf("%s.tmp", path);
    int fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) : -1;
    size_t len = strlen(text), done = 0;
    if (!tmp)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (fd < 0) {
        rc = au_err_set(err, AU_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = au_err_set(err, AU_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        done += (size_t)w;
    }
    if (fsync(fd) || close(fd)) {
        fd = -1;
        rc = au_err_set(err, AU_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path))
        rc = au_err_set(err, AU_ERR_IO, "cannot replace %s: %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (rc && tmp)
        unlink(tmp);
    au_free(tmp);
    return rc;
}

/* The keys of the secrets: section, as declared options (checked by au_opts_from_json, printed
 * in docs/CONFIG.md); load_key reads key_file from the section once it is checked. */
typedef struct secrets_opts {
    const char *key_file; /* borrowed from the section */
} secrets_opts;

static const au_opt secrets_table[] = {
    AU_OPT_ROW("key_file", AU_OPT_STRING, offsetof(secrets_opts, key_file), "PATH",
               "file holding the key that encrypts the secrets (default: DATA/secret.key, "
               "created when missing; $AURUM_SECRETS_KEY wins)"),
    {0},
};
#define NSECRETS_OPTS (sizeof secrets_table / sizeof secrets_table[0] - 1)

au_rc au_secrets_options_markdown(au_buf *out)
{
    return au_opts_markdown(secrets_table, NSECRETS_OPTS, out);
}

/* The key: $AURUM_SECRETS_KEY, else key_file, else DATA/secret.key (created when missing). */
static au_rc load_key(au_secrets *s, const char *data_dir, const json_t *section, au_err *err)
{
    const char *env = getenv("AURUM_SECRETS_KEY");
    const char *file = json_string_value(json_object_get(section, "key_file"));
    char *path = NULL, *text = NULL;
    int missing = 0;
    au_rc rc = AU_OK;
    if (env && *env) {
        if (key_from_hex(env, s->key))
            return au_err_set(err, AU_ERR_INVALID,
                              "AURUM_SECRETS_KEY must be %d hex digits (32 random bytes)", KEY_HEX);
        return AU_OK;
    }
    path = file ? au_strdup(file) : au_asprintf("%s/secret.key", data_dir);
    if (!path)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    text = slurp(path, 256, &missing);
    if (text) {
        if (key_from_hex(text, s->key))
            rc = au_err_set(err, AU_ERR_INVALID, "%s must hold %d hex digits (32 random bytes)",
                            path, KEY_HEX);
    } else if (missing && !file) {
        char hex[KEY_HEX + 2];
        crypto_secretbox_keygen(s->key);
        sodium_bin2hex(hex, KEY_HEX + 1, s->key, sizeof(s->key));
        hex[KEY_HEX] = '\n';
        hex[KEY_HEX + 1] = '\0';
        rc = write_file(path, hex, 0600, err);
        sodium_memzero(hex, sizeof(hex));
    } else {
        rc = au_err_set(err, file ? AU_ERR_INVALID : AU_ERR_IO,
                        "cannot read the secrets key file %s: %s", path, strerror(errno));
    }
    if (text)
        sodium_memzero(text, strlen(text));
    au_free(text);
    au_free(path);
    return rc;
}

/* Seals "name\0value" into {"nonce","box","updated"}. New reference or NULL. */
static json_t *seal(const au_secrets *s, const char *name, const char *value, const char *updated)
{
    size_t nlen = strlen(name), vlen = strlen(value), plen = nlen + 1 + vlen;
    size_t blen = plen + crypto_secretbox_MACBYTES;
    unsigned char nonce[crypto_secretbox_NONCEBYTES];
    unsigned char *plain = au_malloc(plen), *box = au_malloc(blen);
    char nhex[sizeof(nonce) * 2 + 1], *bhex = au_malloc(blen * 2 + 1);
    json_t *out = NULL;
    if (!plain || !box || !bhex)
        goto out;
    memcpy(plain, name, nlen + 1);
    memcpy(plain + nlen + 1, value, vlen);
    randombytes_buf(nonce, sizeof(nonce));
    crypto_secretbox_easy(box, plain, plen, nonce, s->key);
    sodium_bin2hex(nhex, sizeof(nhex), nonce, sizeof(nonce));
    sodium_bin2hex(bhex, blen * 2 + 1, box, blen);
    out = json_pack("{s:s,s:s,s:s}", "nonce", nhex, "box", bhex, "updated", updated);
out:
    if (plain)
        sodium_memzero(plain, plen);
    au_free(plain);
    au_free(box);
    au_free(bhex);
    return out;
}

/* Opens one stored box of `name`; the value (au_free) or NULL when it does not open. */
static char *open_box(const au_secrets *s, const char *name, const json_t *entry)
{
    const char *nhex = json_string_value(json_object_get(entry, "nonce"));
    const char *bhex = json_string_value(json_object_get(entry, "box"));
    unsigned char nonce[crypto_secretbox_NONCEBYTES];
    size_t len = 0, nlen = strlen(name);
    char *value = NULL;
    if (!nhex || !bhex ||
        sodium_hex2bin(nonce, sizeof(nonce), nhex, strlen(nhex), NULL, &len, NULL) ||
        len != sizeof(nonce))
        return NULL;
    size_t cap = strlen(bhex) / 2;
    unsigned char *box = au_malloc(cap + 1), *plain = au_malloc(cap + 1);
    if (!box || !plain || sodium_hex2bin(box, cap, bhex, strlen(bhex), NULL, &len, NULL) ||
        len < crypto_secretbox_MACBYTES + nlen + 1)
        goto out;
    size_t plen = len - crypto_secretbox_MACBYTES;
    if (crypto_secretbox_open_easy(plain, box, len, nonce, s->key))
        goto out;
    if (memcmp(plain, name, nlen) || plain[nlen] != '\0')
        goto out;
    value = au_strndup((const char *)plain + nlen + 1, plen - nlen - 1);
    sodium_memzero(plain, plen);
out:
    au_free(box);
    au_free(plain);
    return value;
}

/* Reads DATA/secrets.json into s->values and s->updated. */
static au_rc load_file(au_secrets *s, au_err *err)
{
    int missing = 0;
    char *text = slurp(s->path, 16L << 20, &missing);
    json_t *doc = NULL, *entry;
    const char *name;
    au_rc rc = AU_OK;
    if (!text)
        return missing ? AU_OK : au_err_set(err, AU_ERR_IO, "cannot read %s", s->path);
    doc = json_loads(text, 0, NULL);
    au_free(text);
    if (!json_is_object(json_object_get(doc, "secrets"))) {
        rc = au_err_set(err, AU_ERR_INVALID, "%s is not a secrets file", s->path);
        goto out;
    }
    json_object_foreach(json_object_get(doc, "secrets"), name, entry)
    {
        char *value = au_secrets_name_ok(name) ? open_box(s, name, entry) : NULL;
        if (!value) {
            rc = au_err_set(err, AU_ERR_INVALID,
                            "secret \"%.64s\" in %s does not open with the secrets key (wrong "
                            "AURUM_SECRETS_KEY or key file?)",
                            name, s->path);
            goto out;
        }
        json_object_set_new(s->values, name, json_string(value));
        json_object_set(s->updated, name, json_object_get(entry, "updated"));
        sodium_memzero(value, strlen(value));
        au_free(value);
    }
out:
    json_decref(doc);
    return rc;
}

/* Rewrites the file from the in-memory map (caller holds mu). */
static au_rc save_file(au_secrets *s, au_err *err)
{
    json_t *all = json_object(), *doc = json_pack("{s:i,s:o}", "version", 1, "secrets", all);
    const char *name;
    json_t *v;
    au_rc rc = AU_OK;
    char *text = NULL;
    if (!doc)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    json_object_foreach(s->values, name, v)
    {
        const char *upd = json_string_value(json_object_get(s->updated, name));
        json_t *box = seal(s, name, json_string_value(v), upd ? upd : "");
        if (!box || json_object_set_new(all, name, box)) {
            rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    rc = text ? write_file(s->path, text, 0600, err)
              : au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    free(text);
    json_decref(doc);
    return rc;
}

au_rc au_secrets_open(const char *data_dir, const json_t *section, au_secrets **out, au_err *err)
{
    au_secrets *s = NULL;
    au_rc rc;
    *out = NULL;
    if (sodium_init() < 0)
        return au_err_set(err, AU_ERR_INTERNAL, "libsodium failed to initialise");
    secrets_opts o = {0};
    if ((rc = au_opts_from_json(secrets_table, NSECRETS_OPTS, section, "secrets", &o, 0, err)))
        return rc;
    if (!(s = au_calloc(1, sizeof(*s))))
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->values = json_object();
    s->updated = json_object();
    s->path = au_asprintf("%s/secrets.json", data_dir);
    if (!s->values || !s->updated || !s->path) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = load_key(s, data_dir, section, err);
    if (!rc)
        rc = load_file(s, err);
out:
    if (rc)
        au_secrets_free(s);
    else
        *out = s;
    return rc;
}

void au_secrets_free(au_secrets *s)
{
    if (!s)
        return;
    sodium_memzero(s->key, sizeof(s->key));
    json_decref(s->values);
    json_decref(s->updated);
    au_free(s->path);
    pthread_mutex_destroy(&s->mu);
    au_free(s);
}

au_rc au_secrets_set(au_secrets *s, const char *name, const char *value, au_err *err)
{
    char now[40];
    if (!au_secrets_name_ok(name))
        return au_err_set(err, AU_ERR_INVALID,
                          "secret names are 1 to %d letters, digits or _ (got \"%.64s\")",
                          AU_SECRET_NAME_MAX, name ? name : "");
    if (!value || !*value || strlen(value) > AU_SECRET_VALUE_MAX)
        return au_err_set(err, AU_ERR_INVALID, "a secret value is 1 to %d bytes",
                          AU_SECRET_VALUE_MAX);
    au_iso8601_format(au_wall_ms(), now, sizeof(now));
    pthread_mutex_lock(&s->mu);
    json_t *old_v = json_incref(json_object_get(s->values, name));
    json_t *old_u = json_incref(json_object_get(s->updated, name));
    au_rc rc = AU_OK;
    if (json_object_set_new(s->values, name, json_string(value)) ||
        json_object_set_new(s->updated, name, json_string(now)))
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = save_file(s, err);
    if (rc) { /* the file was not replaced: keep memory as the file is */
        if (old_v) {
            json_object_set(s->values, name, old_v);
            json_object_set(s->updated, name, old_u);
        } else {
            json_object_del(s->values, name);
            json_object_del(s->updated, name);
        }
    }
    json_decref(old_v);
    json_decref(old_u);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

au_rc au_secrets_remove(au_secrets *s, const char *name, au_err *err)
{
    au_rc rc;
    pthread_mutex_lock(&s->mu);
    json_t *old_v = json_incref(json_object_get(s->values, name));
    json_t *old_u = json_incref(json_object_get(s->updated, name));
    if (!old_v) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no secret named \"%.64s\"", name);
        goto out;
    }
    json_object_del(s->values, name);
    json_object_del(s->updated, name);
    rc = save_file(s, err);
    if (rc) {
        json_object_set(s->values, name, old_v);
        json_object_set(s->updated, name, old_u);
    }
out:
    json_decref(old_v);
    json_decref(old_u);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

json_t *au_secrets_list(au_secrets *s)
{
    json_t *out = json_array();
    const char *name;
    json_t *v;
    pthread_mutex_lock(&s->mu);
    json_object_foreach(s->updated, name, v)
    {
        json_array_append_new(out, json_pack("{s:s,s:O}", "name", name, "updated", v));
    }
    pthread_mutex_unlock(&s->mu);
    return out;
}

json_t *au_secrets_context(au_secrets *s, int reveal)
{
    json_t *out = json_object();
    const char *name;
    json_t *v;
    if (!s || !out)
        return out;
    pthread_mutex_lock(&s->mu);
    json_object_foreach(s->values, name, v)
    {
        char *ph = reveal ? NULL : au_asprintf("[secret:%s]", name);
        json_object_set_new(out, name, reveal ? json_incref(v) : json_string(ph ? ph : ""));
        au_free(ph);
    }
    pthread_mutex_unlock(&s->mu);
    return out;
}

char *au_secrets_scrub(au_secrets *s, const char *text)
{
    char *cur = NULL;
    const char *name;
    json_t *v;
    if (!s || !text)
        return NULL;
    pthread_mutex_lock(&s->mu);
    json_object_foreach(s->values, name, v)
    {
        const char *val = json_string_value(v), *src = cur ? cur : text, *hit;
        size_t vlen = strlen(val);
        if (vlen < 4 || !(hit = strstr(src, val)))
            continue;
        size_t cap = strlen(src) + (strlen(src) / 4 + 1) * (strlen(name) + 9) + 1, o = 0;
        char *next = au_malloc(cap);
        if (!next)
            break;
        while (hit) {
            memcpy(next + o, src, (size_t)(hit - src));
            o += (size_t)(hit - src);
            o += (size_t)snprintf(next + o, cap - o, "[secret:%s]", name);
            src = hit + vlen;
            hit = strstr(src, val);
        }
        memcpy(next + o, src, strlen(src) + 1);
        au_free(cur);
        cur = next;
    }
    pthread_mutex_unlock(&s->mu);
    return cur;
}
