/*
 * The one YAML loader: the configuration file and flow definitions (and inline flows inside the
 * configuration) are read by libyaml's document API into a tree of au_ynode, each node carrying
 * the line and column where it starts in the text it was read from, so every consumer can name
 * the exact place of a mistake. Loading is bounded: nesting deeper than max_depth is refused
 * (which also stops recursive aliases such as `&a [*a]`), and aliases are expanded into copies
 * that count against a node budget, so an alias bomb ("billion laughs") is refused at load
 * instead of multiplying the work of every consumer. Merge keys (`<<`) are applied here:
 * explicit keys win over merged ones, earlier merged mappings over later ones.
 * A loaded tree is immutable and owned by its au_yaml_doc; nodes are borrowed from it.
 */
#ifndef AU_YAML_H
#define AU_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "lib/rc.h"

/* Defaults of au_yaml_limits (a field left 0 takes its default). */
#define AU_YAML_MAX_DEPTH 64      /* nesting levels */
#define AU_YAML_MAX_NODES 1000000 /* nodes of the expanded tree, aliases included */

typedef enum au_ynode_kind {
    AU_YAML_SCALAR, /* text */
    AU_YAML_SEQ,    /* a list */
    AU_YAML_MAP     /* a mapping */
} au_ynode_kind;

/* One node. Positions are 1-based, in the text given to au_yaml_load. */
typedef struct au_ynode au_ynode;
struct au_ynode {
    au_ynode_kind kind; /* which fields below apply */
    unsigned line, col; /* where the node starts (for an alias copy: the anchored node) */
    const char *text;   /* SCALAR: the value, NUL-terminated (may hold an escaped NUL: len) */
    size_t len;         /* SCALAR: bytes of text */
    int plain;          /* SCALAR: written unquoted, so typed (numbers, true/false, null) */
    size_t n;           /* SEQ: items; MAP: pairs (after merge keys are applied) */
    au_ynode **items;   /* SEQ: n items; MAP: 2n entries: key 0, value 0, key 1, value 1, ... */
};

/* Bounds of one load; 0 fields take the defaults above. */
typedef struct au_yaml_limits {
    int max_depth;  /* nesting levels */
    long max_nodes; /* nodes of the expanded tree */
} au_yaml_limits;

typedef struct au_yaml_doc au_yaml_doc;

/* Loads the first document of text (an empty stream: a document without root). On failure
 * err->message is the problem alone and *line / *col (when not NULL) where it is, so each caller
 * formats the position its own way; AU_ERR_PARSE for malformed YAML, AU_ERR_TOO_LARGE for the
 * depth and node limits, AU_ERR_NOMEM. *out is freed with au_yaml_free. */
AU_MUST_USE au_rc au_yaml_load(const char *text, size_t len, const au_yaml_limits *lim,
                               au_yaml_doc **out, unsigned *line, unsigned *col, au_err *err);
void au_yaml_free(au_yaml_doc *d);
/* The root node, NULL for an empty stream. */
const au_ynode *au_yaml_root(const au_yaml_doc *d);

/* --- reading nodes ------------------------------------------------------------------------- */
/* Key / value of pair i of a mapping. */
#define AU_YAML_KEY(m, i)   ((const au_ynode *)(m)->items[2 * (i)])
#define AU_YAML_VALUE(m, i) ((const au_ynode *)(m)->items[2 * (i) + 1])
/* The value of the first pair whose key is the scalar `key`, NULL when absent or m is not a
 * mapping; *key_node (may be NULL) gets the key node. */
const au_ynode *au_yaml_get(const au_ynode *m, const char *key, const au_ynode **key_node);
/* A plain scalar YAML reads as null: empty, ~, null, Null, NULL. */
int au_yaml_is_null(const au_ynode *n);
/* "a mapping", "a list" or "a scalar", for messages. */
const char *au_yaml_kind_name(const au_ynode *n);

/* --- JSON ---------------------------------------------------------------------------------- */
/* The node as JSON: plain scalars typed by the YAML 1.2 core schema (integers, floats,
 * true/false, null), quoted ones strings. A duplicate key or a NUL in a scalar is an error
 * naming the node (*line / *col as for au_yaml_load). *out is a new reference. */
AU_MUST_USE au_rc au_yaml_node_to_json(const au_ynode *n, json_t **out, unsigned *line,
                                       unsigned *col, au_err *err);
/* Loads text and converts it whole (an empty stream gives {}); errors start "LINE:COL: ". */
AU_MUST_USE au_rc au_yaml_to_json(const char *text, size_t len, json_t **out, au_err *err);

#endif
