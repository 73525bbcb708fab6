#!/usr/bin/env bash
# One redis-server on loopback for a test of its own: TLS with the certificates
# of scripts/test-certs.sh and users from an ACL file, as production Redis is
# run. (scripts/test-infra.sh starts the shared plain servers.)
#
# Usage:
#   redis-node.sh start DIR --port P [--tls CERTDIR [--server-cert NAME] [--client-auth yes|optional]] [--aclfile FILE]
#       Starts redis-server in the background without persistence, its working
#       directory and log (DIR/redis.log) in DIR; waits until it accepts
#       connections (at most REDIS_NODE_WAIT_SECS, default 20) and prints its pid.
#       --tls CERTDIR: P is a TLS port (no plain port) with CERTDIR/server.crt,
#       server.key and ca.crt; client certificates are accepted, not required.
#       --server-cert NAME: present CERTDIR/NAME.crt and NAME.key instead of server's.
#       --client-auth yes: require a client certificate signed by CERTDIR/ca.crt (mutual TLS).
#       --aclfile FILE: the users (see docs/operations.md for clvstream's).
#   redis-node.sh stop DIR      SIGTERM, SIGKILL after 10 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WAIT_SECS="${REDIS_NODE_WAIT_SECS:-20}"
log() { printf '[redis-node] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
# shellcheck source=lib/common.sh
source "$ROOT/scripts/lib/common.sh"

cmd_start() {
  local dir=$1
  shift
  local port='' certs='' aclfile='' cert=server client_auth=optional
  while (($#)); do
    case $1 in
      --port) port=$2; shift 2 ;;
      --tls) certs=$2; shift 2 ;;
      --server-cert) cert=$2; shift 2 ;;
      --client-auth) client_auth=$2; shift 2 ;;
      --aclfile) aclfile=$2; shift 2 ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ ]] || die "start needs --port P"
  [[ $client_auth == yes || $client_auth == optional ]] || die "start: --client-auth is yes or optional"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -f $dir/pid ]] && pid_alive "$(<"$dir/pid")"; then die "start: the server in $dir already runs (pid $(<"$dir/pid"))"; fi
  local args=(--bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize no --logfile "$dir/redis.log")
  if [[ -n $certs ]]; then
    certs=$(cd "$certs" && pwd)
    args+=(--port 0 --tls-port "$port" --tls-cert-file "$certs/$cert.crt" --tls-key-file "$certs/$cert.key"
      --tls-ca-cert-file "$certs/ca.crt" --tls-auth-clients "$client_auth")
  else
    args+=(--port "$port")
  fi
  [[ -z $aclfile ]] || args+=(--aclfile "$(cd "$(dirname "$aclfile")" && pwd)/$(basename "$aclfile")")
  local before=0 pid deadline
  [[ -f $dir/redis.log ]] && before=$(wc -l <"$dir/redis.log")
  setsid redis-server "${args[@]}" </dev/null >>"$dir/redis.out" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$dir/pid"
  deadline=$((SECONDS + WAIT_SECS))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do
    if [[ -f $dir/redis.log ]] && tail -n +"$((before + 1))" "$dir/redis.log" | grep -q 'Ready to accept connections'; then
      printf '%s\n' "$pid"
      return 0
    fi
    sleep 0.1
  done
  pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  rm -f "$dir/pid"
  die "redis-server in $dir did not start within ${WAIT_SECS}s, see $dir/redis.log and $dir/redis.out"
}

cmd_stop() {
  local dir=$1
  [[ -f $dir/pid ]] || return 0
  stop_pid "$(<"$dir/pid")" redis-server 10 || true
  rm -f "$dir/pid"
}

case ${1:-} in
  start) shift; [[ $# -ge 1 ]] || die "usage: $0 start DIR --port P [--tls CERTDIR [--server-cert NAME] [--client-auth yes|optional]] [--aclfile FILE]"; cmd_start "$@" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  *)
    echo "usage: $0 start DIR --port P [--tls CERTDIR] [--aclfile FILE] | stop DIR" >&2
    exit 2
    ;;
esac
