/*
 * Unit tests for the data generator: determinism, ground truth consistent with the files,
 * duplicate rate, RFC 4180 layout, twins, the generated YAML mapping (parsed with libyaml),
 * JSONL and events output, single-source mode and the string noise helpers.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "record/record.h"
#include "gen/gen.h"
#include "gen/gen_int.h"
#include "lib/alloc.h"
#include "normalize/normalize.h"

/* ---- helpers ---- */

static char *tmpdir(void)
{
    char *d = au_strdup("/tmp/aurum-gen-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

static void rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    cr_assert_eq(system(cmd), 0);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "missing %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = au_malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static au_gen_stats gen_into(const char *dir, long people, uint64_t seed, au_gen_format fmt,
                             int events, double dup)
{
    au_gen_opts o;
    au_gen_stats st;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = dir;
    o.people = people;
    o.seed = seed;
    o.format = fmt;
    o.events = events;
    o.dup_rate = dup;
    au_err_init(&err);
    au_rc rc = au_gen_run(&o, &st, &err);
    cr_assert_eq(rc, AU_OK, "gen failed: %s", err.message);
    au_err_cleanup(&err);
    return st;
}

/* An RFC 4180 row parser: fills up to `max` fields (owned by the caller's buffer) and returns
 * the field count, or -1 at end of input. Quoted fields may hold commas, quotes and newlines. */
typedef struct csv {
    const char *p;
    char field[64][256];
} csv;

static int csv_row(csv *c)
{
    if (!*c->p)
        return -1;
    int n = 0;
    for (;;) {
        size_t k = 0;
        char *f = c->field[n < 64 ? n : 63];
        if (*c->p == '"') {
            c->p++;
            for (;;) {
                cr_assert(*c->p, "unterminated quoted field");
                if (c->p[0] == '"' && c->p[1] == '"') {
                    f[k++] = '"';
                    c->p += 2;
                } else if (c->p[0] == '"') {
                    c->p++;
                    break;
                } else {
                    f[k++] = *c->p++;
                }
                cr_assert_lt(k, 255);
            }
            cr_assert(*c->p == ',' || *c->p == '\n', "garbage after a quoted field");
        } else {
            while (*c->p && *c->p != ',' && *c->p != '\n') {
                cr_assert_neq(*c->p, '"', "bare quote in an unquoted field");
                f[k++] = *c->p++;
                cr_assert_lt(k, 255);
            }
        }
        f[k] = '\0';
        n++;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '\n')
            c->p++;
        return n;
    }
}

static const char *const sysnames[] = {"crm",     "webshop",     "pos",
                                       "billing", "collections", "support"};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- determinism ---- */

Test(gen, same_seed_gives_identical_bytes_and_another_seed_differs)
{
    char *a = tmpdir(), *b = tmpdir(), *c = tmpdir();
    gen_into(a, 2000, 7, AU_GEN_CSV, 1, -1);
    gen_into(b, 2000, 7, AU_GEN_CSV, 1, -1);
    gen_into(c, 2000, 8, AU_GEN_CSV, 1, -1);
    const char *files[] = {"crm.csv",     "webshop.csv",     "pos.csv",
                           "billing.csv", "collections.csv", "support.csv",
                           "truth.csv",   "events.jsonl",    "northwind.yaml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t la, lb;
        char *x = slurp(a, files[i], &la), *y = slurp(b, files[i], &lb);
        cr_assert(la == lb && memcmp(x, y, la) == 0, "%s differs between equal runs", files[i]);
        au_free(x);
        au_free(y);
    }
    size_t la, lc;
    char *x = slurp(a, "crm.csv", &la), *z = slurp(c, "crm.csv", &lc);
    cr_assert(la != lc || memcmp(x, z, la) != 0, "another seed must give other data");
    au_free(x);
    au_free(z);
    rmtree(a);
    rmtree(b);
    rmtree(c);
    au_free(a);
    au_free(b);
    au_free(c);
}

