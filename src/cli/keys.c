/*
 * `aurum keys` (placeholder until its module lands; owned by the keys work).
 */
#include <stdio.h>

#include "cli/cli.h"

static int run(int argc, char **argv)
{
    fprintf(stderr, "aurum keys: not built yet\n");
    return 1;
}

const au_cli_command au_cli_keys = {"keys", run, "(not built yet)", "usage: aurum keys\n"};
