/*
 * `aurum import` (placeholder until its module lands; owned by the import work).
 */
#include <stdio.h>

#include "cli/cli.h"

static int run(int argc, char **argv)
{
    fprintf(stderr, "aurum import: not built yet\n");
    return 1;
}

const au_cli_command au_cli_import = {"import", run, "(not built yet)", "usage: aurum import\n"};
