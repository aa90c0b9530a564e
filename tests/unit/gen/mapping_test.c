/*
 * The generated data against the real mapping pipeline: northwind.yaml's source definitions are
 * accepted by au_source_new, every generated record of every system maps and normalises without
 * a field error, and the same person's date of birth comes out identical from systems that write
 * it in different formats (so the date formats in the mapping are the right ones).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "core/source.h"
#include "gen/gen.h"
#include "lib/alloc.h"
#include "lib/csv.h"

/* libyaml node -> JSON; numeric-looking scalars (trust values) become numbers. */
static json_t *node_to_json(yaml_document_t *doc, yaml_node_t *n)
{
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        double d = strtod(s, &end);
        if (*s && !*end && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            return json_real(d);
        return json_string(s);
    }
    cr_assert_eq(n->type, YAML_MAPPING_NODE);
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        json_object_set_new(o, (const char *)k->data.scalar.value,
                            node_to_json(doc, yaml_document_get_node(doc, p->value)));
    }
    return o;
}

static json_t *load_sources(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    cr_assert(yaml_parser_load(&parser, &doc));
    json_t *all = node_to_json(&doc, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    json_t *sources = json_incref(json_object_get(all, "sources"));
    json_decref(all);
    return sources;
}

/* person id -> dob per source, from truth.csv and the mapped records. */
typedef struct dob_seen {
    json_t *by_person; /* person -> {source: dob} */
    json_t *truth;     /* "source,record" -> person */
} dob_seen;

static void load_truth(const char *dir, dob_seen *ds)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/truth.csv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[256];
    ds->truth = json_object();
    ds->by_person = json_object();
    cr_assert_not_null(fgets(line, sizeof(line), f));
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *person = strrchr(line, ',');
        *person++ = '\0';
        json_object_set_new(ds->truth, line, json_string(person));
    }
    fclose(f);
}

static long map_file(const char *dir, const char *name, const json_t *def, dob_seen *ds)
{
    au_source *src = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_source_new(name, def, &src, &err), AU_OK, "%s: %s", name, err.message);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s.csv", dir, name);
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    au_csv *c = NULL;
    cr_assert_eq(au_csv_open_fd(fd, NULL, &c), AU_OK);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    long rows = 0, bad = 0;
    for (;;) {
        au_csv_row row;
        au_rc rc = au_csv_next_record(c, &row, &err);
        cr_assert_eq(rc, AU_OK, "%s: %s", name, err.message);
        if (row.eof)
            break;
        json_t *doc = json_object();
        for (size_t i = 0; i < row.nfields; i++)
            if (row.fields[i][0])
                json_object_set_new(doc, au_csv_header_name(c, i), json_string(row.fields[i]));
        au_record *r = NULL;
        au_err merr;
        au_err_init(&merr);
        rc = au_source_map(src, doc, rows, &r, &merr);
        if (rc) {
            if (bad < 5)
                fprintf(stderr, "%s row %ld: %s (%s)\n", name, rows, merr.message,
                        merr.ndetails ? merr.details[0].reason : "");
            bad++;
        } else {
            char key[128];
            snprintf(key, sizeof(key), "%s,%s", name, r->record_id);
            const char *person = json_string_value(json_object_get(ds->truth, key));
            cr_assert_not_null(person, "record %s is in the truth", key);
            const char *dob = r->attrs[AU_ATTR_DATE_OF_BIRTH].value;
            cr_assert(r->attrs[AU_ATTR_LAST_NAME].value || r->attrs[AU_ATTR_FULL_NAME].value);
            if (dob) {
                json_t *p = json_object_get(ds->by_person, person);
                if (!p)
                    json_object_set_new(ds->by_person, person, p = json_object());
                json_object_set_new(p, name, json_string(dob));
            }
            au_record_free(r);
        }
        au_err_cleanup(&merr);
        json_decref(doc);
        rows++;
    }
    au_csv_free(c);
    close(fd);
    au_source_free(src);
    au_err_cleanup(&err);
    cr_assert_gt(rows, 0);
    return bad;
}

Test(gen_mapping, generated_records_map_and_dates_agree_across_formats)
{
    char dir[] = "/tmp/aurum-gen-map-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    au_gen_opts o;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = dir;
    o.people = 3000;
    o.seed = 4;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, NULL, &err), AU_OK);
    au_err_cleanup(&err);

    char path[256];
    snprintf(path, sizeof(path), "%s/northwind.yaml", dir);
    json_t *sources = load_sources(path);
    dob_seen ds;
    load_truth(dir, &ds);
    const char *name;
    json_t *def;
    json_object_foreach(sources, name, def)
    {
        long bad = map_file(dir, name, def, &ds);
        cr_assert_eq(bad, 0, "%s: %ld records rejected by the mapping", name, bad);
    }
    /* The same person's dob from crm (ISO), billing (DMY), pos (MDY), collections (YYYYMMDD). */
    long pairs = 0, same = 0;
    const char *person;
    json_t *p;
    json_object_foreach(ds.by_person, person, p)
    {
        const char *ref = json_string_value(json_object_get(p, "crm"));
        if (!ref)
            continue;
        const char *other;
        json_t *v;
        json_object_foreach(p, other, v)
        {
            if (strcmp(other, "crm") == 0)
                continue;
            pairs++;
            same += strcmp(ref, json_string_value(v)) == 0;
        }
    }
    cr_assert_gt(pairs, 500);
    cr_assert_gt((double)same / (double)pairs, 0.9, "dob agrees in %ld of %ld pairs", same, pairs);
    json_decref(ds.truth);
    json_decref(ds.by_person);
    json_decref(sources);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(gen_mapping, single_source_people_map_without_errors)
{
    char dir[] = "/tmp/aurum-gen-map1-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    au_gen_opts o;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = dir;
    o.single_source = 1;
    o.records = 4000;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, NULL, &err), AU_OK);
    au_err_cleanup(&err);
    char path[256];
    snprintf(path, sizeof(path), "%s/people.yaml", dir);
    json_t *sources = load_sources(path);
    dob_seen ds;
    load_truth(dir, &ds);
    cr_assert_eq(map_file(dir, "people", json_object_get(sources, "people"), &ds), 0);
    cr_assert_gt(json_object_size(ds.by_person), 2000);
    json_decref(ds.truth);
    json_decref(ds.by_person);
    json_decref(sources);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
