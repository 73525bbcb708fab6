#!/usr/bin/env bash
# Local test infrastructure for clvstream's integration tests, without Docker:
#   - one standalone redis-server (no persistence)
#   - a 3-master Redis Cluster (3 redis-server processes, no replicas)
#   - one Apache Kafka node (KRaft, broker and controller in one process), from
#     the Maven artifacts of infra/kafka/pom.xml, via scripts/kafka-node.sh
#   - one schema registry (Apicurio Registry, Confluent-compatible API), from
#     infra/registry/pom.xml, via scripts/registry-node.sh; it starts while the
#     other servers do
#   - not a server: the benchmark's Kafka Streams peer is built meanwhile
#     (scripts/kafka-streams-peer.sh, cached), for its test and npm run bench
#
# Usage: scripts/test-infra.sh start|stop|status|env
#
# start   installs what is missing (Debian packages via apt-get, the Kafka
#         broker's jars via Maven into the local Maven repository), starts all
#         servers on free 127.0.0.1 ports and writes .infra/env. Idempotent:
#         if everything recorded is still up and answering, it does nothing.
#         On failure it stops whatever it started, writes the reason to
#         .infra/start-error (integration tests use it as their skip reason)
#         and exits non-zero.
# stop    kills exactly the processes recorded in .infra/*.pid.
# status  reports each recorded process; exit 0 only if all are healthy.
# env     prints .infra/env as `export` lines: eval "$(scripts/test-infra.sh env)"
#
# Environment:
#   CLVSTREAM_CACHE_DIR      cache of the resolved Kafka classpath (default ~/.cache/clvstream)
#   CLVSTREAM_KAFKA_HEAP     the broker JVM's heap (default 512m)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/.infra"
ENV_FILE="$INFRA/env"
ERROR_FILE="$INFRA/start-error"
CACHE="${CLVSTREAM_CACHE_DIR:-$HOME/.cache/clvstream}"

KAFKA_NODE="$ROOT/scripts/kafka-node.sh"
KAFKA_DIR="$INFRA/kafka"
REGISTRY_NODE="$ROOT/scripts/registry-node.sh"
REGISTRY_DIR="$INFRA/registry"

# Ports: pick from below Linux's ephemeral range (32768+) so that nothing that
# binds port 0 (outgoing connections, a test's own servers) can take ours, and
# so that a Redis Cluster node's bus port (port + 10000) also stays below it.
PORT_MIN=20000
PORT_MAX=22700

WAIT_SECS=20 # per-server readiness bound

log() { printf '[test-infra] %s\n' "$*" >&2; }

fail() {
  log "ERROR: $*"
  mkdir -p "$INFRA"
  printf '%s\n' "$*" >"$ERROR_FILE"
  exit 1
}

# ---------------------------------------------------------------- packages --

die() { fail "$@"; }
APT_LOG="$INFRA/apt.log"
# shellcheck source=lib/common.sh
source "$ROOT/scripts/lib/common.sh"

ensure_redis() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  # Not a server we start: the Prometheus scrape test runs its own instance.
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

# ----------------------------------------------------------------- servers --

port_in_use() {
  # A successful connect means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a port p such that p (and p+10000 if $1 = cluster) look free.
# Another process can still grab it before we bind; callers retry.
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((PORT_MIN + RANDOM % (PORT_MAX - PORT_MIN)))
    port_in_use "$p" && continue
    [[ ${1:-} == cluster ]] && port_in_use $((p + 10000)) && continue
    printf '%s\n' "$p"
    return 0
  done
  fail "no free port found in $PORT_MIN-$PORT_MAX"
}

