/*
 * Declared options: one row describes an option once — name, type, default, offset into the
 * consumer's struct, bounds, value name, help — and the same row serves every place options
 * come from: the configuration file (src/core/config.c, over the YAML loader), every CLI
 * subcommand (lib/args.h puts argv on top), flow-step connector options (flows/connector.h)
 * and the API's query and path parameters (api/query.h). So a value is validated the same way
 * everywhere ("limit: expected an integer from 1 to 1000, got '5x'" whether it came from a URL,
 * a command line or a YAML file), and the help texts and reference docs are generated from the
 * rows (Fluent Bit's flb_config_map, applied to every source of options).
 *
 * This module converts and stores values; the front-ends own the syntax around them (argv
 * flags, query strings, YAML mappings) and the wording of unknown keys.
 */
#ifndef AU_OPTS_H
#define AU_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/rc.h"
#include "lib/yaml.h"

/* What a value must be, and the field type at `offset`. */
typedef enum au_opt_type {
    AU_OPT_STRING,   /* text: const char * (borrowed) or char * (copied, AU_OPT_COPY) */
    AU_OPT_INT,      /* long: decimal digits with an optional '-', within [min, max] if min < max */
    AU_OPT_BOOL,     /* int 0/1: a flag without value on a command line; elsewhere true/false,
                      * yes/no, on/off or 1/0 (any case) */
    AU_OPT_STRINGS,  /* au_opt_list: repeatable on a command line; a YAML list or one string */
    AU_OPT_TEMPLATE, /* a string the consumer compiles (flow steps' {{ expr }} templates) */
    AU_OPT_MAPPING,  /* a nested YAML mapping handed to the consumer (flow steps) */
    AU_OPT_U64,      /* uint64_t: decimal digits */
    AU_OPT_DOUBLE,   /* double: a finite decimal number */
    AU_OPT_CHOICE,   /* int: index of the value among the '|'-separated words of `arg` */
} au_opt_type;

/* au_opt.flags */
#define AU_OPT_CLAMP     1 /* INT: a value above max is served as max (a documented cap) */
#define AU_OPT_NOT_FOUND 2 /* a path parameter naming a resource: malformed is a 404, not 400 */
#define AU_OPT_INT_FIELD 4 /* INT: the field is an int, not a long (bounds within int's) */
#define AU_OPT_CONSUMER                                                                            \
    8 /* MAPPING: a known key whose value the consumer reads and checks                            \
       * itself (any JSON value); the section front-ends skip it */

/* One option. The first seven fields are positional for the connector tables
 * ({name, type, required, def, min, max, help}); other tables use AU_OPT_ROW. */
typedef struct au_opt {
    const char *name; /* key in YAML or a query, "--name" on a command line; NULL ends a table */
    au_opt_type type; /* what the value must be */
    int required;     /* absent: an error naming it */
    const char *def;  /* default as it would be written ("50", "POST"); NULL: none */
    long min, max;    /* AU_OPT_INT bounds when min < max */
    const char *help; /* one line for the help and the reference */
    size_t offset;    /* offsetof the field in the consumer's struct */
    const char *arg;  /* value name in a usage ("FILE"); the words of AU_OPT_CHOICE */
    unsigned flags;   /* AU_OPT_CLAMP, AU_OPT_NOT_FOUND, AU_OPT_INT_FIELD, AU_OPT_CONSUMER */
    double lo, hi;    /* AU_OPT_DOUBLE bounds (inclusive) when lo < hi */
} au_opt;

/* A table row: name, type, offset, value name, help, then designated fields
 * (.def = "50", .min = 1, .max = 1000, .lo = 0, .hi = 0.5, .required = 1). A MAPPING row's
 * arg, when set, is its type in the reference ("list"). */
#define AU_OPT_ROW(name_, type_, offset_, arg_, help_, ...)                                        \
    {                                                                                              \
        .name = (name_), .type = (type_), .offset = (offset_), .arg = (arg_), .help = (help_),     \
        __VA_ARGS__                                                                                \
    }

/* Values of an AU_OPT_STRINGS field, borrowed from the source (argv, the YAML document). */
#define AU_OPT_LIST_MAX 32
typedef struct au_opt_list {
    const char *v[AU_OPT_LIST_MAX]; /* in the order given */
    int n;                          /* used entries */
} au_opt_list;

