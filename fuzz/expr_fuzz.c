/*
 * libFuzzer target over the flow expression parser and evaluator, templates, cron schedules
 * and flow definitions (see flows_fuzz.h for the input format). Build and run with
 * scripts/fuzz.sh; inputs worth keeping go to fuzz/corpus/expr/.
 */
#include "flows_fuzz.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flows_fuzz_one(data, size);
    return 0;
}
