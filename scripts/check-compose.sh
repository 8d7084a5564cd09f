#!/bin/bash
# `make check-compose`: validates docker-compose.yml with `docker compose
# config` (the compose plugin's own parser, schema and interpolation), with
# no Docker engine needed.
#
# The docker CLI on this project's machines comes without the compose
# plugin, so the plugin is built once from its Go module (a pinned release,
# through the Go module proxy) into $GW_COMPOSE_CACHE (default
# ~/.cache/geowire/docker-compose-<version>) and used through DOCKER_CONFIG,
# leaving the user's ~/.docker alone. `go install module/cmd@version` refuses
# this module (its go.mod has exclude directives), so the module source is
# downloaded and built in place. The Go caches of that build live in a
# temporary folder removed afterwards (about 1.4 GB); only the binary is
# kept. A cold build takes about 6.3 CPU-minutes; it took 8.6 and 13.4 min
# on this project's 2-core machine while others' jobs loaded it, which is
# why CI does not run this (README "Run with Kafka").
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${GW_COMPOSE_VERSION:-v2.40.3}"
CACHE="${GW_COMPOSE_CACHE:-$HOME/.cache/geowire/docker-compose-$VERSION}"
PLUGIN="$CACHE/cli-plugins/docker-compose"
MODULE=github.com/docker/compose/v2

die() { echo "check-compose: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "the docker CLI is missing (it comes with this project's machines; on Debian: apt-get install docker.io)"

# The build's scratch folder, removed on any exit (module cache files are
# read-only: they are made writable first).
WORK=""
cleanup() {
    if [ -n "$WORK" ]; then chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; fi
}
trap cleanup EXIT

build_plugin() {
    local go=go
    command -v go >/dev/null 2>&1 || go=/usr/local/go/bin/go
    [ -x "$(command -v "$go")" ] || die "Go is missing (compose $VERSION needs Go 1.24 or newer)"
    WORK="$(mktemp -d)"
    local work="$WORK"
    export GOMODCACHE="$work/mod" GOCACHE="$work/cache" GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
    echo "check-compose: building the compose plugin $VERSION from $MODULE (once, into $CACHE)" >&2
    local t0=$SECONDS dir
    dir="$("$go" mod download -json "$MODULE@$VERSION" |
           python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')" ||
        die "the Go module proxy has no $MODULE@$VERSION"
    cp -r "$dir" "$work/src"
    chmod -R u+w "$work/src"
    (cd "$work/src" &&
     "$go" build -trimpath -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" -o "$work/docker-compose" ./cmd) ||
        die "building the compose plugin failed"
    mkdir -p "$CACHE/cli-plugins"
    mv "$work/docker-compose" "$PLUGIN"
    echo "check-compose: built in $((SECONDS - t0)) s" >&2
}

[ -x "$PLUGIN" ] || build_plugin
export DOCKER_CONFIG="$CACHE"
docker compose version
# --quiet: only the verdict; then the resolved model, for the log.
docker compose -f docker-compose.yml config --quiet || die "docker compose config refuses docker-compose.yml"
docker compose -f docker-compose.yml config --services | sort | tr '\n' ' '
echo
echo "check-compose: docker-compose.yml is valid"
