#!/bin/sh
# Replays the SIGTERM abort a CI run saw once (docs/ARCHITECTURE.md, Threads: HTTP) on demand:
# an LD_PRELOAD delays every epoll_ctl(EPOLL_CTL_DEL) of the daemon's main thread by 50 ms,
# which widens the window in which libmicrohttpd's MHD_quiesce_daemon raced its own epoll loops
# over the listening socket, then runs the shutdown tests with that daemon. A server that still
# quiesces aborts in the first round (SIGABRT, "Failed to remove listen FD from epoll set");
# the current one passes. Usage: scripts/quiesce-race.sh [BUILD] (default build; needs
# BUILD/aurum and BUILD/test_runtime). A diagnosis aid, not part of `make test`.
set -e
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/slowdel.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    static int (*real)(int, int, int, struct epoll_event *);
    if (!real)
        real = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
    if (op == EPOLL_CTL_DEL && gettid() == getpid()) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
    return real(epfd, op, fd, ev);
}
EOF
cc -shared -fPIC -O1 -o "$tmp/slowdel.so" "$tmp/slowdel.c" -ldl
printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$tmp/slowdel.so" "$(cd "$build" && pwd)/aurum" >"$tmp/aurum"
chmod +x "$tmp/aurum"
AURUM_BIN="$tmp/aurum" "$build/test_runtime" --filter 'shutdown/*'
