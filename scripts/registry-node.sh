#!/usr/bin/env bash
# One schema registry on loopback: Apicurio Registry, from the bundle named in
# infra/registry/pom.xml, serving the Confluent-compatible REST API under
# /apis/ccompat/v7. The one place that knows how the tests' registry is fetched,
# started and stopped: scripts/test-infra.sh starts the shared one with it, and
# tests that stop and restart a registry start their own with it
# (test/support/registry-node.ts).
#
# Usage:
#   registry-node.sh home
#       Unpacks the bundle with Maven (first time: about 60 MB downloaded into
#       the local Maven repository, 170 MB unpacked into the cache directory,
#       both outside the checkout) and prints the directory holding
#       quarkus-run.jar.
#   registry-node.sh start DIR --port P [--persistent]
#       Starts a registry in the background with its pid file and log
#       (DIR/registry.log) in DIR, waits until its Confluent-compatible API
#       answers (at most REGISTRY_NODE_WAIT_SECS, default 60), prints its pid.
#       Storage is in memory; with --persistent it is an H2 file in DIR, so
#       schema ids survive a stop and a start on the same DIR.
#   registry-node.sh stop DIR   SIGTERM, then SIGKILL after 10 s.
#   registry-node.sh url P      prints the Confluent-compatible API's URL on port P.
#
# Environment:
#   CLVSTREAM_CACHE_DIR       where the bundle is unpacked (default ~/.cache/clvstream)
#   CLVSTREAM_REGISTRY_HEAP   the JVM's maximum heap (default 256m)
#   REGISTRY_JAVA             a java binary, version 21 or newer (default: the
#                             first one found on PATH or under /usr/lib/jvm)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/infra/registry/pom.xml"
CACHE="${CLVSTREAM_CACHE_DIR:-$HOME/.cache/clvstream}"
HEAP="${CLVSTREAM_REGISTRY_HEAP:-256m}"
WAIT_SECS="${REGISTRY_NODE_WAIT_SECS:-60}"
# Apicurio Registry 3.x is compiled for Java 21 (class file version 65).
MIN_JAVA=21

log() { printf '[registry-node] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
# shellcheck source=lib/common.sh
source "$ROOT/scripts/lib/common.sh"

java_major() {
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

find_java() {
  local candidate major
  for candidate in ${REGISTRY_JAVA:-} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n $candidate && -x $candidate ]] || continue
    major=$(java_major "$candidate")
    if [[ -n $major ]] && ((major >= MIN_JAVA)); then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  die "Apicurio Registry needs Java $MIN_JAVA or newer; none found on PATH or under /usr/lib/jvm (set REGISTRY_JAVA)"
}

# The unpacked bundle's directory is keyed on the POM, so a changed version is never served stale.
cmd_home() {
  local key dir
  key=$(sha256sum "$POM" | cut -c1-16)
  dir="$CACHE/registry/$key"
  if [[ ! -f $dir/quarkus-run.jar ]]; then
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is missing; install it: apt-get install maven"
    mkdir -p "$CACHE/registry"
    exec 8>"$CACHE/registry/.lock"
    flock -w 600 8 || die "timed out waiting for another unpack ($CACHE/registry/.lock)"
    if [[ ! -f $dir/quarkus-run.jar ]]; then
      log "fetching Apicurio Registry with Maven ($POM; log: $CACHE/registry/maven.log)"
      rm -rf "$dir.tmp" "$dir.download"
      # copy-dependencies, not unpack-dependencies: the latter keeps markers in
      # a target/ directory beside the POM, inside the checkout.
      mvn -B -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$dir.download" \
        >"$CACHE/registry/maven.log" 2>&1 || die "Maven could not fetch the registry, see $CACHE/registry/maven.log"
      mkdir -p "$dir.tmp"
      tar -xzf "$dir.download"/apicurio-registry-app-*-all.tar.gz -C "$dir.tmp" ||
        die "could not unpack $dir.download/apicurio-registry-app-*-all.tar.gz"
      rm -rf "$dir.download"
      [[ -f $dir.tmp/quarkus-run.jar ]] || die "the unpacked bundle has no quarkus-run.jar ($dir.tmp)"
      rm -rf "$dir"
      mv "$dir.tmp" "$dir"
    fi
    flock -u 8
    exec 8>&-
  fi
  printf '%s\n' "$dir"
}

url_of() { printf 'http://127.0.0.1:%s/apis/ccompat/v7\n' "$1"; }

answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(url_of "$1")/subjects" 2>/dev/null) == 200 ]]
}

cmd_start() {
  local dir=$1
  shift
  local port='' persistent=0
  while (($#)); do
    case $1 in
      --port) port=$2; shift 2 ;;
      --persistent) persistent=1; shift ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ ]] || die "start needs --port P"
  command -v curl >/dev/null 2>&1 || die "curl is missing; install it: apt-get install curl"
  mkdir -p "$dir"
  if [[ -f $dir/pid ]] && pid_alive "$(<"$dir/pid")"; then die "start: the registry in $dir already runs (pid $(<"$dir/pid"))"; fi
  local home java
  home=$(cmd_home)
  java=$(find_java)
  local args=("$java" -Xms64m "-Xmx$HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$port"
    # Its management interface (health, metrics) would listen on 0.0.0.0:9000,
    # one fixed port for every registry on the machine; it cannot be switched
    # off at run time, so it goes to loopback on a port the kernel picks.
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=0)
  if ((persistent)); then
    args+=("-Dapicurio.datasource.url=jdbc:h2:file:$(cd "$dir" && pwd)/h2/registry")
  fi
  local log="$dir/registry.log" pid deadline
  # The registry must not inherit the callers' lock file descriptors.
  (cd "$home" && exec setsid "${args[@]}" -jar quarkus-run.jar </dev/null >>"$log" 2>&1 8>&- 9>&-) &
  pid=$!
  echo "$pid" >"$dir/pid"
  deadline=$((SECONDS + WAIT_SECS))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do
    if answers "$port"; then
      printf '%s\n' "$pid"
      return 0
    fi
    sleep 0.2
  done
  pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  rm -f "$dir/pid"
  die "the registry in $dir did not answer on port $port within ${WAIT_SECS}s, see $log"
}

cmd_stop() {
  local dir=$1 pid deadline
  [[ -f $dir/pid ]] || return 0
  pid=$(<"$dir/pid")
  # Only what we started: the pid must still run the registry's jar.
  stop_pid "$pid" quarkus-run.jar 10 || true
  rm -f "$dir/pid"
}

case ${1:-} in
  home) cmd_home ;;
  start) shift; [[ $# -ge 1 ]] || die "usage: $0 start DIR --port P [--persistent]"; cmd_start "$@" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  url) [[ $# -eq 2 ]] || die "usage: $0 url PORT"; url_of "$2" ;;
  *)
    echo "usage: $0 home | start DIR --port P [--persistent] | stop DIR | url PORT" >&2
    exit 2
    ;;
esac