Test(gen, events_do_not_change_the_source_files)
{
    char *a = tmpdir(), *b = tmpdir();
    gen_into(a, 1500, 3, AU_GEN_CSV, 0, -1);
    gen_into(b, 1500, 3, AU_GEN_CSV, 1, -1);
    size_t la, lb;
    char *x = slurp(a, "billing.csv", &la), *y = slurp(b, "billing.csv", &lb);
    cr_assert(la == lb && memcmp(x, y, la) == 0);
    au_free(x);
    au_free(y);
    rmtree(a);
    rmtree(b);
    au_free(a);
    au_free(b);
}

/* ---- truth and layout ---- */

Test(gen, every_record_has_exactly_one_truth_row_and_rows_have_header_width)
{
    char *d = tmpdir();
    au_gen_stats st = gen_into(d, 3000, 11, AU_GEN_CSV, 0, -1);
    size_t cap = (size_t)st.total_rows + 1, n = 0;
    char **keys = au_calloc(cap, sizeof(char *));
    csv *c = au_malloc(sizeof(*c));
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.csv", sysnames[s]);
        char *text = slurp(d, name, NULL);
        c->p = text;
        int width = csv_row(c);
        cr_assert_gt(width, 3, "%s has a header", name);
        int nf;
        long rows = 0;
        while ((nf = csv_row(c)) >= 0) {
            cr_assert_eq(nf, width, "%s row %ld has %d fields, header %d", name, rows + 1, nf,
                         width);
            cr_assert(c->field[0][0], "%s row %ld has an id", name, rows + 1);
            cr_assert_lt(n, cap);
            keys[n++] = au_asprintf("%s,%s", sysnames[s], c->field[0]);
            rows++;
        }
        cr_assert_eq(rows, st.rows[s], "%s rows", name);
        au_free(text);
    }
    cr_assert_eq((long)n, st.total_rows);
    qsort(keys, n, sizeof(char *), cmp_str);
    for (size_t i = 1; i < n; i++)
        cr_assert_str_neq(keys[i - 1], keys[i], "record id used twice: %s", keys[i]);

    char *truth = slurp(d, "truth.csv", NULL);
    c->p = truth;
    cr_assert_eq(csv_row(c), 3);
    cr_assert_str_eq(c->field[0], "source");
    cr_assert_str_eq(c->field[1], "record_id");
    cr_assert_str_eq(c->field[2], "person_id");
    size_t tn = 0;
    char **tk = au_calloc(cap, sizeof(char *));
    while (csv_row(c) == 3) {
        cr_assert_lt(tn, cap, "more truth rows than records");
        tk[tn++] = au_asprintf("%s,%s", c->field[0], c->field[1]);
    }
    cr_assert_eq(tn, n, "one truth row per record");
    qsort(tk, tn, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(tk[i], keys[i], "truth and records disagree");
    for (size_t i = 0; i < n; i++) {
        au_free(keys[i]);
        au_free(tk[i]);
    }
    au_free(keys);
    au_free(tk);
    au_free(truth);
    au_free(c);
    rmtree(d);
    au_free(d);
}

/* Counts records whose person already had a record in the same source, from truth.csv. */
static long truth_duplicates(const char *dir, long *rows, long *people)
{
    char *truth = slurp(dir, "truth.csv", NULL);
    csv *c = au_malloc(sizeof(*c));
    c->p = truth;
    csv_row(c);
    size_t cap = 1 << 16, n = 0;
    char **k = au_malloc(cap * sizeof(char *));
    long maxp = 0;
    while (csv_row(c) == 3) {
        if (n == cap)
            k = au_realloc(k, (cap *= 2) * sizeof(char *));
        k[n++] = au_asprintf("%s,%s", c->field[0], c->field[2]);
        long p = strtol(c->field[2] + 1, NULL, 10);
        maxp = p > maxp ? p : maxp;
    }
    qsort(k, n, sizeof(char *), cmp_str);
    long dups = 0;
    for (size_t i = 1; i < n; i++)
        dups += strcmp(k[i - 1], k[i]) == 0;
    for (size_t i = 0; i < n; i++)
        au_free(k[i]);
    au_free(k);
    au_free(c);
    au_free(truth);
    *rows = (long)n;
    *people = maxp;
    return dups;
}

