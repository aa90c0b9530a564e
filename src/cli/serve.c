/*
 * `aurum serve` (placeholder until its module lands; owned by the serve work).
 */
#include <stdio.h>

#include "cli/cli.h"

static int run(int argc, char **argv)
{
    fprintf(stderr, "aurum serve: not built yet\n");
    return 1;
}

const au_cli_command au_cli_serve = {"serve", run, "(not built yet)", "usage: aurum serve\n"};
