/*
 * The PostgreSQL server of the store test suites that run on PostgreSQL (store_pg,
 * store_profiles_pg, store_audit_pg, store_privacy_pg): started once per run of test_unit, in
 * the runner process, when the --filter includes one of them, and stopped at the end; each test
 * gets a fresh database.
 */
#ifndef AU_TEST_PGSUITE_H
#define AU_TEST_PGSUITE_H

#include <stddef.h>

#include "../../support/pgserver.h"

/* In a test's .init: skips the test when PostgreSQL is not installed, fails it when the server
 * did not start; else creates the database t<pid> and writes its postgres:// URI to loc. */
void au_pgsuite_database(char *loc, size_t cap);
/* The server (conninfo and port filled in by au_pgsuite_database). */
const au_pgserver *au_pgsuite_server(void);

#endif
