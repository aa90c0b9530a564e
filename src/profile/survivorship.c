/*
 * Survivorship rules and golden-profile assembly. Clusters are small (a handful to a few hundred
 * records), so frequency counting compares every candidate with every other (O(n^2)) instead of
 * building a hash table: simpler, allocation-free, and fast at that size. Every comparison ends
 * with the candidate's position in the sorted member array, which is what makes the result
 * independent of the input order.
 */
#include "profile/survivorship.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/opts.h"
#include "normalize/normalize.h"

/* Rule slots: one per canonical attribute, then the address group and custom attributes.
 * The slots of the individual address parts are unused: the parts survive as one unit. */
enum { SLOT_ADDRESS = AU_ATTR_COUNT, SLOT_CUSTOM, NSLOTS };

/* Bound on a configured source list, so a hostile config cannot allocate without limit. */
#define MAX_RULE_SOURCES 256

typedef struct rule_cfg {
    au_survive_rule kind;     /* the rule */
    char **sources;           /* source_priority order, or [0] = the fixed source; owned */
    size_t nsources;          /* entries in sources */
    au_survive_rule fallback; /* fixed_source: rule used when no member has that source */
} rule_cfg;

struct au_survive_config {
    rule_cfg rules[NSLOTS]; /* indexed by attribute or SLOT_* */
};

static const char *const rule_names[] = {
    [AU_SURVIVE_TRUST] = "trust",
    [AU_SURVIVE_MOST_RECENT] = "most_recent",
    [AU_SURVIVE_MOST_FREQUENT] = "most_frequent",
    [AU_SURVIVE_MOST_COMPLETE] = "most_complete",
    [AU_SURVIVE_SOURCE_PRIORITY] = "source_priority",
    [AU_SURVIVE_FIXED_SOURCE] = "fixed_source",
};
#define NRULES ((int)(sizeof(rule_names) / sizeof(rule_names[0])))

static const au_attr address_parts[] = {
    AU_ATTR_ADDRESS_LINE1, AU_ATTR_ADDRESS_LINE2, AU_ATTR_CITY,        AU_ATTR_POSTCODE,
    AU_ATTR_STATE,         AU_ATTR_COUNTRY,       AU_ATTR_ADDRESS_FULL};
/* Names of the parts in the profile's "addresses" list, parallel to address_parts. */
static const char *const address_list_names[] = {"line1", "line2",   "city", "postcode",
                                                 "state", "country", "full"};
#define NPARTS (sizeof(address_parts) / sizeof(address_parts[0]))

const char *au_survive_rule_name(au_survive_rule r)
{
    return (int)r >= 0 && (int)r < NRULES ? rule_names[r] : "?";
}

static int is_address_part(int a)
{
    for (size_t i = 0; i < NPARTS; i++)
        if ((int)address_parts[i] == a)
            return 1;
    return 0;
}

/* --- configuration ------------------------------------------------------------------------ */

static void rule_clear(rule_cfg *r)
{
    for (size_t i = 0; i < r->nsources; i++)
        au_free(r->sources[i]);
    au_free(r->sources);
    r->sources = NULL;
    r->nsources = 0;
}

void au_survive_config_free(au_survive_config *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; i < NSLOTS; i++)
        rule_clear(&cfg->rules[i]);
    au_free(cfg);
}

static au_survive_rule default_rule(int slot)
{
    if (slot == SLOT_ADDRESS || slot == SLOT_CUSTOM || slot == AU_ATTR_EMAIL ||
        slot == AU_ATTR_PHONE)
        return AU_SURVIVE_MOST_RECENT;
    if (slot == AU_ATTR_NATIONAL_ID || slot == AU_ATTR_PASSPORT || slot == AU_ATTR_DRIVERS_LICENSE)
        return AU_SURVIVE_TRUST;
    return AU_SURVIVE_MOST_FREQUENT;
}

au_rc au_survive_config_default(au_survive_config **out)
{
    au_survive_config *cfg = au_calloc(1, sizeof(*cfg));
    if (!cfg)
        return AU_ERR_NOMEM;
    for (int i = 0; i < NSLOTS; i++) {
        cfg->rules[i].kind = default_rule(i);
        cfg->rules[i].fallback = AU_SURVIVE_TRUST;
    }
    *out = cfg;
    return AU_OK;
}

static const char *slot_name(int slot)
{
    if (slot == SLOT_ADDRESS)
        return "address";
    if (slot == SLOT_CUSTOM)
        return "custom";
    return au_attr_name((au_attr)slot);
}

static int rule_from_name(const char *s)
{
    for (int i = 0; i < NRULES; i++)
        if (strcmp(rule_names[i], s) == 0)
            return i;
    return -1;
}

static au_rc unknown_rule(const char *key, const char *name, au_err *err)
{
    au_err_detail_add(err, -1, NULL, key, "unknown rule \"%s\"", name);
    return au_err_set(err, AU_ERR_INVALID,
                      "survivorship.%s: unknown rule \"%s\" (expected trust, most_recent, "
                      "most_frequent, most_complete, source_priority or fixed_source)",
                      key, name);
}