/* A converted value (which member: by the row's type). */
typedef union au_opt_val {
    const char *s; /* STRING, TEMPLATE, STRINGS (one item): the text, borrowed */
    long i;        /* INT */
    int b;         /* BOOL; CHOICE (the index) */
    uint64_t u;    /* U64 */
    double d;      /* DOUBLE */
} au_opt_val;

/* Flags of the set functions. */
#define AU_OPT_COPY                                                                                \
    1 /* STRING fields get a copy (au_strdup) the consumer frees with                              \
       * au_opts_cleanup, instead of borrowing the source text */

/* --- one value ----------------------------------------------------------------------------- */
/* Converts text per o's type. On failure (AU_ERR_INVALID) err->message is "expected <what>, got
 * '<text>'", without the option's name, for callers that prefix a path of their own. */
AU_MUST_USE au_rc au_opt_convert(const au_opt *o, const char *text, au_opt_val *out, au_err *err);
/* Converts text and stores it in the field of dst; errors start with the option's name
 * ("limit: expected an integer from 1 to 1000, got '5x'"). */
AU_MUST_USE au_rc au_opt_set(const au_opt *o, const char *text, void *dst, unsigned flags,
                             au_err *err);
/* The same from a YAML node: a scalar for the scalar types (quoted text is not a number or a
 * boolean; a null STRING is ""), a list or one string for STRINGS. TEMPLATE and MAPPING are for
 * the consumer to compile: refused here. Errors name the option, not the position (the caller
 * has the node). */
AU_MUST_USE au_rc au_opt_set_node(const au_opt *o, const au_ynode *n, void *dst, unsigned flags,
                                  au_err *err);
/* "an integer from 1 to 1000", "one of csv, jsonl", "true or false"... */
void au_opt_expected(const au_opt *o, char *buf, size_t cap);

/* --- tables -------------------------------------------------------------------------------- */
/* Rows of a table ended by a NULL name. */
size_t au_opts_count(const au_opt *opts);
/* The row whose name is the first len bytes of name, or NULL. */
const au_opt *au_opts_find(const au_opt *opts, size_t n, const char *name, size_t len);
/* Stores every row's default (rows without one are left as they are). */
AU_MUST_USE au_rc au_opts_defaults(const au_opt *opts, size_t n, void *dst, unsigned flags,
                                   au_err *err);
/* Frees the STRING fields stored with AU_OPT_COPY and sets them to NULL. */
void au_opts_cleanup(const au_opt *opts, size_t n, void *dst);

/* A section of a YAML file: every key of mapping m must be a row of opts (else "PREFIX.key:
 * unknown key (valid keys: a, b)"); each is set with au_opt_set_node, rows marked required must
 * be there. Errors name PREFIX.option and set *line / *col to the offending node (the key when
 * unknown, else the value). m NULL (the section is absent) sets nothing. */
AU_MUST_USE au_rc au_opts_from_yaml(const au_opt *opts, size_t n, const au_ynode *m,
                                    const char *prefix, void *dst, unsigned flags, unsigned *line,
                                    unsigned *col, au_err *err);

/* The same for a JSON object (a configuration section converted from YAML, the body of an API
 * request): unknown key "PREFIX.key: unknown key (valid keys: a, b)", a value of the wrong kind
 * "PREFIX.key: expected an integer from 1 to 99, got the string '30'" (the wording of
 * au_opt_expected), rows marked required must be there. A MAPPING row takes an object and
 * stores it as a borrowed const json_t * for the consumer to read; an object or array where a
 * scalar is expected is refused. obj NULL sets nothing; prefix NULL or "" adds nothing. */
struct json_t;
AU_MUST_USE au_rc au_opts_from_json(const au_opt *opts, size_t n, const struct json_t *obj,
                                    const char *prefix, void *dst, unsigned flags, au_err *err);
/* One value from JSON (errors start with the option's name). */
AU_MUST_USE au_rc au_opt_set_json(const au_opt *o, const struct json_t *v, void *dst,
                                  unsigned flags, au_err *err);
/* "a, b, c": the names of the rows, for "valid keys" messages. */
void au_opts_names(const au_opt *opts, size_t n, char *buf, size_t cap);

/* --- reference ----------------------------------------------------------------------------- */
/* The type as the reference shows it: "integer 1..1000", "string", "csv|jsonl"... */
void au_opt_type_text(const au_opt *o, char *buf, size_t cap);
/* One Markdown table row per option: | `name` | type | default | help |, after a header row. */
AU_MUST_USE au_rc au_opts_markdown(const au_opt *opts, size_t n, au_buf *out);

#endif
