package dev.clvstream.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The whole job: validate, update the customer in the RocksDB store, evaluate,
 * emit what changed, and keep the customer's next due check in the timer store.
 *
 * Time is event time: a task's watermark is the latest event day it has seen.
 * When a record moves it to a later day, the checks due by then fire before that
 * record is applied; a wall-clock punctuation sweeps the timer store too.
 */
final class CustomerProcessor implements Processor<String, byte[], String, byte[]> {
  static final String CUSTOMERS = "customers";
  static final String TIMERS = "timers";
  static final String META = "meta";
  static final String SEGMENT_CHANGED = "segment-changed-sink";
  static final String CHURN_RISK = "churn-risk-sink";
  static final String DEAD_LETTER = "dead-letter-sink";
  private static final String WATERMARK = "watermark";
  private static final String SWEPT_TO = "swept-to";
  private static final String MODEL_VERSION = "unfitted";
  private static final String VERSION = "clv-kafka-streams-peer 0.1.0";
  private static final DateTimeFormatter ISO_MS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  /** Timer-store sweeps bounded per call (a bug must not spin forever). */
  private static final int MAX_SWEEP_ROUNDS = 100_000;

  private final ObjectMapper json;
  private final Map<String, String> typeOfTopic;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, byte[]> customers;
  private KeyValueStore<Bytes, byte[]> timers;
  private KeyValueStore<String, Integer> meta;
  private Integer watermark;
  /** Checks before this day have all fired: a sweep starts here, past the deleted keys of earlier days. */
  private Integer sweptTo;