static au_rc bad_rule(const char *key, au_err *err, const char *why)
{
    au_err_detail_add(err, -1, NULL, key, "%s", why);
    return au_err_set(err, AU_ERR_INVALID, "survivorship.%s: %s", key, why);
}

static au_rc add_source(rule_cfg *r, const char *s)
{
    char **v = au_realloc(r->sources, (r->nsources + 1) * sizeof(char *));
    if (!v)
        return AU_ERR_NOMEM;
    r->sources = v;
    if (!(v[r->nsources] = au_strdup(s)))
        return AU_ERR_NOMEM;
    r->nsources++;
    return AU_OK;
}

/* "fixed_source:crm" shorthand. */
static au_rc parse_rule_string(const char *key, const char *s, rule_cfg *r, au_err *err)
{
    const char *colon = strchr(s, ':');
    if (colon && (size_t)(colon - s) == strlen("fixed_source") &&
        strncmp(s, "fixed_source", (size_t)(colon - s)) == 0) {
        const char *name = colon + 1;
        while (*name == ' ')
            name++;
        if (!*name)
            return bad_rule(key, err, "fixed_source needs a source name (\"fixed_source:crm\")");
        r->kind = AU_SURVIVE_FIXED_SOURCE;
        return add_source(r, name);
    }
    int k = rule_from_name(s);
    if (k < 0)
        return unknown_rule(key, s, err);
    if (k == AU_SURVIVE_SOURCE_PRIORITY)
        return bad_rule(key, err, "source_priority needs a \"sources\" list");
    if (k == AU_SURVIVE_FIXED_SOURCE)
        return bad_rule(key, err, "fixed_source needs a source name (\"fixed_source:crm\")");
    r->kind = (au_survive_rule)k;
    return AU_OK;
}

static au_rc parse_sources(const char *key, const json_t *list, rule_cfg *r, au_err *err)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return bad_rule(key, err, "\"sources\" must be a non-empty list of source names");
    if (json_array_size(list) > MAX_RULE_SOURCES)
        return bad_rule(key, err, "\"sources\" lists too many sources");
    size_t i;
    const json_t *s;
    json_array_foreach(list, i, s)
    {
        const char *name = json_string_value(s);
        if (!name || !*name)
            return bad_rule(key, err, "every entry of \"sources\" must be a source name");
        au_rc rc = add_source(r, name);
        if (rc)
            return rc;
    }
    return AU_OK;
}

/* The keys of a rule written as an object, as declared options: au_opts_from_json checks
 * names and values, docs/CONFIG.md prints them. The words of "rule" and "fallback" are
 * rule_names in enum order, so the index is the rule. */
typedef struct rule_opts {
    int rule, fallback; /* au_survive_rule */
    const char *source; /* borrowed from the object; NULL: not given */
} rule_opts;

static const au_opt rule_opts_table[] = {
    AU_OPT_ROW("rule", AU_OPT_CHOICE, offsetof(rule_opts, rule),
               "trust|most_recent|most_frequent|most_complete|source_priority|fixed_source",
               "how the attribute's value is chosen among the cluster's records", .required = 1),
    AU_OPT_ROW("sources", AU_OPT_MAPPING, 0, "list",
               "source_priority: the sources in order (the unlisted come last)",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("source", AU_OPT_STRING, offsetof(rule_opts, source), "SOURCE",
               "fixed_source: the source whose latest record gives the value"),
    AU_OPT_ROW("fallback", AU_OPT_CHOICE, offsetof(rule_opts, fallback),
               "trust|most_recent|most_frequent|most_complete",
               "fixed_source: the rule for clusters without a record of that source",
               .def = "trust"),
    {0},
};
#define NRULE_OPTS (sizeof rule_opts_table / sizeof rule_opts_table[0] - 1)

au_rc au_survive_options_markdown(au_buf *out)
{
    return au_opts_markdown(rule_opts_table, NRULE_OPTS, out);
}

static au_rc parse_rule_object(const char *key, const json_t *o, rule_cfg *r, au_err *err)
{
    rule_opts ro = {0};
    au_rc rc = au_opts_defaults(rule_opts_table, NRULE_OPTS, &ro, 0, err);
    if (!rc)
        rc = au_opts_from_json(rule_opts_table, NRULE_OPTS, o, NULL, &ro, 0, err);
    if (rc == AU_ERR_INVALID) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return bad_rule(key, err, why);
    }
    if (rc)
        return rc;
    r->kind = (au_survive_rule)ro.rule;
    r->fallback = (au_survive_rule)ro.fallback;
    if (ro.rule == AU_SURVIVE_SOURCE_PRIORITY)
        return parse_sources(key, json_object_get(o, "sources"), r, err);
    if (ro.rule != AU_SURVIVE_FIXED_SOURCE)
        return AU_OK;
    if (!ro.source || !*ro.source)
        return bad_rule(key, err, "fixed_source needs \"source\"");
    return add_source(r, ro.source);
}

