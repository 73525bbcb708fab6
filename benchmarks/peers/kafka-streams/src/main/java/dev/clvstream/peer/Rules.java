package dev.clvstream.peer;

import java.util.ArrayList;
import java.util.List;

/**
 * clvstream's documented rules and default thresholds (its docs/domain.md), for
 * the case without a fitted model: R/F/M scores, the RFM grid, the value
 * quadrant, the churn level from inactivity, the simple CLV and the day of the
 * next time-driven change.
 */
final class Rules {
  private Rules() {}

  static final String BASE_CURRENCY = "USD";
  static final double MARGIN_RATE = 0.3;
  static final long COST_PER_ORDER_MINOR = 0;
  static final long COST_PER_RETURN_MINOR = 0;
  static final long ACQUISITION_COST_MINOR = 0;
  static final long REFERRAL_VALUE_MINOR = 0;
  static final double RETENTION_RATE = 0.6;
  static final int CLV_HORIZON_DAYS = 3 * 365;
  static final int CLV_PERIOD_DAYS = 91;
  static final double ANNUAL_DISCOUNT_RATE = 0.1;
  static final int MIN_OBSERVATION_DAYS = 90;
  static final int[] RECENCY_CUTS = {30, 90, 180, 365};
  static final int[] FREQUENCY_CUTS = {1, 2, 3, 5};
  static final long[] MONETARY_CUTS = {5_000, 15_000, 40_000, 100_000};
  static final double[] INACTIVITY_MULTIPLIERS = {1.5, 2.5, 4, 6};
  static final int ONE_TIME_BUYER_INTERVAL_DAYS = 90;
  static final int DETRACTOR_WINDOW_DAYS = 180;
  static final int RETURNS_SPIKE_COUNT = 3;
  static final int RETURNS_SPIKE_WINDOW_DAYS = 30;
  static final int RECENT_ORDERS = 6;
  static final String[] CHURN_LEVELS = {"active", "cooling", "at_risk", "highly_at_risk", "lost", "churned"};
  static final int LOST = 4;
  /** Row R−1, column FM−1. */
  static final String[][] RFM_GRID = {
    {"lost", "hibernating", "at_risk", "cant_lose_them", "cant_lose_them"},
    {"hibernating", "about_to_sleep", "at_risk", "at_risk", "cant_lose_them"},
    {"about_to_sleep", "need_attention", "need_attention", "loyal_customers", "loyal_customers"},
    {"promising", "potential_loyalist", "loyal_customers", "loyal_customers", "champions"},
    {"new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"},
  };

  /** Σ over the CLV periods of length · retention^(end/365) · discount(end): the simple rule's exposure, days. */
  static final double SIMPLE_EXPOSURE_DAYS = exposure();

  private static double exposure() {
    int periods = Math.max(1, (int) Math.ceil((double) CLV_HORIZON_DAYS / CLV_PERIOD_DAYS - 1e-9));
    double logGrowth = Math.log1p(ANNUAL_DISCOUNT_RATE);
    double sum = 0;
    double start = 0;
    for (int k = 0; k < periods; k++) {
      double end = k == periods - 1 ? CLV_HORIZON_DAYS : (double) (k + 1) * CLV_PERIOD_DAYS;
      double discount = Math.exp((-end / 365) * logGrowth);
      sum += (end - start) * Math.pow(RETENTION_RATE, end / 365) * discount;
      start = end;
    }
    return sum;
  }

  static int recencyScore(int days) {
    int above = 0;
    for (int cut : RECENCY_CUTS) if (days > cut) above++;
    return 6 - Math.min(5, above + 1);
  }

  static int frequencyScore(int orders) {
    int above = 0;
    for (int cut : FREQUENCY_CUTS) if (orders > cut) above++;
    return Math.min(5, above + 1);
  }

  static int monetaryScore(long netMinor) {
    int above = 0;
    for (long cut : MONETARY_CUTS) if (netMinor > cut) above++;
    return Math.min(5, above + 1);
  }

  static String rfmSegment(int r, int f, int m) {
    int fm = (int) Math.round((f + m) / 2.0);
    return RFM_GRID[r - 1][fm - 1];
  }

  static long netMarginMinor(Customer c) {
    return c.marginMinor - c.refundMarginMinor;
  }

  static long costToServeMinor(Customer c) {
    return c.orders * COST_PER_ORDER_MINOR + c.returns * COST_PER_RETURN_MINOR;
  }

  static long historicClvMinor(Customer c) {
    long acquisition = c.orders > 0 ? ACQUISITION_COST_MINOR : 0;
    return netMarginMinor(c) - costToServeMinor(c) + c.referralValueMinor - acquisition;
  }

