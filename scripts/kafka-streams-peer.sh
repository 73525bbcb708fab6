#!/usr/bin/env bash
# The Kafka Streams peer of the service benchmark (benchmarks/peers/kafka-streams):
# built once with Maven, its jar and classpath cached outside the checkout, keyed
# on the POM and the sources, so a changed job is never served stale.
#
# Usage:
#   kafka-streams-peer.sh classpath
#       Builds the job when its sources changed (first time: Kafka Streams and
#       Jackson into the local Maven repository, about a minute) and prints the
#       path of a file holding the java classpath (the job's jar first).
#       The main class is dev.clvstream.peer.ClvPeer.
#
# Environment:
#   CLVSTREAM_CACHE_DIR   where the build is kept (default ~/.cache/clvstream)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/benchmarks/peers/kafka-streams"
CACHE="${CLVSTREAM_CACHE_DIR:-$HOME/.cache/clvstream}"

log() { printf '[kafka-streams-peer] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

cmd_classpath() {
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is missing: scripts/kafka-node.sh classpath installs it with a JDK"
  local key dir file
  key=$(cd "$PROJECT" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  dir="$CACHE/kafka-streams-peer/$key"
  file="$dir/classpath"
  if [[ ! -s $file ]]; then
    mkdir -p "$CACHE/kafka-streams-peer"
    exec 8>"$CACHE/kafka-streams-peer/.lock"
    flock -w 600 8 || die "timed out waiting for another build ($CACHE/kafka-streams-peer/.lock)"
    if [[ ! -s $file ]]; then
      log "building the Kafka Streams peer with Maven (log: $dir/maven.log)"
      rm -rf "$dir" && mkdir -p "$dir/src"
      # Built from a copy: the checkout gets no target/ directory.
      cp -r "$PROJECT/pom.xml" "$PROJECT/src" "$dir/src/"
      # Offline first (seconds when the local repository has everything), then from Maven Central.
      local goals=(package dependency:build-classpath -Dmdep.outputFile="$dir/deps")
      mvn -B -q -o -f "$dir/src/pom.xml" "${goals[@]}" >"$dir/maven.log" 2>&1 ||
        mvn -B -q -f "$dir/src/pom.xml" "${goals[@]}" >>"$dir/maven.log" 2>&1 ||
        die "Maven could not build the peer, see $dir/maven.log"
      cp "$dir"/src/target/clv-kafka-streams-peer-*.jar "$dir/peer.jar"
      printf '%s:%s' "$dir/peer.jar" "$(<"$dir/deps")" >"$file.tmp"
      mv "$file.tmp" "$file"
    fi
    flock -u 8
    exec 8>&-
  fi
  printf '%s\n' "$file"
}

case "${1:-}" in
  classpath) cmd_classpath ;;
  *) die "usage: kafka-streams-peer.sh classpath" ;;
esac
