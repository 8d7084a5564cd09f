#!/bin/sh
# Installs the Debian packages geowire needs to build, run and test, when
# missing. As root it runs apt-get; otherwise it prints the exact command.
set -eu
PKGS="build-essential pkg-config librdkafka-dev libjansson-dev libyaml-dev libutf8proc-dev
libmicrohttpd-dev iso-codes libcriterion-dev python3 python3-yaml python3-jsonschema kcat
clang libclang-rt-14-dev valgrind"
# `deps.sh browser`: what `make test-browser` needs instead (node and npm
# from Debian only when no node is installed: another packaging may own them).
if [ "${1:-}" = browser ]; then
    PKGS="chromium"
    command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "geowire needs these Debian packages:$missing" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