static au_rc parse_rule(const char *key, const json_t *v, rule_cfg *r, au_err *err)
{
    rule_clear(r);
    r->fallback = AU_SURVIVE_TRUST;
    if (json_is_string(v))
        return parse_rule_string(key, json_string_value(v), r, err);
    if (json_is_object(v))
        return parse_rule_object(key, v, r, err);
    return bad_rule(key, err, "must be a rule name or an object with \"rule\"");
}

static au_rc rule_copy(rule_cfg *dst, const rule_cfg *src)
{
    rule_clear(dst);
    dst->kind = src->kind;
    dst->fallback = src->fallback;
    for (size_t i = 0; i < src->nsources; i++) {
        au_rc rc = add_source(dst, src->sources[i]);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static int slot_from_key(const char *key)
{
    if (strcmp(key, "address") == 0)
        return SLOT_ADDRESS;
    if (strcmp(key, "custom") == 0)
        return SLOT_CUSTOM;
    return au_attr_from_name(key);
}

/* Applies the "*" rule to every slot, so that named attributes parsed afterwards override it. */
static au_rc apply_star(au_survive_config *cfg, const json_t *star, au_err *err)
{
    rule_cfg r = {0};
    au_rc rc = parse_rule("*", star, &r, err);
    for (int i = 0; !rc && i < NSLOTS; i++)
        if (i >= AU_ATTR_COUNT || !is_address_part(i))
            rc = rule_copy(&cfg->rules[i], &r);
    rule_clear(&r);
    return rc;
}

au_rc au_survive_config_parse(const json_t *json, au_survive_config **out, au_err *err)
{
    au_survive_config *cfg = NULL;
    au_rc rc = au_survive_config_default(&cfg);
    if (rc || !json)
        goto out;
    if (!json_is_object(json)) {
        rc = au_err_set(err, AU_ERR_INVALID, "survivorship: must be an object of attribute: rule");
        goto out;
    }
    const json_t *star = json_object_get(json, "*");
    if (star && (rc = apply_star(cfg, star, err)))
        goto out;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)json, key, v)
    {
        if (strcmp(key, "*") == 0)
            continue;
        int slot = slot_from_key(key);
        if (slot >= 0 && slot < AU_ATTR_COUNT && is_address_part(slot)) {
            rc = bad_rule(key, err, "address parts survive together: configure \"address\"");
            goto out;
        }
        if (slot < 0) {
            au_err_detail_add(err, -1, NULL, key, "unknown attribute");
            rc = au_err_set(err, AU_ERR_INVALID,
                            "survivorship: unknown attribute \"%s\" (expected a canonical "
                            "attribute, \"address\", \"custom\" or \"*\")",
                            key);
            goto out;
        }
        if ((rc = parse_rule(key, v, &cfg->rules[slot], err)))
            goto out;
    }
out:
    if (rc) {
        au_survive_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return AU_OK;
}

static json_t *rule_to_json(const rule_cfg *r)
{
    json_t *o = json_pack("{s:s}", "rule", au_survive_rule_name(r->kind));
    if (!o)
        return NULL;
    if (r->kind == AU_SURVIVE_FIXED_SOURCE) {
        if (json_object_set_new(o, "source", json_string(r->sources[0])) ||
            json_object_set_new(o, "fallback", json_string(au_survive_rule_name(r->fallback))))
            goto fail;
    } else if (r->kind == AU_SURVIVE_SOURCE_PRIORITY) {
        json_t *l = json_array();
        if (json_object_set_new(o, "sources", l))
            goto fail;
        for (size_t i = 0; i < r->nsources; i++)
            if (json_array_append_new(l, json_string(r->sources[i])))
                goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *au_survive_config_to_json(const au_survive_config *cfg)
{
    json_t *o = json_object();
    for (int i = 0; o && i < NSLOTS; i++) {
        if (i < AU_ATTR_COUNT && is_address_part(i))
            continue;
        json_t *r = rule_to_json(&cfg->rules[i]);
        if (!r || json_object_set_new(o, slot_name(i), r)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* --- candidates and rules ------------------------------------------------------------------ */

/* A member resolved and placed in the canonical order. */
typedef struct smember {
    const au_survive_member *m; /* borrowed */
    const char *source;         /* resolved source name */
    const char *record_id;      /* resolved record id */
} smember;

/* One member's value for the attribute being decided. */
typedef struct cand {
    size_t m;          /* index in the sorted member array: the final tie-break */
    const char *value; /* display form (borrowed or == owned_value) */
    const char *key;   /* equality form (borrowed or == owned_key) */
    char *owned_value; /* joined address / dumped custom value, owned */
    char *owned_key;   /* owned counterpart of key */
    double trust;      /* the member's source trust for this attribute */
    int64_t updated;   /* member's updated_ms */
    int64_t version;   /* member's version */
    size_t score;      /* most_complete: letters and digits in value */
    size_t rank;       /* source_priority: position of the source in the list */
    size_t support;    /* most_frequent: candidates with the same key */
    size_t vsupport;   /* most_frequent: candidates with the same key and display value */
    double gtrust;     /* highest trust among candidates with the same key */
    int64_t gupdated;  /* latest update among candidates with the same key */
    int casing;        /* well-cased parts of the display value (cased_well); 0 when not cased */
    unsigned shape;    /* address: bit p set when part p is present; 0 for attributes */
} cand;

static int cmp_num(double a, double b)
{
    return a > b ? 1 : a < b ? -1 : 0;
}

/* > 0 when a is more recent than b. */
static int cmp_recency(const cand *a, const cand *b)
{
    int c = cmp_num((double)a->updated, (double)b->updated);
    return c ? c : cmp_num((double)a->version, (double)b->version);
}

/* > 0 when a wins over b under `kind`; never 0 for distinct candidates (position decides). */
static int cand_better(au_survive_rule kind, const cand *a, const cand *b)
{
    int c = 0;
    switch (kind) {
    case AU_SURVIVE_TRUST:
    case AU_SURVIVE_FIXED_SOURCE:
        if (!(c = cmp_num(a->trust, b->trust)))
            c = cmp_recency(a, b);
        break;
    case AU_SURVIVE_MOST_RECENT:
        if (!(c = cmp_recency(a, b)))
            c = cmp_num(a->trust, b->trust);
        break;
    case AU_SURVIVE_MOST_FREQUENT:
        if (!(c = cmp_num((double)a->support, (double)b->support)) &&
            !(c = cmp_num(a->gtrust, b->gtrust)) &&
            !(c = cmp_num((double)a->gupdated, (double)b->gupdated)) &&
            !(c = -strcmp(a->key, b->key)) && !(c = cmp_num(a->casing, b->casing)) &&
            !(c = cmp_num((double)a->vsupport, (double)b->vsupport)) &&
            !(c = cmp_num(a->trust, b->trust)))
            c = cmp_recency(a, b);
        break;
    case AU_SURVIVE_MOST_COMPLETE:
        if (!(c = cmp_num((double)a->score, (double)b->score)) && !(c = cmp_recency(a, b)))
            c = cmp_num(a->trust, b->trust);
        break;
    case AU_SURVIVE_SOURCE_PRIORITY:
        if (!(c = cmp_num((double)b->rank, (double)a->rank)) && !(c = cmp_num(a->trust, b->trust)))
            c = cmp_recency(a, b);
        break;
    }
    return c ? c : cmp_num((double)b->m, (double)a->m);
}

/* 1 when the value shows deliberate casing: a word of two or more letters with both upper- and
 * lower-case letters ("Leeds", "van der Berg", "McDonald"), as opposed to one written in a
 * single case ("leeds", "LEEDS"). Invalid UTF-8 counts as not well cased. */
static int cased_well(const char *s)
{
    int up = 0, low = 0, letters = 0;
    for (const uint8_t *p = (const uint8_t *)s;;) {
        int32_t c = 0;
        utf8proc_ssize_t l = *p ? utf8proc_iterate(p, -1, &c) : 0;
        if (l < 0)
            return 0;
        const utf8proc_property_t *pr = l ? utf8proc_get_property(c) : NULL;
        int letter =
            pr && pr->category >= UTF8PROC_CATEGORY_LU && pr->category <= UTF8PROC_CATEGORY_LO;
        if (letter) {
            letters++;
            up |= utf8proc_tolower(c) != c;
            low |= utf8proc_toupper(c) != c;
            p += l;
            continue;
        }
        if (letters >= 2 && up && low)
            return 1;
        up = low = letters = 0;
        if (!l)
            return 0;
        p += l;
    }
}

/* Attributes whose spelling is compared: names, cities and address lines. */
static int is_cased_kind(au_attr a)
{
    au_attr_kind k = au_attr_kind_of(a);
    return k == AU_KIND_NAME || k == AU_KIND_PLACE || k == AU_KIND_ADDRESS;
}

/* The candidate whose spelling is shown for the winner c[win]: among the candidates with the
 * same key (the same value) and the same address parts, the best cased, so that "Leeds" from
 * an older record is shown rather than "leeds" from the newest; the winner itself on a tie, and
 * the rule's order among equally well-cased others. */
static size_t spelling(au_survive_rule kind, const cand *c, size_t n, size_t win)
{
    size_t best = win;
    for (size_t i = 0; i < n; i++) {
        if (i == win || c[i].shape != c[win].shape || strcmp(c[i].key, c[win].key))
            continue;
        if (c[i].casing > c[best].casing || (best != win && c[i].casing == c[best].casing &&
                                             cand_better(kind, &c[i], &c[best]) > 0))
            best = i;
    }
    return best;
}

static size_t info_score(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            *p >= 0xc0)
            n++; /* a multi-byte character counts once: only its lead byte is >= 0xc0 */
    return n;
}

/* Fills support / gtrust / gupdated. Quadratic, see the file comment. */
static void group_stats(cand *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c[i].support = 0;
        c[i].vsupport = 0;
        c[i].gtrust = c[i].trust;
        c[i].gupdated = c[i].updated;
        for (size_t j = 0; j < n; j++) {
            if (strcmp(c[i].key, c[j].key))
                continue;
            c[i].support++;
            c[i].vsupport += !strcmp(c[i].value, c[j].value);
            if (c[j].trust > c[i].gtrust)
                c[i].gtrust = c[j].trust;
            if (c[j].updated > c[i].gupdated)
                c[i].gupdated = c[j].updated;
        }
    }
}

static size_t pick(au_survive_rule kind, const cand *c, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (cand_better(kind, &c[i], &c[best]) > 0)
            best = i;
    return best;
}

/* The outcome of applying a rule. */
typedef struct choice {
    size_t idx;              /* winning candidate */
    au_survive_rule applied; /* rule that decided (the fallback when fixed_source fell back) */
    int fell_back;           /* fixed_source had no candidate of its source */
} choice;

static choice decide(const rule_cfg *r, const smember *ms, cand *c, size_t n)
{
    choice ch = {0, r->kind, 0};
    for (size_t i = 0; i < n; i++) {
        c[i].score = info_score(c[i].value);
        c[i].rank = r->nsources;
        for (size_t k = 0; k < r->nsources; k++)
            if (strcmp(ms[c[i].m].source, r->sources[k]) == 0) {
                c[i].rank = k;
                break;
            }
    }
    group_stats(c, n);
    if (r->kind != AU_SURVIVE_FIXED_SOURCE) {
        ch.idx = pick(r->kind, c, n);
        return ch;
    }
    /* rank 0 = the fixed source; its latest record wins. */
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].rank != 0)
            continue;
        if (!found || cand_better(AU_SURVIVE_MOST_RECENT, &c[i], &c[ch.idx]) > 0)
            ch.idx = i;
        found = 1;
    }
    if (!found) {
        ch.applied = r->fallback;
        ch.fell_back = 1;
        ch.idx = pick(r->fallback, c, n);
    }
    return ch;
}

static void cands_free(cand *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        au_free(c[i].owned_value);
        au_free(c[i].owned_key);
    }
    au_free(c);
}

