/*
 * Implementation of the test servers' process helpers (spawn.h).
 */
#include "spawn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void au_test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int au_test_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static void become(const char *user)
{
    struct passwd *pw = user ? getpwnam(user) : NULL;
    if (!user)
        return;
    if (!pw || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        _exit(126);
    setenv("HOME", pw->pw_dir, 1);
    setenv("USER", user, 1);
}

int au_test_spawn(char *const argv[], const char *user, const char *log, int wait)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0666) : -1;
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setsid();
        become(user);
        /* after the user change, which would clear it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(125);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || !wait)
        return pid;
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void au_test_stop_pid(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        au_test_sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

#define TRACK_MAX 16
static struct {
    pid_t pid;
    char dir[128];
} tracked[TRACK_MAX];

void au_test_track(pid_t pid, const char *dir)
{
    for (int i = 0; i < TRACK_MAX; i++)
        if (!tracked[i].pid) {
            tracked[i].pid = pid;
            snprintf(tracked[i].dir, sizeof tracked[i].dir, "%s", dir);
            return;
        }
}

void au_test_untrack(pid_t pid)
{
    for (int i = 0; i < TRACK_MAX; i++)
        if (tracked[i].pid == pid)
            tracked[i].pid = 0;
}

void au_test_cleanup_tracked(const char *prefix)
{
    for (int i = 0; i < TRACK_MAX; i++) {
        if (!tracked[i].pid || strncmp(tracked[i].dir, prefix, strlen(prefix)) != 0)
            continue;
        au_test_stop_pid(tracked[i].pid);
        au_test_rmtree(tracked[i].dir);
        tracked[i].pid = 0;
    }
}

void au_test_rmtree(const char *dir)
{
    char cmd[512];
    if (strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, ".."))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}