Test(gen, duplicate_accounts_come_at_roughly_the_asked_rate)
{
    char *d = tmpdir();
    au_gen_stats st = gen_into(d, 10000, 5, AU_GEN_CSV, 0, 0.10);
    long rows, people;
    long dups = truth_duplicates(d, &rows, &people);
    cr_assert_eq(rows, st.total_rows);
    cr_assert_eq(people, 10000, "every person appears somewhere");
    cr_assert_eq(dups, st.duplicate_rows);
    double rate = (double)dups / (double)(rows - dups);
    cr_assert(rate > 0.08 && rate < 0.12, "duplicate rate %.3f, asked 0.10", rate);
    rmtree(d);
    au_free(d);
}

/* ---- households ---- */

Test(gen, twins_share_surname_dob_and_address_but_not_first_name_or_person)
{
    au_gen_tables t;
    cr_assert_eq(au_gen_tables_init(&t, 1, 10000), 0);
    au_gen_person hh[AU_GEN_MAX_HOUSEHOLD];
    long pid = 0, twins = 0, shared_address = 0;
    for (long h = 0; pid < 10000; h++) {
        int n = au_gen_household(&t, h, pid, hh, AU_GEN_MAX_HOUSEHOLD);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                cr_assert_neq(hh[i].pid, hh[j].pid);
                cr_assert_str_eq(hh[i].addr.postcode, hh[j].addr.postcode);
                shared_address++;
                if (hh[i].twin && hh[j].twin) {
                    twins++;
                    cr_assert_str_eq(hh[i].last, hh[j].last);
                    cr_assert(hh[i].y == hh[j].y && hh[i].m == hh[j].m && hh[i].d == hh[j].d);
                    cr_assert_eq(hh[i].addr.house, hh[j].addr.house);
                    cr_assert_str_neq(hh[i].first, hh[j].first);
                }
            }
        pid += n;
    }
    cr_assert_gt(twins, 10, "twins exist (%ld pairs)", twins);
    cr_assert_gt(shared_address, 1000, "households share addresses");
    au_gen_tables_cleanup(&t);
}

Test(gen, phones_and_emails_are_unique_per_person)
{
    au_gen_tables t;
    cr_assert_eq(au_gen_tables_init(&t, 9, 5000), 0);
    au_gen_person hh[AU_GEN_MAX_HOUSEHOLD];
    char **mails = au_calloc(5000, sizeof(char *)), **mobiles = au_calloc(5000, sizeof(char *));
    size_t nm = 0, np = 0;
    long pid = 0;
    for (long h = 0; pid < 5000; h++) {
        int n = au_gen_household(&t, h, pid, hh, (int)(5000 - pid < 4 ? 5000 - pid : 4));
        for (int i = 0; i < n; i++) {
            if (hh[i].email[0])
                mails[nm++] = au_strdup(hh[i].email);
            if (hh[i].mobile.nsn[0])
                mobiles[np++] = au_strdup(hh[i].mobile.nsn);
        }
        pid += n;
    }
    qsort(mails, nm, sizeof(char *), cmp_str);
    qsort(mobiles, np, sizeof(char *), cmp_str);
    for (size_t i = 1; i < nm; i++)
        cr_assert_str_neq(mails[i - 1], mails[i]);
    for (size_t i = 1; i < np; i++)
        cr_assert_str_neq(mobiles[i - 1], mobiles[i]);
    cr_assert_gt(nm, 4000);
    for (size_t i = 0; i < nm; i++)
        au_free(mails[i]);
    for (size_t i = 0; i < np; i++)
        au_free(mobiles[i]);
    au_free(mails);
    au_free(mobiles);
    au_gen_tables_cleanup(&t);
}

