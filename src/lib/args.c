/*
 * Table-driven argv parsing and usage generation (see args.h). One pass over argv: an option is
 * looked up in the table, its value converted into the field at its offset by lib/opts (the
 * converter every source of options shares); everything else is a positional argument,
 * compacted to the front of argv so the command sees them in order.
 */
#include "lib/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Usage lines are wrapped before this column (the project's line width). */
#define AU_ARGS_WIDTH 100

static const au_arg *find(const au_args_spec *spec, const char *name, size_t len)
{
    return au_opts_find(spec->opts, spec->nopts, name, len);
}

/* Handles argv[*i], an option; advances *i past its value. `seen` marks the rows given. */
static au_rc one_option(const au_args_spec *spec, void *dst, int argc, char **argv, int *i,
                        char *seen, au_err *err)
{
    const char *a = argv[*i];
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    const au_arg *o = find(spec, a, eq ? (size_t)(eq - a) : strlen(a));
    if (!o)
        return au_err_set(err, AU_ERR_INVALID, "unknown option '%.*s'",
                          eq ? (int)(eq - a) : (int)strlen(a), a);
    seen[o - spec->opts] = 1;
    if (o->type == AU_ARG_FLAG) {
        if (eq)
            return au_err_set(err, AU_ERR_INVALID, "%s takes no value", o->name);
        *(int *)((char *)dst + o->offset) = 1;
        return AU_OK;
    }
    if (eq)
        return au_opt_set(o, eq + 1, dst, 0, err);
    if (*i + 1 >= argc)
        return au_err_set(err, AU_ERR_INVALID, "%s needs a value (%s)", o->name,
                          o->arg ? o->arg : "a value");
    return au_opt_set(o, argv[++*i], dst, 0, err);
}

/* After parsing: required options and the number of positional arguments. */
static au_rc check_counts(const au_args_spec *spec, const char *seen, int npos, char **pos,
                          au_err *err)
{
    for (size_t k = 0; k < spec->nopts; k++)
        if (spec->opts[k].required && !seen[k])
            return au_err_set(err, AU_ERR_INVALID, "missing %s %s (it is required)",
                              spec->opts[k].name, spec->opts[k].arg ? spec->opts[k].arg : "");
    if (npos < spec->min_args)
        return au_err_set(err, AU_ERR_INVALID, "missing %s", spec->args ? spec->args : "argument");
    if (spec->max_args >= 0 && npos > spec->max_args)
        return au_err_set(err, AU_ERR_INVALID, "unexpected argument '%s'", pos[spec->max_args]);
    return AU_OK;
}

au_rc au_args_parse(const au_args_spec *spec, void *dst, int argc, char **argv, int *npos,
                    int *help, au_err *err)
{
    char seen[128] = {0};
    int n = 0, only_args = 0;
    au_rc rc = AU_OK;
    *help = 0;
    if (spec->nopts > sizeof seen)
        return au_err_set(err, AU_ERR_INTERNAL, "too many options in the table");
    if ((rc = au_opts_defaults(spec->opts, spec->nopts, dst, 0, err)))
        return rc;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (!only_args && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            *help = 1;
            return AU_OK;
        }
        if (!only_args && strcmp(a, "--") == 0)
            only_args = 1;
        else if (!only_args && a[0] == '-' && a[1] != '\0')
            rc = one_option(spec, dst, argc, argv, &i, seen, err);
        else
            argv[1 + n++] = argv[i]; /* write index never passes the read index */
    }
    if (!rc)
        rc = check_counts(spec, seen, n, argv + 1, err);
    *npos = n;
    return rc;
}

/* Width of "--name ARG" for alignment. */
static size_t opt_width(const au_arg *o)
{
    return strlen(o->name) + (o->type == AU_ARG_FLAG ? 0 : 1 + strlen(o->arg ? o->arg : "X"));
}

/* Writes one synopsis item at *col, first moving to a new line indented to `indent` when it
 * would pass AU_ARGS_WIDTH. */
