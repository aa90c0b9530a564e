/*
 * The web console's files, embedded in the binary at build time: scripts/webembed.sh turns
 * every file under web/ into a row of this table in a generated C source (BUILD/gen, never
 * committed), so the daemon serves the console with nothing installed beside it and nothing
 * fetched at run time.
 */
#ifndef AU_API_ASSETS_H
#define AU_API_ASSETS_H

#include <stddef.h>

/* One embedded file. */
typedef struct au_asset {
    const char *path;          /* relative to web/, e.g. "index.html", "js/app.js" */
    const char *type;          /* Content-Type */
    const unsigned char *data; /* the bytes (static) */
    size_t len;                /* bytes of data */
    const char *etag;          /* quoted strong validator: checksum and size of the bytes */
} au_asset;

extern const au_asset au_assets[];
extern const size_t au_nassets;

#endif
