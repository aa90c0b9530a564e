/*
 * The PostgreSQL server of one run of a test binary (test_unit or test_runtime): started once,
 * in the runner process, before the first test, when the run needs it — the --filter selects a
 * suite whose name ends in "_pg" (the PostgreSQL twin of a suite declared with AU_BOTH_SUITE or
 * AU_STORE_BOTH), or AURUM_TEST_STORE=postgres asks for every daemon of the runtime suites to
 * store in PostgreSQL — and stopped, its directory removed, after the last test. Each test then
 * takes a database of its own (au_pgrun_database), so tests running in parallel never see each
 * other's rows; a test's databases are dropped by au_pgrun_drop_mine.
 *
 * Why one server per run and not one per test: initdb and a server start cost seconds, a
 * CREATE DATABASE from a template tens of milliseconds; a few hundred tests times seconds would
 * not fit the CI budget.
 */
#ifndef AU_TEST_PGRUN_H
#define AU_TEST_PGRUN_H

#include <stddef.h>

#include "pgserver.h"

/* Whether AURUM_TEST_STORE=postgres: the runtime harness gives each daemon a PostgreSQL store. */
int au_pgrun_env_wants_postgres(void);

/* A new database on the run's server, its postgres:// URI written to loc (cap bytes).
 * migrated=1: a copy of a template that already holds Aurum's schema (what a daemon or engine
 * test needs, without paying the migration each time); migrated=0: an empty database (what the
 * store suites need to test the migration itself). Returns 0, or -1 when the server is not
 * running (the message in why, cap why_cap: not installed, or failed to start with its log). */
int au_pgrun_database(char *loc, size_t cap, int migrated, char *why, size_t why_cap);

/* The server (port and conninfo; pid 0: this process does not own it). Valid after a
 * successful au_pgrun_database. */
const au_pgserver *au_pgrun_server(void);

/* Drops every database this process created (WITH (FORCE): a daemon killed by the test may
 * still hold a connection for a moment). Call when the test's daemons and stores are closed. */
void au_pgrun_drop_mine(void);

#endif
