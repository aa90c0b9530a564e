/*
 * Placeholder; owned by the ingest work (YAML config loader).
 */
#include "core/config.h"

void au_config_print_help(FILE *f)
{
    fprintf(f, "(configuration reference not built yet)\n");
}