  CustomerProcessor(ObjectMapper json, Map<String, String> typeOfTopic) {
    this.json = json;
    this.typeOfTopic = typeOfTopic;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.customers = context.getStateStore(CUSTOMERS);
    this.timers = context.getStateStore(TIMERS);
    this.meta = context.getStateStore(META);
    this.watermark = meta.get(WATERMARK);
    this.sweptTo = meta.get(SWEPT_TO);
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, now -> sweep());
  }

  @Override
  public void process(Record<String, byte[]> record) {
    RecordMetadata where = context.recordMetadata().orElseThrow();
    String topicType = typeOfTopic.get(where.topic());
    Event event;
    try {
      if (record.value() == null) throw new Event.Rejected("malformed_json", "empty value (tombstone)", List.of());
      event = Event.parse(json, record.value(), topicType);
    } catch (Event.Rejected r) {
      deadLetter(record, where, r.code, r.getMessage(), r.issues);
      return;
    }
    if (watermark == null || event.day > watermark) {
      watermark = event.day;
      meta.put(WATERMARK, watermark);
      sweep();
    }
    Customer c = load(event.customerId);
    if (c == null) {
      c = new Customer();
      c.id = event.customerId;
    }
    Integer previousCheck = c.nextCheckDay;
    apply(c, event);
    settle(c, Math.max(c.asOfDay, event.day), eventCause(event), event.at);
    // A late event may schedule a check the watermark has already passed: it fires now.
    for (int i = 0; i < MAX_SWEEP_ROUNDS && c.nextCheckDay != null && c.nextCheckDay <= watermark; i++) {
      int due = c.nextCheckDay;
      settle(c, Math.max(c.asOfDay, due), timerCause(due), due * 86_400_000L);
    }
    store(c, previousCheck);
  }

  private void apply(Customer c, Event e) {
    switch (e.type) {
      case "purchase" -> {
        long amount = e.minor("amount");
        Long margin = e.optionalMinor("margin");
        long m = margin != null ? margin : Math.round(amount * Rules.MARGIN_RATE);
        c.purchaseDays.add(e.day);
        c.firstDay = c.purchaseDays.first();
        c.lastDay = c.purchaseDays.last();
        c.orders++;
        c.grossMinor += amount;
        c.discountMinor += e.minor("discount");
        c.marginMinor += m;
        if (c.lastPurchaseAt == null || e.at > c.lastPurchaseAt) c.lastPurchaseAt = e.at;
        String orderId = Objects.requireNonNullElse(e.text("order_id"), e.eventId);
        int i = c.recentOrders.size();
        while (i > 0 && c.recentOrders.get(i - 1).day > e.day) i--;
        c.recentOrders.add(i, new Customer.Order(orderId, e.day, amount, m));
        while (c.recentOrders.size() > Rules.RECENT_ORDERS) c.recentOrders.remove(0);
      }
      case "return" -> {
        long amount = e.minor("amount");
        c.returns++;
        c.refundMinor += amount;
        String orderId = e.text("order_id");
        Customer.Order order = null;
        if (orderId != null) for (Customer.Order o : c.recentOrders) if (o.id.equals(orderId)) order = o;
        if (order == null) c.refundMarginMinor += Math.round(amount * Rules.MARGIN_RATE);
        else if (order.amountMinor > 0) {
          c.refundMarginMinor += Math.min(order.marginMinor, Math.round((double) (amount * order.marginMinor) / order.amountMinor));
        } else c.refundMarginMinor += order.marginMinor;
        int i = c.recentReturnDays.size();
        while (i > 0 && c.recentReturnDays.get(i - 1) > e.day) i--;
        c.recentReturnDays.add(i, e.day);
        while (c.recentReturnDays.size() > Rules.RETURNS_SPIKE_COUNT) c.recentReturnDays.remove(0);
      }
      case "referral" -> {
        c.referralsMade++;
        c.referralValueMinor += Rules.REFERRAL_VALUE_MINOR;
      }
      case "cancellation" -> {
        String reason = e.text("reason");
        if (c.cancelledAt != null && e.at < c.cancelledAt) return;
        if (c.cancelledAt != null && c.cancelledAt == e.at && c.cancelReason != null && c.cancelReason.compareTo(reason) <= 0) return;
        c.cancelledAt = e.at;
        c.cancelReason = reason;
      }
      case "feedback" -> {
        int score = e.body.get("score").asInt();
        if (c.npsAt != null && e.at < c.npsAt) return;
        if (c.npsAt != null && c.npsAt == e.at && c.npsScore != null && c.npsScore <= score) return;
        c.npsScore = score;
        c.npsAt = e.at;
        c.npsDay = e.day;
      }
      default -> throw new IllegalStateException(e.type);
    }
  }

  /** Evaluates the customer as of {@code day}, emits what changed, schedules the next check. */
  private void settle(Customer c, int day, ObjectNode cause, long occurredAtMs) {
    c.asOfDay = day;
    Integer recency = c.lastDay == null ? null : Math.max(0, day - c.lastDay);
    long monetary = c.grossMinor - c.refundMinor;
    long historic = Rules.historicClvMinor(c);
    Integer r = null, f = null, m = null;
    String segment = null, quadrant = null;
    if (recency != null) {
      r = Rules.recencyScore(recency);
      f = Rules.frequencyScore(c.orders);
      m = Rules.monetaryScore(monetary);
      segment = Rules.rfmSegment(r, f, m);
      quadrant = Rules.valueQuadrant(c, r, f, m, historic);
    }
    String status = Rules.accountStatus(c);
    Rules.Churn churn = Rules.churn(c, day);
    String occurredAt = ISO_MS.format(Instant.ofEpochMilli(occurredAtMs));
    ObjectNode snapshot = null;
    String[][] dimensions = {{"rfm_segment", c.rfmSegment, segment}, {"value_quadrant", c.valueQuadrant, quadrant}, {"account_status", c.accountStatus, status}};
    for (String[] d : dimensions) {
      if (d[2] == null || d[2].equals(d[1])) continue;
      if (snapshot == null) snapshot = snapshot(c, day, recency, monetary, r, f, m, historic, churn.level());
      c.emitted++;
      ObjectNode out = json.createObjectNode();
      out.put("type", "segment-changed");
      out.put("event_id", "seg:" + c.id + ":" + c.emitted);
      out.put("customer_id", c.id);
      out.put("occurred_at", occurredAt);
      out.put("dimension", d[0]);
      out.put("from", d[1]);
      out.put("to", d[2]);
      out.set("cause", cause);
      out.set("snapshot", snapshot);
      out.put("model_version", MODEL_VERSION);
      emit(SEGMENT_CHANGED, c.id, out);
    }
    c.rfmSegment = segment == null ? c.rfmSegment : segment;
    c.valueQuadrant = quadrant == null ? c.valueQuadrant : quadrant;
    c.accountStatus = status;
    if (!churn.level().equals(c.churnLevel)) {
      if (snapshot == null) snapshot = snapshot(c, day, recency, monetary, r, f, m, historic, churn.level());
      c.emitted++;
      boolean rising = indexOf(churn.level()) > indexOf(c.churnLevel);
      ObjectNode out = json.createObjectNode();
      out.put("type", "churn-risk");
      out.put("event_id", "churn:" + c.id + ":" + c.emitted);
      out.put("customer_id", c.id);
      out.put("occurred_at", occurredAt);
      out.put("level", churn.level());
      out.put("previous_level", c.churnLevel);
      out.put("direction", rising ? "rising" : "recovering");
      ArrayNode reasons = out.putArray("reasons");
      if (rising) churn.reasons().forEach(reasons::add);
      out.set("cause", cause);
      out.set("snapshot", snapshot);
      out.put("model_version", MODEL_VERSION);
      emit(CHURN_RISK, c.id, out);
      c.churnLevel = churn.level();
    }
    c.nextCheckDay = Rules.nextCheckDay(c, day, churn.level());
  }

  private ObjectNode snapshot(Customer c, int day, Integer recency, long monetary, Integer r, Integer f, Integer m, long historic, String level) {
    long predicted = Rules.predictedClvMinor(c, day);
    ObjectNode s = json.createObjectNode();
    if (recency == null) s.putNull("recency_days");
    else s.put("recency_days", recency);
    s.put("frequency", c.orders);
    s.put("monetary_minor", monetary);
    putScore(s, "r_score", r);
    putScore(s, "f_score", f);
    putScore(s, "m_score", m);
    s.put("clv_historic_minor", historic);
    s.put("clv_predicted_minor", predicted);
    s.put("clv_total_minor", historic + predicted);
    s.putNull("p_alive");
    s.put("p_alive_reason", c.lastDay == null ? "no_purchase" : "no_model");
    s.put("churn_level", level);
    s.put("currency", Rules.BASE_CURRENCY);
    return s;
  }

  private static void putScore(ObjectNode s, String field, Integer score) {
    if (score == null) s.putNull(field);
    else s.put(field, score);
  }

  private static int indexOf(String level) {
    for (int i = 0; i < Rules.CHURN_LEVELS.length; i++) if (Rules.CHURN_LEVELS[i].equals(level)) return i;
    throw new IllegalArgumentException(level);
  }

  private ObjectNode eventCause(Event e) {
    ObjectNode cause = json.createObjectNode();
    cause.put("kind", "event");
    cause.put("event_id", e.eventId);
    cause.put("event_type", e.type);
    return cause;
  }

  private ObjectNode timerCause(int dueDay) {
    ObjectNode cause = json.createObjectNode();
    cause.put("kind", "timer");
    cause.put("due_at", ISO_MS.format(Instant.ofEpochMilli(dueDay * 86_400_000L)));
    return cause;
  }

  /** Fires every check due by the watermark, in (day, customer) order, including checks that firing schedules. */
  private void sweep() {
    if (watermark == null) return;
    Bytes from = Bytes.wrap(ByteBuffer.allocate(4).putInt(sweptTo == null ? 0 : sweptTo).array());
    Bytes to = Bytes.wrap(ByteBuffer.allocate(4).putInt(watermark + 1).array());
    for (int round = 0; round < MAX_SWEEP_ROUNDS; round++) {
      List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
      try (KeyValueIterator<Bytes, byte[]> it = timers.range(from, to)) {
        while (it.hasNext() && due.size() < 1_000) due.add(it.next());
      }
      if (due.isEmpty()) {
        sweptTo = watermark + 1;
        meta.put(SWEPT_TO, sweptTo);
        return;
      }
      for (KeyValue<Bytes, byte[]> entry : due) {
        timers.delete(entry.key);
        ByteBuffer key = ByteBuffer.wrap(entry.key.get());
        int day = key.getInt();
        String id = new String(entry.key.get(), 4, entry.key.get().length - 4, StandardCharsets.UTF_8);
        Customer c = load(id);
        if (c == null || c.nextCheckDay == null || c.nextCheckDay != day) continue; // stale
        settle(c, Math.max(c.asOfDay, day), timerCause(day), day * 86_400_000L);
        store(c, null);
      }
    }
    throw new IllegalStateException("due checks did not settle in " + MAX_SWEEP_ROUNDS + " rounds");
  }

  private Customer load(String id) {
    byte[] bytes = customers.get(id);
    if (bytes == null) return null;
    try {
      return json.readValue(bytes, Customer.class);
    } catch (Exception e) {
      throw new IllegalStateException("unreadable state of " + id, e);
    }
  }

  /** Writes the customer; (re)registers its next check unless it is the one already registered. */
  private void store(Customer c, Integer previousCheck) {
    try {
      customers.put(c.id, json.writeValueAsBytes(c));
    } catch (Exception e) {
      throw new IllegalStateException("cannot serialize " + c.id, e);
    }
    if (c.nextCheckDay != null && !c.nextCheckDay.equals(previousCheck)) timers.put(timerKey(c.nextCheckDay, c.id), new byte[0]);
  }

  private static Bytes timerKey(int day, String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(4 + idBytes.length).putInt(day).put(idBytes).array());
  }

  private void emit(String sink, String key, ObjectNode value) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    // Published now: the record's timestamp is when the job wrote it, not the input's.
    context.forward(new Record<>(key, bytes, System.currentTimeMillis()), sink);
  }

  private void deadLetter(Record<String, byte[]> record, RecordMetadata where, String code, String message, List<String[]> issues) {
    Base64.Encoder b64 = Base64.getEncoder();
    ObjectNode out = json.createObjectNode();
    out.put("type", "dead-letter");
    ObjectNode source = out.putObject("source");
    source.put("topic", where.topic());
    source.put("partition", where.partition());
    source.put("offset", Long.toString(where.offset()));
    source.put("timestamp", Long.toString(record.timestamp()));
    if (record.key() == null) out.putNull("key_base64");
    else out.put("key_base64", b64.encodeToString(record.key().getBytes(StandardCharsets.UTF_8)));
    if (record.value() == null) out.putNull("value_base64");
    else out.put("value_base64", b64.encodeToString(record.value()));
    ArrayNode headers = out.putArray("headers");
    record.headers().forEach(h -> {
      ObjectNode header = headers.addObject();
      header.put("key", h.key());
      if (h.value() == null) header.putNull("value_base64");
      else header.put("value_base64", b64.encodeToString(h.value()));
    });
    ObjectNode error = out.putObject("error");
    error.put("code", code);
    error.put("message", message);
    ArrayNode list = error.putArray("issues");
    for (String[] i : issues) list.addObject().put("field", i[0]).put("rule", i[1]).put("message", i[2]);
    out.put("rejected_at", ISO_MS.format(Instant.now()));
    out.put("processor_version", VERSION);
    emit(DEAD_LETTER, record.key(), out);
  }
}
