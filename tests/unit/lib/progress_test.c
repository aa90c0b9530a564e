/*
 * Unit tests for progress reporting: on a terminal (a pseudo-terminal here) a redrawn line
 * with the count, the rate and the percentage; elsewhere a plain line every few seconds of an
 * injected clock (records, records/s, percent, ETA) and nothing in between.
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

/* The injected clock: tests move it. */
static double fake_now_s;
static double fake_now(void)
{
    return fake_now_s;
}

/* Everything written to f so far. */
static void contents(FILE *f, char *out, size_t n)
{
    fflush(f);
    long len = ftell(f);
    rewind(f);
    size_t got = fread(out, 1, n - 1, f);
    out[got] = 0;
    fseek(f, len, SEEK_SET);
}

Test(progress, plain_lines_every_few_seconds_when_not_a_terminal)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    char out[1024];
    au_progress p;
    fake_now_s = 1000;
    au_progress_init_on(&p, "people.csv", 1000, f, 0, fake_now);
    au_progress_update(&p, 10, 10);
    fake_now_s = 1000 + AU_PROGRESS_PLAIN_EVERY - 0.5;
    au_progress_update(&p, 20, 20);
    contents(f, out, sizeof out);
    cr_assert_str_eq(out, "", "nothing before the interval: %s", out);

    fake_now_s = 1010; /* 10 s in, a quarter of the bytes: 3000 records at 300/s, 30 s left */
    au_progress_update(&p, 3000, 250);
    contents(f, out, sizeof out);
    cr_assert_str_eq(out, "people.csv: 3000 records, 300 records/s, 25%, ETA 30 s\n");

    fake_now_s = 1012; /* within the interval of the last line: nothing new */
    au_progress_update(&p, 3500, 300);
    fake_now_s = 1020;
    au_progress_update(&p, 6000, 500);
    au_progress_finish(&p, 9000, 1000);
    contents(f, out, sizeof out);
    cr_assert_str_eq(out,
                     "people.csv: 3000 records, 300 records/s, 25%, ETA 30 s\n"
                     "people.csv: 6000 records, 300 records/s, 50%, ETA 20 s\n",
                     "one plain line per interval, no carriage return, none at the end: %s", out);
    fclose(f);
}

Test(progress, plain_lines_without_a_known_size_have_no_eta)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    char out[256];
    au_progress p;
    fake_now_s = 50;
    au_progress_init_on(&p, "-", 0, f, 0, fake_now);
    fake_now_s = 60;
    au_progress_update(&p, 500, 12345);
    contents(f, out, sizeof out);
    cr_assert_str_eq(out, "-: 500 records, 50 records/s\n");
    fclose(f);
}

Test(progress, silent_without_an_output)
{
    au_progress p;
    fake_now_s = 0;
    au_progress_init_on(&p, "x", 0, NULL, 0, fake_now);
    fake_now_s = 100;
    au_progress_update(&p, 5, 5); /* must not touch a NULL stream */
    au_progress_finish(&p, 5, 5);
    cr_assert_null(p.out);
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