/* ---- the YAML mapping ---- */

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
    cr_assert_eq(n->type, YAML_SCALAR_NODE);
    return (const char *)n->data.scalar.value;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
    cr_assert_eq(m->type, YAML_MAPPING_NODE);
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
        if (strcmp(scalar(doc, yaml_document_get_node(doc, p->key)), key) == 0)
            return yaml_document_get_node(doc, p->value);
    return NULL;
}

/* The header of DIR/<source>.csv as one ",a,b,c," string for membership tests. */
static char *header_of(const char *dir, const char *source)
{
    char name[64];
    snprintf(name, sizeof(name), "%s.csv", source);
    char *text = slurp(dir, name, NULL);
    char *nl = strchr(text, '\n');
    *nl = '\0';
    char *h = au_asprintf(",%s,", text);
    au_free(text);
    return h;
}

static void check_column(const char *header, const char *col)
{
    char needle[128];
    snprintf(needle, sizeof(needle), ",%s,", col);
    cr_assert_not_null(strstr(header, needle), "column %s not in header %s", col, header);
}

static int check_yaml(const char *dir, const char *file)
{
    size_t len;
    char *text = slurp(dir, file, &len);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    cr_assert(yaml_parser_load(&parser, &doc), "%s is not valid YAML: %s", file,
              parser.problem ? parser.problem : "?");
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *sources = map_get(&doc, root, "sources");
    cr_assert_not_null(sources);
    int nsources = 0;
    static const char *const formats[] = {"YYYYMMDD", "YYYY-MM-DD", "DMY", "MDY", "auto"};
    for (yaml_node_pair_t *p = sources->data.mapping.pairs.start;
         p < sources->data.mapping.pairs.top; p++) {
        const char *name = scalar(&doc, yaml_document_get_node(&doc, p->key));
        yaml_node_t *def = yaml_document_get_node(&doc, p->value);
        char *header = header_of(dir, name);
        check_column(header, scalar(&doc, map_get(&doc, def, "record_id")));
        cr_assert_str_eq(scalar(&doc, map_get(&doc, def, "country")), "GB");
        yaml_node_t *fields = map_get(&doc, def, "fields");
        cr_assert_not_null(fields);
        for (yaml_node_pair_t *f = fields->data.mapping.pairs.start;
             f < fields->data.mapping.pairs.top; f++) {
            const char *attr = scalar(&doc, yaml_document_get_node(&doc, f->key));
            cr_assert_geq(au_attr_from_name(attr), 0, "%s maps non-canonical '%s'", name, attr);
            yaml_node_t *v = yaml_document_get_node(&doc, f->value);
            if (v->type == YAML_SCALAR_NODE) {
                check_column(header, scalar(&doc, v));
                continue;
            }
            check_column(header, scalar(&doc, map_get(&doc, v, "from")));
            const char *fmt = scalar(&doc, map_get(&doc, v, "format"));
            int ok = 0;
            for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++)
                ok |= strcmp(fmt, formats[k]) == 0;
            cr_assert(ok, "unknown date format %s", fmt);
        }
        yaml_node_t *trust = map_get(&doc, def, "trust");
        if (trust)
            for (yaml_node_pair_t *f = trust->data.mapping.pairs.start;
                 f < trust->data.mapping.pairs.top; f++) {
                const char *attr = scalar(&doc, yaml_document_get_node(&doc, f->key));
                cr_assert(strcmp(attr, "*") == 0 || au_attr_from_name(attr) >= 0);
            }
        au_free(header);
        nsources++;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    au_free(text);
    return nsources;
}

Test(gen, yaml_is_valid_and_maps_existing_columns_onto_canonical_attributes)
{
    char *d = tmpdir();
    gen_into(d, 1000, 1, AU_GEN_CSV, 0, -1);
    cr_assert_eq(check_yaml(d, "northwind.yaml"), AU_GEN_NSYSTEMS);
    rmtree(d);
    au_free(d);
}