static double member_trust(const smember *sm, au_attr a)
{
    return sm->m->trust ? sm->m->trust[a] : 0.5;
}

static void cand_init(cand *c, const smember *ms, size_t mi)
{
    memset(c, 0, sizeof(*c));
    c->m = mi;
    c->updated = ms[mi].m->updated_ms;
    c->version = ms[mi].m->version;
}

/* Candidates for one canonical attribute; *out NULL when no member has a value. */
static au_rc attr_cands(const smember *ms, size_t n, au_attr a, cand **out, size_t *nout)
{
    cand *c = au_calloc(n, sizeof(cand));
    if (!c)
        return AU_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const au_value *v = &ms[i].m->record->attrs[a];
        if (!v->value || !*v->value)
            continue;
        cand_init(&c[k], ms, i);
        c[k].value = v->value;
        c[k].key = v->key && *v->key ? v->key : v->value;
        c[k].trust = member_trust(&ms[i], a);
        c[k].casing = is_cased_kind(a) ? cased_well(v->value) : 0;
        k++;
    }
    *out = c;
    *nout = k;
    return AU_OK;
}

/* The comparison key of an address (au_norm_address_match_key), so that an address given in
 * parts by one source and as one line by another is one address. An address with no words and
 * no postcode (a country alone) is keyed by its country. */
