package dev.clvstream.peer;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Entry point. Settings come from the environment, named as clvstream's:
 * KAFKA_BROKERS, TOPIC_PURCHASE, TOPIC_RETURN, TOPIC_REFERRAL,
 * TOPIC_CANCELLATION, TOPIC_FEEDBACK, TOPIC_SEGMENT_CHANGED, TOPIC_CHURN_RISK,
 * TOPIC_DEAD_LETTER; and the job's own PEER_APPLICATION_ID, PEER_STATE_DIR,
 * PEER_THREADS (default: the number of cores), PEER_SESSION_TIMEOUT_MS and
 * PEER_HEARTBEAT_INTERVAL_MS (default: the consumer's, 45 s and 3 s).
 */
public final class ClvPeer {
  private ClvPeer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    Map<String, String> typeOfTopic = new LinkedHashMap<>();
    typeOfTopic.put(required(env, "TOPIC_PURCHASE"), "purchase");
    typeOfTopic.put(required(env, "TOPIC_RETURN"), "return");
    typeOfTopic.put(required(env, "TOPIC_REFERRAL"), "referral");
    typeOfTopic.put(required(env, "TOPIC_CANCELLATION"), "cancellation");
    typeOfTopic.put(required(env, "TOPIC_FEEDBACK"), "feedback");

    ObjectMapper json = new ObjectMapper()
        .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
        .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY)
        .setSerializationInclusion(JsonInclude.Include.ALWAYS)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    Topology topology = new Topology();
    topology.addSource("inbound", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), typeOfTopic.keySet().toArray(String[]::new));
    topology.addProcessor("customers", () -> new CustomerProcessor(json, typeOfTopic), "inbound");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CustomerProcessor.CUSTOMERS), Serdes.String(), Serdes.ByteArray()),
        "customers");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CustomerProcessor.TIMERS), Serdes.Bytes(), Serdes.ByteArray()),
        "customers");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CustomerProcessor.META), Serdes.String(), Serdes.Integer()),
        "customers");
    topology.addSink(CustomerProcessor.SEGMENT_CHANGED, required(env, "TOPIC_SEGMENT_CHANGED"), Serdes.String().serializer(), Serdes.ByteArray().serializer(), "customers");
    topology.addSink(CustomerProcessor.CHURN_RISK, required(env, "TOPIC_CHURN_RISK"), Serdes.String().serializer(), Serdes.ByteArray().serializer(), "customers");
    topology.addSink(CustomerProcessor.DEAD_LETTER, required(env, "TOPIC_DEAD_LETTER"), Serdes.String().serializer(), Serdes.ByteArray().serializer(), "customers");

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, required(env, "PEER_APPLICATION_ID"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(env, "KAFKA_BROKERS"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, required(env, "PEER_STATE_DIR"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, env.getOrDefault("PEER_THREADS", Integer.toString(Runtime.getRuntime().availableProcessors())));
    // A single test broker: the internal (changelog) topics get one replica.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, env.getOrDefault("PEER_REPLICATION_FACTOR", "-1"));
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    // How soon the group notices a dead member (and moves its tasks): the benchmark sets clvstream's value.
    if (env.containsKey("PEER_SESSION_TIMEOUT_MS")) props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), env.get("PEER_SESSION_TIMEOUT_MS"));
    if (env.containsKey("PEER_HEARTBEAT_INTERVAL_MS")) props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), env.get("PEER_HEARTBEAT_INTERVAL_MS"));

    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("{\"state\":\"" + now + "\"}");
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    // SIGTERM: close cleanly (commit, checkpoint), then say so with exit status 0.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      boolean closed = streams.close(Duration.ofSeconds(20));
      done.countDown();
      Runtime.getRuntime().halt(closed && streams.state() != KafkaStreams.State.ERROR ? 0 : 1);
    }));
    streams.start();
    done.await();
    if (streams.state() == KafkaStreams.State.ERROR) System.exit(1);
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) throw new IllegalArgumentException(name + " is required");
    return value;
  }
}
