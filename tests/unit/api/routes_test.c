/*
 * Route table tests: pattern matching with path parameters, 404 versus 405, parameter lookup
 * by name, and the reference generated from the table naming every route.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

Test(routes, match_fills_parameters_by_name)
{
    au_req req = {0};
    au_rc rc;
    const au_route *r = au_route_match("GET", "/v1/sources/crm/records/c-1", &req, &rc);
    cr_assert_not_null(r);
    cr_assert_eq(rc, AU_OK);
    cr_assert_str_eq(r->pattern, "/v1/sources/{source}/records/{id}");
    cr_assert_str_eq(au_req_param(&req, "source"), "crm");
    cr_assert_str_eq(au_req_param(&req, "id"), "c-1");
    cr_assert_null(au_req_param(&req, "nope"));
    au_req_cleanup(&req);
}

Test(routes, parameters_are_percent_decoded_per_segment)
{
    au_req req = {0};
    au_rc rc;
    cr_assert_not_null(au_route_match("GET", "/v1/sources/crm/records/a%20b%2Fc", &req, &rc));
    cr_assert_str_eq(au_req_param(&req, "id"), "a b/c");
    au_req_cleanup(&req);
}

Test(routes, unknown_path_is_not_found_and_wrong_method_is_405)
{
    au_req req = {0};
    au_rc rc;
    cr_assert_null(au_route_match("GET", "/v1/sources/crm/extra/x/y", &req, &rc));
    cr_assert_eq(rc, AU_ERR_NOT_FOUND);
    cr_assert_null(au_route_match("GET", "/v1/sources/", &req, &rc));
    cr_assert_eq(rc, AU_ERR_NOT_FOUND, "an empty parameter matches nothing");
    cr_assert_null(au_route_match("PATCH", "/v1/sources/crm", &req, &rc));
    cr_assert_eq(rc, AU_ERR_METHOD);
    cr_assert_null(au_route_match("GET", "/v1/events", &req, &rc));
    cr_assert_eq(rc, AU_ERR_METHOD);
    cr_assert_eq(req.nparams, 0);
}

Test(routes, every_route_is_labelled_and_documented)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    au_api_print_routes(f, 1);
    fclose(f);
    for (size_t i = 0; i < au_nroutes; i++) {
        char label[256];
        snprintf(label, sizeof(label), "%s %s", au_routes[i].method, au_routes[i].pattern);
        cr_assert_str_eq(au_route_labels[i], label);
        cr_assert(strstr(text, au_routes[i].pattern), "%s missing from the reference",
                  au_routes[i].pattern);
        cr_assert_not_null(au_routes[i].handler);
    }
    free(text);
}

Test(routes, docs_api_md_lists_every_route)
{
    FILE *f = fopen("docs/API.md", "r");
    cr_assert_not_null(f, "docs/API.md not found (run from the repository root)");
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < au_nroutes; i++) {
        char row[300];
        snprintf(row, sizeof(row), "| %s | `%s` |", au_routes[i].method, au_routes[i].pattern);
        cr_assert(strstr(text, row),
                  "docs/API.md lacks %s: regenerate it with `aurum help api "
                  "--markdown`",
                  row);
    }
}
