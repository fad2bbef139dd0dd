#!/usr/bin/env bash
# Makes `docker compose` work on this machine, for the compose test and CI (docs/DEPLOY.md):
#   1. Debian's docker.io (and debootstrap, for the stand-in base image) when missing (as root);
#   2. the Docker daemon, started in the background when none answers (log: $CACHE_DIR/dockerd.log);
#   3. Compose v2+ when `docker compose` is missing: github.com/docker/compose/v5 at $COMPOSE_VERSION,
#      built from the Go module proxy (`go install` refuses the module's exclude directives, so it
#      builds ./cmd inside the downloaded module). Go comes from the machine, or, when missing or
#      older than the module needs, as the golang.org/toolchain module from the same proxy.
# The binary is cached in $CACHE_DIR (default ~/.cache/insertcoin): a second run takes seconds.
# --no-compose stops after step 2. Two runs at once build Compose once (a lock in $CACHE_DIR).
set -euo pipefail
cache=${CACHE_DIR:-$HOME/.cache/insertcoin}
cache=${cache/#\~/$HOME}
compose_version=${COMPOSE_VERSION:-v5.6.0}
go_version=${GO_TOOLCHAIN_VERSION:-1.26.8}  # the module's `go` directive
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
mkdir -p "$cache" "$plugins"
log() { echo "ensure-docker: $*" >&2; }

apt_install() {
  [ $# -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || { log "missing $*; install them as root (apt-get install $*)"; exit 1; }
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
apt_install "${need[@]}"

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { log "no Docker daemon answers and this is not root: start dockerd"; exit 1; }
  log "starting dockerd (log: $cache/dockerd.log)"
  setsid nohup dockerd >>"$cache/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$cache/dockerd.log" >&2; log "dockerd did not start"; exit 1; }
fi

go_ok() {  # a go that can build the module (1.21+ fetches the exact toolchain itself)
  command -v go >/dev/null || return 1
  local v; v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  [ "$(printf '%s\n' 1.21 "$v" | sort -V | head -1)" = 1.21 ]
}

[ "${1:-}" = --no-compose ] && exit 0
exec 9>"$cache/compose.lock"
flock 9
if ! docker compose version >/dev/null 2>&1; then
  binary=$cache/docker-compose-$compose_version
  if [ ! -x "$binary" ]; then
    if ! go_ok; then
      goroot=$cache/go$go_version
      if [ ! -x "$goroot/bin/go" ]; then
        log "Go $go_version from the Go module proxy (golang.org/toolchain)"
        zip=$cache/go$go_version.zip
        curl -fsSL -o "$zip" "${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go$go_version.linux-amd64.zip"
        tmp=$(mktemp -d "$cache/go.XXXXXX")
        python3 -m zipfile -e "$zip" "$tmp"
        mv "$tmp/golang.org/toolchain@v0.0.1-go$go_version.linux-amd64" "$goroot"
        chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/*
        rm -rf "$tmp" "$zip"
      fi
      export PATH=$goroot/bin:$PATH GOTOOLCHAIN=local
    fi
    log "building docker compose $compose_version from the Go module proxy (about a minute or more)"
    dir=$(cd /tmp && go mod download -json "github.com/docker/compose/v5@$compose_version" \
          | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath \
       -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$compose_version" \
       -o "$binary.tmp" ./cmd)
    mv "$binary.tmp" "$binary"
  fi
  ln -sf "$binary" "$plugins/docker-compose"
fi
docker compose version >&2