static void put_item(FILE *f, const char *item, size_t indent, size_t *col)
{
    size_t n = strlen(item);
    if (*col > indent && *col + 1 + n > AU_ARGS_WIDTH) {
        fprintf(f, "\n%*s", (int)indent, "");
        *col = indent;
    } else {
        fputc(' ', f);
        (*col)++;
    }
    fputs(item, f);
    *col += n;
}

/* "[--format csv|jsonl]" style synopsis from the table, for specs without one; wrapped, with
 * continuation lines under the first option. */
static void gen_synopsis(const au_args_spec *spec, FILE *f)
{
    size_t indent = strlen("usage: ") + strlen(spec->prog), col = indent;
    char item[256];
    for (size_t k = 0; k < spec->nopts; k++) {
        const au_arg *o = &spec->opts[k];
        int flag = o->type == AU_ARG_FLAG;
        snprintf(item, sizeof item, "%s%s%s%s%s", o->required ? "" : "[", o->name, flag ? "" : " ",
                 flag ? "" : (o->arg ? o->arg : "X"), o->required ? "" : "]");
        put_item(f, item, indent, &col);
    }
    if (spec->args)
        put_item(f, spec->args, indent, &col);
}

/* Writes help + tail starting at column `indent` (where the cursor is), wrapped at word
 * boundaries before AU_ARGS_WIDTH, continuation lines indented to `indent`. */
static void put_wrapped(FILE *f, const char *help, const char *tail, size_t indent)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", help, tail);
    size_t col = indent;
    for (const char *p = text + strspn(text, " "); *p; p += strspn(p, " ")) {
        size_t word = strcspn(p, " ");
        if (col > indent && col + 1 + word > AU_ARGS_WIDTH) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
        }
        fprintf(f, "%s%.*s", col > indent ? " " : "", (int)word, p);
        col += word + (col > indent ? 1 : 0);
        p += word;
    }
    fputc('\n', f);
}

void au_args_usage(const au_args_spec *spec, FILE *f)
{
    size_t w = 10;
    fprintf(f, "usage: %s", spec->prog);
    if (spec->synopsis)
        fprintf(f, " %s", spec->synopsis);
    else
        gen_synopsis(spec, f);
    fputc('\n', f);
    if (spec->about)
        fprintf(f, "\n%s", spec->about);
    for (size_t k = 0; k < spec->nopts; k++)
        if (opt_width(&spec->opts[k]) > w)
            w = opt_width(&spec->opts[k]);
    fputs("\noptions:\n", f);
    for (size_t k = 0; k < spec->nopts; k++) {
        const au_arg *o = &spec->opts[k];
        int pad = (int)(w - opt_width(o));
        fprintf(f, "  %s%s%s%*s  ", o->name, o->type == AU_ARG_FLAG ? "" : " ",
                o->type == AU_ARG_FLAG ? "" : (o->arg ? o->arg : "X"), pad, "");
        char tail[160];
        snprintf(tail, sizeof tail, "%s%s%s", o->required ? " (required)" : "",
                 o->def ? " (default " : "", o->def ? o->def : "");
        if (o->def)
            snprintf(tail + strlen(tail), sizeof tail - strlen(tail), ")");
        put_wrapped(f, o->help, tail, w + 4);
    }
    fprintf(f, "  %-*s  %s\n", (int)w, "-h, --help", "this help");
    if (spec->notes)
        fprintf(f, "\n%s", spec->notes);
}

int au_args_run(const au_args_spec *spec, void *dst, int argc, char **argv, int *npos)
{
    au_err err;
    int help = 0;
    au_err_init(&err);
    au_rc rc = au_args_parse(spec, dst, argc, argv, npos, &help, &err);
    int code = AU_ARG_CONTINUE;
    if (help) {
        au_args_usage(spec, stdout);
        code = 0;
    } else if (rc) {
        fprintf(stderr, "%s: %s\n\n", spec->prog, err.message);
        au_args_usage(spec, stderr);
        code = 2;
    }
    au_err_cleanup(&err);
    return code;
}

int au_args_fail(const au_args_spec *spec, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", spec->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    au_args_usage(spec, stderr);
    return 2;
}