  /** The simple rule: observed purchase-day rate, yearly survival, discounted over the horizon; 0 while cancelled. */
  static long predictedClvMinor(Customer c, int day) {
    if (c.isCancelled() || c.firstDay == null) return 0;
    int purchaseDays = c.purchaseDays.size();
    if (purchaseDays == 0) return 0;
    int t = Math.max(0, day - c.firstDay);
    double perDay = (double) purchaseDays / Math.max(t + 1, MIN_OBSERVATION_DAYS);
    double spend = (double) c.grossMinor / purchaseDays;
    double kept = c.marginMinor > 0 ? (double) Math.max(0, netMarginMinor(c)) / c.marginMinor : 1;
    double marginRate = c.grossMinor > 0 ? (double) c.marginMinor / c.grossMinor : MARGIN_RATE;
    double v = spend * marginRate * kept - (double) (costToServeMinor(c) - c.referralValueMinor) / purchaseDays;
    return Math.round(perDay * SIMPLE_EXPOSURE_DAYS * v);
  }

  static String valueQuadrant(Customer c, int r, int f, int m, long historic) {
    boolean loyal = f >= 3 && r >= 3 && !c.isCancelled() && !c.isDetractor();
    long listValue = c.grossMinor + c.discountMinor;
    boolean profitable = historic > 0 && m >= 1 && c.refundMinor <= 0.3 * c.grossMinor && c.discountMinor <= 0.5 * listValue;
    if (loyal) return profitable ? "true_friends" : "barnacles";
    return profitable ? "butterflies" : "strangers";
  }

  static String accountStatus(Customer c) {
    if (c.cancelledAt == null) return "active";
    return c.isCancelled() ? "cancelled" : "reactivated";
  }

  static double typicalIntervalDays(Customer c) {
    int x = c.purchaseDays.size() - 1;
    return x > 0 ? (double) (c.lastDay - c.firstDay) / x : ONE_TIME_BUYER_INTERVAL_DAYS;
  }

  static int levelFromInactivity(int recencyDays, double typical) {
    double ratio = recencyDays / typical;
    int index = 0;
    while (index < INACTIVITY_MULTIPLIERS.length && ratio > INACTIVITY_MULTIPLIERS[index]) index++;
    return index;
  }

  static boolean detractorActive(Customer c, int day) {
    return c.npsScore != null && c.npsScore <= 6 && c.npsDay != null && day - c.npsDay < DETRACTOR_WINDOW_DAYS;
  }

  static int recentReturns(Customer c, int day) {
    int n = 0;
    for (int d : c.recentReturnDays) if (d <= day && day - d < RETURNS_SPIKE_WINDOW_DAYS) n++;
    return n;
  }

  record Churn(String level, List<String> reasons) {}

  static Churn churn(Customer c, int day) {
    if (c.isCancelled()) return new Churn("churned", List.of("cancellation"));
    List<String> reasons = new ArrayList<>(2);
    int index = 0;
    if (c.lastDay != null) {
      index = levelFromInactivity(Math.max(0, day - c.lastDay), typicalIntervalDays(c));
      if (index > 0) reasons.add("inactivity");
    }
    if (detractorActive(c, day) && index < LOST) {
      index++;
      reasons.add("detractor");
    }
    if (recentReturns(c, day) >= RETURNS_SPIKE_COUNT && index < LOST) {
      index++;
      reasons.add("returns_spike");
    }
    return new Churn(CHURN_LEVELS[index], reasons);
  }

  /** The earliest day after {@code day} on which a rule can change by time alone, or null. */
  static Integer nextCheckDay(Customer c, int day, String churnLevel) {
    long next = Long.MAX_VALUE;
    if (c.lastDay != null) {
      int recency = Math.max(0, day - c.lastDay);
      for (int cut : RECENCY_CUTS) {
        if (cut >= recency) {
          next = earliestAfter(day, next, (long) c.lastDay + cut + 1);
          break;
        }
      }
      if (!churnLevel.equals("churned")) {
        double typical = typicalIntervalDays(c);
        int index = levelFromInactivity(recency, typical);
        if (index < LOST && index < INACTIVITY_MULTIPLIERS.length) {
          next = earliestAfter(day, next, (long) c.lastDay + (long) Math.floor(typical * INACTIVITY_MULTIPLIERS[index]) + 1);
        }
      }
    }
    if (c.npsDay != null && detractorActive(c, day)) next = earliestAfter(day, next, (long) c.npsDay + DETRACTOR_WINDOW_DAYS);
    for (int d : c.recentReturnDays) next = earliestAfter(day, next, (long) d + RETURNS_SPIKE_WINDOW_DAYS);
    return next == Long.MAX_VALUE ? null : (int) next;
  }

  private static long earliestAfter(int day, long current, long candidate) {
    return candidate > day && candidate < current ? candidate : current;
  }
}