redis_ping() {
  [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# Starts one redis-server in the background; prints "pid port".
start_redis() {
  local kind=$1 attempt port dir pid reported deadline
  local args=()
  for ((attempt = 0; attempt < 5; attempt++)); do
    if [[ $kind == standalone ]]; then
      port=$(free_port)
      dir="$INFRA/redis-standalone"
      args=()
    else
      port=$(free_port cluster)
      dir="$INFRA/redis-cluster/$port"
      args=(--cluster-enabled yes --cluster-config-file "$dir/nodes.conf"
        --cluster-node-timeout 5000)
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    # No persistence at all: test data must never survive a restart.
    # The server must not inherit our lock fds (8, 9), or the locks would be
    # held for as long as it runs.
    setsid redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
      --save '' --appendonly no --daemonize no --protected-mode yes \
      --logfile "$INFRA/redis-$kind-$port.log" "${args[@]}" </dev/null >/dev/null 2>&1 8>&- 9>&- &
    pid=$!
    deadline=$((SECONDS + WAIT_SECS))
    while ((SECONDS < deadline)) && pid_alive "$pid" && ! redis_ping "$port"; do
      sleep 0.1
    done
    if pid_alive "$pid" && redis_ping "$port"; then
      # setsid normally execs in place, but trust the server's own answer.
      reported=$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" info server |
        tr -d '\r' | sed -n 's/^process_id://p')
      [[ -n $reported ]] && pid=$reported
      printf '%s %s\n' "$pid" "$port"
      return 0
    fi
    pid_alive "$pid" && kill "$pid" 2>/dev/null || true
    log "redis-server ($kind) did not come up on port $port, retrying (log: .infra/redis-$kind-$port.log)"
  done
  fail "redis-server ($kind) failed to start, see .infra/redis-$kind-*.log"
}

# Starts the Kafka node on free ports; prints "pid port".
start_kafka() {
  local attempt port cport pid
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$(free_port)
    cport=$(free_port)
    [[ $port != "$cport" ]] || continue
    rm -rf "$KAFKA_DIR"
    bash "$KAFKA_NODE" init "$KAFKA_DIR" --node-id 1 --port "$port" --controller-port "$cport" \
      >>"$INFRA/kafka-start.log" 2>&1 || fail "kafka-node.sh init failed, see .infra/kafka-start.log"
    if pid=$(bash "$KAFKA_NODE" start "$KAFKA_DIR" 2>>"$INFRA/kafka-start.log"); then
      printf '%s %s\n' "$pid" "$port"
      return 0
    fi
    log "the Kafka node did not come up on port $port, retrying (log: .infra/kafka/broker.log)"
  done
  fail "the Kafka node failed to start, see .infra/kafka-start.log and .infra/kafka/broker.log"
}

form_cluster() {
  local ports=("$@") nodes=() p deadline ok
  for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
  timeout 60 redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
    >>"$INFRA/redis-cluster-create.log" 2>&1 ||
    fail "redis-cli --cluster create failed, see .infra/redis-cluster-create.log"
  # Slots are assigned at once, but every node must also learn about the
  # others (gossip) before clients see a consistent cluster.
  deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    ok=1
    for p in "${ports[@]}"; do
      local info
      info=$(timeout 2 redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | tr -d '\r')
      grep -q '^cluster_state:ok' <<<"$info" && grep -q '^cluster_known_nodes:3' <<<"$info" || ok=0
    done
    ((ok)) && return 0
    sleep 0.2
  done
  fail "Redis Cluster did not reach cluster_state:ok within 30s"
}

# --------------------------------------------------------------- lifecycle --

env_get() { sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null | head -n1; }

# Checks every recorded process; prints problems; returns 0 if all healthy.
check_all() {
  local bad=0 f pid name port
  [[ -f $ENV_FILE ]] || { echo "not running (no .infra/env)"; return 1; }
  shopt -s nullglob
  local pidfiles=("$INFRA"/*.pid)
  shopt -u nullglob
  ((${#pidfiles[@]})) || { echo "no pid files"; return 1; }
  for f in "${pidfiles[@]}"; do
    pid=$(<"$f")
    name=$(basename "$f" .pid)
    case $name in
      kafka)
        port=$(env_get KAFKA_BROKERS)
        port=${port##*:}
        if pid_is "$pid" kafka.Kafka && port_in_use "$port"; then
          echo "kafka pid $pid: up (brokers $(env_get KAFKA_BROKERS))"
        else
          echo "kafka pid $pid: DOWN"
          bad=1
        fi
        ;;
      registry)
        if pid_is "$pid" quarkus-run.jar &&
          curl -sf -o /dev/null --max-time 2 "$(env_get SCHEMA_REGISTRY_URL)/subjects"; then
          echo "registry pid $pid: up ($(env_get SCHEMA_REGISTRY_URL))"
        else
          echo "registry pid $pid: DOWN"
          bad=1
        fi
        ;;
      redis-*)
        port=${name##*-}
        if pid_is "$pid" redis-server && redis_ping "$port"; then
          echo "$name pid $pid: up"
        else
          echo "$name pid $pid: DOWN"
          bad=1
        fi
        ;;
    esac
  done
  local p
  for p in $(env_get REDIS_CLUSTER_NODES | tr ',' ' '); do
    if ! timeout 2 redis-cli -h "${p%:*}" -p "${p##*:}" cluster info 2>/dev/null |
      grep -q '^cluster_state:ok'; then
      echo "redis cluster node $p: cluster_state not ok"
      bad=1
    fi
  done
  return "$bad"
}

stop_all() {
  local f pid name
  shopt -s nullglob
  local pidfiles=("$INFRA"/*.pid)
  shopt -u nullglob
  for f in "${pidfiles[@]}"; do
    pid=$(<"$f")
    name=$(basename "$f" .pid)
    if [[ $name == registry ]]; then
      bash "$REGISTRY_NODE" stop "$REGISTRY_DIR" || true
      log "stopped registry (pid $pid)"
      rm -f "$f"
      continue
    fi
    if [[ $name == kafka ]]; then
      # kafka-node.sh knows the node's own pid file and gives it time for a clean shutdown.
      bash "$KAFKA_NODE" stop "$KAFKA_DIR" || true
      log "stopped kafka (pid $pid)"
      rm -f "$f"
      continue
    fi
    if stop_pid "$pid" redis-server 10; then
      log "stopped $name (pid $pid)"
    else
      log "$name (pid $pid) was not running"
    fi
    rm -f "$f"
  done
  # A registry whose start was under way when start failed has no .infra pid file yet.
  bash "$REGISTRY_NODE" stop "$REGISTRY_DIR" || true
  rm -f "$ENV_FILE"
  rm -rf "$INFRA/redis-cluster" "$INFRA/redis-standalone" "$KAFKA_DIR" "$REGISTRY_DIR"
}

cmd_start() {
  mkdir -p "$INFRA"
  exec 9>"$INFRA/.lock"
  flock -w 300 9 || fail "another test-infra.sh is running (lock .infra/.lock)"

  if [[ -f $ENV_FILE ]]; then
    if check_all >/dev/null 2>&1; then
      log "already running"
      cat "$ENV_FILE"
      return 0
    fi
    log "previous infrastructure is partly down; restarting it"
    stop_all
  fi
  rm -f "$ERROR_FILE"
  # Logs are per run (server logs are named by port and would pile up).
  rm -f "$INFRA"/redis-*.log
  : >"$INFRA/kafka-start.log"
  : >"$INFRA/registry-start.log"

  # Whatever fails from here on: leave nothing running behind us.
  trap 'rc=$?; if ((rc != 0)); then log "start failed; stopping what was started"; stop_all; fi' EXIT

  local t0=$SECONDS
  ensure_redis
  local classpath
  classpath=$(bash "$KAFKA_NODE" classpath 2>>"$INFRA/kafka-start.log") ||
    fail "the Kafka broker could not be resolved, see .infra/kafka-start.log"
  log "Kafka classpath: $classpath ($((SECONDS - t0))s so far)"

  # The benchmark's Kafka Streams peer (benchmarks/peers/kafka-streams) builds
  # while the servers start (once: the build is cached), so its test does not wait for Maven.
  local peer_job
  bash "$ROOT/scripts/kafka-streams-peer.sh" classpath >"$INFRA/peer-build.out" 2>"$INFRA/peer-build.log" 8>&- 9>&- &
  peer_job=$!

  # The registry's JVM starts alongside the other servers; it is waited for last.
  local registry_port registry_job
  registry_port=$(free_port)
  rm -rf "$REGISTRY_DIR"
  bash "$REGISTRY_NODE" start "$REGISTRY_DIR" --port "$registry_port" \
    >"$INFRA/registry-start.out" 2>>"$INFRA/registry-start.log" 8>&- 9>&- &
  registry_job=$!

  local pid port cluster_ports=() i
  read -r pid port < <(start_redis standalone)
  [[ -n ${pid:-} ]] || fail "redis-server (standalone) failed to start"
  echo "$pid" >"$INFRA/redis-standalone-$port.pid"
  local redis_port=$port
  for ((i = 0; i < 3; i++)); do
    pid='' port=''
    read -r pid port < <(start_redis cluster)
    [[ -n ${pid:-} ]] || fail "redis-server (cluster) failed to start"
    echo "$pid" >"$INFRA/redis-cluster-$port.pid"
    cluster_ports+=("$port")
  done
  form_cluster "${cluster_ports[@]}"

  pid='' port=''
  read -r pid port < <(start_kafka)
  [[ -n ${pid:-} ]] || fail "the Kafka node failed to start"
  echo "$pid" >"$INFRA/kafka.pid"
  local kafka_port=$port

  pid=''
  wait "$registry_job" && pid=$(<"$INFRA/registry-start.out")
  if [[ -z $pid ]]; then
    # Most likely its port was taken meanwhile: retry in the foreground on others.
    for ((i = 0; i < 4; i++)); do
      log "the registry did not come up on port $registry_port, retrying (log: .infra/registry/registry.log)"
      registry_port=$(free_port)
      pid=$(bash "$REGISTRY_NODE" start "$REGISTRY_DIR" --port "$registry_port" 2>>"$INFRA/registry-start.log" 8>&- 9>&-) && break
      pid=''
    done
  fi
  [[ -n $pid ]] || fail "the schema registry failed to start, see .infra/registry-start.log and .infra/registry/registry.log"
  echo "$pid" >"$INFRA/registry.pid"

  wait "$peer_job" || log "WARNING: the Kafka Streams peer did not build, see .infra/peer-build.log (its test and npm run bench will say so too)"

  local nodes
  nodes=$(printf '127.0.0.1:%s,' "${cluster_ports[@]}")
  {
    echo "# written by scripts/test-infra.sh start; removed by stop"
    echo "KAFKA_BROKERS=127.0.0.1:$kafka_port"
    echo "REDIS_URL=redis://127.0.0.1:$redis_port"
    echo "REDIS_CLUSTER_NODES=${nodes%,}"
    echo "SCHEMA_REGISTRY_URL=$(bash "$REGISTRY_NODE" url "$registry_port")"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  trap - EXIT
  log "started in $((SECONDS - t0))s; endpoints in .infra/env:"
  cat "$ENV_FILE"
}

cmd_stop() {
  mkdir -p "$INFRA"
  exec 9>"$INFRA/.lock"
  flock -w 300 9 || fail "another test-infra.sh is running (lock .infra/.lock)"
  stop_all
}

cmd_status() {
  check_all
}

cmd_env() {
  [[ -f $ENV_FILE ]] || { log "not running; use: $0 start"; return 1; }
  grep -E '^[A-Z_]+=' "$ENV_FILE" | sed 's/^/export /'
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
