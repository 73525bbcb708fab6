package dev.clvstream.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What the job keeps per customer in the RocksDB store, serialized with Jackson
 * (public fields: the store's JSON is this class).
 */
public final class Customer {
  public String id;
  public Integer firstDay;
  public Integer lastDay;
  /** Every distinct purchase day (x = size − 1). */
  public TreeSet<Integer> purchaseDays = new TreeSet<>();
  public int orders;
  public long grossMinor;
  public long discountMinor;
  public long marginMinor;
  public long refundMinor;
  public long refundMarginMinor;
  public int returns;
  public Long lastPurchaseAt;
  /** The latest orders (id, day, amount, margin), for pro-rata refunds of margin. */
  public List<Order> recentOrders = new ArrayList<>();
  /** The latest return days (as many as the spike rule counts). */
  public List<Integer> recentReturnDays = new ArrayList<>();
  public int referralsMade;
  public long referralValueMinor;
  public Integer npsScore;
  public Long npsAt;
  public Integer npsDay;
  public Long cancelledAt;
  public String cancelReason;
  /** The day the customer was last evaluated at: time never moves back for a customer. */
  public int asOfDay = Integer.MIN_VALUE;
  /** Last published values. */
  public String rfmSegment;
  public String valueQuadrant;
  public String accountStatus = "active";
  public String churnLevel = "active";
  public Integer nextCheckDay;
  /** Emission sequence: ids are seg:<customer>:<n>, churn:<customer>:<n>. */
  public int emitted;

  public static final class Order {
    public String id;
    public int day;
    public long amountMinor;
    public long marginMinor;

    public Order() {}

    Order(String id, int day, long amountMinor, long marginMinor) {
      this.id = id;
      this.day = day;
      this.amountMinor = amountMinor;
      this.marginMinor = marginMinor;
    }
  }

  boolean isCancelled() {
    return cancelledAt != null && (lastPurchaseAt == null || lastPurchaseAt <= cancelledAt);
  }

  boolean isDetractor() {
    return npsScore != null && npsScore <= 6;
  }
}
