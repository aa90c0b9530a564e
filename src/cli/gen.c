/*
 * `aurum gen` (placeholder until its module lands; owned by the gen work).
 */
#include <stdio.h>

#include "cli/cli.h"

static int run(int argc, char **argv)
{
    fprintf(stderr, "aurum gen: not built yet\n");
    return 1;
}

const au_cli_command au_cli_gen = {"gen", run, "(not built yet)", "usage: aurum gen\n"};
