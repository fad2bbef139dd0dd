#!/usr/bin/env bash
# Builds local stand-ins for the three official images compose uses, for machines that reach
# Debian's mirror and the package registries but no image registry (CI here):
#   insertcoin-standin/debian:bookworm         a Debian 12 root file system (debootstrap + docker import)
#   insertcoin-standin/python:3.11-slim-bookworm   for python:3.11-slim-bookworm
#   insertcoin-standin/postgres:16-bookworm        for postgres:16-bookworm (PostgreSQL 15: Debian 12's)
#   insertcoin-standin/kafka:3.9.1                 for apache/kafka:3.9.1 (OpenJDK 17, Kafka jars from Maven Central)
# They keep the contracts the project relies on (docs/DEPLOY.md) and never take the official names.
# Prints the variables that point compose at them (PYTHON_IMAGE=..., one a line); `eval` them.
# Re-running is cheap: the root file system is made once (cached under $CACHE_DIR, default
# ~/.cache/insertcoin; FORCE=1 makes it again), the images rebuild from Docker's layer cache in
# seconds. Needs root, docker, debootstrap, and the project's virtualenv (for the Kafka jars).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${CACHE_DIR:-$HOME/.cache/insertcoin}
cache=${cache/#\~/$HOME}
prefix=insertcoin-standin
suite=bookworm
kafka_version=3.9.1
mkdir -p "$cache"
log() { echo "standins: $*" >&2; }
have() { [ -z "${FORCE:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }

# Debian's mirror as this machine's apt is configured (deb822 or one-line), else deb.debian.org.
mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}')
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" && $0 ~ / bookworm / && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}')
  echo "${uri:-http://deb.debian.org/debian}"
}

# The machine's extra CA certificates (an egress proxy's), PEM, for builds to trust while they
# install packages; empty when the machine has none.
extra_ca() { cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; }

base() {
  local image=$prefix/debian:$suite tarball=$cache/debian-$suite-rootfs.tar.gz
  have "$image" && return
  if [ ! -s "$tarball" ]; then
    local dir m
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    m=$(mirror)
    log "debootstrap $suite from $m (a few minutes, once)"
    local started; started=$(date +%s)
    debootstrap --variant=minbase "$suite" "$dir" "$m" >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log" >&2; rm -rf "$dir"; exit 1; }
    # apt's sources as in Debian's images: the mirror plus security updates.
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$m" "$suite" "$suite" "${m%/debian*}/debian-security" "$suite" > "$dir/etc/apt/sources.list.d/debian.sources"
    : > "$dir/etc/apt/sources.list"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" --numeric-owner -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    log "root file system in $(( $(date +%s) - started )) s"
    rm -rf "$dir"
  fi
  log "docker import $image"
  docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' "$tarball" "$image" >/dev/null
}

# The Kafka jars the local stack runs (Maven Central, cached under $CACHE_DIR).
kafka_libs() {
  local py=$root/.venv/bin/python
  [ -x "$py" ] || py=python3
  (cd "$root" && CACHE_DIR=$cache "$py" -c 'from shared.settings import get_settings; from shared.stack import kafka_libs; print(kafka_libs(get_settings()))')
}

build() {  # build IMAGE DIR [CONTEXT]: always, the layer cache makes an unchanged one take seconds
  local image=$1 dir=$2 context=${3:-$2} started
  log "docker build $image"
  started=$(date +%s)
  docker build -q -t "$image" --build-arg BASE_IMAGE="$prefix/debian:$suite" -f "$dir/Dockerfile" "$context" >/dev/null
  log "built $image in $(( $(date +%s) - started )) s"
}

base
# The three are independent: built side by side.
pids=()
build "$prefix/python:3.11-slim-bookworm" "$here/python" & pids+=($!)
build "$prefix/postgres:16-bookworm" "$here/postgres" & pids+=($!)
libs=$(kafka_libs | tail -1)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp -r "$here/kafka/." "$context/"
cp -r "$libs" "$context/libs"
build "$prefix/kafka:$kafka_version" "$context" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid"; done
echo "PYTHON_IMAGE=$prefix/python:3.11-slim-bookworm"
echo "POSTGRES_IMAGE=$prefix/postgres:16-bookworm"
echo "KAFKA_IMAGE=$prefix/kafka:$kafka_version"
