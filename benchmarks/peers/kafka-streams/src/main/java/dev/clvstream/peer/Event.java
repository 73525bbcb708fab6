package dev.clvstream.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** One validated inbound event, or the reason it was rejected. */
final class Event {
  final String type;
  final String eventId;
  final String customerId;
  /** Event time, epoch ms. */
  final long at;
  /** The calendar date written in occurred_at (the producer's offset), epoch day. */
  final int day;
  final JsonNode body;

  private Event(String type, String eventId, String customerId, long at, int day, JsonNode body) {
    this.type = type;
    this.eventId = eventId;
    this.customerId = customerId;
    this.at = at;
    this.day = day;
    this.body = body;
  }

  String text(String field) {
    JsonNode n = body.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  long minor(String field) {
    JsonNode n = body.get(field);
    return n == null ? 0 : toMinor(n);
  }

  Long optionalMinor(String field) {
    JsonNode n = body.get(field);
    return n == null ? null : toMinor(n);
  }

  static final class Rejected extends Exception {
    final String code;
    final List<String[]> issues;

    Rejected(String code, String message, List<String[]> issues) {
      super(message);
      this.code = code;
      this.issues = issues;
    }
  }

  private static final Pattern TOKEN = Pattern.compile("^[\\x21-\\x7e]+$");
  private static final Pattern DECIMAL = Pattern.compile("^\\d{1,13}(\\.\\d{1,6})?$");
  private static final Set<String> REASONS =
      Set.of("price", "competitor", "service", "product", "moved", "no_longer_needed", "payment_failed", "other");
  private static final Set<String> COMMON = Set.of("type", "event_id", "customer_id", "occurred_at");
  private static final Map<String, Set<String>> FIELDS = Map.of(
      // cost_to_serve is validated and ignored: the job costs every order and return at the flat estimate.
      "purchase", Set.of("order_id", "amount", "currency", "discount", "margin", "quantity", "channel", "cost_to_serve"),
      "return", Set.of("order_id", "amount", "currency", "reason", "cost_to_serve"),
      "referral", Set.of("referred_customer_id"),
      "cancellation", Set.of("reason", "competitor"),
      "feedback", Set.of("score", "survey_id", "comment"));

  static Event parse(ObjectMapper json, byte[] value, String topicType) throws Rejected {
    JsonNode root;
    try {
      root = json.readTree(value);
    } catch (Exception e) {
      throw new Rejected("malformed_json", "not valid JSON: " + firstLine(e.getMessage()), List.of());
    }
    if (root == null || !root.isObject()) throw new Rejected("not_an_object", "the payload is not a JSON object", List.of());
    JsonNode typeNode = root.get("type");
    String type = typeNode != null && typeNode.isTextual() ? typeNode.asText() : null;
    if (type == null || !FIELDS.containsKey(type)) throw new Rejected("unknown_event_type", "unknown or missing event type", List.of());
    if (!type.equals(topicType)) {
      throw new Rejected("topic_mismatch", "a " + type + " event on the " + topicType + " topic", List.of());
    }
    List<String[]> issues = new ArrayList<>();
    Set<String> allowed = FIELDS.get(type);
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!COMMON.contains(f) && !allowed.contains(f)) issues.add(new String[] {f, "unknown_field", "unknown field"});
    }
    String eventId = token(root, "event_id", 200, true, issues);
    String customerId = token(root, "customer_id", 128, true, issues);
    long at = 0;
    int day = 0;
    JsonNode occurred = root.get("occurred_at");
    if (occurred == null || !occurred.isTextual()) {
      issues.add(new String[] {"occurred_at", "required", "must be an ISO-8601 date-time with a UTC offset"});
    } else {
      try {
        OffsetDateTime t = OffsetDateTime.parse(occurred.asText());
        at = t.toInstant().toEpochMilli();
        day = (int) t.toLocalDate().toEpochDay();
      } catch (DateTimeParseException e) {
        issues.add(new String[] {"occurred_at", "format", "must be an ISO-8601 date-time with a UTC offset"});
      }
    }
    switch (type) {
      case "purchase" -> {
        amount(root, "amount", true, issues);
        amount(root, "discount", false, issues);
        amount(root, "margin", false, issues);
        amount(root, "cost_to_serve", false, issues);
        token(root, "order_id", 200, false, issues);
        currency(root, issues);
        JsonNode q = root.get("quantity");
        if (q != null && !(q.isIntegralNumber() && q.asLong() >= 1 && q.asLong() <= 100_000)) {
          issues.add(new String[] {"quantity", "range", "must be an integer from 1 to 100000"});
        }
      }
      case "return" -> {
        amount(root, "amount", true, issues);
        amount(root, "cost_to_serve", false, issues);
        token(root, "order_id", 200, false, issues);
        currency(root, issues);
      }
      case "referral" -> {
        String referred = token(root, "referred_customer_id", 128, true, issues);
        if (referred != null && referred.equals(customerId)) {
          issues.add(new String[] {"referred_customer_id", "self_referral", "must differ from customer_id (self-referral)"});
        }
      }
      case "cancellation" -> {
        JsonNode r = root.get("reason");
        if (r == null || !r.isTextual() || !REASONS.contains(r.asText())) {
          issues.add(new String[] {"reason", "enum", "must be one of " + String.join(", ", REASONS)});
        }
      }
      case "feedback" -> {
        JsonNode s = root.get("score");
        if (s == null || !s.isIntegralNumber() || s.asInt() < 0 || s.asInt() > 10) {
          issues.add(new String[] {"score", "range", "must be an integer between 0 and 10"});
        }
        JsonNode c = root.get("comment");
        if (c != null && (!c.isTextual() || c.asText().length() > 2000)) {
          issues.add(new String[] {"comment", "max_length", "must be a string of at most 2000 characters"});
        }
      }
      default -> throw new IllegalStateException(type);
    }
    if (!issues.isEmpty()) {
      boolean currencyOnly = issues.stream().allMatch(i -> i[1].equals("base_currency_only"));
      throw new Rejected(currencyOnly ? "unconvertible_currency" : "invalid_event", issues.get(0)[0] + ": " + issues.get(0)[2], issues);
    }
    return new Event(type, eventId, customerId, at, day, root);
  }

  private static String token(JsonNode root, String field, int max, boolean required, List<String[]> issues) {
    JsonNode n = root.get(field);
    if (n == null) {
      if (required) issues.add(new String[] {field, "required", "is required"});
      return null;
    }
    if (!n.isTextual() || n.asText().isEmpty() || n.asText().length() > max || !TOKEN.matcher(n.asText()).matches()) {
      issues.add(new String[] {field, "format", "must be 1–" + max + " printable ASCII characters without spaces"});
      return null;
    }
    return n.asText();
  }

  private static void amount(JsonNode root, String field, boolean required, List<String[]> issues) {
    JsonNode n = root.get(field);
    if (n == null) {
      if (required) issues.add(new String[] {field, "required", "is required"});
      return;
    }
    BigDecimal d;
    if (n.isTextual() && DECIMAL.matcher(n.asText()).matches()) d = new BigDecimal(n.asText());
    else if (n.isNumber()) d = n.decimalValue();
    else {
      issues.add(new String[] {field, "format", "must be a decimal string like \"12.50\" or a number"});
      return;
    }
    if (d.signum() < 0) issues.add(new String[] {field, "range", "must not be negative"});
    else if (d.stripTrailingZeros().scale() > 2) issues.add(new String[] {field, "precision", "no finer than the currency allows (2 decimals)"});
  }

  private static void currency(JsonNode root, List<String[]> issues) {
    JsonNode n = root.get("currency");
    if (n == null || !n.isTextual() || !n.asText().matches("^[A-Z]{3}$")) {
      issues.add(new String[] {"currency", "format", "must be a three-letter upper-case ISO 4217 code"});
    } else if (!n.asText().equals(Rules.BASE_CURRENCY)) {
      issues.add(new String[] {"currency", "base_currency_only", "only " + Rules.BASE_CURRENCY + " is accepted (no rate table)"});
    }
  }

  private static long toMinor(JsonNode n) {
    BigDecimal d = n.isTextual() ? new BigDecimal(n.asText()) : n.decimalValue();
    return d.movePointRight(2).longValueExact();
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
