/*
 * `aurum version`: the version and the library versions it was built against, for bug reports.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <utf8proc.h>

#include "cli/cli.h"

#ifndef AURUM_VERSION
#define AURUM_VERSION "0.1.0"
#endif

static const au_args_spec spec = {
    .prog = "aurum version",
    .about = "Prints the version and the versions of the libraries it runs with (for bug "
             "reports).\n'aurum --version' prints the same.\n",
};

static int run(int argc, char **argv)
{
    int npos, code = au_args_run(&spec, NULL, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    printf("aurum %s\n", AURUM_VERSION);
    printf("sqlite %s, libmicrohttpd %s, jansson %s, utf8proc %s, libsodium %s\n",
           sqlite3_libversion(), MHD_get_version(), JANSSON_VERSION, utf8proc_version(),
           sodium_version_string());
    return 0;
}

const au_cli_command au_cli_version = {"version", run, "print the version", NULL, &spec};
