/*
 * Helpers shared by the tests' real servers (pgserver, natsserver): a free loopback port, and a
 * child process that runs a server binary, optionally as another user, and dies with the test
 * (PR_SET_PDEATHSIG after the user change, so a test killed by its time-out leaves no server).
 */
#ifndef AU_TEST_SPAWN_H
#define AU_TEST_SPAWN_H

#include <sys/types.h>

/* A port free on 127.0.0.1 right now, -1 on failure. */
int au_test_free_port(void);
/* Runs argv with stdout/stderr appended to log; as `user` when not NULL (needs root). wait=1:
 * returns the exit status (-1 when it did not exit normally); wait=0: returns the pid. */
int au_test_spawn(char *const argv[], const char *user, const char *log, int wait);
/* SIGTERM, then SIGKILL after a few seconds; reaps. */
void au_test_stop_pid(pid_t pid);
/* rm -rf of a directory made by the test under /tmp. */
void au_test_rmtree(const char *dir);
void au_test_sleep_ms(int ms);

/* Servers started and not stopped yet, by pid and directory, so a suite's .fini can stop and
 * remove them after a failed assertion left the test early. Copies, not pointers: the test's
 * own frame is gone by then. */
void au_test_track(pid_t pid, const char *dir);
void au_test_untrack(pid_t pid);
/* Stops (SIGTERM, then SIGKILL) and removes every tracked server whose directory starts with
 * prefix ("/tmp/aurum-pg-"). */
void au_test_cleanup_tracked(const char *prefix);

#endif