static au_rc address_key(const au_record *r, char **out)
{
    static const au_attr worded[] = {AU_ATTR_ADDRESS_LINE1, AU_ATTR_ADDRESS_LINE2,
                                     AU_ATTR_ADDRESS_FULL, AU_ATTR_CITY, AU_ATTR_STATE};
    const char *keys[sizeof(worded) / sizeof(worded[0])];
    for (size_t i = 0; i < sizeof(worded) / sizeof(worded[0]); i++)
        keys[i] = r->attrs[worded[i]].value ? r->attrs[worded[i]].key : NULL;
    const char *pc = r->attrs[AU_ATTR_POSTCODE].value ? r->attrs[AU_ATTR_POSTCODE].key : NULL;
    au_rc rc = au_norm_address_match_key(keys, sizeof(keys) / sizeof(keys[0]), pc, out);
    const au_value *country = &r->attrs[AU_ATTR_COUNTRY];
    if (rc || strcmp(*out, "|") || !country->value || !*country->value)
        return rc;
    char *k = au_asprintf("||%s", country->key ? country->key : country->value);
    au_free(*out);
    *out = k;
    return k ? AU_OK : AU_ERR_NOMEM;
}

/* The address of member i as one candidate: its comparison key, its parts joined as the value
 * (so completeness counts every part), which parts it has and how many are well cased.
 * *has = 0 when the member has no address. */