/* ---- JSONL and events ---- */

Test(gen, jsonl_records_and_events_parse_and_tell_the_dunning_story)
{
    char *d = tmpdir();
    au_gen_stats st = gen_into(d, 3000, 2, AU_GEN_JSONL, 1, -1);
    long lines = 0;
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.jsonl", sysnames[s]);
        char *text = slurp(d, name, NULL);
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            json_error_t je;
            json_t *o = json_loads(l, 0, &je);
            cr_assert_not_null(o, "%s: %s", name, je.text);
            cr_assert(json_is_object(o) && json_object_size(o) >= 2);
            lines++;
            json_decref(o);
        }
        au_free(text);
    }
    cr_assert_eq(lines, st.total_rows);

    char *ev = slurp(d, "events.jsonl", NULL);
    long n = 0, opened = 0, paid_after_open = 0, closed = 0;
    /* Open dunning cases by reference, to find a later payment quoting it. */
    json_t *open_at = json_object();
    for (char *save = NULL, *l = strtok_r(ev, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *o = json_loads(l, 0, NULL);
        cr_assert_not_null(o, "event line %ld is JSON", n + 1);
        const char *type = json_string_value(json_object_get(o, "type"));
        const char *at = json_string_value(json_object_get(o, "at"));
        json_t *cust = json_object_get(o, "customer"), *props = json_object_get(o, "properties");
        cr_assert(type && at && strlen(at) == 20 && json_is_object(cust) && json_is_object(props));
        cr_assert_str_eq(json_string_value(json_object_get(cust, "source")),
                         json_string_value(json_object_get(o, "source")));
        if (strcmp(type, "dunning_case_opened") == 0) {
            opened++;
            json_object_set_new(open_at, json_string_value(json_object_get(props, "case_id")),
                                json_string(at));
        } else if (strcmp(type, "dunning_case_closed") == 0) {
            closed++;
        } else if (strcmp(type, "payment") == 0 && json_object_get(props, "reference")) {
            const char *ref = json_string_value(json_object_get(props, "reference"));
            json_t *oa = json_object_get(open_at, ref);
            cr_assert_not_null(oa, "payment for case %s comes after its opening", ref);
            cr_assert_gt(strcmp(at, json_string_value(oa)), 0);
            cr_assert_str_eq(json_string_value(json_object_get(props, "currency")), "GBP");
            paid_after_open++;
        }
        n++;
        json_decref(o);
    }
    cr_assert_eq(n, st.events);
    cr_assert_gt(opened, 0);
    cr_assert_gt(paid_after_open, 0, "some dunning cases are followed by a payment");
    cr_assert_lt(closed, paid_after_open, "some paid cases are still open in collections");
    json_decref(open_at);
    au_free(ev);
    rmtree(d);
    au_free(d);
}

/* ---- single-source ---- */

Test(gen, single_source_has_the_asked_share_of_duplicates)
{
    char *d = tmpdir();
    au_gen_opts o;
    au_gen_stats st;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = d;
    o.single_source = 1;
    o.records = 20000;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, &st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    cr_assert_eq(st.total_rows, 20000);
    cr_assert_eq(st.people, 14000);
    long rows, people;
    long dups = truth_duplicates(d, &rows, &people);
    cr_assert_eq(rows, 20000);
    cr_assert_eq(dups, 6000, "exactly 30 %% of the rows repeat a person");
    cr_assert_eq(check_yaml(d, "people.yaml"), 1);
    size_t len;
    char *csv_text = slurp(d, "people.csv", &len);
    cr_assert(au_utf8_valid(csv_text, len), "typos never split a UTF-8 sequence");
    au_free(csv_text);
    rmtree(d);
    au_free(d);
}

