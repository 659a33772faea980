/**
 * Settings of one partition log, resolved from the topic's configs and the broker's defaults
 * (Kafka's LogConfig). Longs that Kafka defaults to Long.MAX_VALUE ("never") are Infinity here.
 */
export interface LogConfig {
  /** segment.bytes: roll a new segment once the active one reaches this size. */
  segmentBytes: number;
  /** segment.ms: roll once the active segment's first batch is this old. */
  segmentMs: number;
  /** segment.index.bytes: roll once the offset index reaches this size. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of batches between two offset index entries. */
  indexIntervalBytes: number;
  retentionMs: number;
  retentionBytes: number;
  cleanupPolicy: string[];
  /** flush.messages: fsync after this many records (Infinity: leave it to the OS). */
  flushMessages: number;
  /** flush.ms: fsync data older than this (Infinity: leave it to the OS). */
  flushMs: number;
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  /** file.delete.delay.ms: how long a deleted segment's files stay (as `.deleted`) for reads still using them. */
  fileDeleteDelayMs: number;
  /** Broker-wide switch (samsa.log.fsync.enable): false never fsyncs. */
  fsyncEnabled: boolean;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: Infinity,
  cleanupPolicy: ['delete'],
  flushMessages: Infinity,
  flushMs: Infinity,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60_000,
  fsyncEnabled: true,
};