static au_rc address_cand(const smember *ms, size_t i, cand *c, int *has)
{
    au_buf val;
    au_buf_init(&val, 1 << 16);
    au_rc rc = AU_OK;
    const au_record *r = ms[i].m->record;
    cand_init(c, ms, i);
    *has = 0;
    for (size_t p = 0; p < NPARTS && !rc; p++) {
        const au_value *v = &r->attrs[address_parts[p]];
        if (!v->value || !*v->value)
            continue;
        *has = 1;
        c->shape |= 1u << p;
        c->casing += is_cased_kind(address_parts[p]) && cased_well(v->value);
        double t = member_trust(&ms[i], address_parts[p]);
        if (t > c->trust)
            c->trust = t;
        rc = au_buf_printf(&val, "%s ", v->value);
    }
    if (!rc && *has) {
        c->owned_value = au_buf_steal(&val);
        if (!c->owned_value || (rc = address_key(r, &c->owned_key)))
            rc = rc ? rc : AU_ERR_NOMEM;
        c->key = c->owned_key;
        c->value = c->owned_value;
    }
    au_buf_cleanup(&val);
    return rc;
}

static au_rc address_cands(const smember *ms, size_t n, cand **out, size_t *nout)
{
    cand *c = au_calloc(n, sizeof(cand));
    if (!c)
        return AU_ERR_NOMEM;
    size_t k = 0;
    au_rc rc = AU_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        int has = 0;
        rc = address_cand(ms, i, &c[k], &has);
        if (has)
            k++;
    }
    if (rc) {
        cands_free(c, k + 1);
        return rc;
    }
    *out = c;
    *nout = k;
    return AU_OK;
}

/* --- profile assembly ---------------------------------------------------------------------- */

static void iso_time(int64_t ms, char out[80])
{
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 80, "%lld", (long long)ms);
        return;
    }
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* Lineage of a chosen value: the member the rule chose; `speller` when the shown spelling of
 * that value came from another member (see spelling()), else NULL. */
