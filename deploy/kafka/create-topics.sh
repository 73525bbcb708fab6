#!/usr/bin/env bash
# Creates clvstream's topics, all with the same partition count, and checks that
# topics which already exist have it too (clvstream refuses co-partitioned topics
# with different counts). Run by the `kafka-init` service of docker-compose.yml
# inside an apache/kafka container.
#
# Environment:
#   BOOTSTRAP    broker address, e.g. kafka:19092
#   PARTITIONS   partition count of every topic
#   REPLICATION  replication factor (1 on a single broker)
#   TOPICS       space-separated topic names
set -euo pipefail

: "${BOOTSTRAP:?}" "${PARTITIONS:?}" "${REPLICATION:=1}" "${TOPICS:?}"
KAFKA_TOPICS=/opt/kafka/bin/kafka-topics.sh

for topic in $TOPICS; do
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION"
  actual=$("$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --describe --topic "$topic" \
    | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n 1)
  if [ "$actual" != "$PARTITIONS" ]; then
    echo "topic $topic has $actual partitions, expected $PARTITIONS: delete it or change PARTITIONS" >&2
    exit 1
  fi
  echo "topic $topic: $PARTITIONS partitions"
done
