/*
 * The node's name (node.h): configured, or derived from what stays the same across restarts of
 * one node and differs between two nodes — its host name and its data directory.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/node.h"

void au_node_name(const au_config *cfg, const char *data_dir, char *out, size_t cap)
{
    char host[256] = "", dir[PATH_MAX];
    if (cfg && cfg->node && *cfg->node) {
        snprintf(out, cap, "%.*s", AU_NODE_NAME_MAX, cfg->node);
        return;
    }
    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "node");
    /* realpath: "./data" and "/srv/aurum/data" are one directory, so one node */
    const char *d = data_dir ? data_dir : "";
    if (realpath(d, dir))
        d = dir;
    snprintf(out, cap, "%.100s-%08x", host, (unsigned)(XXH3_64bits(d, strlen(d)) & 0xffffffffu));
}
