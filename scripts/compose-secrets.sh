#!/usr/bin/env bash
# The files docker-compose.secure.yml reads as Docker secrets, made on this
# machine (never committed: DIR is git-ignored): a CA with a server certificate
# for the compose services (scripts/test-certs.sh), random passwords, Redis'
# users with clvstream's documented ACL (docs/operations.md, "Redis user"), the
# broker's JAAS file and the administrator's client properties.
#
# Usage: scripts/compose-secrets.sh [DIR]     (default: ./secrets of the checkout)
#   Writes what is missing in DIR and leaves what exists (delete DIR to start over).
#   Prints DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[compose-secrets] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
dir=${1:-$ROOT/secrets}
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)

# A year: these serve a local stack, not one test run.
CERT_SERVER_NAMES=kafka,redis CERT_DAYS=365 bash "$ROOT/scripts/test-certs.sh" "$dir/certs" >/dev/null

# The containers run as other users than this one: the files are readable by
# all inside their mount; DIR itself stays private to this user.
made() { chmod 644 "$1"; }
password() {
  local file=$dir/$1
  [[ -s $file ]] && return 0
  openssl rand -hex 24 | tr -d '\n' >"$file"
  made "$file"
}
password kafka-admin.password
password kafka-service.password
password redis-admin.password
password redis-service.password
password http-bearer-token

kafka_admin=$(<"$dir/kafka-admin.password")
kafka_service=$(<"$dir/kafka-service.password")
redis_admin=$(<"$dir/redis-admin.password")
redis_service=$(<"$dir/redis-service.password")

# REDIS_URL_FILE: the URL carries the user and its password.
printf 'rediss://clvstream:%s@redis:6379' "$redis_service" >"$dir/redis-url"
made "$dir/redis-url"

# Redis users: the default user off, an administrator, clvstream with exactly the documented ACL.
acl=$(awk '/<!-- redis-acl/{found=1} found && /^```text/{inside=1; next} inside && /^```/{exit} inside{print}' "$ROOT/docs/operations.md")
[[ $acl == *'>{password}'* ]] || die "docs/operations.md: no redis-acl block with >{password}"
{
  echo 'user default off'
  echo "user admin on >$redis_admin ~* &* +@all"
  printf '%s\n' "${acl//\{password\}/$redis_service}"
} >"$dir/redis-users.acl"
made "$dir/redis-users.acl"

# Redis and the broker present the server certificate; Kafka reads key and chain from one PEM file.
cp "$dir/certs/server.crt" "$dir/redis-server.crt"
cp "$dir/certs/server.key" "$dir/redis-server.key"
cat "$dir/certs/server.key" "$dir/certs/server.crt" "$dir/certs/ca.crt" >"$dir/kafka-server.pem"
cp "$dir/certs/ca.crt" "$dir/ca.crt"
for f in redis-server.crt redis-server.key kafka-server.pem ca.crt; do made "$dir/$f"; done

# SASL/PLAIN over TLS: the broker's users (admin is the super user) ...
cat >"$dir/kafka-jaas.conf" <<EOF
KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="admin" password="$kafka_admin"
  user_admin="$kafka_admin"
  user_clvstream="$kafka_service";
};
EOF
made "$dir/kafka-jaas.conf"
# ... and the administrator's login for the schema registry, which keeps its schemas in Kafka.
cat >"$dir/kafka-client-jaas.conf" <<EOF
KafkaClient {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="admin" password="$kafka_admin";
};
EOF
made "$dir/kafka-client-jaas.conf"

# kafka-acls.sh --command-config: the administrator, over the same TLS.
cat >"$dir/kafka-admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$kafka_admin";
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/ca_crt
EOF
made "$dir/kafka-admin.properties"

printf '%s\n' "$dir"
