#!/usr/bin/env bash
# One Apache Kafka node (KRaft, broker and controller in one process) on
# loopback, from the Maven artifacts named in infra/kafka/pom.xml. The one place
# that knows how a test or benchmark broker is configured, formatted, started
# and stopped: scripts/test-infra.sh starts the shared test broker with it, and
# tests that kill, restart or cluster brokers start their own with it
# (test/support/kafka-nodes.ts).
#
# Usage:
#   kafka-node.sh classpath
#       Resolves the broker's classpath with Maven (first time: about 45 MB into
#       the local Maven repository, outside the checkout) and prints the path of
#       a file holding it. Installs a JDK and Maven with apt-get when missing.
#   kafka-node.sh init DIR --node-id N --port P --controller-port C
#                      [--voters 1@127.0.0.1:C1,2@127.0.0.1:C2,...] [--cluster-id ID]
#                      [--set key=value]... [--secure CERTDIR --scram USER=PASSWORD...]
#       Writes DIR/server.properties and formats DIR/data. Without --voters the
#       node is a standalone quorum of one; with them, one of a static quorum
#       (every node of it gets the same --voters and --cluster-id).
#       --secure: the client port is SASL_SSL (SCRAM-SHA-512, and PLAIN for the
#       same users; TLS with CERTDIR/server.p12 from scripts/test-certs.sh) with the standard
#       authorizer: no ACL, no access. Each --scram user gets SCRAM-SHA-512
#       credentials at format time; the first one is the super user the node
#       itself uses between brokers. The controller port stays plaintext on
#       loopback (its anonymous principal is a super user, as the brokers'
#       requests to the controller need).
#   kafka-node.sh start DIR     starts the node in the background, waits until it
#                               serves (at most KAFKA_NODE_WAIT_SECS, default 90),
#                               prints its pid; its log is DIR/broker.log.
#   kafka-node.sh stop DIR      SIGTERM, then SIGKILL after 20 s; its data stays.
#
# Environment:
#   CLVSTREAM_CACHE_DIR   where the resolved classpath is kept (default ~/.cache/clvstream)
#   CLVSTREAM_KAFKA_HEAP  the JVM's heap, -Xms and -Xmx (default 512m)
#   JAVA                  the java binary (default: java on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/infra/kafka/pom.xml"
LOG_CONFIG="$ROOT/infra/kafka/log4j2.properties"
CACHE="${CLVSTREAM_CACHE_DIR:-$HOME/.cache/clvstream}"
HEAP="${CLVSTREAM_KAFKA_HEAP:-512m}"
WAIT_SECS="${KAFKA_NODE_WAIT_SECS:-90}"