static json_t *lineage_entry(const smember *sm, const rule_cfg *r, const choice *ch, const cand *c,
                             const smember *speller)
{
    char at[80];
    iso_time(sm->m->updated_ms, at);
    json_t *e = json_pack("{s:s,s:s,s:I,s:s,s:s}", "source", sm->source, "record_id", sm->record_id,
                          "version", (json_int_t)sm->m->version, "at", at, "rule",
                          au_survive_rule_name(ch->applied));
    if (!e)
        return NULL;
    int bad = 0;
    if (ch->applied == AU_SURVIVE_MOST_FREQUENT)
        bad |= json_object_set_new(e, "support", json_integer((json_int_t)c->support));
    if (ch->fell_back)
        bad |= json_object_set_new(e, "fallback_from", json_string("fixed_source"));
    if (r->kind == AU_SURVIVE_SOURCE_PRIORITY && c->rank == r->nsources)
        bad |= json_object_set_new(e, "unlisted_source", json_true());
    if (speller)
        bad |= json_object_set_new(
            e, "spelling_from",
            json_pack("{s:s,s:s}", "source", speller->source, "record_id", speller->record_id));
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* The members' (source, record_id) pairs as a list, duplicates dropped. Candidates are in member
 * order, which is sorted by (source, record id), so duplicates are adjacent. */
static json_t *sources_of(const smember *ms, const cand *c, const size_t *idx, size_t n)
{
    json_t *l = json_array();
    const smember *prev = NULL;
    for (size_t i = 0; l && i < n; i++) {
        const smember *sm = &ms[c[idx[i]].m];
        if (prev && !strcmp(prev->source, sm->source) && !strcmp(prev->record_id, sm->record_id))
            continue;
        prev = sm;
        if (json_array_append_new(
                l, json_pack("{s:s,s:s}", "source", sm->source, "record_id", sm->record_id))) {
            json_decref(l);
            return NULL;
        }
    }
    return l;
}

static json_t *address_item(const au_record *r)
{
    json_t *o = json_object();
    for (size_t p = 0; o && p < NPARTS; p++) {
        const char *v = r->attrs[address_parts[p]].value;
        if (v && *v && json_object_set_new(o, address_list_names[p], json_string(v))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* One list entry per distinct key, newest first; the shown value is the newest member's. */
static au_rc list_json(const smember *ms, cand *c, size_t n, int is_address, json_t **out)
{
    au_rc rc = AU_ERR_NOMEM;
    size_t *lead = au_calloc(n ? n : 1, sizeof(size_t)),
           *grp = au_calloc(n ? n : 1, sizeof(size_t));
    json_t *list = json_array();
    size_t nlead = 0;
    if (!lead || !grp || !list)
        goto out;
    group_stats(c, n);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && strcmp(c[j].key, c[i].key))
            j++;
        if (j < i)
            continue;
        /* insertion: newest group first, then by key for a stable order */
        size_t at = nlead;
        while (at > 0 && (c[lead[at - 1]].gupdated < c[i].gupdated ||
                          (c[lead[at - 1]].gupdated == c[i].gupdated &&
                           strcmp(c[lead[at - 1]].key, c[i].key) > 0))) {
            lead[at] = lead[at - 1];
            at--;
        }
        lead[at] = i;
        nlead++;
    }
    for (size_t l = 0; l < nlead; l++) {
        size_t ng = 0, rep = lead[l];
        for (size_t j = 0; j < n; j++) {
            if (strcmp(c[j].key, c[lead[l]].key))
                continue;
            grp[ng++] = j;
            if (cand_better(AU_SURVIVE_MOST_RECENT, &c[j], &c[rep]) > 0)
                rep = j;
        }
        rep = spelling(AU_SURVIVE_MOST_RECENT, c, n, rep);
        json_t *item = is_address ? address_item(ms[c[rep].m].m->record)
                                  : json_pack("{s:s}", "value", c[rep].value);
        if (!item || json_array_append_new(list, item) ||
            json_object_set_new(item, "sources", sources_of(ms, c, grp, ng)))
            goto out;
    }
    rc = AU_OK;
out:
    au_free(lead);
    au_free(grp);
    if (rc)
        json_decref(list);
    else
        *out = list;
    return rc;
}

static au_rc survive_attr(const smember *ms, size_t n, const au_survive_config *cfg, au_attr a,
                          json_t *attrs, json_t *lineage)
{
    cand *c = NULL;
    size_t nc = 0;
    au_rc rc = attr_cands(ms, n, a, &c, &nc);
    if (rc || nc == 0)
        goto out;
    const rule_cfg *r = &cfg->rules[a];
    choice ch = decide(r, ms, c, nc);
    size_t show = spelling(ch.applied, c, nc, ch.idx);
    rc = AU_ERR_NOMEM;
    if (json_object_set_new(attrs, au_attr_name(a), json_string(c[show].value)) ||
        json_object_set_new(lineage, au_attr_name(a),
                            lineage_entry(&ms[c[ch.idx].m], r, &ch, &c[ch.idx],
                                          show != ch.idx ? &ms[c[show].m] : NULL)))
        goto out;
    rc = AU_OK;
out:
    cands_free(c, nc);
    return rc;
}

static au_rc survive_address(const smember *ms, size_t n, const au_survive_config *cfg,
                             json_t *profile, json_t *attrs, json_t *lineage)
{
    cand *c = NULL;
    size_t nc = 0;
    json_t *list = NULL;
    au_rc rc = address_cands(ms, n, &c, &nc);
    if (rc)
        goto out;
    if (nc) {
        const rule_cfg *r = &cfg->rules[SLOT_ADDRESS];
        choice ch = decide(r, ms, c, nc);
        size_t show = spelling(ch.applied, c, nc, ch.idx);
        const smember *w = &ms[c[ch.idx].m], *sp = &ms[c[show].m];
        for (size_t p = 0; p < NPARTS; p++) {
            const char *v = sp->m->record->attrs[address_parts[p]].value;
            if (!v || !*v)
                continue;
            const char *name = au_attr_name(address_parts[p]);
            if (json_object_set_new(attrs, name, json_string(v)) ||
                json_object_set_new(lineage, name,
                                    lineage_entry(w, r, &ch, &c[ch.idx], sp != w ? sp : NULL))) {
                rc = AU_ERR_NOMEM;
                goto out;
            }
        }
    }
    if ((rc = list_json(ms, c, nc, 1, &list)))
        goto out;
    if (json_object_set_new(profile, "addresses", list))
        rc = AU_ERR_NOMEM;
out:
    cands_free(c, nc);
    return rc;
}

static au_rc survive_list(const smember *ms, size_t n, au_attr a, const char *name, json_t *profile)
{
    cand *c = NULL;
    size_t nc = 0;
    json_t *list = NULL;
    au_rc rc = attr_cands(ms, n, a, &c, &nc);
    if (!rc)
        rc = list_json(ms, c, nc, 0, &list);
    if (!rc && json_object_set_new(profile, name, list))
        rc = AU_ERR_NOMEM;
    cands_free(c, nc);
    return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static au_rc custom_one(const smember *ms, size_t n, const au_survive_config *cfg, const char *name,
                        json_t *custom, json_t *lineage)
{
    cand *c = au_calloc(n, sizeof(cand));
    const json_t **vals = au_calloc(n, sizeof(json_t *));
    size_t nc = 0;
    au_rc rc = AU_ERR_NOMEM;
    if (!c || !vals)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(ms[i].m->record->custom, name);
        if (!v || json_is_null(v))
            continue;
        char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        cand_init(&c[nc], ms, i);
        c[nc].owned_value = au_strdup(d);
        free(d);
        if (!c[nc].owned_value)
            goto out;
        c[nc].value = c[nc].key = c[nc].owned_value;
        c[nc].trust = 0.5;
        vals[nc++] = v;
    }
    rc = AU_OK;
    if (!nc)
        goto out;
    const rule_cfg *r = &cfg->rules[SLOT_CUSTOM];
    choice ch = decide(r, ms, c, nc);
    char lkey[300];
    snprintf(lkey, sizeof(lkey), "custom.%s", name);
    if (json_object_set_new(custom, name, json_deep_copy(vals[ch.idx])) ||
        json_object_set_new(lineage, lkey,
                            lineage_entry(&ms[c[ch.idx].m], r, &ch, &c[ch.idx], NULL)))
        rc = AU_ERR_NOMEM;
out:
    cands_free(c, nc);
    au_free(vals);
    return rc;
}

static au_rc survive_custom(const smember *ms, size_t n, const au_survive_config *cfg,
                            json_t *custom, json_t *lineage)
{
    json_t *set = json_object();
    const char **names = NULL;
    au_rc rc = AU_ERR_NOMEM;
    if (!set)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(ms[i].m->record->custom, k, v)
        {
            if (json_object_set(set, k, json_true()))
                goto out;
        }
    }
    size_t nn = json_object_size(set), k = 0;
    if (!(names = au_calloc(nn ? nn : 1, sizeof(char *))))
        goto out;
    const char *key;
    json_t *v;
    json_object_foreach(set, key, v) names[k++] = key;
    qsort(names, nn, sizeof(char *), cmp_str_ptr);
    rc = AU_OK;
    for (size_t i = 0; i < nn && !rc; i++)
        rc = custom_one(ms, n, cfg, names[i], custom, lineage);
out:
    au_free(names);
    json_decref(set);
    return rc;
}

static int cmp_member(const void *pa, const void *pb)
{
    const smember *a = pa, *b = pb;
    int c = strcmp(a->source, b->source);
    if (!c)
        c = strcmp(a->record_id, b->record_id);
    if (!c)
        c = a->m->version < b->m->version ? -1 : a->m->version > b->m->version;
    return c;
}

static au_rc sorted_members(const au_survive_member *members, size_t n, smember **out, au_err *err)
{
    smember *ms = au_calloc(n ? n : 1, sizeof(smember));
    if (!ms)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const au_survive_member *m = &members[i];
        if (!m->record) {
            au_free(ms);
            au_err_detail_add(err, (long)i, m->record_id, NULL, "member without a record");
            return au_err_set(err, AU_ERR_INVALID, "survivorship: member %zu has no record", i);
        }
        ms[i].m = m;
        ms[i].source = m->source ? m->source : m->record->source ? m->record->source : "";
        ms[i].record_id = m->record_id           ? m->record_id
                          : m->record->record_id ? m->record->record_id
                                                 : "";
    }
    qsort(ms, n, sizeof(smember), cmp_member);
    *out = ms;
    return AU_OK;
}