Test(gen, bad_options_are_rejected_with_the_option_named)
{
    au_gen_opts o;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = "/tmp/aurum-gen-never";
    o.people = 0;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, NULL, &err), AU_ERR_INVALID);
    cr_assert_not_null(strstr(err.message, "--people"));
    au_err_cleanup(&err);
    o.people = 10;
    o.country = "FR";
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, NULL, &err), AU_ERR_INVALID);
    cr_assert_not_null(strstr(err.message, "--country"));
    au_err_cleanup(&err);
    cr_assert_neq(access("/tmp/aurum-gen-never", F_OK), 0, "nothing written on bad options");
}

/* ---- lists and noise ---- */

Test(gen, lists_are_large_enough_and_nicknames_refer_to_listed_names)
{
    cr_assert_geq(au_gen_nmale + au_gen_nfemale, 200);
    cr_assert_geq(au_gen_nsurnames, 300);
    cr_assert_geq(au_gen_nnicks, 60);
    for (size_t k = 0; k < au_gen_nnicks; k++) {
        int found = 0;
        for (size_t i = 0; i < au_gen_nmale; i++)
            found |= strcmp(au_gen_male[i].name, au_gen_nicks[k].formal) == 0;
        for (size_t i = 0; i < au_gen_nfemale; i++)
            found |= strcmp(au_gen_female[i].name, au_gen_nicks[k].formal) == 0;
        cr_assert(found, "nickname of unlisted name %s", au_gen_nicks[k].formal);
    }
}

Test(gen, noise_helpers)
{
    au_gen_pool p = {.used = 0};
    au_gen_rng r;
    au_gen_rng_seed(&r, 42, 0);
    cr_assert_str_eq(au_gen_fold(&p, "José Müller"), "Jose Muller");
    cr_assert_str_eq(au_gen_upper(&p, "Zoë o'brien"), "ZOË O'BRIEN");
    int changed = 0;
    for (int i = 0; i < 100; i++) {
        const char *t = au_gen_typo(&p, &r, "Margaret");
        size_t n = strlen(t);
        cr_assert(n >= 7 && n <= 9, "one edit: %s", t);
        cr_assert_eq(t[0], 'M', "the initial survives");
        changed += strcmp(t, "Margaret") != 0;
        p.used = 0;
    }
    cr_assert_gt(changed, 80);
    for (int i = 0; i < 2000; i++) {
        const char *names[] = {"García", "Zoëa", "Müller", "Josée"};
        const char *t = au_gen_typo(&p, &r, names[i % 4]);
        cr_assert(au_utf8_valid(t, strlen(t)), "typo split a UTF-8 sequence: %s", t);
        p.used = 0;
    }
    au_gen_phone london = {"2079460123", 2, 0}, mobile = {"7700900123", 4, 0};
    cr_assert_str_eq(au_gen_phone_fmt(&p, &london, AU_GEN_PH_INTL_SPACED), "+44 20 7946 0123");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &london, AU_GEN_PH_NATIONAL), "020 79460123");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &london, AU_GEN_PH_00), "0044 20 79460123");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &mobile, AU_GEN_PH_NATIONAL), "07700 900123");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &mobile, AU_GEN_PH_E164), "+447700900123");
}

Test(gen, common_names_are_far_more_frequent)
{
    au_gen_cdf c;
    au_gen_rng r;
    cr_assert_eq(au_gen_cdf_init(&c, au_gen_surnames, au_gen_nsurnames), 0);
    au_gen_rng_seed(&r, 1, 1);
    long smith = 0, rare = 0;
    for (int i = 0; i < 100000; i++) {
        const char *s = au_gen_surnames[au_gen_cdf_pick(&c, &r)].name;
        smith += strcmp(s, "Smith") == 0;
        rare += strcmp(s, "Ramsbottom") == 0;
    }
    cr_assert_gt(smith, 50 * (rare + 1), "Smith %ld vs Ramsbottom %ld", smith, rare);
    au_gen_cdf_cleanup(&c);
}
