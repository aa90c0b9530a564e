/*
 * Flow definitions: parsing a flow from YAML (or JSON, which libyaml reads too) and validating
 * it completely at save time. A flow is a trigger, an optional condition and one or more steps
 * (schema and examples: docs/FLOWS.md). Every error names the flow, the YAML line and column
 * of the offending node and, for expressions, the position inside the expression; all errors
 * of a definition are reported at once (as au_err details), not just the first.
 * The result is an immutable au_flowdef with every expression and template compiled, ready for
 * the engine, plus its normalised JSON form (defaults filled) for the API.
 */
#ifndef AU_FLOWDEF_H
#define AU_FLOWDEF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "flows/connector.h"
#include "flows/cron.h"
#include "flows/expr.h"
#include "lib/opts.h"
#include "lib/rc.h"
#include "lib/yaml.h"

/* Limits on one definition. */
#define AU_FLOW_MAX_BYTES   (256 * 1024) /* YAML text */
#define AU_FLOW_MAX_STEPS   32
#define AU_FLOW_MAX_NAME    64     /* flow and step names: [A-Za-z0-9_.-] */
#define AU_FLOW_MAX_MAPPING 256    /* entries of one mapping (body, headers...) */
#define AU_FLOW_MAX_DEPTH   32     /* YAML nesting of a definition */
#define AU_FLOW_MAX_NODES   100000 /* YAML nodes of a definition, aliases expanded */

/* What starts a run. */
typedef enum au_trigger_kind {
    AU_TRIGGER_PROFILE,  /* a profile changed */
    AU_TRIGGER_EVENT,    /* a business event of a type (and source) arrived */
    AU_TRIGGER_SCHEDULE, /* a cron schedule fired */
    AU_TRIGGER_WEBHOOK   /* POST /v1/hooks/{flow} with the flow's secret */
} au_trigger_kind;

/* Profile changes, as bits of au_flow_trigger.profile_changes. */
#define AU_PROFILE_CREATED 1u
#define AU_PROFILE_UPDATED 2u
#define AU_PROFILE_MERGED  4u
#define AU_PROFILE_SPLIT   8u
#define AU_PROFILE_DELETED 16u
#define AU_PROFILE_ERASED  32u /* a person was erased (src/privacy, src/flows/erased.c) */

typedef struct au_flow_trigger {
    au_trigger_kind kind;     /* which of the fields below apply */
    unsigned profile_changes; /* PROFILE: AU_PROFILE_* bits */
    char **attributes;        /* PROFILE: fire on update only if one of these changed, owned */
    size_t nattributes;       /* 0: any change */
    char *event_type;         /* EVENT: required, owned */
    char *event_source;       /* EVENT: NULL for any source, owned */
    au_cron *cron;            /* SCHEDULE: compiled schedule (with its time zone), owned */
    char *secret;             /* WEBHOOK: shared secret, owned */
} au_flow_trigger;

/* A compiled value of a TEMPLATE or MAPPING option: literals, templates, objects, lists. */
typedef struct au_flow_value au_flow_value;

/* One step of a flow. */
typedef struct au_flow_step {
    char *id;                      /* unique within the flow, owned */
    const au_connector *connector; /* the step kind */
    au_expr *when;                 /* optional per-step condition (NULL: always), owned */
    json_t *config;                /* validated options with defaults filled, owned */
    au_flow_value **values;        /* compiled TEMPLATE/MAPPING options, parallel to
                                      connector->options; NULL entries where absent, owned */
    size_t nvalues;                /* entries in values */
} au_flow_step;

typedef struct au_flowdef {
    char *name;              /* owned */
    char *description;       /* owned, "" when absent */
    int enabled;             /* default 1 */
    au_flow_trigger trigger; /* what starts a run */
    au_expr *condition;      /* NULL: always */
    au_flow_step *steps;     /* nsteps entries, owned */
    size_t nsteps;           /* 1..AU_FLOW_MAX_STEPS */
    long max_attempts;       /* retry.max_attempts, default 5 */
    long backoff_ms;         /* retry.backoff_ms: first delay, doubled per attempt */
    long max_backoff_ms;     /* retry.max_backoff_ms: cap of the delay */
    long concurrency;        /* runs of this flow in flight at once, default 1 */
    json_t *json;            /* normalised definition, owned (secrets included) */
} au_flowdef;

/* Parses and validates one flow (a YAML/JSON mapping). `name` (may be NULL) is the name the
 * flow is saved under (PUT /v1/flows/{name}); when given, the text's `name` must be absent or
 * equal. On failure err->message holds the first error ("flow \"x\": line 3, column 5:
 * steps[0].http.url: ...") and err->details every error (record_id = flow name, field = path,
 * reason = "line L, column C: ..."). *out is freed with au_flowdef_free. */
au_rc au_flowdef_parse(const char *text, size_t len, const char *name, au_flowdef **out,
                       au_err *err);
/* The same from a node of an already loaded YAML document (an inline flow of the
 * configuration file): the positions in messages are the node's, in that document's text. */
au_rc au_flowdef_from_node(const au_ynode *root, const char *name, au_flowdef **out, au_err *err);
void au_flowdef_free(au_flowdef *f);
/* The declared options of a flow itself (enabled, concurrency) and of its `retry:` mapping,
 * ended by {0}: defaults and bounds, for the reference. */
const au_opt *au_flowdef_options(void);
const au_opt *au_flowdef_retry_options(void);
/* The normalised JSON form; secrets are replaced by "********" when redact is set.
 * New reference. */
json_t *au_flowdef_to_json(const au_flowdef *f, int redact);
/* A definition read from the API (hidden values shown as "********" or "[redacted]") and sent
 * back must not replace the hidden values with their placeholders. In `nw`, a client's
 * definition as JSON, every value that equals what au_flowdef_to_json(old, 1) shows at the same
 * place (steps matched by id) while the stored value differs is replaced by the stored value.
 * Returns how many were put back (0 when old is NULL). */
int au_flowdef_keep_hidden(json_t *nw, const au_flowdef *old);
/* Where a placeholder of a hidden value is left in a parsed definition ("steps[0].http.secret"
 * written into path), 1 if one is; 0 when none is. Saving it would store the placeholder. */
int au_flowdef_placeholder_at(const au_flowdef *f, char *path, size_t cap);

/* Evaluates the flow's condition for ctx: *match is 1 when there is none or it is truthy. */
au_rc au_flowdef_condition(const au_flowdef *f, const json_t *ctx, int64_t now_ms, int *match,
                           au_expr_error *err);

/* --- step values, for connectors --------------------------------------------------------- */
/* The compiled value of option `name` of the step, NULL when absent or not a TEMPLATE/MAPPING. */
const au_flow_value *au_flow_step_value(const au_flow_step *s, const char *name);
/* Evaluates a value to JSON: templates that are exactly "{{ expr }}" keep the expression's type,
 * other strings render to strings, objects and lists recursively. New reference in *out. */
au_rc au_flow_value_eval(const au_flow_value *v, const json_t *ctx, int64_t now_ms, json_t **out,
                         au_expr_error *err);
/* Renders a TEMPLATE value as text (flags: AU_TMPL_URLENCODE). *out freed with au_free. */
au_rc au_flow_value_render(const au_flow_value *v, const json_t *ctx, int64_t now_ms, int flags,
                           char **out, au_expr_error *err);

#endif