static au_rc all_sources(const smember *ms, size_t n, json_t *profile)
{
    json_t *l = json_array();
    if (json_object_set_new(profile, "sources", l))
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(ms[i - 1].source, ms[i].source) &&
            !strcmp(ms[i - 1].record_id, ms[i].record_id))
            continue;
        if (json_array_append_new(
                l, json_pack("{s:s,s:s}", "source", ms[i].source, "record_id", ms[i].record_id)))
            return AU_ERR_NOMEM;
    }
    return AU_OK;
}

au_rc au_survive(const au_survive_member *members, size_t n, const au_survive_config *cfg,
                 json_t **profile, au_err *err)
{
    smember *ms = NULL;
    au_survive_config *dflt = NULL;
    json_t *p = NULL, *attrs = json_object(), *custom = json_object(), *lineage = json_object();
    au_rc rc = AU_ERR_NOMEM;
    if (n && !members) {
        rc = au_err_set(err, AU_ERR_INVALID, "survivorship: no members given");
        goto out;
    }
    if (!cfg && (rc = au_survive_config_default(&dflt)))
        goto out;
    if (!cfg)
        cfg = dflt;
    if ((rc = sorted_members(members, n, &ms, err)))
        goto out;
    rc = AU_ERR_NOMEM;
    if (!attrs || !custom || !lineage ||
        !(p = json_pack("{s:O,s:O,s:O}", "attributes", attrs, "custom", custom, "lineage",
                        lineage)))
        goto out;
    rc = AU_OK;
    for (int a = 0; a < AU_ATTR_COUNT && !rc; a++)
        if (!is_address_part(a))
            rc = survive_attr(ms, n, cfg, (au_attr)a, attrs, lineage);
    if (!rc)
        rc = survive_address(ms, n, cfg, p, attrs, lineage);
    if (!rc)
        rc = survive_list(ms, n, AU_ATTR_EMAIL, "emails", p);
    if (!rc)
        rc = survive_list(ms, n, AU_ATTR_PHONE, "phones", p);
    if (!rc)
        rc = survive_custom(ms, n, cfg, custom, lineage);
    if (!rc)
        rc = all_sources(ms, n, p);
out:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "survivorship: out of memory");
    json_decref(attrs);
    json_decref(custom);
    json_decref(lineage);
    au_free(ms);
    au_survive_config_free(dflt);
    if (rc) {
        json_decref(p);
        return rc;
    }
    *profile = p;
    return AU_OK;
}
