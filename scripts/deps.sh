#!/bin/sh
# Installs the Debian packages Aurum needs to build, test, fuzz (clang-14 and its libFuzzer
# runtime libclang-rt-14-dev) and benchmark (openssl makes the TLS test's certificate), only those
# missing, and the npm packages of the SDK tests (tests/segment and tests/rudderstack) and of the
# console's browser tests (tests/console), each from its committed package-lock.json. Downloads
# nothing but Debian packages and those npm packages. jq is for scripts/demo.sh.
# Usage: scripts/deps.sh [--debian | --npm] (default both; scripts/test.sh runs the npm half
# beside the first build: `npm ci` waits on the network, not on the cores).
set -e
what=${1:-all}
PKGS="build-essential pkg-config clang-format libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev
libjansson-dev libyaml-dev libutf8proc-dev libsodium-dev libxxhash-dev libcriterion-dev curl jq sqlite3
zlib1g-dev libpq-dev libnats-dev postgresql nats-server chromium clang-14 libclang-rt-14-dev openssl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node and npm run Segment's and RudderStack's own SDKs against the daemon; any node will do.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ] && [ "$what" != --npm ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
[ "$what" = --debian ] && exit 0
# The SDK tests: Segment's analytics-node and RudderStack's rudder-sdk-node, each pinned by its
# committed package-lock.json.
tests="$(dirname "$0")/../tests"
(cd "$tests/segment" && [ -d node_modules/@segment/analytics-node ] ||
    npm ci --no-audit --no-fund --loglevel=error)
(cd "$tests/rudderstack" && [ -d node_modules/@rudderstack/rudder-sdk-node ] ||
    npm ci --no-audit --no-fund --loglevel=error)
# The console's browser tests: playwright-core (driving Debian's chromium, never a downloaded
# browser) and axe-core, pinned by tests/console/package-lock.json.
(cd "$tests/console" && [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] ||
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
