/*
 * The node's name: who holds a lease on an outbox row or fired a schedule when several `aurum
 * serve` nodes share one store (docs/FLOWS.md, docs/POSTGRES.md). It must be the same after a
 * restart, so that a node starting again takes back (releases) the leases it held when it was
 * killed instead of leaving them to run out, and unique among the nodes, so that no node
 * releases another's.
 */
#ifndef AU_NODE_H
#define AU_NODE_H

#include <stddef.h>

#include "core/config.h"

/* Longest node name kept (longer configured names are cut). */
#define AU_NODE_NAME_MAX 128

/* Writes the node's name into out[cap]: the configuration's `node:` when set, else
 * "<host name>-<8 hex digits of a hash of the absolute data directory>" (two daemons on one
 * host have two data directories). cfg may be NULL. */
void au_node_name(const au_config *cfg, const char *data_dir, char *out, size_t cap);

#endif
