/*
 * SQLite-style fault injection for tests: run an operation once to count its allocations (N),
 * then N more times with the 1st, 2nd, ... N-th allocation failing. Each failing run must answer
 * AU_ERR_NOMEM (not crash, not succeed with a silently missing piece) and release everything it
 * built (the sanitizer build's leak checker sees the rest); the run past N must succeed.
 */
#ifndef AU_TEST_FAULT_H
#define AU_TEST_FAULT_H

#include "lib/rc.h"

/* One run of the operation under test: builds, checks what it built when it returns AU_OK, and
 * frees everything before returning. ctx is the test's (not owned). */
typedef au_rc (*au_fault_op)(void *ctx);

/* Runs op as described above, asserting with Criterion; returns N (> 0 asserted). */
long au_fault_every_allocation(au_fault_op op, void *ctx);

#endif
