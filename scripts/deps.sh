#!/bin/sh
# Installs the Debian packages Aurum needs to build, test and benchmark, only those missing.
# Never downloads anything but Debian packages.
set -e
PKGS="build-essential pkg-config clang-format libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev
libjansson-dev libyaml-dev libutf8proc-dev libsodium-dev libxxhash-dev libcriterion-dev curl sqlite3
libpq-dev libnats-dev postgresql nats-server"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