log() { printf '[kafka-node] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# shellcheck source=lib/common.sh
source "$ROOT/scripts/lib/common.sh"

java_bin() { printf '%s\n' "${JAVA:-java}"; }

ensure_tools() {
  local missing=()
  command -v "$(java_bin)" >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

# The classpath file is keyed on the POM, so a changed version is never served stale.
cmd_classpath() {
  local key file
  key=$(sha256sum "$POM" | cut -c1-16)
  file="$CACHE/kafka/classpath-$key"
  if [[ ! -s $file ]]; then
    ensure_tools
    mkdir -p "$CACHE/kafka"
    exec 8>"$CACHE/kafka/.lock"
    flock -w 600 8 || die "timed out waiting for another classpath resolution ($CACHE/kafka/.lock)"
    if [[ ! -s $file ]]; then
      log "resolving Apache Kafka with Maven ($POM; log: $CACHE/kafka/maven.log)"
      mvn -B -q -f "$POM" dependency:build-classpath -Dmdep.outputFile="$file.tmp" \
        >"$CACHE/kafka/maven.log" 2>&1 || die "Maven could not resolve the Kafka broker, see $CACHE/kafka/maven.log"
      mv "$file.tmp" "$file"
    fi
    flock -u 8
    exec 8>&-
  fi
  printf '%s\n' "$file"
}

java_cmd() {
  local cp
  cp=$(<"$(cmd_classpath)")
  printf '%s\0' "$(java_bin)" "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$LOG_CONFIG" -cp "$cp"
}

cmd_init() {
  local dir=$1
  shift
  local node_id='' port='' cport='' voters='' cluster_id='' sets=() certs='' scram=()
  while (($#)); do
    case $1 in
      --node-id) node_id=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --controller-port) cport=$2; shift 2 ;;
      --voters) voters=$2; shift 2 ;;
      --cluster-id) cluster_id=$2; shift 2 ;;
      --set) sets+=("$2"); shift 2 ;;
      --secure) certs=$2; shift 2 ;;
      --scram) scram+=("$2"); shift 2 ;;
      *) die "init: unknown option $1" ;;
    esac
  done
  [[ -n $node_id && -n $port && -n $cport ]] || die "init needs --node-id, --port and --controller-port"
  if [[ -n $certs ]]; then
    ((${#scram[@]})) || die "init --secure needs at least one --scram USER=PASSWORD (the super user)"
    [[ -s $certs/server.p12 && -s $certs/store.password ]] || die "init --secure: $certs has no server.p12 (make it with scripts/test-certs.sh)"
    certs=$(cd "$certs" && pwd)
  fi
  local nodes=1
  [[ -n $voters ]] && nodes=$(tr ',' '\n' <<<"$voters" | grep -c .)
  # Internal topics: replicated on a cluster, as production runs them.
  local rf=$((nodes < 3 ? nodes : 3)) isr=$((nodes >= 3 ? 2 : 1))
  mkdir -p "$dir/data"
  # Passwords may be written below.
  touch "$dir/server.properties"
  chmod 600 "$dir/server.properties"
  {
    echo "# written by scripts/kafka-node.sh init"
    echo "process.roles=broker,controller"
    echo "node.id=$node_id"
    echo "controller.listener.names=CONTROLLER"
    if [[ -n $certs ]]; then
      local super=${scram[0]%%=*} super_password=${scram[0]#*=}
      echo "listeners=SASL_SSL://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
      echo "advertised.listeners=SASL_SSL://127.0.0.1:$port"
      echo "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"
      echo "inter.broker.listener.name=SASL_SSL"
      echo "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN"
      echo "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"
      echo "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$super\" password=\"$super_password\";"
      # PLAIN over the same TLS listener, for the same users (its user_NAME entries).
      local plain_users='' user
      for user in "${scram[@]}"; do plain_users+=" user_${user%%=*}=\"${user#*=}\""; done
      echo "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$super\" password=\"$super_password\"$plain_users;"
      echo "ssl.keystore.type=PKCS12"
      echo "ssl.keystore.location=$certs/server.p12"
      echo "ssl.keystore.password=$(<"$certs/store.password")"
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$certs/ca.crt"
      echo "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
      echo "allow.everyone.if.no.acl.found=false"
      echo "super.users=User:$super;User:ANONYMOUS"
    else
      echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
      echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
      echo "inter.broker.listener.name=PLAINTEXT"
    fi
    if [[ -n $voters ]]; then
      echo "controller.quorum.voters=$voters"
    else
      echo "controller.quorum.bootstrap.servers=127.0.0.1:$cport"
    fi
    echo "log.dirs=$dir/data"
    # Topics are created on purpose (clvstream topics create, the tests' helpers):
    # a mistyped topic name must fail, not appear.
    echo "auto.create.topics.enable=false"
    echo "num.partitions=1"
    echo "default.replication.factor=$rf"
    echo "min.insync.replicas=$isr"
    echo "offsets.topic.replication.factor=$rf"
    echo "offsets.topic.num.partitions=10"
    echo "transaction.state.log.replication.factor=$rf"
    echo "transaction.state.log.min.isr=$isr"
    echo "transaction.state.log.num.partitions=10"
    echo "share.coordinator.state.topic.replication.factor=$rf"
    echo "share.coordinator.state.topic.min.isr=$isr"
    # A test group's first join should not wait the production default of 3 s.
    echo "group.initial.rebalance.delay.ms=0"
    echo "group.min.session.timeout.ms=1000"
    # A dead node's partitions move to the other replicas once the controller
    # misses its heartbeats for this long (production default 9 s).
    echo "broker.heartbeat.interval.ms=500"
    echo "broker.session.timeout.ms=3000"
    echo "num.network.threads=2"
    echo "num.io.threads=4"
    local kv
    for kv in "${sets[@]}"; do echo "$kv"; done
  } >"$dir/server.properties"
  # A cluster id is 16 random bytes in URL-safe base64 without padding (what
  # StorageTool random-uuid prints), made here to spare a JVM start.
  # Never one starting with '-', which the storage tool would read as an option.
  [[ $cluster_id != -* ]] || die "init: a cluster id starting with '-' cannot be formatted: $cluster_id"
  while [[ -z $cluster_id || $cluster_id == -* ]]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  local format=(kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted)
  [[ -n $voters ]] || format+=(--standalone)
  local user
  for user in "${scram[@]}"; do format+=(--add-scram "SCRAM-SHA-512=[name=${user%%=*},password=${user#*=}]"); done
  java_args_run "${format[@]}" >"$dir/format.log" 2>&1 || die "formatting $dir failed, see $dir/format.log"
}

# Runs the JVM in the foreground with the broker's classpath and the given main class and arguments.
java_args_run() {
  local cmd=()
  while IFS= read -r -d '' part; do cmd+=("$part"); done < <(java_cmd)
  "${cmd[@]}" "$@"
}

cmd_start() {
  local dir=$1
  [[ -f $dir/server.properties ]] || die "start: $dir/server.properties is missing (run init first)"
  if [[ -f $dir/pid ]] && pid_alive "$(<"$dir/pid")"; then die "start: the node in $dir already runs (pid $(<"$dir/pid"))"; fi
  local cmd=()
  while IFS= read -r -d '' part; do cmd+=("$part"); done < <(java_cmd)
  local log="$dir/broker.log" before=0 pid deadline
  [[ -f $log ]] && before=$(wc -l <"$log")
  # The broker must not inherit the callers' lock file descriptors.
  setsid "${cmd[@]}" kafka.Kafka "$dir/server.properties" </dev/null >>"$log" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$dir/pid"
  deadline=$((SECONDS + WAIT_SECS))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do
    if tail -n +"$((before + 1))" "$log" | grep -q 'Kafka Server started'; then
      printf '%s\n' "$pid"
      return 0
    fi
    sleep 0.2
  done
  pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  die "the Kafka node in $dir did not start within ${WAIT_SECS}s, see $log"
}

cmd_stop() {
  local dir=$1 pid deadline
  [[ -f $dir/pid ]] || return 0
  pid=$(<"$dir/pid")
  # Only what we started: the pid must still run kafka.Kafka.
  stop_pid "$pid" kafka.Kafka 20 || true
  rm -f "$dir/pid"
}

case ${1:-} in
  classpath) cmd_classpath ;;
  init) shift; [[ $# -ge 1 ]] || die "usage: $0 init DIR ..."; cmd_init "$@" ;;
  start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; cmd_start "$2" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  *)
    echo "usage: $0 classpath | init DIR --node-id N --port P --controller-port C [...] | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
