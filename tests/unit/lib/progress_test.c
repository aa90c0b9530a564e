/*
 * Unit tests for the progress line: silent when stderr is not a terminal, and when it is (a
 * pseudo-terminal here) a line with the count, the rate and the percentage.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/progress.h"

/* Runs a progress session with stderr pointing at fd; returns what was written to `rd`. */
static void session(int fd, int rd, char *out, size_t n)
{
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    au_progress p;
    au_progress_init(&p, "file.csv", 1000);
    au_progress_update(&p, 10, 100);
    au_progress_finish(&p, 20, 500);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    /* A pty may hand the output over in several reads: drain until it stays quiet. */
    size_t len = 0;
    struct pollfd pfd = {.fd = rd, .events = POLLIN};
    while (len < n - 1 && poll(&pfd, 1, 200) > 0) {
        ssize_t got = read(rd, out + len, n - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    out[len] = 0;
}

Test(progress, silent_when_stderr_is_not_a_terminal)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    char out[512];
    session(fds[1], fds[0], out, sizeof out);
    cr_assert_str_eq(out, "");
    close(fds[0]);
    close(fds[1]);
}

Test(progress, draws_count_rate_and_percent_on_a_terminal)
{
    int master, slave;
    cr_assert_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    char out[512];
    session(slave, master, out, sizeof out);
    cr_assert(strstr(out, "file.csv: 20 records"), "%s", out);
    cr_assert(strstr(out, "50%"), "%s", out);
    close(master);
    close(slave);
}
