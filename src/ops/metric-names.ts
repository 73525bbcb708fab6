/**
 * The names of clvstream's own Prometheus metrics (besides the process/Node.js
 * default metrics, which carry the same `clvstream_` prefix). Dashboards and
 * alerts refer to these names; `RuntimeMetrics` registers exactly these, and a
 * test checks both lists agree. Renaming one is a breaking change for them.
 */
export const METRIC_NAMES = [
  'clvstream_consumer_lag',
  'clvstream_events_processed_total',
  'clvstream_events_rejected_total',
  'clvstream_due_checks_fired_total',
  'clvstream_batch_records',
  'clvstream_batch_duration_seconds',
  'clvstream_end_to_end_delay_seconds',
  'clvstream_outbox_depth',
  'clvstream_partition_waiting_for',
  'clvstream_outbox_relayed_total',
  'clvstream_outbox_relay_errors_total',
  'clvstream_redis_command_duration_seconds',
  'clvstream_segment_transitions_total',
  'clvstream_churn_risk_emitted_total',
  'clvstream_rebalances_total',
  'clvstream_fencing_rejections_total',
  'clvstream_records_skipped_total',
  'clvstream_commit_failures_total',
  'clvstream_consumer_restarts_total',
  'clvstream_processing_errors_total',
  'clvstream_rescore_remaining_customers',
  'clvstream_rescored_customers_total',
  'clvstream_model_version_info',
  'clvstream_model_age_seconds',
  'clvstream_assigned_partitions',
  'clvstream_ready',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Prefix of the default process and Node.js metrics (`clvstream_process_cpu_seconds_total`, …). */
export const DEFAULT_METRICS_PREFIX = 'clvstream_';
